"""The ``ceasefire`` command line: a thin layer over the library.

Each command parses its options, makes one library call and formats the result (a Rich table
for people, ``--json`` for programs). Library errors (:class:`CeasefireError`) are turned into one
clear message and exit status 1 in exactly one place, :meth:`~ceasefire.cli._common.Group.invoke`.
"""

from __future__ import annotations

from typing import Annotated

import typer

from ceasefire.cli import (
    agreement,
    coverage,
    demo,
    extract,
    harm,
    incidents,
    publish,
    reports,
    tallies,
)
from ceasefire.cli._common import Group, out
from ceasefire.cli.coverage import coverage_app
from ceasefire.cli.hotline import hotline_app
from ceasefire.cli.ledger import ledger_app
from ceasefire.cli.report import report_app
from ceasefire.cli.serve import serve
from ceasefire.cli.tallies import tallies_app
from ceasefire.cli.users import users_app

app = typer.Typer(
    cls=Group,
    help="Ceasefire monitoring and verification.\n\nExample: ceasefire demo",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)


def _version(value: bool) -> None:
    if value:
        from ceasefire import __version__

        out.print(f"ceasefire {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_version, is_eager=True, help="Print the version and exit."
        ),
    ] = False,
) -> None:
    """Ceasefire monitoring and verification.

    Example: ceasefire demo
    """


agreement_app = typer.Typer(
    cls=Group,
    help="Inspect and check agreement files.\n\nExample: ceasefire agreement check agreement.yaml",
    no_args_is_help=True,
    rich_markup_mode=None,
)


# Every command, registered here and only here (the modules define them, this one lists them).
app.command()(reports.init)
app.command()(reports.ingest)
app.command()(reports.reports)
app.command()(reports.export)
app.command()(reports.retract)
agreement_app.command("show")(agreement.agreement_show)
agreement_app.command("check")(agreement.agreement_check)
agreement_app.command("zones")(agreement.agreement_zones)
app.add_typer(agreement_app, name="agreement")
app.command()(demo.simulate)
app.command()(demo.demo)
app.command()(incidents.fuse)
app.command()(incidents.incidents)
app.command()(incidents.incident)
app.command()(incidents.verify)
app.command()(incidents.violations)
app.command()(harm.harm)
app.add_typer(ledger_app, name="ledger")
app.add_typer(report_app, name="report")
app.add_typer(users_app, name="users")
app.add_typer(hotline_app, name="hotline")
tallies_app.command("ingest")(tallies.ingest)
tallies_app.command("list")(tallies.tallies)
tallies_app.command("show")(tallies.show)
tallies_app.command("check")(tallies.check_tallies)
tallies_app.command("reconcile")(tallies.reconcile)
tallies_app.command("export")(tallies.export)
app.add_typer(tallies_app, name="tallies")
coverage_app.command("ingest")(coverage.ingest)
coverage_app.command("show")(coverage.show)
app.add_typer(coverage_app, name="coverage")
app.command()(extract.extract)
app.command()(publish.publish)
app.command()(serve)


def main() -> None:
    app()
