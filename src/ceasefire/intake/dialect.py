"""How a file people made is written: its text encoding, its CSV delimiter, its decimal mark.

Spreadsheets are saved the way the machine they were made on is set up. Excel in a Ukrainian
or Russian locale writes "CSV" with semicolons and decimal commas (``48,5``) in Windows-1251;
its "Unicode text" is UTF-16 with a byte order mark and tabs; LibreOffice and scripts write
UTF-8, sometimes with a BOM. :func:`sniff` reads the first :data:`SNIFF_BYTES` of a file and
decides all three, so that :func:`ceasefire.intake.files.iter_rows` reads such a file right
with memory that stays flat however long the file is; ``--encoding`` and ``--delimiter``
override what it decides.

The rules, in order (each pinned by a test in ``tests/intake/test_dialect.py``):

* **Encoding.** A byte order mark decides (UTF-8, UTF-16 LE/BE, UTF-32). Without one, text
  whose every other byte is NUL is UTF-16 without a BOM; text that is valid UTF-8 is UTF-8.
  Text that is not, but whose bytes above 0x7F are at least half parts of valid UTF-8 letters,
  is UTF-8 with a stray row in another encoding: that row's problem. Otherwise it is
  Windows-1251 when those bytes are (95% or more) Cyrillic letters of that code page, more of
  them small letters than capitals: KOI8-U puts its letters in the same bytes with the cases
  swapped, and such a file is refused, not misread, to be named with ``--encoding``. It takes
  a word (three such bytes in a row) to be Windows-1251: one stray "é" is its row's problem.
  JSON is never sniffed for a code page (:func:`sniff_encoding`).
* **Delimiter.** Of comma, semicolon, tab and bar, the one that splits the first lines into
  the same number of cells, more than one; ties go to the more cells, then to that order.
* **Decimal mark.** A comma-separated file writes decimals with a point and its number cells
  are left as they are. In any other file ``48,5`` is 48.5; the sample tells whether the file
  writes decimals with a comma or a point, and a cell that could mean two ways under that
  (``1.500``: one and a half, or fifteen hundred) is refused, never guessed. Only the report's
  number fields are converted (:func:`number_text`); ``1,5`` in a whole-number field (a count)
  is refused: it must never become 15.
"""

from __future__ import annotations

import codecs
import csv
import re
from dataclasses import dataclass
from typing import Final

from ceasefire.errors import InputError, Problem

#: How much of a file the sniffer reads: enough for a header and a few hundred rows.
SNIFF_BYTES: Final = 64 * 1024

#: The delimiters a file is tried with, in order of preference on a tie.
DELIMITERS: Final = (",", ";", "\t", "|")

#: How delimiters are named in messages and on the command line.
DELIMITER_NAMES: Final = {",": "comma", ";": "semicolon", "\t": "tab", "|": "bar"}

#: Byte order marks and the codec that reads past them; UTF-32 first: its LE mark starts
#: with UTF-16 LE's.
_BOMS: Final = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)

#: Bytes that are letters in Windows-1251: Cyrillic А-я (0xC0-0xFF) and Ё ё Є є Ї ї І і Ґ ґ Ў ў.
_CP1251_LETTERS: Final = frozenset(range(0xC0, 0x100)) | frozenset(
    (0xA8, 0xB8, 0xAA, 0xBA, 0xAF, 0xBF, 0xB2, 0xB3, 0xA5, 0xB4, 0xA1, 0xA2)
)
#: Punctuation of Windows-1251 a spreadsheet holds beside letters: NBSP, quotes, dashes, №, °.
_CP1251_MARKS: Final = frozenset((0xA0, 0xAB, 0xBB, 0x96, 0x97, 0x93, 0x94, 0x84, 0xB9, 0xB0))

_COMMA_DECIMAL = re.compile(r"[+-]?\d+,\d+")
_POINT_DECIMAL = re.compile(r"[+-]?\d+\.\d+")
#: Numbers a file could mean two ways: ``1.500`` is one and a half written with a point, or
#: fifteen hundred with a thousands point; ``1,500`` the same with the marks swapped.
_POINT_GROUPED = re.compile(r"[+-]?\d{1,3}(\.\d{3})+")
_COMMA_GROUPED = re.compile(r"[+-]?\d{1,3}(,\d{3})+")


@dataclass(frozen=True)
class Dialect:
    """How one file is written: ``encoding`` (a Python codec name), ``delimiter`` (CSV only,
    else None) and ``decimal`` (``"."`` or ``","``)."""

    encoding: str
    delimiter: str | None = None
    decimal: str = "."


