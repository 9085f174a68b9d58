"""How well and how fast the extractor reads its labelled passages (issue 19).

Scores ``ceasefire.extract`` on ``benchmarks/data/extract_passages.jsonl`` (the project's own
passages with hand-written events; ``split`` "test" ones were written apart and not tuned on),
field by field, as the UCDP-AEC evaluation does:

* numbers: every number field of an event (``launched``/``destroyed``/``hit`` per weapon,
  locations, regions, explosions, killed, injured, people affected, violations) that the gold
  event gives, exact match (an interval must match both ends);
* unsupported numbers: a number proposed where the text gives none (the gold field is null, or
  the whole proposed event is not in the gold, and no gold event of the passage has that
  number in that field), which must be 0; misplaced numbers: a figure the text does give,
  proposed in another event than the gold one (the event it belongs to counts it as a miss);
* dates: exact match (``null`` included) per gold event;
* oblasts: set F1 over all gold and proposed events;
* events found: gold events matched, and proposed events with no gold one.

Proposed events are matched to gold ones within a passage by the most fields in common.
Speed is passages per second on one core, the whole set read ``--repeat`` times.

    python benchmarks/extract.py [--data FILE...] [--split dev|test|...|all] [--show-errors]
                                 [--repeat 20]

``--data`` defaults to every ``benchmarks/data/extract_passages*.jsonl``.

Targets (issue 19): numbers >= 0.9, unsupported 0, dates >= 0.9, oblasts F1 >= 0.9,
>= 200 passages/s.
"""

from __future__ import annotations

import argparse
import json
import time
from collections import defaultdict
from datetime import date
from pathlib import Path
from typing import Any

from ceasefire.extract import extract
from ceasefire.extract.model import FIGURES, WEAPON_KEYS

DATA = sorted((Path(__file__).parent / "data").glob("extract_passages*.jsonl"))
NUMBERS = [f"{role}.{key}" for role in ("launched", "destroyed", "hit") for key in WEAPON_KEYS]
NUMBERS += list(FIGURES)


def value(event: dict[str, Any], name: str) -> Any:
    if "." in name:
        role, key = name.split(".")
        return event[role][key]
    return event[name]


def similarity(gold: dict[str, Any], proposed: dict[str, Any]) -> int:
    same = sum(
        1 for n in NUMBERS if value(gold, n) is not None and value(gold, n) == value(proposed, n)
    )
    same += 2 * (gold["date"] == proposed["date"]) + (gold["kind"] == proposed["kind"])
    same += 2 * (gold["perpetrator"] == proposed["perpetrator"])
    return same + len(set(gold["oblasts"]) & set(proposed["oblasts"]))


def match(gold: list[dict[str, Any]], proposed: list[dict[str, Any]]) -> list[tuple[int, int]]:
    pairs = sorted(
        ((similarity(g, p), i, j) for i, g in enumerate(gold) for j, p in enumerate(proposed)),
        reverse=True,
    )
    used_g: set[int] = set()
    used_p: set[int] = set()
    out = []
    for _, i, j in pairs:
        if i not in used_g and j not in used_p:
            used_g.add(i)
            used_p.add(j)
            out.append((i, j))
    return out


