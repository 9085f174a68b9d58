"""Tests of :mod:`ceasefire.sim`: determinism, validity, truth links, error statistics, scale.

Geometry checks recompute distances and sides here (tmerc + shapely), independently of the
module, so a bug in the simulator's own placement cannot hide itself.
"""

from __future__ import annotations

import dataclasses
import json
import math
import time
from collections import Counter
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import shapely
from pyproj import Geod, Transformer
from shapely.geometry import LineString, Point, shape

import ceasefire
from ceasefire.agreement.load import demo_agreement_path, load_agreement
from ceasefire.agreement.model import Agreement
from ceasefire.errors import InputError
from ceasefire.intake.validation import validate_report
from ceasefire.sim import (
    CITIES,
    DMZ_KM,
    MONITOR_SIGMA_M,
    SENSOR_MEDIAN_ERROR_M,
    WITHDRAWAL_KM,
    SimConfig,
    Simulation,
    simulate,
    write_simulation,
)
from ceasefire.vocab import EVENT_TYPES, PRECISIONS, SOURCE_KINDS, WEAPON_CLASSES

DEMO_LINE = Path(ceasefire.__file__).parent / "data" / "demo" / "line_of_contact.geojson"
GEOD = Geod(ellps="WGS84")
TMERC = "+proj=tmerc +lat_0=48 +lon_0=35 +k=1 +x_0=0 +y_0=0 +ellps=WGS84 +units=m"
TO_M = Transformer.from_crs("EPSG:4326", TMERC, always_xy=True)

REPORT_FIELDS = [
    "id",
    "submitted_by",
    "source_kind",
    "source_name",
    "observed_from",
    "observed_to",
    "time_precision",
    "lon",
    "lat",
    "uncertainty_m",
    "place_precision",
    "event_type",
    "weapon_class",
    "weapon_model",
    "calibre_mm",
    "count",
    "claimed_perpetrator",
    "killed",
    "injured",
    "civilians_killed",
    "civilians_injured",
    "infrastructure",
    "people_affected",
    "outage_from",
    "utilities",
    "notes",
]
NULLABLE_INTS = (
    "calibre_mm",
    "count",
    "killed",
    "injured",
    "civilians_killed",
    "civilians_injured",
)


@cache
def _demo() -> Agreement:
    return load_agreement(demo_agreement_path())


def _with_zones(agreement: Agreement, **widths_km: dict[str, float]) -> Agreement:
    """``agreement`` with the named zones' widths (km per party) replaced."""
    zones = tuple(
        dataclasses.replace(z, widths_m={p: km * 1000 for p, km in widths_km[z.name].items()})
        if z.name in widths_km
        else z
        for z in agreement.zones
    )
    return dataclasses.replace(agreement, zones=zones)


def _barred_km(agreement: Agreement, e: dict[str, Any]) -> float:
    """How far from the line the agreement bars the event's weapon on its owner's side (km)."""
    return max(
        (
            z.widths_m.get(e["side"], 0.0) / 1000
            for z in agreement.zones
            if z.kind == "withdrawal"
            and e["weapon_class"] in z.weapon_classes
            and (z.min_calibre_mm is None or (e["calibre_mm"] or 0) >= z.min_calibre_mm)
        ),
        default=0.0,
    )


def _dmz_km(agreement: Agreement, side: str) -> float:
    return next(z.widths_m[side] / 1000 for z in agreement.zones if z.kind == "dmz")


def _distance_km(e: dict[str, Any]) -> float:
    return float(_line_m().distance(_metres(e["lon"], e["lat"]))) / 1000


def _demo_line_lonlat() -> LineString:
    geom = shape(json.loads(DEMO_LINE.read_text())["features"][0]["geometry"])
    assert isinstance(geom, LineString)
    return geom


@cache
def _line_m() -> LineString:
    lon, lat = np.asarray(_demo_line_lonlat().coords).T
    return LineString(np.column_stack(TO_M.transform(lon, lat)))


