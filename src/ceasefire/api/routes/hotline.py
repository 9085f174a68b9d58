"""The hotline over HTTP: inbox, sending, acknowledging, answering, metrics and CAP alerts.

A caller speaks as its hotline address (:func:`ceasefire.publish.access.hotline_address`): a
party as its code, the mediator as ``mediator``, admins and monitors as ``mission``; the public
has no part (403). A party reads only the messages it sent or that are addressed to it
(:func:`ceasefire.publish.access.may_read_message`); a message it may not read is 404, as if it
did not exist. The mission and the mediator read everything. A message names only an incident
the caller may read (:func:`ceasefire.publish.access.may_read_incident`, as ``GET
/incidents/{id}``); any other is refused exactly as one that does not exist.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, ConfigDict, Field

from ceasefire.api.body import JSON_TYPES, json_model, media_type, read_body
from ceasefire.api.deps import API_PREFIX, JSON, Caller, Service, ServiceDep
from ceasefire.api.errors import ErrorResponse
from ceasefire.errors import ForbiddenError, InputError, NotFoundError, Problem
from ceasefire.hotline import rules as hotline
from ceasefire.hotline import sending
from ceasefire.hotline.rules import StoredMessage
from ceasefire.hotline.scheduler import cap_alert, metrics_of
from ceasefire.hotline.sending import MAX_MESSAGE_ID
from ceasefire.ids import check_id
from ceasefire.publish.access import (
    Principal,
    hotline_address,
    hotline_scope,
    may_read_message,
    progress_scope,
)
from ceasefire.publish.visibility import Viewer

router = APIRouter(prefix="/hotline", tags=["hotline"])

_ERRORS: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorResponse, "description": text}
    for status, text in (
        (403, "The public has no part in the hotline; or the caller may not reply to it."),
        (404, "No such message (or not one the caller may read)."),
        (409, "A message id stored with other content."),
        (422, "A bad field; problems name it."),
    )
}


class Outgoing(BaseModel):
    """A message a person sends: a query, a request or an agenda item."""

    model_config = ConfigDict(extra="forbid")

    kind: str = Field(description="query, request or agenda_item.", examples=["query"])
    recipients: list[str] = Field(description="Party codes, mission, mediator.")
    subject: str = ""
    text: str = ""
    thread: str | None = Field(default=None, description="Default: the incident, else new.")
    incident_id: str | None = None
    topic: str | None = Field(
        default=None, description="A request's: access or prior_notification."
    )
    place: dict[str, Any] | None = Field(default=None, description="{lon, lat, radius_m}")
    window: dict[str, Any] | None = Field(default=None, description="{from, to}, ISO 8601")
    id: str | None = Field(default=None, description="Your idempotency key (optional).")


class Acknowledgements(BaseModel):
    """Many messages acknowledged in one call (a digest's items, say)."""

    model_config = ConfigDict(extra="forbid")

    ids: list[Any] = Field(
        description=f"The ids of the messages acknowledged (at most {sending.MAX_BULK}).",
        examples=[["sys:n.INC-000012.UA", "sys:n.INC-000013.UA"]],
    )


class Answer(BaseModel):
    """A stated position on a notification, query or request."""

    model_config = ConfigDict(extra="forbid")

    position: str = Field(
        description="accepted, denied, under_investigation; to a request approved or denied.",
        examples=["under_investigation"],
    )
    reasons: str | None = Field(default=None, description="Required for a denial.")
    text: str = ""
    id: str | None = Field(default=None, description="Your idempotency key (optional).")


def _address(caller: Principal) -> str:
    address = hotline_address(caller)
    if address is None:
        raise ForbiddenError("the public has no part in the hotline")
    return address


def _shown(caller: Principal, stored: StoredMessage) -> dict[str, Any]:
    """A message the caller may read, with the replies it may know of
    (:func:`ceasefire.publish.access.progress_scope`)."""
    return stored.to_dict(progress_scope(caller, stored.message))


def _visible(service: Service, caller: Principal, message_id: str, now: datetime) -> StoredMessage:
    # The path's id is held to the ids' one safe set before it is looked up or echoed back.
    check_id(message_id, where="path", field="message_id", max_length=MAX_MESSAGE_ID)
    found = service.store.hotline_get([message_id], now).get(message_id)
    if found is None or not may_read_message(caller, found.message):
        raise NotFoundError(f"no message {message_id!r}")
    return found


@router.get("/messages", summary="The hotline inbox", responses=_ERRORS)
async def inbox(
    service: ServiceDep,
    caller: Caller,
    thread: str | None = None,
    kind: Annotated[str | None, Query(description="A message kind.")] = None,
    state: Annotated[
        str | None, Query(description="open, acknowledged, answered, overdue or escalated.")
    ] = None,
    incident_id: str | None = None,
    address: Annotated[
        str | None, Query(description="Only this address's traffic (the mission's view).")
    ] = None,
    order: Annotated[
        str,
        Query(
            description="stored (the order they were stored) or owed (what the caller still "
            "owes first, by deadline; then the rest, newest first)."
        ),
    ] = "stored",
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    after: Annotated[int | None, Query(ge=0, le=2**62, description="Paging: `next`.")] = None,
    offset: Annotated[
        int | None, Query(ge=0, le=2**31, description="Paging in owed order: `next`.")
    ] = None,
) -> dict[str, Any]:
    """Messages the caller sent or received (all of them for the mission and the mediator),
    with their state now, in the order they were stored or, with ``order=owed``, what the
    caller owes first; ``next`` pages on."""
    _address(caller)
    if order not in hotline.ORDERS:
        raise InputError(Problem("query", "order", f"must be one of {', '.join(hotline.ORDERS)}"))
    if order == "owed" and after is not None:
        raise InputError(Problem("query", "after", "pages the stored order; use offset"))
    if order == "stored" and offset is not None:
        raise InputError(Problem("query", "offset", "pages the owed order; use after"))
    if state is not None and state not in hotline.STATES:
        raise InputError(Problem("query", "state", f"must be one of {', '.join(hotline.STATES)}"))
    if kind is not None and kind not in hotline.KINDS:
        raise InputError(Problem("query", "kind", f"must be one of {', '.join(hotline.KINDS)}"))
    scope = hotline_scope(caller)
    if scope is not None and address is not None and address != scope:
        raise ForbiddenError("a party reads its own traffic only")
    now = datetime.now(UTC)
    found = await run_in_threadpool(
        service.store.hotline_messages,
        now,
        address=address if scope is None else scope,
        thread=thread,
        kind=kind,
        state=state,
        incident_id=incident_id,
        after=after,
        limit=limit + 1,
        order=order,
        offset=offset,
    )
    page = found[:limit]
    out: dict[str, Any] = {"messages": [_shown(caller, m) for m in page]}
    if len(found) > limit:
        if order == "owed":
            out["next"] = (
                f"{API_PREFIX}/hotline/messages?order=owed&offset={(offset or 0) + limit}"
                f"&limit={limit}"
            )
        else:
            out["next"] = f"{API_PREFIX}/hotline/messages?after={page[-1].seq}&limit={limit}"
    return out


@router.post("/messages", summary="Send a query, request or agenda item", status_code=201,
             responses=_ERRORS)  # fmt: skip
async def send_message(request: Request, service: ServiceDep, caller: Caller) -> Any:
    """Send a message as the caller's address; deadlines come from the agreement. The same
    ``id`` with the same content again is a no-op (200)."""
    sender = _address(caller)
    media_type(request, JSON_TYPES)
    body = json_model(Outgoing, await read_body(request, service.limits.body_bytes))
    now = datetime.now(UTC)
    if body.incident_id is not None:
        await run_in_threadpool(_check_incident, service, caller, body.incident_id)
    draft = sending.Draft(**body.model_dump())
    message = sending.compose(
        draft, sender, now, service.agreement.hotline, tuple(service.agreement.parties)
    )
    ((stored, new),) = await run_in_threadpool(service.store.hotline_send, [message], now)
    return JSON(_shown(caller, stored), status_code=201 if new else 200)


def _check_incident(service: Service, caller: Principal, incident_id: str) -> None:
    """A message may name an incident the caller may read, as ``GET /incidents/{id}`` decides
    (unknown and hidden are refused alike)."""
    if Viewer(caller, service.store).visible_incident(incident_id) is None:
        raise InputError(Problem("message", "incident_id", f"no incident {incident_id!r}"))


@router.post("/messages/ack", summary="Acknowledge many messages", status_code=201,
             responses=_ERRORS)  # fmt: skip
async def acknowledge_many(request: Request, service: ServiceDep, caller: Caller) -> Any:
    """Acknowledge every message named in ``ids`` (each addressed to the caller), all or
    none: each acknowledgement is logged on its own, as one ``POST /messages/{id}/ack``. An
    id the caller may not read is refused as missing (404), one it sent itself 403, one that
    asks for no reply 422; each error names the id. 201 when any is new, 200 when all were
    acknowledged before."""
    sender = _address(caller)
    media_type(request, JSON_TYPES)
    body = json_model(Acknowledgements, await read_body(request, service.limits.body_bytes))
    ids = sending.check_ids(body.ids, where="body", field="ids")
    now = datetime.now(UTC)
    stored = await run_in_threadpool(service.store.hotline_get, ids, now)
    replies = sending.acknowledgements(
        ids,
        {i: s.message for i, s in stored.items()},
        sender,
        now,
        lambda m: may_read_message(caller, m),
    )
    done = await run_in_threadpool(service.store.hotline_send, replies, now)
    originals = await run_in_threadpool(service.store.hotline_get, ids, now)
    return JSON(
        {
            "acknowledged": sum(1 for _, new in done if new),
            "messages": [_shown(caller, originals[i]) for i in ids],
        },
        status_code=201 if any(new for _, new in done) else 200,
    )


@router.get("/messages/{message_id}", summary="One hotline message", responses=_ERRORS)
async def get_message(service: ServiceDep, caller: Caller, message_id: str) -> dict[str, Any]:
    """The message with its state now."""
    _address(caller)
    found = await run_in_threadpool(_visible, service, caller, message_id, datetime.now(UTC))
    return _shown(caller, found)


async def _reply(
    request: Request, service: Service, caller: Caller, message_id: str, kind: str
) -> Any:
    sender = _address(caller)
    now = datetime.now(UTC)
    original = (await run_in_threadpool(_visible, service, caller, message_id, now)).message
    raw = await read_body(request, service.limits.body_bytes)
    if kind == "response":
        media_type(request, JSON_TYPES)
        answer = json_model(Answer, raw)
        message = sending.reply(
            original, "response", sender, now, position=answer.position,
            reasons=answer.reasons, text=answer.text, message_id=answer.id,
        )  # fmt: skip
    else:
        if raw.strip():
            raise InputError(Problem("body", "", "an acknowledgement has no body"))
        message = sending.reply(original, "acknowledgement", sender, now)
    ((stored, new),) = await run_in_threadpool(service.store.hotline_send, [message], now)
    return JSON(_shown(caller, stored), status_code=201 if new else 200)


@router.post("/messages/{message_id}/ack", summary="Acknowledge a message", status_code=201,
             responses=_ERRORS)  # fmt: skip
async def acknowledge(
    request: Request, service: ServiceDep, caller: Caller, message_id: str
) -> Any:
    """Acknowledge a notification, query or request addressed to the caller, or answer a line
    check; no body. Twice is a no-op (200)."""
    return await _reply(request, service, caller, message_id, "acknowledgement")


@router.post("/messages/{message_id}/answer", summary="State a position", status_code=201,
             responses=_ERRORS)  # fmt: skip
async def answer(request: Request, service: ServiceDep, caller: Caller, message_id: str) -> Any:
    """Answer a notification, query or request addressed to the caller with a position (a
    denial gives reasons). Later answers may change the position; the first counts for the
    deadline."""
    return await _reply(request, service, caller, message_id, "response")


@router.get(
    "/messages/{message_id}/cap",
    summary="A message as a CAP 1.2 alert",
    response_class=Response,
    responses={200: {"content": {"application/cap+xml": {}}}, **_ERRORS},
)
async def cap_xml(service: ServiceDep, caller: Caller, message_id: str) -> Response:
    """The message as an OASIS CAP 1.2 alert (scope Private, to its recipients)."""
    from ceasefire.hotline import cap

    _address(caller)
    now = datetime.now(UTC)
    found = await run_in_threadpool(_visible, service, caller, message_id, now)
    # A digest's alert carries its items; each is addressed to the digest's own recipients,
    # so whoever may read the digest may read them.
    items = await run_in_threadpool(service.store.hotline_get, found.message.items, now)
    shown = [items[i].message for i in found.message.items if i in items]
    xml = cap.to_xml(cap_alert(found.message, "ceasefire.mission", shown))
    return Response(xml, media_type="application/cap+xml")


@router.get("/metrics", summary="Hotline metrics per party and week", responses=_ERRORS)
async def metrics(
    service: ServiceDep,
    caller: Caller,
    party: str | None = None,
) -> dict[str, Any]:
    """Per party and ISO week: time to acknowledge and to answer (median, p90, minutes), what
    is still owed, line checks sent and missed, access requests denied and why. A party gets
    its own rows."""
    _address(caller)
    parties = tuple(service.agreement.parties)
    if party is not None and party not in parties:
        raise InputError(Problem("query", "party", f"must be one of {', '.join(parties)}"))
    scope = hotline_scope(caller)
    if scope is not None and party is not None and party != scope:
        raise ForbiddenError("a party reads its own metrics only")
    now = datetime.now(UTC)
    rows = await run_in_threadpool(metrics_of, service.store, now)
    wanted = scope or party
    return {"metrics": [r for r in rows if wanted is None or r["party"] == wanted]}
