"""Check the extractor's labelled passages (``benchmarks/data/extract_passages.jsonl``).

Run ``python benchmarks/extract_labels_check.py [FILE]``: it prints one line per problem
(``file:row N: field: reason``) and the counts per split and language, and exits 1 when a row
is wrong. The rules are docs/extract.md's output without ``evidence`` (gold names no spans):
every key present, a number an integer, ``{"min", "max"}`` or null, oblasts spelled as
:data:`ceasefire.geo.gazetteer.ADMIN1_NAMES` and sorted, places spelled as the gazetteer's own
names, each place's oblast among the event's oblasts, ``missiles`` no less than its parts.
The second set, ``extract_passages_2.jsonl``, uses the splits ``dev2`` and ``test2``; the third,
``extract_passages_3.jsonl`` (mostly Ukrainian and Russian), ``dev3`` and ``test3``.

Numbers the text may not support are listed as notes (not errors) for a person to read: an
exact figure of 10 or more whose digits do not appear in the text (sums of parts are expected
there).
"""

from __future__ import annotations

import json
import re
import sys
from collections import Counter
from datetime import date
from pathlib import Path
from typing import Any

from ceasefire.extract.model import CEASEFIRE_VIOLATIONS, FIGURES, WEAPON_KEYS
from ceasefire.geo.gazetteer import ADMIN1_NAMES, load_gazetteer
from ceasefire.vocab import EVENT_TYPES

DEFAULT = Path(__file__).parent / "data" / "extract_passages.jsonl"
PASSAGE_KEYS = {"id", "split", "published", "lang", "text", "events", "why"}
EVENT_KEYS = {"kind", "date", "perpetrator", "launched", "destroyed", "hit", *FIGURES}
EVENT_KEYS |= {"oblasts", "places"}
SPLITS = ("dev", "test", "dev2", "test2", "dev3", "test3")
LANGS = ("en", "uk", "ru")
PARTIES = ("RU", "UA")
OBLASTS = set(ADMIN1_NAMES.values())


def _low_high(value: Any) -> tuple[int, int | None]:
    return (value, value) if isinstance(value, int) else (value["min"], value["max"])


