"""The HTTP API: FastAPI over the library, under ``/api/v1``, OpenAPI at ``/openapi.json``.

``create_app(store, agreement)`` builds the app; ``ceasefire serve`` runs it with uvicorn.
The modules, each a thin layer over the library:

- :mod:`~ceasefire.api.app` the factory;
- :mod:`~ceasefire.api.deps` what routes are given (the service, the caller, query parsing);
- :mod:`~ceasefire.api.errors` the one error shape and the one place errors become it;
- :mod:`~ceasefire.api.body` reading bodies (type, size, UTF-8, JSON, nesting);
- :mod:`~ceasefire.api.committer` group commit of single reports sent at the same time;
- :mod:`~ceasefire.api.visibility` pages of what a caller may read (views applied before paging);
- :mod:`~ceasefire.api.routes.intake`, :mod:`~ceasefire.api.routes.read`,
  :mod:`~ceasefire.api.routes.actions`, :mod:`~ceasefire.api.routes.ledger`,
  :mod:`~ceasefire.api.routes.ogc` (a package), :mod:`~ceasefire.api.routes.hotline` the routes.
"""

from ceasefire.api.app import create_app
from ceasefire.api.deps import API_PREFIX, Limits, get_caller

__all__ = ["API_PREFIX", "Limits", "create_app", "get_caller"]
