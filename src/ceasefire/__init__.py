"""ceasefire: monitoring and verification of a ceasefire agreement."""

from __future__ import annotations

from ceasefire.agreement import Agreement, HotlineDeadlines, ProhibitedAct, Zone
from ceasefire.errors import (
    AgreementError,
    CeasefireError,
    ConflictError,
    InputError,
    NotFoundError,
    Problem,
    StoreError,
)

__version__ = "0.1.0"

__all__ = [
    "Agreement",
    "AgreementError",
    "CeasefireError",
    "ConflictError",
    "HotlineDeadlines",
    "InputError",
    "NotFoundError",
    "Problem",
    "ProhibitedAct",
    "StoreError",
    "Zone",
    "__version__",
]
