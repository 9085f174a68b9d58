"""``ceasefire ledger ...``: the shared record from the command line (see :mod:`ceasefire.ledger.auditor`).

What a party runs on its own copy of the database, or on a bundle alone: keygen, checkpoint
(print, sign, save), cosign, prove, verify. Thin, as the rest of the CLI: one library call per
command; errors reach the one handler in :mod:`ceasefire.cli.app`.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from ceasefire.cli._common import DEFAULT_DB, DbOpt, Group, JsonOpt, err, out, print_json
from ceasefire.errors import InputError, Problem

ledger_app = typer.Typer(
    cls=Group,
    help="The shared record: checkpoints, proofs, verification.\n\n"
    "Example: ceasefire ledger verify --db var/demo.db --log-key var/demo-keys/log.key.pub",
    no_args_is_help=True,
    rich_markup_mode=None,
)

LogKeyOpt = Annotated[
    str | None,
    typer.Option(
        "--log-key",
        envvar="CEASEFIRE_LOG_KEY",
        help="The log's public key (name+id+base64) or a file holding it (env CEASEFIRE_LOG_KEY). "
        "Without it the key stored in the database is trusted, which a party should not do.",
    ),
]
CosignerOpt = Annotated[
    list[str] | None,
    typer.Option("--cosigner", help="A cosigner's public key or key file you trust (repeat)."),
]
QuorumOpt = Annotated[
    int, typer.Option("--quorum", help="Cosignatures from trusted cosigners required.")
]


def _emit(note: str) -> None:
    """A note exactly as it is (no wrapping: a signature line must survive copy and paste)."""
    sys.stdout.write(note)


def _say(*lines: object) -> None:
    """One message, never wrapped (keys, roots and signatures are long single words)."""
    out.print(*lines, soft_wrap=True)


def _read_json(path: Path, what: str) -> dict[str, object]:
    try:
        value = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise InputError(Problem(str(path), what, f"cannot be read as JSON: {exc}")) from None
    if not isinstance(value, dict):
        raise InputError(Problem(str(path), what, "must be a JSON object"))
    return value


def _read_text(path: Path, what: str) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(Problem(str(path), what, f"cannot be read: {exc}")) from None


@ledger_app.command("keygen")
def keygen(
    name: Annotated[str, typer.Argument(help="Key name: the log's origin, or the party's name.")],
    out_file: Annotated[Path, typer.Option("--out", help="Private key file to create.")],
    cosigner: Annotated[
        bool, typer.Option("--cosigner", help="A cosigning key (cosignature/v1) for a party.")
    ] = False,
) -> None:
    """Make an Ed25519 key: the private key to --out (owner-only), the public key to --out.pub.

    Example: ceasefire ledger keygen ceasefire.example/log --out keys/log.key
    """
    from ceasefire.ledger.keys import write_key
    from ceasefire.ledger.notes import Signer

    signer = Signer.generate(name, cosigner=cosigner)
    public = write_key(signer, out_file)
    _say(f"private key: {out_file}\npublic key:  {public}\n{signer.verifier().key}")


@ledger_app.command("checkpoint")
def checkpoint(
    db: DbOpt = DEFAULT_DB,
    sign: Annotated[
        Path | None, typer.Option("--sign", help="Sign a checkpoint of the log as it is now.")
    ] = None,
    save: Annotated[
        Path | None, typer.Option("--save", help="Also write the checkpoint to this file.")
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Print the latest signed checkpoint with its cosignatures (C2SP tlog-checkpoint).

    Example: ceasefire ledger checkpoint --db var/demo.db --save seen.checkpoint
    """
    from ceasefire.ledger.keys import read_signer
    from ceasefire.ledger.proofs import sign_checkpoint
    from ceasefire.store.facade import Store

    with Store.open(db, create=False) as store:
        if sign is not None:
            sign_checkpoint(store, read_signer(sign))
        latest = store.ledger_checkpoint()
    if save is not None:
        save.write_text(latest.text, encoding="utf-8")
    if as_json:
        print_json(
            {"size": latest.size, "signed_at": latest.signed_at.isoformat(), "note": latest.text}
        )
    else:
        _emit(latest.text)


@ledger_app.command("cosign")
def cosign(
    key: Annotated[Path, typer.Option("--key", help="The party's cosigning private key file.")],
    db: DbOpt = DEFAULT_DB,
    log_key: LogKeyOpt = None,
    since: Annotated[
        Path | None,
        typer.Option("--since", help="The checkpoint you last saved: consistency is checked."),
    ] = None,
) -> None:
    """Cosign the latest checkpoint for a party, after checking it against --since.

    Example: ceasefire ledger cosign --key keys/UA.key --log-key keys/log.key.pub --since seen.cp
    """
    from ceasefire.ledger.keys import read_signer, read_verifier
    from ceasefire.ledger.proofs import cosign_latest
    from ceasefire.store.facade import Store

    if log_key is None:
        raise InputError(Problem("options", "--log-key", "a party cosigns only a log it knows"))
    old = None if since is None else _read_text(since, "checkpoint")
    with Store.open(db, create=False) as store:
        done = cosign_latest(store, read_signer(key), read_verifier(log_key), since=old)
    _emit(done.text)


