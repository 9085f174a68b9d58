"""The daily report's hotline section: what the parties owed for the day's asking messages,
as of the cutoff, and the access requests denied.

A reply made after the cutoff is not yet a reply: the report of a day says what was known at
its cutoff, and says the same when rebuilt later from the same checkpoint.
"""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from ceasefire.hotline.rules import ASKING, Message, Progress, owers
from ceasefire.publish.access import Principal, may_read_message
from ceasefire.report.records import Replayed
from ceasefire.report.scope import utc_text
from ceasefire.vocab import MEDIATOR, MISSION


def _minutes(values: list[float]) -> float | None:
    return None if not values else round(statistics.median(values), 1)


def _seen(moment: datetime | None, cutoff: datetime) -> datetime | None:
    """A reply as of the cutoff: one made later is not made yet."""
    return moment if moment is not None and moment <= cutoff else None


def _denials(messages: Sequence[Message], span: tuple[datetime, datetime]) -> list[dict[str, Any]]:
    """Access requests denied in the day, with who denied, where and why."""
    by_id = {m.id: m for m in messages}
    out = []
    for m in messages:
        asked = by_id.get(m.in_reply_to or "")
        if (
            m.kind != "response"
            or m.position != "denied"
            or asked is None
            or asked.kind != "request"
            or asked.topic != "access"
            or not span[0] <= m.sent_at < span[1]
        ):
            continue
        place = asked.place
        out.append(
            {
                "at": utc_text(m.sent_at),
                "by": m.sender,
                "place": None
                if not place
                else f"{float(place['lat']):.3f} N {float(place['lon']):.3f} E",
                "reason": m.reasons or "",
            }
        )
    return sorted(out, key=lambda r: (r["at"], r["by"], r["place"] or ""))


def hotline_section(
    replayed: Replayed, caller: Principal, span: tuple[datetime, datetime]
) -> dict[str, Any]:
    """The day's hotline as of the cutoff (see the module docstring); a party's of the
    messages it may read and its own replies; nothing for the public, which has no part."""
    n: Counter[str] = Counter()
    ack: list[float] = []
    answer: list[float] = []
    messages = [] if caller.role == "public" else [
        m for m in replayed.messages if may_read_message(caller, m)
    ]  # fmt: skip
    cutoff = span[1]
    for m in messages:
        if m.kind not in ASKING or not span[0] <= m.sent_at < span[1]:
            continue
        if m.kind == "notification":
            n["notifications"] += 1
        got = replayed.progress.get(m.id, {})
        for party in owers(m):
            if party in (MISSION, MEDIATOR) or (caller.party and party != caller.party):
                continue
            p = got.get(party, Progress())
            acked, answered = _seen(p.acknowledged_at, cutoff), _seen(p.answered_at, cutoff)
            if acked is not None:
                n["acknowledged"] += 1
                ack.append((acked - m.sent_at).total_seconds() / 60)
            if answered is not None:
                n["answered"] += 1
                answer.append((answered - m.sent_at).total_seconds() / 60)
            late_ack = acked is None and m.ack_due is not None and cutoff > m.ack_due
            late_answer = answered is None and m.answer_due is not None and cutoff > m.answer_due
            if late_ack or late_answer:
                n["overdue"] += 1
            if p.level > 0:
                n["escalations"] += 1
    return {
        **{
            k: n[k] for k in ("notifications", "acknowledged", "answered", "overdue", "escalations")
        },
        "median_minutes_to_acknowledge": _minutes(ack),
        "median_minutes_to_answer": _minutes(answer),
        "access_denied": _denials(messages, span),
    }
