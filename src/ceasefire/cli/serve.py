"""``ceasefire serve``: the HTTP API (:mod:`ceasefire.api`) on a database, with uvicorn.

Thin, as the rest of the CLI: it opens the store, builds the app, binds the socket and prints
the address, then serves until Ctrl-C (or SIGTERM) and closes the store. Binding before
printing means the printed address already accepts connections, and ``--port 0`` takes any
free port and prints the one it got. FastAPI and uvicorn are imported only when the command
runs, so ``ceasefire --help`` stays fast.
"""

from __future__ import annotations

import gc
import socket
import sys
from collections.abc import Collection, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Annotated, Any

import typer

from ceasefire.cli._common import (
    DEFAULT_DB,
    MAX_REPORT_KB,
    AgreementOpt,
    DbOpt,
    MaxReportOpt,
    load_agreement,
)
from ceasefire.cli.ledger import CosignerOpt
from ceasefire.errors import InputError, Problem


def _listen(host: str, port: int) -> socket.socket:
    """A listening TCP socket on ``host:port`` (IPv6 when the host is an IPv6 address)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise InputError(
            Problem("options", "--port", f"cannot listen on {host}:{port}: {exc.strerror}")
        ) from None
    sock.listen(2048)
    return sock


def _mail_to(values: Sequence[str], parties: Collection[str]) -> dict[str, list[str]]:
    """``ADDRESS=EMAIL`` options as hotline address -> e-mail addresses."""
    known = (*parties, "mission", "mediator")
    out: dict[str, list[str]] = {}
    for value in values:
        address, sep, email = value.partition("=")
        if not sep or address not in known or "@" not in email:
            raise InputError(
                Problem(
                    "options",
                    "--mail-to",
                    f"{value!r} must be ADDRESS=EMAIL with ADDRESS one of {', '.join(known)}",
                )
            )
        out.setdefault(address, []).append(email.strip())
    return out


def serve(
    db: DbOpt = DEFAULT_DB,
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[
        int, typer.Option(help="Port to listen on; 0 takes a free one (printed).")
    ] = 8000,
    agreement: AgreementOpt = None,
    cosigner: CosignerOpt = None,
    max_batch_mb: Annotated[
        float, typer.Option("--max-batch-mb", help="Largest report batch accepted, in MiB.")
    ] = 64.0,
    max_report_kb: MaxReportOpt = MAX_REPORT_KB,
    log_level: Annotated[str, typer.Option(help="uvicorn's log level.")] = "info",
    sign_key: Annotated[
        Path | None,
        typer.Option("--sign-key", help="The log's private key: sign checkpoints as it grows."),
    ] = None,
    checkpoint_every: Annotated[
        float, typer.Option(help="Seconds between checks for a new checkpoint (with --sign-key).")
    ] = 1.0,
    hotline_every: Annotated[
        float,
        typer.Option(
            help="Seconds between hotline ticks (escalations, line checks, e-mail; with live "
            "fusion on, notifications follow each fusion step instead); 0: none."
        ),
    ] = 5.0,
    fuse_every: Annotated[
        float,
        typer.Option(
            help="Seconds between live fusion steps: reports stored since the last one (by the "
            "API, ceasefire ingest or another process) become incidents and violations at once; "
            "the whole store is fused first. 0: none (ceasefire fuse does it)."
        ),
    ] = 0.25,
    smtp: Annotated[
        str | None,
        typer.Option(help="E-mail urgent hotline messages through this server: smtp://HOST:PORT."),
    ] = None,
    mail_from: Annotated[
        str, typer.Option("--mail-from", help="The From address of hotline e-mails.")
    ] = "hotline@ceasefire.invalid",
    mail_to: Annotated[
        list[str] | None,
        typer.Option(
            "--mail-to",
            help="Where an address's urgent messages go: ADDRESS=EMAIL, e.g. UA=duty@example.org "
            "(repeat for more).",
        ),
    ] = None,
    base_url: Annotated[
        str | None,
        typer.Option(
            "--base-url",
            help="Where callers reach the service, for the absolute links of OGC API - Features "
            "(e.g. the TLS proxy's https://HOST/PATH); default http://HOST:PORT as listened on. "
            "Links never come from a request's Host header.",
        ),
    ] = None,
    # The defaults are ceasefire.api.Limits' (None here: FastAPI is imported only on serving).
    token_rate: Annotated[
        float | None,
        typer.Option(
            "--token-rate",
            help="Requests a second one bearer token may send on average; more get 429 "
            "(default 200; 0: no limit).",
        ),
    ] = None,
    token_burst: Annotated[
        int | None,
        typer.Option("--token-burst", help="Requests one bearer token may send at once (2000)."),
    ] = None,
    bad_tokens: Annotated[
        int | None,
        typer.Option(
            "--bad-tokens",
            help="Bad tokens one client address may send per --bad-token-window before it "
            "gets 429 for the rest of the window (default 20; 0: no limit).",
        ),
    ] = None,
    bad_token_window: Annotated[
        float | None,
        typer.Option("--bad-token-window", help="Seconds bad tokens are counted over (60)."),
    ] = None,
    create: Annotated[
        bool,
        typer.Option(
            "--create",
            help="Start a new, empty store when --db holds none (otherwise that is refused).",
        ),
    ] = False,
) -> None:
    """Run the HTTP API on a database and print its address (API under /api/v1, OpenAPI at
    /openapi.json). Callers send a bearer token from `ceasefire users add`; without one they
    see what the public sees. It speaks plain HTTP: put a TLS proxy in front off loopback.

    Example: ceasefire serve --db var/demo.db --port 8000 --cosigner var/demo-keys/UA.key.pub
    """
    import uvicorn

    from ceasefire.api import Limits
    from ceasefire.api.deps import check_base_url
    from ceasefire.geo.engine import GeoEngine
    from ceasefire.hotline.mail import SmtpSettings
    from ceasefire.hotline.scheduler import HotlineConfig
    from ceasefire.ledger.keys import read_signer, read_verifier
    from ceasefire.store.facade import Store
    from ceasefire.web.app import create_web_app

    trusted = [read_verifier(c) for c in cosigner or ()]
    signer = None if sign_key is None else read_signer(sign_key)
    if checkpoint_every <= 0:
        raise InputError(Problem("options", "--checkpoint-every", "must be above 0 seconds"))
    placing = load_agreement(agreement)
    if max_batch_mb <= 0:
        raise InputError(Problem("options", "--max-batch-mb", "must be above 0"))
    given: dict[str, Any] = {
        "token_rate": token_rate,
        "token_burst": token_burst,
        "bad_tokens": bad_tokens,
        "bad_token_window_s": bad_token_window,
    }
    limits = replace(
        Limits(batch_bytes=int(max_batch_mb * 1024 * 1024), report_bytes=max_report_kb * 1024),
        **{k: v for k, v in given.items() if v is not None},
    )
    for option, value, least in (
        ("--token-rate", limits.token_rate, 0),
        ("--token-burst", limits.token_burst, 1),
        ("--bad-tokens", limits.bad_tokens, 0),
    ):
        if value < least:
            raise InputError(Problem("options", option, f"must be {least} or above"))
    if limits.bad_token_window_s <= 0:
        raise InputError(Problem("options", "--bad-token-window", "must be above 0 seconds"))
    if hotline_every < 0:
        raise InputError(Problem("options", "--hotline-every", "must be 0 (off) or above"))
    if fuse_every < 0:
        raise InputError(Problem("options", "--fuse-every", "must be 0 (off) or above"))
    hotline = HotlineConfig(
        smtp=None if smtp is None else SmtpSettings.parse(smtp, mail_from),
        mail_to=_mail_to(mail_to or (), placing.parties),
    )
    if base_url is not None:
        base_url = check_base_url(base_url)
    with Store.open(db, create=create) as store:
        # The grids are built now, not during the first large batch (about 5 s, measured).
        engine = GeoEngine(placing).prepare()
        sock = _listen(host, port)
        bound = sock.getsockname()[1]
        url = f"http://{f'[{host}]' if ':' in host else host}:{bound}"
        app = create_web_app(
            store,
            placing,
            engine=engine,
            cosigners=trusted,
            limits=limits,
            signer=signer,
            checkpoint_every=checkpoint_every,
            hotline=hotline,
            hotline_every=hotline_every or None,
            fuse_every=fuse_every or None,
            base_url=base_url or url,
        )
        sys.stdout.write(
            f"ceasefire serving {db} at {url}\n"
            f"  API      {url}/api/v1\n"
            f"  OpenAPI  {url}/openapi.json\n"
            f"  Map      {url}/map\n"
            f"  Report   {url}/report\n"
            "Ctrl-C stops it.\n"
        )
        sys.stdout.flush()
        # What start-up built (agreement, grids, gazetteer, app) lives as long as the process:
        # out of the collector's sight, a full collection no longer walks it while requests
        # wait (it did: 100 ms stalls, the p99 of single-report POSTs).
        gc.collect()
        gc.freeze()
        server = uvicorn.Server(uvicorn.Config(app, log_level=log_level))
        server.run(sockets=[sock])
