"""Pages of what a caller may read: the views of :class:`ceasefire.publish.visibility.Viewer`
(the policy of :mod:`ceasefire.publish.access` applied to what the store answers) over lists.

The mission (admin, monitor, mediator) reads everything, straight from the store. For a party
or the public every row goes through a view, and paging is over the *visible* rows: a list
scans the store's rows in order, chunk by chunk, keeps what the view lets through, and stops
once it holds ``offset + limit + 1`` visible rows. So ``offset``, ``limit``, ``next`` and the
number of items all count visible rows only, and nothing about the hidden ones shows through a
page boundary. (The incidents' ``party`` filter of the store cannot stand in for the view: a
claim against a party concerns it too, and released incidents are visible to every party.)
Reports are the exception: a party's reports are filtered in SQL (``submitted_by``, the
:func:`ceasefire.publish.access.report_scope`), so their key paging stays exact.

Keyset pages (the OGC collections: ``after`` = the last id shown) scan the same way: a keyset
read stands in for the positional one (:func:`keyset`), starting after a row the caller saw.

Who sees what, and what a view keeps and cuts (an incident's ``key``, a party's ``sources``,
the basis of fusion's status changes, a violation's ``evidence``), is decided in
:mod:`ceasefire.publish.access` only; this module decides nothing, it pages.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any, TypeVar

__all__ = ["SCAN_CHUNK", "keyset", "listed_page", "visible_page"]

T = TypeVar("T")

#: Rows read from the store per scan step when filtering a page for a party or the public.
SCAN_CHUNK = 500


def visible_page(
    fetch: Callable[[int, int], Sequence[T]],
    view: Callable[[Sequence[T]], Iterable[dict[str, Any] | None]],
    offset: int,
    limit: int,
    chunk: int | None = None,
) -> tuple[list[dict[str, Any]], bool]:
    """``limit`` visible rows after skipping ``offset`` visible ones, and whether more follow.

    ``fetch(offset, limit)`` reads the store's rows in their order; ``view`` maps them to what
    the caller may see (None: hidden). The scan reads ``chunk`` rows at a time (at most
    :data:`SCAN_CHUNK`) and stops at ``offset + limit + 1`` visible rows.
    """
    step = SCAN_CHUNK if chunk is None else max(1, min(chunk, SCAN_CHUNK))
    wanted = offset + limit + 1
    kept: list[dict[str, Any]] = []
    at = 0
    while len(kept) < wanted:
        rows = fetch(at, step)
        kept.extend(v for v in view(rows) if v is not None)
        if len(rows) < step:
            break
        at += step
    page = kept[offset : offset + limit]
    return page, len(kept) > offset + limit


def listed_page(
    sees_all: bool,
    fetch: Callable[[int, int], Sequence[Any]],
    view: Callable[[Sequence[Any]], Iterable[dict[str, Any] | None]],
    offset: int,
    limit: int,
    chunk: int | None = None,
) -> tuple[list[dict[str, Any]], bool]:
    """A page of a listing: straight from the store for a caller who sees everything (one
    read of ``limit + 1`` rows), else through the caller's view (:func:`visible_page`, reading
    ``chunk`` rows at a time)."""
    if sees_all:
        rows = fetch(offset, limit + 1)
        return [r.to_dict() for r in rows[:limit]], len(rows) > limit
    return visible_page(fetch, view, offset, limit, chunk)


def keyset(
    read: Callable[[str | None, int], Sequence[T]], key: Callable[[T], str], after: str | None
) -> Callable[[int, int], Sequence[T]]:
    """A ``fetch(offset, limit)`` for :func:`visible_page` and :func:`listed_page` over a
    keyset read: ``read(after, limit)`` answers ``limit`` rows after the row whose key is
    ``after`` (None: from the start), and ``key`` names a row.

    The scans read chunk after chunk, each starting where the one before ended, so each
    position asked for is the end of a chunk already read; the next read starts after that
    chunk's last row (a keyset walk, stable while rows are added, unlike an offset)."""
    cursors: dict[int, str | None] = {0: after}

    def fetch(at: int, limit: int) -> Sequence[T]:
        if at not in cursors:  # a scan that skips ahead: not what the pagers do
            raise ValueError(f"keyset fetch at {at} before the rows up to it were read")
        rows = read(cursors[at], limit)
        if rows:
            cursors[at + len(rows)] = key(rows[-1])
        return rows

    return fetch
