"""``ceasefire publish DIR``: the public mirror, a folder any static web server hosts.

Thin: one call of :func:`ceasefire.mirroring.publish_mirror`; errors reach the one handler in
:mod:`ceasefire.cli.app`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ceasefire.cli._common import DEFAULT_DB, DbOpt, JsonOpt, out, print_json


def publish(
    folder: Annotated[Path, typer.Argument(help="The mirror's folder (created or updated).")],
    db: DbOpt = DEFAULT_DB,
    cosigner: Annotated[
        list[str] | None,
        typer.Option("--cosigner", help="A cosigner's public key or key file to publish (repeat)."),
    ] = None,
    report: Annotated[
        list[Path] | None,
        typer.Option(
            "--report",
            help="A daily report file to add to reports/, with FILE.note beside it if any "
            "(repeat).",
        ),
    ] = None,
    report_key: Annotated[
        list[str] | None,
        typer.Option(
            "--report-key",
            help="The public key (or key file) that signs the reports' notes, when the log's "
            "does not (repeat).",
        ),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Write the public mirror: released incidents (GeoJSON, GeoParquet), the signed
    checkpoints with cosignatures, each incident's ledger proofs, the keys, the daily reports
    and a page that verifies them in the browser. Run again on a grown log to update it.

    Example: ceasefire publish var/mirror --db var/demo.db --cosigner var/demo-keys/UA.key.pub
    """
    from ceasefire.ledger.keys import read_verifier
    from ceasefire.mirroring import publish_mirror
    from ceasefire.store.facade import Store

    keys = [read_verifier(c) for c in cosigner or ()]
    signers = [read_verifier(k) for k in report_key or ()]
    with Store.open(db, create=False) as store:
        done = publish_mirror(
            store, folder, cosigners=keys, reports=list(report or ()), report_keys=signers
        )
    if as_json:
        print_json(done.to_dict())
        return
    out.print(
        f"{done.folder}: {done.incidents} released incident(s), {done.leaves} leaves proved "
        f"({done.shown} whole) against the checkpoint of size {done.size}; "
        f"{len(done.checkpoints)} checkpoint(s) kept, {len(done.reports)} report(s), "
        f"{done.files} files",
        soft_wrap=True,
    )
