"""Reading one sentence: its figures (a quantity, the noun it counts, what happened to it),
its date, who attacked and the places hit (docs/extract.md).

:func:`read_sentence` gives a :class:`Sentence`; :mod:`ceasefire.extract.events` groups the
sentences of a text into events and settles each field's figure. What earlier sentences leave
for later ones ("352 of them", "the nine injured") travels in a :class:`Context`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Final

from ceasefire.counts import Count, approximately
from ceasefire.extract.language import Language
from ceasefire.extract.numbers import Quantity
from ceasefire.extract.places import Place
from ceasefire.extract.text import distance

#: How far (in :func:`~ceasefire.extract.text.distance` units) a role word may stand from
#: the quantity it tells about.
_REACH: Final = 140


@dataclass(slots=True)
class Figure:
    """One counted thing of a sentence."""

    field: str  # "launched.drones", "killed", "explosions", ...
    count: Count
    start: int
    end: int
    sentence: int
    has_place: bool = False
    where: frozenset[str] = frozenset()  # the places its clause names
    additive: bool = False
    part: bool = False  # a typed part of a total ("including 9 Iskander-M")


@dataclass(slots=True)
class Sentence:
    lang: Language
    index: int
    start: int
    end: int
    date: date | None = None
    date_span: tuple[int, int] | None = None
    back: int = 0  # "a day earlier": days before the date spoken of last
    has_time: bool = False
    party: str | None = None
    party_span: tuple[int, int] | None = None
    places: list[Place] = field(default_factory=list)
    figures: list[Figure] = field(default_factory=list)
    strike: bool = False


def read_sentence(
    lang: Language,
    t: str,
    index: int,
    start: int,
    end: int,
    published: date | None,
    qs: list[Quantity],
    ctx: Context,
) -> Sentence:
    lx = lang.lx
    s = Sentence(lang, index, start, end, strike=lx.STRIKE.search(t, start, end) is not None)
    period = lang.period.search(t, start, end)
    cues = lang.date_cues(t, start, end, published)
    other = period is not None and not lx.COMPARED.search(t, start, period.start())
    # A sentence with no time and no place of its own goes on about the period before it: "In
    # June the enemy launched 5,337 drones ... Defence forces destroyed 4,610 of them."
    ctx.elsewhen = other or (ctx.elsewhen and not cues and not lang.places(t, start, end))
    if ctx.elsewhen:
        # another period's figures are not this period's; who attacked still reads on
        s.party, s.party_span = _party(lx, t, start, end)
        s.strike = False
        return s
    s.has_time = bool(cues)
    resolved = [c for c in cues if c.date is not None]
    if resolved:
        s.date, s.date_span = resolved[0].date, (resolved[0].start, resolved[0].end)
    elif any(c.back for c in cues):
        earlier = next(c for c in cues if c.back)
        s.back, s.date_span = earlier.back, (earlier.start, earlier.end)
    s.party, s.party_span = _party(lx, t, start, end)
    s.places = lang.places(t, start, end)
    date_spans = [(c.start, c.end) for c in cues]
    inside = [
        q for q in qs if start <= q.start < end and not any(a <= q.start < b for a, b in date_spans)
    ]
    _figures(t, s, inside, ctx)
    # A question's verb is the answer's: "How many were shot down? Thirty-eight drones."
    asked = t[start:end].rstrip().endswith("?")
    ctx.asked = _last_role(lx, t, start, end) if asked else None
    return s


def _last_role(lx: Any, t: str, start: int, end: int) -> str | None:
    found = [(m.start(), name) for name, p in lx.ROLES for m in p.finditer(t, start, end)]
    return max(found)[1] if found else None


def _party(lx: Any, t: str, start: int, end: int) -> tuple[str | None, tuple[int, int] | None]:
    best: tuple[int, str, tuple[int, int]] | None = None
    for code, pattern in lx.PARTIES:
        m = pattern.search(t, start, end)
        if m is not None and (best is None or m.start() < best[0]):
            best = (m.start(), code, m.span())
    return (None, None) if best is None else (best[1], best[2])


@dataclass(slots=True)
class Context:
    """What the figures of earlier sentences leave for later ones: the weapon and the people
    last counted (for "352 of them", "Of these, 12 were children") and every count seen (so
    "the nine injured" is not counted again)."""

    weapon: tuple[str, str, Count] | None = None  # (key, role, count)
    people: tuple[str, Count] | None = None
    seen: list[tuple[str, Count]] = field(default_factory=list)
    last: str = ""  # which of the two was counted last: "weapon" or "people"
    asked: str | None = None  # the role a question asked about ("How many were shot down?")
    elsewhen: bool = False  # the sentence before spoke of another period


def _figures(t: str, s: Sentence, qs: list[Quantity], ctx: Context) -> None:
    lx = s.lang.lx
    taken: list[tuple[int, int]] = []
    # The last weapon count of the sentence: its field (None when it was a part) and its end.
    previous: tuple[str | None, int] | None = None
    for q in qs:
        after = t[q.end : min(s.end, q.end + 60)]
        before = t[max(s.start, q.start - 30) : q.start]
        if lx.NOT_COUNT_AFTER.match(after) or lx.NOT_COUNT_BEFORE.search(before):
            continue
        if _elsewhere(t, s, q.start):
            continue  # "compared with 510 in the previous period", "may be trapped"
        if lx.RATE_AFTER.match(t, q.end, s.end):
            continue  # "2,700 drones a month": a rate, not an attack's count
        noun = _noun(lx, t, q.end, s.end)
        part = bool(lx.PART_BEFORE.search(before) or lx.PART_AFTER.match(after))
        if noun is not None and lx.PART_AFTER.match(t, noun[2], s.end):
            part = True  # "11 children were among the injured"
        anaphor = bool(lx.ANAPHOR_AFTER.match(after) or lx.ANAPHOR_BEFORE.search(before))
        if noun is None and lx.HARM_VERB_BEFORE.search(before):
            noun = ("people", q.end, q.end)  # "killing two people and injuring seven"
        toll = lx.DEATH_TOLL.search(t, max(s.start, q.start - 90), q.start)
        if noun is None and toll is not None:
            # "the death toll rose to 14", "the number of injured stood at 117"
            harm = _casualty_word(lx, toll["harm"]) if toll["harm"] else "killed"
            if harm is not None:
                # "rose to 41" is 41, whatever "до" reads as elsewhere ("up to")
                exact = (
                    Count.exact(q.value) if q.value is not None and q.qualifier == "up to" else None
                )
                _add(s, t, harm, q, q.end, count=exact)
                ctx.people, ctx.last = (harm, q.count), "people"
            continue
        if noun is None and not anaphor and lx.LIST_BEFORE.search(before) and lx.BARE.match(after):
            # "17 drones over Belgorod region and nine over Voronezh region": the list goes on
            if previous is not None and q.start - previous[1] < 80:
                # a part continues a list of parts; "58 drones: 31 over ..., 17 over ..." lists
                # the parts of its total
                if previous[0] is not None and ":" not in t[previous[1] : q.start]:
                    _continue_list(t, s, q, previous[0])
                    previous = (previous[0], q.end)
                else:
                    previous = (None, q.end)
            continue
        if noun is None:
            if not anaphor:
                continue
            noun = _inherited(ctx, q.end)
            if noun is None:
                continue
        kind, noun_start, noun_end = noun
        if noun_start == noun_end:  # no noun: the words that say what happened are the evidence
            table = lx.ROLES if kind in ("drones", "missiles") else lx.HARM
            noun_end = _cue_end(t, s, q.end, table) or noun_end
            noun_start = noun_end
        phrase = t[q.start : noun_end]
        taken.append((q.start, noun_end))
        count = q.count
        reference = bool(lx.REFERENCE_BEFORE.search(before))
        if kind in ("drones", "missiles"):
            role = _nearest(t, s, q.start, noun_end, lx.ROLES) or ctx.asked or "launched"
            if lx.OF_TOTAL_BEFORE.search(before):
                role = "launched"  # "4 of the 6 missiles fired", "48 of 76 drones": the total
            elif lx.OF_THE_TOTAL.match(t, q.end, noun_end):
                # "Three of the five missiles launched hit": the participle is the total's
                others = [(name, p) for name, p in lx.ROLES if name != "launched"]
                role = _nearest(t, s, q.start, noun_end, others) or role
            if lx.WITH_BEFORE.search(before) and not _cue_right_after(t, s, noun_end, lx.ROLES):
                role = "launched"  # "attacked Ukraine with 176 drones"
            typed = not anaphor and noun_start < noun_end
            if part and typed and ctx.weapon and not _cue_right_after(t, s, noun_end, lx.ROLES):
                role = ctx.weapon[1]  # "including 12 Iskander-M missiles": of the launched
            if role == "lost" or _negated(t, s, q.start, noun_end):
                continue
            key = _missile_key(lx, phrase) if kind == "missiles" else "drones"
            if _again(ctx, f"{role}.{key}", count, reference):
                continue  # "the 11 drones": the figure again
            if anaphor and ctx.weapon is not None and q.qualifier is not None:
                # "over 30 of them", "at least 7 of the missiles": at most all of them
                total = _total_of(ctx, key) if noun_start < noun_end else ctx.weapon[2]
                count = _bounded(lx, q, total or ctx.weapon[2])
            if part and ctx.weapon is not None and ctx.weapon[1] == role:
                previous = (None, noun_end)
                if key in ("ballistic_missiles", "cruise_missiles"):
                    _add(s, t, f"{role}.{key}", q, noun_end, count=count, part=True)
                continue  # "including 150 Shaheds": a part of the drones already counted
            _add(s, t, f"{role}.{key}", q, noun_end, count=count,
                 additive=_additive(t, s, q.start, noun_end))  # fmt: skip
            previous = (f"{role}.{key}", noun_end)
            if not anaphor:
                ctx.weapon = (key, role, count)
            ctx.last = "weapon"
        elif kind in ("people", "casualty"):
            harm = _nearest(t, s, q.start, noun_end, lx.HARM)
            if kind == "casualty" and harm is None:
                harm = _casualty_word(lx, t[noun_start:noun_end])
            if lx.AMONG_BEFORE.search(t, s.start, q.start):
                part = True  # "Among the injured were a boy and two women"
            if harm is None or (part and ctx.people is not None) or (anaphor and part):
                continue
            if _again(ctx, harm, count, reference):
                continue  # "the nine injured": the figure again
            _add(s, t, harm, q, noun_end, additive=_additive(t, s, q.start, noun_end))
            ctx.people = (harm, count)
            ctx.last = "people"
        elif kind == "explosions":
            _add(s, t, "explosions", q, noun_end)
        elif kind == "violations":
            _add(s, t, "ceasefire_violations", q, noun_end)
        elif kind == "regions":
            if _nearest(t, s, q.start, noun_end, [("hit", lx.LOCATION_HIT), *lx.ROLES[-1:]]):
                _add(s, t, "regions_count", q, noun_end)  # regions attacked, not "outages in"
        elif kind == "locations":
            a, b = _clause(t, s, q.start)
            if not lx.DEBRIS.search(t, a, b) and _nearest(
                t, s, q.start, noun_end, [("hit", lx.LOCATION_HIT)]
            ):
                _add(s, t, "locations_hit", q, noun_end)
    _singles(t, s, taken, ctx)
    s.figures.sort(key=lambda f: f.start)


def _cue_right_after(
    t: str, s: Sentence, at: int, table: list[tuple[str, re.Pattern[str]]]
) -> bool:
    """Whether a cue of ``table`` follows at once: "22 of them hitting", "80 were shot down"."""
    return _cue_end(t, s, at, table) is not None


def _cue_end(t: str, s: Sentence, at: int, table: list[tuple[str, re.Pattern[str]]]) -> int | None:
    """Where the cue of ``table`` that follows at once ends, or ``None``."""
    window = t[at : min(s.end, at + 60)]
    for _, pattern in table:
        m = pattern.search(window)
        # only the rest of a list may stand between: "9 missiles and 42 drones hitting targets"
        if m is not None and _LIST_REST.fullmatch(window[: m.start()]):
            return at + m.end()
    return None


_LIST_REST: Final = re.compile(
    r"(?:\s*(?:,|and)\s+[\d,]+(?:\s+[\w-]+){1,3}?)*\s*(?:of them\s*)?"
    r"(?:were\s+|was\s+|had been\s+|have been\s+)?(?:also\s+)?"
)


def _continue_list(t: str, s: Sentence, q: Quantity, field: str) -> None:
    """A bare number continuing a list of weapon counts: the list's weapon, and the role its
    own words give ("and 11 were lost locally"), else the list's."""
    lx = s.lang.lx
    role = _nearest(t, s, q.start, q.end, lx.ROLES) or field.split(".")[0]
    if role != "lost" and not _negated(t, s, q.start, q.end):
        _add(s, t, f"{role}.{field.split('.')[1]}", q, q.end)


