"""Tests of :mod:`ceasefire.judge.rules`: which incidents break which rule of which agreement version.

Places are found with the demo agreement's own :class:`GeoEngine` along the meridian 35.6 E,
which crosses the line near Zaporizhzhia with Ukraine to the north and Russia to the south
(checked in :func:`ray`), and every place is asserted before a test relies on it.
"""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest
from shapely.geometry import Polygon

from ceasefire.agreement.load import demo_agreement_path, load_agreement
from ceasefire.agreement.model import Agreement, ProhibitedAct, Zone
from ceasefire.errors import AgreementError
from ceasefire.geo.engine import GeoEngine, Placement
from ceasefire.judge.rules import Violation, in_force, judge, judge_under
from ceasefire.records import Incident

AGREEMENTS = Path(__file__).parents[1] / "data" / "agreements"
EFFECTIVE = datetime(2026, 3, 1, tzinfo=UTC)  # the demo agreement's effective time
AFTER = EFFECTIVE + timedelta(days=3)
BEFORE = EFFECTIVE - timedelta(days=3)
RAY_LON = 35.6


# -- fixtures ---------------------------------------------------------------------------------


def make_incident(
    lon: float,
    lat: float,
    event_type: str,
    *,
    when: datetime = AFTER,
    weapon: str | None = None,
    calibre: float | None = None,
    claims: dict[str, int] | None = None,
    key: str = "inc-1",
    reports: Sequence[str] | None = None,
    sources: Sequence[str] = ("mission/patrol",),
) -> Incident:
    """An incident of one or more reports at ``(lon, lat)``, observed for ten minutes; by
    default a mission patrol's (``sources`` are fusion's source keys)."""
    report_ids = tuple(reports) if reports is not None else (key,)
    return Incident(
        key=key,
        event_type=event_type,
        group="test",
        observed_from=when,
        observed_to=when + timedelta(minutes=10),
        lon=lon,
        lat=lat,
        uncertainty_m=100.0,
        place_precision="exact",
        report_ids=report_ids,
        anchor_ids=report_ids,
        sources=tuple(sources),
        source_kinds=tuple(sorted({k.rpartition("/")[2] for k in sources})),
        submitters=tuple(sorted({k.partition("/")[0] for k in sources})),
        weapon_class=weapon,
        calibre_mm=calibre,
        claimed_perpetrators=dict(claims or {}),
    )


@pytest.fixture(scope="module")
def demo() -> Agreement:
    return load_agreement(demo_agreement_path())


@dataclasses.dataclass(frozen=True)
class Ray:
    """Points along the meridian ``RAY_LON`` and their placement under the demo agreement."""

    lat: npt.NDArray[np.float64]
    place: Placement

    def at(self, party: str, km: float) -> tuple[float, float]:
        """The point on ``party``'s side whose distance to the line is nearest ``km``."""
        own = self.place.party == party
        miss = np.where(own, np.abs(self.place.distance_m - km * 1000.0), np.inf)
        i = int(np.argmin(miss))
        assert miss[i] < 200.0, f"no point {km} km from the line on the {party} side"
        return RAY_LON, float(self.lat[i])


@pytest.fixture(scope="module")
def ray(engine: GeoEngine) -> Ray:
    lat = np.arange(46.0, 49.0, 0.0005)
    place = engine.classify(np.full(lat.size, RAY_LON), lat)
    # The ray crosses the line once, Russia south of it and Ukraine north (Zaporizhzhia side).
    assert place.party[0] == "RU" and place.party[-1] == "UA"
    assert np.count_nonzero(place.party[1:] != place.party[:-1]) == 1
    return Ray(lat, place)


def zones_at(engine: GeoEngine, point: tuple[float, float]) -> list[str]:
    zones: list[str] = engine.classify([point[0]], [point[1]]).row(0)["zones"]
    return zones


def rules_of(violations: Sequence[Violation]) -> list[str]:
    return [v.rule for v in violations]


def with_zone_widths(agreement: Agreement, **km: float) -> tuple[Zone, ...]:
    """``agreement``'s zones with the named ones set to ``km`` on both sides."""
    return tuple(
        dataclasses.replace(z, widths_m={"RU": km[z.name] * 1e3, "UA": km[z.name] * 1e3})
        if z.name in km
        else z
        for z in agreement.zones
    )


# -- fire --------------------------------------------------------------------------------------


