"""The simulator and the demo scenario: ``simulate``, ``demo``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
import typer.core

from ceasefire.cli._common import DbOpt, JsonOpt, err, out, print_json, progress
from ceasefire.errors import InputError, Problem


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
    with progress(not as_json) as bar:
        stats = write_simulation(
            config, out_dir / "reports.jsonl", out_dir / "truth.jsonl", progress=bar
        )
    if as_json:
        print_json(stats.to_dict())
    else:
        out.print(stats.summary())


def demo(
    db: DbOpt = "var/demo.db",
    seed: Annotated[int, typer.Option(help="Seed of the simulated night.")] = 7,
    keep: Annotated[
        bool,
        typer.Option(
            "--keep",
            help="When the database holds users (ceasefire users add), keep it as it is, "
            "users, tokens and all, instead of loading the demo again (make run).",
        ),
    ] = False,
    replace: Annotated[
        bool,
        typer.Option(
            "--replace", help="Load the demo again even when that deletes users and their tokens."
        ),
    ] = False,
    as_json: JsonOpt = False,
) -> None:
    """Load the demo scenario into a fresh database and summarise it. A database holding users
    and their tokens is never deleted silently: that is refused unless --keep or --replace.

    Example: ceasefire demo --db var/demo.db --keep
    """
    from ceasefire.sim.demo import demo_users, run_demo

    if keep and replace:
        raise InputError(Problem("options", "--keep", "choose --keep or --replace, not both"))
    users = demo_users(db)
    if users and keep:
        err.print(
            f"NOTE: kept {db} as it is: it holds {len(users)} user(s) and their tokens "
            f"({', '.join(users[:5])}{', ...' if len(users) > 5 else ''}); the demo was not "
            "loaded again (--replace starts over without them)"
        )
        if as_json:
            print_json({"db": db, "kept": True, "users": users})
        return
    if users and replace:
        err.print(
            f"WARNING: deleting {len(users)} user(s) and their tokens from {db} "
            f"({', '.join(users[:5])}{', ...' if len(users) > 5 else ''}): --replace"
        )
    with progress(not as_json) as bar:
        summary = run_demo(db, seed=seed, progress=bar, replace_users=replace)
    if as_json:
        print_json(summary.to_dict())
    else:
        out.print(summary.render())
