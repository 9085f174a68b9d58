"""The demo scenario: the demo agreement and one simulated night, loaded into a fresh store.

``ceasefire demo`` (and ``make run``) call :func:`run_demo`; it runs the same library functions a
real deployment uses (simulate -> ingest -> place -> store) and summarises what is stored.
"""

from __future__ import annotations

import json
import os
import re
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from ceasefire.agreement.load import demo_agreement_path, load_agreement
from ceasefire.counts import Count
from ceasefire.errors import ConflictError, StoreError
from ceasefire.harm import rollup
from ceasefire.pipeline import FuseResult, fuse_store, ingest_files, ingest_reports
from ceasefire.publish.access import Principal
from ceasefire.sim import SimConfig, write_simulation
from ceasefire.sim.demo_tallies import demo_tallies, odesa_outage
from ceasefire.store.facade import Store
from ceasefire.tallies.checks import check


@dataclass
class DemoSummary:
    """What the demo loaded, counted the way a duty officer would read it."""

    db: str
    agreement: str
    reports: int
    events: int
    seconds: float
    by_source: dict[str, int] = field(default_factory=dict)
    by_event: dict[str, int] = field(default_factory=dict)
    by_side: dict[str, int] = field(default_factory=dict)
    by_zone: dict[str, int] = field(default_factory=dict)
    by_oblast: dict[str, int] = field(default_factory=dict)
    fusion: FuseResult | None = None
    verified: str | None = None  # an incident the demo monitor verified, to show the ladder
    access: list[str] = field(default_factory=list)  # who can sign in, and what the public sees
    ledger: list[str] = field(default_factory=list)  # the signed record, and a proof checked
    hotline: list[str] = field(default_factory=list)  # two simulated days of hotline traffic
    harm: dict[str, Any] = field(default_factory=dict)  # the night's harm roll-up, in total
    tallies: list[str] = field(default_factory=list)  # both sides' counts of the night's attack
    coverage: list[str] = field(default_factory=list)  # what the mission could see that day

    def to_dict(self) -> dict[str, Any]:
        out = dict(vars(self))
        out["fusion"] = None if self.fusion is None else self.fusion.to_dict()
        return out

    def render(self) -> str:
        def block(title: str, counts: dict[str, int]) -> list[str]:
            lines = [f"{title}:"]
            lines += [f"  {k:<24} {v:>6}" for k, v in counts.items()]
            return lines

        lines = [
            f"agreement: {self.agreement}",
            f"database:  {self.db}",
            f"loaded {self.reports} reports of {self.events} simulated events "
            f"in {self.seconds:.1f} s",
        ]
        lines += block("reports by source", self.by_source)
        lines += block("reports by event type", self.by_event)
        lines += block("reports by side of the line", self.by_side)
        lines += block("reports inside zones", self.by_zone)
        lines += block("reports by oblast (top 8)", self.by_oblast)
        if self.fusion is not None:
            lines.append(self.fusion.render())
        if self.verified:
            lines.append(f"verified by the demo monitor: {self.verified}")
        if self.harm:
            lines.append(_harm_line(self.harm, self.db))
        lines += self.tallies
        lines += self.hotline
        lines += self.coverage
        lines += self.ledger
        lines += self.access
        return "\n".join(lines)


def _sqlite_file(db: str) -> Path | None:
    """The file behind an SQLite path or URL; None for a server URL."""
    path = db.removeprefix("sqlite:///")
    return None if "://" in path else Path(path)


def _fresh_sqlite(path: Path) -> None:
    """Remove an SQLite demo file (and its WAL) so the demo always starts clean."""
    for suffix in ("", "-wal", "-shm"):
        Path(str(path) + suffix).unlink(missing_ok=True)
    path.parent.mkdir(parents=True, exist_ok=True)


#: Who enters the simulated night: the mission's intake desk, an admin (the parties' reports
#: are entered on their behalf).
DEMO_OPERATOR = Principal("intake desk (demo)", "admin")


def demo_users(db: str) -> list[str]:
    """The users (and so the tokens) held by the SQLite demo database at ``db``: what a new
    demo would delete. Empty when there is no such file or it holds no store yet."""
    file = _sqlite_file(db)
    if file is None or not file.is_file() or file.stat().st_size == 0:
        return []
    # Upgraded if an older version made it (its users are read as this version keeps them);
    # create=False: a file that holds no store is not made one, and holds nobody's token.
    try:
        store = Store.open(db, create=False)
    except StoreError:
        return []
    with store:
        return [u.name for u in store.list_users() if not _is_demo_user(u.name)]


