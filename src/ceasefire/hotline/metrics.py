"""Hotline metrics: how fast each party acknowledges and answers, what it missed, per ISO week."""

from __future__ import annotations

import math
import statistics
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from ceasefire.hotline.rules import ASKING, Message, Progress, missed_line_check, owers
from ceasefire.vocab import MEDIATOR, MISSION

# -- metrics -------------------------------------------------------------------------------------


def iso_week(moment: datetime) -> str:
    year, week, _ = moment.astimezone(UTC).isocalendar()
    return f"{year}-W{week:02d}"


def _minutes(values: Sequence[float]) -> dict[str, float | None]:
    if not values:
        return {"n": 0, "median_min": None, "p90_min": None}
    ordered = sorted(values)
    # p90 as the nearest rank: a value that was really observed, as a duty officer expects.
    rank = max(1, math.ceil(0.9 * len(ordered)))
    return {
        "n": len(ordered),
        "median_min": round(statistics.median(ordered), 1),
        "p90_min": round(ordered[rank - 1], 1),
    }


def metrics(
    messages: Iterable[Message],
    progress: Mapping[str, Progress | Mapping[str, Progress]],
    now: datetime,
) -> list[dict[str, Any]]:
    """Per party and ISO week (of the asking message): time to acknowledge and to answer
    (median and p90 in minutes), how many are still owed, line checks sent and missed, access
    requests denied and their reasons.

    ``progress`` gives, by message id, what each recipient sent back (recipient ->
    :class:`Progress`): a party is rated on its own replies only. A single ``Progress`` stands
    for every recipient."""
    rows: dict[tuple[str, str], dict[str, Any]] = {}
    by_id: dict[str, Message] = {}
    answers: list[Message] = []
    for m in messages:
        by_id[m.id] = m
        if m.kind == "response":
            answers.append(m)

    def row(party: str, week: str) -> dict[str, Any]:
        return rows.setdefault(
            (party, week),
            {"party": party, "week": week, "_ack": [], "_answer": [], "asked": 0,
             "unacknowledged": 0, "unanswered": 0, "escalated": 0, "line_checks": 0,
             "line_checks_missed": 0, "access_denied": 0, "denial_reasons": []},
        )  # fmt: skip

    for m in by_id.values():
        if m.kind not in ASKING and m.kind != "line_check":
            continue
        got = progress.get(m.id, Progress())
        # What the parties among the recipients owe; the mission and the mediator are not rated.
        for party in (r for r in owers(m) if r not in (MISSION, MEDIATOR)):
            p = got if isinstance(got, Progress) else got.get(party, Progress())
            r = row(party, iso_week(m.sent_at))
            if m.kind == "line_check":
                r["line_checks"] += 1
                if missed_line_check(m, p, now):
                    r["line_checks_missed"] += 1
                continue
            r["asked"] += 1
            if p.acknowledged_at is not None:
                r["_ack"].append((p.acknowledged_at - m.sent_at).total_seconds() / 60)
            elif m.ack_due is not None and now > m.ack_due:
                r["unacknowledged"] += 1
            if p.answered_at is not None:
                r["_answer"].append((p.answered_at - m.sent_at).total_seconds() / 60)
            elif m.answer_due is not None and now > m.answer_due:
                r["unanswered"] += 1
            if p.level > 0:
                r["escalated"] += 1
    for a in answers:
        asked = by_id.get(a.in_reply_to or "")
        if asked is None or asked.kind != "request" or asked.topic != "access":
            continue
        if a.position == "denied":
            r = row(a.sender, iso_week(asked.sent_at))
            r["access_denied"] += 1
            r["denial_reasons"].append(a.reasons or "")
    out = []
    for key in sorted(rows):
        r = rows[key]
        ack, answer = r.pop("_ack"), r.pop("_answer")
        r["time_to_acknowledge"] = _minutes(ack)
        r["time_to_answer"] = _minutes(answer)
        out.append(r)
    return out