def test_fire_after_effective_time_is_a_violation(demo: Agreement, ray: Ray) -> None:
    inc = make_incident(*ray.at("UA", 5), "shelling", claims={"RU": 2}, reports=["r1", "r2"])
    (v,) = judge([inc], [demo])
    assert (v.rule, v.agreement_id, v.agreement_version) == ("fire", demo.id, demo.version)
    assert v.incident_key == inc.key
    assert v.description == demo.prohibited_acts[0].description
    assert v.evidence == ("r1", "r2") == inc.report_ids
    assert (v.party, v.facts["party_basis"]) == ("RU", "claims agree")
    # Fire anywhere: no zone triggered it.
    assert v.facts["zone"] is None and v.facts["zones_hit"] == []


def test_an_ambiguous_oblast_level_claim_adds_no_violation_of_its_own(
    demo: Agreement, ray: Ray
) -> None:
    # Fusion marks it: it fits several located incidents, most likely one of them, and counting
    # it too would count one event twice.
    located = make_incident(*ray.at("UA", 5), "shelling", reports=["sensor-1"])
    vague = dataclasses.replace(
        make_incident(*ray.at("UA", 20), "shelling", claims={"RU": 1}, reports=["claim-1"]),
        key="claim-1",
    )
    assert rules_of(judge([located, vague], [demo])) == ["fire", "fire"]
    unsure = dataclasses.replace(vague, ambiguous=True)
    (v,) = judge([located, unsure], [demo])
    assert v.incident_key == located.key


def test_fire_before_effective_time_is_not_judged(demo: Agreement, ray: Ray) -> None:
    inc = make_incident(*ray.at("UA", 5), "shelling", when=BEFORE)
    assert judge([inc], [demo]) == []
    # ...but it would be one under the agreement, which is what judge_under answers.
    assert rules_of(judge_under([inc], demo)) == ["fire"]


def test_fire_at_the_effective_instant_is_judged(demo: Agreement, ray: Ray) -> None:
    inc = make_incident(*ray.at("UA", 5), "small_arms", when=EFFECTIVE)
    assert rules_of(judge([inc], [demo])) == ["fire"]
    earlier = make_incident(*ray.at("UA", 5), "small_arms", when=EFFECTIVE - timedelta(seconds=1))
    assert judge([earlier], [demo]) == []


def test_shelling_deep_inside_one_side_is_fire(
    demo: Agreement, engine: GeoEngine, ray: Ray
) -> None:
    deep = ray.at("RU", 160)
    assert zones_at(engine, deep) == []
    (v,) = judge([make_incident(*deep, "shelling", claims={"UA": 1})], [demo])
    assert (v.rule, v.party) == ("fire", "UA")
    assert v.facts["zones"] == [] and v.facts["side"] == "left" and v.facts["party"] == "RU"


def test_explosion_follows_the_agreements_lists(demo: Agreement, ray: Ray) -> None:
    """The demo's fire act does not list 'explosion': an explosion of unknown origin is none."""
    assert "explosion" not in demo.prohibited_acts[0].event_types
    assert judge([make_incident(*ray.at("UA", 5), "explosion")], [demo]) == []


def test_geometry_facts(demo: Agreement, engine: GeoEngine, ray: Ray) -> None:
    point = ray.at("UA", 30)
    inc = make_incident(*point, "weapon_sighting", weapon="artillery", calibre=152.0)
    (v,) = judge([inc], [demo])
    row = engine.classify([point[0]], [point[1]]).row(0)
    assert v.facts["side"] == "right"  # UA holds the right of the demo line
    assert v.facts["party"] == "UA"
    assert v.facts["distance_m"] == pytest.approx(30_000.0, abs=200.0)
    assert v.facts["distance_m"] == pytest.approx(row["distance_m"])
    assert v.facts["line_distance_m"] == pytest.approx(row["line_distance_m"])
    assert (
        v.facts["zones"]
        == row["zones"]
        == ["artillery_100mm", "mlrs", "heavy_mlrs_tactical_missiles"]
    )
    assert v.facts["event_type"] == "weapon_sighting"
    assert (v.facts["weapon_class"], v.facts["calibre_mm"]) == ("artillery", 152.0)
    assert v.facts["observed_from"] == AFTER.isoformat()
    assert v.to_dict()["evidence"] == list(inc.report_ids)


# -- presence, drones and mines in the DMZ ----------------------------------------------------


