"""ceasefire: monitoring and verification of a ceasefire agreement.

The library comes first; the CLI is a thin layer over these names::

    import ceasefire

    agreement = ceasefire.load_agreement(ceasefire.demo_agreement_path())
    engine = ceasefire.GeoEngine(agreement)
    facts = engine.classify([37.80, 37.56], [48.00, 48.72])  # Donetsk, Kramatorsk
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

# Public name -> the module that defines it. Loaded on first use (PEP 562) so that
# `ceasefire --help` does not pay for SQLAlchemy, Alembic, SciPy and PROJ before it prints.
_EXPORTS: dict[str, str] = {
    "AddResult": "ceasefire.store",
    "Agreement": "ceasefire.agreement",
    "AgreementError": "ceasefire.errors",
    "Anchor": "ceasefire.agreement",
    "CeasefireError": "ceasefire.errors",
    "ConflictError": "ceasefire.errors",
    "Gazetteer": "ceasefire.gazetteer",
    "GeoEngine": "ceasefire.geo",
    "HotlineDeadlines": "ceasefire.agreement",
    "IngestResult": "ceasefire.pipeline",
    "InputError": "ceasefire.errors",
    "Location": "ceasefire.reports",
    "NotFoundError": "ceasefire.errors",
    "ParseResult": "ceasefire.intake",
    "Placement": "ceasefire.geo",
    "Problem": "ceasefire.errors",
    "ProhibitedAct": "ceasefire.agreement",
    "Report": "ceasefire.reports",
    "SimConfig": "ceasefire.simulate",
    "SimStats": "ceasefire.simulate",
    "Simulation": "ceasefire.simulate",
    "Store": "ceasefire.store",
    "StoreError": "ceasefire.errors",
    "StoredReport": "ceasefire.store",
    "Zone": "ceasefire.agreement",
    "ZoneSummary": "ceasefire.agreement",
    "check_agreement": "ceasefire.agreement",
    "demo_agreement_path": "ceasefire.agreement",
    "describe": "ceasefire.agreement",
    "ingest_files": "ceasefire.pipeline",
    "ingest_reports": "ceasefire.pipeline",
    "load_agreement": "ceasefire.agreement",
    "load_gazetteer": "ceasefire.gazetteer",
    "parse_file": "ceasefire.intake",
    "place_reports": "ceasefire.pipeline",
    "read_reports": "ceasefire.intake",
    "resolve_observer": "ceasefire.reports",
    "side_of_line": "ceasefire.agreement",
    "simulate": "ceasefire.simulate",
    "validate_report": "ceasefire.reports",
    "write_reports": "ceasefire.export",
    "write_simulation": "ceasefire.simulate",
    "zone_polygons": "ceasefire.agreement",
    "zone_summaries": "ceasefire.agreement",
}

__all__ = [*_EXPORTS, "__version__"]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'ceasefire' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)


if TYPE_CHECKING:
    from ceasefire.agreement import (
        Agreement,
        Anchor,
        HotlineDeadlines,
        ProhibitedAct,
        Zone,
        ZoneSummary,
        check_agreement,
        demo_agreement_path,
        describe,
        load_agreement,
        side_of_line,
        zone_polygons,
        zone_summaries,
    )
    from ceasefire.errors import (
        AgreementError,
        CeasefireError,
        ConflictError,
        InputError,
        NotFoundError,
        Problem,
        StoreError,
    )
    from ceasefire.export import write_reports
    from ceasefire.gazetteer import Gazetteer, load_gazetteer
    from ceasefire.geo import GeoEngine, Placement
    from ceasefire.intake import ParseResult, parse_file, read_reports
    from ceasefire.pipeline import IngestResult, ingest_files, ingest_reports, place_reports
    from ceasefire.reports import Location, Report, resolve_observer, validate_report
    from ceasefire.simulate import SimConfig, SimStats, Simulation, simulate, write_simulation
    from ceasefire.store import AddResult, Store, StoredReport