def _again(ctx: Context, name: str, count: Count, reference: bool) -> bool:
    """Whether the figure names one already counted ("the nine injured", "of the 728 drones");
    remembers it. A weapon named again is the one counted before whatever the words around it
    do to it, and it is what "more than 700 of them" then refers to."""
    key = name.split(".")[-1]
    for seen_name, seen_count in ctx.seen if reference else ():
        if seen_count == count and seen_name.split(".")[-1] == key:
            if "." in seen_name:
                ctx.weapon, ctx.last = (key, seen_name.split(".")[0], count), "weapon"
            return True
    ctx.seen.append((name, count))
    return False


def _singles(t: str, s: Sentence, taken: list[tuple[int, int]], ctx: Context) -> None:
    """One person ("a woman was killed"), one weapon ("a Russian drone struck"), and nobody
    ("nobody was killed")."""
    lx = s.lang.lx
    for m in lx.ONE_PERSON.finditer(t, s.start, s.end):
        if any(a <= m.start() < b or m.start() <= a < m.end() for a, b in taken):
            continue
        before = t[max(s.start, m.start() - 40) : m.start()]
        if lx.PART_BEFORE.search(before) or lx.PART_AFTER.match(t[m.end() : s.end]):
            continue  # "including a 12-year-old girl", "a boy was among those hospitalised"
        if lx.AMONG_BEFORE.search(t, s.start, m.start()) or _elsewhere(t, s, m.start()):
            continue
        if re.search(r"\b(?:was|were|is|are) among\b", t[m.end() : _clause(t, s, m.end())[1]]):
            continue
        harm = _nearest(t, s, m.start(), m.end(), lx.HARM)
        if harm in ("killed", "injured") and _named_after(t, s, harm, m.start()):
            continue  # "two were killed: a man of 63 and a woman of 58"
        if harm in ("killed", "injured"):
            taken.append(m.span())
            one = Quantity(m.start(), m.end(), Count.exact(1), 1, None)
            _add(s, t, harm, one, m.end(), additive=_additive(t, s, m.start(), m.end()))
    for m in lx.ONE_OBJECT.finditer(t, s.start, s.end):
        if any(a < m.end() and m.start("object") < b for a, b in taken):
            continue
        if _elsewhere(t, s, m.start()):
            continue
        if lx.NOUNS[0][1].search(m["object"]) or lx.NOUNS[1][1].search(m["object"]):
            continue  # "hitting a drone"
        harm = _casualty_word(lx, m["verb"])
        if harm is not None:
            taken.append(m.span("object"))
            one = Quantity(m.start("object"), m.end(), Count.exact(1), 1, None)
            _add(s, t, harm, one, m.end(), additive=_additive(t, s, m.start(), m.end()))
    for m in lx.ONE_WEAPON.finditer(t, s.start, s.end):
        if any(a <= m.start() < b or m.start() <= a < m.end() for a, b in taken):
            continue
        role = _nearest(t, s, m.start(), m.end(), lx.ROLES)
        article = m["article"].casefold()
        if role is None or role == "lost" or _negated(t, s, m.start(), m.end()):
            continue
        if article == "the" and role != "hit":
            continue  # "the missile was launched from ...": counted where it was introduced
        kind = "drones" if lx.NOUNS[0][1].match(m["noun"]) else "missiles"
        key = _missile_key(lx, m.group()) if kind == "missiles" else "drones"
        one = Quantity(m.start(), m.end(), Count.exact(1), 1, None)
        _add(s, t, f"{role}.{key}", one, m.end(), additive=article == "another")
    for m in lx.NONE_DESTROYED.finditer(t, s.start, s.end):
        key = "drones" if lx.NOUNS[0][1].match(m["noun"]) else "missiles"
        zero = Quantity(m.start(), m.end(), Count.exact(0), 0, None)
        _add(s, t, f"destroyed.{key}", zero, m.end())
    for m in lx.NO_CASUALTIES.finditer(t, s.start, s.end):
        if lx.THERE_AFTER.match(t[m.end() : s.end]):
            continue  # "no one was hurt there": of one place, not of the event
        for harm in ("killed", "injured"):
            _add(s, t, harm, Quantity(m.start(), m.end(), Count.exact(0), 0, None), m.end())
    for m in lx.NONE_RECORDED.finditer(t, s.start, s.end):
        what = "explosions" if m["what"].casefold() == "explosions" else "ceasefire_violations"
        _add(s, t, what, Quantity(m.start(), m.end(), Count.exact(0), 0, None), m.end())
    for m in lx.NOBODY.finditer(t, s.start, s.end):
        if lx.THERE_AFTER.match(t[m.end() : s.end]) or lx.NO_CASUALTIES.search(m.group()):
            continue
        harm = _casualty_word(lx, m.group())
        if harm is not None:
            _add(s, t, harm, Quantity(m.start(), m.end(), Count.exact(0), 0, None), m.end())


