"""Submitting reports: one at a time, or a batch of up to tens of thousands in one request.

Both go the way a file goes through ``ceasefire ingest``: validate, place against the agreement,
store all or nothing in one transaction (and log in the ledger in the same one). Idempotent by
``id``: the same id with the same content is a no-op, with other content a 409 that stores
nothing.

A batch is a JSON array (``application/json``), JSON Lines (``application/x-ndjson``), a CSV
sheet (``text/csv``) or a GeoJSON FeatureCollection (``application/geo+json``): the formats
``ceasefire ingest`` reads, read by the same readers (:mod:`ceasefire.intake.files`), so a sheet
posted is a sheet ingested. JSON Lines and CSV are streamed to a temporary file as they arrive
and ingested from it in chunks, so a large batch needs no more memory than a small one; an
array and a FeatureCollection are one JSON document each and are read whole. Problems name the
line (``line 7``), the array item (``item 7``), the CSV row (``row 7``, the header being row 1,
as ``ceasefire ingest`` counts) or the Feature (``feature 7``) and the field.
"""

from __future__ import annotations

import re
import tempfile
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Query, Request
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, Field

from ceasefire.api.body import (
    JSON_TYPES,
    NDJSON_TYPES,
    media_type,
    parse_json,
    read_body,
    spool_lines,
    write_lines,
)
from ceasefire.api.deps import API_PREFIX, JSON, Caller, Service, ServiceDep
from ceasefire.api.errors import ErrorResponse, MalformedBody
from ceasefire.errors import ForbiddenError, InputError, Problem
from ceasefire.intake.mapping import ColumnMapping
from ceasefire.intake.parties import resolve_parties, scope_ids
from ceasefire.intake.profiles import profile as named_profile
from ceasefire.intake.report import Report
from ceasefire.intake.validation import validate_report
from ceasefire.pipeline import IngestResult, ingest_files
from ceasefire.publish.access import Principal, check_submission, require

router = APIRouter(tags=["intake"])

#: A CSV sheet and a GeoJSON FeatureCollection (RFC 4180, RFC 7946 section 12).
CSV_TYPES = ("text/csv",)
GEOJSON_TYPES = ("application/geo+json",)

_ERRORS: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorResponse, "description": text}
    for status, text in (
        (400, "The body is not UTF-8 or not JSON, or is nested too deep (malformed_body)."),
        (403, "The caller may not submit, or a party submits for another (forbidden)."),
        (409, "An id is stored with other content (conflict); nothing was stored."),
        (413, "The body is over the size limit (too_large)."),
        (415, "The Content-Type is not one this endpoint reads (unsupported_media_type)."),
        (422, "A report is not valid; problems name the item and field (invalid_input)."),
    )
}