@pytest.mark.parametrize("event_type", ["armed_presence", "military_movement"])
def test_armed_presence_inside_dmz(
    demo: Agreement, engine: GeoEngine, ray: Ray, event_type: str
) -> None:
    point = ray.at("UA", 5)
    assert "dmz" in zones_at(engine, point)
    (v,) = judge([make_incident(*point, event_type)], [demo])
    assert v.rule == "armed_presence_dmz"
    assert (v.facts["zone"], v.facts["zones_hit"]) == ("dmz", ["dmz"])
    # Presence is charged to the side it happened on.
    assert (v.party, v.facts["party_basis"]) == ("UA", "side of the line")


def test_armed_presence_outside_dmz_is_none(demo: Agreement, engine: GeoEngine, ray: Ray) -> None:
    point = ray.at("UA", 20)
    assert "dmz" not in zones_at(engine, point)
    assert judge([make_incident(*point, "armed_presence")], [demo]) == []


def test_drone_overflight_of_the_dmz(demo: Agreement, engine: GeoEngine, ray: Ray) -> None:
    inside, outside = ray.at("RU", 10), ray.at("RU", 25)
    assert "dmz" in zones_at(engine, inside) and "dmz" not in zones_at(engine, outside)
    (v,) = judge([make_incident(*inside, "drone_overflight")], [demo])
    assert (v.rule, v.facts["zone"], v.party) == ("drone_overflight_dmz", "dmz", "RU")
    assert judge([make_incident(*outside, "drone_overflight")], [demo]) == []


def test_mine_in_the_dmz(demo: Agreement, ray: Ray) -> None:
    (v,) = judge([make_incident(*ray.at("RU", 3), "mine")], [demo])
    assert (v.rule, v.facts["zone"]) == ("mining_dmz", "dmz")
    assert judge([make_incident(*ray.at("RU", 30), "mine")], [demo]) == []


# -- weapons in withdrawal zones ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("party", "km", "weapon", "calibre", "zone"),
    [
        ("UA", 30, "artillery", 152.0, "artillery_100mm"),
        ("RU", 30, "artillery", 100.0, "artillery_100mm"),  # the limit itself is barred
        ("UA", 60, "mlrs", None, "mlrs"),
        ("RU", 120, "tactical_missile", None, "heavy_mlrs_tactical_missiles"),
        ("UA", 120, "heavy_mlrs", 300.0, "heavy_mlrs_tactical_missiles"),
    ],
)
def test_weapon_inside_its_withdrawal_zone(
    demo: Agreement, ray: Ray, party: str, km: float, weapon: str, calibre: float | None, zone: str
) -> None:
    inc = make_incident(*ray.at(party, km), "weapon_sighting", weapon=weapon, calibre=calibre)
    (v,) = judge([inc], [demo])
    assert v.rule == "heavy_weapons_in_withdrawal_zone"
    # Only the zone that bars this weapon triggered, though the place lies in the others too.
    assert (v.facts["zone"], v.facts["zones_hit"]) == (zone, [zone])
    assert (v.party, v.facts["party_basis"]) == (party, "side of the line")


@pytest.mark.parametrize(
    ("party", "km", "weapon", "calibre"),
    [
        ("UA", 30, "artillery", 82.0),  # below the 100 mm the artillery zone bars
        ("UA", 30, "artillery", None),  # calibre unknown
        ("UA", 60, "artillery", 152.0),  # past the artillery zone's 50 km
        ("UA", 80, "mlrs", None),  # past the MLRS zone's 70 km
        ("RU", 155, "tactical_missile", None),  # past 140 km
        ("UA", 30, None, None),  # weapon unknown
        ("UA", 30, "unknown", 152.0),
        ("UA", 30, "tank", 125.0),  # a class no zone lists
    ],
)
def test_weapon_not_barred_where_seen(
    demo: Agreement, ray: Ray, party: str, km: float, weapon: str | None, calibre: float | None
) -> None:
    inc = make_incident(*ray.at(party, km), "weapon_sighting", weapon=weapon, calibre=calibre)
    assert judge([inc], [demo]) == []


def test_heavy_weapon_in_the_dmz_breaks_two_rules_in_act_order(demo: Agreement, ray: Ray) -> None:
    inc = make_incident(*ray.at("UA", 5), "weapon_sighting", weapon="artillery", calibre=152.0)
    got = judge([inc], [demo])
    assert rules_of(got) == ["armed_presence_dmz", "heavy_weapons_in_withdrawal_zone"]
    assert [v.facts["zone"] for v in got] == ["dmz", "artillery_100mm"]


