"""The daily report's data: the records of one checkpoint -> the ``ceasefire-daily-report/1``
JSON object every format is rendered from (docs/report.md holds the shape).

The reporting day is the agreement's (:class:`~ceasefire.agreement.reporting.ReportingDay`): the
report of date D covers the day that *ends* at D's cutoff ("information as of 09:00 on 11
March"), and sets it against the day before. What a tier sees is decided by the one access
policy: :class:`~ceasefire.publish.visibility.Viewer` over the replayed records
(:class:`~ceasefire.report.records.Replayed`), at the instant the checkpoint was signed, so the
same checkpoint gives the same report whenever it is rebuilt.

Counting rules (each in one place below):

- an incident belongs to the day its window starts in (``observed_from``), as the harm roll-up
  files it;
- a violation counts on its incident's day, once per current (not superseded) judgement; those
  of incidents found unfounded or withdrawn count as ``dismissed`` only;
- the party held responsible is the incident's assessed perpetrator, else the party the rule
  names, else ``unattributed``;
- the hotline counts, as of the cutoff, what the parties owed for the asking messages sent in
  the day (a reply after the cutoff is not yet a reply).

Pure: the caller (:mod:`ceasefire.reporting`) reads the leaves and the checkpoint.
"""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Final
from zoneinfo import ZoneInfo

from ceasefire.agreement.model import Agreement
from ceasefire.agreement.reporting import ReportingDay
from ceasefire.counts import Count
from ceasefire.coverage import report_section
from ceasefire.errors import InputError, Problem
from ceasefire.hotline.rules import ASKING, Message, Progress, owers
from ceasefire.publish.access import Principal, may_read_message, report_tier
from ceasefire.publish.visibility import Viewer
from ceasefire.records import StoredIncident, StoredViolation
from ceasefire.report.records import Replayed
from ceasefire.tallies.model import read_tally
from ceasefire.tallies.reconcile import Attack, reconcile
from ceasefire.vocab import MEDIATOR, MISSION

FORMAT: Final = "ceasefire-daily-report/1"
#: The tiers a report is built for (a party's is ``party:<code>``).
MISSION_TIER: Final = "mission"
PUBLIC_TIER: Final = "public"
PARTY_PREFIX: Final = "party:"
UNATTRIBUTED: Final = "unattributed"
#: Incident statuses whose violations are dismissed: no event, or a person found none.
DISMISSED: Final = frozenset({"unfounded", "withdrawn"})
#: The families an account's figures are given for (:data:`ceasefire.tallies.reconcile.ACCOUNT_FAMILIES`).
_FAMILIES: Final = ("all", "drones", "missiles")


# -- tiers and days ----------------------------------------------------------------------------


def tier_principal(tier: str, parties: Iterable[str]) -> Principal:
    """The caller a tier reads as: the mission a monitor, ``party:XX`` party XX, ``public``
    the public. InputError for any other tier or an unknown party."""
    known = sorted(parties)
    if tier == MISSION_TIER:
        return Principal("report:mission", "monitor")
    if tier == PUBLIC_TIER:
        return Principal("report:public", "public")
    if tier.startswith(PARTY_PREFIX) and tier[len(PARTY_PREFIX) :] in known:
        code = tier[len(PARTY_PREFIX) :]
        return Principal(f"report:{tier}", "party", code)
    choices = ", ".join([MISSION_TIER, *(PARTY_PREFIX + p for p in known), PUBLIC_TIER])
    raise InputError(Problem("report", "tier", f"must be one of {choices}; got {tier!r}"))


def tier_of(principal: Principal) -> str:
    """The tier a caller reads (:func:`ceasefire.publish.access.report_tier`)."""
    return report_tier(principal)


def reporting_day(agreement: Agreement, cutoff: str | None = None) -> ReportingDay:
    """The agreement's reporting day, its end moved to ``cutoff`` (local ``HH:MM``) if given."""
    day = agreement.reporting
    if cutoff is None:
        return day
    try:
        if len(cutoff) != 5 or cutoff[2] != ":":
            raise ValueError
        ends = time.fromisoformat(cutoff)
    except ValueError:
        raise InputError(
            Problem("report", "cutoff", f"must be a local time HH:MM, e.g. 19:30; got {cutoff!r}")
        ) from None
    return ReportingDay(ends, day.timezone)