def _body_schema(content: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """A request body for OpenAPI: the route reads the body itself (ceasefire.api.body)."""
    return {
        "requestBody": {"required": True, "content": {t: {"schema": s} for t, s in content.items()}}
    }


_REPORT_SCHEMA = Report.model_json_schema()
_REPORT_SCHEMA["additionalProperties"] = True  # unknown fields are kept, not dropped
_REPORT_SCHEMA.get("properties", {}).pop("extra", None)


class Submitted(BaseModel):
    """The outcome of one report: ``added``, or ``unchanged`` (stored before, same content)."""

    result: str = Field(examples=["added"])
    report: dict[str, Any] = Field(
        description="The stored report with its point and placement facts."
    )


class BatchResult(BaseModel):
    """What a batch did. Without ``partial`` any bad report stores nothing (an error answer)."""

    added: int
    unchanged: int = Field(description="Reports stored before with the same content.")
    rejected: int = Field(description="Bad reports left out (only with partial=true).")
    problems: list[dict[str, str]] = Field(
        description="Why, per bad report (at most 1,000): where, field, reason."
    )


@router.post(
    "/reports",
    summary="Submit one report",
    response_model=Submitted,
    status_code=201,
    responses={200: {"model": Submitted, "description": "Stored before: no-op"}, **_ERRORS},
    openapi_extra=_body_schema({"application/json": _REPORT_SCHEMA}),
)
async def add_report(request: Request, service: ServiceDep, caller: Caller) -> Any:
    """Validate, place and store one report (``application/json``). 201 when added, 200 when
    the same report was stored before; ``Location`` names it. Admins, monitors and parties
    submit; a party only reports with ``submitted_by`` its own party code and ``source_kind``
    ``party`` (else 403); the caller is recorded as who entered it."""
    require(caller, "submit_report")
    media_type(request, JSON_TYPES)
    limits = service.limits
    data = parse_json(
        await read_body(request, min(limits.body_bytes, limits.report_bytes), "report")
    )
    if not isinstance(data, dict):
        raise InputError(
            Problem(
                "body", "", "must be one report (a JSON object); send several to /reports/batch"
            )
        )
    parties = service.engine.agreement.party_codes
    # Refused here already, before it waits for a group; the store checks again what it
    # stores. The party fields become codes here, so the answer shows the report as stored.
    (report,) = resolve_parties([validate_report(data, where="body")], parties, ["body"])
    check_submission(caller, report, parties, where="body")
    # ...and so does its id: a party's is stored as UA:<id> (ceasefire.intake.report).
    (report,) = scope_ids([report], parties, ["body"], party=caller.party)
    # Stored together with the single reports sent at the same moment (ceasefire.api.committer).
    outcome = await service.committer.submit(report, caller)
    return JSON(
        {"result": "added" if outcome.added else "unchanged", "report": outcome.stored.to_dict()},
        status_code=201 if outcome.added else 200,
        headers={"Location": f"{API_PREFIX}/reports/{quote(report.id, safe='')}"},
    )


@router.post(
    "/reports/batch",
    summary="Submit a batch of reports",
    response_model=BatchResult,
    responses=_ERRORS,
    openapi_extra=_body_schema(
        {
            "application/json": {"type": "array", "items": _REPORT_SCHEMA},
            "application/x-ndjson": {
                "type": "string",
                "description": "JSON Lines: one report object per line.",
            },
            "text/csv": {
                "type": "string",
                "description": "CSV with a header row of field names, one report a row; "
                "empty cells are not given (docs/reports.md).",
            },
            "application/geo+json": {
                "type": "object",
                "description": "A GeoJSON FeatureCollection: each Feature a report, its "
                "properties the fields, its Point geometry lon/lat (or null, with a place).",
                "properties": {
                    "type": {"const": "FeatureCollection"},
                    "features": {"type": "array", "items": {"type": "object"}},
                },
                "required": ["type", "features"],
            },
        }
    ),
)
async def add_batch(
    request: Request,
    service: ServiceDep,
    caller: Caller,
    partial: Annotated[
        bool, Query(description="Store the good reports and list the bad ones.")
    ] = False,
    delimiter: Annotated[
        str | None,
        Query(
            max_length=1, description="A CSV body's delimiter (';', tab, ...); default: detected."
        ),
    ] = None,
    encoding: Annotated[
        str | None,
        Query(
            max_length=40,
            description="A CSV body's encoding (cp1251, utf-16, ...); default: detected.",
        ),
    ] = None,
    profile: Annotated[
        str | None,
        Query(
            max_length=40, description="Read a CSV body's columns as a known file: acled, patrol."
        ),
    ] = None,
) -> dict[str, Any]:
    """Validate, place and store many reports in one transaction: a JSON array
    (``application/json``), JSON Lines (``application/x-ndjson``, streamed), a CSV sheet
    (``text/csv``, streamed) or a GeoJSON FeatureCollection (``application/geo+json``).

    All or nothing unless ``partial=true``. An id stored with other content refuses the whole
    batch either way (409), as ``ceasefire ingest`` does. A party's batch holds its own reports
    only: one it may not store (another ``submitted_by``, a mission source kind) refuses the
    whole batch (403), ``partial`` or not. The caller is recorded as who entered each report.

    A CSV sheet is read as ``ceasefire ingest`` reads a file: its encoding, delimiter and
    decimal mark detected unless ``encoding`` or ``delimiter`` say, its columns a report's
    fields unless ``profile`` names a known file's (docs/reports.md).
    """
    require(caller, "submit_report")
    kind = media_type(request, JSON_TYPES + NDJSON_TYPES + CSV_TYPES + GEOJSON_TYPES)
    sheet = {"delimiter": delimiter, "encoding": encoding, "profile": profile}
    if kind not in CSV_TYPES and any(sheet.values()):
        given = next(name for name, value in sheet.items() if value)
        raise InputError(Problem("query", given, "applies to a CSV body (text/csv) only"))
    mapping = _profile(profile)
    limits = service.limits
    with tempfile.TemporaryDirectory(prefix="ceasefire-batch-") as folder:
        if kind in NDJSON_TYPES or kind in CSV_TYPES:
            csv = kind in CSV_TYPES
            path = Path(folder) / ("body.csv" if csv else "body.jsonl")
            with path.open("wb") as sink:
                await spool_lines(
                    request, limits.batch_bytes, sink, limits.report_bytes, json_lines=not csv
                )
            unit = "row" if csv else "line"
        elif kind in GEOJSON_TYPES:
            path = Path(folder) / "body.geojson"
            data = await read_body(request, limits.batch_bytes, "batch")
            # Malformed or too deep is the 400 of every JSON body; the rest, Features included,
            # is read by the file reader, as `ceasefire ingest` reads a .geojson file.
            await run_in_threadpool(_keep_document, data, path)
            unit = "feature"
        else:
            path = Path(folder) / "body.jsonl"
            data = await read_body(request, limits.batch_bytes, "batch")
            await run_in_threadpool(_array_to_lines, data, path, limits.report_bytes)
            unit = "item"
        # Who may store what is checked by the store on the reports as parsed for storing
        # (ceasefire.publish.access.check_submission), never on a reading of its own here.
        result = await run_in_threadpool(
            _ingest, service, caller, path, partial, unit, delimiter, encoding, mapping
        )
    return {
        "added": result.added,
        "unchanged": result.unchanged,
        "rejected": result.bad_rows,
        "problems": [vars(_relabel(p, unit)) for p in result.problems],
    }


def _keep_document(data: bytes, path: Path) -> None:
    parse_json(data)  # 400 when not JSON or too deep; what it holds is the reader's to judge
    path.write_bytes(data)


def _array_to_lines(data: bytes, path: Path, item_limit: int) -> None:
    items = parse_json(data)
    if not isinstance(items, list):
        raise InputError(
            Problem("body", "", "must be a JSON array of reports (or JSON Lines, one per line)")
        )
    write_lines(items, path, item_limit)


def _profile(name: str | None) -> ColumnMapping | None:
    return None if name is None else named_profile(name, where="query")


def _ingest(
    service: Service,
    caller: Principal,
    path: Path,
    partial: bool,
    unit: str,
    delimiter: str | None = None,
    encoding: str | None = None,
    mapping: ColumnMapping | None = None,
) -> IngestResult:
    try:
        return ingest_files(
            service.store,
            [path],
            service.engine,
            entered_by=caller,
            skip_invalid=partial,
            max_report_bytes=service.limits.report_bytes,
            delimiter=delimiter,
            encoding=encoding,
            mapping=mapping,
        )
    except InputError as exc:
        raise InputError([_relabel(p, unit) for p in exc.problems]) from None
    except ForbiddenError as exc:
        raise ForbiddenError(_relabel_text(str(exc), unit)) from None
    except RecursionError:  # a line deeper than the spool's check counted (it should not be)
        raise MalformedBody(
            "a report is nested too deeply", [Problem("body", "", "nested too deeply")]
        ) from None


_FILE_REASONS = {
    "file is empty": "is empty; send at least one report",
    "no reports in file": "holds no reports",
}


#: How the file readers name a place in the temporary files (``body.csv:row 7``), and the
#: file names themselves.
_FILE_PLACE = re.compile(r"\bbody\.(?:jsonl|csv|geojson):(?:row|feature) ")
_FILE_NAMES = ("body.jsonl", "body.csv", "body.geojson")


def _relabel_text(text: str, unit: str) -> str:
    """A message naming a row of the temporary file, naming the line, item, row or Feature."""
    return _FILE_PLACE.sub(f"{unit} ", text)


def _relabel(problem: Problem, unit: str) -> Problem:
    """Name the line, item, row or Feature of the body rather than the temporary file it went
    through."""
    where = "body" if problem.where in _FILE_NAMES else _relabel_text(problem.where, unit)
    return Problem(where, problem.field, _FILE_REASONS.get(problem.reason, problem.reason))
