"""The rules that turn a text into events (docs/extract.md).

A text is read sentence by sentence. Each sentence gives its figures (a quantity, the noun it
counts, what happened to it), its date, who attacked and the places hit. Sentences then group
into events: a sentence with a date or an attacker of its own that differs from the group's starts
a new event; one without inherits ("Air defences shot down 352 of them" belongs to the attack
before it). Within an event, each field's figure is resolved once:

* parts of a figure ("including four children", "over 50 of them jet-powered") are not added;
* figures of one field in one sentence are parts of a list and add up ("150 Shaheds and 100
  decoys");
* across sentences the same figure repeated is one figure; a figure stated for a place is part
  of one stated without ("352 shot down ... 40 of them over Kyiv region"); when every figure
  names its place they add up; "another", "two more" add to what came before;
* missiles are the stated total, else the sum of the ballistic and cruise figures.

Sentences about another period ("last week", "since the start of the month") give nothing.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

from ceasefire.counts import Count
from ceasefire.extract.language import ENGLISH, Language
from ceasefire.extract.model import CEASEFIRE_VIOLATIONS, Event, Evidence, Weapons
from ceasefire.extract.sentences import Context, Figure, Sentence, read_sentence
from ceasefire.extract.text import normalise, sentences


def events_of(text: str, published: date | None, lang: Language = ENGLISH) -> tuple[Event, ...]:
    """The events ``text`` reports, read with ``lang``'s words."""
    t = normalise(text)
    all_quantities = lang.quantities(t)
    ctx = Context()
    read = [
        read_sentence(lang, t, i, start, end, published, all_quantities, ctx)
        for i, (start, end) in enumerate(sentences(t))
    ]
    last = published
    for s in read:  # "a day earlier": before the date the text spoke of last
        if s.back and s.date is None and last is not None:
            s.date = last - timedelta(days=s.back)
        last = s.date or last
    groups = [part for group in _groups(read) for part in _by_region(group)]
    return tuple(event for group in groups if (event := _event(t, group)) is not None)


def _by_region(group: list[Sentence]) -> list[list[Sentence]]:
    """A monitoring report's figures per region are events of their own: split the group at
    each sentence that counts violations or explosions in another region than the one before."""
    counted = [
        s
        for s in group
        if any(f.field in ("ceasefire_violations", "explosions") for f in s.figures)
    ]
    regions = [frozenset(p.oblast for p in s.places) for s in counted]
    if len(counted) < 2 or not all(regions) or len(set(regions)) < 2:
        return [group]
    parts: list[list[Sentence]] = []
    for s in group:
        if (
            s in counted
            and parts
            and frozenset(p.oblast for p in s.places)
            != frozenset(p.oblast for q in parts[-1] for p in q.places)
        ):
            parts.append([])
        if not parts:
            parts.append([])
        parts[-1].append(s)
    for part in parts[1:]:  # the report's date reads on into each region's part
        if all(s.date is None for s in part):
            dated = next((s for s in parts[0] if s.date is not None), None)
            if dated is not None:
                part[0] = _dated(part[0], dated)
    return parts


def _dated(s: Sentence, dated: Sentence) -> Sentence:
    return replace(s, date=dated.date, date_span=dated.date_span)


# -- grouping into events ----------------------------------------------------------------------


def _groups(read: list[Sentence]) -> list[list[Sentence]]:
    groups: list[list[Sentence]] = []
    current: list[Sentence] = []
    day: date | None = None
    party: str | None = None
    for s in read:
        new_day = s.date is not None and day is not None and s.date != day
        new_party = s.party is not None and party is not None and s.party != party
        if current and (new_day or new_party) and _has_substance(s):
            groups.append(current)
            current, day, party = [], None, None
        current.append(s)
        day = day or s.date
        party = party or s.party
    if current:
        groups.append(current)
    return _merge(groups)


def _has_substance(s: Sentence) -> bool:
    return bool(s.figures) or (bool(s.places) and s.strike)


def _merge(groups: list[list[Sentence]]) -> list[list[Sentence]]:
    """Groups of the same day and attacker are one event."""
    merged: dict[tuple[date | None, str | None], list[Sentence]] = {}
    for group in groups:
        day = next((s.date for s in group if s.date is not None), None)
        party = next((s.party for s in group if s.party is not None), None)
        merged.setdefault((day, party), []).extend(group)
    return list(merged.values())


