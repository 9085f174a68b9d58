"""ceasefire: monitoring and verification of a ceasefire agreement.

The library comes first; the CLI is a thin layer over these names::

    import ceasefire

    agreement = ceasefire.load_agreement(ceasefire.demo_agreement_path())
    engine = ceasefire.GeoEngine(agreement)
    facts = engine.classify([37.80, 37.56], [48.00, 48.72])  # Donetsk, Kramatorsk
"""

from __future__ import annotations

import importlib
from importlib import metadata as _metadata
from typing import TYPE_CHECKING, Any

try:
    # One source for the version: the installed distribution's metadata (pyproject.toml).
    __version__ = _metadata.version("ceasefire")
except _metadata.PackageNotFoundError:  # run from a source tree that was never installed
    __version__ = "0+unknown"

# Public name -> the module that defines it. Loaded on first use (PEP 562) so that
# `ceasefire --help` does not pay for SQLAlchemy, Alembic, SciPy and PROJ before it prints.
_EXPORTS: dict[str, str] = {
    "AddResult": "ceasefire.records",
    "Agreement": "ceasefire.agreement.model",
    "AgreementError": "ceasefire.errors",
    "Anchor": "ceasefire.agreement.model",
    "AuditReport": "ceasefire.ledger.auditor",
    "CapAlert": "ceasefire.hotline.cap",
    "CapArea": "ceasefire.hotline.cap",
    "CeasefireError": "ceasefire.errors",
    "Checkpoint": "ceasefire.ledger.checkpoints",
    "ColumnMapping": "ceasefire.intake.mapping",
    "ConflictError": "ceasefire.errors",
    "CorruptStoreError": "ceasefire.errors",
    "Coverage": "ceasefire.coverage.compute",
    "DeliveryError": "ceasefire.errors",
    "Estimate": "ceasefire.records",
    "ForbiddenError": "ceasefire.errors",
    "FuseResult": "ceasefire.pipeline",
    "Fuser": "ceasefire.fusion.incremental",
    "FusionConfig": "ceasefire.fusion.config",
    "FusionInput": "ceasefire.fusion.columns",
    "Gazetteer": "ceasefire.geo.gazetteer",
    "GeoEngine": "ceasefire.geo.engine",
    "Harm": "ceasefire.records",
    "HotlineConfig": "ceasefire.hotline.scheduler",
    "HotlineDeadlines": "ceasefire.agreement.model",
    "Incident": "ceasefire.records",
    "IngestResult": "ceasefire.pipeline",
    "InputError": "ceasefire.errors",
    "Location": "ceasefire.intake.report",
    "MonitoredArea": "ceasefire.coverage.grid",
    "Neighbourhood": "ceasefire.fusion.config",
    "NotFoundError": "ceasefire.errors",
    "ParseResult": "ceasefire.intake.files",
    "Partition": "ceasefire.fusion.bulk",
    "Placement": "ceasefire.geo.engine",
    "Problem": "ceasefire.errors",
    "ProhibitedAct": "ceasefire.agreement.model",
    "Report": "ceasefire.intake.report",
    "Scheduler": "ceasefire.hotline.scheduler",
    "Signer": "ceasefire.ledger.notes",
    "SimConfig": "ceasefire.sim",
    "SimStats": "ceasefire.sim",
    "Simulation": "ceasefire.sim",
    "SmtpSettings": "ceasefire.hotline.mail",
    "StatusChange": "ceasefire.records",
    "Store": "ceasefire.store.facade",
    "StoreError": "ceasefire.errors",
    "StoredCheckpoint": "ceasefire.ledger.log",
    "StoredIncident": "ceasefire.records",
    "StoredMessage": "ceasefire.hotline.rules",
    "StoredReport": "ceasefire.records",
    "TickResult": "ceasefire.hotline.scheduler",
    "VerificationError": "ceasefire.errors",
    "Verifier": "ceasefire.ledger.notes",
    "Violation": "ceasefire.judge.rules",
    "Zone": "ceasefire.agreement.model",
    "ZoneSummary": "ceasefire.geo.zones",
    "audit": "ceasefire.ledger.auditor",
    "canonical_json": "ceasefire.canonical",
    "check_agreement": "ceasefire.agreement.load",
    "cosign_latest": "ceasefire.ledger.proofs",
    "demo_agreement_path": "ceasefire.agreement.load",
    "describe": "ceasefire.agreement.model",
    "fuse": "ceasefire.fusion.bulk",
    "fuse_store": "ceasefire.pipeline",
    "fusion_input": "ceasefire.fusion.columns",
    "in_force": "ceasefire.judge.rules",
    "ingest_files": "ceasefire.pipeline",
    "ingest_reports": "ceasefire.pipeline",
    "judge": "ceasefire.judge.rules",
    "judge_under": "ceasefire.judge.rules",
    "load_agreement": "ceasefire.agreement.load",
    "load_gazetteer": "ceasefire.geo.gazetteer",
    "load_mapping": "ceasefire.intake.mapping",
    "parse_file": "ceasefire.intake.files",
    "place_reports": "ceasefire.pipeline",
    "prove": "ceasefire.ledger.proofs",
    "read_reports": "ceasefire.intake.files",
    "resolve_observer": "ceasefire.intake.observer",
    "side_of_line": "ceasefire.agreement.model",
    "sign_checkpoint": "ceasefire.ledger.proofs",
    "sign_report": "ceasefire.intake.signing",
    "simulate": "ceasefire.sim",
    "summarise": "ceasefire.fusion.incidents",
    "validate_report": "ceasefire.intake.validation",
    "verify_bundle": "ceasefire.ledger.proofs",
    "verify_consistency": "ceasefire.ledger.merkle",
    "verify_consistency_from": "ceasefire.ledger.proofs",
    "verify_inclusion": "ceasefire.ledger.merkle",
    "write_export": "ceasefire.publish.formats",
    "write_reports": "ceasefire.publish.export",
    "write_simulation": "ceasefire.sim",
    "zone_polygons": "ceasefire.agreement.model",
    "zone_summaries": "ceasefire.geo.zones",
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
    from ceasefire.agreement.load import check_agreement, demo_agreement_path, load_agreement
    from ceasefire.agreement.model import (
        Agreement,
        Anchor,
        HotlineDeadlines,
        ProhibitedAct,
        Zone,
        describe,
        side_of_line,
        zone_polygons,
    )
    from ceasefire.canonical import canonical_json
    from ceasefire.coverage.compute import Coverage
    from ceasefire.coverage.grid import MonitoredArea
    from ceasefire.errors import (
        AgreementError,
        CeasefireError,
        ConflictError,
        CorruptStoreError,
        DeliveryError,
        ForbiddenError,
        InputError,
        NotFoundError,
        Problem,
        StoreError,
        VerificationError,
    )
    from ceasefire.fusion.bulk import Partition, fuse
    from ceasefire.fusion.columns import FusionInput, fusion_input
    from ceasefire.fusion.config import FusionConfig, Neighbourhood
    from ceasefire.fusion.incidents import summarise
    from ceasefire.fusion.incremental import Fuser
    from ceasefire.geo.engine import GeoEngine, Placement
    from ceasefire.geo.gazetteer import Gazetteer, load_gazetteer
    from ceasefire.geo.zones import ZoneSummary, zone_summaries
    from ceasefire.hotline.cap import CapAlert, CapArea
    from ceasefire.hotline.mail import SmtpSettings
    from ceasefire.hotline.rules import StoredMessage
    from ceasefire.hotline.scheduler import HotlineConfig, Scheduler, TickResult
    from ceasefire.intake.files import ParseResult, parse_file, read_reports
    from ceasefire.intake.mapping import ColumnMapping, load_mapping
    from ceasefire.intake.observer import resolve_observer
    from ceasefire.intake.report import Location, Report
    from ceasefire.intake.signing import sign_report
    from ceasefire.intake.validation import validate_report
    from ceasefire.judge.rules import Violation, in_force, judge, judge_under
    from ceasefire.ledger.auditor import AuditReport, audit
    from ceasefire.ledger.checkpoints import Checkpoint
    from ceasefire.ledger.log import StoredCheckpoint
    from ceasefire.ledger.merkle import verify_consistency, verify_inclusion
    from ceasefire.ledger.notes import Signer, Verifier
    from ceasefire.ledger.proofs import (
        cosign_latest,
        prove,
        sign_checkpoint,
        verify_bundle,
        verify_consistency_from,
    )
    from ceasefire.pipeline import (
        FuseResult,
        IngestResult,
        fuse_store,
        ingest_files,
        ingest_reports,
        place_reports,
    )
    from ceasefire.publish.export import write_reports
    from ceasefire.publish.formats import write_export
    from ceasefire.records import (
        AddResult,
        Estimate,
        Harm,
        Incident,
        StatusChange,
        StoredIncident,
        StoredReport,
    )
    from ceasefire.sim import SimConfig, SimStats, Simulation, simulate, write_simulation
    from ceasefire.store.facade import Store
