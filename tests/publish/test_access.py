"""The access policy, role by role: who sees which report and incident, and how."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from ceasefire.errors import ForbiddenError, InputError
from ceasefire.publish.access import (
    ACTIONS,
    COARSE_DEG,
    COARSE_RADIUS_M,
    ROLES,
    Principal,
    Release,
    address_principal,
    concerns,
    hotline_address,
    hotline_scope,
    may,
    may_prove,
    may_read_incident,
    may_read_message,
    may_read_report,
    new_token,
    notified_parties,
    token_hash,
)
from ceasefire.publish.views import (
    coarsen,
    incident_view,
    party_sources,
    place_slack,
    report_view,
    shows_key,
    status_change_view,
    violation_view,
)
from ceasefire.records import StoredIncident, incident_dict, incident_from_dict

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
ADMIN = Principal("ops", "admin")
MONITOR = Principal("monitor 7", "monitor")
MEDIATOR = Principal("mediator", "mediator")
UA = Principal("UA liaison", "party", "UA")
RU = Principal("RU liaison", "party", "RU")
PUBLIC = Principal("anyone", "public")
EVERYONE = (ADMIN, MONITOR, MEDIATOR, UA, RU, PUBLIC)


def incident(**changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": "INC-000001",
        "event_type": "shelling",
        "observed_from": (NOW - timedelta(hours=30)).isoformat(),
        "observed_to": (NOW - timedelta(hours=29)).isoformat(),
        "lon": 36.2734,
        "lat": 47.6612,
        "uncertainty_m": 300.0,
        "party": "UA",
        "assessed_perpetrator": None,
        "claimed_perpetrators": {},
        "report_ids": ["ua-1", "patrol-3", "sensor-9"],
        "anchor_ids": ["patrol-3", "sensor-9"],
        "submitters": ["UA", "mission"],
        "sources": ["UA/party", "mission/patrol", "mission/sensor"],
        "distance_m": 12_345.0,
        "key": "patrol-3",
    }
    data.update(changes)
    return data


def test_roles_are_checked() -> None:
    with pytest.raises(InputError):
        Principal("x", "party")  # a party user names its party
    with pytest.raises(InputError):
        Principal("x", "monitor", "UA")
    with pytest.raises(InputError):
        Principal("x", "spy")


@pytest.mark.parametrize("action", sorted(ACTIONS))
def test_the_action_matrix(action: str) -> None:
    allowed = {p.role for p in EVERYONE if may(p, action)}
    assert allowed == set(ACTIONS[action]) & set(ROLES)
    assert "public" not in allowed


def test_tokens_are_random_and_stored_hashed() -> None:
    a, b = new_token(), new_token()
    assert a != b and len(a) > 40
    assert token_hash(a) != a and len(token_hash(a)) == 64 and token_hash(a) == token_hash(a)


def test_a_party_sees_its_own_reports_only() -> None:
    own = {"id": "ua-1", "submitted_by": "UA", "lon": 36.0}
    theirs = {"id": "ru-1", "submitted_by": "RU"}
    patrol = {"id": "patrol-3", "submitted_by": "mission", "observer_lon": 36.1}
    assert report_view(UA, own) == own
    assert report_view(UA, theirs) is None and report_view(UA, patrol) is None
    assert report_view(RU, theirs) == theirs
    assert all(report_view(p, patrol) == patrol for p in (ADMIN, MONITOR, MEDIATOR))
    assert report_view(PUBLIC, own) is None


def test_a_party_sees_incidents_that_concern_it_without_others_sources() -> None:
    seen = incident_view(UA, incident(), now=NOW, own_reports={"ua-1"})
    assert seen is not None
    assert seen["report_ids"] == ["ua-1"] and seen["other_reports"] == 2
    assert seen["anchor_ids"] == [] and seen["submitters"] == ["UA"]
    # RU: not on its side, not assessed or claimed against it, no violation, not released.
    assert incident_view(RU, incident(), now=NOW) is None
    for way_in in (
        {"assessed_perpetrator": "RU"},
        {"claimed_perpetrators": {"RU": 1}},
    ):
        assert incident_view(RU, incident(**way_in), now=NOW) is not None
    assert incident_view(RU, incident(), now=NOW, violation_parties={"RU"}) is not None
    assert incident_view(RU, incident(), now=NOW, release=Release(NOW)) is not None


def test_the_public_waits_and_sees_a_coarse_place() -> None:
    assert incident_view(PUBLIC, incident(), now=NOW) is None  # not released
    early = incident(observed_to=(NOW - timedelta(hours=2)).isoformat())
    assert incident_view(PUBLIC, early, now=NOW, release=Release(NOW - timedelta(hours=1))) is None
    seen = incident_view(PUBLIC, incident(), now=NOW, release=Release(NOW - timedelta(hours=1)))
    assert seen is not None
    assert "report_ids" not in seen and "sources" not in seen and "submitters" not in seen
    assert seen["n_reports"] == 3
    assert (seen["lon"], seen["lat"]) == (36.25, 47.65)
    assert seen["uncertainty_m"] == COARSE_RADIUS_M and seen["distance_m"] == 10_000.0
    full = incident_view(
        PUBLIC, incident(), now=NOW, release=Release(NOW - timedelta(hours=1), full=True)
    )
    assert full is not None and (full["lon"], full["lat"]) == (36.2734, 47.6612)


def test_a_release_in_the_future_is_not_yet_a_release() -> None:
    later = Release(NOW + timedelta(hours=1))
    assert incident_view(PUBLIC, incident(), now=NOW, release=later) is None
    assert incident_view(RU, incident(), now=NOW, release=later) is None


@pytest.mark.parametrize(("lon", "lat"), [(36.2734, 47.6612), (-0.05, -0.05), (36.3, 47.7)])
def test_coarsening_keeps_the_place_inside_its_cell(lon: float, lat: float) -> None:
    clon, clat, radius = coarsen(lon, lat, 50.0)
    assert abs(clon - lon) <= 0.05 + 1e-9 and abs(clat - lat) <= 0.05 + 1e-9
    assert radius == COARSE_RADIUS_M


# -- what a view keeps but would name another submitter ---------------------------------------


def test_the_key_is_shown_to_the_mission_and_to_the_party_whose_report_it_is() -> None:
    ua_anchored = incident(key="ua-1", anchor_ids=["ua-1"])
    assert all(shows_key(p, ua_anchored, ()) for p in (ADMIN, MONITOR, MEDIATOR))
    assert shows_key(UA, ua_anchored, {"ua-1"})
    assert not shows_key(RU, ua_anchored, {"ru-1"}) and not shows_key(UA, incident(), {"ua-1"})
    assert not shows_key(PUBLIC, ua_anchored, {"ua-1"})  # never, whatever it is told
    seen = incident_view(UA, ua_anchored, now=NOW, own_reports={"ua-1"})
    assert seen is not None and seen["key"] == "ua-1"
    seen = incident_view(UA, incident(), now=NOW, own_reports={"ua-1"})  # the patrol's
    assert seen is not None and "key" not in seen
    released = incident_view(
        PUBLIC, ua_anchored, now=NOW, release=Release(NOW - timedelta(hours=1), full=True)
    )
    assert released is not None and "key" not in released
    assert incident_view(MONITOR, incident(), now=NOW) == incident()


def test_a_party_sees_its_own_sources_only() -> None:
    sources = ["UA/party", "RU/party", "mission/sensor", "UAV/drone"]
    assert party_sources("UA", sources) == ["UA/party"]  # by submitter, not by prefix
    assert party_sources("RU", sources) == ["RU/party"]
    assert party_sources("UA", []) == []
    seen = incident_view(UA, incident(), now=NOW, own_reports={"ua-1"})
    assert seen is not None and seen["sources"] == ["UA/party"]
    theirs = incident_view(RU, incident(), now=NOW, violation_parties={"RU"})
    assert theirs is not None and theirs["sources"] == []


def test_fusions_basis_is_dropped_for_a_party_and_the_public() -> None:
    fusion = {"status": "corroborated", "automatic": True, "basis": "UA/party, mission/sensor"}
    person = {"status": "disputed", "automatic": False, "basis": "crater faces the other way"}
    for p in (UA, RU, PUBLIC):
        assert status_change_view(p, fusion) == {**fusion, "basis": None}
        assert status_change_view(p, person) == person
    for p in (ADMIN, MONITOR, MEDIATOR):
        assert status_change_view(p, fusion) == fusion
    assert fusion["basis"] is not None  # the record given is not changed


def test_violation_evidence_is_cut_for_a_party_and_dropped_for_the_public() -> None:
    violation = {
        "incident_id": "INC-000001",
        "rule": "no-heavy-weapons",
        "evidence": ["ua-1", "sensor-9", "ru-4"],
        "facts": {"distance_m": 12_345.0, "calibre_mm": 152},
    }
    seen = incident_view(UA, incident(), now=NOW, own_reports={"ua-1"})
    assert violation_view(MONITOR, violation, None) == violation  # the mission: whole
    assert violation_view(UA, violation, None) is None  # of a hidden incident: hidden
    party = violation_view(UA, violation, seen, own_reports={"ua-1"})
    assert party is not None
    assert party["evidence"] == ["ua-1"] and party["other_evidence"] == 2
    assert party["facts"] == violation["facts"]
    coarse = incident_view(PUBLIC, incident(), now=NOW, release=Release(NOW - timedelta(hours=1)))
    public = violation_view(PUBLIC, violation, coarse, own_reports={"ua-1"})
    assert public is not None and "evidence" not in public and public["n_evidence"] == 3
    assert public["facts"] == {"distance_m": 10_000.0, "calibre_mm": 152}
    full = incident_view(
        PUBLIC, incident(), now=NOW, release=Release(NOW - timedelta(hours=1), full=True)
    )
    exact = violation_view(PUBLIC, violation, full)
    assert exact is not None and exact["facts"] == violation["facts"]
    assert "evidence" not in exact


def test_a_box_over_shown_places_widens_by_the_coarsening() -> None:
    # A party is shown the incidents that do not concern it coarsened, as the public is.
    assert all(place_slack(p) == COARSE_DEG for p in (PUBLIC, UA, RU))
    assert all(place_slack(p) == 0.0 for p in (ADMIN, MONITOR, MEDIATOR))
    # A coarsened place lies within the slack of the true one on each axis.
    for lon, lat in ((36.2734, 47.6612), (36.2999, 47.6001), (-0.01, 0.09)):
        clon, clat, _ = coarsen(lon, lat, None)
        assert abs(clon - lon) <= place_slack(PUBLIC) and abs(clat - lat) <= place_slack(PUBLIC)


# -- the predicates the views and every surface ask -----------------------------------------


def test_every_view_is_given_exactly_when_its_predicate_says_so() -> None:
    releases = (None, Release(NOW), Release(NOW + timedelta(hours=1)), Release(NOW, full=True))
    cases = [incident(), incident(party="RU"), incident(claimed_perpetrators={"RU": 1})]
    for p in EVERYONE:
        for data in cases:
            for release in releases:
                for against in ((), ("RU",)):
                    kwargs = {"now": NOW, "release": release, "violation_parties": against}
                    seen = incident_view(p, data, **kwargs)  # type: ignore[arg-type]
                    assert (seen is not None) == may_read_incident(p, data, **kwargs)  # type: ignore[arg-type]
    for p in EVERYONE:
        for report in ({"submitted_by": "UA"}, {"submitted_by": "mission"}):
            assert (report_view(p, report) is not None) == may_read_report(p, report)


def test_a_notified_party_may_read_what_it_is_notified_of() -> None:
    for data in (incident(), incident(party="RU"), incident(assessed_perpetrator="RU")):
        stored = _stored(data)
        for against in ((), ("RU",)):
            told = notified_parties(stored, ("RU", "UA"), against)
            assert told == [p for p in ("RU", "UA") if concerns(data, p, against)]
            for party in told:
                principal = Principal(party, "party", party)
                assert may_read_incident(principal, stored, now=NOW, violation_parties=against)
    # A release lets every party read an incident, and notifies none.
    assert notified_parties(_stored(incident()), ("RU",), ()) == []


def _stored(data: dict[str, Any]) -> StoredIncident:
    """A StoredIncident whose facts the policy reads are those of ``data``."""
    fields = incident_from_dict(
        {"key": "k", "group": "g", "place_precision": "near", "report_ids": ("r",),
         "anchor_ids": ("r",), "sources": (), "source_kinds": (), "submitters": (),
         **{k: data[k] for k in ("event_type", "observed_from", "observed_to", "lon", "lat",
                                 "uncertainty_m", "party", "claimed_perpetrators")}}
    )  # fmt: skip
    return StoredIncident(
        data["id"],
        incident_dict(fields),
        "reported",
        data["assessed_perpetrator"],
        None,
        None,
        NOW,
        NOW,
    )


def test_the_hotline_is_the_mission_the_mediator_and_the_parties() -> None:
    assert [hotline_address(p) for p in EVERYONE] == [
        "mission", "mission", "mediator", "UA", "RU", None
    ]  # fmt: skip
    assert [hotline_scope(p) for p in EVERYONE[:5]] == [None, None, None, "UA", "RU"]
    with pytest.raises(ForbiddenError):
        hotline_scope(PUBLIC)  # never "everything" for the public
    note = {"sender": "mission", "recipients": ["UA"]}
    assert [may_read_message(p, note) for p in EVERYONE] == [True, True, True, True, False, False]
    assert address_principal("UA", ("RU", "UA")) == Principal("hotline:UA", "party", "UA")
    assert address_principal("mission", ("RU", "UA")) is not None
    assert address_principal("XX", ("RU", "UA")) is None


def test_a_proof_is_given_only_where_the_view_would_be_whole() -> None:
    violation = {"incident_id": "INC-000001", "evidence": [], "facts": {"distance_m": 12_345.0}}
    coarse = incident_view(PUBLIC, incident(), now=NOW, release=Release(NOW - timedelta(hours=1)))
    full = incident_view(
        PUBLIC, incident(), now=NOW, release=Release(NOW - timedelta(hours=1), full=True)
    )
    assert not may_prove(PUBLIC, "violation", violation, incident=coarse)
    assert may_prove(PUBLIC, "violation", violation, incident=full)
    assert not may_prove(PUBLIC, "violation", violation, incident=None)
    theirs = {**violation, "evidence": ["ru-4"]}
    seen = incident_view(UA, incident(), now=NOW)
    assert not may_prove(UA, "violation", theirs, incident=seen, own_reports={"ua-1"})
    assert may_prove(RU, "violation", theirs, incident=seen, own_reports={"ru-4"})
    message = {"sender": "mission", "recipients": ["UA"]}
    assert may_prove(UA, "hotline_message", message) and not may_prove(
        RU, "hotline_message", message
    )
    assert not may_prove(UA, "release", {"incident_id": "INC-000001"}, incident=seen)
    # A retraction: the party whose report it withdrew (and the mission); nobody else.
    withdrawn = {"report_id": "UA:r-1", "reason": "a duplicate", "by": {"role": "monitor"}}
    assert may_prove(UA, "retraction", withdrawn, own_reports={"UA:r-1"})
    assert not may_prove(RU, "retraction", withdrawn, own_reports=set())
    assert not may_prove(PUBLIC, "retraction", withdrawn, own_reports={"UA:r-1"})
    assert may_prove(MONITOR, "retraction", withdrawn)
    # A superseded mark (a number and a time): whoever sees the violation's incident.
    mark = {"seq": 4, "superseded_at": "2026-03-11T00:00:00.000000Z"}
    assert may_prove(PUBLIC, "violation_superseded", mark, incident=coarse)
    assert may_prove(UA, "violation_superseded", mark, incident=seen)
    assert not may_prove(RU, "violation_superseded", mark, incident=None)


def test_the_policy_package_imports_no_surface_and_no_store() -> None:
    import ast
    from pathlib import Path

    import ceasefire.publish

    # rglob: the policy itself is a package (ceasefire.publish.access) inside this one.
    for path in Path(ceasefire.publish.__file__).parent.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names = (
                [node.module or ""] if isinstance(node, ast.ImportFrom)
                else [a.name for a in node.names] if isinstance(node, ast.Import) else []
            )  # fmt: skip
            for name in names:
                assert not name.startswith(("ceasefire.store", "ceasefire.api", "ceasefire.cli")), (
                    f"{path.name} imports {name}"
                )
