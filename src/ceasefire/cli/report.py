"""``ceasefire report ...``: the daily report, built from one checkpoint, signed, verified.

Thin, as the rest of the CLI: one call into :mod:`ceasefire.reporting` per command; errors reach
the one handler in :mod:`ceasefire.cli.app` (exit 1 with the reason, a failed verification
naming what failed).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from ceasefire.cli._common import DEFAULT_DB, AgreementOpt, DbOpt, Group, err, load_agreement, out
from ceasefire.cli.ledger import CosignerOpt, LogKeyOpt, QuorumOpt
from ceasefire.errors import InputError, NotFoundError, Problem

report_app = typer.Typer(
    cls=Group,
    help="The daily report: built from one signed checkpoint, signed, verified.\n\n"
    "Example: ceasefire report daily --date 2026-03-11 --format json --out day.json "
    "--key var/demo-keys/log.key --db var/demo.db",
    no_args_is_help=True,
    rich_markup_mode=None,
)

NOTE_SUFFIX = ".note"


def _note_path(path: Path) -> Path:
    return path.with_name(path.name + NOTE_SUFFIX)


def _say(*lines: object) -> None:
    err.print(*lines, soft_wrap=True)


@report_app.command("daily")
def daily(
    day: Annotated[
        str,
        typer.Option(
            "--date", help="The reporting day (YYYY-MM-DD): it ends at this date's cutoff."
        ),
    ],
    fmt: Annotated[str, typer.Option("--format", help="json, html or pdf.")] = "json",
    tier: Annotated[
        str, typer.Option("--tier", help="mission, party:<CODE> or public.")
    ] = "mission",
    cutoff: Annotated[
        str | None,
        typer.Option("--cutoff", help="Local HH:MM the day ends at (default: the agreement's)."),
    ] = None,
    checkpoint: Annotated[
        int | None,
        typer.Option(
            "--checkpoint",
            help="Build from the checkpoint of this tree size (default: the first signed at or "
            "after the cutoff).",
        ),
    ] = None,
    out_file: Annotated[
        Path | None, typer.Option("--out", help="Write the report here (default: stdout).")
    ] = None,
    key: Annotated[
        Path | None,
        typer.Option("--key", help="The log's private key: sign the report's note with it."),
    ] = None,
    log_key: LogKeyOpt = None,
    bundle: Annotated[
        Path | None,
        typer.Option("--bundle", help="Also write the proof bundle (mission tier) here."),
    ] = None,
    agreement_file: AgreementOpt = None,
    db: DbOpt = DEFAULT_DB,
) -> None:
    """Build the daily report from its checkpoint; with --key sign its note, written beside
    --out as FILE.note (and kept in the database for `report verify` and cosigning).

    Example: ceasefire report daily --date 2026-03-11 --tier party:UA --format json --out ua.json
    """
    from ceasefire import reporting
    from ceasefire.ledger.keys import read_signer, read_verifier
    from ceasefire.store.facade import Store

    agreement = load_agreement(agreement_file)
    signer = None if key is None else read_signer(key)
    verifier = signer.verifier() if signer is not None else None
    if log_key is not None:
        verifier = read_verifier(log_key)
    with Store.open(db, create=False) as store:
        built = reporting.build(
            store,
            agreement,
            day=reporting.parse_day(day),
            tier=tier,
            fmt=fmt,
            cutoff=cutoff,
            size=checkpoint,
            log=verifier,
        )
        note = None
        if signer is not None:
            note = reporting.sign(store, built, signer).text
        else:
            try:
                note = store.report_note(built.sha256).text
            except NotFoundError:  # not signed yet: said below
                note = None
        if bundle is not None:
            if note is None:
                raise InputError(Problem("options", "--bundle", "a bundle needs the signed note: "
                                         "pass --key"))  # fmt: skip
            data = reporting.make_bundle(store, built, note)
            bundle.write_text(json.dumps(data, ensure_ascii=False) + "\n", encoding="utf-8")
    if out_file is None:
        sys.stdout.buffer.write(built.body)
        sys.stdout.buffer.flush()
    else:
        out_file.write_bytes(built.body)
    if note is not None and out_file is not None:
        _note_path(out_file).write_text(note, encoding="utf-8")
    where = "stdout" if out_file is None else str(out_file)
    signed = "signed" if note is not None else "not signed (pass --key to sign it)"
    _say(
        f"{built.data['tier']} report of {built.data['date']} ({fmt}, {len(built.body)} bytes, "
        f"SHA-256 {built.sha256}) from checkpoint {built.checkpoint.size}: {where}; {signed}"
    )


@report_app.command("verify")
def verify(
    file: Annotated[Path, typer.Argument(help="The report file (json, html or pdf).")],
    note: Annotated[
        Path | None,
        typer.Option(
            "--note", help="Its signed note (default: FILE.note if there, else the database's)."
        ),
    ] = None,
    bundle: Annotated[
        Path | None,
        typer.Option("--bundle", help="Rebuild from this proof bundle instead of a database."),
    ] = None,
    log_key: LogKeyOpt = None,
    cosigner: CosignerOpt = None,
    quorum: QuorumOpt = 0,
    agreement_file: AgreementOpt = None,
    db: DbOpt = DEFAULT_DB,
) -> None:
    """Check a report: its note is signed by the log (and --quorum cosigners), it is over these
    very bytes, and the report rebuilt from the checkpoint the note names is these bytes. Exit
    1 naming what failed.

    Example: ceasefire report verify day.json --bundle day.bundle.json --log-key log.key.pub
    """
    from ceasefire import reporting
    from ceasefire.ledger.keys import read_verifier
    from ceasefire.store.facade import Store

    agreement = load_agreement(agreement_file)
    try:
        body = file.read_bytes()
    except OSError as exc:
        raise InputError(Problem(str(file), "report", f"cannot be read: {exc}")) from None
    note_path = note if note is not None else _note_path(file)
    note_text = None
    if note is not None or note_path.exists():
        note_text = note_path.read_text(encoding="utf-8")
    verifier = None if log_key is None else read_verifier(log_key)
    cosigners = [read_verifier(c) for c in cosigner or ()]
    if bundle is not None:
        if verifier is None:
            raise InputError(
                Problem("options", "--log-key", "a bundle is checked with the log key")
            )
        try:
            data = json.loads(bundle.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, ValueError) as exc:
            raise InputError(Problem(str(bundle), "bundle", f"cannot be read: {exc}")) from None
        result = reporting.verify(
            body, agreement, note=note_text, bundle=data, log=verifier, cosigners=cosigners,
            quorum=quorum,
        )  # fmt: skip
    else:
        with Store.open(db, migrate=False, create=False) as store:
            result = reporting.verify(
                body, agreement, note=note_text, store=store, log=verifier, cosigners=cosigners,
                quorum=quorum,
            )  # fmt: skip
        if verifier is None:
            _say("warning: checked with the log key stored in the database; pass --log-key")
    out.print(f"ok: {result}", soft_wrap=True)


@report_app.command("cosign")
def cosign(
    file: Annotated[Path, typer.Argument(help="The report file a party read and cosigns.")],
    key: Annotated[Path, typer.Option("--key", help="The party's cosigning private key file.")],
    log_key: LogKeyOpt = None,
    agreement_file: AgreementOpt = None,
    db: DbOpt = DEFAULT_DB,
) -> None:
    """Cosign a report's note for a party, after checking the report against its checkpoint;
    FILE.note is rewritten with the line added.

    Example: ceasefire report cosign day.json --key keys/UA.key --log-key keys/log.key.pub
    """
    from ceasefire import reporting
    from ceasefire.ledger.keys import read_signer, read_verifier
    from ceasefire.report.notes import digest
    from ceasefire.store.facade import Store

    if log_key is None:
        raise InputError(Problem("options", "--log-key", "a party cosigns only a log it knows"))
    verifier = read_verifier(log_key)
    body = file.read_bytes()
    with Store.open(db, create=False) as store:
        reporting.verify(body, load_agreement(agreement_file), store=store, log=verifier)
        done = reporting.cosign(store, digest(body), read_signer(key), verifier)
    _note_path(file).write_text(done.text, encoding="utf-8")
    out.print(done.text, end="", soft_wrap=True)