def delimiter_name(delimiter: str) -> str:
    """``";"`` as ``"semicolon"``, for messages."""
    return DELIMITER_NAMES.get(delimiter, repr(delimiter))


def check_delimiter(value: str, where: str) -> str:
    """``value`` as a one-character delimiter; ``tab``, ``\\t``, ``semicolon``... are read too."""
    names = {name: char for char, name in DELIMITER_NAMES.items()}
    char = names.get(value.lower(), "\t" if value == "\\t" else value)
    if len(char) != 1 or char in '\r\n"' or char.isalnum():
        raise InputError(
            Problem(
                where,
                "delimiter",
                f"must be one character other than a letter, digit, quote or newline "
                f"(e.g. ';' or tab), got {value!r}",
            )
        )
    return char


def check_encoding(value: str, where: str) -> str:
    """``value`` as a codec Python knows (``cp1251``, ``windows-1251``, ``utf-16``...)."""
    try:
        name = codecs.lookup(value).name
    except LookupError:
        raise InputError(
            Problem(where, "encoding", f"unknown encoding {value!r}; e.g. utf-8, cp1251, utf-16")
        ) from None
    # A UTF-8 file named as such may still start with a BOM (Excel's "CSV UTF-8").
    return "utf-8-sig" if name == "utf-8" else name


def sniff_encoding(head: bytes, name: str, *, complete: bool, legacy: bool = True) -> str:
    """The encoding of a file that starts with ``head`` (``complete``: that is the whole file).

    ``legacy``: a code page (Windows-1251) is possible. JSON is UTF-8 when exchanged between
    systems (RFC 8259 section 8.1), so JSON files are told UTF-8 from UTF-16 and UTF-32 only,
    and a byte in another encoding is a problem of its row.

    Raises
    ------
    InputError
        Bytes that are neither UTF-8, UTF-16 nor Windows-1251 letters: name the encoding.
    """
    for bom, codec in _BOMS:
        if head.startswith(bom):
            return codec
    utf16 = _utf16_without_bom(head)
    if utf16 is not None:
        return utf16
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        decoder.decode(head, final=complete)  # a cut multi-byte letter at the end is fine
    except UnicodeDecodeError:
        pass
    else:
        return "utf-8"
    high = [byte for byte in head if byte > 0x7F]
    text = head.decode("utf-8", errors="replace")
    valid = sum(len(ch.encode()) for ch in text if ord(ch) > 0x7F and ch != "\ufffd")
    if not legacy or valid >= len(high) - valid or not _words(head):
        # Mostly UTF-8 letters, or a stray byte or two, and a row in another encoding: that
        # row's problem. (Two Windows-1251 bytes may chance to form one UTF-8 letter, "ДІ"
        # does; a few such do not make a file UTF-8, and one "é" does not make it Cyrillic.)
        return "utf-8"
    letters = sum(byte in _CP1251_LETTERS for byte in high)
    marks = sum(byte in _CP1251_MARKS for byte in high)
    # Windows-1251 puts the small letters at 0xE0-0xFF, KOI8 its capitals: text is mostly small
    # letters, so a sample whose letters read as capitals is not taken for Windows-1251.
    small = sum(byte >= 0xE0 for byte in high)
    capitals = sum(0xC0 <= byte < 0xE0 for byte in high)
    if letters and letters + marks >= 0.95 * len(high) and small >= capitals:
        return "cp1251"
    raise InputError(
        Problem(
            name,
            "",
            "cannot tell the encoding: not UTF-8, UTF-16 or Windows-1251 text; "
            "name it with --encoding (e.g. cp1252, koi8-u) or save the file as UTF-8",
        )
    )


def _words(head: bytes) -> bool:
    """Whether ``head`` holds a word of bytes above 0x7F (three in a row): evidence of text in
    a code page, where one stray byte is none."""
    run = 0
    for byte in head:
        run = run + 1 if byte > 0x7F else 0
        if run >= 3:
            return True
    return False


def _utf16_without_bom(head: bytes) -> str | None:
    """UTF-16 LE/BE when the text of ``head`` is mostly ASCII with a NUL byte beside each."""
    sample = head[: len(head) - len(head) % 2]
    if len(sample) < 4:
        return None
    even, odd = sample[0::2], sample[1::2]
    half = len(sample) // 2
    if odd.count(0) > 0.6 * half and even.count(0) < 0.1 * half:
        return "utf-16-le"
    if even.count(0) > 0.6 * half and odd.count(0) < 0.1 * half:
        return "utf-16-be"
    return None


