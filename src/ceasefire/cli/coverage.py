"""``ceasefire coverage ...``: what the mission could see, in and out.

As the rest of the CLI: one library call per command, a table for people and ``--json`` for
programs. The commands work on the database as the local operator (an admin); the API gives
each role its own view (a party none).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from ceasefire.cli._common import (
    DEFAULT_DB,
    AgreementOpt,
    DbOpt,
    Group,
    JsonOpt,
    list_table,
    load_agreement,
    local_operator,
    out,
    parse_time,
    print_json,
)

coverage_app = typer.Typer(
    cls=Group,
    help="What the mission could see: sensor status, patrols, restrictions, coverage shares.\n\n"
    "Example: ceasefire coverage show --start 2026-11-19T07:00:00Z --end 2026-11-20T07:00:00Z",
    no_args_is_help=True,
    rich_markup_mode=None,
)


def _read_lines(path: Path) -> tuple[list[Any], list[str]]:
    """The JSON values of a JSON Lines file and where each is (``file:line``); a line that is
    not JSON is named by its number; blank lines are skipped."""
    from ceasefire.errors import InputError, Problem

    values, wheres = [], []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            values.append(json.loads(line))
        except ValueError as exc:
            raise InputError(Problem(f"{path}:{n}", "", f"not JSON: {exc}")) from None
        wheres.append(f"{path}:{n}")
    return values, wheres


def ingest(
    file: Annotated[Path, typer.Argument(help="A JSON Lines file; each line has a 'kind'.")],
    db: DbOpt = DEFAULT_DB,
    agreement: AgreementOpt = None,
    operator: Annotated[
        str | None,
        typer.Option("--as", help="Who enters the records (role admin); default: the OS user."),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Store sensor status, patrol and restriction records, all or nothing.

    Each line is one record with its 'kind' (sensor_status, patrol or restriction); a record
    stored again unchanged is left as it is, with other content refused.

    Example: ceasefire coverage ingest sensors-1120.jsonl --db var/demo.db --as duty-officer
    """
    from ceasefire.coverage.model import read_many
    from ceasefire.store.facade import Store

    records = read_many(*_read_lines(file))
    parties = tuple(load_agreement(agreement).parties)
    with Store.open(db) as store:
        added = store.add_coverage(records, by=local_operator(operator), parties=parties)
    if as_json:
        print_json({"stored": list(added.stored), "unchanged": list(added.unchanged)})
        return
    out.print(f"stored {len(added.stored)}, unchanged {len(added.unchanged)}")


def show(
    start: Annotated[str, typer.Option(help="Window start, ISO 8601 with an offset.")],
    end: Annotated[str, typer.Option(help="Window end (excluded), ISO 8601 with an offset.")],
    db: DbOpt = DEFAULT_DB,
    agreement: AgreementOpt = None,
    by: Annotated[str, typer.Option(help="Per 'oblast' or per H3 'cell' (GeoJSON).")] = "oblast",
    as_json: JsonOpt = False,
) -> None:
    """The share of the window some working sensor or patrol saw, per oblast (with the sensors
    down and the restrictions) or per cell.

    Example: ceasefire coverage show --start 2026-11-19T07:00:00Z --end 2026-11-20T07:00:00Z --by oblast
    """
    from ceasefire.covering import coverage_window
    from ceasefire.store.facade import Store

    s, e = parse_time(start, "start"), parse_time(end, "end")
    assert s is not None and e is not None
    with Store.open(db, create=False) as store:
        result = coverage_window(store, local_operator(), load_agreement(agreement), s, e, per=by)
    if as_json:
        print_json(result)
        return
    if by == "cell":
        seen = [f for f in result["features"] if f["properties"]["observed"] > 0]
        table = list_table(f"Cells seen ({len(seen)} of {len(result['features'])})")
        for name in ("cell", "oblast", "observed"):
            table.add_column(name)
        for f in sorted(seen, key=lambda f: -f["properties"]["observed"]):
            p = f["properties"]
            table.add_row(p["cell"], p["oblast"], f"{p['observed']:.1%}")
        out.print(table)
        return
    table = list_table(f"Observed {result['start']} to {result['end']}")
    table.add_column("oblast")
    table.add_column("observed", justify="right")
    for row in result["by_oblast"]:
        table.add_row(row["oblast"], f"{row['observed']:.1%}")
    out.print(table)
    down = list_table("Sensors down or jammed")
    for name in ("sensor", "status", "start", "end", "oblast"):
        down.add_column(name)
    for row in result["sensors_down"]:
        down.add_row(*(str(row[k]) for k in ("sensor", "status", "start", "end", "oblast")))
    out.print(down)
    held = list_table("Restrictions of movement")
    for name in ("at", "by", "place", "oblast", "reason", "source"):
        held.add_column(name)
    for row in result["restrictions"]:
        held.add_row(*(str(row[k]) for k in ("at", "by", "place", "oblast", "reason", "source")))
    out.print(held)
