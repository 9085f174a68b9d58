"""Tallies in and out as JSON Lines and CSV: the round trip, and problems named by line and row."""

from __future__ import annotations

import csv
import io
import json

import pytest

from ceasefire.counts import Count
from ceasefire.errors import InputError
from ceasefire.tallies.files import CSV_COLUMNS, read_tally_file, write_tallies
from ceasefire.tallies.model import Tally, read_tally


def night(**over):
    """An account of a night with every kind of count: exact, an interval, unbounded, a
    sub-count, a count not published; names to join and text that needs CSV quoting."""
    data = {
        "id": "af-2026-02-17",
        "issuer": "UA",
        "attacker": "RU",
        "window_from": "2026-02-16T18:00:00+02:00",
        "window_to": "2026-02-17T08:30:00+02:00",
        "issued_at": "2026-02-17T09:10:00+02:00",
        "lines": [
            {
                "weapon_class": "drone",
                "model": "Shahed, Gerbera, decoys",
                "launched": {"min": 360, "max": 399},
                "destroyed": 352,
            },
            {
                "weapon_class": "strike_drone",
                "model": "jet Shahed",
                "part_of": "Shahed, Gerbera, decoys",
                "launched": {"min": 51, "max": None},
            },
            {"weapon_class": "cruise_missile", "model": "Kh-101", "launched": 18, "hit": 2},
        ],
        "locations_hit": {"min": 17, "max": 20},
        "regions": ["Odesa", "Kyiv"],
        "regions_count": 12,
        "carriers": ["Tu-95MS"],
        "injured": {"min": 9, "max": None},
        "source": "Air Force bulletin, morning of 17 February",
        "notes": 'two lines,\nand "quotes"',
        "bulletin": "48",
    }
    data.update(over)
    return data


def tallies() -> list[Tally]:
    regional = night(
        id="west-2026-02-17",
        scope="command",
        scope_name="West",
        supersedes=None,
        lines=[{"weapon_class": "strike_drone", "model": "Shahed", "launched": 40}],
        notes=None,
    )
    return [read_tally(night()), read_tally(regional)]


@pytest.mark.parametrize("fmt", ["jsonl", "csv"])
def test_what_is_written_reads_back_to_equal_tallies(tmp_path, fmt):
    path = tmp_path / f"tallies.{fmt}"
    path.write_text(write_tallies(tallies(), fmt), encoding="utf-8", newline="")
    back = read_tally_file(path)
    assert back == tallies()
    assert back[0].line("jet Shahed").launched == Count(51, None)
    assert back[0].line("jet Shahed").part_of == "Shahed, Gerbera, decoys"
    assert back[0].line("Kh-101").destroyed is None  # not published stays not published
    assert back[0].extra == {"bulletin": "48"}


def test_json_lines_keep_unknown_fields_with_their_json_types(tmp_path):
    path = tmp_path / "t.jsonl"
    t = read_tally(night(bulletin=48, ref={"post": 3}))
    path.write_text(write_tallies([t], "jsonl"))
    assert read_tally_file(path)[0].extra == {"bulletin": 48, "ref": {"post": 3}}


def test_csv_has_a_row_per_line_with_the_tally_repeated_and_counts_as_cells():
    rows = list(csv.DictReader(io.StringIO(write_tallies(tallies()[:1], "csv"))))
    assert [r["model"] for r in rows] == ["Shahed, Gerbera, decoys", "jet Shahed", "Kh-101"]
    assert {r["id"] for r in rows} == {"af-2026-02-17"}
    assert [r["launched"] for r in rows] == ["360-399", "51-", "18"]
    assert rows[0]["regions"] == "Odesa;Kyiv" and rows[0]["injured"] == "9-"
    assert list(rows[0]) == [*CSV_COLUMNS, "bulletin"]  # unknown fields: columns after


