"""CSV files as spreadsheets save them: encodings, delimiters, decimal marks, and their overrides.

Each fixture is one small sheet written here in the encoding and dialect of the case, with
Python's codecs, so the bytes are exactly what the case names.
"""

from __future__ import annotations

import codecs
import io
from datetime import UTC, datetime
from pathlib import Path

import pytest

from ceasefire.errors import InputError
from ceasefire.intake.dialect import number_text, sniff_decimal, sniff_delimiter, sniff_encoding
from ceasefire.intake.files import iter_rows, parse_file

NOW = datetime(2026, 3, 11, tzinfo=UTC)

HEADER = ["id", "submitted_by", "source_kind", "observed_from", "lon", "lat", "event_type",
          "count", "calibre_mm", "notes"]  # fmt: skip
ROWS = [
    ["sheet-1", "mission", "patrol", "2026-03-10T08:10:00+02:00", "37.8028", "48.0159",
     "shelling", "14", "122", "Обстріл з півночі, Дружківка"],
    ["sheet-2", "mission", "patrol", "2026-03-10T09:40:00+02:00", "37.7051", "48.5312",
     "explosion", "2", "", "Вибухи; джерело невідоме"],
]  # fmt: skip


def sheet(delimiter: str = ",", decimal: str = ".", rows: list[list[str]] | None = None) -> str:
    """The two reports as a spreadsheet would write them: ``delimiter`` between cells, numbers
    with ``decimal``, a cell holding the delimiter quoted, CRLF line ends."""

    def cell(text: str) -> str:
        if decimal == "," and text.replace(".", "", 1).lstrip("-").isdigit():
            text = text.replace(".", ",")
        return f'"{text}"' if delimiter in text or '"' in text else text

    lines = [HEADER, *(rows or ROWS)]
    return "".join(delimiter.join(cell(c) for c in line) + "\r\n" for line in lines)


def write(tmp_path: Path, text: str, encoding: str, name: str = "sheet.csv") -> Path:
    path = tmp_path / name
    path.write_bytes(codecs.encode(text, encoding))
    return path


def read(
    path: Path, **options: str
) -> list[tuple[str, float | None, float | None, int | None, str | None]]:
    reports = parse_file(path, now=NOW, **options).reports  # type: ignore[arg-type]
    return [(r.id, r.lon, r.lat, r.count, r.notes) for r in reports]


EXPECTED = [
    ("sheet-1", 37.8028, 48.0159, 14, "Обстріл з півночі, Дружківка"),
    ("sheet-2", 37.7051, 48.5312, 2, "Вибухи; джерело невідоме"),
]


@pytest.mark.parametrize(
    ("case", "delimiter", "decimal", "encoding", "prefix"),
    [
        ("utf8_comma", ",", ".", "utf-8", b""),
        ("utf8_bom_comma", ",", ".", "utf-8", codecs.BOM_UTF8),
        ("excel_semicolon_decimal_comma_cp1251", ";", ",", "cp1251", b""),
        ("semicolon_decimal_point_utf8", ";", ".", "utf-8", b""),
        ("tab_utf8", "\t", ".", "utf-8", b""),
        ("bar_utf8", "|", ".", "utf-8", b""),
        ("excel_unicode_text_utf16le_bom_tabs", "\t", ",", "utf-16-le", codecs.BOM_UTF16_LE),
        ("utf16be_bom_semicolon", ";", ",", "utf-16-be", codecs.BOM_UTF16_BE),
        ("utf16le_without_bom", "\t", ".", "utf-16-le", b""),
        ("utf32_bom", ",", ".", "utf-32-le", codecs.BOM_UTF32_LE),
        ("cp1251_comma", ",", ".", "cp1251", b""),
    ],
)
def test_each_encoding_and_delimiter_reads_the_same_reports(
    tmp_path: Path, case: str, delimiter: str, decimal: str, encoding: str, prefix: bytes
) -> None:
    path = tmp_path / f"{case}.csv"
    path.write_bytes(prefix + codecs.encode(sheet(delimiter, decimal), encoding))
    assert read(path) == EXPECTED


def test_decimal_commas_are_read_in_number_fields_only(tmp_path: Path) -> None:
    rows = [[*ROWS[0][:9], "3,5 км на південь"], ROWS[1]]
    path = write(tmp_path, sheet(";", ",", rows), "cp1251")
    first = parse_file(path, now=NOW).reports[0]
    assert (first.lon, first.lat, first.calibre_mm) == (37.8028, 48.0159, 122.0)
    assert first.notes == "3,5 км на південь"  # text stays text


