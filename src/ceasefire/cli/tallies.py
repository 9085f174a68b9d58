"""``ceasefire tallies ...``: strike tallies in, listed, checked and reconciled.

As the rest of the CLI: one library call per command, a table for people and ``--json`` for
programs. The commands work on the database as the local operator (an admin, who sees every
tally and every incident); the API gives each role its own view.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from rich import box
from rich.table import Table

from ceasefire.cli._common import (
    DEFAULT_DB,
    AgreementOpt,
    DbOpt,
    Group,
    JsonOpt,
    SinceOpt,
    UntilOpt,
    list_table,
    load_agreement,
    local_operator,
    out,
    parse_time,
    print_json,
)

tallies_app = typer.Typer(
    cls=Group,
    help="Strike tallies: each side's count of an air attack, checked and set side by side.\n\n"
    "Example: ceasefire tallies reconcile --since 2026-02-16T16:00:00+00:00 --db var/demo.db",
    no_args_is_help=True,
    rich_markup_mode=None,
)

IssuerOpt = Annotated[
    str | None, typer.Option(help="Only tallies of this issuer (a party code or mission).")
]
AttackerOpt = Annotated[
    str | None, typer.Option(help="Only tallies counting this party's weapons.")
]


def _window(since: str | None, until: str | None) -> tuple[datetime | None, datetime | None]:
    return parse_time(since, "since"), parse_time(until, "until")


def _stored(
    db: str,
    since: str | None,
    until: str | None,
    *,
    current_only: bool,
    issuer: str | None = None,
    attacker: str | None = None,
) -> list[Any]:
    """The tallies of the window as the local operator reads them (every one)."""
    from ceasefire.store.facade import Store

    start, end = _window(since, until)
    with Store.open(db, create=False) as store:
        return store.tallies(
            by=local_operator(), issuer=issuer, attacker=attacker, start=start, end=end,
            current_only=current_only,
        )  # fmt: skip


def ingest(
    files: Annotated[list[Path], typer.Argument(help="Tally files: JSON Lines or CSV.")],
    db: DbOpt = DEFAULT_DB,
    agreement: AgreementOpt = None,
    community: Annotated[
        bool,
        typer.Option(
            "--community",
            help="The files are the community data set of Air Force figures "
            "(missile_attacks_daily.csv): one row per weapon model per attack.",
        ),
    ] = False,
    operator: Annotated[
        str | None,
        typer.Option("--as", help="Who enters the tallies (role admin); default: the OS user."),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Read tally files and store them, all or nothing; print the flags of what was stored.

    Stored again unchanged, a tally is left as it is; a correction is a new tally that names
    the one it supersedes. With --community, rows edited upstream since the last import become
    new versions of their attack's tally.

    Example: ceasefire tallies ingest air-force-0217.jsonl --db var/demo.db --as duty-officer
    """
    from ceasefire.store.facade import Store
    from ceasefire.tallies import community as community_set
    from ceasefire.tallies.checks import check
    from ceasefire.tallies.files import read_tally_file

    parties = tuple(load_agreement(agreement).parties)
    by = local_operator(operator)
    notes: list[str] = []
    with Store.open(db) as store:
        if community:
            read = [community_set.read_community_csv(f) for f in files]
            imported = [t for r in read for t in r.tallies]
            held = [s.tally for s in store.tallies(by=by, current_only=False)]
            tallies = community_set.chain_versions(imported, held)
            notes = [line for r in read for line in r.report()]
            gone = community_set.missing_series(imported, held)
            notes += [f"held attack no longer in the file (kept): {t.id}" for t in gone]
        else:
            tallies = [t for f in files for t in read_tally_file(f)]
        added = store.add_tallies(tallies, by=by, parties=parties)
    flags = {t.id: [f.to_dict() for f in check(t)] for t in tallies if t.id in added.stored}
    if as_json:
        print_json(
            {"stored": list(added.stored), "unchanged": list(added.unchanged), "flags": flags,
             "notes": notes}
        )  # fmt: skip
        return
    for line in notes:
        out.print(line)
    out.print(f"stored {len(added.stored)} tally(ies), {len(added.unchanged)} unchanged")
    for tally_id, found in flags.items():
        for f in found:
            out.print(f"  {tally_id}: {f['check']}: {f['message']}")


def _figure(tally: Any, name: str, classes: Sequence[str]) -> str:
    value = tally.total(name, classes)
    return "" if value is None else str(value)