def local_cutoff(agreement: Agreement, cutoff: datetime) -> str | None:
    """The ``--cutoff`` a report ending at ``cutoff`` (UTC) was built with: None for the
    agreement's own day end, else the local ``HH:MM``."""
    day = agreement.reporting
    local = cutoff.astimezone(ZoneInfo(day.timezone)).time().replace(second=0, microsecond=0)
    return None if local == day.day_ends else local.strftime("%H:%M")


def period(day: date, reporting: ReportingDay) -> tuple[datetime, datetime]:
    """The reporting day that ends at ``day``'s cutoff: (start, end), in UTC."""
    return reporting.starting(day - timedelta(days=1))


def _z(moment: datetime | str | None) -> str | None:
    """A time as the report writes it: UTC, seconds, ``Z``."""
    if moment is None:
        return None
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _when(view: Mapping[str, Any]) -> datetime:
    value = view["observed_from"]
    return value if isinstance(value, datetime) else datetime.fromisoformat(value)


def _in(view: Mapping[str, Any], span: tuple[datetime, datetime]) -> bool:
    return span[0] <= _when(view) < span[1]


# -- counts ------------------------------------------------------------------------------------


def _range(value: Any) -> dict[str, int | None]:
    """A count as ``{"low", "best", "high"}``: an exact number is all three; an interval
    (:class:`~ceasefire.counts.Count` JSON, ``min``/``max``) has no best (None), nor a
    high when unbounded; an estimate's missing parts are 0."""
    if value is None:
        return {"low": 0, "best": 0, "high": 0}
    if isinstance(value, int):
        return {"low": value, "best": value, "high": value}
    if "best" in value:
        return {k: int(value.get(k) or 0) for k in ("low", "best", "high")}
    low, high = value.get("low", value.get("min")), value.get("high", value.get("max"))
    return {"low": low, "best": low if low == high else None, "high": high}


def _held(view: Mapping[str, Any], violation: Mapping[str, Any]) -> str:
    """The party held responsible (see the module docstring)."""
    return str(view.get("assessed_perpetrator") or violation.get("party") or UNATTRIBUTED)


def _party_order(party: str) -> tuple[bool, str]:
    return party == UNATTRIBUTED, party


class _Day:
    """The visible incidents and violations of one span."""

    def __init__(
        self,
        viewer: Viewer,
        incidents: Sequence[StoredIncident],
        violations: Sequence[StoredViolation],
        span: tuple[datetime, datetime],
    ) -> None:
        rows = [s for s in incidents if _in(s.body, span)]
        self.incidents = [v for v in viewer.incidents(rows) if v is not None]
        seen = {v["id"]: v for v in self.incidents}
        mine = [v for v in violations if v.incident_id in seen]
        pairs = []
        for view in viewer.violations(mine):
            if view is not None and view["incident_id"] in seen:
                pairs.append((view, seen[view["incident_id"]]))
        self.dismissed = [(v, i) for v, i in pairs if i.get("status") in DISMISSED]
        self.violations = sorted(
            ((v, i) for v, i in pairs if i.get("status") not in DISMISSED),
            key=lambda p: (_when(p[1]), p[1]["id"], p[0]["rule"], p[0]["seq"]),
        )

    def by(self, key: Any) -> Counter[Any]:
        return Counter(key(v, i) for v, i in self.violations)


def _compare(now: Counter[Any], before: Counter[Any]) -> list[tuple[Any, int, int]]:
    return [(k, now.get(k, 0), before.get(k, 0)) for k in set(now) | set(before)]


# -- sections ------------------------------------------------------------------------------------


def _by_oblast(
    today: _Day, before: _Day, observed: Mapping[str, float | None]
) -> list[dict[str, Any]]:
    rows = _compare(today.by(lambda v, i: i.get("oblast")), before.by(lambda v, i: i.get("oblast")))
    names = {k for k, _, _ in rows} | set(observed)
    counts = {k: (n, p) for k, n, p in rows}
    out = []
    for name in sorted(names, key=lambda k: (k is None, k or "")):
        n, p = counts.get(name, (0, 0))
        out.append(
            {"oblast": name, "count": n, "previous": p, "observed": observed.get(name or "")}
        )
    return out


