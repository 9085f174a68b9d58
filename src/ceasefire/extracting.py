"""Text in, proposals out; accepted proposals into the store, all or nothing.

The core proposes (:func:`ceasefire.extract.extract`) and says what an accepted event becomes
(:mod:`ceasefire.extract.accepted`); this module stores it for a caller, so the CLI
(``ceasefire extract --ingest``), the API (``POST /api/v1/extract/accept``) and the web page's
review step store the same records. The text is extracted again here, never taken from the
client's copy of the proposals, so every figure stored carries words of the very text whose
hash it names. Only the mission extracts (the ``extract`` action of
:mod:`ceasefire.publish.access`): a party must not be able to make the mission's ``osint``
reports.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import numpy as np

from ceasefire.errors import ConflictError, InputError, Problem
from ceasefire.extract import Extraction, extract
from ceasefire.extract.accepted import (
    AcceptedEvent,
    accepted_records,
    proposal_digest,
    text_sha256,
)
from ceasefire.geo.engine import GeoEngine
from ceasefire.geo.gazetteer import load_gazetteer
from ceasefire.pipeline import unplaceable
from ceasefire.publish.access import Principal, require
from ceasefire.store.facade import Store

__all__ = ["MAX_TEXT_CHARS", "AcceptResult", "accept", "propose"]

#: The largest text extracted at once, in characters: a long article is 20,000; a text ten
#: times that is a paste gone wrong, and the rules' time grows with it.
MAX_TEXT_CHARS = 200_000


def propose(
    text: str, *, published: date | None = None, source: str | None = None, where: str = "text"
) -> dict[str, Any]:
    """The proposals for one text as its JSON (docs/extract.md), with the text's ``sha256``
    and the ``proposal``'s digest that an accept may name."""
    extraction = _extract(text, published, source, where)
    sha = text_sha256(text)
    return {
        **extraction.to_json(),
        "sha256": sha,
        "proposal": proposal_digest(extraction, sha),
    }


def _extract(text: str, published: date | None, source: str | None, where: str) -> Extraction:
    if not text.strip():
        raise InputError(Problem(where, "text", "is empty"))
    if len(text) > MAX_TEXT_CHARS:
        raise InputError(
            Problem(where, "text", f"is {len(text):,} characters; at most {MAX_TEXT_CHARS:,}")
        )
    return extract(text, published=published, source=source)


@dataclass(frozen=True)
class AcceptResult:
    """What an accept stored: the text's hash, each event's records, the reports and tallies
    new to the store and those it held already (an accept repeated stores nothing)."""

    sha256: str
    events: tuple[AcceptedEvent, ...]
    reports_stored: tuple[str, ...]
    reports_unchanged: tuple[str, ...]
    tallies_stored: tuple[str, ...]
    tallies_unchanged: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "sha256": self.sha256,
            "events": [e.to_dict() for e in self.events],
            "reports": {"stored": list(self.reports_stored),
                        "unchanged": list(self.reports_unchanged)},
            "tallies": {"stored": list(self.tallies_stored),
                        "unchanged": list(self.tallies_unchanged)},
        }  # fmt: skip


def accept(
    store: Store,
    engine: GeoEngine,
    text: str,
    *,
    by: Principal,
    published: date | None = None,
    source: str | None = None,
    events: Sequence[int] | None = None,
    proposal: str | None = None,
    sha256: str | None = None,
    now: datetime | None = None,
) -> AcceptResult:
    """Store the records of the accepted ``events`` of ``text`` (indices of its proposals;
    None: every one) as entered by ``by``, in one transaction.

    ``sha256`` and ``proposal``, when given, are what the person reviewed: a text whose hash
    differs, or whose proposals differ now, is refused (409) rather than stored unseen.

    Raises
    ------
    ForbiddenError
        ``by`` may not extract (parties, the mediator, the public).
    InputError
        An accepted event cannot become its records (:func:`accepted_records`), or its place
        lies outside the agreement's area; each problem names ``event N`` and the field.
    ConflictError
        The text or the proposals are not those reviewed; or a record of the text's event is
        stored with other content (the same text accepted with another source or date).
    """
    require(by, "extract")
    now = now or datetime.now(UTC)
    sha = text_sha256(text)
    if sha256 is not None and sha256 != sha:
        raise ConflictError(
            f"the text's SHA-256 is {sha}, not the {sha256} reviewed; propose it again"
        )
    extraction = _extract(text, published, source, "accept")
    if proposal is not None and proposal != proposal_digest(extraction, sha):
        raise ConflictError(
            "the text's proposals are not those reviewed (the rules changed since); "
            "propose it again"
        )
    accepted = accepted_records(extraction, sha, events, gazetteer=load_gazetteer(), now=now)
    reports = [a.report for a in accepted if a.report is not None]
    wheres = [f"event {a.index}" for a in accepted if a.report is not None]
    tallies = [a.tally for a in accepted if a.tally is not None]
    parties = engine.agreement.party_codes
    placements: list[dict[str, Any]] = []
    if reports:
        lon = np.array([r.lon for r in reports], dtype=np.float64)  # each has its point
        lat = np.array([r.lat for r in reports], dtype=np.float64)
        bad = unplaceable(engine, reports, lon, lat, wheres)
        if bad:
            raise InputError([Problem(p.where, "places", p.reason) for _, p in bad])
        placements = engine.classify(lon, lat).rows()
    with store.bulk_writer() as writer:
        added = writer.add(reports, placements, entered_by=by, parties=parties, where=wheres)
        counted = writer.add_tallies(tallies, by=by, parties=parties)
    return AcceptResult(
        sha,
        tuple(accepted),
        added.added_ids,
        added.unchanged_ids,
        counted.stored,
        counted.unchanged,
    )
