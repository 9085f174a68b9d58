"""ceasefire.extracting against the store, on every backend: an accept's reports and tallies are
one transaction, who may accept, and the place checked against the agreement."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from ceasefire.errors import ConflictError, ForbiddenError, InputError
from ceasefire.extract.accepted import record_id, text_sha256
from ceasefire.extracting import MAX_TEXT_CHARS, accept, propose
from ceasefire.geo.engine import GeoEngine
from ceasefire.publish.access import Principal
from ceasefire.store.facade import Store
from ceasefire.tallies.model import read_tally
from proposals import AIR_ATTACK, PUBLISHED

DESK = Principal("desk", "monitor")
RID = record_id(text_sha256(AIR_ATTACK), 0)


@pytest.fixture
def store(db_url: str) -> Iterator[Store]:
    with Store.open(db_url) as opened:
        yield opened


def test_a_tally_refused_stores_nothing_of_the_accept(store: Store, engine: GeoEngine) -> None:
    # The mission's tally of that id is held with other content: the accept's tally is a
    # conflict, and its report, written first in the same transaction, goes too.
    held = read_tally({
        "id": RID, "issuer": "mission", "attacker": "RU",
        "window_from": "2026-02-16T18:00:00+02:00", "window_to": "2026-02-17T09:00:00+02:00",
        "lines": [{"weapon_class": "drone", "launched": 7}],
    })  # fmt: skip
    store.add_tallies([held], by=DESK, parties=engine.agreement.party_codes)
    size = store.ledger_state().size
    with pytest.raises(ConflictError, match=RID):
        accept(store, engine, AIR_ATTACK, by=DESK, published=PUBLISHED, source="Air Force")
    assert store.count_reports() == 0
    assert store.ledger_state().size == size


def test_only_the_mission_accepts(store: Store, engine: GeoEngine) -> None:
    for who in (Principal("ua", "party", "UA"), Principal("med", "mediator")):
        with pytest.raises(ForbiddenError, match="may not extract"):
            accept(store, engine, AIR_ATTACK, by=who, published=PUBLISHED)
    assert store.count_reports() == 0


def test_an_accept_stores_once_and_says_what_it_made(store: Store, engine: GeoEngine) -> None:
    proposal = propose(AIR_ATTACK, published=PUBLISHED, source="Air Force")["proposal"]
    done = accept(store, engine, AIR_ATTACK, by=DESK, published=PUBLISHED, source="Air Force",
                  events=[0], proposal=proposal)  # fmt: skip
    assert (done.reports_stored, done.tallies_stored) == ((RID,), (RID,))
    stored = store.get_stored([RID])[RID]
    assert stored.placement is not None and stored.placement["oblast"] == "Kharkiv"
    again = accept(store, engine, AIR_ATTACK, by=Principal("other desk", "admin"),
                   published=PUBLISHED, source="Air Force")  # fmt: skip
    assert (again.reports_stored, again.reports_unchanged) == ((), (RID,))
    assert (again.tallies_stored, again.tallies_unchanged) == ((), (RID,))


def test_empty_and_oversized_texts_are_refused() -> None:
    for text, reason in (("  \n", "is empty"), ("x" * (MAX_TEXT_CHARS + 1), "at most")):
        with pytest.raises(InputError, match=reason) as exc:
            propose(text, where="paste")
        assert [(p.where, p.field) for p in exc.value.problems] == [("paste", "text")]