@ledger_app.command("prove")
def prove(
    record_id: Annotated[str, typer.Argument(help="Report id, status/N, violation/N, ID@V or #N.")],
    db: DbOpt = DEFAULT_DB,
    kind: Annotated[
        str | None,
        typer.Option(
            help="The record's kind (report, status_change, ...): the id is then taken as it is, "
            "for a report id that looks like another kind's (status/1, #3)."
        ),
    ] = None,
    save: Annotated[Path | None, typer.Option("--save", help="Write the bundle here.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """The inclusion proof of a record in the latest signed checkpoint, as a bundle.

    Example: ceasefire ledger prove r-0001 --db var/demo.db --json > r-0001.proof.json
    """
    from ceasefire.ledger.proofs import prove as make_bundle
    from ceasefire.store.facade import Store

    with Store.open(db, create=False) as store:
        bundle = make_bundle(store, record_id, kind=kind)
    if save is not None:
        save.write_text(json.dumps(bundle, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    if as_json:
        print_json(bundle)
    else:
        _say(
            f"entry {bundle['leafIdx']} of {bundle['treeSize']} "
            f"({bundle['record']['kind']} {bundle['record']['id']}), "
            f"{len(bundle['proof'])} proof hashes, root {bundle['root']}"
        )


@ledger_app.command("verify")
def verify(
    db: DbOpt = DEFAULT_DB,
    log_key: LogKeyOpt = None,
    bundle: Annotated[
        Path | None, typer.Option("--bundle", help="Check this inclusion bundle (offline).")
    ] = None,
    checkpoint_file: Annotated[
        Path | None,
        typer.Option("--checkpoint", help="A checkpoint saved earlier: check the log extends it."),
    ] = None,
    cosigner: CosignerOpt = None,
    quorum: QuorumOpt = 0,
) -> None:
    """Verify: a bundle (inclusion, needs no database), or the database (every entry, hash and
    checkpoint; with --checkpoint also consistency with the one you saved). Exit 1 on failure,
    naming the first bad entry.

    Example: ceasefire ledger verify --db var/demo.db --log-key keys/log.key.pub --checkpoint seen.cp
    """
    from ceasefire import ledger
    from ceasefire.store.facade import Store

    cosigners = [ledger.read_verifier(c) for c in cosigner or ()]
    if bundle is not None:
        if log_key is None:
            raise InputError(
                Problem("options", "--log-key", "a bundle is checked with the log key")
            )
        result = ledger.verify_bundle(
            _read_json(bundle, "bundle"),
            ledger.read_verifier(log_key),
            cosigners=cosigners,
            quorum=quorum,
        )
        _say(f"ok: {result}")
        return
    verifier = None if log_key is None else ledger.read_verifier(log_key)
    with Store.open(db, migrate=False, create=False) as store:
        if checkpoint_file is not None:
            if verifier is None:
                raise InputError(
                    Problem(
                        "options", "--log-key", "a saved checkpoint is checked with the log key"
                    )
                )
            result = ledger.verify_consistency_from(
                store,
                _read_text(checkpoint_file, "checkpoint"),
                verifier,
                cosigners=cosigners,
                quorum=quorum,
            )
            _say(f"ok: {result}")
        report = ledger.audit(store, verifier)
    if verifier is None:
        err.print("warning: checked with the log key stored in the database; pass --log-key")
    _say(f"ok: {report}")


@ledger_app.command("trust")
def trust(
    key: Annotated[str, typer.Argument(help="A submitter's public key, or a file holding it.")],
    party: Annotated[
        str | None, typer.Option("--party", help="The submitted_by this key may sign for.")
    ] = None,
    db: DbOpt = DEFAULT_DB,
) -> None:
    """Accept reports signed with this key (a signed report that fails is refused).

    Example: ceasefire ledger trust keys/UA-submit.key.pub --party UA --db monitoring.db
    """
    from ceasefire.ledger.keys import read_verifier
    from ceasefire.store.facade import Store

    verifier = read_verifier(key)
    with Store.open(db) as store:
        added = store.trust_key(verifier, party)
    what = "now trusted" if added else "already trusted"
    _say(f"{verifier.name}+{verifier.key_id:08x} {what} for {party or 'any submitter'}")


@ledger_app.command("untrust")
def untrust(
    key: Annotated[str, typer.Argument(help="A submitter's public key, or a file holding it.")],
    db: DbOpt = DEFAULT_DB,
) -> None:
    """Stop accepting reports signed with this key (logged; it is never trusted again).

    Example: ceasefire ledger untrust keys/UA-submit.key.pub --db monitoring.db
    """
    from ceasefire.ledger.keys import read_verifier
    from ceasefire.store.facade import Store

    verifier = read_verifier(key)
    with Store.open(db, create=False) as store:
        store.untrust_key(verifier)
    _say(f"{verifier.name}+{verifier.key_id:08x} no longer trusted")


@ledger_app.command("sign-reports")
def sign_reports(
    source: Annotated[Path, typer.Argument(help="Reports to sign (JSON Lines, CSV, GeoJSON).")],
    key: Annotated[Path, typer.Option("--key", help="The submitter's private key file.")],
    out_file: Annotated[Path, typer.Option("--out", help="Signed reports, JSON Lines.")],
) -> None:
    """Sign each report with a submitter's key, writing JSON Lines ready to submit.

    Example: ceasefire ledger sign-reports complaints.jsonl --key keys/UA-submit.key --out signed.jsonl
    """
    from ceasefire.intake.files import read_reports
    from ceasefire.intake.signing import sign_report
    from ceasefire.ledger.keys import read_signer

    signer = read_signer(key)
    n = 0
    with out_file.open("w", encoding="utf-8") as sink:
        for report in read_reports(source):
            signed = sign_report(report, signer)
            sink.write(json.dumps(signed.to_dict(), ensure_ascii=False) + "\n")
            n += 1
    _say(f"{n} report(s) signed by {signer.name}+{signer.key_id:08x} -> {out_file}")