def _by_party(today: _Day, before: _Day) -> list[dict[str, Any]]:
    rows = _compare(today.by(_held_of), before.by(_held_of))
    return [
        {"party": k, "count": n, "previous": p}
        for k, n, p in sorted(rows, key=lambda r: _party_order(r[0]))
    ]


def _held_of(v: Mapping[str, Any], i: Mapping[str, Any]) -> str:
    return _held(i, v)


def _by_rule(today: _Day, before: _Day) -> list[dict[str, Any]]:
    def key(v: Mapping[str, Any], i: Mapping[str, Any]) -> tuple[str, str | None]:
        return v["rule"], i.get("weapon_class")

    rows = _compare(today.by(key), before.by(key))
    return [
        {"rule": k[0], "weapon_class": k[1], "count": n, "previous": p}
        for k, n, p in sorted(rows, key=lambda r: (r[0][0], r[0][1] is None, r[0][1] or ""))
    ]


def _verification(today: _Day) -> dict[str, int]:
    status = Counter(i.get("status") for _, i in today.violations)
    return {
        "verified": status["verified"],
        "corroborated": status["corroborated"],
        "reported": status["reported"],
        "disputed": status["disputed"],
        "dismissed": len(today.dismissed),
    }


def _zones(agreement: Agreement, today: _Day) -> list[dict[str, Any]]:
    """The day's violations of a zone (the DMZ, a withdrawal zone): one row per zone the judge
    found the incident inside of (the violation's ``zones_hit``)."""
    kinds = {z.name: z.kind for z in agreement.zones}
    out = []
    for v, i in today.violations:
        for name in (v.get("facts") or {}).get("zones_hit") or ():
            kind = kinds.get(name)
            if kind not in ("dmz", "withdrawal"):
                continue
            out.append(
                {
                    "incident": i["id"],
                    "zone": name,
                    "zone_kind": kind,
                    "weapon_class": i.get("weapon_class"),
                    "party": _held(i, v),
                    "at": _z(i["observed_from"]),
                    "status": i.get("status"),
                }
            )
    return sorted(out, key=lambda r: (r["at"], r["incident"], r["zone"]))


def _account(attack: Attack, issuer: str) -> dict[str, Any]:
    tally = attack.accounts[issuer]
    figures = attack.figures(tally)
    row: dict[str, Any] = {"issuer": issuer, "tally": tally.id}
    for name in ("launched", "destroyed", "hit"):
        row[name] = {f: _json(figures.get(f"{f}.{name}")) for f in _FAMILIES}
    count = _json(tally.regions_count)
    row["regions"] = count if count is not None else len(tally.regions)
    return row


def _json(value: Count | None) -> int | dict[str, int | None] | None:
    """A tally's figure: a number, or an interval as ``{"low", "best": None, "high"}``."""
    if value is None:
        return None
    return value.low if value.is_exact else {"low": value.low, "best": None, "high": value.high}


def _strikes(
    replayed: Replayed, tier: str, span: tuple[datetime, datetime]
) -> list[dict[str, Any]]:
    """Each attack whose tallies' window starts in the day: every issuer's account and the
    figures on which any two accounts do not meet. The public reads no tallies."""
    if tier == PUBLIC_TIER or not replayed.tallies:
        return []
    tallies = [read_tally(t, where="tally leaf") for t in replayed.tallies]
    out = []
    for attack in reconcile(tallies):
        if not span[0] <= attack.window_from < span[1]:
            continue
        differing: dict[str, dict[str, Any]] = {}
        for d in attack.differences:
            if d.agrees:
                continue
            values = differing.setdefault(d.figure, {})
            values[d.a], values[d.b] = _json(d.a_value), _json(d.b_value)
        out.append(
            {
                "attack": attack.attacker,
                "window": {"start": _z(attack.window_from), "end": _z(attack.window_to)},
                "accounts": [_account(attack, i) for i in sorted(attack.accounts)],
                "differences": [
                    {"field": _field(f), "values": dict(sorted(v.items()))}
                    for f, v in sorted(differing.items(), key=lambda kv: _field(kv[0]))
                ],
            }
        )
    return sorted(out, key=lambda s: (s["window"]["start"], s["attack"]))