@cache
def _sides() -> dict[str, Any]:
    """Each party's side as a one-sided buffer of the line (shapely: positive = left = RU).

    The line is first extended 150 km straight on at both ends so that the buffers' flat end
    caps do not cut off points that lie beside the line near its ends.
    """
    xy = np.asarray(_line_m().coords)
    head = xy[0] + (xy[0] - xy[1]) / np.hypot(*(xy[0] - xy[1])) * 150_000
    tail = xy[-1] + (xy[-1] - xy[-2]) / np.hypot(*(xy[-1] - xy[-2])) * 150_000
    longer = LineString(np.vstack([head, xy, tail]))
    return {
        "RU": longer.buffer(200_000.0, single_sided=True),
        "UA": longer.buffer(-200_000.0, single_sided=True),
    }


def _metres(lon: float, lat: float) -> Point:
    return Point(*TO_M.transform(lon, lat))


@cache
def _night(seed: int = 7, noise: float = 1.0, n_events: int | None = None) -> Simulation:
    return simulate(SimConfig(seed=seed, noise=noise, n_events=n_events))


def _events(sim: Simulation) -> dict[str, dict[str, Any]]:
    return {e["id"]: e for e in sim.events}


def _pairs(sim: Simulation, kind: str) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    """(report, true event) for every report of a source kind that has a true event."""
    events = _events(sim)
    return [
        (r, events[link["event_id"]])
        for r, link in zip(sim.reports, sim.links, strict=True)
        if r["source_kind"] == kind and link["event_id"] is not None
    ]


def _error_m(r: dict[str, Any], e: dict[str, Any]) -> float:
    return float(GEOD.inv(r["lon"], r["lat"], e["lon"], e["lat"])[2])


def _t(s: str) -> float:
    return datetime.fromisoformat(s).timestamp()


# --- determinism ---------------------------------------------------------------------------


def test_the_same_seed_gives_byte_identical_files(tmp_path: Path) -> None:
    outs = []
    for run in ("a", "b", "c"):
        seed = 8 if run == "c" else 7
        r, t = tmp_path / f"{run}.jsonl", tmp_path / f"{run}-truth.jsonl"
        write_simulation(SimConfig(seed=seed), r, t)
        outs.append((r.read_bytes(), t.read_bytes()))
    assert outs[0] == outs[1]
    assert outs[0][0] != outs[2][0] and outs[0][1] != outs[2][1]


def test_the_default_night_has_the_realistic_mix() -> None:
    sim = _night()
    types = Counter(e["event_type"] for e in sim.events)
    assert types["shelling"] == 300
    assert types["drone_strike"] + types["missile_strike"] == 40
    assert types["weapon_sighting"] == 20
    assert types["armed_presence"] + types["military_movement"] == 10
    assert types["drone_overflight"] == 30
    assert sim.stats.events == 400 and sim.stats.false_claims == 8
    assert set(sim.stats.by_source) == {"patrol", "uav", "camera", "party", "sensor", "osint"}
    assert 1000 < sim.stats.reports < 3000  # a night, not a benchmark


# --- validity --------------------------------------------------------------------------------


