"""Incidents: ``fuse``, ``incidents``, ``incident``, ``verify``, ``violations``."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import typer
import typer.core
from rich import box
from rich.table import Table

from ceasefire.cli._common import (
    DEFAULT_DB,
    AgreementOpt,
    DbOpt,
    JsonOpt,
    LimitOpt,
    SinceOpt,
    StatusOpt,
    TypeOpt,
    UntilOpt,
    km,
    limit_for,
    list_table,
    load_agreement,
    out,
    parse_time,
    print_json,
    progress,
    zones_short,
)


def fuse(
    db: DbOpt = DEFAULT_DB,
    agreement: Annotated[
        list[Path] | None,
        typer.Option(
            "--agreement",
            help="Agreement YAML; repeat for several versions (default: the demo agreement).",
        ),
    ] = None,
    corroboration: Annotated[
        int, typer.Option(help="Independent sources it takes to call an incident corroborated.")
    ] = 2,
    as_json: JsonOpt = False,
) -> None:
    """Fuse the stored reports into incidents, judge them against the agreement, and save both.

    Incidents keep their ids from run to run; statuses set by a person are never changed.

    Example: ceasefire fuse --db monitoring.db --agreement v1.yaml --agreement v2.yaml
    """
    from ceasefire.pipeline import fuse_store
    from ceasefire.store.facade import Store

    agreements = [load_agreement(p) for p in agreement] if agreement else [load_agreement(None)]
    with Store.open(db, create=False) as store, progress(not as_json) as bar:
        result = fuse_store(store, agreements, corroboration=corroboration, progress=bar)
    if as_json:
        print_json(result.to_dict())
    else:
        out.print(result.render())


def incidents(
    db: DbOpt = DEFAULT_DB,
    since: SinceOpt = None,
    until: UntilOpt = None,
    event_type: TypeOpt = None,
    status: StatusOpt = None,
    zone: Annotated[str | None, typer.Option(help="Zone name, e.g. dmz.")] = None,
    side: Annotated[str | None, typer.Option(help="Side of the line: left or right.")] = None,
    party: Annotated[
        str | None,
        typer.Option(
            help="Party code: on its side, assessed its doing, or a violation held to it."
        ),
    ] = None,
    limit: LimitOpt = None,
    include_merged: Annotated[
        bool, typer.Option("--all", help="Also list incidents merged into others.")
    ] = False,
    as_json: JsonOpt = False,
) -> None:
    """List fused incidents in order of observation, with filters.

    Example: ceasefire incidents --status corroborated --zone dmz --since 2026-03-10T18:00:00+00:00
    """
    from ceasefire.store.facade import Store

    with Store.open(db, create=False) as store:
        f: dict[str, Any] = {
            "since": parse_time(since, "since"),
            "until": parse_time(until, "until"),
            "event_type": event_type,
            "status": status,
            "zone": zone,
            "side": side,
            "party": party,
            "include_merged": include_merged,
        }
        rows = store.list_incidents(**f, limit=limit_for(limit, as_json))
        total = store.count_incidents(**f)
    if as_json:
        print_json([r.to_dict() for r in rows])
        return
    table = list_table(f"{len(rows)} of {total} incident(s)")
    # In 80 columns the oblast gives way and long event and zone names are cut (ids, status and
    # numbers never are); --json and `ceasefire incident` have everything.
    wide = out.width >= 110
    cut = {"event": None if wide else 11, "zones": None if wide else 13}
    for col in ("id", "UTC", "event", "status", "src/rep", "side km", "zones", "oblast")[
        : 8 if wide else 7
    ]:
        table.add_column(col, no_wrap=True, max_width=cut.get(col))
    for r in rows:
        inc = r.incident
        status_text = r.status if r.merged_into is None else f"> {r.merged_into}"
        cells = [
            r.incident_id,
            inc.observed_from.astimezone(UTC).strftime("%m-%d %H:%M"),
            inc.event_type,
            status_text,
            f"{len(inc.sources)}/{len(inc.report_ids)}",
            f"{inc.party or inc.side or '?'} {km(inc.distance_m)}".strip(),
            zones_short(inc.zones),
            inc.oblast or "",
        ]
        table.add_row(*cells[: 8 if wide else 7])
    out.print(table)


def incident(
    incident_id: Annotated[str, typer.Argument(help="Incident id, e.g. INC-000042.")],
    db: DbOpt = DEFAULT_DB,
    as_json: JsonOpt = False,
) -> None:
    """Show one incident: its fused facts, member reports, status history and violations.

    Example: ceasefire incident INC-000042 --db monitoring.db
    """
    from ceasefire.harm import describe
    from ceasefire.store.facade import Store

    with Store.open(db, create=False) as store:
        record = store.incident_record(incident_id)
    if as_json:
        print_json(record.to_dict())
        return
    s = record.incident
    inc = s.incident
    span = f"{inc.observed_from.astimezone(UTC):%Y-%m-%d %H:%M}-{inc.observed_to.astimezone(UTC):%H:%M}"
    lines = [
        f"{s.incident_id}  {inc.event_type}  {s.status}"
        + (f" (merged into {s.merged_into})" if s.merged_into else ""),
        f"  observed   {span} UTC",
        f"  place      {inc.lon:.4f}, {inc.lat:.4f} +- {inc.uncertainty_m:,.0f} m "
        f"({inc.place_precision})",
        f"  side       {inc.party or inc.side or '?'}, {km(inc.distance_m) or '?'} km from the line"
        + (f", zones {', '.join(inc.zones)}" if inc.zones else "")
        + (f", {inc.oblast}" if inc.oblast else ""),
        f"  sources    {len(inc.sources)}: {', '.join(inc.sources)}",
    ]
    harm = describe(s.to_dict())
    if harm:
        lines.append(f"  harm       {harm}")
    if s.assessed_perpetrator:
        lines.append(f"  assessed   {s.assessed_perpetrator} ({s.assessed_basis})")
    out.print("\n".join(lines))
    table = Table(title=f"{len(record.reports)} member report(s)", box=box.SIMPLE_HEAD)
    for col in ("id", "observed (UTC)", "source", "by", "event", "notes"):
        table.add_column(col, no_wrap=col != "notes")
    for r in record.reports:
        rep = r.report
        table.add_row(
            rep.id,
            rep.observed_from.astimezone(UTC).strftime("%m-%d %H:%M"),
            rep.source_kind + (f" {rep.source_name}" if rep.source_name else ""),
            rep.submitted_by,
            rep.event_type,
            rep.notes or "",
        )
    out.print(table)
    out.print("status history:")
    for h in record.history:
        who = h.actor + (" (automatic)" if h.automatic else "")
        perp = f"; perpetrator {h.assessed_perpetrator} ({h.perpetrator_basis})"
        out.print(
            f"  {h.at.astimezone(UTC):%Y-%m-%d %H:%M} {h.from_status or '-'} -> {h.to_status}"
            f" by {who}: {h.basis}" + (perp if h.assessed_perpetrator else "")
        )
    out.print("violations:" if record.violations else "violations: none")
    for v in record.violations:
        gone = f" (superseded {v.superseded_at:%Y-%m-%d %H:%M})" if v.superseded_at else ""
        out.print(
            f"  {v.rule} under {v.agreement_id} v{v.agreement_version}, "
            f"party {v.party or 'not established'}{gone}"
        )


def verify(
    incident_id: Annotated[str, typer.Argument(help="Incident id, e.g. INC-000042.")],
    status: Annotated[str, typer.Option(help="verified, disputed or unfounded.")],
    basis: Annotated[str, typer.Option(help="Why: what was seen, checked or found.")],
    by: Annotated[str, typer.Option("--by", help="Who decides (a monitor's name).")],
    perpetrator: Annotated[
        str | None, typer.Option(help="Party assessed responsible, e.g. RU.")
    ] = None,
    perpetrator_basis: Annotated[
        str | None,
        typer.Option(
            help="What the perpetrator rests on: direction_of_fire, crater_analysis, claim, "
            "imagery or other."
        ),
    ] = None,
    db: DbOpt = DEFAULT_DB,
    agreement: AgreementOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Record a monitor's decision on an incident, with who, why and any perpetrator.

    Nobody verifies an incident whose only evidence is their own report (four eyes).

    Example: ceasefire verify INC-000042 --status verified --basis "crater seen on site" --by "J. Doe"
    """
    from ceasefire.store.facade import Store

    parties = load_agreement(agreement).party_codes
    with Store.open(db, create=False) as store:
        change = store.set_status(
            incident_id,
            status=status,
            actor=by,
            basis=basis,
            at=datetime.now(UTC),
            assessed_perpetrator=perpetrator,
            perpetrator_basis=perpetrator_basis,
            parties=parties,
        )
    if as_json:
        print_json(change.to_dict())
        return
    perp = (
        f"; perpetrator {change.assessed_perpetrator} ({change.perpetrator_basis})"
        if change.assessed_perpetrator
        else ""
    )
    out.print(
        f"{change.incident_id}: {change.from_status} -> {change.to_status} by {change.actor} "
        f"at {change.at.astimezone(UTC):%Y-%m-%d %H:%M} UTC: {change.basis}{perp}"
    )


