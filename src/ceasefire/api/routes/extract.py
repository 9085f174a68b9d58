"""Extraction: proposals from news and bulletin text, and accepting them after review.

``POST /extract`` proposes and stores nothing: a text (``text/plain``, with ``published`` and
``source`` as query parameters) or JSON (``{"text", "published", "source"}`` or an array of
them) gives, per text, its events with the words of every figure, the text's ``sha256`` and
the ``proposal``'s digest. ``POST /extract/accept`` takes the text again with the indices of
the events a person accepted and stores them (:func:`ceasefire.extracting.accept`): an osint
report and a strike tally per event, all or nothing, idempotent. Both are the mission's
(admin, monitor: the ``extract`` action); a party may not make the mission's osint reports.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from ceasefire.api.body import JSON_TYPES, TEXT_TYPES, media_type, parse_json, read_body
from ceasefire.api.deps import JSON, Caller, ServiceDep
from ceasefire.api.errors import ErrorResponse, MalformedBody
from ceasefire.errors import InputError, Problem
from ceasefire.extracting import accept, propose
from ceasefire.intake._problems import problems_from
from ceasefire.publish.access import require

router = APIRouter(tags=["extraction"])

#: The most texts one request proposes for (each is extracted in turn).
MAX_TEXTS = 100

_ERRORS: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorResponse, "description": text}
    for status, text in (
        (400, "The body is not UTF-8, or not JSON where JSON is sent (malformed_body)."),
        (403, "Only the mission (admin, monitor) extracts (forbidden)."),
        (413, "The body is over the size limit (too_large)."),
        (415, "The Content-Type is not one this endpoint reads (unsupported_media_type)."),
        (422, "A field is not valid; problems name the item and field (invalid_input)."),
    )
}
_ACCEPT_ERRORS: dict[int | str, dict[str, Any]] = {
    **_ERRORS,
    409: {
        "model": ErrorResponse,
        "description": "The text or its proposals are not those reviewed, or the text's event "
        "is stored with other content (another source or date); nothing was stored.",
    },
    422: {
        "model": ErrorResponse,
        "description": "An accepted event cannot become a record; problems name 'event N' and "
        "the field (a date, a perpetrator, a place); nothing was stored.",
    },
}


def _date(value: Any) -> date | None:
    if value is None:
        return None
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise ValueError(f"must be a date YYYY-MM-DD, got {value!r}")


class TextIn(BaseModel):
    """One text to propose for."""

    model_config = ConfigDict(extra="forbid")

    text: str = Field(description="The text, as published.")
    published: date | None = Field(
        None, description="Its publication date, YYYY-MM-DD: relative dates resolve from it."
    )
    source: str | None = Field(None, description="Who published it.")

    @field_validator("published", mode="before")
    @classmethod
    def _published(cls, value: Any) -> date | None:
        return _date(value)


class AcceptIn(TextIn):
    """A reviewed text and the events of its proposals a person accepted."""

    events: list[int] = Field(description="Indices of the accepted events of the proposals.")
    sha256: str | None = Field(None, description="The text's SHA-256 as proposed.")
    proposal: str | None = Field(None, description="The proposal's digest as reviewed.")


def _model(model: type[TextIn], data: Any, where: str) -> Any:
    if not isinstance(data, dict):
        raise InputError(Problem(where, "", "must be a JSON object with a 'text'"))
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise InputError(problems_from(exc, where)) from None


def _texts(data: Any) -> list[TextIn]:
    items = data if isinstance(data, list) else [data]
    if not items:
        raise InputError(Problem("body", "", "must be a text or a non-empty array of texts"))
    if len(items) > MAX_TEXTS:
        raise InputError(Problem("body", "", f"holds {len(items)} texts; at most {MAX_TEXTS}"))
    single = not isinstance(data, list)
    return [_model(TextIn, d, "body" if single else f"body[{i}]") for i, d in enumerate(items)]


def _text(raw: bytes) -> str:
    """A text/plain body as text (UTF-8; a byte-order mark allowed)."""
    raw = raw.removeprefix(b"\xef\xbb\xbf")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        reason = f"not valid UTF-8 (byte 0x{raw[exc.start]:02x} at offset {exc.start})"
        raise MalformedBody(f"body: {reason}", [Problem("body", "", reason)]) from None


@router.post("/extract", summary="Propose records from text", responses=_ERRORS)
async def extract_text(
    request: Request,
    service: ServiceDep,
    caller: Caller,
    published: Annotated[
        str | None,
        Query(description="For a text/plain body: its publication date, YYYY-MM-DD."),
    ] = None,
    source: Annotated[
        str | None, Query(description="For a text/plain body: who published it.")
    ] = None,
) -> dict[str, Any]:
    """Propose events from each text, every figure with the words it came from; nothing is
    stored. Per text: ``source``, ``published``, ``events``, ``sha256`` and ``proposal``
    (docs/extract.md). Accept what a person reviewed with ``POST /extract/accept``."""
    require(caller, "extract")
    kind = media_type(request, TEXT_TYPES + JSON_TYPES)
    raw = await read_body(request, service.limits.body_bytes, "body")
    if kind in TEXT_TYPES:
        try:
            texts = [TextIn(text=_text(raw), published=published, source=source)]
            wheres = ["body"]
        except ValidationError as exc:
            raise InputError(problems_from(exc, "query")) from None
    else:
        if published is not None or source is not None:
            raise InputError(
                Problem("query", "published" if published is not None else "source",
                        "goes in the JSON body with its text"))  # fmt: skip
        data = parse_json(raw)
        texts = _texts(data)
        # Problems name the text as the body names it: the object, or the array's item.
        wheres = [f"body[{i}]" for i in range(len(texts))] if isinstance(data, list) else ["body"]
    items = await run_in_threadpool(
        lambda: [
            propose(t.text, published=t.published, source=t.source, where=where)
            for t, where in zip(texts, wheres, strict=True)
        ]
    )
    return {"items": items}


@router.post(
    "/extract/accept",
    summary="Store the events of a text a person accepted",
    status_code=201,
    responses={200: {"description": "Every record was stored before: no-op"}, **_ACCEPT_ERRORS},
)
async def accept_text(request: Request, service: ServiceDep, caller: Caller) -> Any:
    """Extract the text again and store the accepted ``events`` (indices into its proposals):
    per event an osint report at its place and a strike tally of its weapon counts, with the
    text's hash and the words of every figure, all in the ledger. All or nothing; the same
    text and event accepted again stores nothing (201 when something was new, else 200).
    ``sha256`` and ``proposal`` from ``POST /extract``, when sent, must still match (409)."""
    require(caller, "extract")
    media_type(request, JSON_TYPES)
    data = parse_json(await read_body(request, service.limits.body_bytes, "body"))
    body: AcceptIn = _model(AcceptIn, data, "body")
    done = await run_in_threadpool(
        lambda: accept(
            service.store,
            service.engine,
            body.text,
            by=caller,
            published=body.published,
            source=body.source,
            events=body.events,
            proposal=body.proposal,
            sha256=body.sha256,
        )
    )
    new = bool(done.reports_stored or done.tallies_stored)
    return JSON(done.to_dict(), status_code=201 if new else 200)