def test_every_report_is_valid() -> None:
    sim = _night()
    ids = [r["id"] for r in sim.reports]
    assert len(set(ids)) == len(ids) and all(i.startswith("sim-7-") for i in ids)
    for r in sim.reports:
        assert list(r) == REPORT_FIELDS
        assert r["source_kind"] in SOURCE_KINDS
        assert r["submitted_by"] in ("mission", "RU", "UA")
        assert (r["submitted_by"] != "mission") == (r["source_kind"] == "party")
        assert r["event_type"] in EVENT_TYPES
        assert r["weapon_class"] is None or r["weapon_class"] in WEAPON_CLASSES
        assert r["weapon_model"] is None or r["weapon_class"] is not None
        assert r["claimed_perpetrator"] in ("RU", "UA", None)
        assert r["place_precision"] in PRECISIONS and r["time_precision"] in PRECISIONS
        assert 22 < r["lon"] < 45 and 44 < r["lat"] < 53  # the theatre
        assert math.isfinite(r["lon"]) and math.isfinite(r["lat"])
        assert isinstance(r["uncertainty_m"], int) and r["uncertainty_m"] > 0
        for k in NULLABLE_INTS:
            assert r[k] is None or (isinstance(r[k], int) and r[k] >= 0), (k, r)
        if r["civilians_killed"] is not None:
            assert r["civilians_killed"] <= r["killed"]
            assert r["civilians_injured"] <= r["injured"]
        t0, t1 = (
            datetime.fromisoformat(r["observed_from"]),
            datetime.fromisoformat(r["observed_to"]),
        )
        assert t0.utcoffset() is not None and r["observed_from"].endswith("+00:00")
        assert t1 >= t0
        assert r["notes"].endswith(".") and 10 < len(r["notes"]) < 200


def test_strikes_hit_infrastructure_and_leave_people_without_supply() -> None:
    """Some strikes hit something; of those that cut energy, heating or water, parties state
    how many are without it, news a range around it, and every such report is valid."""
    sim = _night()
    harmed = [r for r in sim.reports if r["infrastructure"] is not None]
    assert harmed and all(r["event_type"].endswith("_strike") or r["event_type"] == "explosion"
                          for r in harmed)  # fmt: skip
    counted = [r for r in harmed if r["people_affected"] is not None]
    assert {r["source_kind"] for r in counted} == {"party", "osint"}
    assert any(isinstance(r["people_affected"], dict) for r in counted)  # news: a range
    for r in counted:
        assert r["infrastructure"] in ("energy", "heating", "water") and r["utilities"]
        report = validate_report(r, now=datetime(2026, 3, 12, tzinfo=UTC))
        assert report.people_affected is not None and report.outage_from is not None
    assert not any(r["infrastructure"] for r in sim.reports if r["source_kind"] == "sensor")


def test_every_report_is_linked_to_a_true_event_or_marked_false() -> None:
    sim = _night()
    events = _events(sim)
    assert [link["report_id"] for link in sim.links] == [r["id"] for r in sim.reports]
    for r, link in zip(sim.reports, sim.links, strict=True):
        if link["event_id"] is None:  # only parties make things up
            assert link["fidelity"] == "false" and r["source_kind"] == "party"
        else:
            assert link["event_id"] in events and link["fidelity"] in ("faithful", "exaggerated")
    # Most events are reported; a false claim is a party's claim against the other party.
    seen = {link["event_id"] for link in sim.links}
    assert len(seen & set(events)) > 0.8 * len(events)


# --- per-source behaviour and error statistics ---------------------------------------------


@pytest.mark.parametrize("noise", [0.5, 1.0, 2.0])
def test_sensor_location_error_follows_the_noise(noise: float) -> None:
    pairs = _pairs(_night(noise=noise, n_events=2000), "sensor")
    assert len(pairs) > 2000  # sensors pick up several detections per event
    errors = np.array([_error_m(r, e) for r, e in pairs])
    assert np.median(errors) == pytest.approx(SENSOR_MEDIAN_ERROR_M * noise, rel=0.1)
    assert np.percentile(errors, 5) > 100 * noise and np.percentile(errors, 95) < 4000 * noise
    # Sensor times are seconds off, inside the episode.
    for r, e in pairs[:2000]:
        dt = _t(r["observed_from"]) - _t(e["time"])
        assert -8 * noise - 1 <= dt <= e["duration_s"] + 8 * noise + 1
        assert _t(r["observed_to"]) - _t(r["observed_from"]) <= 3


