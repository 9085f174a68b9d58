"""Lasting incident ids without a database: which stored incident a fused one continues, merges,
splits, statuses and tie-breaks of :func:`ceasefire.fusion.identity.reconcile`."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import pytest

from ceasefire.errors import InputError
from ceasefire.fusion.identity import Held, Merge, Plan, incident_id_for, reconcile
from ceasefire.records import Incident, incident_json
from ceasefire.vocab import DECIDED_STATUSES

T0 = datetime(2026, 3, 10, 20, 0, tzinfo=UTC)
AT = datetime(2026, 3, 10, 23, 0, tzinfo=UTC)
ONE = ("mission/patrol",)
TWO = ("UA/party", "mission/patrol")


def fused(
    key: str, report_ids: Sequence[str], *, sources: Sequence[str] = ONE, minutes: int = 0
) -> Incident:
    """A fused incident over ``report_ids``, ``minutes`` after T0."""
    start = T0 + timedelta(minutes=minutes)
    return Incident(
        key=key,
        event_type="shelling",
        group="fire",
        observed_from=start,
        observed_to=start + timedelta(minutes=5),
        lon=37.6,
        lat=48.5,
        uncertainty_m=400.0,
        place_precision="exact",
        report_ids=tuple(report_ids),
        anchor_ids=tuple(report_ids),
        sources=tuple(sources),
        source_kinds=("patrol",),
        submitters=("mission",),
    )


def held(
    seq: int, report_ids: Sequence[str], *, status: str = "reported", body: str = "{}"
) -> Held:
    """Stored incident number ``seq`` holding ``report_ids`` (its body differs from any fused
    incident's unless given)."""
    return Held(incident_id_for(seq), seq, status, body, tuple(report_ids))


def as_stored(seq: int, incident: Incident, status: str = "reported") -> Held:
    """Stored incident number ``seq`` exactly as ``incident`` (same members, same body)."""
    return held(seq, incident.report_ids, status=status, body=incident_json(incident))


def plan_for(
    stored: Sequence[Held],
    incoming: Sequence[Incident],
    *,
    last_seq: int | None = None,
    corroboration: int = 2,
) -> Plan:
    last = max((h.seq for h in stored), default=0) if last_seq is None else last_seq
    return reconcile(stored, incoming, last_seq=last, corroboration=corroboration, at=AT)


def ids_by_key(incoming: Sequence[Incident], plan: Plan) -> dict[str, str]:
    return {i.key: iid for i, iid in zip(incoming, plan.ids, strict=True)}


def steps(plan: Plan) -> list[tuple[str, str | None, str, str]]:
    """The history entries as (incident, from, to, basis); all are fusion's, automatic, at AT."""
    assert all(c.actor == "fusion" and c.automatic and c.at == AT for c in plan.history)
    return [(c.incident_id, c.from_status, c.to_status, c.basis) for c in plan.history]


# -- identity ---------------------------------------------------------------------------------


def test_same_members_and_content_keep_the_id_and_change_nothing() -> None:
    a = fused("r1", ["r1", "r2"])
    plan = plan_for([as_stored(3, a)], [a])
    assert plan.ids == ("INC-000003",)
    assert plan.unchanged == ("INC-000003",)
    assert (plan.creates, plan.updates, plan.merges) == ((), (), ())
    assert (plan.moves, plan.left, plan.history) == ((), (), ())


def test_new_facts_on_the_same_members_are_an_update_without_history() -> None:
    a = fused("r1", ["r1", "r2"])
    moved_on = dataclasses.replace(a, lon=37.7)
    plan = plan_for([as_stored(3, a)], [moved_on])
    assert [(u.incident_id, u.status, u.body) for u in plan.updates] == [
        ("INC-000003", "reported", incident_json(moved_on))
    ]
    assert plan.unchanged == () and plan.history == () and plan.moves == ()


def test_a_grown_incident_keeps_its_id_and_only_the_new_report_moves() -> None:
    grown = fused("r1", ["r1", "r2", "r3"])
    plan = plan_for([held(1, ["r1", "r2"])], [grown])
    assert plan.ids == ("INC-000001",)
    assert [u.incident_id for u in plan.updates] == ["INC-000001"]
    assert plan.creates == ()
    assert plan.moves == (("r3", "INC-000001"),)
    assert plan.left == ()  # r3 had no incident: no membership ends


def test_a_wholly_new_incident_gets_the_next_id_and_its_first_status() -> None:
    plan = plan_for([], [fused("r1", ["r1"], sources=TWO)], last_seq=41)
    (create,) = plan.creates
    assert (create.index, create.seq, create.incident_id, create.status) == (
        0,
        42,
        "INC-000042",
        "corroborated",
    )
    assert steps(plan) == [
        ("INC-000042", None, "corroborated", "2 independent sources: UA/party, mission/patrol")
    ]
    assert plan.moves == (("r1", "INC-000042"),)


# -- merges -----------------------------------------------------------------------------------


def test_a_merge_keeps_the_id_holding_most_reports_even_if_younger() -> None:
    # INC-1 is older, but INC-2 holds two of the three reports: the id goes by overlap first.
    one = fused("r1", ["r1", "r2", "r3"])
    plan = plan_for([held(1, ["r1"]), held(2, ["r2", "r3"])], [one])
    assert plan.ids == ("INC-000002",)
    assert plan.merges == (Merge("INC-000001", into="INC-000002"),)
    assert plan.moves == (("r1", "INC-000002"),) and plan.left == ("r1",)
    # The absorbed incident keeps its status; the history says where it went.
    assert ("INC-000001", "reported", "reported", "merged into INC-000002") in steps(plan)


def test_a_merge_of_equals_keeps_the_older_id() -> None:
    one = fused("r1", ["r1", "r2"])
    plan = plan_for([held(2, ["r2"]), held(1, ["r1"])], [one])
    assert plan.ids == ("INC-000001",)
    assert plan.merges == (Merge("INC-000002", into="INC-000001"),)


def test_an_absorbed_incident_goes_into_the_taker_of_most_of_its_reports() -> None:
    # INC-3 gives one report to the incident keeping INC-1 and two to the one keeping INC-2.
    x = fused("a1", ["a1", "a2", "a3", "c1"])
    y = fused("b1", ["b1", "b2", "b3", "c2", "c3"])
    stored = [held(1, ["a1", "a2", "a3"]), held(2, ["b1", "b2", "b3"]), held(3, ["c1", "c2", "c3"])]
    plan = plan_for(stored, [x, y])
    assert plan.ids == ("INC-000001", "INC-000002")
    assert plan.merges == (Merge("INC-000003", into="INC-000002"),)
    assert plan.moves == (("c1", "INC-000001"), ("c2", "INC-000002"), ("c3", "INC-000002"))


def test_an_absorbed_incident_split_evenly_goes_into_the_older_taker() -> None:
    # INC-3's two reports go one to each of two incidents, which keep INC-1 and INC-2.
    x = fused("a1", ["a1", "a2", "c1"])
    y = fused("b1", ["b1", "b2", "c2"])
    stored = [held(1, ["a1", "a2"]), held(2, ["b1", "b2"]), held(3, ["c1", "c2"])]
    for incoming in ([x, y], [y, x]):
        plan = plan_for(stored, incoming)
        assert ids_by_key(incoming, plan) == {"a1": "INC-000001", "b1": "INC-000002"}
        assert plan.merges == (Merge("INC-000003", into="INC-000001"),)


def test_a_decided_status_of_an_absorbed_incident_is_kept_in_its_history() -> None:
    plan = plan_for(
        [held(1, ["r1", "r2"]), held(2, ["r3"], status="verified")],
        [fused("r1", ["r1", "r2", "r3"])],
    )
    assert ("INC-000002", "verified", "verified", "merged into INC-000001") in steps(plan)


# -- splits -----------------------------------------------------------------------------------


def test_a_split_keeps_the_id_on_the_larger_part_and_numbers_the_other() -> None:
    big, small = fused("r1", ["r1", "r2"]), fused("r3", ["r3"], minutes=10)
    for incoming in ([big, small], [small, big]):
        plan = plan_for([held(1, ["r1", "r2", "r3"])], incoming, last_seq=7)
        assert ids_by_key(incoming, plan) == {"r1": "INC-000001", "r3": "INC-000008"}
        assert [(c.seq, incoming[c.index].key) for c in plan.creates] == [(8, "r3")]
        assert plan.merges == ()
        assert plan.moves == (("r3", "INC-000008"),) and plan.left == ("r3",)


def test_a_regrouping_hands_out_ids_by_largest_overlap() -> None:
    # INC-1 {r1 r2 r3}, INC-2 {r4 r5}; now {r1 r4 r5} and {r2 r3}: the second holds most of
    # INC-1, the first all of INC-2.
    stored = [held(1, ["r1", "r2", "r3"]), held(2, ["r4", "r5"])]
    incoming = [fused("r1", ["r1", "r4", "r5"]), fused("r2", ["r2", "r3"])]
    plan = plan_for(stored, incoming)
    assert ids_by_key(incoming, plan) == {"r1": "INC-000002", "r2": "INC-000001"}
    assert plan.creates == () and plan.merges == ()
    assert plan.moves == (("r1", "INC-000002"),)


# -- statuses ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("stored_status", "sources", "expected"),
    [
        ("reported", TWO, "corroborated"),
        ("corroborated", ONE, "reported"),
        ("reported", ONE, "reported"),
    ],
)
def test_the_automatic_status_follows_the_sources(
    stored_status: str, sources: Sequence[str], expected: str
) -> None:
    a = fused("r1", ["r1"], sources=sources)
    plan = plan_for([held(1, ["r1"], status=stored_status)], [a])
    assert [(u.incident_id, u.status) for u in plan.updates] == [("INC-000001", expected)]
    basis = f"{len(sources)} independent source{'s' if len(sources) > 1 else ''}: "
    changed = [("INC-000001", stored_status, expected, basis + ", ".join(sources))]
    assert steps(plan) == (changed if expected != stored_status else [])


