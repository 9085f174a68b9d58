"""Strike tallies in the store: who may enter which, versions kept, every row logged (each backend)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest

from backends import raw
from ceasefire import ledger
from ceasefire.errors import ConflictError, ForbiddenError, InputError, NotFoundError
from ceasefire.publish.access import Principal
from ceasefire.store.facade import Store
from ceasefire.tallies.model import read_tally

NOW = datetime(2026, 2, 17, 9, 0, tzinfo=UTC)
UA = Principal("ua-liaison", "party", "UA")
RU = Principal("ru-liaison", "party", "RU")
MONITOR = Principal("monitor-3", "monitor")
PUBLIC = Principal("anyone", "public")
PARTIES = ("RU", "UA")


def tally(tally_id: str = "af-0217", issuer: str = "UA", **over: Any):
    data = {
        "id": tally_id,
        "issuer": issuer,
        "attacker": "RU",
        "window_from": "2026-02-16T18:00:00+02:00",
        "window_to": "2026-02-17T08:00:00+02:00",
        "lines": [
            {"weapon_class": "drone", "launched": {"min": 360, "max": 399}, "destroyed": 352}
        ],
    }
    data.update(over)
    return read_tally(data)


@pytest.fixture
def store(db_url: str) -> Iterator[Store]:
    with Store.open(db_url) as opened:
        yield opened


def test_a_party_enters_its_own_tally_logged_with_who_entered_it(store: Store) -> None:
    added = store.add_tallies([tally()], by=UA, parties=PARTIES, at=NOW)
    assert added.stored == ("af-0217",) and added.unchanged == ()
    (entry,) = store.ledger_entries("tally/UA/af-0217")
    assert '"entered_by":{"name":"ua-liaison","party":"UA","role":"party"}' in entry.body
    assert '"destroyed":352' in entry.body
    [held] = store.tallies(by=RU)  # the other party reads it, to set its account beside it
    assert held.tally == tally() and held.entered_by == "ua-liaison"
    ledger.audit(store)


def test_storing_the_same_tally_again_changes_nothing_and_other_content_conflicts(
    store: Store,
) -> None:
    store.add_tallies([tally()], by=UA, at=NOW)
    assert store.add_tallies([tally()], by=UA, at=NOW).unchanged == ("af-0217",)
    changed = tally(lines=[{"weapon_class": "drone", "launched": 396}])
    with pytest.raises(ConflictError, match="supersedes"):
        store.add_tallies([tally("af-0218"), changed], by=UA, at=NOW)
    # All or nothing: the new tally of the refused batch is not stored either.
    assert [s.tally.id for s in store.tallies(by=MONITOR)] == ["af-0217"]


def test_a_party_may_not_enter_the_other_partys_account(store: Store) -> None:
    with pytest.raises(ForbiddenError, match="its own tallies"):
        store.add_tallies([tally(issuer="RU")], by=UA, at=NOW)
    with pytest.raises(ForbiddenError):
        store.add_tallies([tally()], by=PUBLIC, at=NOW)
    with pytest.raises(ForbiddenError):
        store.tallies(by=PUBLIC)
    assert store.tallies(by=MONITOR) == []


def test_the_mission_transcribes_a_partys_bulletin_and_not_an_unknown_issuer(store: Store) -> None:
    store.add_tallies([tally(issuer="RU", attacker="RU")], by=MONITOR, parties=PARTIES, at=NOW)
    [held] = store.tallies(by=MONITOR)
    assert (held.tally.issuer, held.entered_role) == ("RU", "monitor")
    with pytest.raises(InputError) as err:
        store.add_tallies([tally(issuer="XX")], by=MONITOR, parties=PARTIES, at=NOW)
    assert err.value.problems[0].field == "issuer"


def test_a_correction_supersedes_once_both_kept_and_only_within_its_issuer(store: Store) -> None:
    store.add_tallies([tally(), tally("ru-0217", "RU")], by=MONITOR, at=NOW)
    fixed = tally(
        "af-0217b", supersedes="af-0217", lines=[{"weapon_class": "drone", "launched": 396}]
    )
    store.add_tallies([fixed], by=UA, at=NOW)
    versions = {s.tally.id: s.superseded_by for s in store.tallies(by=UA)}
    assert versions == {"af-0217": "af-0217b", "af-0217b": None, "ru-0217": None}
    assert {s.tally.id for s in store.tallies(by=UA, current_only=True)} == {"af-0217b", "ru-0217"}
    with pytest.raises(ConflictError, match="superseded already"):
        store.add_tallies([tally("af-0217c", supersedes="af-0217")], by=UA, at=NOW)
    with pytest.raises(InputError) as err:  # RU cannot retire UA's numbers by naming them
        store.add_tallies([tally("ru-x", "RU", supersedes="af-0217b")], by=RU, at=NOW)
    assert err.value.problems[0].field == "supersedes"
    assert store.tally("UA", "af-0217", by=RU).superseded_by == "af-0217b"
    with pytest.raises(NotFoundError):
        store.tally("RU", "af-0217", by=RU)
    ledger.audit(store)


def test_listing_by_window_overlap(store: Store) -> None:
    later = tally("af-0218", window_from="2026-02-17T18:00:00+02:00",
                  window_to="2026-02-18T08:00:00+02:00")  # fmt: skip
    store.add_tallies([tally(), later], by=UA, at=NOW)
    night = store.tallies(by=UA, start=datetime(2026, 2, 17, 12, tzinfo=UTC))
    assert [s.tally.id for s in night] == ["af-0218"]


def test_an_edited_tally_row_fails_the_audit(store: Store) -> None:
    store.add_tallies([tally()], by=UA, at=NOW)
    (entry,) = store.ledger_entries("tally/UA/af-0217")
    with raw(store) as conn:
        conn.execute("UPDATE tallies SET body = replace(body, '352', '152')")
    with pytest.raises(Exception) as caught:
        ledger.audit(store)
    assert f"first bad entry: {entry.idx}" in str(caught.value)
