"""Column mappings: ACLED's export, a mission's patrol sheet and a user's mapping file read as
reports through the one validation path; the community data set pointed to its own reader.

The ACLED rows are the project's own, written in the columns and style of ACLED's CSV export
(every event, source and figure made up).
"""

from __future__ import annotations

import codecs
import csv
import io
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ceasefire.cli.app import app
from ceasefire.errors import InputError
from ceasefire.intake.files import parse_file, read_reports
from ceasefire.intake.mapping import load_mapping
from ceasefire.intake.profiles import profile

NOW = datetime(2026, 3, 11, 12, 0, tzinfo=UTC)
DATA = Path(__file__).parents[1] / "data"

ACLED_COLUMNS = [
    "event_id_cnty", "event_date", "year", "time_precision", "disorder_type", "event_type",
    "sub_event_type", "actor1", "assoc_actor_1", "inter1", "actor2", "assoc_actor_2", "inter2",
    "interaction", "civilian_targeting", "iso", "region", "country", "admin1", "admin2",
    "admin3", "location", "latitude", "longitude", "geo_precision", "source", "source_scale",
    "notes", "fatalities", "tags", "timestamp",
]  # fmt: skip


def acled_row(**cells: str) -> dict[str, str]:
    row = dict.fromkeys(ACLED_COLUMNS, "")
    row.update(
        year="2026", time_precision="1", disorder_type="Political violence", iso="804",
        region="Europe", country="Ukraine", admin1="Donetsk", source_scale="National",
        timestamp="1773300000",
    )  # fmt: skip
    row.update(cells)
    return row


ACLED_ROWS = [
    acled_row(
        event_id_cnty="UKR900001", event_date="2026-03-09",
        event_type="Explosions/Remote violence",
        sub_event_type="Shelling/artillery/missile attack",
        actor1="Military Forces of Russia (2000-)", actor2="Civilians (Ukraine)",
        interaction="Military versus civilians", civilian_targeting="Civilian targeting",
        admin2="Kramatorskyi", location="Druzhkivka", latitude="48.6197", longitude="37.5283",
        geo_precision="1", source="Ukrinform; Donetsk Regional Military Administration",
        notes="On 9 March 2026, Russian forces shelled Druzhkivka (Donetsk), killing 2 "
        "civilians and damaging a school.",
        fatalities="2",
    ),
    acled_row(
        event_id_cnty="UKR900002", event_date="8 March 2026", time_precision="2",
        event_type="Explosions/Remote violence", sub_event_type="Air/drone strike",
        actor1="Military Forces of Russia (2000-) Air Force", location="Kostiantynivka",
        latitude="48.5277", longitude="37.7069", geo_precision="3", source="Suspilne",
        notes="Around 8 March 2026 (week of), Russian aircraft dropped glide bombs in "
        "Donetsk region.",
        fatalities="0",
    ),
    acled_row(
        event_id_cnty="UKR900003", event_date="2026-03-10", event_type="Battles",
        sub_event_type="Armed clash", actor1="Military Forces of Ukraine (2019-)",
        actor2="Military Forces of Russia (2000-)", location="Chasiv Yar", latitude="48.5860",
        longitude="37.8340", geo_precision="2", source="Ministry of Defence of Ukraine",
        notes="On 10 March 2026, Ukrainian and Russian forces clashed near Chasiv Yar.",
        fatalities="0",
    ),
    acled_row(
        event_id_cnty="UKR900004", event_date="2026-03-10", disorder_type="Demonstrations",
        event_type="Protests", sub_event_type="Peaceful protest", actor1="Protesters (Ukraine)",
        location="Kramatorsk", latitude="48.7389", longitude="37.5844", geo_precision="1",
        source="Kramatorsk Post", notes="On 10 March 2026, residents protested the closure "
        "of a school.", fatalities="0",
    ),
]  # fmt: skip


