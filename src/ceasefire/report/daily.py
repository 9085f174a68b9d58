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
  the day (a reply after the cutoff is not yet a reply: :mod:`ceasefire.report.hotline`).

The tier and the span are :mod:`ceasefire.report.scope`'s; the sections drawn from other parts
of the record have modules of their own: strikes and harm (:mod:`ceasefire.report.harm`), the
hotline (:mod:`ceasefire.report.hotline`) and coverage (:mod:`ceasefire.report.coverage`).

Pure: the caller (:mod:`ceasefire.reporting`) reads the leaves and the checkpoint.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from datetime import date, datetime, timedelta
from typing import Any, Final
from zoneinfo import ZoneInfo

from ceasefire.agreement.model import Agreement
from ceasefire.publish.access import Principal
from ceasefire.publish.visibility import Viewer
from ceasefire.records import StoredIncident, StoredViolation
from ceasefire.report.coverage import coverage_line, coverage_section
from ceasefire.report.harm import harm_section, strikes_section
from ceasefire.report.hotline import hotline_section
from ceasefire.report.records import Replayed
from ceasefire.report.scope import period, reporting_day, tier_principal, utc_text

FORMAT: Final = "ceasefire-daily-report/1"
UNATTRIBUTED: Final = "unattributed"
#: Incident statuses whose violations are dismissed: no event, or a person found none.
DISMISSED: Final = frozenset({"unfounded", "withdrawn"})


# -- days ------------------------------------------------------------------------------------


def _when(view: Mapping[str, Any]) -> datetime:
    value = view["observed_from"]
    return value if isinstance(value, datetime) else datetime.fromisoformat(value)


def _in(view: Mapping[str, Any], span: tuple[datetime, datetime]) -> bool:
    return span[0] <= _when(view) < span[1]


# -- counts ------------------------------------------------------------------------------------


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
                    "at": utc_text(i["observed_from"]),
                    "status": i.get("status"),
                }
            )
    return sorted(out, key=lambda r: (r["at"], r["incident"], r["zone"]))


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
                "start": utc_text(i["observed_from"]),
                "end": utc_text(i["observed_to"]),
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
        coverage_line(data["coverage"]),
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
    coverage = coverage_section(replayed, caller, span, agreement)
    observed = {r["oblast"]: r["observed"] for r in coverage["by_oblast"]}
    in_day = [s for s in live if _in(s.body, span)]
    local = span[1].astimezone(ZoneInfo(reporting.timezone))
    data: dict[str, Any] = {
        "format": FORMAT,
        "date": day.isoformat(),
        "tier": tier,
        "cutoff": utc_text(span[1]),
        "cutoff_local": f"{local:%Y-%m-%d %H:%M} {reporting.timezone}",
        "period": {"start": utc_text(span[0]), "end": utc_text(span[1])},
        "previous": {"start": utc_text(prior[0]), "end": utc_text(prior[1])},
        "agreement": {"id": agreement.id, "version": agreement.version, "title": agreement.title},
        "checkpoint": {
            "origin": checkpoint["origin"],
            "size": int(checkpoint["size"]),
            "root": checkpoint["root"],
            "signed_at": utc_text(signed_at),
        },
        "violations_by_oblast": _by_oblast(today, before, observed),
        "violations_by_party": _by_party(today, before),
        "violations_by_rule": _by_rule(today, before),
        "verification": _verification(today),
        "zones": _zones(agreement, today),
        "strikes": strikes_section(replayed, tier, span),
        "harm": harm_section(viewer, in_day, reporting),
        "hotline": hotline_section(replayed, caller, span),
        "coverage": coverage,
        "annex": _annex(today),
    }
    summary = _summary(data, today, before, _reports(replayed, caller, in_day, today))
    # The contract's order: summary first (a dict keeps insertion order; canonical JSON sorts
    # keys anyway, the renderers follow the contract's order).
    return {**{k: data[k] for k in list(data)[:9]}, "summary": summary,
            **{k: data[k] for k in list(data)[9:]}}  # fmt: skip
