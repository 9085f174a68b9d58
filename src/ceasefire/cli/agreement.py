"""``ceasefire agreement ...``: inspect and check agreement files."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
import typer.core
from rich.table import Table

from ceasefire.cli._common import JsonOpt, err, load_agreement, out, print_json


def agreement_show(
    file: Annotated[Path | None, typer.Argument(help="Agreement YAML (default: demo).")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Show an agreement: parties, sides, zones, deadlines.

    Example: ceasefire agreement show --json
    """
    from ceasefire.agreement.model import describe

    info = describe(load_agreement(file))
    if as_json:
        print_json(info)
        return
    import yaml  # nested zones and acts read best as YAML, the agreement's own format

    sys.stdout.write(yaml.safe_dump(info, sort_keys=False, allow_unicode=True, width=96))


def agreement_check(
    file: Annotated[Path, typer.Argument(help="Agreement YAML file to check.")],
    as_json: JsonOpt = False,
) -> None:
    """Check an agreement file; exit 1 and list every problem if it is not valid.

    Example: ceasefire agreement check my-agreement.yaml
    """
    from ceasefire.agreement.areas import area_warnings
    from ceasefire.agreement.load import check_agreement

    problems = check_agreement(file)
    warnings = [] if problems else area_warnings(load_agreement(file))
    if as_json:
        print_json(
            {
                "file": str(file),
                "ok": not problems,
                "problems": [vars(p) for p in problems],
                "warnings": [vars(w) for w in warnings],
            }
        )
    elif not problems:
        for w in warnings:
            err.print(f"warning: {w}")
        out.print(f"{file}: ok")
    else:
        for p in problems:
            err.print(str(p))
        err.print(f"{len(problems)} problem(s)")
    if problems:
        raise typer.Exit(1)


def agreement_zones(
    file: Annotated[Path | None, typer.Argument(help="Agreement YAML (default: demo).")] = None,
    top: Annotated[int, typer.Option(help="Settlements listed per zone.")] = 10,
    as_json: JsonOpt = False,
) -> None:
    """Each zone's area and the settlements inside it (who lives in the DMZ).

    Example: ceasefire agreement zones --top 5
    """
    from ceasefire.geo.gazetteer import load_gazetteer
    from ceasefire.geo.zones import zone_summaries

    summaries = zone_summaries(load_agreement(file), load_gazetteer())
    if as_json:
        print_json([s.to_dict() for s in summaries])
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
