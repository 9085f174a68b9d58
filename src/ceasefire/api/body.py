"""Reading request bodies: content type, size limit, UTF-8 and JSON, before anything is stored.

The API reads bodies itself rather than through FastAPI's body parameters so that every way a
body can be wrong gets the one error shape with a code of its own (:mod:`ceasefire.api.errors`):
a ``Content-Type`` the endpoint does not read (415), a body over the limit (413, from the
``Content-Length`` before a byte is read, else as soon as the streamed bytes pass it), bytes
that are not UTF-8, text that is not JSON, and JSON nested deeper than :data:`MAX_DEPTH` (400).

JSON Lines batches are never held whole: :func:`spool_lines` writes the body to a file as the
chunks arrive, checking each line's nesting on the way, and the file is ingested the way
``ceasefire ingest`` ingests one (:func:`ceasefire.pipeline.ingest_files`).
"""

from __future__ import annotations

import codecs
import json
from pathlib import Path
from typing import Any, BinaryIO, TypeVar

from fastapi import Request
from pydantic import BaseModel, ValidationError

from ceasefire.api.errors import BodyTooLarge, MalformedBody, UnsupportedMediaType
from ceasefire.errors import InputError, Problem
from ceasefire.intake._problems import problems_from
from ceasefire.intake.files import loads_json, too_large

M = TypeVar("M", bound=BaseModel)

#: Media types of one JSON document.
JSON_TYPES = ("application/json",)
#: Media types of JSON Lines (one JSON object per line).
NDJSON_TYPES = ("application/x-ndjson", "application/jsonl")
#: The media type of a signed note (C2SP signed-note is UTF-8 text).
TEXT_TYPES = ("text/plain",)

#: Deepest nesting of arrays and objects a body may have. A report is one object (two levels
#: inside a batch array); 32 leaves room for structured unknown fields and keeps every
#: recursive step after parsing (validation, canonical JSON for hashing) far from Python's
#: recursion limit, which a body of 100,000 ``[`` would otherwise reach.
MAX_DEPTH = 32

_UTF8_CHARSETS = ("utf-8", "utf8")


def media_type(request: Request, allowed: tuple[str, ...]) -> str:
    """The request's media type if it is one of ``allowed`` (and UTF-8), else 415."""
    header = request.headers.get("content-type", "")
    kind, _, params = header.partition(";")
    kind = kind.strip().lower()
    charset = ""
    for param in params.split(";"):
        name, _, value = param.partition("=")
        if name.strip().lower() == "charset":
            charset = value.strip().strip('"').lower()
    if kind not in allowed or (charset and charset not in _UTF8_CHARSETS):
        got = header or "none"
        raise UnsupportedMediaType(
            f"Content-Type must be {' or '.join(allowed)} (UTF-8), got {got}",
            [Problem("header", "Content-Type", f"must be {' or '.join(allowed)}, got {got}")],
        )
    return kind


def _too_large(limit: int, what: str = "body") -> BodyTooLarge:
    return BodyTooLarge(
        f"the {what} is larger than this endpoint's limit of {limit:,} bytes",
        [Problem("body", "", f"larger than the {what} limit of {limit:,} bytes")],
    )


def _line_too_large(line_no: int, limit: int) -> BodyTooLarge:
    reason = too_large(None, limit)
    return BodyTooLarge(f"line {line_no}: {reason}", [Problem(f"line {line_no}", "", reason)])


def _check_length(request: Request, limit: int, what: str) -> None:
    declared = request.headers.get("content-length")
    if declared is not None and declared.strip().isdigit() and int(declared) > limit:
        raise _too_large(limit, what)


async def read_body(request: Request, limit: int, what: str = "body") -> bytes:
    """The whole body, refused (413) once it passes ``limit`` bytes; ``what`` names the limit
    in the answer (the body, one report, the batch)."""
    _check_length(request, limit, what)
    data = bytearray()
    async for chunk in request.stream():
        data += chunk
        if len(data) > limit:
            raise _too_large(limit, what)
    return bytes(data)