def test_withdrawal_measured_from_the_partys_own_line() -> None:
    """RU's zones run from RU's own line (a few km into RU-held ground): a sighting 27 km from
    the reference line but 23 km from RU's line is inside RU's 25 km artillery zone."""
    fixture = load_agreement(AGREEMENTS / "party_lines.yaml")
    # The fixture has no weapon rule of its own: give it the demo's.
    weapons = ProhibitedAct(
        "heavy_weapons_in_withdrawal_zone",
        "Barred weapon.",
        ("weapon_sighting",),
        ("artillery_100mm",),
    )
    own = dataclasses.replace(fixture, prohibited_acts=(*fixture.prohibited_acts, weapons))
    reference_only = dataclasses.replace(own, party_lines={})
    point = (38.34, 48.66)
    by_own = GeoEngine(own).classify([point[0]], [point[1]]).row(0)
    by_ref = GeoEngine(reference_only).classify([point[0]], [point[1]]).row(0)
    assert by_own["party"] == by_ref["party"] == "RU"
    assert by_own["distance_m"] < 24_000 and by_ref["distance_m"] > 26_000
    assert own.zone("artillery_100mm").widths_m["RU"] == 25_000

    inc = make_incident(*point, "weapon_sighting", weapon="artillery", calibre=152.0)
    (v,) = judge([inc], [own])
    assert (v.rule, v.facts["zone"], v.party) == (
        "heavy_weapons_in_withdrawal_zone",
        "artillery_100mm",
        "RU",
    )
    assert v.facts["distance_m"] == pytest.approx(by_own["distance_m"])
    assert v.facts["line_distance_m"] == pytest.approx(by_own["line_distance_m"])
    # (the two engines' projections differ slightly: their lines' bounds differ)
    assert v.facts["line_distance_m"] == pytest.approx(by_ref["distance_m"], abs=1.0)
    assert judge([inc], [reference_only]) == []


# -- the agreement's other prohibited acts -----------------------------------------------------

#: Around the Zaporizhzhia nuclear power plant (Enerhodar), on the RU-held bank.
NPP_BOX = Polygon([(34.50, 47.45), (34.65, 47.45), (34.65, 47.55), (34.50, 47.55)])


@pytest.fixture(scope="module")
def extended(demo: Agreement) -> Agreement:
    """The demo plus a polygon zone, a wider MLRS zone and three acts of its own."""
    zones = (
        *demo.zones,
        Zone("npp_exclusion", "other", polygon=NPP_BOX),
        Zone("mlrs_wide", "withdrawal", {"RU": 100e3, "UA": 100e3}, weapon_classes=("mlrs",)),
    )
    acts = (
        *demo.prohibited_acts,
        ProhibitedAct(
            "movement_near_npp",
            "Military movement near the NPP.",
            ("military_movement",),
            ("npp_exclusion",),
        ),
        ProhibitedAct("explosions", "Any explosion.", ("explosion",)),
        ProhibitedAct(
            "mlrs_anywhere_near", "MLRS near the line.", ("weapon_sighting",), ("mlrs", "mlrs_wide")
        ),
    )
    return dataclasses.replace(demo, version=2, zones=zones, prohibited_acts=acts)


def test_other_prohibited_acts_are_applied(extended: Agreement, ray: Ray) -> None:
    near_npp = make_incident(34.58, 47.50, "military_movement", key="npp")
    away = make_incident(*ray.at("RU", 30), "military_movement", key="away")
    boom = make_incident(*ray.at("UA", 80), "explosion", key="boom")
    got = judge([near_npp, away, boom], [extended])
    # The plant lies ~2 km from the line, so the DMZ rule (earlier in act order) fires too.
    assert [(v.incident_key, v.rule) for v in got] == [
        ("npp", "armed_presence_dmz"),
        ("npp", "movement_near_npp"),
        ("boom", "explosions"),
    ]
    assert got[1].facts["zone"] == "npp_exclusion" and got[1].facts["zones_hit"] == [
        "npp_exclusion"
    ]
    assert "npp_exclusion" in got[1].facts["zones"] and "dmz" in got[1].facts["zones"]
    assert {v.agreement_version for v in got} == {2}