class Score:
    def __init__(self) -> None:
        self.c: dict[str, int] = defaultdict(int)
        self.errors: list[str] = []

    def add(self, row: dict[str, Any], proposed: list[dict[str, Any]]) -> None:
        gold = row["events"]
        pairs = match(gold, proposed)
        # every figure the text gives, by its gold events: a proposed figure among them (the same
        # field, the same number) is supported by the text even where it is put in another event
        # ("misplaced")
        given = [
            f"{n}={json.dumps(value(g, n))}"
            for g in gold
            for n in NUMBERS
            if value(g, n) is not None
        ]
        c = self.c
        c["passages"] += 1
        c["gold_events"] += len(gold)
        c["proposed_events"] += len(proposed)
        c["matched_events"] += len(pairs)
        matched_g = {i for i, _ in pairs}
        matched_p = {j for _, j in pairs}
        for i, g in enumerate(gold):
            p = proposed[dict(pairs)[i]] if i in matched_g else None
            for n in NUMBERS:
                want = value(g, n)
                got = None if p is None else value(p, n)
                if want is not None:
                    c["numbers"] += 1
                    c["numbers_exact"] += got == want
                    if got != want:
                        self.errors.append(f"{row['id']} {n}: want {want}, got {got}")
                elif got is not None:
                    self._stray(row, n, got, given)
            c["dates"] += 1
            got_date = None if p is None else p["date"]
            c["dates_exact"] += got_date == g["date"]
            if got_date != g["date"]:
                self.errors.append(f"{row['id']} date: want {g['date']}, got {got_date}")
            c["kinds"] += 1
            c["kinds_exact"] += p is not None and p["kind"] == g["kind"]
            c["perpetrators"] += 1
            c["perpetrators_exact"] += p is not None and p["perpetrator"] == g["perpetrator"]
            if p is not None and p["perpetrator"] != g["perpetrator"]:
                self.errors.append(
                    f"{row['id']} perpetrator: want {g['perpetrator']}, got {p['perpetrator']}"
                )
            want_o, got_o = set(g["oblasts"]), set([] if p is None else p["oblasts"])
            c["oblast_tp"] += len(want_o & got_o)
            c["oblast_fn"] += len(want_o - got_o)
            c["oblast_fp"] += len(got_o - want_o)
            if want_o != got_o:
                self.errors.append(
                    f"{row['id']} oblasts: want {sorted(want_o)}, got {sorted(got_o)}"
                )
        for j, p in enumerate(proposed):
            if j in matched_p:
                continue
            extra = [n for n in NUMBERS if value(p, n) is not None]
            for n in extra:
                self._stray(row, n, value(p, n), given)
            c["oblast_fp"] += len(p["oblasts"])
            self.errors.append(f"{row['id']} extra event {p['kind']} {p['date']} {extra}")
        for i in set(range(len(gold))) - matched_g:
            self.errors.append(f"{row['id']} missed event {gold[i]['kind']} {gold[i]['date']}")

    def _stray(self, row: dict[str, Any], name: str, got: Any, given: list[str]) -> None:
        """A number proposed where the gold event has none: unsupported when the text gives no
        such number at all, else misplaced (and a miss of the field it belongs to)."""
        kind = "misplaced" if f"{name}={json.dumps(got)}" in given else "unsupported"
        self.c[kind] += 1
        self.errors.append(f"{row['id']} {name}: {kind} {got}")

    def summary(self, name: str) -> dict[str, Any]:
        c = self.c
        tp, fp, fn = c["oblast_tp"], c["oblast_fp"], c["oblast_fn"]
        f1 = 2 * tp / (2 * tp + fp + fn) if tp + fp + fn else 1.0
        return {
            "set": name,
            "passages": c["passages"],
            "gold_events": c["gold_events"],
            "proposed_events": c["proposed_events"],
            "matched_events": c["matched_events"],
            "numbers": c["numbers"],
            "numbers_exact": round(c["numbers_exact"] / max(1, c["numbers"]), 4),
            "unsupported_numbers": c["unsupported"],
            "misplaced_numbers": c["misplaced"],
            "dates_exact": round(c["dates_exact"] / max(1, c["dates"]), 4),
            "oblasts_f1": round(f1, 4),
            "kind_exact": round(c["kinds_exact"] / max(1, c["kinds"]), 4),
            "perpetrator_exact": round(c["perpetrators_exact"] / max(1, c["perpetrators"]), 4),
        }


def proposals(row: dict[str, Any]) -> list[dict[str, Any]]:
    published = date.fromisoformat(row["published"]) if row["published"] else None
    return extract(row["text"], published=published).to_json()["events"]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--data", type=Path, nargs="+", default=DATA)
    ap.add_argument("--split", default="all", help="dev, test, ... or all")
    ap.add_argument("--show-errors", action="store_true")
    ap.add_argument("--repeat", type=int, default=20)
    args = ap.parse_args()
    rows = [
        json.loads(line)
        for path in args.data
        for line in path.read_text(encoding="utf-8").splitlines()
        if line
    ]
    if args.split != "all":
        rows = [r for r in rows if r["split"] == args.split]
    scores: dict[str, Score] = defaultdict(Score)
    proposals(rows[0])  # the gazetteer's index is built once per process: not the passages' time
    for row in rows:
        got = proposals(row)
        for name in ("all", f"split {row['split']}", f"lang {row['lang']}"):
            scores[name].add(row, got)
    for name in sorted(scores, key=lambda n: (n != "all", n)):
        print(json.dumps(scores[name].summary(name)))
    if args.show_errors:
        for line in scores["all"].errors:
            print("  ", line)
    started = time.perf_counter()
    for _ in range(args.repeat):
        for row in rows:
            proposals(row)
    elapsed = time.perf_counter() - started
    rate = args.repeat * len(rows) / elapsed
    print(json.dumps({"benchmark": "extract speed", "passages": args.repeat * len(rows),
                      "seconds": round(elapsed, 3), "passages_per_s": round(rate, 1)}))  # fmt: skip


if __name__ == "__main__":
    main()