@pytest.mark.parametrize(
    ("count", "reason"),
    [
        ("1,5", "must be a whole number, got '1,5'"),
        ("1.500", "'1.500' can be read two ways in a file with decimal commas"),
    ],
)
def test_a_count_with_a_decimal_comma_is_refused_never_fifteen(
    tmp_path: Path, count: str, reason: str
) -> None:
    path = write(tmp_path, sheet(";", ",").replace(";14;", f";{count};"), "utf-8")
    with pytest.raises(InputError) as caught:
        parse_file(path, now=NOW)
    (problem,) = caught.value.problems
    assert (problem.where, problem.field) == ("sheet.csv:row 2", "count")
    assert reason in problem.reason


def test_a_thousands_comma_in_a_decimal_point_file_is_refused(tmp_path: Path) -> None:
    rows = [[*ROWS[0][:7], "1,500", *ROWS[0][8:]], ROWS[1]]
    path = write(tmp_path, sheet(";", ".", rows), "utf-8")
    with pytest.raises(InputError, match=r"row 2: count: '1,500' can be read two ways"):
        parse_file(path, now=NOW)


def test_a_comma_file_reads_numbers_as_they_are(tmp_path: Path) -> None:
    # In a comma-separated file a quoted "1,5" is no decimal: it is refused as it stands.
    rows = [[*ROWS[0][:7], "1,5", *ROWS[0][8:]], ROWS[1]]
    path = write(tmp_path, sheet(",", ".", rows), "utf-8")
    with pytest.raises(InputError, match=r"row 2: count: must be a valid integer.*'1,5'"):
        parse_file(path, now=NOW)


def test_a_file_read_with_the_wrong_delimiter_says_which_it_looks_like(tmp_path: Path) -> None:
    path = write(tmp_path, sheet(";", ","), "cp1251")
    with pytest.raises(InputError) as caught:
        parse_file(path, now=NOW, delimiter=",")
    (problem,) = caught.value.problems
    assert problem.where == "sheet.csv:row 1"
    assert "the file looks semicolon-separated: pass --delimiter ';'" in problem.reason
    assert "id: is required" not in str(caught.value)
    tabs = write(tmp_path, sheet("\t"), "utf-8", "tabs.csv")
    with pytest.raises(InputError, match="looks tab-separated: pass --delimiter tab"):
        parse_file(tabs, now=NOW, delimiter=";")


def test_delimiter_and_encoding_override_detection(tmp_path: Path) -> None:
    # KOI8-U: its letters sit in Windows-1251's bytes with the cases swapped; refused, not misread.
    text = "id;notes;submitted_by;source_kind;observed_from;lon;lat;event_type\r\n"
    text += "ov-1;Тиша;mission;patrol;2026-03-10T08:10:00+02:00;37,8;48,5;explosion\r\n"
    path = write(tmp_path, text, "koi8-u", "koi8.csv")
    with pytest.raises(InputError, match=r"cannot tell the encoding.*--encoding"):
        parse_file(path, now=NOW)
    (report,) = parse_file(path, now=NOW, encoding="koi8-u").reports
    assert (report.notes, report.lon, report.lat) == ("Тиша", 37.8, 48.5)
    # A cp1251 file read as UTF-8 on request: each row with letters is named, not guessed.
    cp = write(tmp_path, sheet(";", ","), "cp1251", "cp.csv")
    with pytest.raises(InputError) as caught:
        parse_file(cp, now=NOW, encoding="utf-8")
    assert [p.where for p in caught.value.problems] == ["cp.csv:row 2", "cp.csv:row 3"]
    assert "not valid UTF-8" in caught.value.problems[0].reason
    with pytest.raises(InputError, match="delimiter: must be one character"):
        parse_file(cp, now=NOW, delimiter="ab")
    with pytest.raises(InputError, match="unknown encoding 'klingon'"):
        parse_file(cp, now=NOW, encoding="klingon")


def test_one_bad_row_stores_nothing_whatever_the_dialect(tmp_path: Path) -> None:
    rows = [ROWS[0], [*ROWS[1][:4], "37,7", "91,5", *ROWS[1][6:]]]
    path = write(tmp_path, sheet(";", ",", rows), "utf-16")
    with pytest.raises(InputError) as caught:
        parse_file(path, now=NOW)
    assert [(p.where, p.field) for p in caught.value.problems] == [("sheet.csv:row 3", "lat")]
    kept = parse_file(path, now=NOW, skip_invalid=True)
    assert [r.id for r in kept.reports] == ["sheet-1"] and kept.bad_rows == 1


