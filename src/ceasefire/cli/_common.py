"""What every command module shares: the error funnel, consoles, common options, small formatters.

Library errors (:class:`~ceasefire.errors.CeasefireError`) are turned into one clear message and
exit status 1 in exactly one place, :meth:`Group.invoke`. Nothing here imports a command module,
so the command modules import this one and :mod:`ceasefire.cli.app` imports them all: no cycles.
"""

from __future__ import annotations

import getpass
import json
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import click
import typer
import typer.core
from rich import box
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

if TYPE_CHECKING:
    from ceasefire.agreement.model import Agreement
    from ceasefire.publish.access import Principal

from ceasefire.errors import AgreementError, CeasefireError, InputError, Problem

MAX_PROBLEMS_SHOWN = 20


class Group(typer.core.TyperGroup):
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
                print_json({"error": str(e), "problems": [vars(p) for p in problems]})
                raise click.exceptions.Exit(1) from e
            if not problems:
                raise click.ClickException(str(e)) from e
            lines = [str(p) for p in problems[:MAX_PROBLEMS_SHOWN]]
            if len(problems) > MAX_PROBLEMS_SHOWN:
                lines.append(f"... and {len(problems) - MAX_PROBLEMS_SHOWN} more")
            stored = "" if isinstance(e, AgreementError) else "; nothing was stored"
            lines.append(f"{len(problems)} problem(s){stored}.")
            raise click.ClickException("\n".join(lines)) from e


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

#: The default of --max-report-kb: ceasefire.intake.files.MAX_REPORT_BYTES (not imported here,
#: so that `ceasefire --help` does not load the intake; tests/cli checks the two agree).
MAX_REPORT_KB = 256
MaxReportOpt = Annotated[
    int,
    typer.Option(
        "--max-report-kb",
        min=1,
        help="Largest one report may be, in KiB (its line, or its GeoJSON Feature).",
    ),
]


DEFAULT_DB = "ceasefire.db"


def print_json(value: Any) -> None:
    sys.stdout.write(json.dumps(value, indent=2, ensure_ascii=False, default=str) + "\n")


@contextmanager
def progress(enabled: bool) -> Iterator[Progress | None]:
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


def load_agreement(path: Path | None) -> Agreement:
    from ceasefire.agreement.load import demo_agreement_path, load_agreement

    return load_agreement(path or demo_agreement_path())


def list_table(title: str) -> Table:
    """The compact table every listing command prints (no outer padding, one space between)."""
    return Table(
        title=title, box=box.SIMPLE_HEAD, pad_edge=False, padding=(0, 1), collapse_padding=True
    )


def parse_time(value: str | None, name: str) -> datetime | None:
    from ceasefire import query

    return query.parse_time(value, name, where="command line")


def parse_bbox(value: str | None) -> tuple[float, float, float, float] | None:
    from ceasefire import query

    return query.parse_bbox(value, where="command line")


FILTER_HELP = {
    "since": "Observed at or after (ISO 8601 with offset).",
    "until": "Observed before (ISO 8601 with offset).",
    "event_type": "Event type, e.g. shelling.",
    "source_kind": "Source kind, e.g. patrol.",
    "submitted_by": "Submitter, e.g. UA.",
    "bbox": "lon_min,lat_min,lon_max,lat_max",
}


def filters(
    since: str | None,
    until: str | None,
    event_type: str | None,
    source_kind: str | None,
    submitted_by: str | None,
    bbox: str | None,
) -> dict[str, Any]:
    return {
        "since": parse_time(since, "since"),
        "until": parse_time(until, "until"),
        "event_type": event_type,
        "source_kind": source_kind,
        "submitted_by": submitted_by,
        "bbox": parse_bbox(bbox),
    }


SinceOpt = Annotated[str | None, typer.Option(help=FILTER_HELP["since"])]


UntilOpt = Annotated[str | None, typer.Option(help=FILTER_HELP["until"])]


TypeOpt = Annotated[str | None, typer.Option("--type", help=FILTER_HELP["event_type"])]


KindOpt = Annotated[str | None, typer.Option("--source-kind", help=FILTER_HELP["source_kind"])]


ByOpt = Annotated[str | None, typer.Option("--submitted-by", help=FILTER_HELP["submitted_by"])]


BboxOpt = Annotated[str | None, typer.Option(help=FILTER_HELP["bbox"])]


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


def limit_for(limit: int | None, as_json: bool) -> int | None:
    return limit if limit is not None or as_json else TABLE_ROWS


def zones_short(zones: Sequence[str]) -> str:
    # The first zone and how many more: zones nest (the DMZ lies inside every withdrawal zone),
    # so the full list would wrap every row; --json and `ceasefire incident` give it whole.
    return "" if not zones else zones[0] + (f" +{len(zones) - 1}" if len(zones) > 1 else "")


def km(metres: Any) -> str:
    return "" if metres is None else f"{metres / 1000:.1f}"


def local_operator(name: str | None = None) -> Principal:
    """Who runs a command that enters records locally (``ceasefire ingest``): an admin, named
    by ``--as`` or else the operating-system user. Whoever can open the database file holds
    the mission's keys anyway; the name says who, in each record and its ledger leaf."""
    from ceasefire.publish.access import Principal

    if name is None:
        try:
            name = getpass.getuser()
        except (KeyError, OSError):  # no user name in the environment or the password file
            name = "local-operator"
    if not name.strip():
        raise InputError(Problem("option", "--as", "must name who enters the reports"))
    return Principal(name.strip(), "admin")
