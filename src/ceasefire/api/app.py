"""The application factory: one FastAPI app over one store and one agreement.

``create_app`` wires the pieces; each route module (``ceasefire.api.routes``) is a thin layer
over the library::

    /api/v1                                 _index          what this service is, links
    /api/v1/reports, /reports/batch (POST)  routes.intake   submit reports
    /api/v1/reports, /incidents, /violations, /agreements (GET)
                                            routes.read     read, filter, page
    /api/v1/incidents/{id}/status, /release routes.actions  a monitor's decision; a release
    /api/v1/ledger/...                      routes.ledger   checkpoint, proofs, cosignatures
    /api/v1/ogc/...                         routes.ogc      OGC API - Features: landing page,
                                                            conformance, collections, items
    /api/v1/hotline/messages/..., /metrics  routes.hotline  inbox, send, ack, answer, CAP, metrics
    /api/v1/tallies/...                     routes.tallies  strike tallies: enter, list, reconcile
    /api/v1/coverage                        routes.coverage sensor status, patrols, restrictions;
                                                            coverage per oblast or cell
    /api/v1/extract, /extract/accept (POST) routes.extract  proposals from text; accepting them
    /openapi.json                           FastAPI         the OpenAPI document

While the app runs, its lifespan signs checkpoints as the log grows (with a signer), ticks the
hotline :class:`~ceasefire.hotline.scheduler.Scheduler` (notifications, escalations, mail) and
fuses reports as they arrive, in a process of its own (:class:`~ceasefire.live.LiveProcess`, when ``fuse_every`` is set).

Every ``/api/v1`` route depends on :func:`ceasefire.api.deps.get_caller`, set once on the
router here; every error, from any layer, leaves through :mod:`ceasefire.api.errors`.

The interactive ``/docs`` pages are off: FastAPI loads them from a CDN, and the mechanism runs
air-gapped (DESIGN section 4). ``/openapi.json`` is the documentation programs read.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from fastapi import APIRouter, Depends, FastAPI

import ceasefire
from ceasefire.api.committer import GroupCommitter
from ceasefire.api.deps import (
    API_PREFIX,
    DEFAULT_BASE_URL,
    JSON,
    Limits,
    Service,
    ServiceDep,
    Tokens,
    check_base_url,
    get_caller,
)
from ceasefire.api.errors import ErrorResponse, install
from ceasefire.api.routes import actions as routes_actions
from ceasefire.api.routes import changes as routes_changes
from ceasefire.api.routes import coverage as routes_coverage
from ceasefire.api.routes import daily_report as routes_daily_report
from ceasefire.api.routes import exports as routes_exports
from ceasefire.api.routes import extract as routes_extract
from ceasefire.api.routes import hotline as routes_hotline
from ceasefire.api.routes import intake as routes_intake
from ceasefire.api.routes import ledger as routes_ledger
from ceasefire.api.routes import ogc as routes_ogc
from ceasefire.api.routes import read as routes_read
from ceasefire.api.routes import tallies as routes_tallies
from ceasefire.hotline.scheduler import HotlineConfig, Scheduler
from ceasefire.live import LiveProcess

if TYPE_CHECKING:
    from ceasefire.agreement.model import Agreement
    from ceasefire.geo.engine import GeoEngine
    from ceasefire.ledger.notes import Signer, Verifier
    from ceasefire.store.facade import Store

#: Documented on every operation: any error has the one shape.
_ANY_ERROR: dict[int | str, dict[str, Any]] = {
    "default": {"model": ErrorResponse, "description": "Any error: the one error shape."}
}


def create_app(
    store: Store,
    agreement: Agreement,
    *,
    engine: GeoEngine | None = None,
    cosigners: Sequence[Verifier] = (),
    limits: Limits | None = None,
    signer: Signer | None = None,
    checkpoint_every: float = 1.0,
    hotline: HotlineConfig | None = None,
    hotline_every: float | None = 5.0,
    fuse_every: float | None = None,
    clock: Callable[[], datetime] | None = None,
    base_url: str = DEFAULT_BASE_URL,
) -> FastAPI:
    """The HTTP API over ``store``; reports are placed against ``agreement``.

    Parameters
    ----------
    store
        An open store; the caller closes it when the app is done.
    agreement
        The agreement reports are placed against and whose parties a monitor may assess.
    engine
        Its geometry engine, if already built (``GeoEngine(agreement).prepare()`` builds the
        grids at once rather than on the first large batch).
    cosigners
        The cosigner keys (``cosignature/v1``) whose cosignatures ``POST
        /ledger/cosignature`` accepts. Until parties register keys through the API, whoever
        starts the service decides (``ceasefire serve --cosigner``).
    limits
        Request size and rate limits (:class:`Limits`).
    signer, checkpoint_every
        The log's key: while the app runs, a checkpoint is signed every ``checkpoint_every``
        seconds in which the log grew (:func:`checkpoints`), so a party always finds a recent
        one to prove against and to cosign. Without it checkpoints are signed from the CLI.
    hotline, hotline_every, clock
        The hotline scheduler's settings (:class:`ceasefire.hotline.scheduler.HotlineConfig`):
        it ticks every ``hotline_every`` seconds (None: never; ``ceasefire hotline tick`` then
        does its work) at the time ``clock`` gives (default: the present). With live fusion
        and the present's clock, notifications are made by live fusion after each step instead
        of at the ticks.
    fuse_every
        While the app runs, fuse the reports stored since the last time every ``fuse_every``
        seconds, in a process of its own (:class:`ceasefire.live.LiveProcess`: the whole store
        in bulk first, then only what arrives); None: never (``ceasefire fuse`` does it).
        ``ceasefire serve`` turns it on.
    base_url
        Where callers reach the service (``http://HOST:PORT``, or the proxy's URL in front of
        it), for the absolute links of OGC API - Features. Links are never built from a
        request's ``Host`` header, which the caller writes (``ceasefire serve --base-url``).
    """
    if engine is None:
        from ceasefire.geo.engine import GeoEngine

        engine = GeoEngine(agreement)
    committer = GroupCommitter(store, engine)
    limits = limits or Limits()
    # Live fusion notifies right after each step that saved incidents, unless the hotline is
    # off or runs on a clock of the caller's, which another process cannot share.
    live_notifies = fuse_every is not None and hotline_every is not None and clock is None
    live = None
    if fuse_every is not None:
        told = (hotline or HotlineConfig()) if live_notifies else None
        live = LiveProcess(store.url, [agreement], fuse_every, told)
    service = Service(
        store,
        agreement,
        engine,
        tuple(cosigners),
        limits,
        committer,
        Tokens(store, limits=limits),
        check_base_url(base_url, "base_url"),
        live,
    )
    app = FastAPI(
        title="ceasefire",
        version=ceasefire.__version__,
        summary="Ceasefire monitoring: reports, incidents, violations and the shared record.",
        description='Every error has one shape: `{"error": {"status", "code", '
        '"message", "problems": [{"where", "field", "reason"}]}}`. See docs/api.md.',
        docs_url=None,
        redoc_url=None,
        default_response_class=JSON,
        responses=_ANY_ERROR,
        lifespan=_lifespan(
            service,
            signer,
            checkpoint_every,
            Scheduler(store, agreement, hotline),
            hotline_every,
            clock,
            live,
            not live_notifies,
        ),
    )
    app.state.service = service
    install(app)

    api = APIRouter(prefix=API_PREFIX, dependencies=[Depends(get_caller)])
    api.add_api_route("", _index, methods=["GET"], summary="What this service is", tags=["meta"])
    routes = (
        routes_intake,
        routes_exports,  # before read: /incidents/export is not an incident id
        routes_daily_report,  # before read: /reports/daily is not a report id
        routes_read,
        routes_actions,
        routes_ledger,
        routes_ogc,
        routes_hotline,
        routes_changes,
        routes_tallies,
        routes_coverage,
        routes_extract,
    )
    for module in routes:
        api.include_router(module.router)
    app.include_router(api)
    app.add_api_route("/", _root, methods=["GET"], include_in_schema=False)
    return app


def _index(service: ServiceDep) -> dict[str, Any]:
    """The service, the agreement it places reports against, and where everything is."""
    a = service.agreement
    p = API_PREFIX
    return {
        "service": "ceasefire",
        "version": ceasefire.__version__,
        "agreement": {"id": a.id, "version": a.version, "title": a.title},
        # How current the incidents are: live fusion has taken in every report up to this
        # number (None: the service does not fuse; `ceasefire fuse` does).
        "fusion": None if service.live is None else service.live.status(),
        "links": {
            "openapi": "/openapi.json",
            "reports": f"{p}/reports",
            "incidents": f"{p}/incidents",
            "violations": f"{p}/violations",
            "agreements": f"{p}/agreements",
            "checkpoint": f"{p}/ledger/checkpoint",
            "changes": f"{p}/changes",
        },
    }


def _root() -> dict[str, Any]:
    return {"service": "ceasefire", "api": API_PREFIX, "openapi": "/openapi.json"}


_log = logging.getLogger("ceasefire.api")


def _lifespan(
    service: Service,
    signer: Signer | None,
    every: float,
    scheduler: Scheduler,
    hotline_every: float | None,
    clock: Callable[[], datetime] | None,
    live: LiveProcess | None,
    notify: bool,
) -> Callable[[FastAPI], contextlib.AbstractAsyncContextManager[None]]:
    """The app's lifespan: with a signer, :func:`checkpoints` runs beside the server, the
    hotline's scheduler ticks, and live fusion steps; when the server stops, the single reports
    still waiting are stored before the store is let go."""

    @contextlib.asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        tasks = []
        if signer is not None:
            tasks.append(asyncio.create_task(checkpoints(service.store, signer, every)))
        if hotline_every is not None:
            tasks.append(asyncio.create_task(scheduler.run(hotline_every, clock, notify=notify)))
        if live is not None:
            live.start()
        try:
            yield
        finally:
            if live is not None:
                await asyncio.to_thread(live.stop)
            for task in tasks:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
            await asyncio.to_thread(service.committer.close)

    return lifespan


async def checkpoints(store: Store, signer: Signer, every: float) -> None:
    """Sign a checkpoint whenever the log has grown, checking every ``every`` seconds.

    The signing runs in a worker thread (it takes the store's write lock briefly); a failure is
    logged and retried at the next tick rather than stopping the service, since intake does
    not depend on it.
    """
    from ceasefire.ledger.proofs import sign_checkpoint

    signed = -1
    while True:
        try:
            size = (await asyncio.to_thread(store.ledger_state)).size
            if size != signed:
                signed = (await asyncio.to_thread(sign_checkpoint, store, signer)).size
        except asyncio.CancelledError:
            raise
        except Exception:  # logged, retried next tick: the intake must not stop for this
            _log.exception("signing a checkpoint failed; retrying in %.1f s", every)
        await asyncio.sleep(every)