def _named_after(t: str, s: Sentence, harm: str, at: int) -> bool:
    """Whether one person at ``at`` is named as one of a count given just before it, after a
    dash, a colon or a parenthesis ("Загинули двоє людей — 63-річний чоловік і 58-річна жінка")."""
    for f in s.figures:
        if f.field == harm and f.end <= at and re.search(r"[-:(]", t[f.end : at]):
            return True
    return False


def _elsewhere(t: str, s: Sentence, at: int) -> bool:
    """Whether the figure at ``at`` is of another period or only feared: its clause compares
    ("compared with 510") or guesses ("may be trapped")."""
    lx = s.lang.lx
    a, b = _clause(t, s, at)
    compared = lx.COMPARED.search(t, s.start, at)
    return bool(
        (compared and not re.search(r"[;]", t[compared.end() : at])) or lx.MODAL.search(t, a, b)
    )


def _negated(t: str, s: Sentence, start: int, end: int) -> bool:
    lx = s.lang.lx
    return bool(lx.NEGATION.match(t, end, min(s.end, end + 30)))


def _total_of(ctx: Context, key: str) -> Count | None:
    """The launched count of ``key`` the text gave last: what "7 of the missiles" is part of."""
    for name, count in reversed(ctx.seen):
        if name == f"launched.{key}":
            return count
    return None


