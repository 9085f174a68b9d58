"""Reports in and out: ``init``, ``ingest``, ``reports``, ``export``."""

from __future__ import annotations

import sys
from collections.abc import Collection
from datetime import UTC
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
import typer.core

from ceasefire.cli._common import (
    DEFAULT_DB,
    MAX_PROBLEMS_SHOWN,
    MAX_REPORT_KB,
    AgreementOpt,
    BboxOpt,
    ByOpt,
    DbOpt,
    JsonOpt,
    KindOpt,
    MaxReportOpt,
    SinceOpt,
    TypeOpt,
    UntilOpt,
    err,
    filters,
    list_table,
    load_agreement,
    local_operator,
    out,
    print_json,
    progress,
)
from ceasefire.errors import InputError, Problem
from ceasefire.query import parse_time

if TYPE_CHECKING:
    from ceasefire.publish.access import Principal


def init(db: DbOpt = DEFAULT_DB, as_json: JsonOpt = False) -> None:
    """Create or upgrade the database schema.

    Example: ceasefire init --db monitoring.db
    """
    from ceasefire.store.facade import Store

    Store.open(db).close()
    if as_json:
        print_json({"db": db, "ok": True})
    else:
        out.print(f"database ready: {db}")


def ingest(
    files: Annotated[list[Path], typer.Argument(help="JSON Lines, CSV or GeoJSON files.")],
    db: DbOpt = DEFAULT_DB,
    agreement: AgreementOpt = None,
    skip_invalid: Annotated[
        bool, typer.Option("--skip-invalid", help="Store the good rows and list the bad ones.")
    ] = False,
    operator: Annotated[
        str | None,
        typer.Option(
            "--as",
            help="Who enters the reports, recorded with each (role admin); default: the OS user.",
        ),
    ] = None,
    max_report_kb: MaxReportOpt = MAX_REPORT_KB,
    format: Annotated[
        str | None,
        typer.Option("--format", help="jsonl, csv or geojson, whatever the files' extension."),
    ] = None,
    delimiter: Annotated[
        str | None,
        typer.Option("--delimiter", help="The CSV delimiter (';', tab, ...); default: detected."),
    ] = None,
    encoding: Annotated[
        str | None,
        typer.Option(
            "--encoding", help="The files' encoding (cp1251, utf-16, ...); default: detected."
        ),
    ] = None,
    profile: Annotated[
        str | None,
        typer.Option("--profile", help="Read CSV columns as a known file: acled, patrol."),
    ] = None,
    mapping_file: Annotated[
        Path | None,
        typer.Option("--mapping", help="A YAML or JSON file mapping CSV columns to report fields."),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Validate reports, place them against the agreement and store them.

    A file with a bad row stores nothing unless --skip-invalid is given. Whoever runs the
    command works for the mission: the reports are recorded (beside each and in its ledger
    leaf) as entered by the local operator, an admin named by --as or the OS user. A CSV
    file's encoding, delimiter and decimal mark are detected (Excel's semicolons and decimal
    commas, Windows-1251, UTF-16); --profile or --mapping reads other columns as reports'.

    Example: ceasefire ingest night.jsonl patrol.csv --db monitoring.db --as duty-officer

    Example: ceasefire ingest 2026-acled-ukraine.csv --profile acled --db monitoring.db
    """
    from ceasefire.errors import InputError, Problem
    from ceasefire.intake.mapping import load_mapping
    from ceasefire.intake.profiles import profile as named_profile
    from ceasefire.pipeline import ingest_files
    from ceasefire.store.facade import Store

    if profile is not None and mapping_file is not None:
        raise InputError(Problem("--mapping", "", "give --profile or --mapping, not both"))
    mapping = (
        named_profile(profile)
        if profile is not None
        else load_mapping(mapping_file)
        if mapping_file is not None
        else None
    )

    with Store.open(db) as store, progress(not as_json) as bar:
        result = ingest_files(
            store,
            files,
            load_agreement(agreement),
            entered_by=local_operator(operator),
            skip_invalid=skip_invalid,
            progress=bar,
            max_report_bytes=max_report_kb * 1024,
            format=format,
            delimiter=delimiter,
            encoding=encoding,
            mapping=mapping,
        )
    if as_json:
        print_json(result.to_dict())
        return
    out.print(
        f"{result.added} report(s) added, {result.unchanged} already stored, "
        f"{result.bad_rows} invalid row(s) skipped"
    )
    for p in result.problems[:MAX_PROBLEMS_SHOWN]:
        out.print(f"  skipped {p}")


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

    with Store.open(db, create=False) as store:
        f = filters(since, until, event_type, source_kind, submitted_by, bbox)
        rows = store.list_stored(**f, limit=limit)
        total = store.count_reports(**f)
    if as_json:
        print_json({"total": total, "reports": [r.to_dict() for r in rows]})
        return
    # Compact on purpose: ids and numbers never wrap; --json has every field.
    table = list_table(f"{len(rows)} of {total} report(s)")
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


def export(
    what: Annotated[
        str, typer.Argument(help="What to export: reports, incidents or violations.")
    ] = "reports",
    db: DbOpt = DEFAULT_DB,
    fmt: Annotated[
        str,
        typer.Option(
            "--format",
            help="reports: geojson or csv. incidents and violations: geojson, csv, gpkg, kml, "
            "fgb, parquet (GeoParquet 1.1), acled, ucdp or hxl.",
        ),
    ] = "geojson",
    output: Annotated[
        Path | None,
        typer.Option("--out", "-o", help="Output file (default: stdout, reports only)."),
    ] = None,
    since: SinceOpt = None,
    until: UntilOpt = None,
    event_type: TypeOpt = None,
    source_kind: KindOpt = None,
    submitted_by: ByOpt = None,
    bbox: BboxOpt = None,
    as_: Annotated[
        str | None,
        typer.Option(
            "--as",
            help="incidents and violations: export what this reader may see: a party code, "
            "mission, mediator, public, or a user's name (default: the local operator, all).",
        ),
    ] = None,
    agreement: AgreementOpt = None,
) -> None:
    """Export reports (GeoJSON, CSV), or incidents or violations in the formats analysts load
    (GeoJSON, CSV, GeoPackage, KML, FlatGeobuf, GeoParquet, ACLED, UCDP GED-like, HXL), as a
    reader may see them.

    Example: ceasefire export incidents --format gpkg --out incidents.gpkg --as UA
    """
    from ceasefire.store.facade import Store

    if what not in ("reports", "incidents", "violations"):
        raise InputError(
            Problem("arguments", "what", f"must be reports, incidents or violations, got {what!r}")
        )
    if what != "reports":
        from ceasefire.publish.formats import check_format
        from ceasefire.publish.formats import export as export_rows
        from ceasefire.publish.visibility import Viewer

        check_format(fmt, what, where="options", name="--format")
        given = {
            "--type": event_type,
            "--source-kind": source_kind,
            "--submitted-by": submitted_by,
            "--bbox": bbox,
        }
        for option, value in given.items():
            if value is not None:
                raise InputError(Problem("options", option, f"filters reports, not {what}"))
        if output is None:
            raise InputError(Problem("options", "--out", f"a file is needed to export {what}"))
        start, end = parse_time(since, "since"), parse_time(until, "until")
        with Store.open(db, create=False) as store:
            reader = (
                local_operator()
                if as_ is None
                else export_reader(as_, load_agreement(agreement).party_codes, store)
            )
            n = export_rows(store, Viewer(reader, store), what, fmt, output, since=start, until=end)
        err.print(f"{n} {what[:-1]}(s) written to {output}")
        return
    from ceasefire.publish.export import write_reports

    with Store.open(db, create=False) as store:
        f = filters(since, until, event_type, source_kind, submitted_by, bbox)
        rows = store.list_stored(**f)
        if output is None:
            write_reports(rows, sys.stdout, fmt)
        else:
            with open(output, "w", encoding="utf-8", newline="") as fh:
                n = write_reports(rows, fh, fmt)
            err.print(f"{n} report(s) written to {output}")


def export_reader(name: str, parties: Collection[str], store: Any) -> Principal:
    """Who ``--as`` names for an export: a hotline address (a party code, ``mission``,
    ``mediator``), ``public``, or a user of the store (its role and party); InputError
    otherwise."""
    from ceasefire.publish.access import Principal, address_principal

    if name == "public":
        return Principal("public", "public")
    found = address_principal(name, tuple(parties))
    if found is not None:
        return found
    for user in store.list_users():
        if user.name == name and not user.disabled:
            return Principal(user.name, user.role, user.party)
    known = ", ".join((*parties, "mission", "mediator", "public"))
    raise InputError(Problem("options", "--as", f"must be one of {known} or a user, got {name!r}"))


def retract(
    report_id: Annotated[str, typer.Argument(help="The id of the report to withdraw.")],
    reason: Annotated[str, typer.Option("--reason", help="Why it is withdrawn (logged).")],
    db: DbOpt = DEFAULT_DB,
    operator: Annotated[
        str | None,
        typer.Option("--as", help="Who retracts it, logged (role admin); default: the OS user."),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Retract a stored report, logged with who and why. It stays as history; listings,
    counts and fusion leave it out, and it leaves its incident at once (an incident left with
    no report is withdrawn). To replace a report, ingest the new one with `corrects` naming it.

    Example: ceasefire retract patrol-7-0031 --reason "duplicate of patrol-7-0030" --db monitoring.db
    """
    from ceasefire.store.facade import Store

    with Store.open(db, create=False) as store:
        done = store.retract_report(report_id, by=local_operator(operator), reason=reason)
    if as_json:
        print_json(done.to_dict())
        return
    out.print(f"retracted {report_id} ({done.reason})")
    if done.left_incident is not None:
        fate = (
            "withdrawn: no report left"
            if done.withdrawn
            else "run `ceasefire fuse` to sum up the rest"
        )
        out.print(f"it left incident {done.left_incident} ({fate})")