def _field(figure: str) -> str:
    """``drones.launched`` as the contract names it: ``launched.drones``."""
    family, _, name = figure.partition(".")
    return f"{name}.{family}" if family in _FAMILIES and name else figure


def _harm(
    viewer: Viewer, incidents: Sequence[StoredIncident], reporting: ReportingDay
) -> dict[str, Any]:
    rolled = viewer.harm(incidents, by="oblast", reporting=reporting)
    total = rolled["total"]
    shown = [v for v in viewer.incidents(incidents) if v is not None]
    utilities: dict[str | None, set[str]] = {}
    for v in shown:
        for u in (v.get("harm") or {}).get("utilities") or ():
            utilities.setdefault(v.get("oblast"), set()).add(u)
    people = []
    for group in rolled["groups"]:
        if group.get("people_affected") is None:
            continue
        without = sorted(utilities.get(group["key"], ()))
        people.append(
            {
                "oblast": group["key"],
                "what": "without " + ", ".join(without) if without else "affected",
                "count": _range(group["people_affected"]),
            }
        )
    return {
        "killed": _range(total["killed"]),
        "injured": _range(total["injured"]),
        "by_oblast": [
            {"oblast": g["key"], "killed": _range(g["killed"]), "injured": _range(g["injured"])}
            for g in rolled["groups"]
            if any(g[k].get("best") or g[k].get("high") for k in ("killed", "injured"))
        ],
        "infrastructure": [
            {"category": c, "count": n} for c, n in sorted(total["infrastructure"].items())
        ],
        "people_affected": people,
    }


def _minutes(values: list[float]) -> float | None:
    return None if not values else round(statistics.median(values), 1)


def _seen(moment: datetime | None, cutoff: datetime) -> datetime | None:
    """A reply as of the cutoff: one made later is not made yet."""
    return moment if moment is not None and moment <= cutoff else None


def _denials(messages: Sequence[Message], span: tuple[datetime, datetime]) -> list[dict[str, Any]]:
    """Access requests denied in the day, with who denied, where and why."""
    by_id = {m.id: m for m in messages}
    out = []
    for m in messages:
        asked = by_id.get(m.in_reply_to or "")
        if (
            m.kind != "response"
            or m.position != "denied"
            or asked is None
            or asked.kind != "request"
            or asked.topic != "access"
            or not span[0] <= m.sent_at < span[1]
        ):
            continue
        place = asked.place
        out.append(
            {
                "at": _z(m.sent_at),
                "by": m.sender,
                "place": None
                if not place
                else f"{float(place['lat']):.3f} N {float(place['lon']):.3f} E",
                "reason": m.reasons or "",
            }
        )
    return sorted(out, key=lambda r: (r["at"], r["by"], r["place"] or ""))


def _hotline(
    replayed: Replayed, caller: Principal, span: tuple[datetime, datetime]
) -> dict[str, Any]:
    """The day's hotline as of the cutoff (see the module docstring); a party's of the
    messages it may read and its own replies; nothing for the public, which has no part."""
    n: Counter[str] = Counter()
    ack: list[float] = []
    answer: list[float] = []
    messages = [] if caller.role == "public" else [
        m for m in replayed.messages if may_read_message(caller, m)
    ]  # fmt: skip
    cutoff = span[1]
    for m in messages:
        if m.kind not in ASKING or not span[0] <= m.sent_at < span[1]:
            continue
        if m.kind == "notification":
            n["notifications"] += 1
        got = replayed.progress.get(m.id, {})
        for party in owers(m):
            if party in (MISSION, MEDIATOR) or (caller.party and party != caller.party):
                continue
            p = got.get(party, Progress())
            acked, answered = _seen(p.acknowledged_at, cutoff), _seen(p.answered_at, cutoff)
            if acked is not None:
                n["acknowledged"] += 1
                ack.append((acked - m.sent_at).total_seconds() / 60)
            if answered is not None:
                n["answered"] += 1
                answer.append((answered - m.sent_at).total_seconds() / 60)
            late_ack = acked is None and m.ack_due is not None and cutoff > m.ack_due
            late_answer = answered is None and m.answer_due is not None and cutoff > m.answer_due
            if late_ack or late_answer:
                n["overdue"] += 1
            if p.level > 0:
                n["escalations"] += 1
    return {
        **{
            k: n[k] for k in ("notifications", "acknowledged", "answered", "overdue", "escalations")
        },
        "median_minutes_to_acknowledge": _minutes(ack),
        "median_minutes_to_answer": _minutes(answer),
        "access_denied": _denials(messages, span),
    }


