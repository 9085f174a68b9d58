"""Harm: ``harm``, the roll-up of casualties, infrastructure hit and people affected."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from ceasefire.cli._common import (
    DEFAULT_DB,
    AgreementOpt,
    DbOpt,
    JsonOpt,
    StatusOpt,
    list_table,
    load_agreement,
    local_operator,
    out,
    parse_time,
    print_json,
)

_BY = ("oblast", "day")
_CASUALTIES = ("killed", "injured", "civilians_killed", "civilians_injured")


def harm(
    db: DbOpt = DEFAULT_DB,
    start: Annotated[
        str | None,
        typer.Option("--from", help="ISO 8601 with offset: incidents observed from then."),
    ] = None,
    end: Annotated[
        str | None, typer.Option("--to", help="ISO 8601 with offset: observed before it.")
    ] = None,
    by: Annotated[
        str, typer.Option(help="Group by oblast, or by the agreement's reporting day (day).")
    ] = "oblast",
    status: StatusOpt = None,
    agreement: AgreementOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Harm per oblast or reporting day: casualties (low / best / high summed), incidents per
    infrastructure category hit, and people affected (an interval), then the total.

    --status verified counts only what the mission verified (a party's claim alone is
    "reported").

    Example: ceasefire harm --by day --from 2026-02-17T00:00:00+02:00 --db monitoring.db
    """
    from ceasefire.errors import InputError, Problem
    from ceasefire.publish.visibility import Viewer
    from ceasefire.store.facade import Store

    if by not in _BY:
        raise InputError(Problem("option", "--by", f"must be oblast or day, got {by!r}"))
    reporting = load_agreement(agreement).reporting
    since, until = parse_time(start, "--from"), parse_time(end, "--to")
    with Store.open(db, create=False) as store:
        rows = store.list_incidents(since=since, until=until, status=status)
        result = Viewer(local_operator(), store).harm(rows, by=by, reporting=reporting)
    if as_json:
        print_json(result)
        return
    table = list_table(f"harm by {by}: {result['total']['incidents']} incident(s)")
    for col in ("oblast" if by == "oblast" else "day", "inc", "killed", "injured",
                "civ killed", "civ injured", "people affected", "infrastructure"):  # fmt: skip
        table.add_column(col, no_wrap=col != "infrastructure")
    for group in [*result["groups"], {**result["total"], "key": "total"}]:
        table.add_row(
            "?" if group["key"] is None else str(group["key"]),
            str(group["incidents"]),
            *(_estimate(group[name]) for name in _CASUALTIES),
            _people(group["people_affected"]),
            ", ".join(f"{c} {n}" for c, n in group["infrastructure"].items()),
        )
    out.print(table)


def _estimate(e: dict[str, int | None]) -> str:
    """``best (low-high)``, ``best`` when all three agree, empty when nothing is stated."""
    low, best, high = e["low"], e["best"], e["high"]
    if best is None:
        return ""
    return str(best) if low == best == high else f"{best} ({low}-{high})"


def _people(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, int):
        return f"{value:,}"
    high = value["max"]
    return f"{value['min']:,}-{high:,}" if high is not None else f">={value['min']:,}"