def test_csv_extra_that_is_not_text_is_written_as_json_and_reads_back_as_text(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text(write_tallies([read_tally(night(ref={"post": 3}))], "csv"))
    assert read_tally_file(path)[0].extra["ref"] == '{"post": 3}'


def test_csv_cannot_write_a_name_holding_the_separator():
    with pytest.raises(ValueError, match="holds ';'"):
        write_tallies([read_tally(night(regions=["Odesa", "a;b"]))], "csv")


@pytest.mark.parametrize("name", ["model", " note", ""])
def test_csv_cannot_write_an_extra_field_that_would_read_back_as_another(name):
    with pytest.raises(ValueError, match="extra field"):
        write_tallies([read_tally(night(**{name: "x"}))], "csv")


def test_writing_to_a_stream():
    out = io.StringIO()
    assert write_tallies(tallies(), "jsonl", out) == ""
    assert [json.loads(s)["id"] for s in out.getvalue().splitlines()] == [
        "af-2026-02-17",
        "west-2026-02-17",
    ]


HEADER = "id,issuer,attacker,window_from,window_to,weapon_class,model,launched,destroyed,regions\n"
ROW = "n1,UA,RU,2026-02-16T18:00+02:00,2026-02-17T08:00+02:00,{cls},{model},{launched},,{regions}\n"


def csv_file(tmp_path, *rows: dict[str, str]) -> str:
    path = tmp_path / "hand.csv"
    base = {"cls": "strike_drone", "model": "Shahed", "launched": "10", "regions": "Odesa"}
    path.write_text(HEADER + "".join(ROW.format(**{**base, **r}) for r in rows))
    return str(path)


def test_a_hand_written_csv_with_rows_of_one_id_is_one_tally(tmp_path):
    path = csv_file(tmp_path, {}, {"cls": "cruise_missile", "model": "Kalibr", "launched": "51-"})
    [t] = read_tally_file(path)
    assert t.total("launched") == Count(61, None) and t.regions == ("Odesa",)


def test_a_tally_column_left_empty_on_a_later_row_takes_the_first_rows_value(tmp_path):
    path = csv_file(tmp_path, {}, {"model": "Geran", "regions": ""})
    assert read_tally_file(path)[0].regions == ("Odesa",)


def test_rows_of_one_id_that_disagree_on_a_tally_column_are_refused_naming_both(tmp_path):
    path = csv_file(tmp_path, {}, {"model": "Geran", "regions": "Kyiv"})
    with pytest.raises(InputError) as err:
        read_tally_file(path)
    [p] = err.value.problems
    assert (p.where, p.field) == ("hand.csv:row 3", "regions")
    assert "hand.csv:row 2" in p.reason


@pytest.mark.parametrize(
    ("row", "field", "reason"),
    [
        ({"launched": "ten"}, "launched", "a range N-M"),
        ({"launched": "9-3"}, "launched", "upper end"),
        ({"cls": "shahed"}, "weapon_class", "must be one of"),
        ({"cls": ""}, "weapon_class", "is required"),
    ],
)
def test_a_bad_cell_is_named_by_its_row_and_column_and_nothing_is_read(
    tmp_path, row, field, reason
):
    path = csv_file(tmp_path, {"model": "Geran"}, row)
    with pytest.raises(InputError) as err:
        read_tally_file(path)
    [p] = err.value.problems
    assert (p.where, p.field) == ("hand.csv:row 3", field) and reason in p.reason


def test_a_bad_json_line_is_named_by_its_line_and_field_with_every_problem(tmp_path):
    path = tmp_path / "t.jsonl"
    good = json.dumps(night())
    bad = json.dumps(night(id="b", issuer=None, lines=[{"weapon_class": "drone", "launched": -1}]))
    path.write_text(f"{good}\n\n{bad}\nnot json\n")
    with pytest.raises(InputError) as err:
        read_tally_file(path)
    found = {(p.where, p.field) for p in err.value.problems}
    assert found == {
        ("t.jsonl:line 3", "issuer"),
        ("t.jsonl:line 3", "lines[0].launched"),
        ("t.jsonl:line 4", ""),
    }


def test_one_id_for_two_tallies_is_refused_and_an_exact_repeat_is_read_once(tmp_path):
    path = tmp_path / "t.jsonl"
    line = json.dumps(night())
    path.write_text(f"{line}\n{line}\n")
    assert len(read_tally_file(path)) == 1
    path.write_text(f"{line}\n{json.dumps(night(injured=3))}\n")
    with pytest.raises(InputError) as err:
        read_tally_file(path)
    [p] = err.value.problems
    assert (p.where, p.field) == ("t.jsonl:line 2", "id") and "t.jsonl:line 1" in p.reason


@pytest.mark.parametrize(
    ("name", "text", "reason"),
    [
        ("empty.csv", "", "file is empty"),
        ("header.csv", HEADER, "no tallies in file"),
        ("t.geojson", '{"type": "FeatureCollection", "features": []}', "jsonl or csv"),
    ],
)
def test_a_file_with_no_tallies_is_refused(tmp_path, name, text, reason):
    path = tmp_path / name
    path.write_text(text)
    with pytest.raises(InputError, match=reason):
        read_tally_file(path)