#: What a coverage row may say outside the mission's tier: never where a sensor stands or
#: where it looks (its footprint), nor a patrol's route.
_SHARED_SENSOR_KEYS: Final = ("sensor", "status", "start", "end", "oblast")
_SHARED_RESTRICTION_KEYS: Final = ("at", "place", "oblast", "by", "reason", "source")


def _coverage(
    replayed: Replayed, caller: Principal, span: tuple[datetime, datetime], agreement: Agreement
) -> dict[str, Any]:
    """The coverage section of the tier: built from the coverage leaves and the hotline
    messages the caller may read; outside the mission's tier its rows keep only what the
    contract names (no sensor position, footprint or patrol route)."""
    records = [
        (kind, record)
        for kind, record in replayed.coverage_records
        if kind != "hotline_message" or may_read_message(caller, record)
    ]
    section = report_section(records, span[0], span[1], agreement)
    if caller.sees_all:
        return section
    return {
        **section,
        "sensors_down": [
            {k: row.get(k) for k in _SHARED_SENSOR_KEYS} for row in section["sensors_down"]
        ],
        "restrictions": [
            {k: row.get(k) for k in _SHARED_RESTRICTION_KEYS} for row in section["restrictions"]
        ],
    }


def _annex(today: _Day) -> list[dict[str, Any]]:
    out = []
    for v, i in today.violations:
        count = i.get("count") or {}
        out.append(
            {
                "incident": i["id"],
                "rule": v["rule"],
                "party": _held(i, v),
                "status": i.get("status"),
                "start": _z(i["observed_from"]),
                "end": _z(i["observed_to"]),
                "oblast": i.get("oblast"),
                "place": i.get("place_name"),
                "lon": i.get("lon"),
                "lat": i.get("lat"),
                "event_type": i.get("event_type"),
                "weapon_class": i.get("weapon_class"),
                "count": count.get("best") if isinstance(count, Mapping) else count,
                "sources": i.get("n_sources"),
            }
        )
    return out


def _reports(
    replayed: Replayed, caller: Principal, in_day: Sequence[StoredIncident], today: _Day
) -> int:
    """The reports behind the day's incidents (not retracted), as the tier reads them: every
    one for the mission, a party's own (also those in incidents it is not shown: its reports
    are its own to count), for the public the count each incident it reads states."""
    if caller.role == "public":
        return sum(int(i.get("n_reports") or 0) for i in today.incidents)
    members = {r for s in in_day for r in s.body.get("report_ids") or ()} - replayed.retracted
    if caller.party is not None:
        return len(replayed.reports_of(caller.party, members))
    return len(members)


def _coverage_line(coverage: Mapping[str, Any]) -> str:
    """What the mission could see, beside what it recorded: a zero means little without it."""
    seen = [r for r in coverage["by_oblast"] if r["observed"] is not None]
    shares = ", ".join(f"{r['oblast']} {100 * r['observed']:.1f}%" for r in seen)
    return (
        f"Observed: {shares or 'coverage unknown'} of the window; "
        f"{len(coverage['sensors_down'])} sensor outage(s), "
        f"{len(coverage['restrictions'])} restriction(s) of movement."
    )