def test_zones_hit_lists_every_triggering_zone(extended: Agreement, ray: Ray) -> None:
    inc = make_incident(*ray.at("UA", 60), "weapon_sighting", weapon="mlrs")
    got = {v.rule: v for v in judge([inc], [extended])}
    assert set(got) == {"heavy_weapons_in_withdrawal_zone", "mlrs_anywhere_near"}
    assert got["mlrs_anywhere_near"].facts["zones_hit"] == ["mlrs", "mlrs_wide"]
    assert got["mlrs_anywhere_near"].facts["zone"] == "mlrs"
    far = make_incident(*ray.at("UA", 85), "weapon_sighting", weapon="mlrs")
    (v,) = judge([far], [extended])
    assert (v.rule, v.facts["zones_hit"]) == ("mlrs_anywhere_near", ["mlrs_wide"])


def test_act_naming_an_unknown_zone_is_an_agreement_error(demo: Agreement, ray: Ray) -> None:
    bad = dataclasses.replace(
        demo, prohibited_acts=(ProhibitedAct("x", "x", ("mine",), ("no_such_zone",)),)
    )
    with pytest.raises(AgreementError, match="no_such_zone"):
        judge_under([make_incident(*ray.at("UA", 5), "mine")], bad)


# -- versions ----------------------------------------------------------------------------------

V2_FROM = datetime(2026, 4, 1, tzinfo=UTC)


@pytest.fixture(scope="module")
def v2(demo: Agreement) -> Agreement:
    """Version 2 from 1 April: artillery pulled back only 25 km, MLRS 100 km."""
    zones = with_zone_widths(demo, artillery_100mm=25, mlrs=100)
    return dataclasses.replace(demo, version=demo.version + 1, effective_from=V2_FROM, zones=zones)


def test_in_force_picks_the_latest_effective_version(demo: Agreement, v2: Agreement) -> None:
    times = [
        BEFORE,
        EFFECTIVE,
        V2_FROM - timedelta(microseconds=1),
        V2_FROM,
        V2_FROM + timedelta(days=9),
    ]
    assert in_force([demo, v2], times).tolist() == [-1, 0, 0, 1, 1]
    assert in_force([v2, demo], times).tolist() == [-1, 1, 1, 0, 0]
    assert in_force([], times).tolist() == [-1] * 5
    # numpy datetimes too, and naive datetimes read as UTC
    as_np = np.array([t.replace(tzinfo=None) for t in times], dtype="datetime64[us]")
    assert in_force([demo, v2], as_np).tolist() == [-1, 0, 0, 1, 1]
    assert in_force([demo, v2], [V2_FROM.replace(tzinfo=None)]).tolist() == [1]


def test_in_force_tie_goes_to_the_higher_version(demo: Agreement) -> None:
    v3 = dataclasses.replace(demo, version=demo.version + 2)
    assert in_force([v3, demo], [AFTER]).tolist() == [0]
    assert in_force([demo, v3], [AFTER]).tolist() == [1]


def test_each_incident_judged_under_the_version_in_force(
    demo: Agreement, v2: Agreement, ray: Ray
) -> None:
    art, mlrs = ray.at("UA", 30), ray.at("UA", 80)
    incidents = [
        make_incident(*art, "weapon_sighting", weapon="artillery", calibre=152.0, key="art-march"),
        make_incident(*mlrs, "weapon_sighting", weapon="mlrs", key="mlrs-march"),
        make_incident(
            *art,
            "weapon_sighting",
            weapon="artillery",
            calibre=152.0,
            when=V2_FROM,
            key="art-april",
        ),
        make_incident(*mlrs, "weapon_sighting", weapon="mlrs", when=V2_FROM, key="mlrs-april"),
        make_incident(
            *art, "weapon_sighting", weapon="artillery", calibre=152.0, when=BEFORE, key="art-feb"
        ),
    ]
    got = judge(incidents, [v2, demo])
    # March under the demo version (artillery 50 km), April under v2 (MLRS 100 km); February under none.
    assert [(v.incident_key, v.agreement_version, v.facts["zone"]) for v in got] == [
        ("art-march", demo.version, "artillery_100mm"),
        ("mlrs-april", v2.version, "mlrs"),
    ]
    # Re-judging the whole history under v2 gives v2's answer for every incident.
    again = judge_under(incidents, v2)
    assert [(v.incident_key, v.agreement_version) for v in again] == [
        ("mlrs-march", v2.version),
        ("mlrs-april", v2.version),
    ]
    assert all(v.facts["zone"] == "mlrs" for v in again)