def test_monitors_are_accurate_and_few() -> None:
    sim = _night(n_events=2000)
    for kind in ("uav", "camera", "patrol"):
        pairs = _pairs(sim, kind)
        errors = np.array([_error_m(r, e) for r, e in pairs])
        rayleigh_median = MONITOR_SIGMA_M[kind] * math.sqrt(2 * math.log(2))
        assert np.median(errors) == pytest.approx(rayleigh_median, rel=0.25), kind
        late = [abs(_t(r["observed_from"]) - _t(e["time"])) for r, e in pairs]
        assert np.median(late) < 180, kind  # minutes at most
    monitors = sum(sim.stats.by_source.get(k, 0) for k in ("uav", "camera", "patrol"))
    assert monitors < 0.15 * sim.stats.reports


def test_parties_report_what_hits_them_coarsely() -> None:
    sim = _night(n_events=2000)
    pairs = _pairs(sim, "party")
    assert pairs
    for r, e in pairs:
        assert r["submitted_by"] != e["perpetrator"]  # nobody reports its own fire
        assert r["claimed_perpetrator"] == e["perpetrator"]
        assert r["place_precision"] in ("near", "region") and r["uncertainty_m"] >= 5000
        assert _error_m(r, e) < r["uncertainty_m"] + 40_000
        assert abs(_t(r["observed_from"]) - _t(e["time"])) < 3 * 3600
    links = {link["report_id"]: link for link in sim.links}
    exaggerated = [(r, e) for r, e in pairs if links[r["id"]]["fidelity"] == "exaggerated"]
    assert 0.15 * len(pairs) < len(exaggerated) < 0.45 * len(pairs)
    assert all(r["count"] >= e["count"] for r, e in exaggerated)
    assert any(r["count"] > e["count"] for r, e in exaggerated)
    faithful = [(r, e) for r, e in pairs if links[r["id"]]["fidelity"] == "faithful"]
    assert all(r["count"] == e["count"] for r, e in faithful)


def test_news_is_late_and_regional() -> None:
    pairs = _pairs(_night(n_events=2000), "osint")
    assert pairs
    for r, e in pairs:
        # A strike's news names the city struck (town-level); other news only the oblast.
        city = e["event_type"].endswith("_strike")
        assert r["place_precision"] == ("near" if city else "region")
        assert r["time_precision"] == "region"
        assert r["uncertainty_m"] >= 30_000
        assert _t(r["observed_to"]) >= _t(e["time"]) + 3600  # the window closes hours later
    strikes = [r for r, e in pairs if e["event_type"].endswith("_strike")]
    assert strikes and all(r["notes"].count(" reported in ") == 1 for r in strikes)


def test_noise_zero_puts_monitors_on_the_event() -> None:
    for r, e in _pairs(_night(noise=0.0), "uav"):
        assert _error_m(r, e) < 2.0
        assert r["observed_from"] == e["time"]


# --- geometry of the true events -------------------------------------------------------------


def _check_side(e: dict[str, Any], side: str) -> None:
    assert _sides()[side].contains(_metres(e["lon"], e["lat"])), e


def test_shelling_lands_near_the_line_across_from_the_gun() -> None:
    shelling = [e for e in _night().events if e["event_type"] == "shelling"]
    for e in shelling:
        d = _line_m().distance(_metres(e["lon"], e["lat"])) / 1000
        assert d <= 12.01 and d == pytest.approx(e["distance_km"], abs=0.01)
        assert e["side"] != e["perpetrator"]
        _check_side(e, e["side"])
    assert np.median([e["distance_km"] for e in shelling]) < 5


def test_the_reference_widths_are_the_demo_agreements() -> None:
    demo = _demo()
    assert {s: _dmz_km(demo, s) for s in ("RU", "UA")} == {"RU": DMZ_KM, "UA": DMZ_KM}
    for z in demo.zones:
        if z.kind == "withdrawal":
            for c in z.weapon_classes:
                assert z.widths_m == {"RU": WITHDRAWAL_KM[c] * 1000, "UA": WITHDRAWAL_KM[c] * 1000}