def _summary(data: dict[str, Any], today: _Day, before: _Day, reports: int) -> dict[str, Any]:
    v = data["verification"]
    n, p = len(today.violations), len(before.violations)
    top = [r for r in data["violations_by_oblast"] if r["count"]]
    top.sort(key=lambda r: (-r["count"], r["oblast"] or ""))
    h, hot = data["harm"], data["hotline"]
    lines = [
        f"{n} violation(s) recorded in the reporting period ({p} in the one before), in "
        f"{len(today.incidents)} incident(s) from {reports} report(s).",
        "Most in " + ", ".join(f"{r['oblast'] or 'no oblast'} ({r['count']})" for r in top[:3])
        + "." if top else "No oblast has a violation recorded.",
        "By party held responsible: "
        + (", ".join(f"{r['party']} {r['count']}" for r in data["violations_by_party"]
                     if r["count"]) or "none")
        + ".",
        f"{v['verified']} verified, {v['corroborated']} corroborated, {v['reported']} only "
        f"reported; {v['dismissed']} dismissed.",
        f"{len(data['zones'])} sighting(s) inside the DMZ or a withdrawal zone.",
        f"{len(data['strikes'])} strike tally comparison(s).",
        f"Casualties: {h['killed']['best']} killed, {h['injured']['best']} injured (best "
        "estimates).",
        f"Hotline: {hot['notifications']} notification(s), {hot['overdue']} overdue, "
        f"{len(hot['access_denied'])} access request(s) denied.",
        _coverage_line(data["coverage"]),
    ]  # fmt: skip
    return {
        "lines": lines,
        "reports": reports,
        "incidents": len(today.incidents),
        "violations": n,
        "previous_violations": p,
        "verified": v["verified"],
        "corroborated": v["corroborated"],
        "reported": v["reported"],
    }


def build(
    replayed: Replayed,
    agreement: Agreement,
    *,
    day: date,
    tier: str,
    checkpoint: Mapping[str, Any],
    cutoff: str | None = None,
) -> dict[str, Any]:
    """The report of ``day`` for ``tier`` from the checkpoint's records.

    ``checkpoint`` is ``{"origin", "size", "root" (base64), "signed_at" (datetime)}``; what
    the public and a party see is decided at ``signed_at`` (the public reads a release only
    once its delay has passed then)."""
    caller = tier_principal(tier, agreement.parties)
    reporting = reporting_day(agreement, cutoff)
    span = period(day, reporting)
    prior = period(day - timedelta(days=1), reporting)
    signed_at = checkpoint["signed_at"]
    viewer = Viewer(caller, replayed, now=signed_at)
    live = replayed.live_incidents(prior[0], span[1])
    current = replayed.current_violations([s.incident_id for s in live])
    today = _Day(viewer, live, current, span)
    before = _Day(viewer, live, current, prior)
    coverage = _coverage(replayed, caller, span, agreement)
    observed = {r["oblast"]: r["observed"] for r in coverage["by_oblast"]}
    in_day = [s for s in live if _in(s.body, span)]
    local = span[1].astimezone(ZoneInfo(reporting.timezone))
    data: dict[str, Any] = {
        "format": FORMAT,
        "date": day.isoformat(),
        "tier": tier,
        "cutoff": _z(span[1]),
        "cutoff_local": f"{local:%Y-%m-%d %H:%M} {reporting.timezone}",
        "period": {"start": _z(span[0]), "end": _z(span[1])},
        "previous": {"start": _z(prior[0]), "end": _z(prior[1])},
        "agreement": {"id": agreement.id, "version": agreement.version, "title": agreement.title},
        "checkpoint": {
            "origin": checkpoint["origin"],
            "size": int(checkpoint["size"]),
            "root": checkpoint["root"],
            "signed_at": _z(signed_at),
        },
        "violations_by_oblast": _by_oblast(today, before, observed),
        "violations_by_party": _by_party(today, before),
        "violations_by_rule": _by_rule(today, before),
        "verification": _verification(today),
        "zones": _zones(agreement, today),
        "strikes": _strikes(replayed, tier, span),
        "harm": _harm(viewer, in_day, reporting),
        "hotline": _hotline(replayed, caller, span),
        "coverage": coverage,
        "annex": _annex(today),
    }
    summary = _summary(data, today, before, _reports(replayed, caller, in_day, today))
    # The contract's order: summary first (a dict keeps insertion order; canonical JSON sorts
    # keys anyway, the renderers follow the contract's order).
    return {**{k: data[k] for k in list(data)[:9]}, "summary": summary,
            **{k: data[k] for k in list(data)[9:]}}  # fmt: skip