def violations(
    db: DbOpt = DEFAULT_DB,
    incident_id: Annotated[str | None, typer.Option("--incident", help="Incident id.")] = None,
    rule: Annotated[str | None, typer.Option(help="Rule (prohibited act) code.")] = None,
    party: Annotated[str | None, typer.Option(help="Party held responsible, e.g. RU.")] = None,
    since: SinceOpt = None,
    until: UntilOpt = None,
    limit: LimitOpt = None,
    include_superseded: Annotated[
        bool, typer.Option("--all", help="Also list judgements replaced by later ones.")
    ] = False,
    as_json: JsonOpt = False,
) -> None:
    """List violations: incidents judged to break a rule of the agreement.

    Example: ceasefire violations --party RU --since 2026-03-10T00:00:00+00:00 --json
    """
    from ceasefire.store.facade import Store

    with Store.open(db, create=False) as store:
        f: dict[str, Any] = {
            "incident_id": incident_id,
            "rule": rule,
            "party": party,
            "since": parse_time(since, "since"),
            "until": parse_time(until, "until"),
            "include_superseded": include_superseded,
        }
        rows = store.list_violations(**f, limit=limit_for(limit, as_json))
        total = store.count_violations(**f)
    if as_json:
        print_json([v.to_dict() for v in rows])
        return
    table = list_table(f"{len(rows)} of {total} violation(s)")
    # In 80 columns the zone and distance give way (rule codes run to 30+ characters).
    wide = out.width >= 110
    names = ["incident", "UTC", "rule", "party", "ver", "state"]
    if wide:
        names[4:4] = ["zone", "km"]
    for col in names:
        table.add_column(col, no_wrap=True)
    for v in rows:
        seen = v.facts.get("observed_from")
        cells = [
            v.incident_id,
            "" if seen is None else f"{datetime.fromisoformat(seen).astimezone(UTC):%m-%d %H:%M}",
            v.rule,
            v.party or "?",
            f"v{v.agreement_version}",
            "current" if v.superseded_at is None else "superseded",
        ]
        if wide:
            cells[4:4] = [str(v.facts.get("zone") or ""), km(v.facts.get("distance_m"))]
        table.add_row(*cells)
    out.print(table)