def test_weapon_sightings_lie_inside_their_withdrawal_zone() -> None:
    sightings = [e for e in _night(n_events=2000).events if e["event_type"] == "weapon_sighting"]
    assert len(sightings) >= 90
    for e in sightings:
        assert _distance_km(e) < _barred_km(_demo(), e)  # 0 where nothing bars the weapon
        if e["weapon_class"] == "artillery":
            assert e["calibre_mm"] >= 100
        assert e["side"] == e["perpetrator"]  # their own weapons, on their own side
        _check_side(e, e["side"])
    barred = {c for z in _demo().zones if z.kind == "withdrawal" for c in z.weapon_classes}
    assert {e["weapon_class"] for e in sightings} == barred == set(WITHDRAWAL_KM)
    assert {e["side"] for e in sightings} == {"RU", "UA"}


def test_dmz_incursions_and_overflights_stay_near_the_line() -> None:
    events = _night(n_events=2000).events
    for e in events:
        d = _line_m().distance(_metres(e["lon"], e["lat"])) / 1000
        if e["event_type"] in ("armed_presence", "military_movement"):
            assert d < _dmz_km(_demo(), e["side"]) == DMZ_KM
            _check_side(e, e["side"])
        elif e["event_type"] == "drone_overflight":
            assert d < 40 and e["side"] != e["perpetrator"]


def test_a_custom_agreement_moves_sightings_and_incursions() -> None:
    # Narrower zones, different per side, and artillery barred only from 130 mm up.
    custom = _with_zones(
        _demo(),
        dmz={"RU": 5, "UA": 8},
        artillery_100mm={"RU": 10, "UA": 20},
        mlrs={"RU": 12, "UA": 12},
    )
    zones = tuple(
        dataclasses.replace(z, min_calibre_mm=130.0) if z.name == "artillery_100mm" else z
        for z in custom.zones
    )
    custom = dataclasses.replace(custom, zones=zones)
    config = SimConfig(n_events=2000)
    events = simulate(config, agreement=custom).events
    sightings = [e for e in events if e["event_type"] == "weapon_sighting"]
    incursions = [e for e in events if e["event_type"] in ("armed_presence", "military_movement")]
    assert len(sightings) >= 90 and len(incursions) >= 40
    for e in sightings:
        assert _distance_km(e) < _barred_km(custom, e)
        assert e["side"] == e["perpetrator"]
        _check_side(e, e["side"])
        if e["weapon_class"] == "artillery":
            assert e["calibre_mm"] >= 130  # a D-30 (122 mm) is no longer barred
    for e in incursions:
        assert _distance_km(e) < _dmz_km(custom, e["side"])
        _check_side(e, e["side"])
    artillery = [e for e in sightings if e["weapon_class"] == "artillery"]
    assert {e["side"] for e in artillery} == {"RU", "UA"}
    assert max(_distance_km(e) for e in artillery if e["side"] == "UA") > 10  # UA's 20 km
    # The demo agreement's wider zones put the same night's events further out.
    demo = [e for e in _night(n_events=2000).events if e["event_type"] == "armed_presence"]
    assert max(_distance_km(e) for e in demo) > 8 > max(_distance_km(e) for e in incursions)
    # Deterministic for the same seed and agreement; the default is the demo agreement.
    assert simulate(config, agreement=custom).reports == simulate(config, agreement=custom).reports
    assert simulate(config, agreement=_demo()).reports == _night(n_events=2000).reports


def test_an_agreement_the_simulator_cannot_play_out_is_refused(tmp_path: Path) -> None:
    demo = _demo()
    no_dmz = dataclasses.replace(demo, zones=tuple(z for z in demo.zones if z.kind != "dmz"))
    no_withdrawal = dataclasses.replace(
        demo, zones=tuple(z for z in demo.zones if z.kind != "withdrawal")
    )
    swapped = dataclasses.replace(demo, left_party="UA", right_party="RU")
    for bad in (no_dmz, no_withdrawal, swapped):
        with pytest.raises(InputError):
            simulate(SimConfig(n_events=20), agreement=bad)
        with pytest.raises(InputError):  # refused before any file is opened
            write_simulation(SimConfig(n_events=20), tmp_path / "r", tmp_path / "t", agreement=bad)
        assert not list(tmp_path.iterdir())


