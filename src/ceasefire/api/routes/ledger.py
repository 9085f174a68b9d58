"""The shared record over HTTP: the signed checkpoint, proofs, and parties' cosignatures.

What a party fetches to check the record for itself (:mod:`ceasefire.ledger.auditor`): the latest
checkpoint as the C2SP signed note with every cosignature line (``text/plain``, to save and
compare later), the inclusion bundle of a record (the same JSON as ``ceasefire ledger prove``,
checked offline with ``ceasefire ledger verify --bundle``), and the consistency proof from the
size of a checkpoint it saved to a newer one (RFC 9162 section 2.1.4).

The checkpoint and consistency proofs are public: they are hashes, and the record is shared by
design. An inclusion bundle carries its record whole, so it is given only for a record the
caller may read (:func:`ceasefire.publish.access.may_prove`); any other answers 404
exactly as a record that was never logged.

A party (or the mediator) that cosigned a checkpoint elsewhere posts the note with its line
(other roles: 403). It is checked
against the log key the store holds and against the cosigner keys the service was started
with; a cosignature from any other key is refused (403), one that does not verify is 422.
"""

from __future__ import annotations

import base64
import json
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import PlainTextResponse

from ceasefire import ledger
from ceasefire.api.body import TEXT_TYPES, media_type, read_body
from ceasefire.api.deps import Caller, Service, ServiceDep
from ceasefire.api.errors import ERROR_JSON, ErrorResponse, MalformedBody
from ceasefire.api.routes.read import MAX_INT
from ceasefire.errors import ForbiddenError, InputError, NotFoundError, Problem
from ceasefire.ledger.checkpoints import verify_cosignatures
from ceasefire.ledger.log import StoredCheckpoint
from ceasefire.ledger.notes import Verifier
from ceasefire.publish.access import report_ids, require
from ceasefire.publish.visibility import Viewer

router = APIRouter(prefix="/ledger", tags=["ledger"])

_NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {"model": ErrorResponse, "description": "No such record or checkpoint (not_found)."}
}
_NOTE = "text/plain; charset=utf-8"


@router.get(
    "/checkpoint",
    summary="The signed checkpoint",
    response_class=PlainTextResponse,
    responses={
        200: {"content": {"text/plain": {"schema": {"type": "string"}}}},
        404: {"description": "No signed checkpoint (of that size).", "content": ERROR_JSON},
        "default": {"description": "Any error: the one error shape.", "content": ERROR_JSON},
    },
)
def checkpoint(
    service: ServiceDep,
    size: Annotated[
        int | None,
        Query(ge=0, le=MAX_INT, description="The checkpoint of this tree size (default latest)."),
    ] = None,
) -> PlainTextResponse:
    """The latest signed checkpoint (or the one of ``size``): a C2SP tlog-checkpoint note
    signed by the log, followed by every cosignature line received (tlog-cosignature)."""
    stored = service.store.ledger_checkpoint(size)
    return PlainTextResponse(stored.text, media_type=_NOTE)


@router.get("/proof/inclusion", summary="Inclusion proof of a record", responses=_NOT_FOUND)
def inclusion(
    service: ServiceDep,
    caller: Caller,
    record_id: Annotated[
        str, Query(description="Report id, status/N, violation/N, AGREEMENT@VERSION or #N.")
    ],
    kind: Annotated[
        str | None,
        Query(
            description="The record's kind (report, status_change, violation, release, "
            "hotline_message, agreement): the id is then taken as it is, for a report id that "
            "looks like another kind's (status/1, #3). Default: the kind the id's form names."
        ),
    ] = None,
) -> dict[str, Any]:
    """The bundle proving a record's latest entry is in the latest signed checkpoint: the leaf,
    ``leafIdx``, ``treeSize``, ``leafHash``, ``proof``, ``root`` (base64) and the checkpoint.
    A record the caller may not read is 404, as one never logged."""
    viewer = Viewer(caller, service.store)
    if viewer.sees_all:
        return ledger.prove(service.store, record_id, kind=kind)
    # A party names its own reports by the ids it chose, stored as UA:<id> (report_ids).
    for name in report_ids(caller, record_id) if kind in (None, "report") else (record_id,):
        entries = service.store.ledger_entries(name, kind=kind)
        leaf = json.loads(entries[-1].body) if entries else {}
        if entries and viewer.may_prove(str(leaf.get("kind")), leaf.get("record") or {}):
            return ledger.prove(service.store, name, kind=kind)
    raise NotFoundError(f"no ledger entry for {record_id!r}")


