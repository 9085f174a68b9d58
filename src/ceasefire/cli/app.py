"""The ``ceasefire`` command line: a thin layer over the library.

Each command parses its options, makes one library call and formats the result (a Rich table
for people, ``--json`` for programs). Library errors (:class:`CeasefireError`) are turned into one
clear message and exit status 1 in exactly one place, :class:`_Group.invoke`.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import click
import typer
import typer.core
from rich import box
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from ceasefire.errors import AgreementError, CeasefireError, InputError

MAX_PROBLEMS_SHOWN = 20


class _Group(typer.core.TyperGroup):
    """Turns every CeasefireError into one clean message; nothing else is caught.

    With ``--json`` the error is a JSON object on stdout (``error``, ``problems``) for the
    program that asked, still with exit status 1.
    """

    def invoke(self, ctx: click.Context) -> Any:
        wants_json = "--json" in ctx.args  # the sub-command's own tokens, not parsed yet
        try:
            return super().invoke(ctx)
        except CeasefireError as e:
            problems = e.problems if isinstance(e, InputError) else ()
            if wants_json:
                _print_json({"error": str(e), "problems": [vars(p) for p in problems]})
                raise click.exceptions.Exit(1) from e
            if not problems:
                raise click.ClickException(str(e)) from e
            lines = [str(p) for p in problems[:MAX_PROBLEMS_SHOWN]]
            if len(problems) > MAX_PROBLEMS_SHOWN:
                lines.append(f"... and {len(problems) - MAX_PROBLEMS_SHOWN} more")
            stored = "" if isinstance(e, AgreementError) else "; nothing was stored"
            lines.append(f"{len(problems)} problem(s){stored}.")
            raise click.ClickException("\n".join(lines)) from e


app = typer.Typer(
    cls=_Group,
    help="Ceasefire monitoring and verification.\n\nExample: ceasefire demo",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)
agreement_app = typer.Typer(
    cls=_Group,
    help="Inspect and check agreement files.\n\nExample: ceasefire agreement check agreement.yaml",
    no_args_is_help=True,
    rich_markup_mode=None,
)
app.add_typer(agreement_app, name="agreement")

out = Console(markup=False, highlight=False)  # user data may contain [brackets]
err = Console(stderr=True, markup=False, highlight=False)

DbOpt = Annotated[
    str,
    typer.Option(
        "--db",
        envvar="CEASEFIRE_DATABASE_URL",
        help="SQLite file or database URL (env CEASEFIRE_DATABASE_URL).",
    ),
]
AgreementOpt = Annotated[
    Path | None,
    typer.Option(
        "--agreement",
        envvar="CEASEFIRE_AGREEMENT",
        help="Agreement YAML file (default: the demo agreement).",
    ),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Machine-readable JSON output.")]
DEFAULT_DB = "ceasefire.db"


def _print_json(value: Any) -> None:
    sys.stdout.write(json.dumps(value, indent=2, ensure_ascii=False, default=str) + "\n")


@contextmanager
def _progress(enabled: bool) -> Iterator[Progress | None]:
    """A progress bar on a terminal; nothing when output is piped or JSON."""
    if not enabled or not err.is_terminal:
        yield None
        return
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err,
        transient=True,
    ) as bar:
        yield bar


def _load_agreement(path: Path | None) -> Any:
    from ceasefire.agreement.model import demo_agreement_path, load_agreement

    return load_agreement(path or demo_agreement_path())


def _list_table(title: str) -> Table:
    """The compact table every listing command prints (no outer padding, one space between)."""
    return Table(
        title=title, box=box.SIMPLE_HEAD, pad_edge=False, padding=(0, 1), collapse_padding=True
    )


def _parse_time(value: str | None, name: str) -> datetime | None:
    from ceasefire.query import parse_time

    return parse_time(value, name, where="command line")


def _parse_bbox(value: str | None) -> tuple[float, float, float, float] | None:
    from ceasefire.query import parse_bbox

    return parse_bbox(value, where="command line")


@app.command()
def init(db: DbOpt = DEFAULT_DB, as_json: JsonOpt = False) -> None:
    """Create or upgrade the database schema.

    Example: ceasefire init --db monitoring.db
    """
    from ceasefire.store.facade import Store

    store = Store.open(db)
    store.close()
    if as_json:
        _print_json({"db": db, "ok": True})
    else:
        out.print(f"database ready: {db}")


@app.command()
def ingest(
    files: Annotated[list[Path], typer.Argument(help="JSON Lines, CSV or GeoJSON files.")],
    db: DbOpt = DEFAULT_DB,
    agreement: AgreementOpt = None,
    skip_invalid: Annotated[
        bool, typer.Option("--skip-invalid", help="Store the good rows and list the bad ones.")
    ] = False,
    as_json: JsonOpt = False,
) -> None:
    """Validate reports, place them against the agreement and store them.

    A file with a bad row stores nothing unless --skip-invalid is given.

    Example: ceasefire ingest night.jsonl patrol.csv --db monitoring.db
    """
    from ceasefire.pipeline import ingest_files
    from ceasefire.store.facade import Store

    store = Store.open(db)
    try:
        with _progress(not as_json) as bar:
            result = ingest_files(
                store, files, _load_agreement(agreement), skip_invalid=skip_invalid, progress=bar
            )
    finally:
        store.close()
    if as_json:
        _print_json(result.to_dict())
        return
    out.print(
        f"{result.added} report(s) added, {result.unchanged} already stored, "
        f"{result.bad_rows} invalid row(s) skipped"
    )
    for p in result.problems[:MAX_PROBLEMS_SHOWN]:
        out.print(f"  skipped {p}")


_FILTER_HELP = {
    "since": "Observed at or after (ISO 8601 with offset).",
    "until": "Observed before (ISO 8601 with offset).",
    "event_type": "Event type, e.g. shelling.",
    "source_kind": "Source kind, e.g. patrol.",
    "submitted_by": "Submitter, e.g. UA.",
    "bbox": "lon_min,lat_min,lon_max,lat_max",
}


def _filters(
    since: str | None,
    until: str | None,
    event_type: str | None,
    source_kind: str | None,
    submitted_by: str | None,
    bbox: str | None,
) -> dict[str, Any]:
    return {
        "since": _parse_time(since, "since"),
        "until": _parse_time(until, "until"),
        "event_type": event_type,
        "source_kind": source_kind,
        "submitted_by": submitted_by,
        "bbox": _parse_bbox(bbox),
    }


SinceOpt = Annotated[str | None, typer.Option(help=_FILTER_HELP["since"])]
UntilOpt = Annotated[str | None, typer.Option(help=_FILTER_HELP["until"])]
TypeOpt = Annotated[str | None, typer.Option("--type", help=_FILTER_HELP["event_type"])]
KindOpt = Annotated[str | None, typer.Option("--source-kind", help=_FILTER_HELP["source_kind"])]
ByOpt = Annotated[str | None, typer.Option("--submitted-by", help=_FILTER_HELP["submitted_by"])]
BboxOpt = Annotated[str | None, typer.Option(help=_FILTER_HELP["bbox"])]


@app.command()
def reports(
    db: DbOpt = DEFAULT_DB,
    since: SinceOpt = None,
    until: UntilOpt = None,
    event_type: TypeOpt = None,
    source_kind: KindOpt = None,
    submitted_by: ByOpt = None,
    bbox: BboxOpt = None,
    limit: Annotated[int, typer.Option(help="At most this many rows.")] = 50,
    as_json: JsonOpt = False,
) -> None:
    """List stored reports in order of observation, with filters.

    Example: ceasefire reports --type shelling --since 2026-03-10T18:00:00+00:00 --json
    """
    from ceasefire.store.facade import Store

    store = Store.open(db)
    try:
        f = _filters(since, until, event_type, source_kind, submitted_by, bbox)
        rows = store.list_stored(**f, limit=limit)
        total = store.count_reports(**f)
    finally:
        store.close()
    if as_json:
        _print_json({"total": total, "reports": [r.to_dict() for r in rows]})
        return
    # Compact on purpose: ids and numbers never wrap; --json has every field.
    table = _list_table(f"{len(rows)} of {total} report(s)")
    for col in ("id", "observed (UTC)", "source", "event", "lon", "lat", "side", "km", "oblast"):
        table.add_column(col, no_wrap=True)
    for r in rows:
        d = r.to_dict()
        dist = d.get("distance_m")
        seen = r.report.observed_from.astimezone(UTC)
        table.add_row(
            str(d["id"]),
            seen.strftime("%m-%d %H:%M"),
            d["source_kind"] if d["source_kind"] != "party" else f"party {d['submitted_by']}",
            str(d["event_type"]),
            f"{d['lon']:.3f}",
            f"{d['lat']:.3f}",
            str(d.get("party") or ""),
            "" if dist is None else f"{dist / 1000:.1f}",
            str(d.get("oblast") or ""),
        )
    out.print(table)


@app.command()
def export(
    db: DbOpt = DEFAULT_DB,
    fmt: Annotated[str, typer.Option("--format", help="geojson or csv.")] = "geojson",
    output: Annotated[
        Path | None, typer.Option("--out", "-o", help="Output file (default: stdout).")
    ] = None,
    since: SinceOpt = None,
    until: UntilOpt = None,
    event_type: TypeOpt = None,
    source_kind: KindOpt = None,
    submitted_by: ByOpt = None,
    bbox: BboxOpt = None,
) -> None:
    """Export reports as GeoJSON (RFC 7946) or CSV, with their placement facts.

    Example: ceasefire export --format geojson --out reports.geojson
    """
    from ceasefire.publish.export import write_reports
    from ceasefire.store.facade import Store

    store = Store.open(db)
    try:
        f = _filters(since, until, event_type, source_kind, submitted_by, bbox)
        rows = store.list_stored(**f)
        if output is None:
            write_reports(rows, sys.stdout, fmt)
        else:
            with open(output, "w", encoding="utf-8", newline="") as fh:
                n = write_reports(rows, fh, fmt)
            err.print(f"{n} report(s) written to {output}")
    finally:
        store.close()


@agreement_app.command("show")
def agreement_show(
    file: Annotated[Path | None, typer.Argument(help="Agreement YAML (default: demo).")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Show an agreement: parties, sides, zones, deadlines.

    Example: ceasefire agreement show --json
    """
    from ceasefire.agreement.model import describe

    info = describe(_load_agreement(file))
    if as_json:
        _print_json(info)
        return
    import yaml  # nested zones and acts read best as YAML, the agreement's own format

    sys.stdout.write(yaml.safe_dump(info, sort_keys=False, allow_unicode=True, width=96))