def test_the_threshold_is_the_corroboration_given() -> None:
    a = fused("r1", ["r1"], sources=TWO)
    plan = plan_for([as_stored(1, a)], [a], corroboration=3)
    assert plan.unchanged == ("INC-000001",)  # two sources are not three


@pytest.mark.parametrize("decided", DECIDED_STATUSES)
def test_a_decided_status_is_never_overwritten(decided: str) -> None:
    a = fused("r1", ["r1"], sources=TWO)
    # Same content: nothing to write, although the sources alone would say corroborated.
    same = plan_for([as_stored(1, a, status=decided)], [a])
    assert same.unchanged == ("INC-000001",) and same.updates == () and same.history == ()
    # New content: the row is updated, the decision stays, no history entry.
    moved_on = dataclasses.replace(a, sources=ONE)
    plan = plan_for([as_stored(1, a, status=decided)], [moved_on])
    assert [(u.incident_id, u.status) for u in plan.updates] == [("INC-000001", decided)]
    assert plan.history == ()


# -- ties -------------------------------------------------------------------------------------


def test_equal_claims_go_to_the_larger_incident_then_the_smaller_key() -> None:
    stored = [held(1, ["r1", "r2"])]
    # Equal overlap (one report each): the incident with more reports keeps the id.
    larger = [fused("r2", ["r2", "r9"]), fused("r1", ["r1"])]
    for incoming in (larger, larger[::-1]):
        assert ids_by_key(incoming, plan_for(stored, incoming, last_seq=5))["r2"] == "INC-000001"
    # Equal overlap, equal size: the smaller key keeps it.
    even = [fused("r2", ["r2"]), fused("r1", ["r1"])]
    for incoming in (even, even[::-1]):
        assert ids_by_key(incoming, plan_for(stored, incoming, last_seq=5)) == {
            "r1": "INC-000001",
            "r2": "INC-000006",
        }


