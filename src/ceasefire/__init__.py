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
    "AuditReport": "ceasefire.ledger",
    "CapAlert": "ceasefire.cap",
    "CapArea": "ceasefire.cap",
    "CeasefireError": "ceasefire.errors",
    "Checkpoint": "ceasefire.notes",
    "ConflictError": "ceasefire.errors",
    "DeliveryError": "ceasefire.errors",
    "Estimate": "ceasefire.incidents",
    "ForbiddenError": "ceasefire.errors",
    "FuseResult": "ceasefire.pipeline",
    "Fuser": "ceasefire.fusion",
    "FusionConfig": "ceasefire.fusion",
    "FusionInput": "ceasefire.fusion",
    "Gazetteer": "ceasefire.gazetteer",
    "GeoEngine": "ceasefire.geo",
    "HotlineConfig": "ceasefire.hotline_scheduler",
    "HotlineDeadlines": "ceasefire.agreement",
    "Incident": "ceasefire.incidents",
    "IngestResult": "ceasefire.pipeline",
    "InputError": "ceasefire.errors",
    "Location": "ceasefire.reports",
    "Neighbourhood": "ceasefire.fusion",
    "NotFoundError": "ceasefire.errors",
    "ParseResult": "ceasefire.intake",
    "Partition": "ceasefire.fusion",
    "Placement": "ceasefire.geo",
    "Problem": "ceasefire.errors",
    "ProhibitedAct": "ceasefire.agreement",
    "Report": "ceasefire.reports",
    "Scheduler": "ceasefire.hotline_scheduler",
    "Signer": "ceasefire.notes",
    "SimConfig": "ceasefire.simulate",
    "SimStats": "ceasefire.simulate",
    "Simulation": "ceasefire.simulate",
    "SmtpSettings": "ceasefire.mail",
    "StatusChange": "ceasefire.verification",
    "Store": "ceasefire.store",
    "StoreError": "ceasefire.errors",
    "StoredCheckpoint": "ceasefire.store_ledger",
    "StoredIncident": "ceasefire.store",
    "StoredMessage": "ceasefire.store_hotline",
    "StoredReport": "ceasefire.store",
    "TickResult": "ceasefire.hotline_scheduler",
    "VerificationError": "ceasefire.errors",
    "Verifier": "ceasefire.notes",
    "Violation": "ceasefire.rules",
    "Zone": "ceasefire.agreement",
    "ZoneSummary": "ceasefire.agreement",
    "audit": "ceasefire.ledger",
    "canonical_json": "ceasefire.canonical",
    "check_agreement": "ceasefire.agreement",
    "cosign_latest": "ceasefire.ledger",
    "demo_agreement_path": "ceasefire.agreement",
    "describe": "ceasefire.agreement",
    "fuse": "ceasefire.fusion",
    "fuse_store": "ceasefire.pipeline",
    "fusion_input": "ceasefire.fusion",
    "in_force": "ceasefire.rules",
    "ingest_files": "ceasefire.pipeline",
    "ingest_reports": "ceasefire.pipeline",
    "judge": "ceasefire.rules",
    "judge_under": "ceasefire.rules",
    "load_agreement": "ceasefire.agreement",
    "load_gazetteer": "ceasefire.gazetteer",
    "parse_file": "ceasefire.intake",
    "place_reports": "ceasefire.pipeline",
    "prove": "ceasefire.ledger",
    "read_reports": "ceasefire.intake",
    "resolve_observer": "ceasefire.reports",
    "side_of_line": "ceasefire.agreement",
    "sign_checkpoint": "ceasefire.ledger",
    "sign_report": "ceasefire.signing",
    "simulate": "ceasefire.simulate",
    "summarise": "ceasefire.incidents",
    "validate_report": "ceasefire.reports",
    "verify_bundle": "ceasefire.ledger",
    "verify_consistency": "ceasefire.merkle",
    "verify_consistency_from": "ceasefire.ledger",
    "verify_inclusion": "ceasefire.merkle",
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
    from ceasefire.canonical import canonical_json
    from ceasefire.cap import CapAlert, CapArea
    from ceasefire.errors import (
        AgreementError,
        CeasefireError,
        ConflictError,
        DeliveryError,
        ForbiddenError,
        InputError,
        NotFoundError,
        Problem,
        StoreError,
        VerificationError,
    )
    from ceasefire.export import write_reports
    from ceasefire.fusion import (
        Fuser,
        FusionConfig,
        FusionInput,
        Neighbourhood,
        Partition,
        fuse,
        fusion_input,
    )
    from ceasefire.gazetteer import Gazetteer, load_gazetteer
    from ceasefire.geo import GeoEngine, Placement
    from ceasefire.hotline_scheduler import HotlineConfig, Scheduler, TickResult
    from ceasefire.incidents import Estimate, Incident, summarise
    from ceasefire.intake import ParseResult, parse_file, read_reports
    from ceasefire.ledger import (
        AuditReport,
        audit,
        cosign_latest,
        prove,
        sign_checkpoint,
        verify_bundle,
        verify_consistency_from,
    )
    from ceasefire.mail import SmtpSettings
    from ceasefire.merkle import verify_consistency, verify_inclusion
    from ceasefire.notes import Checkpoint, Signer, Verifier
    from ceasefire.pipeline import (
        FuseResult,
        IngestResult,
        fuse_store,
        ingest_files,
        ingest_reports,
        place_reports,
    )
    from ceasefire.reports import Location, Report, resolve_observer, validate_report
    from ceasefire.rules import Violation, in_force, judge, judge_under
    from ceasefire.signing import sign_report
    from ceasefire.simulate import SimConfig, SimStats, Simulation, simulate, write_simulation
    from ceasefire.store import AddResult, Store, StoredIncident, StoredReport
    from ceasefire.store_hotline import StoredMessage
    from ceasefire.store_ledger import StoredCheckpoint
    from ceasefire.verification import StatusChange