def run_demo(
    db: str, *, seed: int = 7, progress: Any = None, replace_users: bool = False
) -> DemoSummary:
    """Load the demo agreement and a simulated night into a fresh database at ``db``.

    An SQLite file is deleted first, so the demo always starts clean; one that holds users
    (people added with ``ceasefire users add``, and their tokens) is refused with ConflictError
    naming them, unless ``replace_users``: they are never deleted without being asked.
    """
    started = time.perf_counter()
    file = _sqlite_file(db)
    if file is not None:  # a server database is never dropped by the demo
        users = demo_users(db)
        if users and not replace_users:
            raise ConflictError(
                f"{file} holds {len(users)} user(s) and their tokens ({', '.join(users[:5])}"
                f"{', ...' if len(users) > 5 else ''}) that a new demo would delete; pass --keep "
                "to use the database as it is, or --replace to start over without them"
            )
        _fresh_sqlite(file)
    agreement = load_agreement(demo_agreement_path())
    night = (file.parent if file is not None else Path("var")) / "demo-night"
    night.mkdir(parents=True, exist_ok=True)
    stats = write_simulation(SimConfig(seed=seed), night / "reports.jsonl", night / "truth.jsonl")
    store = Store.open(db)
    try:
        ingest_files(
            store, [night / "reports.jsonl"], agreement, entered_by=DEMO_OPERATOR, progress=progress
        )
        night_start = SimConfig(seed=seed).start
        ingest_reports(store, odesa_outage(night_start), agreement, entered_by=DEMO_OPERATOR)
        rows = [r.to_dict() for r in store.list_stored()]
        fusion = fuse_store(store, [agreement], progress=progress)
        verified = _verify_one(store, agreement)
        harm = rollup(
            [s.to_dict() for s in store.list_incidents()], by="day", reporting=agreement.reporting
        )["total"]
        if verified is not None:  # the status counts now include it
            fusion.by_status = dict(Counter(s.status for s in store.list_incidents()).most_common())
        tallies = _tallies(store, agreement, seed)
        hotline = _hotline(store, agreement, db)
        coverage = _coverage(store, agreement, seed)
        # Users and releases are logged: before the checkpoint, so it covers them.
        access, tokens = _sign_in_and_release(store, agreement.party_codes)
        record = _sign_and_prove(store, night.parent / "demo-keys", agreement.parties)
        record += _daily_report(
            store, agreement, night.parent / "demo-keys", night, night_start, db
        )
        access.insert(0, _write_tokens(night.parent / "demo-keys" / "tokens.txt", tokens))
    finally:
        store.close()
    zones: Counter[str] = Counter()
    for r in rows:
        zones.update(r.get("zones") or [])
    return DemoSummary(
        db=db,
        agreement=f"{agreement.title} (v{agreement.version})",
        reports=len(rows),
        events=stats.events,
        seconds=time.perf_counter() - started,
        by_source=dict(Counter(r["source_kind"] for r in rows).most_common()),
        by_event=dict(Counter(r["event_type"] for r in rows).most_common()),
        by_side=dict(Counter(str(r.get("party")) for r in rows).most_common()),
        by_zone=dict(sorted(zones.items())),
        by_oblast=dict(Counter(str(r.get("oblast")) for r in rows).most_common(8)),
        fusion=fusion,
        verified=verified,
        ledger=record,
        hotline=hotline,
        tallies=tallies,
        coverage=coverage,
        access=access,
        harm=harm,
    )


def _harm_line(total: dict[str, Any], db: str) -> str:
    """The night's harm in one line (``ceasefire harm`` has it per oblast and day)."""

    def figure(name: str) -> str:
        e = total[name]
        if e["best"] is None:
            return f"no {name} reported"
        return f"{e['best']} {name} ({e['low']}-{e['high']})"

    hit = total["infrastructure"]
    people = total["people_affected"]
    words = ", ".join(f"{c} {n}" for c, n in hit.items()) or "none"
    count = Count.parse(people, "people_affected")
    span = "" if count is None else f"; people affected {count.low:,}-{count.high or 0:,}"
    if count is not None and (count.is_exact or count.high is None):
        span = f"; people affected {'' if count.is_exact else 'at least '}{count.low:,}"
    return (
        f"harm: {figure('killed')}, {figure('injured')}; infrastructure hit: {words}{span}; "
        f"per oblast: ceasefire harm --db {db}"
    )