@agreement_app.command("check")
def agreement_check(
    file: Annotated[Path, typer.Argument(help="Agreement YAML file to check.")],
    as_json: JsonOpt = False,
) -> None:
    """Check an agreement file; exit 1 and list every problem if it is not valid.

    Example: ceasefire agreement check my-agreement.yaml
    """
    from ceasefire.agreement.model import check_agreement

    problems = check_agreement(file)
    if as_json:
        _print_json(
            {"file": str(file), "ok": not problems, "problems": [vars(p) for p in problems]}
        )
    elif not problems:
        out.print(f"{file}: ok")
    else:
        for p in problems:
            err.print(str(p))
        err.print(f"{len(problems)} problem(s)")
    if problems:
        raise typer.Exit(1)


@agreement_app.command("zones")
def agreement_zones(
    file: Annotated[Path | None, typer.Argument(help="Agreement YAML (default: demo).")] = None,
    top: Annotated[int, typer.Option(help="Settlements listed per zone.")] = 10,
    as_json: JsonOpt = False,
) -> None:
    """Each zone's area and the settlements inside it (who lives in the DMZ).

    Example: ceasefire agreement zones --top 5
    """
    from ceasefire.agreement.model import zone_summaries
    from ceasefire.geo.gazetteer import load_gazetteer

    summaries = zone_summaries(_load_agreement(file), load_gazetteer())
    if as_json:
        _print_json([s.to_dict() for s in summaries])
        return
    table = Table(title="zones")
    for col in ("zone", "party", "area km²", "settlements", "population"):
        table.add_column(col, justify="left" if col in ("zone", "party") else "right")
    for s in summaries:
        d = s.to_dict()
        people = d["settlements"]
        table.add_row(
            d["zone"],
            d["party"] or "",
            f"{d['area_km2']:,.0f}",
            str(len(people)),
            f"{sum(p['population'] for p in people):,}",
        )
    out.print(table)
    for s in summaries:
        d = s.to_dict()
        largest = ", ".join(f"{p['name']} ({p['population']:,})" for p in d["settlements"][:top])
        out.print(f"{d['zone']} {d['party'] or ''}: {largest or 'no settlements'}")