def test_equal_overlaps_with_two_stored_ids_go_to_the_older_id() -> None:
    one = fused("r1", ["r1", "r2"])
    plan = plan_for([held(5, ["r2"]), held(4, ["r1"])], [one])
    assert plan.ids == ("INC-000004",)


def test_fresh_ids_go_in_time_order_then_by_key() -> None:
    incoming = [
        fused("r3", ["r3"], minutes=30),
        fused("r2", ["r2"], minutes=0),
        fused("r1", ["r1"], minutes=30),
    ]
    plan = plan_for([], incoming, last_seq=0)
    assert ids_by_key(incoming, plan) == {
        "r2": "INC-000001",
        "r1": "INC-000002",
        "r3": "INC-000003",
    }
    assert [c.incident_id for c in plan.creates] == ["INC-000001", "INC-000002", "INC-000003"]


# -- refused input ----------------------------------------------------------------------------


def test_a_stored_incident_covered_in_part_is_refused() -> None:
    with pytest.raises(InputError, match="r2"):
        plan_for([held(1, ["r1", "r2"])], [fused("r1", ["r1"])])


def test_a_report_in_two_incidents_is_refused() -> None:
    with pytest.raises(InputError, match="belongs to one incident"):
        plan_for([], [fused("r1", ["r1"]), fused("r2", ["r2", "r1"])])


def test_a_corroboration_below_one_is_refused() -> None:
    with pytest.raises(InputError, match="corroboration"):
        plan_for([], [fused("r1", ["r1"])], corroboration=0)
