"""The change feed, for clients that follow the mission live (the web page, a party's own
systems): incidents created, changed or merged, statuses, violations judged or superseded,
releases and report retractions, in the order they were logged.

``GET /changes?since=N`` pages through them; ``GET /changes/stream`` pushes them as server-sent
events (``text/event-stream``), each with its log index as the event's ``id``, so a client that
reconnects with ``Last-Event-ID`` (browsers' ``EventSource`` do) misses nothing. Each caller
sees the changes about what it may read (:meth:`ceasefire.publish.visibility.Viewer.changes`);
a change is a pointer (the incident, the kind, the log index), read in full through the
incident's own route, under the same policy. Retractions, superseded violations and incidents
merged into others are deletions (``"op": "delete"``, with ``deleted``: what, and which id).

With ``proofs=true`` each change carries ``proof``: the inclusion bundle of its log entry in
the latest signed checkpoint (:func:`ceasefire.ledger.proofs.prove_entries`, the bundle
``ceasefire ledger verify --bundle`` checks offline), or null where the caller may not have
the record whole (:func:`ceasefire.publish.access.may_prove`) or no signed checkpoint covers
the entry yet.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import APIRouter, Header, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import StreamingResponse

from ceasefire import ledger
from ceasefire.api.deps import Caller, Service, ServiceDep
from ceasefire.api.errors import ErrorResponse
from ceasefire.api.routes.read import MAX_INT
from ceasefire.publish.access import Principal
from ceasefire.publish.visibility import Viewer

router = APIRouter(tags=["changes"])

#: Log entries read per page or per push: a caller who sees few of them still moves on.
SCAN = 500
#: How often the stream looks for new changes when there were none, and says it is alive.
POLL_S = 0.25
KEEPALIVE_S = 15.0


def _page(
    service: Service, caller: Principal, since: int, limit: int, proofs: bool = False
) -> tuple[list[Any], int]:
    """The changes after ``since`` the caller may see (with their proofs when asked), and the
    cursor to go on from (the last entry looked at, seen or not)."""
    store = service.store
    found = store.changes(since, limit)
    if not found:
        return [], since
    seen = Viewer(caller, store).changes_provable(found)
    if proofs:
        entry = {c.idx: c.entry for c in found}
        bundles = ledger.prove_entries(store, [entry[d["idx"]] for d, ok in seen if ok])
        for d, _ in seen:
            d["proof"] = bundles.get(d["idx"])
    return [d for d, _ in seen], found[-1].idx


Proofs = Annotated[
    bool,
    Query(
        description="Give each change its inclusion proof in the latest signed checkpoint "
        "(null where the record is not the caller's to have whole, or no checkpoint covers it)."
    ),
]


@router.get(
    "/changes",
    summary="What changed, after a log index",
    responses={422: {"model": ErrorResponse, "description": "A bad `since` or `limit`."}},
)
async def list_changes(
    service: ServiceDep,
    caller: Caller,
    since: Annotated[
        int, Query(ge=-1, le=MAX_INT, description="The last log index seen (-1: all).")
    ] = -1,
    limit: Annotated[int, Query(ge=1, le=SCAN, description="Log entries to look at.")] = 100,
    proofs: Proofs = False,
) -> dict[str, Any]:
    """The changes after log index ``since`` that the caller may see, oldest first; ``next``
    goes on from the last entry looked at (the caller may see fewer than ``limit``)."""
    items, last = await run_in_threadpool(_page, service, caller, since, limit, proofs)
    extra = "&proofs=true" if proofs else ""
    return {
        "items": items,
        "since": last,
        "next": f"/api/v1/changes?since={last}&limit={limit}{extra}",
    }


@router.get(
    "/changes/stream",
    summary="What changes, pushed as server-sent events",
    response_class=StreamingResponse,
    responses={
        200: {"content": {"text/event-stream": {}}, "description": "One event per change."},
        422: {"model": ErrorResponse, "description": "A bad `since` or `seconds`."},
    },
)
async def stream_changes(
    request: Request,
    service: ServiceDep,
    caller: Caller,
    since: Annotated[
        int, Query(ge=-1, le=MAX_INT, description="The last log index seen (-1: all).")
    ] = -1,
    seconds: Annotated[
        float,
        Query(
            gt=0,
            le=600,
            description="How long to follow new changes (after the backlog) before closing.",
        ),
    ] = 60.0,
    proofs: Proofs = False,
    last_event_id: Annotated[str | None, Header()] = None,
) -> StreamingResponse:
    """Each change the caller may see, as it is logged: ``id`` the log index, ``event`` its
    kind, ``data`` the change as JSON. The changes logged before it opened are all sent; then
    it follows new ones until ``seconds`` have passed and closes; a client reconnects with
    ``Last-Event-ID`` (or ``since``) and misses nothing."""
    cursor = since
    if last_event_id is not None and last_event_id.strip().isdigit():
        # The client's word, bounded as ``since`` is: a store column holds 64 bits.
        cursor = max(cursor, min(int(last_event_id), MAX_INT))

    async def events(cursor: int) -> AsyncIterator[bytes]:
        deadline = time.monotonic() + seconds
        quiet = time.monotonic()
        # What was logged before the stream opened is sent whole, however long that takes on a
        # busy server; ``seconds`` bounds how long the stream then follows what is logged next.
        # (A flood logged meanwhile cannot hold it open: the backlog is fixed here.)
        backlog = (await run_in_threadpool(service.store.ledger_state)).size - 1
        yield b"retry: 2000\n\n"
        while not await request.is_disconnected():
            items, moved = await run_in_threadpool(_page, service, caller, cursor, SCAN, proofs)
            for item in items:
                data = json.dumps(item, separators=(",", ":"))
                yield f"id: {item['idx']}\nevent: {item['kind']}\ndata: {data}\n\n".encode()
            if items:
                quiet = time.monotonic()
            elif time.monotonic() - quiet > KEEPALIVE_S:
                yield b": alive\n\n"
                quiet = time.monotonic()
            late = time.monotonic() >= deadline
            if moved == cursor:  # nothing new was logged: wait; else read on at once
                if late:
                    break
                await asyncio.sleep(max(0.0, min(POLL_S, deadline - time.monotonic())))
            elif late and moved >= backlog:
                break
            cursor = moved

    return StreamingResponse(
        events(cursor),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )
