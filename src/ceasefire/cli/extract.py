"""``ceasefire extract``: proposals from news and bulletin text, and accepting them.

Without ``--ingest`` nothing is stored: the command prints what each text proposes, every
figure with the words it came from, for a person to read. With ``--ingest`` the person who read
them stores them (:func:`ceasefire.extracting.accept`, all or nothing per text) as the local
operator, an admin named by ``--as`` or the OS user.
"""

from __future__ import annotations

import codecs
import sys
from datetime import date
from pathlib import Path
from typing import Annotated, Any

import typer

from ceasefire.cli._common import (
    DEFAULT_DB,
    AgreementOpt,
    DbOpt,
    JsonOpt,
    load_agreement,
    local_operator,
    out,
    print_json,
)
from ceasefire.errors import InputError, Problem

#: The file name that reads the standard input.
STDIN = "-"


def read_text(path: Path) -> str:
    """A file's text: UTF-8, a byte-order mark allowed; any other encoding is refused, naming
    the file and the first byte that is not UTF-8 (``-``: the standard input)."""
    name = str(path)
    try:
        data = sys.stdin.buffer.read() if name == STDIN else path.read_bytes()
    except OSError as exc:
        raise InputError(Problem(name, "", f"cannot be read: {exc.strerror or exc}")) from None
    data = data.removeprefix(codecs.BOM_UTF8)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        reason = (
            f"is not UTF-8 text (byte 0x{data[exc.start]:02x} at offset {exc.start}); "
            "save it as UTF-8"
        )
        raise InputError(Problem(name, "", reason)) from None


def parse_published(value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise InputError(
            Problem("option", "--published", f"must be a date YYYY-MM-DD, got {value!r}")
        ) from None


def extract(
    files: Annotated[
        list[Path], typer.Argument(help="Text files (UTF-8); - reads the standard input.")
    ],
    published: Annotated[
        str | None,
        typer.Option(
            help="The texts' publication date, YYYY-MM-DD: relative dates ('overnight', "
            "'on Monday', 'yesterday') are resolved from it. Without it they stay null, and "
            "an event without a date cannot be ingested."
        ),
    ] = None,
    source: Annotated[
        str | None,
        typer.Option(help="Who published the texts (default: each file's name)."),
    ] = None,
    ingest: Annotated[
        bool,
        typer.Option(
            "--ingest",
            help="Store the proposals as osint reports and strike tallies (all or nothing per "
            "text; a text stored before is left as it is).",
        ),
    ] = False,
    event: Annotated[
        list[int] | None,
        typer.Option(
            "--event",
            help="With --ingest and one text: store only this event (its number in the "
            "listing); repeat for several. Default: every event.",
        ),
    ] = None,
    db: DbOpt = DEFAULT_DB,
    agreement: AgreementOpt = None,
    operator: Annotated[
        str | None,
        typer.Option("--as", help="Who accepts the proposals (role admin); default: the OS user."),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Propose events from news or bulletin text, each figure with the words it came from.

    Nothing is stored unless --ingest is given: read the proposals first, then ingest the
    events you accept (docs/extract.md, "Accepting proposals").

    Example: ceasefire extract bulletin.txt --published 2026-02-17 --source "Air Force"
    """
    from ceasefire.extracting import propose

    when = parse_published(published)
    if event and not ingest:
        raise InputError(Problem("option", "--event", "picks events to store: give --ingest"))
    if event and len(files) != 1:
        raise InputError(
            Problem("option", "--event", f"numbers the events of one text; {len(files)} given")
        )
    texts = [(f, read_text(f)) for f in files]  # every file read before anything is stored
    results: list[dict[str, Any]] = []
    for path, text in texts:
        name = source if source is not None else (None if str(path) == STDIN else path.name)
        results.append(propose(text, published=when, source=name, where=str(path)))
    if ingest:
        _ingest(texts, results, when, event, db, agreement, operator)
    if as_json:
        print_json(results)
        return
    for (path, text), result in zip(texts, results, strict=True):
        _print(str(path), text, result)


def _ingest(
    texts: list[tuple[Path, str]],
    results: list[dict[str, Any]],
    published: date | None,
    events: list[int] | None,
    db: str,
    agreement: Path | None,
    operator: str | None,
) -> None:
    """Accept every text's events (or ``events`` of the one text), each text on its own."""
    from ceasefire.extracting import accept
    from ceasefire.geo.engine import GeoEngine
    from ceasefire.store.facade import Store

    by = local_operator(operator)
    engine = GeoEngine(load_agreement(agreement))
    with Store.open(db) as store:
        for (_, text), result in zip(texts, results, strict=True):
            if not result["events"]:
                result["stored"] = None  # nothing proposed, nothing to store
                continue
            done = accept(
                store, engine, text, by=by, published=published, source=result["source"],
                events=events, proposal=result["proposal"],
            )  # fmt: skip
            result["stored"] = done.to_dict()


def _figure(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, int):
        return str(value)
    high = value.get("max")
    return f"{value['min']}-{'' if high is None else high}"


def _weapons(name: str, weapons: dict[str, Any]) -> str | None:
    given = [f"{k.replace('_', ' ')} {_figure(v)}" for k, v in weapons.items() if v is not None]
    return f"{name} " + ", ".join(given) if given else None


_HARM = ("killed", "injured", "people_affected", "explosions", "ceasefire_violations",
         "locations_hit", "regions_count")  # fmt: skip


def _print(name: str, text: str, result: dict[str, Any]) -> None:
    events = result["events"]
    published = result["published"] or "no publication date: relative dates stay null"
    out.print(f"{name} ({result['source'] or 'no source'}; {published}): {len(events)} event(s)")
    out.print(f"  text sha256 {result['sha256']}")
    for i, e in enumerate(events):
        by = f" by {e['perpetrator']}" if e["perpetrator"] else " (perpetrator not said)"
        out.print(f"  [{i}] {e['kind']} {e['date'] or '(no date)'}{by}")
        counts = [
            _weapons(n, e[n]) for n in ("launched", "destroyed", "hit") if n in e
        ]  # fmt: skip
        counts += [f"{n.replace('_', ' ')} {_figure(e[n])}" for n in _HARM if e.get(n) is not None]
        if any(counts):
            out.print("      " + "; ".join(c for c in counts if c))
        if e["oblasts"] or e["places"]:
            out.print(
                f"      oblasts: {', '.join(e['oblasts']) or '-'}; "
                f"places: {', '.join(e['places']) or '-'}"
            )
        for ev in e["evidence"]:
            words = text[ev["start"] : ev["end"]]
            out.print(f'      {ev["field"]}: "{words}" (characters {ev["start"]}-{ev["end"]})')
    stored = result.get("stored")
    if stored:
        r, t = stored["reports"], stored["tallies"]
        out.print(
            f"  stored {len(r['stored'])} report(s), {len(t['stored'])} tally(ies); "
            f"unchanged {len(r['unchanged'])} report(s), {len(t['unchanged'])} tally(ies)"
        )
        for accepted in stored["events"]:
            made = [f"report {accepted['report']}" if accepted["report"] else None,
                    f"tally mission/{accepted['tally']}" if accepted["tally"] else None]  # fmt: skip
            line = ", ".join(m for m in made if m)
            note = f" ({accepted['note']})" if accepted["note"] else ""
            out.print(f"  [{accepted['event']}] {line}{note}")