def _event(t: str, group: list[Sentence]) -> Event | None:
    figures = [f for s in group for f in s.figures]
    struck = [s for s in group if s.strike]
    targets = [p for s in struck for p in s.places]
    if not figures and not (targets and struck):
        return None
    evidence: list[Evidence] = []
    values: dict[str, Count | None] = {}
    for name in sorted({f.field for f in figures}):
        values[name], used = _resolve([f for f in figures if f.field == name])
        evidence += [Evidence(name, f.start, f.end, t[f.start : f.end]) for f in used]
    weapons = {role: _weapons(values, role) for role in ("launched", "destroyed", "hit")}
    # the date of the sentences that tell the event first, then any other of the group's
    day = _telling(group, "date")
    if day is not None and day.date_span is not None:
        evidence.append(Evidence("date", *day.date_span, t[slice(*day.date_span)]))
    doer = _telling(group, "party")
    if doer is not None and doer.party_span is not None:
        evidence.append(Evidence("perpetrator", *doer.party_span, t[slice(*doer.party_span)]))
    oblasts: list[str] = []
    settlements: list[str] = []
    for p in targets:
        evidence.append(Evidence("places" if p.settlement else "oblasts", p.start, p.end,
                                 t[p.start : p.end]))  # fmt: skip
        if p.oblast not in oblasts:
            oblasts.append(p.oblast)
        if p.settlement is not None and p.settlement not in settlements:
            settlements.append(p.settlement)
    evidence.sort(key=lambda e: (e.start, e.field))
    return Event(
        kind=_kind(t, group, values, weapons),
        date=None if day is None else day.date,
        perpetrator=None if doer is None else doer.party,
        launched=weapons["launched"],
        destroyed=weapons["destroyed"],
        hit=weapons["hit"],
        locations_hit=values.get("locations_hit"),
        regions_count=values.get("regions_count"),
        explosions=values.get("explosions"),
        killed=values.get("killed"),
        injured=values.get("injured"),
        people_affected=values.get("people_affected"),
        ceasefire_violations=values.get("ceasefire_violations"),
        oblasts=tuple(sorted(oblasts)),
        places=tuple(settlements),
        evidence=tuple(evidence),
    )


def _telling(group: list[Sentence], name: str) -> Sentence | None:
    """The first sentence that gives ``name`` (its date, its attacker), of those that count
    something first, then of those that name a target hit, then of any."""
    having = [s for s in group if getattr(s, name) is not None]
    return next(
        (s for s in having if s.figures),
        next((s for s in having if _has_substance(s)), having[0] if having else None),
    )


def _resolve(figures: list[Figure]) -> tuple[Count | None, list[Figure]]:
    """One field's figure from its mentions (the module's rules) and the mentions used."""
    overall: list[tuple[Count, list[Figure]]] = []  # per sentence: figures naming no place
    extra: list[Figure] = []  # "another man", "two more"
    latest: dict[frozenset[str], tuple[int, Count, list[Figure]]] = {}  # per place
    for f in figures:
        if f.additive:
            extra.append(f)
        elif not f.where:
            if overall and overall[-1][1][0].sentence == f.sentence:
                held = overall[-1]
                overall[-1] = (held[0] + f.count, [*held[1], f])  # a list in one sentence
            else:
                overall.append((f.count, [f]))
        else:
            held_place = latest.get(f.where)
            if held_place is not None and held_place[0] == f.sentence:
                latest[f.where] = (f.sentence, held_place[1] + f.count, [*held_place[2], f])
            else:
                latest[f.where] = (f.sentence, f.count, [f])  # a toll updated: the latest
    if overall:
        value, used = overall[-1]
    else:
        totals = [(count, mentions) for _, count, mentions in latest.values()]
        if not totals:
            value, used = None, []
        else:
            value = Count.total(count for count, _ in totals)
            used = [f for _, mentions in totals for f in mentions]
    for f in extra:
        value = f.count if value is None else value + f.count
        used = [*used, f]
    return value, list(used)


def _weapons(values: dict[str, Count | None], role: str) -> Weapons:
    ballistic = values.get(f"{role}.ballistic_missiles")
    cruise = values.get(f"{role}.cruise_missiles")
    missiles = values.get(f"{role}.missiles")
    if missiles is None and (ballistic is not None or cruise is not None):
        missiles = Count.total([ballistic, cruise])
    return Weapons(values.get(f"{role}.drones"), missiles, ballistic, cruise)


def _kind(
    t: str, group: list[Sentence], values: dict[str, Count | None], weapons: dict[str, Weapons]
) -> str:
    if any(not w.empty for w in weapons.values()):
        both = any(w.drones is not None for w in weapons.values()) and any(
            w.missiles is not None for w in weapons.values()
        )
        launched = weapons["launched"]
        wave = Count.total([launched.drones, launched.missiles])
        # a wave: shot down counts, drones and missiles together, or a score of weapons or more
        if both or not weapons["destroyed"].empty or (wave is not None and wave.low >= 20):
            return "air_attack"
        if values.get("regions_count") is not None:
            return "air_attack"
    if values.get("ceasefire_violations") is not None:
        return CEASEFIRE_VIOLATIONS
    lx = group[0].lang.lx
    words = " ".join(t[s.start : s.end] for s in group)
    found = [kind for kind, pattern in lx.KINDS if pattern.search(words)]
    if "drone_strike" in found and "missile_strike" in found:
        return "air_attack"
    if found:
        return str(found[0])
    if values.get("explosions") is not None:
        return "explosion"
    return "other"