def number_problem(value: Any) -> str | None:
    """Why ``value`` is not a documented number (None when it is one)."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "must be a number, not true/false"
    if isinstance(value, int):
        return None if value >= 0 else "must not be negative"
    if not isinstance(value, dict) or set(value) != {"min", "max"}:
        return 'must be an integer, {"min": a, "max": b} or null'
    low, high = value["min"], value["max"]
    if not isinstance(low, int) or isinstance(low, bool) or low < 0:
        return "min must be a whole number >= 0"
    if high is not None and (not isinstance(high, int) or isinstance(high, bool) or high <= low):
        return "max must be null or a whole number above min (an exact figure is an integer)"
    return None


def _date(value: Any) -> date | None:
    return None if value is None else date.fromisoformat(value)


def event_problems(ev: Any, published: date | None) -> list[str]:
    """``field: reason`` for each thing wrong in one gold event."""
    if not isinstance(ev, dict):
        return ["event: must be an object"]
    out = []
    if set(ev) != EVENT_KEYS:
        missing, extra = EVENT_KEYS - set(ev), set(ev) - EVENT_KEYS
        return [f"event: keys missing {sorted(missing)}, unexpected {sorted(extra)}"]
    if ev["kind"] not in (*EVENT_TYPES, CEASEFIRE_VIOLATIONS):
        out.append(f"kind: {ev['kind']!r} is not an event type")
    try:
        day = _date(ev["date"])
        if day is not None and published is not None and day > published:
            out.append(f"date: {day} is after the publication date {published}")
    except (TypeError, ValueError):
        out.append(f"date: {ev['date']!r} is not YYYY-MM-DD or null")
    if ev["perpetrator"] not in (*PARTIES, None):
        out.append(f"perpetrator: {ev['perpetrator']!r} is not a party code or null")
    for group in ("launched", "destroyed", "hit"):
        weapons = ev[group]
        if not isinstance(weapons, dict) or set(weapons) != set(WEAPON_KEYS):
            out.append(f"{group}: must have exactly the keys {list(WEAPON_KEYS)}")
            continue
        bad = [(k, number_problem(weapons[k])) for k in WEAPON_KEYS]
        out += [f"{group}.{k}: {why}" for k, why in bad if why]
        if any(why for _, why in bad):
            continue
        parts = [weapons[k] for k in ("ballistic_missiles", "cruise_missiles") if weapons[k]]
        if parts and weapons["missiles"] is None:
            out.append(f"{group}.missiles: null although its parts are given (docs: their sum)")
        elif parts and _low_high(weapons["missiles"])[0] < sum(_low_high(p)[0] for p in parts):
            out.append(f"{group}.missiles: less than its ballistic and cruise parts")
    out += [f"{f}: {why}" for f in FIGURES if (why := number_problem(ev[f]))]
    oblasts = ev["oblasts"]
    if not isinstance(oblasts, list) or oblasts != sorted(set(oblasts)):
        out.append("oblasts: must be a sorted list without repeats")
    else:
        out += [
            f"oblasts: {o!r} is not a gazetteer region name" for o in oblasts if o not in OBLASTS
        ]
    places = ev["places"]
    if not isinstance(places, list) or len(places) != len(set(places)):
        return [*out, "places: must be a list without repeats"]
    gaz = load_gazetteer()
    for place in places:
        try:
            i = gaz.find(place)
        except Exception as exc:  # NotFoundError: the spelling is not the gazetteer's
            out.append(f"places: {exc}")
            continue
        if str(gaz.name[i]) != place:
            out.append(f"places: {place!r} is spelled {str(gaz.name[i])!r} in the gazetteer")
        elif str(gaz.admin1[i]) not in oblasts:
            out.append(f"oblasts: lacks {str(gaz.admin1[i])!r}, the region of {place!r}")
    return out


def unsupported_notes(passage: dict[str, Any]) -> list[str]:
    """Exact gold figures of 10 or more whose digits are not in the text (for a person)."""
    digits = {int(m.replace(",", "")) for m in re.findall(r"\d[\d,]*", passage["text"])}
    notes = []
    for n, ev in enumerate(passage["events"], 1):
        values = [
            (f"{g}.{k}", ev[g][k]) for g in ("launched", "destroyed", "hit") for k in WEAPON_KEYS
        ]
        values += [(f, ev[f]) for f in FIGURES]
        for field, value in values:
            if isinstance(value, int) and value >= 10 and value not in digits:
                notes.append(f"event {n} {field}: {value} not written in digits")
    return notes


def check(path: Path) -> tuple[list[str], list[str], Counter[tuple[str, str, str]]]:
    """(problems, notes, counts of passages and events per split and language)."""
    problems: list[str] = []
    notes: list[str] = []
    counts: Counter[tuple[str, str, str]] = Counter()
    ids: set[str] = set()
    for row, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        where = f"{path.name}:row {row}"
        try:
            passage = json.loads(line)
        except ValueError as exc:
            problems.append(f"{where}: not JSON ({exc})")
            continue
        if not isinstance(passage, dict) or set(passage) != PASSAGE_KEYS:
            problems.append(f"{where}: keys must be exactly {sorted(PASSAGE_KEYS)}")
            continue
        if passage["id"] in ids:
            problems.append(f"{where}: id: {passage['id']!r} repeats an earlier row")
        ids.add(passage["id"])
        if passage["split"] not in SPLITS or passage["lang"] not in LANGS:
            problems.append(f"{where}: split/lang: must be one of {SPLITS} / {LANGS}")
        if not isinstance(passage["text"], str) or not passage["text"].strip():
            problems.append(f"{where}: text: must be non-empty")
        if not isinstance(passage["why"], str) or not passage["why"].strip():
            problems.append(f"{where}: why: must say what the passage tests")
        try:
            published = _date(passage["published"])
        except (TypeError, ValueError):
            problems.append(f"{where}: published: {passage['published']!r} is not YYYY-MM-DD")
            published = None
        if not isinstance(passage["events"], list):
            problems.append(f"{where}: events: must be a list")
            continue
        wrong = [
            f"{where}: event {n} {p}"
            for n, ev in enumerate(passage["events"], 1)
            for p in event_problems(ev, published)
        ]
        problems += wrong
        if not wrong:  # the notes read every key, so only of well-formed events
            notes += [f"{where} ({passage['id']}): {n}" for n in unsupported_notes(passage)]
        counts[(passage["split"], passage["lang"], "passages")] += 1
        counts[(passage["split"], passage["lang"], "events")] += len(passage["events"])
    return problems, notes, counts


def main(argv: list[str]) -> int:
    path = Path(argv[0]) if argv else DEFAULT
    problems, notes, counts = check(path)
    for line in problems:
        print("ERROR", line)
    for line in notes:
        print("note ", line)
    for split in SPLITS:
        for lang in LANGS:
            p, e = counts[(split, lang, "passages")], counts[(split, lang, "events")]
            print(f"{split:4} {lang}: {p:3} passages, {e:3} events")
    total = sum(v for (_, _, what), v in counts.items() if what == "passages")
    print(f"total: {total} passages, {len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