def tallies(
    db: DbOpt = DEFAULT_DB,
    since: SinceOpt = None,
    until: UntilOpt = None,
    issuer: IssuerOpt = None,
    attacker: AttackerOpt = None,
    versions: Annotated[
        bool, typer.Option("--all", help="Also list versions a later tally superseded.")
    ] = False,
    as_json: JsonOpt = False,
) -> None:
    """List tallies whose window overlaps --since/--until, by window then issuer.

    Example: ceasefire tallies list --issuer UA --since 2026-02-01T00:00:00+00:00
    """
    from ceasefire.tallies.model import DRONE_CLASSES, MISSILE_CLASSES

    rows = _stored(db, since, until, current_only=not versions, issuer=issuer, attacker=attacker)
    if as_json:
        print_json([r.to_dict() for r in rows])
        return
    table = list_table(f"{len(rows)} tally(ies)")
    for col in ("issuer", "id", "window (UTC)", "drones l/d", "missiles l/d", "flags"):
        table.add_column(col, no_wrap=col in ("issuer", "id"))
    for r in rows:
        t = r.tally
        window = f"{t.window_from.astimezone(UTC):%m-%d %H:%M}-{t.window_to.astimezone(UTC):%H:%M}"
        drones = "/".join(_figure(t, n, DRONE_CLASSES) or "?" for n in ("launched", "destroyed"))
        missiles = "/".join(
            _figure(t, n, MISSILE_CLASSES) or "?" for n in ("launched", "destroyed")
        )
        name = t.id if r.superseded_by is None else f"{t.id} > {r.superseded_by}"
        flagged = len(r.flags)
        table.add_row(t.issuer, name, window, drones, missiles, str(flagged) if flagged else "")
    out.print(table)


def show(
    issuer: Annotated[str, typer.Argument(help="The tally's issuer: a party code or mission.")],
    tally_id: Annotated[str, typer.Argument(help="The tally's id, as its issuer gave it.")],
    db: DbOpt = DEFAULT_DB,
    as_json: JsonOpt = False,
) -> None:
    """Show one tally: its lines, flags, rates and who entered it.

    Example: ceasefire tallies show UA af-2026-02-17 --db var/demo.db
    """
    from ceasefire.store.facade import Store
    from ceasefire.tallies.model import LINE_COUNTS
    from ceasefire.tallies.rates import rates

    with Store.open(db, create=False) as store:
        stored = store.tally(issuer, tally_id, by=local_operator())
    t = stored.tally
    derived = rates(t)
    if as_json:
        body = stored.to_dict()
        body["rates"] = {
            f: {k: (v.to_json() if v else None) for k, v in r.items()} for f, r in derived.items()
        }
        print_json(body)
        return
    scope = t.scope + (f" ({t.scope_name})" if t.scope_name else "")
    out.print(f"{t.issuer} {t.id}: {t.attacker}'s weapons, {scope}")
    out.print(f"window {t.window_from.isoformat()} to {t.window_to.isoformat()}")
    out.print(f"entered by {stored.entered_by} ({stored.entered_role}) at {stored.entered_at}")
    if stored.superseded_by:
        out.print(f"superseded by {stored.superseded_by}")
    table = Table(box=box.SIMPLE)
    table.add_column("weapon", no_wrap=True)
    for name in LINE_COUNTS:
        table.add_column(name.replace("_", " "), justify="right")
    for line in t.lines:
        label = line.label if line.part_of is None else f"  of which {line.label}"
        table.add_row(label, *(str(c) if (c := line.count(n)) else "" for n in LINE_COUNTS))
    out.print(table)
    for name in ("locations_hit", "locations_debris", "regions_count", "killed", "injured"):
        if (value := getattr(t, name)) is not None:
            out.print(f"{name.replace('_', ' ')}: {value}")
    if t.regions:
        out.print(f"regions: {', '.join(t.regions)}")
    for family, r in derived.items():
        given = {k: str(v) for k, v in r.items() if v is not None}
        if given:
            out.print(f"{family}: " + ", ".join(f"{k} {v}" for k, v in given.items()))
    for f in stored.flags:
        out.print(f"flag {f.check} ({f.field}): {f.message}")


