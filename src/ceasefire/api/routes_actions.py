"""Actions on incidents: a monitor's decision on an incident's status.

Checked by the library (:meth:`ceasefire.store.Store.set_status`): the four-eyes rule (nobody
verifies an incident whose only evidence is their own report) answers 403; a merged incident
409; a bad status, a blank basis, an unknown party 422 naming the field.

Until access control lands, the body names the ``actor``; afterwards the caller will
(:func:`ceasefire.api.deps.get_caller`).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ceasefire.api.body import JSON_TYPES, media_type, parse_json, read_body
from ceasefire.api.deps import ServiceDep
from ceasefire.api.errors import ErrorResponse
from ceasefire.errors import InputError, Problem
from ceasefire.reports import problems_from

router = APIRouter(tags=["actions"])


class StatusDecision(BaseModel):
    """A monitor's decision: the status, who decides and why, and any perpetrator assessed."""

    model_config = ConfigDict(extra="forbid")

    status: str = Field(description="verified, disputed or unfounded.", examples=["verified"])
    actor: str = Field(description="Who decides (a monitor's name).", examples=["J. Doe"])
    basis: str = Field(description="Why: what was seen, checked or found.")
    assessed_perpetrator: str | None = Field(
        default=None, description="The party assessed responsible, e.g. RU."
    )
    perpetrator_basis: str | None = Field(
        default=None,
        description="What that rests on: direction_of_fire, crater_analysis, claim, imagery, "
        "other.",
    )


_ERRORS: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorResponse, "description": text}
    for status, text in (
        (403, "The actor may not decide this (four eyes: not on their own report)."),
        (404, "No such incident."),
        (409, "The incident was merged into another (named in the message)."),
        (422, "A bad status, basis, actor or party; problems name the field."),
    )
}


@router.post(
    "/incidents/{incident_id}/status",
    summary="Decide an incident's status",
    responses=_ERRORS,
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": StatusDecision.model_json_schema()}},
        }
    },
)
async def set_status(request: Request, service: ServiceDep, incident_id: str) -> dict[str, Any]:
    """Record a monitor's decision on an incident, with who, why and any perpetrator; returns
    the status change as recorded in the history (and the ledger)."""
    media_type(request, JSON_TYPES)
    data = parse_json(await read_body(request, service.limits.body_bytes))
    if not isinstance(data, dict):
        raise InputError(Problem("body", "", "must be a JSON object"))
    try:
        decision = StatusDecision.model_validate(data)
    except ValidationError as exc:
        raise InputError(problems_from(exc, "body")) from None
    change = await run_in_threadpool(
        service.store.set_status,
        incident_id,
        status=decision.status,
        actor=decision.actor,
        basis=decision.basis,
        at=datetime.now(UTC),
        assessed_perpetrator=decision.assessed_perpetrator,
        perpetrator_basis=decision.perpetrator_basis,
        parties=tuple(service.agreement.parties),
    )
    return change.to_dict()