@app.command()
def simulate(
    out_dir: Annotated[Path, typer.Option("--out", help="Folder for the output files.")] = Path(
        "sim"
    ),
    seed: Annotated[int, typer.Option(help="Random seed; same seed, same files.")] = 7,
    hours: Annotated[float, typer.Option(help="Length of the simulated night.")] = 12.0,
    n_reports: Annotated[
        int | None, typer.Option("--reports", help="Target number of reports (scale knob).")
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Simulate a night along the demo line: true events and noisy reports of them.

    Writes reports.jsonl and truth.jsonl (every report linked to its true event).

    Example: ceasefire simulate --seed 7 --out night/ && ceasefire ingest night/reports.jsonl
    """
    from ceasefire.sim import SimConfig, write_simulation

    out_dir.mkdir(parents=True, exist_ok=True)
    config = SimConfig(seed=seed, hours=hours, n_reports=n_reports)
    with _progress(not as_json) as bar:
        stats = write_simulation(
            config, out_dir / "reports.jsonl", out_dir / "truth.jsonl", progress=bar
        )
    if as_json:
        _print_json(stats.to_dict())
    else:
        out.print(stats.summary())


@app.command()
def demo(
    db: DbOpt = "var/demo.db",
    seed: Annotated[int, typer.Option(help="Seed of the simulated night.")] = 7,
    as_json: JsonOpt = False,
) -> None:
    """Load the demo scenario into a fresh database and summarise it.

    Example: ceasefire demo --db var/demo.db
    """
    from ceasefire.sim.demo import run_demo

    with _progress(not as_json) as bar:
        summary = run_demo(db, seed=seed, progress=bar)
    if as_json:
        _print_json(summary.to_dict())
    else:
        out.print(summary.render())


# -- incidents -------------------------------------------------------------------------------

StatusOpt = Annotated[
    str | None,
    typer.Option(help="Status: reported, corroborated, verified, disputed or unfounded."),
]


#: Rows a table shows when no --limit is given; --json gives every row unless limited.
TABLE_ROWS = 50
LimitOpt = Annotated[
    int | None,
    typer.Option(
        help=f"At most this many rows (default: {TABLE_ROWS} in the table, all with --json)."
    ),
]


def _limit(limit: int | None, as_json: bool) -> int | None:
    return limit if limit is not None or as_json else TABLE_ROWS


def _zones_short(zones: Sequence[str]) -> str:
    # The first zone and how many more: zones nest (the DMZ lies inside every withdrawal zone),
    # so the full list would wrap every row; --json and `ceasefire incident` give it whole.
    return "" if not zones else zones[0] + (f" +{len(zones) - 1}" if len(zones) > 1 else "")


def _km(metres: Any) -> str:
    return "" if metres is None else f"{metres / 1000:.1f}"


@app.command()
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

    agreements = [_load_agreement(p) for p in agreement] if agreement else [_load_agreement(None)]
    store = Store.open(db)
    try:
        with _progress(not as_json) as bar:
            result = fuse_store(store, agreements, corroboration=corroboration, progress=bar)
    finally:
        store.close()
    if as_json:
        _print_json(result.to_dict())
    else:
        out.print(result.render())


@app.command()
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

    store = Store.open(db)
    try:
        f: dict[str, Any] = {
            "since": _parse_time(since, "since"),
            "until": _parse_time(until, "until"),
            "event_type": event_type,
            "status": status,
            "zone": zone,
            "side": side,
            "party": party,
            "include_merged": include_merged,
        }
        rows = store.list_incidents(**f, limit=_limit(limit, as_json))
        total = store.count_incidents(**f)
    finally:
        store.close()
    if as_json:
        _print_json([r.to_dict() for r in rows])
        return
    table = _list_table(f"{len(rows)} of {total} incident(s)")
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
            f"{inc.party or inc.side or '?'} {_km(inc.distance_m)}".strip(),
            _zones_short(inc.zones),
            inc.oblast or "",
        ]
        table.add_row(*cells[: 8 if wide else 7])
    out.print(table)


@app.command()
def incident(
    incident_id: Annotated[str, typer.Argument(help="Incident id, e.g. INC-000042.")],
    db: DbOpt = DEFAULT_DB,
    as_json: JsonOpt = False,
) -> None:
    """Show one incident: its fused facts, member reports, status history and violations.

    Example: ceasefire incident INC-000042 --db monitoring.db
    """
    from ceasefire.store.facade import Store

    store = Store.open(db)
    try:
        record = store.incident_record(incident_id)
    finally:
        store.close()
    if as_json:
        _print_json(record.to_dict())
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
        f"  side       {inc.party or inc.side or '?'}, {_km(inc.distance_m) or '?'} km from the line"
        + (f", zones {', '.join(inc.zones)}" if inc.zones else "")
        + (f", {inc.oblast}" if inc.oblast else ""),
        f"  sources    {len(inc.sources)}: {', '.join(inc.sources)}",
    ]
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


@app.command()
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

    parties = tuple(_load_agreement(agreement).parties)
    store = Store.open(db)
    try:
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
    finally:
        store.close()
    if as_json:
        _print_json(change.to_dict())
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


@app.command()
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

    store = Store.open(db)
    try:
        f: dict[str, Any] = {
            "incident_id": incident_id,
            "rule": rule,
            "party": party,
            "since": _parse_time(since, "since"),
            "until": _parse_time(until, "until"),
            "include_superseded": include_superseded,
        }
        rows = store.list_violations(**f, limit=_limit(limit, as_json))
        total = store.count_violations(**f)
    finally:
        store.close()
    if as_json:
        _print_json([v.to_dict() for v in rows])
        return
    table = _list_table(f"{len(rows)} of {total} violation(s)")
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
            cells[4:4] = [str(v.facts.get("zone") or ""), _km(v.facts.get("distance_m"))]
        table.add_row(*cells)
    out.print(table)


# The ledger's commands live in their own module; registered last, as it imports this one.
from ceasefire.cli.ledger import ledger_app  # noqa: E402

app.add_typer(ledger_app, name="ledger")

from ceasefire.cli.hotline import hotline_app  # noqa: E402
from ceasefire.cli.users import users_app  # noqa: E402

app.add_typer(users_app, name="users")
app.add_typer(hotline_app, name="hotline")

from ceasefire.cli.serve import serve  # noqa: E402

app.command()(serve)


def main() -> None:
    app()