def test_output_keeps_incident_order_across_versions(
    demo: Agreement, v2: Agreement, ray: Ray
) -> None:
    point = ray.at("UA", 5)
    times = [V2_FROM, AFTER, V2_FROM + timedelta(hours=1), AFTER + timedelta(hours=1)]
    incidents = [
        make_incident(*point, "shelling", when=t, key=f"k{i}") for i, t in enumerate(times)
    ]
    got = judge(incidents, [demo, v2])
    assert [(v.incident_key, v.agreement_version) for v in got] == [
        ("k0", v2.version),
        ("k1", demo.version),
        ("k2", v2.version),
        ("k3", demo.version),
    ]


def test_output_is_by_incident_then_act(demo: Agreement, ray: Ray) -> None:
    """Incident order first, even where a later incident breaks an earlier act."""
    point = ray.at("UA", 5)
    incidents = [
        make_incident(*point, "mine", key="a"),
        make_incident(*point, "weapon_sighting", weapon="mlrs", key="b"),
        make_incident(*point, "shelling", key="c"),
    ]
    want = [
        ("a", "mining_dmz"),
        ("b", "armed_presence_dmz"),
        ("b", "heavy_weapons_in_withdrawal_zone"),
        ("c", "fire"),
    ]
    for got in (judge(incidents, [demo]), judge_under(incidents, demo)):
        assert [(v.incident_key, v.rule) for v in got] == want


# -- who is held responsible -------------------------------------------------------------------


def test_assessed_perpetrator_overrides_claims_and_side(demo: Agreement, ray: Ray) -> None:
    fire = make_incident(*ray.at("UA", 5), "shelling", claims={"RU": 3}, key="fire")
    presence = make_incident(*ray.at("UA", 5), "armed_presence", key="presence")
    plain = make_incident(*ray.at("UA", 5), "shelling", claims={"RU": 3}, key="plain")
    got = judge([fire, presence, plain], [demo], assessed={"fire": "UA", "presence": "RU"})
    assert [(v.incident_key, v.party, v.facts["party_basis"]) for v in got] == [
        ("fire", "UA", "assessed"),
        ("presence", "RU", "assessed"),
        ("plain", "RU", "claims agree"),
    ]


def test_disagreeing_claims_name_no_party(demo: Agreement, ray: Ray) -> None:
    disputed = make_incident(*ray.at("UA", 5), "shelling", claims={"RU": 2, "UA": 1})
    unclaimed = make_incident(*ray.at("UA", 5), "shelling", key="inc-2")
    got = judge([disputed, unclaimed], [demo])
    assert [(v.party, v.facts["party_basis"]) for v in got] == [(None, None), (None, None)]


def test_fire_inside_a_zone_act_is_charged_by_claims(demo: Agreement, ray: Ray) -> None:
    """A strike into the DMZ does not make the side it landed on the culprit."""
    agreement = dataclasses.replace(
        demo,
        prohibited_acts=(
            ProhibitedAct("dmz_strike", "Strikes into the DMZ.", ("drone_strike",), ("dmz",)),
        ),
    )
    inc = make_incident(*ray.at("UA", 5), "drone_strike", claims={"RU": 1})
    (v,) = judge([inc], [agreement])
    assert (v.party, v.facts["party_basis"], v.facts["party"]) == ("RU", "claims agree", "UA")


def test_a_party_s_claims_alone_hold_no_one_responsible(demo: Agreement, ray: Ray) -> None:
    """UA's complaints that RU shelled UA's side name RU only with more than UA's word."""
    at = ray.at("UA", 5)
    cases = {
        # UA alone, however many of its reports say it (fusion counts a source once).
        "ua alone": ({"RU": 1}, ["UA/party"], None),
        # A news outlet says so too: more than the accuser.
        "ua and a news outlet": ({"RU": 2}, ["UA/party", "osint/Kyiv Independent"], "RU"),
        # The mission's own sensor recorded the event: mission evidence.
        "ua and the mission": ({"RU": 1}, ["UA/party", "mission/sensor"], "RU"),
        # A news outlet that names no one adds nothing to UA's claim.
        "ua and a silent outlet": ({"RU": 1}, ["UA/party", "osint/Kyiv Independent"], None),
        # Both parties accuse each other: no agreement, no one.
        "both parties": ({"RU": 1, "UA": 1}, ["RU/party", "UA/party", "mission/patrol"], None),
    }
    incidents = [
        make_incident(*at, "shelling", claims=claims, sources=sources, key=name)
        for name, (claims, sources, _) in cases.items()
    ]
    got = {v.incident_key: v.party for v in judge(incidents, [demo])}
    assert got == {name: party for name, (_, _, party) in cases.items()}
    # The violation stands, unattributed, for a monitor to assess.
    assert rules_of(judge(incidents[:1], [demo])) == ["fire"]