def sniff_delimiter(sample: str) -> str:
    """The delimiter that splits the lines of ``sample`` (a file's first, decoded) into the same
    number of cells, more than one; a comma when none does.

    >>> sniff_delimiter("id;lat;lon|a-1;48,5;37,1|".replace("|", chr(10)))
    ';'
    """
    lines = sample.splitlines()
    if len(lines) > 1 and not sample.endswith(("\n", "\r")):
        lines = lines[:-1]  # cut by the sniff, not by the file
    lines = [line for line in lines[:50] if line.strip()]
    if not lines:
        return ","
    best, best_cells = ",", 1
    for delimiter in DELIMITERS:
        try:
            rows = list(csv.reader(lines, delimiter=delimiter))
        except csv.Error:
            continue
        widths = {len(row) for row in rows if row}
        if len(widths) == 1 and (width := widths.pop()) > best_cells:
            best, best_cells = delimiter, width
    if best_cells == 1:
        # No delimiter gives every line the same width (a ragged sample): the header decides.
        header = lines[0]
        counts = {d: len(next(csv.reader([header], delimiter=d))) for d in DELIMITERS}
        best = max(DELIMITERS, key=lambda d: (counts[d], -DELIMITERS.index(d)))
    return best


def sniff_decimal(sample: str, delimiter: str) -> str:
    """``","`` when a file separated by ``delimiter`` writes decimals with a comma, ``"."`` when
    with a point, ``""`` when its sample does not tell (no decimals, or both marks). Numbers
    that read two ways (``1.500``) do not count."""
    if delimiter == ",":
        return "."
    commas = points = 0
    try:
        for row in csv.reader(sample.splitlines()[:200], delimiter=delimiter):
            for cell in row:
                cell = cell.strip()
                commas += bool(
                    _COMMA_DECIMAL.fullmatch(cell) and not _COMMA_GROUPED.fullmatch(cell)
                )
                points += bool(
                    _POINT_DECIMAL.fullmatch(cell) and not _POINT_GROUPED.fullmatch(cell)
                )
    except csv.Error:
        return ""
    return "," if commas and not points else "." if points and not commas else ""


def number_text(value: str, decimal: str, *, whole: bool = False) -> tuple[str, str | None]:
    """A number cell of a file whose decimal mark is ``decimal`` (``""``: not known), written
    for Python: ``(text, None)``, or ``(value, reason)`` when the cell is refused.

    ``48,5`` is 48.5 in any file not separated by commas; ``1.500`` (or ``1,500``) is refused
    when the file's own mark does not tell which it means; ``whole``: the field takes whole
    numbers, and ``1,5`` is refused as such rather than read as 15 or rounded.

    Examples
    --------
    >>> number_text("48,5", ",")
    ('48.5', None)
    >>> number_text("1,5", ",", whole=True)
    ('1,5', "must be a whole number, got '1,5'")
    >>> number_text("1.500", ",")[1]
    "'1.500' can be read two ways in a file with decimal commas; write 1500 or 1,5"
    """
    if decimal == ".":
        cell = value.strip()
        if _COMMA_GROUPED.fullmatch(cell):
            return (
                value,
                f"{cell!r} can be read two ways in a file with decimal points; write 1500 or 1.5",
            )
        if _COMMA_DECIMAL.fullmatch(cell):
            decimal = ","  # 48,5 can only be a decimal comma
    if decimal in (",", ""):
        cell = value.strip()
        if _POINT_GROUPED.fullmatch(cell) or (not decimal and _COMMA_GROUPED.fullmatch(cell)):
            mark = "decimal commas" if decimal else "both decimal marks (or none)"
            return value, f"{cell!r} can be read two ways in a file with {mark}; write 1500 or 1,5"
        if _COMMA_DECIMAL.fullmatch(cell):
            if whole:
                return value, f"must be a whole number, got {cell!r}"
            return cell.replace(",", "."), None
    return value, None


def looks_split_by(header: list[str], delimiter: str) -> str | None:
    """Another delimiter that the one header cell read with ``delimiter`` holds (``"id;lat;lon"``
    read with commas), or None: the file is most likely separated by that one instead."""
    if len(header) != 1:
        return None
    for other in DELIMITERS:
        if other != delimiter and other in header[0]:
            return other
    return None