def check_tallies(
    db: DbOpt = DEFAULT_DB,
    since: SinceOpt = None,
    until: UntilOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """List what does not add up in the current tallies of the window (flags, never refusals).

    Example: ceasefire tallies check --since 2026-02-16T00:00:00+00:00 --json
    """
    rows = _stored(db, since, until, current_only=True)
    found = [(r.tally, f) for r in rows for f in r.flags]
    if as_json:
        print_json([{"issuer": t.issuer, "tally": t.id, **f.to_dict()} for t, f in found])
        return
    out.print(f"{len(rows)} tally(ies) checked, {len(found)} flag(s)")
    for t, f in found:
        out.print(f"{t.issuer} {t.id}: {f.check} ({f.field}, off by {f.size}): {f.message}")


def reconcile(
    db: DbOpt = DEFAULT_DB,
    since: SinceOpt = None,
    until: UntilOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Set each attack's accounts side by side and against the mission's strikes by oblast.

    Example: ceasefire tallies reconcile --since 2026-02-16T16:00:00+00:00 --until 2026-02-17T07:00:00+00:00
    """
    from ceasefire.store.facade import Store
    from ceasefire.tallying import reconcile_window

    start, end = _window(since, until)
    with Store.open(db, create=False) as store:
        attacks = reconcile_window(store, local_operator(), start, end)
    if as_json:
        print_json([a.to_dict() for a in attacks])
        return
    if not attacks:
        out.print("no national tallies in the window")
    for attack in attacks:
        _print_attack(attack)


def _print_attack(attack: Any) -> None:
    issuers = sorted(attack.accounts)
    out.print(
        f"{attack.attacker}'s attack, {attack.window_from.isoformat()} to "
        f"{attack.window_to.isoformat()}: accounts of {', '.join(issuers)}"
    )
    figures = {i: attack.figures(attack.accounts[i]) for i in issuers}
    names = sorted({n for f in figures.values() for n in f})
    table = Table(box=box.SIMPLE)
    table.add_column("figure", no_wrap=True)
    for i in issuers:
        table.add_column(f"{i} ({attack.accounts[i].id})", justify="right", no_wrap=True)
    table.add_column("apart", justify="right")
    sizes: dict[str, list[str]] = {}
    for d in attack.differences:
        sizes.setdefault(d.figure, []).append("agree" if d.agrees else f"{d.size}")
    for n in names:
        cells = [str(figures[i][n]) if n in figures[i] else "" for i in issuers]
        table.add_row(n, *cells, ", ".join(sizes.get(n, [])))
    out.print(table)
    record = attack.record()
    by_oblast = ", ".join(f"{o} {k}" for o, k in record["by_oblast"].items()) or "none"
    out.print(f"mission's record: {record['strikes']} strike incident(s): {by_oblast}")
    for issuer, row in record["accounts"].items():
        if row["regions_only_in_account"] or row["regions_only_in_record"]:
            out.print(
                f"  {issuer}: regions only in its account: "
                f"{', '.join(row['regions_only_in_account']) or 'none'}; "
                f"only in the record: {', '.join(row['regions_only_in_record']) or 'none'}"
            )
        if "locations_hit_against_strikes" in row:
            d = row["locations_hit_against_strikes"]
            out.print(
                f"  {issuer}: {d['a_value']} locations hit against {d['b_value']} strikes recorded"
            )


def export(
    db: DbOpt = DEFAULT_DB,
    since: SinceOpt = None,
    until: UntilOpt = None,
    issuer: IssuerOpt = None,
    fmt: Annotated[
        str, typer.Option("--format", help="jsonl (one tally a line) or csv (one row a line).")
    ] = "jsonl",
    versions: Annotated[
        bool, typer.Option("--all", help="Also the versions a later tally superseded.")
    ] = False,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write here instead of to stdout.")
    ] = None,
) -> None:
    """Write tallies as JSON Lines or CSV, as `ceasefire tallies ingest` reads them back.

    Example: ceasefire tallies export --format csv --all -o tallies.csv --db var/demo.db
    """
    from ceasefire.errors import InputError, Problem
    from ceasefire.tallies.files import write_tallies

    if fmt not in ("jsonl", "csv"):
        raise InputError(Problem("option", "--format", f"must be jsonl or csv, got {fmt!r}"))
    rows = _stored(db, since, until, current_only=not versions, issuer=issuer)
    text = write_tallies([r.tally for r in rows], "csv" if fmt == "csv" else "jsonl")
    if output is None:
        sys.stdout.write(text)
    else:
        output.write_text(text, encoding="utf-8")