def test_a_binary_handle_is_read_like_a_file_seekable_or_not(tmp_path: Path) -> None:
    data = codecs.BOM_UTF16_LE + codecs.encode(sheet("\t", ","), "utf-16-le")

    class Stream(io.RawIOBase):  # a request body: read once, no seeking
        def __init__(self) -> None:
            self.rest = data

        def readable(self) -> bool:
            return True

        def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
            n = min(len(buffer), len(self.rest), 7)  # short reads, as a socket gives
            buffer[:n], self.rest = self.rest[:n], self.rest[n:]
            return n

    for handle in (io.BytesIO(data), io.BufferedReader(Stream())):
        rows = list(iter_rows(handle, name="body", format="csv"))
        assert [row.where for row in rows] == ["body:row 2", "body:row 3"]
        assert rows[0].fields is not None and rows[0].fields["lat"] == "48.0159"
    with pytest.raises(InputError, match="cannot tell the format"):
        list(iter_rows(io.BytesIO(data), name="body"))


def test_the_sniff_reads_a_bounded_head_and_rows_stay_lazy(tmp_path: Path) -> None:
    path = tmp_path / "big.csv"
    line = ";".join(ROWS[0]).replace("37.8028", "37,8028").replace("48.0159", "48,0159")
    with path.open("wb") as out:
        out.write((";".join(HEADER) + "\r\n").encode("cp1251"))
        for index in range(30_000):  # ~3 MB, far past the 64 KiB sniff
            out.write((line.replace("sheet-1", f"s{index}") + "\r\n").encode("cp1251"))
    rows = iter_rows(path)
    first = next(rows)
    assert first.fields is not None and first.fields["lon"] == "37.8028"
    assert first.fields["notes"] == "Обстріл з півночі, Дружківка"
    assert sum(1 for _ in rows) == 29_999


@pytest.mark.parametrize(
    ("head", "expected"),
    [
        ("Дружківка".encode(), "utf-8"),
        ("Дружківка".encode()[:-1], "utf-8"),  # a letter cut by the sniff's end
        ("Дружківка, «обстріл» №5".encode("cp1251"), "cp1251"),
        (codecs.BOM_UTF8 + b"id", "utf-8-sig"),
        (codecs.BOM_UTF16_BE + "id".encode("utf-16-be"), "utf-16"),
        ("id,lat\n".encode("utf-16-be"), "utf-16-be"),
        ("Дружківка".encode() + "Дружківка".encode("cp1251"), "utf-8"),  # a stray row: its problem
        ("ДІЯ: обстріл Дружківки, Київ".encode("cp1251"), "cp1251"),  # C4 B2 is UTF-8 by chance
        (b"id,notes\nr-1,caf\xe9\n", "utf-8"),  # one stray byte: its row's problem
    ],
)
def test_sniff_encoding(head: bytes, expected: str) -> None:
    assert sniff_encoding(head, "f.csv", complete=False) == expected


def test_json_is_utf8_unless_its_bom_says_otherwise(tmp_path: Path) -> None:
    cyrillic = "Дружківка обстріл".encode("cp1251")
    assert sniff_encoding(cyrillic, "r.jsonl", complete=True, legacy=False) == "utf-8"
    path = tmp_path / "r.jsonl"
    path.write_bytes(b'{"id": "a", "notes": "' + cyrillic + b'"}\n')
    with pytest.raises(InputError, match=r"r.jsonl:row 1: not valid UTF-8"):
        parse_file(path, now=NOW)


def test_sniff_delimiter_and_decimal() -> None:
    assert sniff_delimiter("a;b;c\r\n1,5;2;3\r\n") == ";"
    assert sniff_delimiter('a,b,c\r\n"x;y",2,3\r\n') == ","
    assert sniff_delimiter("a\tb\n1\t2\n3\t") == "\t"  # the cut last line is not judged
    assert sniff_decimal("lat;lon\n48,5;37,1\n", ";") == ","
    assert sniff_decimal("lat;lon\n48.5;37.1\n", ";") == "."
    assert sniff_decimal("lat;lon\n48.5;37,1\n", ";") == ""  # both marks: each cell decides
    assert sniff_decimal('lat,lon\n"48,5",37.1\n', ",") == "."
    assert number_text("48,5", "") == ("48.5", None)
    assert number_text("1.500", "")[1] is not None