def _tallies(store: Store, agreement: Any, seed: int) -> list[str]:
    """Both sides' accounts of the night's air attack and a week of earlier bulletins, entered
    by the intake desk as transcribed (:mod:`ceasefire.sim.demo_tallies`)."""
    tallies = demo_tallies(SimConfig(seed=seed).start)
    added = store.add_tallies(tallies, by=DEMO_OPERATOR, parties=agreement.party_codes)
    flagged = sum(1 for t in tallies if check(t))
    return [
        f"strike tallies: {len(added.stored)} entered ({flagged} flagged); "
        "ceasefire tallies reconcile shows both accounts of the night side by side"
    ]


def _coverage(store: Store, agreement: Any, seed: int) -> list[str]:
    """The sensors, patrol and restriction of the night's reporting day
    (:mod:`ceasefire.sim.demo_coverage`), and what they saw of it."""
    from ceasefire.coverage import report_section
    from ceasefire.sim.demo_coverage import demo_coverage

    night = SimConfig(seed=seed).start
    added = store.add_coverage(
        demo_coverage(agreement, night), by=DEMO_OPERATOR, parties=agreement.party_codes
    )
    start, end = agreement.reporting.holding(night)
    section = report_section(
        store.coverage_leaves(by=DEMO_OPERATOR, start=start, end=end), start, end, agreement
    )
    seen = sorted(section["by_oblast"], key=lambda r: -r["observed"])[:3]
    shares = ", ".join(f"{r['oblast']} {r['observed']:.1%}" for r in seen)
    return [
        f"coverage: {len(added.stored)} records; the reporting day to {end:%Y-%m-%d %H:%M} UTC "
        f"observed {shares}; {len(section['sensors_down'])} sensors down or jammed, "
        f"{len(section['restrictions'])} restrictions of movement",
    ]


def _hotline(store: Store, agreement: Any, db: str) -> list[str]:
    """Two days of hotline traffic from the morning after the night (ceasefire.sim.demo_hotline)."""
    from ceasefire.sim import demo_hotline

    ends = [s.incident.observed_to for s in store.list_incidents()]
    if not ends:
        return []
    last = max(ends)
    start = last.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
    hours = 48
    demo_hotline.simulate_hotline(store, agreement, start, hours=hours)
    lines = demo_hotline.summary(store, start + timedelta(hours=hours))
    return [*lines, f"hotline metrics: ceasefire hotline metrics --db {db}"]


#: Who verifies in the demo: a monitor of the mission who filed none of the reports.
DEMO_MONITOR = "duty monitor (demo)"


def _verify_one(store: Store, agreement: Any) -> str | None:
    """Verify the best-corroborated incident a patrol saw, as a monitor would after a visit."""
    candidates = [
        s
        for s in store.list_incidents(status="corroborated")
        if "patrol" in s.incident.source_kinds
    ]
    if not candidates:
        return None
    best = max(candidates, key=lambda s: (s.incident.n_sources, -len(s.incident_id), s.incident_id))
    change = store.set_status(
        best.incident_id,
        status="verified",
        actor=DEMO_MONITOR,
        basis="patrol visited the site and saw fresh craters; independent sources agree",
        at=datetime.now(UTC),
        parties=agreement.party_codes,
    )
    return f"{change.incident_id} ({best.incident.event_type}, {best.incident.n_sources} sources)"


#: The demo's own users, one per role (a liaison per party is added by party code): whoever runs
#: the demo signs in to the page as any of them. They are the demo's, not a person's, so a new
#: demo replaces them without asking (:func:`demo_users` leaves them out).
DEMO_USERS: tuple[tuple[str, str], ...] = (
    ("demo monitor", "monitor"),
    ("demo mediator", "mediator"),
    ("demo admin", "admin"),
)
_DEMO_USER_NAMES = frozenset(name for name, _ in DEMO_USERS)


def _liaison(party: str) -> str:
    return f"demo {party} liaison"


def _is_demo_user(name: str) -> bool:
    return name in _DEMO_USER_NAMES or re.fullmatch(r"demo \S+ liaison", name) is not None


#: How many of the night's best-corroborated incidents the demo mediator releases to the public.
DEMO_RELEASES = 12