async def spool_lines(
    request: Request, limit: int, sink: BinaryIO, line_limit: int, *, json_lines: bool = True
) -> int:
    """Copy a JSON Lines body to ``sink`` chunk by chunk; returns the bytes written.

    Refuses (413) past ``limit`` bytes or a line (one report) over ``line_limit`` bytes, and
    (400) a line nested deeper than :data:`MAX_DEPTH`, naming the line; everything else about a
    line is left to validation, which names it too. ``json_lines`` off (a CSV body, one report
    a line as well): the sizes are checked, the nesting is not (CSV has none).
    """
    _check_length(request, limit, "batch")
    total = 0
    line_no = 0
    pending: list[bytes] = []  # the pieces of a line not finished yet (no copying per chunk)
    waiting = 0  # their length
    async for chunk in request.stream():
        total += len(chunk)
        if total > limit:
            raise _too_large(limit, "batch")
        sink.write(chunk)
        parts = chunk.split(b"\n")
        if len(parts) == 1:
            pending.append(chunk)
            waiting += len(chunk)
            if waiting > line_limit:
                raise _line_too_large(line_no + 1, line_limit)
            continue
        parts[0] = b"".join([*pending, parts[0]])
        pending = [parts.pop()]
        waiting = len(pending[0])
        for line in parts:
            line_no += 1
            if len(line) > line_limit:
                raise _line_too_large(line_no, line_limit)
            if json_lines:
                check_depth(line, f"line {line_no}")
        if waiting > line_limit:
            raise _line_too_large(line_no + 1, line_limit)
    last = b"".join(pending)
    if last and json_lines:
        check_depth(last, f"line {line_no + 1}")
    return total


def check_depth(line: bytes, where: str) -> None:
    """Refuse one JSON text nested deeper than :data:`MAX_DEPTH` (400), without parsing it.

    A line with no more ``[`` and ``{`` than the limit cannot be deeper, which settles almost
    every report with two counts; only a line with more is scanned, string-aware, and the scan
    stops at the first level past the limit.
    """
    if line.count(b"[") + line.count(b"{") <= MAX_DEPTH:
        return
    depth = 0
    in_string = escaped = False
    for byte in line:
        if in_string:
            if escaped:
                escaped = False
            elif byte == 0x5C:  # backslash
                escaped = True
            elif byte == 0x22:  # quote
                in_string = False
        elif byte == 0x22:
            in_string = True
        elif byte in (0x5B, 0x7B):  # [ {
            depth += 1
            if depth > MAX_DEPTH:
                raise _too_deep(where)
        elif byte in (0x5D, 0x7D):  # ] }
            depth -= 1


def _too_deep(where: str) -> MalformedBody:
    reason = f"nested deeper than {MAX_DEPTH} levels of arrays and objects"
    return MalformedBody(f"{where}: {reason}", [Problem(where, "", reason)])


def parse_json(data: bytes, where: str = "body") -> Any:
    """One JSON document from UTF-8 bytes (a leading byte-order mark is allowed).

    Duplicate keys in an object are refused, as in the file readers
    (:mod:`ceasefire.intake.files`); NaN and Infinity are read so validation can name the field.
    """
    data = data.removeprefix(codecs.BOM_UTF8)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        reason = f"not valid UTF-8 (byte 0x{data[exc.start]:02x} at offset {exc.start})"
        raise MalformedBody(f"{where}: {reason}", [Problem(where, "", reason)]) from None
    if not text.strip():
        reason = "is empty; send a JSON document"
        raise MalformedBody(f"{where} {reason}", [Problem(where, "", reason)])
    try:
        value = loads_json(text)
    except RecursionError:
        raise _too_deep(where) from None
    except ValueError as exc:
        reason = f"not valid JSON: {exc}"
        raise MalformedBody(f"{where}: {reason}", [Problem(where, "", reason)]) from None
    if _depth(value) > MAX_DEPTH:
        raise _too_deep(where)
    return value


def _depth(value: Any) -> int:
    """Nesting depth of a parsed value, without recursion (a deep value must not overflow)."""
    deepest = 0
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children: Any = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        deepest = max(deepest, depth)
        if depth > MAX_DEPTH:
            break
        stack.extend((child, depth + 1) for child in children if isinstance(child, dict | list))
    return deepest


def write_lines(items: list[Any], path: Path, item_limit: int) -> None:
    """Write the items of a JSON array as JSON Lines, to ingest them as a file is ingested;
    an item (one report) over ``item_limit`` bytes so written is refused (413), naming it."""
    with path.open("w", encoding="utf-8") as sink:
        for n, item in enumerate(items, start=1):
            line = json.dumps(item, ensure_ascii=False)
            if len(line) > item_limit and len(line.encode("utf-8")) > item_limit:
                reason = too_large(None, item_limit)
                raise BodyTooLarge(f"item {n}: {reason}", [Problem(f"item {n}", "", reason)])
            sink.write(line)
            sink.write("\n")


def json_model(model: type[M], raw: bytes) -> M:
    """A JSON object body as ``model``, or InputError naming each bad field."""
    data = parse_json(raw)
    if not isinstance(data, dict):
        raise InputError(Problem("body", "", "must be a JSON object"))
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise InputError(problems_from(exc, "body")) from None