@router.get(
    "/proof/consistency",
    summary="Consistency proof between tree sizes",
    responses=_NOT_FOUND,
)
def consistency(
    service: ServiceDep,
    size_from: Annotated[
        int,
        Query(alias="from", ge=1, le=MAX_INT, description="The size of the checkpoint you hold."),
    ],
    size_to: Annotated[
        int | None,
        Query(
            alias="to",
            ge=1,
            le=MAX_INT,
            description="A signed checkpoint's size (default: latest).",
        ),
    ] = None,
) -> dict[str, Any]:
    """The RFC 9162 consistency proof from tree size ``from`` to the signed checkpoint of size
    ``to`` (base64 hashes), with that checkpoint's note to check the new root against."""
    store = service.store
    target = store.ledger_checkpoint(size_to)
    if size_from > target.size:
        raise InputError(
            Problem(
                "query",
                "from",
                f"must not be larger than the checkpoint's size {target.size}, got {size_from}",
            )
        )
    proof = store.ledger_consistency(size_from, target.size)
    return {
        "from": size_from,
        "to": target.size,
        "proof": [base64.b64encode(p).decode("ascii") for p in proof],
        "checkpoint": target.text,
    }


@router.post(
    "/cosignature",
    summary="Add a party's cosignature",
    responses={
        403: {
            "model": ErrorResponse,
            "description": "Not a party or the mediator; no line from a trusted cosigner key.",
        },
        409: {
            "model": ErrorResponse,
            "description": "The cosigner's first line for the checkpoint stands (conflict).",
        },
        422: {
            "model": ErrorResponse,
            "description": "A cosignature that does not verify, or dated before the checkpoint "
            "was signed or more than five minutes ahead.",
        },
        **_NOT_FOUND,
    },
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"text/plain": {"schema": {"type": "string"}}},
        }
    },
)
async def cosignature(request: Request, service: ServiceDep, caller: Caller) -> dict[str, Any]:
    """Keep a cosignature made elsewhere: the body is the checkpoint note with the party's
    ``cosignature/v1`` line added (``text/plain``). Returns the checkpoint with every
    cosignature now held. Parties and the mediator post cosignatures. A line dated before the
    checkpoint was signed, or more than five minutes ahead, is refused (422); a cosigner's first
    line for a checkpoint stands, a later different one is refused (409), the same one is a
    no-op."""
    require(caller, "cosign")
    media_type(request, TEXT_TYPES)
    data = await read_body(request, service.limits.body_bytes)
    try:
        note = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        reason = f"not valid UTF-8 (byte 0x{data[exc.start]:02x} at offset {exc.start})"
        raise MalformedBody(f"body: {reason}", [Problem("body", "", reason)]) from None
    stored = await run_in_threadpool(_add_cosignatures, service, note)
    origin = stored.note.split("\n", 1)[0]  # the log's own signature line is not a cosignature
    cosigners = [name for name, _ in _signatures(stored.text) if name != origin]
    return {"size": stored.size, "cosigners": cosigners, "checkpoint": stored.text}


def _signatures(note: str) -> list[tuple[str, int]]:
    """Key name and key ID of each signature line of a note (``— name base64(keyid || sig)``,
    C2SP signed-note); a line that cannot be read is left to the verification to refuse."""
    found = []
    for line in note.splitlines():
        parts = line.split(" ")
        if len(parts) != 3 or parts[0] != "\u2014":
            continue
        try:
            raw = base64.b64decode(parts[2], validate=True)
        except ValueError:
            continue
        if len(raw) >= 4:
            found.append((parts[1], int.from_bytes(raw[:4], "big")))
    return found


def _add_cosignatures(service: Service, note: str) -> StoredCheckpoint:
    store = service.store
    log_key = store.ledger_state().log_key
    if log_key is None:
        raise NotFoundError("no signed checkpoint yet to cosign")
    log = Verifier.from_key(log_key)
    signed = set(_signatures(note))
    trusted = [c for c in service.cosigners if (c.name, c.key_id) in signed]
    if not trusted:
        known = ", ".join(c.name for c in service.cosigners) or "none"
        raise ForbiddenError(
            f"the note has no cosignature from a cosigner this service trusts ({known})"
        )
    # Every trusted line must verify before any is kept: bad input stores nothing.
    verify_cosignatures(note, log, trusted, len({c.public_key for c in trusted}))
    # Every line's time is checked too before any is kept (ceasefire.ledger.proofs).
    return ledger.add_cosignature(store, note, log, *trusted)