def _sign_in_and_release(store: Store, parties: Any) -> tuple[list[str], list[str]]:
    """Add the demo's users (their tokens' lines are returned for :func:`_write_tokens`), then
    have the demo mediator release the verified incident in full and the night's
    best-corroborated ones coarsened, so the public view shows something."""
    users = [(name, role, None) for name, role in DEMO_USERS]
    users += [(_liaison(code), "party", code) for code in parties]
    tokens = [
        f"{role:<9} {party or '-':<4} {name:<18} {store.add_user(name, role, party)}"
        for name, role, party in users
    ]
    now = datetime.now(UTC)
    verified = [s.incident_id for s in store.list_incidents(status="verified")]
    corroborated = sorted(
        store.list_incidents(status="corroborated"),
        key=lambda s: (-s.incident.n_sources, s.incident_id),
    )[:DEMO_RELEASES]
    for incident_id in verified:
        store.release_incident(incident_id, full=True, by="demo mediator", at=now)
    for s in corroborated:
        store.release_incident(s.incident_id, full=False, by="demo mediator", at=now)
    return [
        f"released to the public by the demo mediator: {len(verified)} verified in full, "
        f"{len(corroborated)} corroborated at a coarsened place",
    ], tokens


def _write_tokens(path: Path, tokens: list[str]) -> str:
    """Write the demo's tokens where only their owner may read them; say where."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(
            "# The demo's sign-in tokens, made afresh with each demo: paste one at /signin.\n"
            "# role      party name               token\n" + "\n".join(tokens) + "\n"
        )
    roles = ", ".join(
        line.split()[1] if line.split()[1] != "-" else line.split()[0] for line in tokens
    )
    return f"sign in at /signin as {roles}: tokens in {path}"


#: The demo log's name (its checkpoints' origin).
DEMO_ORIGIN = "ceasefire.demo/log"


def _sign_and_prove(store: Store, keys: Path, parties: Any) -> list[str]:
    """Sign a checkpoint, have each party cosign it, and check one report's proof as a party
    would: with the bundle and the public keys alone. Keys and the bundle go to ``keys``."""
    import shutil

    from ceasefire import ledger
    from ceasefire.ledger.notes import Signer

    shutil.rmtree(keys, ignore_errors=True)  # the demo's own keys, made afresh with its database
    log = Signer.generate(DEMO_ORIGIN)
    ledger.write_key(log, keys / "log.key")
    checkpoint = ledger.sign_checkpoint(store, log)
    cosigners = []
    for party in parties:
        cosigner = Signer.generate(f"{party}-cosigner", cosigner=True)
        ledger.write_key(cosigner, keys / f"{party}.key")
        ledger.cosign_latest(store, cosigner, log.verifier())
        cosigners.append(cosigner.verifier())
    first = store.list_stored(limit=1)[0].report.id
    bundle = ledger.prove(store, first)
    (keys / "proof.json").write_text(json.dumps(bundle, indent=2) + "\n", encoding="utf-8")
    checked = ledger.verify_bundle(bundle, log.verifier(), cosigners=cosigners, quorum=2)
    return [
        f"ledger: {checkpoint.size} entries; checkpoint signed by {DEMO_ORIGIN}, "
        f"cosigned by {', '.join(checked.cosigners)}",
        f"proof of report {first} (entry {bundle['leafIdx']}, {len(bundle['proof'])} hashes) "
        f"verifies with the public keys alone: {keys / 'proof.json'}",
    ]


def _daily_report(
    store: Store, agreement: Any, keys: Path, folder: Path, night_start: datetime, db: str
) -> list[str]:
    """The night's daily report (mission tier, JSON and PDF) from the checkpoint just signed, signed
    by the log's key, written with its note to ``folder``: ``ceasefire report verify`` checks
    it, the API serves it (docs/report.md)."""
    from ceasefire import reporting
    from ceasefire.ledger.keys import read_signer

    day = agreement.reporting.local_date(agreement.reporting.holding(night_start)[1])
    signer = read_signer(keys / "log.key")
    written = []
    for fmt in ("json", "pdf"):
        built = reporting.build(store, agreement, day=day, tier="mission", fmt=fmt)
        held = reporting.sign(store, built, signer)
        out = folder / f"report-{day.isoformat()}.{fmt}"
        out.write_bytes(built.body)
        out.with_name(out.name + ".note").write_text(held.text, encoding="utf-8")
        written.append(out)
    summary = built.data["summary"]
    return [
        f"daily report of {day.isoformat()} (as of {built.data['cutoff_local']}): "
        f"{summary['violations']} violations in {summary['incidents']} incidents, from "
        f"checkpoint {built.checkpoint.size}, signed: {written[0]} and {written[1].name} "
        f"(ceasefire report verify {written[1]} --db {db}; on the page: /report)",
    ]
