"""The demo's hotline: two days of traffic after the simulated night, on a simulated clock.

The scheduler (:class:`ceasefire.hotline.scheduler.Scheduler`) runs exactly as in the
service, tick by tick from the morning after the night; between ticks, simulated liaison
officers of each party acknowledge and answer what they were sent, each at its own pace and
reliability (seeded, so every demo is the same), reply to most line checks, and the mission
asks each party for access for a patrol. What they leave undone escalates on time. The metrics
(``ceasefire hotline metrics``) then have something true to say.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from ceasefire.agreement.model import Agreement
from ceasefire.hotline import sending
from ceasefire.hotline.rules import Message
from ceasefire.hotline.scheduler import HotlineConfig, Scheduler, TickResult
from ceasefire.hotline.sending import Draft
from ceasefire.store.facade import Store
from ceasefire.vocab import MISSION


@dataclass(frozen=True)
class Liaison:
    """How a party's duty officer behaves: the share of messages acknowledged and answered,
    the delays (minutes), the share of line checks answered, and how it tends to answer."""

    acknowledges: float
    ack_minutes: tuple[float, float]
    answers: float
    answer_hours: tuple[float, float]
    line_checks: float
    positions: tuple[tuple[str, float], ...]
    denial_reason: str


#: Two officers who differ the way real ones do: one quick and thorough, one slow and sparse.
LIAISONS = {
    "UA": Liaison(0.95, (2, 14), 0.8, (1, 20), 0.95,
                  (("accepted", 0.5), ("under_investigation", 0.3), ("denied", 0.2)),
                  "Our units were not firing in that sector at that time."),
    "RU": Liaison(0.7, (5, 45), 0.45, (4, 30), 0.75,
                  (("denied", 0.6), ("under_investigation", 0.3), ("accepted", 0.1)),
                  "The strike was on a military target; no civilians were present."),
}  # fmt: skip

#: Where the mission asks each party to let a patrol go, and how the party answers.
ACCESS = {
    "UA": ((37.55, 47.95), "approved", None),
    "RU": ((37.95, 47.9), "denied", "Active mine clearance in the area; no access for 72 hours."),
}


def simulate_hotline(
    store: Store, agreement: Agreement, start: datetime, *, hours: int = 48, seed: int = 7
) -> TickResult:
    """Run the hotline hour by hour for ``hours`` from ``start``, with the simulated officers
    answering between ticks; returns the totals of the scheduler's ticks."""
    rng = random.Random(seed)
    scheduler = Scheduler(store, agreement, HotlineConfig())
    total = TickResult()
    planned: list[tuple[datetime, Message]] = []  # replies waiting for their time
    seen: set[str] = set()
    access_sent = False
    for hour in range(hours + 1):
        now = start + timedelta(hours=hour)
        due = sorted((p for p in planned if p[0] <= now), key=lambda p: p[0])
        planned = [p for p in planned if p[0] > now]
        for at, message in due:
            store.hotline_send([message], at)
        tick = scheduler.tick(now)
        for key, value in tick.to_dict().items():
            setattr(total, key, getattr(total, key) + value)
        if not access_sent and hour == 2:
            planned += _access_requests(store, agreement, now)
            access_sent = True
        for stored in store.hotline_messages(now, limit=None, state="open"):
            message = stored.message
            if message.id in seen:
                continue
            seen.add(message.id)
            planned += _replies(rng, message)
    return total


def _replies(rng: random.Random, message: Message) -> list[tuple[datetime, Message]]:
    """What the officer it was sent to does about one message, and when."""
    party = next((r for r in message.recipients if r in LIAISONS), None)
    if party is None:
        return []
    officer = LIAISONS[party]
    if message.kind == "line_check":
        if rng.random() >= officer.line_checks:
            return []
        at = message.sent_at + timedelta(minutes=rng.uniform(*officer.ack_minutes))
        return [(at, sending.reply(message, "acknowledgement", party, at))]
    if message.kind != "notification":
        return []
    out = []
    acked = message.sent_at + timedelta(minutes=rng.uniform(*officer.ack_minutes))
    if rng.random() < officer.acknowledges:
        out.append((acked, sending.reply(message, "acknowledgement", party, acked)))
    if rng.random() < officer.answers:
        at = acked + timedelta(hours=rng.uniform(*officer.answer_hours))
        positions, weights = zip(*officer.positions, strict=True)
        position = rng.choices(positions, weights)[0]
        reasons = officer.denial_reason if position == "denied" else None
        out.append((at, sending.reply(message, "response", party, at, position=position,
                                      reasons=reasons, message_id=f"{message.id}.res")))  # fmt: skip
    return out


def _access_requests(
    store: Store, agreement: Agreement, now: datetime
) -> list[tuple[datetime, Message]]:
    """The mission asks each party to let a patrol reach a place; the answers are planned."""
    out = []
    for party, ((lon, lat), position, reasons) in ACCESS.items():
        draft = Draft(
            kind="request",
            recipients=(party,),
            subject=f"Patrol access near {lat:.2f} N {lon:.2f} E",
            text="A mission patrol asks to reach the site of last night's strikes tomorrow "
            "between 08:00 and 14:00 local time.",
            topic="access",
            place={"lon": lon, "lat": lat, "radius_m": 3000.0},
            id=f"demo-access-{party}",
        )
        request = sending.compose(draft, MISSION, now, agreement.hotline,
                                  tuple(agreement.parties))  # fmt: skip
        store.hotline_send([request], now)
        at = now + timedelta(minutes=40)
        out.append((at, sending.reply(request, "acknowledgement", party, at)))
        answered = now + timedelta(hours=3)
        out.append((answered, sending.reply(request, "response", party, answered,
                                            position=position, reasons=reasons)))  # fmt: skip
    return out


def summary(store: Store, now: datetime) -> list[str]:
    """Lines for the demo's summary: messages by kind and state, and who owes what."""
    stored = store.hotline_messages(now, limit=None)
    kinds: dict[str, int] = {}
    states: dict[str, int] = {}
    for s in stored:
        kinds[s.message.kind] = kinds.get(s.message.kind, 0) + 1
        if s.state is not None:
            states[s.state] = states.get(s.state, 0) + 1
    shown: dict[str, Any] = {"kinds": kinds, "states": states}
    return [
        f"hotline: {len(stored)} messages; "
        + ", ".join(f"{k} {v}" for k, v in sorted(shown["kinds"].items())),
        "hotline states: " + ", ".join(f"{k} {v}" for k, v in sorted(shown["states"].items())),
    ]
