"""The community data set's importer: one tally per attack, the model table, and its traps
(rows edited in place, a row unique only with its source, missing values, a drifting header)."""

from __future__ import annotations

import csv
from datetime import UTC, datetime
from pathlib import Path

import pytest

from ceasefire.counts import Count
from ceasefire.errors import InputError
from ceasefire.tallies.community import (
    chain_versions,
    missing_series,
    model_class,
    read_community_csv,
)
from ceasefire.tallies.files import read_tally_file, write_tallies

FIXTURE = Path(__file__).parents[1] / "data" / "community_missile_attacks_daily.csv"
NIGHT = "ua-af:2025-02-16T18:00/2025-02-17T08:30"


def rows() -> list[dict[str, str]]:
    with FIXTURE.open(newline="") as handle:
        return list(csv.DictReader(handle))


def write(path: Path, data: list[dict[str, str]], columns: list[str] | None = None) -> Path:
    columns = columns or list(data[0])
    with path.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, columns, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(data)
    return path


def test_rows_of_one_attack_become_one_tally_in_kyiv_time():
    imported = read_community_csv(FIXTURE)
    assert imported.rows == 12 and len(imported.tallies) == 4
    night = next(t for t in imported.tallies if t.source == "af-post-0217")
    assert night.issuer == "UA" and night.attacker == "RU"
    assert night.window_from == datetime(2025, 2, 16, 16, 0, tzinfo=UTC)  # EET, UTC+2
    assert night.window_from.utcoffset() is not None
    assert [ln.label for ln in night.lines] == [
        "Shahed-136/131",
        "Shahed-136/131 (turbojet)",
        "X-101/X-555",
        "Iskander-M/KN-23",
        "Kinzhal",
    ]
    shahed = night.line("Shahed-136/131")
    assert (shahed.weapon_class, shahed.launched, shahed.destroyed, shahed.lost) == (
        "strike_drone",
        Count.exact(160),
        Count.exact(120),
        Count.exact(30),
    )
    jet = night.line("Shahed-136/131 (turbojet)")
    assert jet.part_of == "Shahed-136/131" and jet.launched == Count.exact(12)
    assert night.total("launched") == Count.exact(160 + 18 + 6 + 2)  # the jets are not added
    assert night.regions == ("Odesa oblast", "Kyiv oblast")
    assert night.launch_areas == ("Kursk oblast", "Primorsko-Akhtarsk", "Saratov oblast")
    assert night.carriers == ("Tu-95MS", "MiG-31K")
    assert night.extra["columns"]["Shahed-136/131"] == {"target": "Ukraine", "is_shahed": "1.0"}


def test_locations_over_rows_are_the_interval_from_the_largest_to_the_sum():
    night = next(t for t in read_community_csv(FIXTURE).tallies if t.source == "af-post-0217")
    assert night.locations_hit == Count(8, 8 + 3 + 4)  # rows may or may not count one place
    assert night.locations_debris == Count.exact(5)


def test_a_row_unique_only_with_its_source_is_a_tally_of_its_own():
    same_window = [t for t in read_community_csv(FIXTURE).tallies if t.id.startswith(NIGHT)]
    assert sorted(t.source for t in same_window) == ["af-post-0217", "af-west-0217"]
    assert len({t.extra["series"] for t in same_window}) == 2
    west = next(t for t in same_window if t.source == "af-west-0217")
    assert west.total("launched") == Count.exact(40)


def test_an_empty_cell_is_not_published_never_zero():
    tallies = {t.source: t for t in read_community_csv(FIXTURE).tallies}
    march = tallies["af-post-0302"]
    assert march.line("C-300").launched == Count.exact(3)
    assert march.line("C-300").destroyed is None
    assert march.locations_hit is None and march.regions == ()
    assert tallies["af-post-0310"].line("Gerbera").destroyed is None


