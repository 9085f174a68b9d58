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
from pathlib import Path
from typing import Annotated

import typer

from ceasefire.cli import DEFAULT_DB, AgreementOpt, DbOpt, _load_agreement
from ceasefire.cli_ledger import CosignerOpt
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
    log_level: Annotated[str, typer.Option(help="uvicorn's log level.")] = "info",
    sign_key: Annotated[
        Path | None,
        typer.Option("--sign-key", help="The log's private key: sign checkpoints as it grows."),
    ] = None,
    checkpoint_every: Annotated[
        float, typer.Option(help="Seconds between checks for a new checkpoint (with --sign-key).")
    ] = 1.0,
) -> None:
    """Run the HTTP API on a database and print its address (API under /api/v1, OpenAPI at
    /openapi.json). Callers send a bearer token from `ceasefire users add`; without one they
    see what the public sees. It speaks plain HTTP: put a TLS proxy in front off loopback.

    Example: ceasefire serve --db var/demo.db --port 8000 --cosigner var/demo-keys/UA.key.pub
    """
    import uvicorn

    from ceasefire.api import Limits, create_app
    from ceasefire.geo import GeoEngine
    from ceasefire.ledger import read_signer, read_verifier
    from ceasefire.store import Store

    trusted = [read_verifier(c) for c in cosigner or ()]
    signer = None if sign_key is None else read_signer(sign_key)
    if checkpoint_every <= 0:
        raise InputError(Problem("options", "--checkpoint-every", "must be above 0 seconds"))
    placing = _load_agreement(agreement)
    limits = Limits(batch_bytes=int(max_batch_mb * 1024 * 1024))
    with Store.open(db) as store:
        # The grids are built now, not during the first large batch (about 5 s, measured).
        engine = GeoEngine(placing).prepare()
        app = create_app(
            store,
            placing,
            engine=engine,
            cosigners=trusted,
            limits=limits,
            signer=signer,
            checkpoint_every=checkpoint_every,
        )
        sock = _listen(host, port)
        bound = sock.getsockname()[1]
        url = f"http://{f'[{host}]' if ':' in host else host}:{bound}"
        sys.stdout.write(
            f"ceasefire serving {db} at {url}\n"
            f"  API      {url}/api/v1\n"
            f"  OpenAPI  {url}/openapi.json\n"
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