def write_csv(path: Path, rows: list[dict[str, str]], delimiter: str = ",") -> Path:
    out = io.StringIO()
    writer = csv.DictWriter(out, list(rows[0]), delimiter=delimiter, lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(rows)
    path.write_text(out.getvalue(), encoding="utf-8")
    return path


def test_acled_export_read_with_its_profile(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "acled.csv", ACLED_ROWS)
    reports = parse_file(path, now=NOW, mapping=profile("acled")).reports
    got = [
        (r.id, r.event_type, r.claimed_perpetrator, r.place_precision, r.uncertainty_m, r.killed)
        for r in reports
    ]
    assert got == [
        ("UKR900001", "shelling", "RU", "exact", 5000.0, 2),
        ("UKR900002", "air_strike", "RU", "region", 100000.0, 0),
        ("UKR900003", "small_arms", "UA", "near", 25000.0, 0),
        ("UKR900004", "other", None, "exact", 5000.0, 0),
    ]
    first, second = reports[0], reports[1]
    assert (first.source_kind, first.submitted_by) == ("osint", "acled")
    assert (first.lon, first.lat) == (37.5283, 48.6197)
    assert first.source_name == "Ukrinform; Donetsk Regional Military Administration"
    # The day in Kyiv (EET in March), the whole of it.
    assert first.observed_from.isoformat() == "2026-03-09T00:00:00+02:00"
    assert first.observed_to is not None
    assert first.observed_to.isoformat() == "2026-03-09T23:59:59+02:00"
    assert (first.time_precision, second.time_precision) == ("exact", "near")
    assert second.observed_from.isoformat() == "2026-03-08T00:00:00+02:00"  # "8 March 2026"
    # ACLED's other columns are kept, named as ACLED's, the actor as written too.
    assert first.extra["acled_location"] == "Druzhkivka"
    assert first.extra["acled_event_type"] == "Explosions/Remote violence"
    assert first.extra["acled_actor1"] == "Military Forces of Russia (2000-)"
    assert reports[3].extra["acled_actor1"] == "Protesters (Ukraine)"


def test_an_acled_row_that_does_not_read_is_named_by_row_field_and_column(
    tmp_path: Path,
) -> None:
    bad = [ACLED_ROWS[0], {**ACLED_ROWS[1], "latitude": "48.52.77"}, ACLED_ROWS[2]]
    path = write_csv(tmp_path / "acled.csv", bad)
    with pytest.raises(InputError) as caught:
        parse_file(path, now=NOW, mapping=profile("acled"))
    (problem,) = caught.value.problems
    assert (problem.where, problem.field) == ("acled.csv:row 3", "lat")
    assert problem.reason.endswith("got '48.52.77' (column 'latitude')")
    dated = [{**ACLED_ROWS[0], "event_date": "March 9th"}]
    with pytest.raises(
        InputError, match=r"row 2: observed_from: 'March 9th' \(column 'event_date'\)"
    ):
        parse_file(write_csv(tmp_path / "d.csv", dated), now=NOW, mapping=profile("acled"))


def test_acled_without_its_profile_says_which_profile(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "acled.csv", ACLED_ROWS)
    with pytest.raises(InputError) as caught:
        parse_file(path, now=NOW)
    (problem,) = caught.value.problems
    assert problem.where == "acled.csv:row 1"
    assert problem.reason == "the header is ACLED's export: pass --profile acled"


def test_the_community_data_set_is_pointed_to_its_reader() -> None:
    with pytest.raises(InputError, match="ceasefire tallies ingest --community"):
        profile("community")
    with pytest.raises(InputError, match="ceasefire tallies ingest --community"):
        parse_file(DATA / "community_missile_attacks_daily.csv", now=NOW)
    with pytest.raises(InputError, match="unknown profile 'acld'; known: acled, patrol"):
        profile("acld")


PATROL_SHEET = """\
Date;Time;Patrol;Place;Lat;Lon;Seen;Weapon;Count;Notes
10.03.2026;14:30;P-12;Дружківка;48,6197;37,5283;Shelling;Artillery;6;Чути з північного сходу
10.03.2026;15:05;P-12;;48,53;37,70;small arms fire;machine gun;;Черги, 2-3 км
11.03.2026;;P-07;"Kostiantynivka, Donetsk";;;armed men;;3;Без розпізнавальних знаків
"""


def test_patrol_sheet_from_excel_read_with_its_profile(tmp_path: Path) -> None:
    path = tmp_path / "patrol-2026-03-10.csv"
    path.write_bytes(codecs.encode(PATROL_SHEET.replace("\n", "\r\n"), "cp1251"))
    reports = parse_file(path, now=NOW, mapping=profile("patrol")).reports
    kostiantynivka = (reports[2].lon, reports[2].lat)  # placed by its name (the gazetteer)
    assert reports[2].place_precision == "near" and reports[2].place_resolved is not None
    assert abs(kostiantynivka[0] - 37.70) < 0.05 and abs(kostiantynivka[1] - 48.53) < 0.05
    got = [
        (r.event_type, r.weapon_class, r.count, r.lon, r.lat, r.source_name, r.source_kind)
        for r in reports
    ]
    assert got == [
        ("shelling", "artillery", 6, 37.5283, 48.6197, "P-12", "patrol"),
        ("small_arms", "small_arms", None, 37.70, 48.53, "P-12", "patrol"),
        ("armed_presence", None, 3, *kostiantynivka, "P-07", "patrol"),
    ]
    assert reports[0].observed_from.isoformat() == "2026-03-10T14:30:00+02:00"
    assert reports[0].observed_to is None
    assert reports[2].observed_to is not None  # no time: the whole day
    assert reports[0].place == "Дружківка"
    assert reports[0].notes == "Чути з північного сходу"
    # Today's date without a time: the window ends now, not at midnight (in the future).
    assert reports[2].observed_to == NOW
    streamed = list(read_reports(path, now=NOW, mapping=profile("patrol")))
    assert [r.content_hash() for r in streamed] == [r.content_hash() for r in reports]
    # Ids from the row's cells: the same sheet read again gives the same reports.
    again = parse_file(path, now=NOW, mapping=profile("patrol")).reports
    assert [r.id for r in again] == [r.id for r in reports]
    assert all(r.id.startswith("patrol-") for r in reports) and len({r.id for r in reports}) == 3


def test_a_bad_patrol_row_stores_nothing_and_is_named(tmp_path: Path) -> None:
    sheet = PATROL_SHEET.replace("small arms fire", "artilery").replace(";6;", ";1,5;")
    path = tmp_path / "patrol.csv"
    path.write_text(sheet, encoding="utf-8")
    with pytest.raises(InputError) as caught:
        parse_file(path, now=NOW, mapping=profile("patrol"))
    assert [(p.where, p.field) for p in caught.value.problems] == [
        ("patrol.csv:row 2", "count"),
        ("patrol.csv:row 3", "event_type"),
    ]
    assert "must be a whole number, got '1,5' (column 'Count')" in caught.value.problems[0].reason
    assert "unknown value 'artilery'" in caught.value.problems[1].reason
    assert "(column 'Seen')" in caught.value.problems[1].reason


MAPPING_YAML = """\
# A brigade liaison's log, Ukrainian headers.
columns:
  Номер: id
  Широта: lat
  Довгота: lon
  Подія: [event_type, as_written]
  Кількість: count
  Сторона: claimed_perpetrator
constants:
  submitted_by: mission
  source_kind: party
values:
  event_type:
    обстріл: shelling
    вибух: explosion
    "*": other
  claimed_perpetrator:
    рф: RU
    "*": null
time:
  date: Дата
  formats: ["%d.%m.%Y %H:%M"]
  timezone: Europe/Kyiv
unmapped: "log_"
"""

LOG = """\
Номер\tДата\tШирота\tДовгота\tПодія\tКількість\tСторона\tВиконавець
L-1\t10.03.2026 21:15\t48,53\t37,70\tОбстріл\t4\tРФ\tчергова зміна
L-2\t10.03.2026 22:40\t48,60\t37,52\tщось інше\t\tневідомо\t
"""


@pytest.mark.parametrize("suffix", [".yaml", ".json"])
def test_a_users_mapping_file(tmp_path: Path, suffix: str) -> None:
    import yaml

    mapping_path = tmp_path / f"log{suffix}"
    if suffix == ".json":
        mapping_path.write_text(json.dumps(yaml.safe_load(MAPPING_YAML), ensure_ascii=False))
    else:
        mapping_path.write_text(MAPPING_YAML, encoding="utf-8")
    log = tmp_path / "log.csv"
    log.write_bytes(codecs.BOM_UTF16_LE + LOG.encode("utf-16-le"))  # Excel's "Unicode text"
    reports = parse_file(log, now=NOW, mapping=load_mapping(mapping_path)).reports
    got = [(r.id, r.event_type, r.claimed_perpetrator, r.count, r.lat) for r in reports]
    assert got == [("L-1", "shelling", "RU", 4, 48.53), ("L-2", "other", None, None, 48.60)]
    assert reports[0].observed_from.isoformat() == "2026-03-10T21:15:00+02:00"
    assert reports[0].extra == {"as_written": "Обстріл", "log_Виконавець": "чергова зміна"}
    assert reports[1].extra == {"as_written": "щось інше"}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("colums: {}", "colums: unknown key"),
        ("columns: {a: [1]}", "columns.a: must be a field name"),
        ("time: {date: D, timezone: Mars/Olympus}", "unknown time zone 'Mars/Olympus'"),
        ("values: {event_type: [1]}", "values.event_type: must be an object"),
        ("[1, 2]", "a mapping must be an object"),
        ("columns: {a: b", "not valid YAML or JSON"),
    ],
)
def test_a_bad_mapping_file_is_named(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "m.yaml"
    path.write_text(text)
    with pytest.raises(InputError, match=message.replace("(", r"\(").replace("[", r"\[")):
        load_mapping(path)


def test_a_mapping_needs_its_columns_in_the_header(tmp_path: Path) -> None:
    path = tmp_path / "log.csv"
    path.write_text(LOG.replace("Широта", "Lat"), encoding="utf-8")
    mapping = tmp_path / "m.yaml"
    mapping.write_text(MAPPING_YAML, encoding="utf-8")
    with pytest.raises(InputError, match=r"reads column.s. the header lacks: Широта"):
        parse_file(path, now=NOW, mapping=load_mapping(mapping))


# -- the command line ---------------------------------------------------------------------------

runner = CliRunner()


def test_ingest_with_a_profile_stores_and_all_or_nothing_holds(tmp_path: Path) -> None:
    db = str(tmp_path / "m.db")
    acled = write_csv(tmp_path / "acled.csv", ACLED_ROWS[:3], delimiter=";")
    done = runner.invoke(app, ["ingest", str(acled), "--profile", "acled", "--db", db, "--json"])
    assert done.exit_code == 0, done.output
    assert json.loads(done.output)["added"] == 3

    sheet = tmp_path / "patrol.txt"  # a name that says nothing: --format says csv
    sheet.write_text(PATROL_SHEET.replace("armed men", "armd men"), encoding="utf-8")
    refused = runner.invoke(
        app, ["ingest", str(sheet), "--format", "csv", "--profile", "patrol", "--db", db]
    )
    assert refused.exit_code == 1
    assert "patrol.txt:row 4: event_type: unknown value 'armd men'" in refused.output
    assert "nothing was stored" in refused.output
    listed = json.loads(runner.invoke(app, ["reports", "--db", db, "--json"]).output)
    assert listed["total"] == 3  # the good rows of the bad sheet were not stored

    both = runner.invoke(
        app, ["ingest", str(sheet), "--profile", "patrol", "--mapping", "m.yaml", "--db", db]
    )
    assert both.exit_code == 1 and "give --profile or --mapping, not both" in both.output


def test_ingest_overrides_from_the_command_line(tmp_path: Path) -> None:
    db = str(tmp_path / "o.db")
    text = "id;submitted_by;source_kind;observed_from;lon;lat;event_type\r\n"
    text += "o-1;mission;patrol;2026-03-10T08:10:00+02:00;37,8;48,5;explosion\r\n"
    path = tmp_path / "o.csv"
    path.write_bytes(text.encode("cp1251"))
    wrong = runner.invoke(app, ["ingest", str(path), "--delimiter", ",", "--db", db])
    assert wrong.exit_code == 1
    assert "looks semicolon-separated: pass --delimiter ';'" in wrong.output
    right = runner.invoke(
        app,
        ["ingest", str(path), "--delimiter", "semicolon", "--encoding", "cp1251", "--db", db,
         "--json"],
    )  # fmt: skip
    assert right.exit_code == 0, right.output
    assert json.loads(right.output)["added"] == 1


def test_a_patrol_sheet_may_leave_out_the_columns_it_never_fills(tmp_path: Path) -> None:
    path = tmp_path / "short.csv"
    path.write_text("DATE,SEEN,LAT,LON\n2026-03-10,Explosion,48.53,37.70\n", encoding="utf-8")
    (report,) = parse_file(path, now=NOW, mapping=profile("patrol")).reports
    assert (report.event_type, report.lat, report.source_kind) == ("explosion", 48.53, "patrol")
    assert report.observed_from.isoformat() == "2026-03-10T00:00:00+02:00"
    path.write_text("Date,Lat,Lon\n2026-03-10,48.53,37.70\n", encoding="utf-8")
    with pytest.raises(
        InputError, match=r"the patrol mapping reads column\(s\) the header lacks: seen"
    ):
        parse_file(path, now=NOW, mapping=profile("patrol"))


def test_a_value_map_applies_to_a_column_already_named_as_its_field(tmp_path: Path) -> None:
    mapping_path = tmp_path / "m.json"
    mapping_path.write_text(json.dumps({"values": {"event_type": {"Artillery fire": "shelling"}}}))
    path = tmp_path / "r.csv"
    path.write_text(
        "id,submitted_by,source_kind,observed_from,lon,lat,event_type\n"
        "v-1,mission,patrol,2026-03-10T08:00:00+02:00,37.7,48.5,ARTILLERY FIRE\n",
        encoding="utf-8",
    )
    (report,) = parse_file(path, now=NOW, mapping=load_mapping(mapping_path)).reports
    assert report.event_type == "shelling"