def _bounded(lx: Any, q: Quantity, total: Count) -> Count:
    kind = lx.QUALIFIER_KIND.get(q.qualifier or "")
    return approximately(kind, q.value, total) if q.value is not None else q.count


def _additive(t: str, s: Sentence, start: int, end: int) -> bool:
    """Whether the figure adds to an earlier one: "another man", "two more", "was also"."""
    lx = s.lang.lx
    return bool(lx.ADDITIVE.search(t, start, min(s.end, end + 25)))


def _noun(lx: Any, t: str, at: int, end: int) -> tuple[str, int, int] | None:
    """The noun the quantity ending at ``at`` counts: (kind, start, end), within five words."""
    rest = t[at:end]
    m = re.match(r"\s+(?:of\s+(?:the\s+|these\s+|those\s+|them\s+|which\s+)?)?", rest)
    offset = m.end() if m else 0
    if not m or (offset == 0 and rest):
        return None
    words = list(re.finditer(r"[\w'-]+", rest[offset : offset + 80]))
    for n, w in enumerate(words[:6]):
        piece = rest[offset + w.start() :]
        for kind, pattern in lx.NOUNS:
            hit = pattern.match(piece)
            if hit is not None:
                start = at + offset + w.start()
                return kind, start, start + hit.end()
        if n == 0 and w.group().casefold() == "of":
            continue
        if lx.PHRASE_STOP.match(w.group()) and not (w.group().casefold() == "of" and n > 0):
            return None
        gap = rest[
            offset + w.end() : offset + (words[n + 1].start() if n + 1 < len(words) else w.end())
        ]
        if any(c in gap for c in ",;.:()"):
            return None
    return None