def test_a_date_alone_is_the_whole_day_and_a_spreadsheet_number_is_whole():
    day = next(t for t in read_community_csv(FIXTURE).tallies if t.source == "af-post-0310")
    assert (day.window_from.isoformat(), day.window_to.isoformat()) == (
        "2025-03-10T00:00:00+02:00",
        "2025-03-11T00:00:00+02:00",
    )
    assert day.line("Shahed-136/131").launched == Count.exact(173)  # written "173.0"


def test_an_unknown_model_is_other_and_the_report_says_so():
    imported = read_community_csv(FIXTURE)
    march = next(t for t in imported.tallies if t.source == "af-post-0302")
    assert march.line("Orlan-10").weapon_class == "other"
    assert imported.unmapped == {"Orlan-10": 1}
    assert any("Orlan-10" in line and "other" in line for line in imported.report())


@pytest.mark.parametrize(
    ("model", "wclass"),
    [
        ("Shahed-136/131", "strike_drone"),
        ("Geran-2", "strike_drone"),
        ("Gerbera", "decoy_drone"),
        ("Parodiya", "decoy_drone"),
        ("Shahed-136/131, Gerbera", "drone"),
        ("Shahed-136/131 and decoys", "drone"),
        ("X-101/X-555", "cruise_missile"),
        ("Kh-101", "cruise_missile"),
        ("Kalibr", "cruise_missile"),
        ("Х-55", "cruise_missile"),  # Cyrillic kha
        ("Iskander-M/KN-23", "ballistic_missile"),
        ("Kinzhal", "aeroballistic_missile"),
        ("X-59/X-69", "guided_air_missile"),
        ("Kh-59/69", "guided_air_missile"),
        ("C-300", "anti_aircraft_missile"),
        ("S-300/S-400", "anti_aircraft_missile"),
        ("Iskander-M, Kalibr", "missile"),
        ("Orlan-10", None),
        ("Shahed-136/131, Kalibr", None),  # a drone and a missile have no one class
        ("Shahed-136/131, Orlan-10", None),
    ],
)
def test_the_model_table(model, wclass):
    assert model_class(model) == wclass


def test_a_first_import_is_all_new_and_an_unchanged_one_gives_nothing():
    first = chain_versions(read_community_csv(FIXTURE).tallies, [])
    assert len(first) == 4 and all(t.supersedes is None for t in first)
    assert chain_versions(read_community_csv(FIXTURE).tallies, first) == []


def test_a_row_edited_in_place_gives_a_version_superseding_the_held_one(tmp_path):
    held = chain_versions(read_community_csv(FIXTURE).tallies, [])
    edited = rows()
    edited[6]["destroyed"] = "7"  # Kalibr of 1 March: 8 shot down became 7 upstream
    new = chain_versions(read_community_csv(write(tmp_path / "e.csv", edited)).tallies, held)
    [version] = new
    old = next(t for t in held if t.extra["series"] == version.extra["series"])
    assert version.supersedes == old.id and version.id != old.id
    assert version.line("Kalibr").destroyed == Count.exact(7)
    held += new  # both kept; the edited file read again gives nothing
    assert chain_versions(read_community_csv(tmp_path / "e.csv").tallies, held) == []


def test_an_edit_reverted_upstream_is_a_third_version_under_a_new_id(tmp_path):
    held = chain_versions(read_community_csv(FIXTURE).tallies, [])
    edited = rows()
    edited[6]["destroyed"] = "7"
    held += chain_versions(read_community_csv(write(tmp_path / "e.csv", edited)).tallies, held)
    [back] = chain_versions(read_community_csv(FIXTURE).tallies, held)
    first = next(t for t in held if t.extra["series"] == back.extra["series"])
    assert back.id == f"{first.id}~3" and back.supersedes == held[-1].id
    assert back.line("Kalibr").destroyed == Count.exact(8)
    assert chain_versions(read_community_csv(FIXTURE).tallies, [*held, back]) == []


