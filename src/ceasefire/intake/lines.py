"""Lines of a binary file, decoded: the layer under every report and tally file reader.

Each line is read and decoded on its own, so memory stays flat for a file of millions of lines
and a line that does not decode (a stray Windows-1251 byte in a UTF-8 file) is a problem of its
row, not of the file. UTF-16 and UTF-32 do not end a line with the byte 0x0A alone; their lines
are read as text. A line longer than the limit is read no further than that and skipped.
"""

from __future__ import annotations

import codecs
import io
from collections.abc import Iterator
from typing import Any, BinaryIO

from ceasefire.errors import InputError, Problem

#: How much of an over-long line is read at a time while it is skipped.
_SKIP_CHUNK = 1 << 20


def too_large(size: int | None, limit: int) -> str:
    """The reason a report over ``limit`` bytes is refused (``size`` when known)."""
    got = f" ({size:,} bytes)" if size is not None else ""
    return f"one report may be at most {limit:,} bytes{got}"


def _lines(handle: BinaryIO, limit: int | None) -> Iterator[bytes | None]:
    """The lines of ``handle``; None for a line over ``limit`` bytes, which is read no further
    than that and then skipped to its end (so one hostile line cannot fill the memory)."""
    if limit is None:
        yield from handle
        return
    while raw := handle.readline(limit + 1):
        if len(raw) <= limit or (len(raw) == limit + 1 and raw.endswith(b"\n")):
            yield raw
            continue
        while not raw.endswith(b"\n"):
            raw = handle.readline(_SKIP_CHUNK)
            if not raw:
                break
        yield None


def decoded_lines(
    handle: BinaryIO, name: str, limit: int | None, codec: str = "utf-8"
) -> Iterator[tuple[int, str | Problem]]:
    """Number and decode each line on its own; a line that does not decode, or is over ``limit``
    bytes, becomes a Problem. UTF-16 and UTF-32 are not split at byte 0x0A: their lines are
    read as text (``limit`` then counts characters), and a byte that does not decode stops the
    file there."""
    if _wide(codec):
        yield from _wide_lines(handle, name, limit, codec)
        return
    for number, raw in enumerate(_lines(handle, limit), start=1):
        if raw is None:
            assert limit is not None
            yield number, Problem(f"{name}:row {number}", "", too_large(None, limit))
            continue
        chunk = raw.removeprefix(codecs.BOM_UTF8) if number == 1 else raw
        try:
            yield number, chunk.decode(codec)
        except UnicodeDecodeError as exc:
            yield number, Problem(f"{name}:row {number}", "", _undecodable(chunk, exc, codec))


def _undecodable(chunk: bytes, exc: UnicodeDecodeError, codec: str) -> str:
    if codec.startswith("utf-8"):
        return (
            f"not valid UTF-8 (byte 0x{chunk[exc.start]:02x} at column {exc.start + 1}); "
            "save the file as UTF-8, or name its encoding with --encoding (e.g. cp1251)"
        )
    return f"not valid {codec} (byte 0x{chunk[exc.start]:02x} at column {exc.start + 1})"


def _wide(codec: str) -> bool:
    """Whether ``codec`` writes a newline as more than the byte 0x0A (UTF-16, UTF-32)."""
    return codecs.lookup(codec).name.startswith(("utf-16", "utf-32"))


def _wide_lines(
    handle: BinaryIO, name: str, limit: int | None, codec: str
) -> Iterator[tuple[int, str | Problem]]:
    text = io.TextIOWrapper(handle, encoding=codec, newline="")
    number = 0
    try:
        while line := text.readline(-1 if limit is None else limit + 1):
            number += 1
            if limit is None or len(line) <= limit or line.endswith("\n"):
                yield number, line
                continue
            while not line.endswith("\n"):
                line = text.readline(_SKIP_CHUNK)
                if not line:
                    break
            yield number, Problem(f"{name}:row {number}", "", too_large(None, limit))
    except UnicodeDecodeError as exc:
        reason = f"not valid {codec}: {exc.reason}; name the encoding with --encoding"
        raise InputError(Problem(f"{name}:row {number + 1}", "", reason)) from None
    finally:
        text.detach()  # the caller owns the handle


def sample_text(head: bytes, codec: str, complete: bool) -> str:
    """The sniffed bytes as text, for the delimiter and decimal mark (a letter cut at the end
    of the sample is dropped)."""
    decoder = codecs.getincrementaldecoder(codec)(errors="replace")
    return decoder.decode(head, final=complete)


class _Prefixed(io.RawIOBase):
    """A stream that cannot seek, with its first bytes (already read, to sniff) put back."""

    def __init__(self, head: bytes, rest: BinaryIO) -> None:
        self._head = memoryview(head)
        self._rest = rest

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        if self._head:
            n = min(len(buffer), len(self._head))
            buffer[:n] = self._head[:n]
            self._head = self._head[n:]
            return n
        data = self._rest.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)


def rewound(handle: BinaryIO, head: bytes) -> BinaryIO:
    """``handle`` as it stood before ``head`` was read from it."""
    if handle.seekable():
        handle.seek(-len(head), io.SEEK_CUR)
        return handle
    return io.BufferedReader(_Prefixed(head, handle))
