"""The service with its web page: :func:`create_web_app` is the API of
:func:`ceasefire.api.create_app` plus the pages (:mod:`ceasefire.web.pages`) and their static
files, one process, one access policy. ``ceasefire serve`` runs it.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.routing import APIRoute
from fastapi.staticfiles import StaticFiles

from ceasefire.agreement.model import Agreement
from ceasefire.api.app import create_app
from ceasefire.store.facade import Store
from ceasefire.web import pages
from ceasefire.web.assets import STATIC


def create_web_app(store: Store, agreement: Agreement, **options: Any) -> FastAPI:
    """:func:`ceasefire.api.create_app` (same arguments) with the web page mounted."""
    app = create_app(store, agreement, **options)
    # The API's own "/" answers JSON; here "/" is the page for a browser and the same JSON for
    # everyone else (pages.root), so the API's route gives way.
    app.router.routes[:] = [
        r for r in app.router.routes if not (isinstance(r, APIRoute) and r.path == "/")
    ]
    app.include_router(pages.router)
    app.mount("/static", StaticFiles(directory=STATIC, check_dir=False), name="static")
    return app
