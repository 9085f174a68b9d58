"""Actions on records: a monitor's decision on an incident's status, a release to the public,
and the retraction of a report.

A decision is an admin's or a monitor's (else 403), recorded under the caller's user name: the
body names no actor (an ``actor`` that is not the caller's name is 422). Checked by the library
(:meth:`ceasefire.store.facade.Store.set_status`): the four-eyes rule (nobody verifies an incident
whose only evidence is their own report) answers 403; a merged incident 409; a bad status, a
blank basis, an unknown party 422 naming the field.

A release is an admin's or a mediator's (else 403): the public then sees the incident once its
window ended :data:`ceasefire.publish.access.PUBLIC_DELAY` ago, at a coarsened place unless ``full``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, ConfigDict, Field

from ceasefire.api.body import JSON_TYPES, json_model, media_type, read_body
from ceasefire.api.deps import Caller, ServiceDep
from ceasefire.api.errors import ErrorResponse
from ceasefire.errors import InputError, Problem
from ceasefire.publish.access import PUBLIC_DELAY, require

router = APIRouter(tags=["actions"])


class StatusDecision(BaseModel):
    """A monitor's decision: the status, who decides and why, and any perpetrator assessed."""

    model_config = ConfigDict(extra="forbid")

    status: str = Field(description="verified, disputed or unfounded.", examples=["verified"])
    actor: str | None = Field(
        default=None,
        description="Who decides: always the caller's user name; leave it out (if given, it "
        "must be that name).",
    )
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
        (403, "The caller may not decide (role; four eyes: not on their own report)."),
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
async def set_status(
    request: Request, service: ServiceDep, caller: Caller, incident_id: str
) -> dict[str, Any]:
    """Record a monitor's decision on an incident, with why and any perpetrator, under the
    caller's name; returns the status change as recorded in the history (and the ledger)."""
    require(caller, "set_status")
    media_type(request, JSON_TYPES)
    decision = json_model(StatusDecision, await read_body(request, service.limits.body_bytes))
    if decision.actor is not None and decision.actor != caller.name:
        raise InputError(Problem("body", "actor", f"is the caller, {caller.name!r}; leave it out"))
    change = await run_in_threadpool(
        service.store.set_status,
        incident_id,
        status=decision.status,
        actor=caller.name,
        basis=decision.basis,
        at=datetime.now(UTC),
        assessed_perpetrator=decision.assessed_perpetrator,
        perpetrator_basis=decision.perpetrator_basis,
        parties=service.agreement.party_codes,
    )
    return change.to_dict()


class ReleaseDecision(BaseModel):
    """A release of an incident to the public."""

    model_config = ConfigDict(extra="forbid")

    full: bool = Field(
        default=False, description="Show the place in full (default: coarsened to about 10 km)."
    )


@router.post(
    "/incidents/{incident_id}/release",
    summary="Release an incident to the public",
    responses={
        403: {"model": ErrorResponse, "description": "Only an admin or a mediator releases."},
        404: {"model": ErrorResponse, "description": "No such incident."},
        422: {"model": ErrorResponse, "description": "A bad field; problems name it."},
    },
    openapi_extra={
        "requestBody": {
            "required": False,
            "content": {"application/json": {"schema": ReleaseDecision.model_json_schema()}},
        }
    },
)
async def release(
    request: Request, service: ServiceDep, caller: Caller, incident_id: str
) -> dict[str, Any]:
    """Release an incident to the public (an empty body: coarsened place). Releasing again
    replaces the earlier release (e.g. to show the place in full). The public sees it from
    ``public_from``: the later of the release and the end of its window plus the delay."""
    require(caller, "release")
    data = await read_body(request, service.limits.body_bytes)
    decision = ReleaseDecision()
    if data.strip():
        media_type(request, JSON_TYPES)
        decision = json_model(ReleaseDecision, data)
    store = service.store
    done = await run_in_threadpool(
        store.release_incident, incident_id, full=decision.full, by=caller.name
    )
    # The store is synchronous: read in the thread pool, not on the event loop.
    stored = await run_in_threadpool(store.get_incident, incident_id)
    ended = stored.incident.observed_to
    return {
        "incident_id": incident_id,
        "released_at": done.at.isoformat(),
        "full": done.full,
        "released_by": caller.name,
        "public_from": max(done.at, ended + PUBLIC_DELAY).isoformat(),
    }


class RetractionRequest(BaseModel):
    """Why a report is withdrawn."""

    model_config = ConfigDict(extra="forbid")
    reason: str = Field(
        description="Why the report is withdrawn (a mistaken place, a duplicate, a false claim).",
        examples=["wrong settlement: the shelling was in Huliaipole, not Orikhiv"],
    )


@router.post(
    "/reports/{report_id:path}/retract",
    summary="Retract a report",
    responses={
        403: {"model": ErrorResponse, "description": "The caller's role retracts nothing."},
        404: {
            "model": ErrorResponse,
            "description": "No such report, or one the caller may not retract (a party: "
            "another's, told as a missing one).",
        },
        409: {"model": ErrorResponse, "description": "The report was retracted already."},
        422: {"model": ErrorResponse, "description": "No reason, or one too long."},
    },
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": RetractionRequest.model_json_schema()}},
        }
    },
)
async def retract(
    request: Request, service: ServiceDep, caller: Caller, report_id: str
) -> dict[str, Any]:
    """Withdraw a report, logged with the caller and the reason: a party its own reports, the
    mission any. It stays readable as history; listings, counts and fusion leave it out, and
    it leaves its incident at once (an incident left with no report is ``withdrawn``). To
    replace a report, submit the new one with ``corrects`` naming it instead."""
    require(caller, "retract_report")
    media_type(request, JSON_TYPES)
    body = json_model(RetractionRequest, await read_body(request, service.limits.body_bytes))
    done = await run_in_threadpool(
        service.store.retract_report, report_id, by=caller, reason=body.reason
    )
    return done.to_dict()
