"""Incidents in the store: lasting ids across merges and splits, the status history, decisions
with four eyes, filters, violations superseded never deleted, agreement versions."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from backends import OPERATOR, head_revision, raw
from ceasefire.agreement.load import demo_agreement_path, load_agreement
from ceasefire.agreement.model import Agreement
from ceasefire.counts import Count
from ceasefire.errors import ConflictError, ForbiddenError, InputError, NotFoundError
from ceasefire.intake.report import Report
from ceasefire.judge.rules import Violation
from ceasefire.records import Estimate, Harm, Incident, incident_dict, incident_from_dict
from ceasefire.store.facade import Store
from ceasefire.store.schema import incidents_table

NOW = datetime(2026, 3, 10, 23, 0, tzinfo=UTC)
T0 = datetime(2026, 3, 10, 20, 0, tzinfo=UTC)
RUN1 = NOW
RUN2 = NOW + timedelta(hours=1)
RUN3 = NOW + timedelta(hours=2)


def report(
    rid: str, submitted_by: str = "mission", source_name: str | None = "team 4", **more: Any
) -> Report:
    data: dict[str, Any] = {
        "id": rid,
        "submitted_by": submitted_by,
        "source_kind": "patrol" if submitted_by == "mission" else "party",
        "source_name": source_name,
        "observed_from": T0.isoformat(),
        "lon": 37.6,
        "lat": 48.5,
        "event_type": "shelling",
    }
    data.update(more)
    return Report.model_validate(
        {k: v for k, v in data.items() if v is not None}, context={"now": NOW}
    )


def incident(
    key: str,
    report_ids: Sequence[str],
    *,
    sources: Sequence[str] = ("mission/patrol",),
    minutes: int = 0,
    **more: Any,
) -> Incident:
    """An incident over the given reports, ``minutes`` after T0 (fusion's output, made by hand)."""
    start = T0 + timedelta(minutes=minutes)
    fields: dict[str, Any] = {
        "key": key,
        "event_type": "shelling",
        "group": "fire",
        "observed_from": start,
        "observed_to": start + timedelta(minutes=5),
        "lon": 37.6,
        "lat": 48.5,
        "uncertainty_m": 400.0,
        "place_precision": "exact",
        "report_ids": tuple(report_ids),
        "anchor_ids": tuple(report_ids),
        "sources": tuple(sources),
        "source_kinds": ("patrol",),
        "submitters": ("mission",),
        "party": "UA",
        "side": "left",
        "distance_m": 4200.0,
        "zones": ("dmz",),
        "oblast": "Donetsk",
    }
    fields.update(more)
    return Incident(**fields)


@pytest.fixture
def store(db_url: str) -> Iterator[Store]:
    """A migrated store holding reports r1..r9 by the mission's team 4 and u1..u3 by UA."""
    opened = Store.open(db_url)
    opened.add_reports(
        [report(f"r{i}") for i in range(1, 10)]
        + [report(f"u{i}", "UA", "UA General Staff") for i in range(1, 4)],
        entered_by=OPERATOR,
    )
    yield opened
    opened.close()


@pytest.fixture(scope="module")
def agreement() -> Agreement:
    """The demo agreement (parties RU and UA)."""
    return load_agreement(demo_agreement_path())


def snapshot(store: Store) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of the incident tables, to show that a refused write changed nothing."""
    names = ("incidents", "incident_reports", "status_changes", "violations", "agreements")
    with raw(store) as conn:
        return {n: conn.execute(f"SELECT * FROM {n} ORDER BY 1, 2").fetchall() for n in names}


def members(store: Store) -> dict[str, list[str]]:
    with raw(store) as conn:
        rows = conn.execute("SELECT incident_id, report_id FROM incident_reports ORDER BY 2")
        out: dict[str, list[str]] = {}
        for iid, rid in rows:
            out.setdefault(iid, []).append(rid)
        return out


def history(store: Store, incident_id: str) -> list[tuple[str | None, str, str, bool]]:
    return [
        (h.from_status, h.to_status, h.actor, h.automatic)
        for h in store.status_history(incident_id)
    ]


# -- the schema and the body ------------------------------------------------------------------


def test_migration_0002_adds_the_incident_tables(store: Store) -> None:
    assert store.schema_revision() == head_revision()
    with raw(store) as conn:
        names = conn.tables()
    expected = {"incidents", "incident_reports", "status_changes", "violations", "agreements"}
    assert expected <= names


def test_an_incident_reads_back_equal_from_its_body() -> None:
    full = incident(
        "r1",
        ["r1", "u1"],
        sources=("mission/patrol", "UA/party"),
        observed_from=datetime(2026, 3, 10, 22, 0, tzinfo=UTC),
        weapon_class="artillery",
        weapon_model="2S19",
        calibre_mm=152.0,
        count=Estimate(3, 4, 6),
        killed=Estimate(0, 1, 1),
        civilians_injured=Estimate(None, 2, None),
        claimed_perpetrators={"RU": 2},
        line_distance_m=4100.0,
        zones=("dmz", "artillery_50km"),
    )
    assert incident_dict(full) == full.to_dict()  # the fast encoder is the same as to_dict
    assert incident_from_dict(full.to_dict()) == full
    assert incident_from_dict({**full.to_dict(), "added_later": 1}) == full


def test_harm_reads_back_from_the_body_and_an_incident_without_it_has_no_harm_key(
    store: Store,
) -> None:
    harm = Harm(
        infrastructure=("heating", "water"),
        people_affected=Count(40_000, 60_000),
        outage_from=datetime(2026, 2, 18, 4, 10, tzinfo=UTC),
        utilities=("heating", "water"),
    )
    hit = incident("r1", ["r1"], injured=Estimate(9, 9, 9), harm=harm)
    assert incident_dict(hit) == hit.to_dict()
    assert hit.to_dict()["harm"]["people_affected"] == {"min": 40_000, "max": 60_000}
    assert incident_from_dict(hit.to_dict()) == hit
    # Without harm the body is what it was before harm existed: a stored incident is unchanged.
    assert "harm" not in incident_dict(incident("r2", ["r2"]))
    store.save_incidents([hit, incident("r2", ["r2"], minutes=90)], at=RUN1)
    rows = store.list_incidents()
    assert rows[0].incident == hit
    assert rows[0].to_dict()["harm"] == hit.to_dict()["harm"]
    assert "harm" not in rows[1].to_dict()


def test_a_listed_incident_shows_its_body_as_the_incident_would(store: Store) -> None:
    """A listing shows each stored body without building an Incident; the view must be the
    one built through the Incident, also for a body another version wrote."""
    full = incident("r1", ["r1", "u1"], sources=("mission/patrol", "UA/party"),
                    count=Estimate(3, 4, 6), zones=("dmz",), claimed_perpetrators={"RU": 2})  # fmt: skip
    store.save_incidents([full], at=RUN1)
    row = store.get_incident("INC-000001")
    through = {**row.to_dict(), **incident_dict(row.incident)}
    assert row.to_dict() == through
    assert row.incident == full
    older = dataclasses.replace(row, body={k: v for k, v in row.body.items() if k != "zones"})
    newer = dataclasses.replace(row, body={**row.body, "added_later": 1})
    assert "added_later" not in newer.to_dict()  # read through Incident, which knows no such field
    assert older.to_dict()["zones"] == []  # the field's default, as an Incident reads it
    assert newer.to_dict() == row.to_dict()


# -- saving and reconciling -------------------------------------------------------------------


def test_a_first_save_gives_lasting_ids_in_time_order_and_starts_the_history(
    store: Store,
) -> None:
    result = store.save_incidents(
        [
            incident("r3", ["r3"], minutes=30),
            incident("r1", ["r1", "u1"], sources=("mission/patrol", "UA/party")),
            incident("r2", ["r2"], minutes=10),
        ],
        at=RUN1,
    )
    assert (result.created, result.updated, result.merged, result.unchanged) == (3, 0, 0, 0)
    assert result.ids == {"r1": "INC-000001", "r2": "INC-000002", "r3": "INC-000003"}
    first = store.get_incident("INC-000001")
    assert first.status == "corroborated"  # two independent sources
    assert first.report_ids == ("r1", "u1")
    assert (first.created_at, first.updated_at) == (RUN1, RUN1)
    assert store.get_incident("INC-000002").status == "reported"
    changes = store.status_history("INC-000001")
    assert len(changes) == 1
    c = changes[0]
    assert (c.from_status, c.to_status, c.actor, c.automatic, c.at) == (
        None,
        "corroborated",
        "fusion",
        True,
        RUN1,
    )
    assert c.basis == "2 independent sources: mission/patrol, UA/party"
    assert members(store) == {
        "INC-000001": ["r1", "u1"],
        "INC-000002": ["r2"],
        "INC-000003": ["r3"],
    }


def test_the_same_partition_again_is_unchanged(store: Store) -> None:
    partition = [incident("r1", ["r1", "r2"]), incident("r3", ["r3"], minutes=20)]
    store.save_incidents(partition, at=RUN1)
    before = snapshot(store)
    again = store.save_incidents(partition, at=RUN2)
    assert (again.created, again.updated, again.merged, again.unchanged) == (0, 0, 0, 2)
    assert again.ids == {"r1": "INC-000001", "r3": "INC-000002"}
    assert snapshot(store) == before  # not even updated_at moved


def test_new_fused_facts_are_an_update(store: Store) -> None:
    store.save_incidents([incident("r1", ["r1", "r2"])], at=RUN1)
    result = store.save_incidents([incident("r1", ["r1", "r2"], uncertainty_m=150.0)], at=RUN2)
    assert (result.updated, result.unchanged) == (1, 0)
    stored = store.get_incident("INC-000001")
    assert stored.incident.uncertainty_m == 150.0
    assert (stored.created_at, stored.updated_at) == (RUN1, RUN2)
    assert len(store.status_history("INC-000001")) == 1  # the status did not change


def test_reported_to_corroborated_is_recorded_with_actor_fusion(store: Store) -> None:
    store.save_incidents([incident("r1", ["r1"])], at=RUN1)
    joined = incident("r1", ["r1", "u1"], sources=("mission/patrol", "UA/party"))
    result = store.save_incidents([joined], at=RUN2)
    assert result.updated == 1
    assert store.get_incident("INC-000001").status == "corroborated"
    assert history(store, "INC-000001") == [
        (None, "reported", "fusion", True),
        ("reported", "corroborated", "fusion", True),
    ]
    last = store.status_history("INC-000001")[-1]
    assert last.at == RUN2 and "UA/party" in last.basis
    # A higher threshold takes it back down, and that is recorded too.
    store.save_incidents([joined], at=RUN3, corroboration=3)
    assert store.get_incident("INC-000001").status == "reported"
    assert history(store, "INC-000001")[-1] == ("corroborated", "reported", "fusion", True)


def test_a_merge_keeps_the_older_id_and_marks_the_other_merged_into_it(store: Store) -> None:
    store.save_incidents([incident("r1", ["r1", "r2"]), incident("r3", ["r3"], minutes=3)], at=RUN1)
    merged = store.save_incidents([incident("r1", ["r1", "r2", "r3"])], at=RUN2)
    assert (merged.created, merged.updated, merged.merged) == (0, 1, 1)
    assert merged.ids == {"r1": "INC-000001"}
    absorbed = store.get_incident("INC-000002")  # kept, never deleted
    assert absorbed.merged_into == "INC-000001"
    assert absorbed.updated_at == RUN2
    assert history(store, "INC-000002") == [
        (None, "reported", "fusion", True),
        ("reported", "reported", "fusion", True),
    ]
    assert store.status_history("INC-000002")[-1].basis == "merged into INC-000001"
    assert members(store) == {"INC-000001": ["r1", "r2", "r3"]}
    assert [s.incident_id for s in store.list_incidents()] == ["INC-000001"]
    assert [s.incident_id for s in store.list_incidents(include_merged=True)] == [
        "INC-000001",
        "INC-000002",
    ]
    assert store.count_incidents() == 1 and store.count_incidents(include_merged=True) == 2


def test_a_merge_of_equals_keeps_the_lower_id(store: Store) -> None:
    store.save_incidents([incident("r1", ["r1"]), incident("r2", ["r2"], minutes=1)], at=RUN1)
    # The fused incident's key is now r2's (say, an earlier time came in): the id does not care.
    result = store.save_incidents([incident("r2", ["r2", "r1"])], at=RUN2)
    assert result.ids == {"r2": "INC-000001"}
    assert store.get_incident("INC-000002").merged_into == "INC-000001"


def test_a_split_keeps_the_id_on_the_larger_part(store: Store) -> None:
    store.save_incidents([incident("r1", ["r1", "r2", "r3"])], at=RUN1)
    result = store.save_incidents(
        [incident("r1", ["r1"]), incident("r2", ["r2", "r3"], minutes=1)], at=RUN2
    )
    assert (result.created, result.updated, result.merged, result.unchanged) == (1, 1, 0, 0)
    assert result.ids == {"r2": "INC-000001", "r1": "INC-000002"}
    assert members(store) == {"INC-000001": ["r2", "r3"], "INC-000002": ["r1"]}
    assert history(store, "INC-000002") == [(None, "reported", "fusion", True)]


def test_a_regrouping_hands_out_ids_by_largest_overlap(store: Store) -> None:
    store.save_incidents([incident("r1", ["r1", "r2", "r3"]), incident("r4", ["r4"])], at=RUN1)
    # r1,r2 stay together; r3 joins r4. INC-1 goes to the part holding two of its reports, and
    # the other part takes INC-2 (its next candidate) rather than a fresh id.
    result = store.save_incidents(
        [incident("r1", ["r1", "r2"]), incident("r3", ["r3", "r4"])], at=RUN2
    )
    assert result.ids == {"r1": "INC-000001", "r3": "INC-000002"}
    assert (result.created, result.merged) == (0, 0)


def test_incidents_not_in_the_input_are_left_as_they_are(store: Store) -> None:
    store.save_incidents([incident("r1", ["r1"]), incident("r5", ["r5"])], at=RUN1)
    before = store.get_incident("INC-000002")
    result = store.save_incidents([incident("r1", ["r1", "r2"])], at=RUN2)
    assert (result.updated, result.merged) == (1, 0)
    assert store.get_incident("INC-000002") == before
    assert members(store)["INC-000002"] == ["r5"]


def test_a_decided_status_survives_a_re_save(store: Store) -> None:
    store.save_incidents(
        [incident("r1", ["r1", "u1"], sources=("mission/patrol", "UA/party"))], at=RUN1
    )
    store.set_status(
        "INC-000001", status="verified", actor="Ben Osei", basis="seen on site", at=RUN2,
        parties=("RU", "UA"),
    )  # fmt: skip
    # Fusion now finds one source only (u1 left): a decided status is not fusion's to change.
    result = store.save_incidents(
        [incident("r1", ["r1"]), incident("u1", ["u1"], minutes=40)], at=RUN3
    )
    assert store.get_incident("INC-000001").status == "verified"
    assert result.updated == 1
    assert [h.actor for h in store.status_history("INC-000001")] == ["fusion", "Ben Osei"]


def test_an_absorbed_incident_cannot_be_decided_on(store: Store) -> None:
    store.save_incidents([incident("r1", ["r1"]), incident("r2", ["r2"], minutes=2)], at=RUN1)
    store.save_incidents([incident("r1", ["r1", "r2"])], at=RUN2)
    with pytest.raises(ConflictError, match="INC-000002 was merged into INC-000001"):
        store.set_status("INC-000002", status="verified", actor="Ben", basis="x", at=RUN3)


# -- all or nothing ---------------------------------------------------------------------------


def test_an_unknown_report_stores_nothing(store: Store) -> None:
    store.save_incidents([incident("r1", ["r1"])], at=RUN1)
    before = snapshot(store)
    with pytest.raises(NotFoundError, match=r"incident r3: no stored report with id 'r404'"):
        store.save_incidents(
            [incident("r1", ["r1", "r2"]), incident("r3", ["r3", "r404"], minutes=5)], at=RUN2
        )
    assert snapshot(store) == before


@pytest.mark.parametrize(
    ("partition", "field", "message"),
    [
        ([incident("r1", ["r1", "r2"]), incident("r3", ["r2", "r3"])], "report_ids", "r2"),
        ([incident("r1", ["r1"]), incident("r1", ["r2"])], "key", "twice"),
        ([incident("r1", [])], "report_ids", "member report"),
        (
            [incident("r1", ["r1"], observed_from=datetime(2026, 3, 10, 20, 0))],
            "observed_from",
            "UTC offset",
        ),
    ],
    ids=["report_in_two_incidents", "key_twice", "no_reports", "naive_time"],
)
def test_a_bad_partition_is_refused_whole(
    store: Store, partition: list[Incident], field: str, message: str
) -> None:
    before = snapshot(store)
    with pytest.raises(InputError, match=message) as caught:
        store.save_incidents(partition, at=RUN1)
    assert caught.value.problems[0].field == field
    assert snapshot(store) == before


def test_a_stored_incident_covered_in_part_is_refused(store: Store) -> None:
    store.save_incidents([incident("r1", ["r1", "r2"])], at=RUN1)
    before = snapshot(store)
    with pytest.raises(InputError, match=r"INC-000001 also holds report 'r2'"):
        store.save_incidents([incident("r1", ["r1", "r3"])], at=RUN2)
    assert snapshot(store) == before


def test_a_corroboration_below_one_is_refused(store: Store) -> None:
    with pytest.raises(InputError, match="corroboration"):
        store.save_incidents([incident("r1", ["r1"])], at=RUN1, corroboration=0)
    with pytest.raises(InputError, match="at: must carry a UTC offset"):
        store.save_incidents([incident("r1", ["r1"])], at=datetime(2026, 3, 10))


@pytest.mark.slow  # a timing bound on a large partition: the size is the point
def test_a_large_partition_saves_and_resaves_quickly(db_url: str) -> None:
    n = 10_000
    with Store.open(db_url) as big:
        big.add_reports([report(f"b{i}") for i in range(2 * n)], entered_by=OPERATOR)
        partition = [incident(f"b{2 * i}", [f"b{2 * i}", f"b{2 * i + 1}"]) for i in range(n)]
        first = big.save_incidents(partition, at=RUN1)
        again = big.save_incidents(partition, at=RUN2)
        shifted = [
            incident(f"b{2 * i + 1}", [f"b{2 * i + 1}", f"b{2 * i + 2}"]) for i in range(n - 1)
        ]
        regrouped = big.save_incidents(
            [*shifted, incident("b0", ["b0"]), incident(f"b{2 * n - 1}", [f"b{2 * n - 1}"])],
            at=RUN3,
        )
        assert first.created == n and again.unchanged == n
        assert regrouped.created + regrouped.updated + regrouped.unchanged == n + 1
        assert big.count_incidents() == n + 1
        # Membership is right after a regrouping that took the whole-table scan path.
        with raw(big) as conn:
            held = dict(conn.execute("SELECT report_id, incident_id FROM incident_reports"))
        assert len(held) == 2 * n
        for key in ("b0", "b1", f"b{n + 1}", f"b{2 * n - 1}"):
            assert {r for r, i in held.items() if i == regrouped.ids[key]} == set(
                big.get_incident(regrouped.ids[key]).report_ids
            )


# -- decisions --------------------------------------------------------------------------------


def test_a_decision_is_recorded_with_who_when_and_why(store: Store) -> None:
    store.save_incidents(
        [incident("r1", ["r1", "u1"], sources=("mission/patrol", "UA/party"))], at=RUN1
    )
    change = store.set_status(
        "INC-000001",
        status="verified",
        actor=" Ben Osei ",
        basis="crater and fuze furrow seen on site ",
        at=RUN2,
        assessed_perpetrator="RU",
        perpetrator_basis="crater_analysis",
        parties=("RU", "UA"),
    )
    assert (change.from_status, change.to_status, change.actor, change.automatic) == (
        "corroborated",
        "verified",
        "Ben Osei",
        False,
    )
    assert change.basis == "crater and fuze furrow seen on site"
    assert store.status_history("INC-000001")[-1] == change
    stored = store.get_incident("INC-000001")
    assert (stored.status, stored.assessed_perpetrator, stored.assessed_basis) == (
        "verified",
        "RU",
        "crater_analysis",
    )
    assert stored.updated_at == RUN2
    # A later decision states the whole assessment again; without a perpetrator, none is held.
    store.set_status(
        "INC-000001", status="disputed", actor="Chloe Lim", basis="UA withdrew its complaint",
        at=RUN3, parties=("RU", "UA"),
    )  # fmt: skip
    stored = store.get_incident("INC-000001")
    assert (stored.status, stored.assessed_perpetrator) == ("disputed", None)
    assert [h.to_status for h in store.status_history("INC-000001")] == [
        "corroborated",
        "verified",
        "disputed",
    ]


def test_four_eyes_refuses_and_writes_nothing(store: Store) -> None:
    store.save_incidents([incident("r1", ["r1", "r2"])], at=RUN1)  # both entered by OPERATOR
    before = snapshot(store)
    # Four eyes by identity: who entered the reports, not the names the reports give.
    for actor in (OPERATOR.name, f" {OPERATOR.name.upper()} "):
        with pytest.raises(ForbiddenError, match="INC-000001"):
            store.set_status("INC-000001", status="verified", actor=actor, basis="x", at=RUN2)
    assert snapshot(store) == before
    # Someone else may; and the author may dispute their own report.
    store.set_status(
        "INC-000001", status="disputed", actor=OPERATOR.name, basis="misheard", at=RUN2
    )
    store.set_status("INC-000001", status="verified", actor="Ben Osei", basis="seen", at=RUN3)


def test_bad_decisions_write_nothing(store: Store) -> None:
    store.save_incidents([incident("r1", ["r1"])], at=RUN1)
    before = snapshot(store)
    with pytest.raises(InputError, match="status"):
        store.set_status("INC-000001", status="corroborated", actor="Ben", basis="x", at=RUN2)
    with pytest.raises(InputError, match="unknown party 'XX'"):
        store.set_status(
            "INC-000001", status="verified", actor="Ben", basis="x", at=RUN2,
            assessed_perpetrator="XX", perpetrator_basis="claim", parties=("RU", "UA"),
        )  # fmt: skip
    with pytest.raises(InputError, match="at: must carry a UTC offset"):
        store.set_status(
            "INC-000001", status="verified", actor="Ben", basis="x", at=datetime(2026, 3, 11)
        )
    with pytest.raises(NotFoundError, match="INC-000404"):
        store.set_status("INC-000404", status="verified", actor="Ben", basis="x", at=RUN2)
    assert snapshot(store) == before
    with pytest.raises(NotFoundError, match="INC-000404"):
        store.status_history("INC-000404")
    with pytest.raises(NotFoundError, match="INC-000404"):
        store.get_incident("INC-000404")


def test_parties_default_to_the_registered_agreements(store: Store, agreement: Agreement) -> None:
    store.save_incidents([incident("r1", ["r1"])], at=RUN1)
    with pytest.raises(InputError, match="known: none"):
        store.set_status(
            "INC-000001", status="verified", actor="Ben", basis="x", at=RUN2,
            assessed_perpetrator="RU", perpetrator_basis="claim",
        )  # fmt: skip
    store.register_agreement(agreement)
    change = store.set_status(
        "INC-000001", status="verified", actor="Ben", basis="x", at=RUN2,
        assessed_perpetrator="RU", perpetrator_basis="claim",
    )  # fmt: skip
    assert change.assessed_perpetrator == "RU"


# -- listing ----------------------------------------------------------------------------------


@pytest.fixture
def filled(store: Store) -> Store:
    """Five incidents: times T0+0/+60/+120/+180/+240 min, sides, zones, types and statuses vary."""
    store.save_incidents(
        [
            incident("r1", ["r1", "u1"], sources=("mission/patrol", "UA/party")),
            incident("r2", ["r2"], minutes=60, zones=("dmz", "artillery_50km")),
            incident("r3", ["r3"], minutes=120, party="RU", side="right", zones=()),
            incident("r4", ["r4"], minutes=180, event_type="small_arms", zones=("mlrs_70km",)),
            incident("r5", ["r5"], minutes=240, party="RU", side="right", zones=("dmz",)),
        ],
        at=RUN1,
    )
    store.set_status(
        "INC-000002", status="verified", actor="Ben", basis="seen", at=RUN2,
        assessed_perpetrator="RU", perpetrator_basis="direction_of_fire", parties=("RU", "UA"),
    )  # fmt: skip
    return store


def ids(store: Store, **filters: Any) -> list[str]:
    found = [s.incident_id for s in store.list_incidents(**filters)]
    if "limit" not in filters:
        assert store.count_incidents(**filters) == len(found)
    return [i.removeprefix("INC-00000") for i in found]


def test_list_filters(filled: Store) -> None:
    assert ids(filled) == ["1", "2", "3", "4", "5"]
    # Windows overlap: incident 2 runs T0+60..65 min.
    assert ids(filled, since=T0 + timedelta(minutes=62), until=T0 + timedelta(minutes=181)) == [
        "2",
        "3",
        "4",
    ]
    assert ids(filled, event_type="small_arms") == ["4"]
    assert ids(filled, event_type=["small_arms", "shelling"]) == ["1", "2", "3", "4", "5"]
    assert ids(filled, status="corroborated") == ["1"]
    assert ids(filled, status=["verified", "reported"]) == ["2", "3", "4", "5"]
    assert ids(filled, zone="dmz") == ["1", "2", "5"]
    assert ids(filled, zone="artillery_50km") == ["2"]
    assert ids(filled, zone="artillery%") == []  # a name, not a pattern
    assert ids(filled, zone="artilleryX50km") == []
    assert ids(filled, side="right") == ["3", "5"]
    # RU: on its side (3, 5) or assessed its doing (2).
    assert ids(filled, party="RU") == ["2", "3", "5"]
    assert ids(filled, party="UA", status="reported") == ["4"]
    assert ids(filled, limit=2) == ["1", "2"]
    assert ids(filled, limit=2, offset=2) == ["3", "4"]
    assert filled.count_incidents(zone="dmz") == 3
    with pytest.raises(InputError, match="status"):
        filled.list_incidents(status="confirmed")
    with pytest.raises(InputError, match="UTC offset"):
        filled.list_incidents(since=datetime(2026, 3, 10))


def test_a_box_finds_incidents_by_their_fused_place(filled: Store) -> None:
    # The dialect's box filter on incidents (PostGIS's GiST-indexed geom on PostgreSQL).
    def inside(box: tuple[float, float, float, float]) -> int:
        where = filled._dialect.bbox_clause(box, incidents_table)
        with filled.read() as conn:
            query = select(func.count()).select_from(incidents_table).where(where)
            return int(conn.execute(query).scalar_one())

    assert inside((37.6, 48.5, 37.7, 48.6)) == 5  # all at 37.6, 48.5: edges count
    assert inside((37.5, 48.4, 37.6, 48.5)) == 5
    assert inside((37.61, 48.4, 37.7, 48.6)) == 0


def test_an_incident_as_json_has_its_id_status_and_reports(filled: Store) -> None:
    d = filled.get_incident("INC-000002").to_dict()
    assert list(d)[:2] == ["id", "status"]
    assert d["id"] == "INC-000002" and d["status"] == "verified"
    assert d["report_ids"] == ["r2"]
    assert d["assessed_perpetrator"] == "RU" and d["assessed_basis"] == "direction_of_fire"
    assert d["zones"] == ["dmz", "artillery_50km"]
    assert d["observed_from"] == (T0 + timedelta(minutes=60)).isoformat()


def test_an_incident_record_has_reports_history_and_violations(filled: Store) -> None:
    record = filled.incident_record("INC-000001")
    assert [r.report.id for r in record.reports] == ["r1", "u1"]
    assert [h.actor for h in record.history] == ["fusion"]
    assert record.violations == []
    d = record.to_dict()
    assert set(d) == {"incident", "reports", "history", "violations"}
    assert d["reports"][1]["source_name"] == "UA General Staff"


# -- violations -------------------------------------------------------------------------------


def violation(key: str, rule: str = "fire_in_dmz", version: int = 1, **more: Any) -> Violation:
    fields: dict[str, Any] = {
        "incident_key": key,
        "rule": rule,
        "agreement_id": "demo",
        "agreement_version": version,
        "party": "RU",
        "evidence": (key,),
        "facts": {"zone": "dmz", "distance_m": 4200.0, "zones": ["dmz"]},
        "description": "Fire in the demilitarised zone",
    }
    fields.update(more)
    return Violation(**fields)


def save(store: Store, vs: list[Violation], judged: Sequence[str], at: datetime, version: int = 1) -> tuple[int, int, int]:  # fmt: skip
    keys = {f"r{i}": f"INC-00000{i}" for i in range(1, 6)}
    r = store.save_violations(
        vs,
        incident_ids=keys,
        judged=[keys[k] for k in judged],
        agreement_id="demo",
        agreement_version=version,
        at=at,
    )
    return r.added, r.superseded, r.unchanged


def test_violations_are_added_kept_and_superseded_never_deleted(filled: Store) -> None:
    first = [violation("r1"), violation("r2"), violation("r2", rule="heavy_weapons_in_zone")]
    assert save(filled, first, ["r1", "r2", "r3"], RUN1) == (3, 0, 0)
    assert save(filled, first, ["r1", "r2", "r3"], RUN2) == (0, 0, 3)
    # Incident 2 judged again with other facts; incident 1 judged and found clean; 3 not judged.
    changed = [violation("r2", facts={"zone": "dmz", "distance_m": 900.0, "zones": ["dmz"]})]
    assert save(filled, [*changed, violation("r3")], ["r2", "r3"], RUN3) == (2, 2, 0)
    assert save(filled, [], ["r1"], RUN3) == (0, 1, 0)
    current = filled.list_violations()
    assert [(v.incident_id, v.rule) for v in current] == [
        ("INC-000002", "fire_in_dmz"),
        ("INC-000003", "fire_in_dmz"),
    ]
    assert current[0].facts["distance_m"] == 900.0 and current[0].judged_at == RUN3
    everything = filled.list_violations(include_superseded=True)
    assert len(everything) == 5  # nothing deleted
    old = [v for v in everything if v.superseded_at is not None]
    assert {(v.incident_id, v.rule, v.superseded_at) for v in old} == {
        ("INC-000001", "fire_in_dmz", RUN3),
        ("INC-000002", "fire_in_dmz", RUN3),
        ("INC-000002", "heavy_weapons_in_zone", RUN3),
    }
    assert filled.count_violations() == 2 and filled.count_violations(include_superseded=True) == 5


def test_a_new_version_supersedes_the_old_versions_judgement(filled: Store) -> None:
    assert save(filled, [violation("r1")], ["r1"], RUN1) == (1, 0, 0)
    assert save(filled, [violation("r1", version=2)], ["r1"], RUN2, version=2) == (1, 1, 0)
    assert [v.agreement_version for v in filled.list_violations()] == [2]
    assert len(filled.list_violations(agreement_version=1, include_superseded=True)) == 1
    assert filled.list_violations(agreement_version=1) == []


def test_violation_filters(filled: Store) -> None:
    save(
        filled,
        [
            violation("r1"),
            violation("r2", rule="heavy_weapons_in_zone", party="UA"),
            violation("r4", party=None),
        ],
        ["r1", "r2", "r4"],
        RUN1,
    )

    def rules(**filters: Any) -> list[tuple[str, str]]:
        return [(v.incident_id[-1], v.rule) for v in filled.list_violations(**filters)]

    assert rules(incident_id="INC-000002") == [("2", "heavy_weapons_in_zone")]
    assert rules(rule="fire_in_dmz") == [("1", "fire_in_dmz"), ("4", "fire_in_dmz")]
    assert rules(rule=["heavy_weapons_in_zone"]) == [("2", "heavy_weapons_in_zone")]
    assert rules(party="UA") == [("2", "heavy_weapons_in_zone")]
    # The incident's time: 1 at T0, 2 at T0+60 min, 4 at T0+180 min.
    assert rules(since=T0 + timedelta(minutes=30), until=T0 + timedelta(minutes=180)) == [
        ("2", "heavy_weapons_in_zone")
    ]
    assert rules(limit=1, offset=1) == [("2", "heavy_weapons_in_zone")]
    # A current violation held against a party makes the incident concern it.
    assert ids(filled, party="UA") == ["1", "2", "4"]
    assert filled.list_violations()[0].to_dict()["evidence"] == ["r1"]


def test_bad_violation_runs_write_nothing(filled: Store) -> None:
    before = snapshot(filled)
    with pytest.raises(InputError, match="agreement_version"):
        save(filled, [violation("r1", version=2)], ["r1"], RUN1)
    with pytest.raises(InputError, match="not among those judged"):
        save(filled, [violation("r1")], ["r2"], RUN1)
    with pytest.raises(InputError, match="no stored incident id"):
        save(filled, [violation("r9")], ["r1"], RUN1)
    with pytest.raises(NotFoundError, match="INC-000404"):
        filled.save_violations(
            [], incident_ids={}, judged=["INC-000404"], agreement_id="demo",
            agreement_version=1, at=RUN1,
        )  # fmt: skip
    assert snapshot(filled) == before


# -- agreements -------------------------------------------------------------------------------


def test_register_agreement_is_idempotent_and_refuses_other_content(
    store: Store, agreement: Agreement
) -> None:
    assert store.register_agreement(agreement) is True
    assert store.register_agreement(agreement) is False
    # The same version read from elsewhere is the same version.
    assert store.register_agreement(dataclasses.replace(agreement, source=Path("/x.yaml"))) is False
    with pytest.raises(ConflictError, match="already registered with other content"):
        store.register_agreement(dataclasses.replace(agreement, title="Another text"))
    v2 = dataclasses.replace(agreement, version=agreement.version + 1, title="Amended")
    assert store.register_agreement(v2) is True
    versions = store.agreement_versions()
    assert [(v["id"], v["version"], v["title"]) for v in versions] == [
        (agreement.id, agreement.version, agreement.title),
        (agreement.id, agreement.version + 1, "Amended"),
    ]
    assert set(versions[0]["parties"]) == {"RU", "UA"}


def test_an_assessed_perpetrator_given_by_an_alias_is_recorded_as_its_code(
    store: Store, agreement: Agreement
) -> None:
    store.save_incidents([incident("r1", ["r1"]), incident("r2", ["r2"])], at=RUN1)
    # The agreement's parties given: an alias of RU is RU; free text is refused with the codes.
    with pytest.raises(InputError, match=r"unknown party 'the enemy'; known: RU .*russia.*, UA"):
        store.set_status(
            "INC-000001", status="verified", actor="Ben", basis="x", at=RUN2,
            assessed_perpetrator="the enemy", perpetrator_basis="claim",
            parties=agreement.party_codes,
        )  # fmt: skip
    change = store.set_status(
        "INC-000001", status="verified", actor="Ben", basis="x", at=RUN2,
        assessed_perpetrator=" Russian Forces ", perpetrator_basis="claim",
        parties=agreement.party_codes,
    )  # fmt: skip
    assert change.assessed_perpetrator == "RU"
    assert store.get_incident("INC-000001").assessed_perpetrator == "RU"
    # By default the registered agreements' parties, aliases included.
    store.register_agreement(agreement)
    change = store.set_status(
        "INC-000002", status="verified", actor="Ben", basis="x", at=RUN2,
        assessed_perpetrator="ukraine", perpetrator_basis="claim",
    )  # fmt: skip
    assert change.assessed_perpetrator == "UA"
    assert [h.assessed_perpetrator for h in store.status_history("INC-000002")][-1] == "UA"