def test_rows_reordered_or_numbers_respelt_upstream_are_not_an_edit(tmp_path):
    held = chain_versions(read_community_csv(FIXTURE).tallies, [])
    respelt = [dict(r) for r in reversed(rows())]
    for row in respelt:
        row["launched"] = row["launched"].removesuffix(".0")
        row["time_start"] += ":00" if len(row["time_start"]) > 10 else ""
    again = read_community_csv(write(tmp_path / "r.csv", respelt))
    assert chain_versions(again.tallies, held) == []


def test_attacks_gone_from_a_shorter_file_are_named_and_kept(tmp_path):
    held = chain_versions(read_community_csv(FIXTURE).tallies, [])
    shorter = read_community_csv(write(tmp_path / "s.csv", rows()[:5])).tallies
    assert chain_versions(shorter, held) == []
    gone = missing_series(shorter, held)
    assert sorted(t.source for t in gone) == ["af-post-0302", "af-post-0310"]
    assert missing_series(read_community_csv(FIXTURE).tallies, held) == []


def test_rows_of_one_attack_with_times_spelt_apart_are_one_attack(tmp_path):
    mixed = rows()
    mixed[1]["time_start"] = "2025-02-16 18:00:00"
    mixed[1]["time_end"] = "2025-02-17T08:30"
    imported = read_community_csv(write(tmp_path / "m.csv", mixed))
    assert len(imported.tallies) == 4
    held = chain_versions(read_community_csv(FIXTURE).tallies, [])
    assert chain_versions(imported.tallies, held) == []


def test_a_file_missing_required_columns_is_refused_naming_each(tmp_path):
    columns = [c for c in rows()[0] if c not in ("destroyed", "source")]
    path = write(tmp_path / "old.csv", rows(), columns)
    with pytest.raises(InputError) as err:
        read_community_csv(path)
    [p] = err.value.problems
    assert p.where == "old.csv:row 1" and "destroyed, source" in p.reason


def test_an_older_header_is_read_by_its_older_names_and_extra_columns_are_kept(tmp_path):
    old = [
        {
            "time_start": "2022-10-10 06:00",
            "time_end": "2022-10-10 15:00",
            "model": "Kalibr",
            "launched": "28",
            "destroyed": "",
            "cross_border_belarus": "1",
            "back_russia": "2",
            "affected region": "Lviv oblast, Kyiv oblast",
            "analyst_note": "checked twice",
            "source": "af-post-1010",
        }
    ]
    imported = read_community_csv(write(tmp_path / "old.csv", old))
    [t] = imported.tallies
    assert t.line("Kalibr").crossed_border == Count.exact(3)
    assert t.line("Kalibr").destroyed is None
    assert t.regions == ("Lviv oblast", "Kyiv oblast")
    assert t.extra["columns"] == {"Kalibr": {"analyst_note": "checked twice"}}
    assert imported.extra_columns == ("analyst_note",)
    assert "border_crossing" in imported.absent_columns
    assert "affected_region" not in imported.absent_columns


def test_a_bad_row_refuses_the_file_or_leaves_out_its_attack(tmp_path):
    bad = rows()
    bad[7]["launched"] = "four"
    bad[1]["model"] = "Shahed-136/131"  # a model twice in one attack
    path = write(tmp_path / "b.csv", bad)
    with pytest.raises(InputError) as err:
        read_community_csv(path)
    assert {(p.where, p.field) for p in err.value.problems} == {
        ("b.csv:row 9", "launched"),
        ("b.csv:row 3", "model"),
    }
    kept = read_community_csv(path, skip_invalid=True)
    assert sorted(t.source for t in kept.tallies) == ["af-post-0310", "af-west-0217"]
    assert len(kept.problems) == 2


def test_imported_tallies_are_valid_tallies_and_survive_the_files(tmp_path):
    tallies = read_community_csv(FIXTURE).tallies
    for fmt in ("jsonl", "csv"):
        path = tmp_path / f"t.{fmt}"
        path.write_text(write_tallies(tallies, fmt), newline="")
        back = read_tally_file(path)
        assert [t.id for t in back] == [t.id for t in tallies]
        if fmt == "jsonl":
            assert back == tallies