def test_deep_strikes_hit_named_cities_of_the_other_side() -> None:
    holder = {c[0]: c[2] for c in CITIES}
    strikes = [e for e in _night().events if e["event_type"] in ("drone_strike", "missile_strike")]
    assert len({e["place"] for e in strikes}) >= 8
    for e in strikes:
        assert e["place"] in holder and holder[e["place"]] != e["perpetrator"]
        assert e["weapon_model"] is not None and e["killed"] is not None


# --- scale and the two output paths ----------------------------------------------------------


def _read(path: Path) -> list[dict[str, Any]]:
    with path.open(encoding="utf-8") as f:
        return [json.loads(line) for line in f]


def _split_truth(rows: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    events = [{k: v for k, v in r.items() if k != "record"} for r in rows if r["record"] == "event"]
    links = [{k: v for k, v in r.items() if k != "record"} for r in rows if r["record"] == "link"]
    return events, links


def test_the_writer_writes_what_simulate_returns(tmp_path: Path) -> None:
    config = SimConfig(seed=3, hours=6)
    sim = simulate(config)
    write_simulation(config, tmp_path / "r.jsonl", tmp_path / "t.jsonl")
    assert _read(tmp_path / "r.jsonl") == sim.reports
    assert _split_truth(_read(tmp_path / "t.jsonl")) == (sim.events, sim.links)


@pytest.mark.slow
def test_200k_reports_in_chunks_match_memory_and_the_target(tmp_path: Path) -> None:
    config = SimConfig(seed=11, n_reports=200_000)
    started = time.perf_counter()
    stats = write_simulation(config, tmp_path / "r.jsonl", tmp_path / "t.jsonl")
    seconds = time.perf_counter() - started
    assert stats.reports == pytest.approx(200_000, rel=0.03)
    assert stats.events > 20_000  # more than one chunk
    assert stats.reports / seconds > 10_000  # a loose floor; about 50k/s measured on 2 cores
    reports = _read(tmp_path / "r.jsonl")
    events, links = _split_truth(_read(tmp_path / "t.jsonl"))
    assert len(reports) == stats.reports == len(links) and len(events) == stats.events
    assert len({r["id"] for r in reports}) == len(reports)
    assert len({e["id"] for e in events}) == len(events)
    sim = simulate(config)
    assert reports == sim.reports
    assert (events, links) == (sim.events, sim.links)


def test_an_explicit_line_is_used() -> None:
    config = SimConfig(n_events=50)
    assert simulate(config, _demo_line_lonlat()).reports == simulate(config).reports
    # A short line of its own (Zaporizhzhia front): every shelling lands within 12 km of it.
    line = LineString([(36.3, 47.7), (35.8, 47.55), (35.3, 47.5)])
    lon, lat = np.asarray(line.coords).T
    line_m = LineString(np.column_stack(TO_M.transform(lon, lat)))
    for e in simulate(config, line).events:
        if e["event_type"] == "shelling":
            assert line_m.distance(_metres(e["lon"], e["lat"])) < 12_010


@pytest.mark.parametrize(
    "change",
    [
        {"hours": 0},
        {"noise": -1},
        {"n_reports": -5},
        {"n_events": 10, "n_reports": 10},
        {"start": datetime(2026, 3, 10, 18)},
    ],
)
def test_bad_configs_are_refused(change: dict[str, Any]) -> None:
    with pytest.raises(InputError):
        SimConfig(**change)


def test_stats_summarise_for_the_cli(tmp_path: Path) -> None:
    stats = write_simulation(SimConfig(n_events=20), tmp_path / "r.jsonl", tmp_path / "t.jsonl")
    d = stats.to_dict()
    assert d["reports"] == stats.reports and d["events"] == 20
    assert json.dumps(d) and "reports of 20 events" in stats.summary()
    assert not list(tmp_path.glob("*.part"))  # replaced in place when done
    assert shapely.is_valid(_line_m())