def _inherited(ctx: Context, at: int) -> tuple[str, int, int] | None:
    if ctx.people is not None and ctx.last == "people":
        return "people", at, at
    if ctx.weapon is not None:
        return ("drones" if ctx.weapon[0] == "drones" else "missiles"), at, at
    if ctx.people is not None:
        return "people", at, at
    return None


def _missile_key(lx: Any, phrase: str) -> str:
    if lx.BALLISTIC.search(phrase):
        return "ballistic_missiles"
    if lx.CRUISE.search(phrase):
        return "cruise_missiles"
    return "missiles"


def _nearest(
    t: str, s: Sentence, start: int, end: int, table: list[tuple[str, re.Pattern[str]]]
) -> str | None:
    """The cue of ``table`` nearest the span, within reach."""
    best: tuple[int, str] | None = None
    for name, pattern in table:
        for m in pattern.finditer(t, s.start, s.end):
            if start <= m.start() < end and name != "launched":
                return name  # the cue is inside the phrase ("352 drones shot down")
            if 0 <= start - m.end() <= 2 and not t[m.end() : start].strip():
                return name  # the verb right before its object: "killing two people"
            d = distance(t, m.end(), start) if m.end() <= start else distance(t, end, m.start())
            if m.end() <= start:
                d += 10  # a cue after the figure reads it first: "352 were shot down"
            if d <= _REACH and (best is None or d < best[0]):
                best = (d, name)
    return None if best is None else best[1]


