"""``ceasefire hotline ...``: the hotline from a terminal (see :mod:`ceasefire.hotline.rules`).

The commands work on the database directly, as the operator at the mechanism's terminal: each
speaks as the address given with ``--as`` (a party code, ``mission`` or ``mediator``) and sees
what that address sees, as the API would show it: the address is a caller
(:func:`ceasefire.publish.access.address_principal`) and the same policy decides. Thin, as the
rest of the CLI: one library call per command; errors reach the one handler in
:mod:`ceasefire.cli.app`.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from rich import box
from rich.table import Table

from ceasefire.cli._common import (
    DEFAULT_DB,
    AgreementOpt,
    DbOpt,
    Group,
    JsonOpt,
    load_agreement,
    out,
    parse_time,
    print_json,
)
from ceasefire.errors import InputError, NotFoundError, Problem
from ceasefire.hotline import rules as hotline
from ceasefire.hotline import sending
from ceasefire.ids import check_id
from ceasefire.publish.access import (
    Principal,
    address_principal,
    hotline_scope,
    may_read_message,
    progress_scope,
)
from ceasefire.vocab import MEDIATOR, MISSION

hotline_app = typer.Typer(
    cls=Group,
    help="The hotline: notifications, queries, requests, line checks, deadlines.\n\n"
    "Example: ceasefire hotline inbox --as UA --state overdue --db var/demo.db",
    no_args_is_help=True,
    rich_markup_mode=None,
)

AsOpt = Annotated[
    str, typer.Option("--as", help="Speak as this address: a party code, mission or mediator.")
]
NowOpt = Annotated[
    str | None,
    typer.Option("--now", help="The time to act at (ISO 8601 with offset; default: now)."),
]


def _now(value: str | None) -> datetime:
    return parse_time(value, "--now") or datetime.now(UTC)


def _speaker(address: str, parties: Any) -> Principal:
    """Who ``--as`` speaks as (InputError for an address that is no one's)."""
    principal = address_principal(address, tuple(parties))
    if principal is None:
        known = (*parties, MISSION, MEDIATOR)
        raise InputError(Problem("options", "--as", f"must be one of {', '.join(known)}"))
    return principal


@hotline_app.command("inbox")
def inbox(
    as_: AsOpt,
    state: Annotated[
        str | None, typer.Option(help=f"Only this state: {', '.join(hotline.STATES)}.")
    ] = None,
    kind: Annotated[str | None, typer.Option(help="Only this kind of message.")] = None,
    thread: Annotated[str | None, typer.Option(help="Only this thread.")] = None,
    order: Annotated[
        str,
        typer.Option(
            help="owed: what the address still owes first, by deadline, then the rest newest "
            "first; stored: the order they were stored."
        ),
    ] = "owed",
    limit: Annotated[int, typer.Option(help="At most this many.")] = 50,
    db: DbOpt = DEFAULT_DB,
    agreement: AgreementOpt = None,
    now: NowOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """The messages an address sent or received (all of them for mission and mediator), with
    their state and deadlines: what it owes first, the nearest deadline on top.

    Example: ceasefire hotline inbox --as UA --state open --db var/demo.db
    """
    from ceasefire.store.facade import Store

    parties = load_agreement(agreement).parties
    speaker = _speaker(as_, parties)
    scope = hotline_scope(speaker)
    if state is not None and state not in hotline.STATES:
        raise InputError(
            Problem("options", "--state", f"must be one of {', '.join(hotline.STATES)}")
        )
    if kind is not None and kind not in hotline.KINDS:
        raise InputError(Problem("options", "--kind", f"must be one of {', '.join(hotline.KINDS)}"))
    if order not in hotline.ORDERS:
        raise InputError(
            Problem("options", "--order", f"must be one of {', '.join(hotline.ORDERS)}")
        )
    moment = _now(now)
    with Store.open(db, create=False) as store:
        found = store.hotline_messages(
            moment, address=scope, state=state, kind=kind, thread=thread, limit=limit, order=order
        )
    # Each message with the replies the speaker may know of: a party its own only.
    shown = [m.to_dict(progress_scope(speaker, m.message)) for m in found]
    if as_json:
        print_json(shown)
        return
    title = f"hotline: {as_} ({len(found)} shown; due: day and time, UTC)"
    out.print(_inbox_table(title, as_, found, shown, out.width))


#: Kinds as the inbox table writes them, to leave the subject room at 80 columns (JSON and
#: the API give the kind itself).
_SHORT_KINDS = {"notification": "notice", "acknowledgement": "ack", "line_check": "line check",
                "line_check_reply": "check reply", "agenda_item": "agenda"}  # fmt: skip
#: Room for an id before it folds: every id the mechanism makes, and most a caller chooses.
_ID_ROOM = 40


def _inbox_table(
    title: str, address: str, found: list[Any], shown: list[dict[str, Any]], width: int
) -> Table:
    """The inbox as a table that reads at 80 columns (``width``): the id whole on one line (it
    is what ``ack`` and ``answer`` take; only one longer than :data:`_ID_ROOM` folds, every
    character still shown), the kind over the state and the other side over the next
    deadline in two narrow columns, and the subject wrapped in what room is left.

    The widths are set here rather than left to rich, which shrinks every column alike when
    the table is too wide and so splits ids and words mid-way."""
    rows = []
    for m, view in zip(found, shown, strict=True):
        msg, state = m.message, view["state"]
        due = msg.answer_due if view["acknowledged_at"] else msg.ack_due
        # A message the address sent shows whom to; one it received, from whom.
        other = ", ".join(msg.recipients) if msg.sender == address else msg.sender
        when = due.strftime("%d %H:%M") if due and state not in ("answered", None) else ""
        rows.append((msg.id, f"{_SHORT_KINDS.get(msg.kind, msg.kind)}\n{state or '-'}",
                     f"{other}\n{when}".rstrip(), msg.subject))  # fmt: skip
    heads = ("id", "kind\nstate", "with\ndue", "subject")

    def room(i: int, cap: int) -> int:
        lines = [line for r in (heads, *rows) for line in r[i].split("\n")]
        return min(max(len(line) for line in lines), cap)

    widths = [room(0, _ID_ROOM), room(1, 12), room(2, 9)]
    subject = max(12, width - sum(widths) - 2 * len(widths))
    table = Table(
        title=title, box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False, padding=(0, 1, 0, 0)
    )
    for head, w in zip(heads, (*widths, subject), strict=True):
        table.add_column(head, width=w, overflow="fold")
    for row in rows:
        table.add_row(*row)
    return table


@hotline_app.command("send")
def send(
    as_: AsOpt,
    kind: Annotated[str, typer.Option(help="query, request or agenda_item.")],
    to: Annotated[list[str], typer.Option("--to", help="A recipient (repeat for more).")],
    subject: Annotated[str, typer.Option(help="One line.")] = "",
    text: Annotated[str, typer.Option(help="The message.")] = "",
    incident: Annotated[str | None, typer.Option(help="The incident it is about.")] = None,
    topic: Annotated[
        str | None, typer.Option(help="A request's topic: access or prior_notification.")
    ] = None,
    place: Annotated[
        str | None, typer.Option(help="A request's place: LON,LAT[,RADIUS_M].")
    ] = None,
    window: Annotated[
        str | None, typer.Option(help="A prior notification's window: FROM/TO (ISO 8601).")
    ] = None,
    message_id: Annotated[
        str | None, typer.Option("--id", help="Your idempotency key (default: a new id).")
    ] = None,
    db: DbOpt = DEFAULT_DB,
    agreement: AgreementOpt = None,
    now: NowOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Send a query, a request or an agenda item; deadlines come from the agreement.

    Example: ceasefire hotline send --as mission --kind request --topic access --to RU
    --place 37.8,48.0,2000 --subject "Patrol to the crossing" --db var/demo.db
    """
    from ceasefire.publish.visibility import Viewer
    from ceasefire.store.facade import Store

    rules = load_agreement(agreement)
    speaker = _speaker(as_, rules.parties)
    draft = sending.Draft(
        kind=kind, recipients=tuple(to), subject=subject, text=text, incident_id=incident,
        topic=topic, place=_place(place), window=_window(window), id=message_id,
    )  # fmt: skip
    moment = _now(now)
    message = sending.compose(draft, as_, moment, rules.hotline, tuple(rules.parties))
    with Store.open(db, create=False) as store:
        # As the API: only an incident the speaker may read (hidden answers as missing).
        if (
            incident is not None
            and Viewer(speaker, store, moment).visible_incident(incident) is None
        ):
            raise InputError(Problem("options", "--incident", f"no incident {incident!r}"))
        ((stored, new),) = store.hotline_send([message], moment)
    shown = stored.to_dict(progress_scope(speaker, stored.message))
    _show(shown, "sent" if new else "sent before (unchanged)", as_json)


def _place(value: str | None) -> dict[str, float] | None:
    if value is None:
        return None
    try:
        numbers = [float(v) for v in value.split(",")]
    except ValueError:
        numbers = []
    if len(numbers) not in (2, 3):
        raise InputError(Problem("options", "--place", "must be LON,LAT or LON,LAT,RADIUS_M"))
    return dict(zip(("lon", "lat", "radius_m"), numbers, strict=False))


def _window(value: str | None) -> dict[str, str] | None:
    if value is None:
        return None
    start, sep, end = value.partition("/")
    if not sep:
        raise InputError(Problem("options", "--window", "must be FROM/TO (ISO 8601 times)"))
    return {"from": start, "to": end}


def _reply(as_: str, message_id: str, kind: str, db: str, agreement: Path | None,
           now: str | None, **fields: Any) -> tuple[dict[str, Any], bool]:  # fmt: skip
    from ceasefire.store.facade import Store

    check_id(message_id, where="arguments", field="MESSAGE_ID", max_length=sending.MAX_MESSAGE_ID)
    speaker = _speaker(as_, load_agreement(agreement).parties)
    moment = _now(now)
    with Store.open(db, create=False) as store:
        found = store.hotline_get([message_id], moment).get(message_id)
        if found is None or not may_read_message(speaker, found.message):
            raise NotFoundError(f"no message {message_id!r}")
        message = sending.reply(found.message, kind, as_, moment, **fields)
        ((stored, new),) = store.hotline_send([message], moment)
    return stored.to_dict(progress_scope(speaker, stored.message)), new


@hotline_app.command("ack")
def ack(
    as_: AsOpt,
    message_ids: Annotated[
        list[str], typer.Argument(help="The messages acknowledged (one or more).")
    ],
    db: DbOpt = DEFAULT_DB,
    agreement: AgreementOpt = None,
    now: NowOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Acknowledge notifications, queries or requests (or answer line checks), all or none:
    each acknowledgement is logged on its own.

    Example: ceasefire hotline ack --as UA sys:n.INC-000001.UA sys:n.INC-000002.UA --db var/demo.db
    """
    from ceasefire.store.facade import Store

    ids = sending.check_ids(message_ids, where="arguments", field="MESSAGE_IDS")
    speaker = _speaker(as_, load_agreement(agreement).parties)
    moment = _now(now)
    with Store.open(db, create=False) as store:
        found = {i: s.message for i, s in store.hotline_get(ids, moment).items()}
        replies = sending.acknowledgements(
            ids, found, as_, moment, lambda m: may_read_message(speaker, m),
            where="arguments", field="MESSAGE_IDS",
        )  # fmt: skip
        done = store.hotline_send(replies, moment)
        after = store.hotline_get(ids, moment)
    records = [after[i].to_dict(progress_scope(speaker, after[i].message)) for i in ids]
    if as_json:
        print_json(records[0] if len(message_ids) == 1 else records)
        return
    if len(records) == 1:
        (record,), ((_, new),) = records, done
        _show(record, "acknowledged" if new else "acknowledged before (unchanged)", False)
        return
    fresh = sum(1 for _, new in done if new)
    out.print(f"acknowledged {fresh} of {len(records)} ({len(records) - fresh} before)")


@hotline_app.command("answer")
def answer(
    as_: AsOpt,
    message_id: Annotated[str, typer.Argument(help="The message answered.")],
    position: Annotated[
        str,
        typer.Option(
            help="accepted, denied, under_investigation; to a request approved or denied."
        ),
    ],
    reasons: Annotated[str | None, typer.Option(help="Why (required for a denial).")] = None,
    text: Annotated[str, typer.Option(help="Anything else to say.")] = "",
    db: DbOpt = DEFAULT_DB,
    agreement: AgreementOpt = None,
    now: NowOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """State a position on a notification, query or request.

    Example: ceasefire hotline answer --as RU sys:n.INC-000002.RU --position denied
    --reasons "No units of ours in that area" --db var/demo.db
    """
    record, _ = _reply(
        as_, message_id, "response", db, agreement, now, position=position, reasons=reasons,
        text=text,
    )  # fmt: skip
    _show(record, "answered", as_json)


@hotline_app.command("metrics")
def metrics(
    party: Annotated[str | None, typer.Option(help="Only this party.")] = None,
    db: DbOpt = DEFAULT_DB,
    now: NowOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Per party and week: time to acknowledge and to answer (median, p90), what is still
    owed, line checks missed, access requests denied and why.

    Example: ceasefire hotline metrics --db var/demo.db
    """
    from ceasefire.hotline.scheduler import metrics_of
    from ceasefire.store.facade import Store

    with Store.open(db, create=False) as store:
        rows = [r for r in metrics_of(store, _now(now)) if party is None or r["party"] == party]
    if as_json:
        print_json(rows)
        return
    # One column per party and week, one row per measure: narrow enough for a terminal.
    table = Table(title="hotline metrics (times in minutes)")
    table.add_column("")
    for r in rows:
        table.add_column(f"{r['party']} {r['week']}", justify="right")
    measures: list[tuple[str, Callable[[dict[str, Any]], object]]] = [
        ("asked (notifications, queries, requests)", lambda r: r["asked"]),
        ("acknowledged: median", lambda r: _m(r["time_to_acknowledge"]["median_min"])),
        ("acknowledged: p90", lambda r: _m(r["time_to_acknowledge"]["p90_min"])),
        ("answered: median", lambda r: _m(r["time_to_answer"]["median_min"])),
        ("answered: p90", lambda r: _m(r["time_to_answer"]["p90_min"])),
        ("not acknowledged, past due", lambda r: r["unacknowledged"]),
        ("not answered, past due", lambda r: r["unanswered"]),
        ("escalated", lambda r: r["escalated"]),
        ("line checks", lambda r: r["line_checks"]),
        ("line checks missed", lambda r: r["line_checks_missed"]),
        ("access requests denied", lambda r: r["access_denied"]),
    ]
    for label, value in measures:
        table.add_row(label, *(str(value(r)) for r in rows))
    out.print(table)
    for r in rows:
        for reason in r["denial_reasons"]:
            out.print(f"{r['party']} {r['week']} denied access: {reason}", soft_wrap=True)


def _m(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}"


@hotline_app.command("tick")
def tick(
    db: DbOpt = DEFAULT_DB,
    agreement: AgreementOpt = None,
    now: NowOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Do what is due now: notify parties of new incidents, send line checks, escalate what is
    overdue (the service does this by itself every few seconds).

    Example: ceasefire hotline tick --db var/demo.db
    """
    from ceasefire.hotline.scheduler import Scheduler
    from ceasefire.store.facade import Store

    with Store.open(db, create=False) as store:
        result = Scheduler(store, load_agreement(agreement)).tick(_now(now))
    if as_json:
        print_json(result.to_dict())
    else:
        out.print(", ".join(f"{k.replace('_', ' ')} {v}" for k, v in result.to_dict().items()))


def _show(record: dict[str, Any], what: str, as_json: bool) -> None:
    if as_json:
        print_json(record)
        return
    out.print(f"{what}: {record['id']} ({record['kind']}, state {record['state'] or '-'})")
    for key in ("ack_due", "answer_due"):
        if record.get(key):
            out.print(f"  {key.replace('_', ' ')}: {record[key]}")