def test_presence_on_the_adversary_s_word_alone_names_no_one(demo: Agreement, ray: Ray) -> None:
    """Armed presence in the DMZ on RU's side: RU's, unless only UA says it was there."""
    at = ray.at("RU", 5)
    cases = {
        "ua alone": (["UA/party"], None),
        "the mission": (["mission/patrol"], "RU"),
        "ua and the mission": (["UA/party", "mission/uav"], "RU"),
        "ua and a news outlet": (["UA/party", "osint/Ukrainska Pravda"], "RU"),
        "ru itself": (["RU/party"], "RU"),
    }
    incidents = [
        make_incident(*at, "armed_presence", sources=sources, key=name)
        for name, (sources, _) in cases.items()
    ]
    got = {v.incident_key: v.party for v in judge(incidents, [demo])}
    assert got == {name: party for name, (_, party) in cases.items()}


# -- edges and consistency ---------------------------------------------------------------------


def test_nothing_to_judge(demo: Agreement, ray: Ray) -> None:
    assert judge([], [demo]) == []
    assert judge([make_incident(*ray.at("UA", 5), "shelling")], []) == []
    assert judge_under([], demo) == []
    assert judge_under([make_incident(*ray.at("UA", 5), "infrastructure_damage")], demo) == []


EVENT_TYPES = (
    "shelling",
    "explosion",
    "armed_presence",
    "weapon_sighting",
    "drone_overflight",
    "mine",
    "infrastructure_damage",
)
WEAPONS = (None, "artillery", "mlrs", "heavy_mlrs", "tactical_missile", "tank", "unknown")


def random_incidents(n: int, seed: int) -> list[Incident]:
    rng = np.random.default_rng(seed)
    lon = rng.uniform(33.0, 39.5, n)
    lat = rng.uniform(46.0, 50.5, n)
    kinds = rng.integers(0, len(EVENT_TYPES), n)
    weapons = rng.integers(0, len(WEAPONS), n)
    calibre = rng.choice([np.nan, 82.0, 100.0, 122.0, 152.0], n)
    hours = rng.integers(-24 * 30, 24 * 60, n)
    claims = [{}, {"RU": 1}, {"UA": 2}, {"RU": 1, "UA": 1}]
    pick = rng.integers(0, len(claims), n)
    return [
        make_incident(
            float(lon[i]),
            float(lat[i]),
            EVENT_TYPES[kinds[i]],
            when=EFFECTIVE + timedelta(hours=int(hours[i])),
            weapon=WEAPONS[weapons[i]],
            calibre=None if np.isnan(calibre[i]) else float(calibre[i]),
            claims=claims[pick[i]],
            key=f"inc-{i}",
            reports=[f"r-{i}-a", f"r-{i}-b"],
        )
        for i in range(n)
    ]


def test_bulk_judgement_equals_one_at_a_time(demo: Agreement, v2: Agreement) -> None:
    incidents = random_incidents(5_000, seed=7)
    agreements = [demo, v2]
    assessed = {f"inc-{i}": "UA" for i in range(0, 5_000, 97)}
    bulk = judge(incidents, agreements, assessed=assessed)
    alone = list(
        itertools.chain.from_iterable(
            judge([inc], agreements, assessed=assessed) for inc in incidents
        )
    )
    # The sample must exercise every rule and both versions, or the comparison proves little.
    assert {v.rule for v in bulk} == {a.code for a in demo.prohibited_acts}
    assert {v.agreement_version for v in bulk} == {demo.version, v2.version}
    assert len(bulk) == len(alone)
    for got, want in zip(bulk, alone, strict=True):
        g, w = got.to_dict(), want.to_dict()
        # Distances may differ in the last bits between a batch and a single point.
        for name in ("distance_m", "line_distance_m"):
            assert g["facts"].pop(name) == pytest.approx(w["facts"].pop(name), abs=1e-6)
        assert g == w