def _clause(t: str, s: Sentence, at: int) -> tuple[int, int]:
    """The clause of the sentence around ``at``: between commas, semicolons and dashes."""
    marks = [m.start() for m in re.finditer(r"[,;:]| - ", t[s.start : s.end])]
    before = [s.start + i for i in marks if s.start + i < at]
    after = [s.start + i for i in marks if s.start + i >= at]
    return (before[-1] if before else s.start), (after[0] if after else s.end)


def _casualty_word(lx: Any, word: str) -> str | None:
    for name, pattern in lx.HARM[:2]:
        if pattern.search(word):
            return str(name)
    return None


def _add(
    s: Sentence,
    t: str,
    name: str,
    q: Quantity,
    end: int,
    *,
    additive: bool = False,
    count: Count | None = None,
    part: bool = False,
) -> None:
    clause_places = [p for p in s.places if _same_clause(t, p.start, q.start)]
    where = frozenset(p.settlement or p.oblast for p in clause_places)
    if s.lang.lx.TOTAL_AFTER.match(t, end, min(s.end, end + 40)):
        where = frozenset()  # "injuring 23 across three regions": the whole attack's
    s.figures.append(
        Figure(name, count or q.count, q.start, end, s.index, bool(where), where, additive, part)
    )


def _same_clause(t: str, a: int, b: int) -> bool:
    lo, hi = min(a, b), max(a, b)
    return not re.search(r";|, while|\. ", t[lo:hi])
