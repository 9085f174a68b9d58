"""How each part of an agreement file is read and checked: the parties, the time it takes
effect, the sides, the anchors, the area, the lines, the zones, the prohibited acts and the hotline
deadlines. Every reader adds what is wrong to one collecting context (:class:`Ctx`) and goes on,
so a file's problems are all found in one pass."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any, Final, cast

import numpy as np
import shapely
from pyproj import Geod
from shapely.geometry import LineString, Polygon, box
from shapely.geometry.base import BaseGeometry

from ceasefire.agreement.context import Ctx, read_line_of, read_polygon_of
from ceasefire.agreement.geofiles import fmt_lonlat
from ceasefire.agreement.model import (
    Anchor,
    HotlineDeadlines,
    ProhibitedAct,
    Zone,
    ZoneKind,
    side_of_line,
)
from ceasefire.agreement.parties import Parties, fold
from ceasefire.agreement.values import finite_number, parse_duration
from ceasefire.vocab import EVENT_TYPES, NOT_PARTY_CODES, WEAPON_CLASSES

ZONE_KINDS: Final = ("dmz", "withdrawal", "other")
_ZONE_KEYS: Final = frozenset(
    [
        "name",
        "kind",
        "widths_km",
        "width_km",
        "polygon",
        "weapon_classes",
        "min_calibre_mm",
        "description",
    ]
)
_ACT_KEYS: Final = frozenset(["code", "description", "event_types", "zones"])
_HOTLINE_KEYS: Final = ("acknowledge_within", "answer_within", "line_check_every")
#: Optional keys of the hotline block, beside the three deadlines.
_HOTLINE_OPTIONAL: Final = ("digest_threshold",)
_GEOD = Geod(ellps="WGS84")


# --- sections of the YAML ---------------------------------------------------------------------


#: Words that are no party's code: the hotline's other addresses and its system ids' prefix.
_NOT_PARTY_CODES: Final = NOT_PARTY_CODES


_PARTY_KEYS: Final = frozenset({"name", "aliases", "require_signed_reports"})


def read_parties(ctx: Ctx, raw: Mapping[str, Any]) -> Parties:
    """The parties: each code maps to its name, or to ``{name, aliases, require_signed_reports}``
    (:mod:`ceasefire.agreement.parties`)."""
    value = raw.get("parties")
    if value is None:
        ctx.add("parties", "missing: map each party code to its name, e.g. RU: Russian Federation")
        return Parties({})
    m = ctx.mapping(value, "parties")
    if m is None:
        return Parties({})
    out: dict[str, str] = {}
    aliases: dict[str, str] = {}
    signed: set[str] = set()
    for code, spec in m.items():
        if not isinstance(code, str) or not code:
            # YAML 1.1 reads NO / off / yes as booleans: the "Norway problem"
            ctx.add("parties", f"party code {code!r} is not text (quote it)")
            continue
        if code in _NOT_PARTY_CODES or ":" in code:
            # A party code is a hotline address and the first part of the ids its officers
            # choose (``UA:q-1``); these would clash with the mechanism's own addresses and ids.
            ctx.add("parties", f"party code {code!r} is reserved or holds ':'; use e.g. UA")
            continue
        fld = f"parties.{code}"
        item = {"name": spec} if not isinstance(spec, dict) else spec
        ctx.unknown_keys(item, _PARTY_KEYS, fld)
        name = item.get("name")
        if not isinstance(name, str) or not name:
            ctx.add(fld, "needs a name, e.g. RU: Russian Federation")
            continue
        out[code] = name
        listed = item.get("aliases", [])
        if not isinstance(listed, list) or not all(
            isinstance(a, str) and a.strip() for a in listed
        ):
            ctx.add(f"{fld}.aliases", "must be a list of names, e.g. [Russia, russian forces]")
            listed = []
        for alias in listed:
            key = fold(alias)
            if aliases.get(key, code) != code:
                ctx.add(f"{fld}.aliases", f"{alias!r} already stands for {aliases[key]}")
            aliases[key] = code
        required = item.get("require_signed_reports", False)
        if not isinstance(required, bool):
            ctx.add(f"{fld}.require_signed_reports", f"must be true or false, got {required!r}")
        elif required:
            signed.add(code)
    if len(m) < 2:
        ctx.add("parties", f"an agreement needs at least two parties, found {len(m)}")
    for key, code in aliases.items():
        # An alias that is another party's code (in any case) would make that code ambiguous.
        other = next((c for c in out if fold(c) == key and c != code), None)
        if other is not None:
            ctx.add(f"parties.{code}.aliases", f"{key!r} is the code of {other}")
    return Parties(out, aliases, frozenset(signed))


def _known(ctx: Ctx, code: object, fld: str, parties: Mapping[str, str]) -> bool:
    if code in parties:
        return True
    if parties:
        ctx.add(fld, f"unknown party {code!r}; the parties are {', '.join(parties)}")
    return False


def read_effective(ctx: Ctx, raw: Mapping[str, Any]) -> datetime | None:
    value = raw.get("effective_from")
    if value is None:
        ctx.add(
            "effective_from",
            "missing: an ISO 8601 time with offset, e.g. 2026-03-01T00:00:00+00:00",
        )
        return None
    try:
        when = datetime.fromisoformat(str(value))
    except ValueError:
        ctx.add(
            "effective_from", f"{value!r} is not an ISO 8601 time like 2026-03-01T00:00:00+00:00"
        )
        return None
    if when.tzinfo is None or "T" not in str(value).upper():
        ctx.add(
            "effective_from",
            f"{value!r} needs a time of day and a UTC offset, e.g. "
            "2026-03-01T00:00:00+00:00 (a ceasefire starts at one instant everywhere)",
        )
        return None
    return when


def read_anchors(ctx: Ctx, raw: Mapping[str, Any], parties: Mapping[str, str]) -> dict[str, Anchor]:
    value = raw.get("anchors")
    if value is None:
        return {}
    m = ctx.mapping(value, "anchors")
    out: dict[str, Anchor] = {}
    for party, spec in (m or {}).items():
        fld = f"anchors.{party}"
        known = _known(ctx, party, fld, parties)
        if isinstance(spec, list):
            spec = dict(zip(("lon", "lat"), spec, strict=False)) | {"n": len(spec)}
        item = ctx.mapping(spec, fld)
        if item is None:
            continue
        if item.pop("n", 2) != 2:
            ctx.add(fld, "give [lon, lat] or {name, lon, lat}")
            continue
        ctx.unknown_keys(item, frozenset({"name", "lon", "lat"}), fld)
        lon, lat = finite_number(item.get("lon")), finite_number(item.get("lat"))
        if lon is None or lat is None or abs(lon) > 180 or abs(lat) > 90:
            ctx.add(
                fld,
                f"needs numeric lon and lat in degrees, got lon={item.get('lon')!r}, "
                f"lat={item.get('lat')!r}",
            )
            continue
        if known:
            out[party] = Anchor(party, str(item.get("name") or party), lon, lat)
    return out


def read_sides(ctx: Ctx, raw: Mapping[str, Any], parties: Mapping[str, str]) -> dict[str, str]:
    value = raw.get("sides")
    if value is None:
        return {}
    m = ctx.mapping(value, "sides")
    if m is None:
        return {}
    ctx.unknown_keys(m, frozenset({"left", "right"}), "sides")
    out: dict[str, str] = {
        s: m[s] for s in ("left", "right") if s in m and _known(ctx, m[s], f"sides.{s}", parties)
    }
    if len(out) == 2 and out["left"] == out["right"]:
        ctx.add("sides", f"both sides are held by {out['left']}; each side needs its own party")
        return {}
    return out


def resolve_sides(
    ctx: Ctx,
    line: LineString,
    sides: dict[str, str],
    anchors: Mapping[str, Anchor],
    parties: Mapping[str, str],
) -> tuple[str, str] | None:
    """(left party, right party) from ``sides`` and/or ``anchors``, checked against each other."""
    found: dict[str, str] = {}
    for party, a in anchors.items():
        seen = side_of_line(line, a.lon, a.lat)
        if seen == "on":
            ctx.add(
                f"anchors.{party}",
                f"{a.name} {fmt_lonlat(a.lon, a.lat)} lies on the line; pick a "
                "place clearly inside the party's side",
            )
        else:
            found[party] = seen
    if len(found) >= 2 and len(set(found.values())) == 1:
        names = " and ".join(f"{p} ({anchors[p].name})" for p in found)
        ctx.add(
            "anchors",
            f"the anchors of {names} {'both' if len(found) == 2 else 'all'} fall on the "
            f"{next(iter(found.values()))} "
            "side of the line of contact; cannot tell which party holds which side",
        )
        return None
    if sides:
        ok = True
        if len(sides) == 1 and len(parties) == 2:  # two parties: the other side is the other one
            ((side, party),) = sides.items()
            sides[{"left": "right", "right": "left"}[side]] = next(p for p in parties if p != party)
        for party, side in found.items():
            held = [s for s, p in sides.items() if p == party]
            if not held:
                ctx.add(f"anchors.{party}", f"{party} holds neither side in sides")
                ok = False
            elif held[0] != side:
                a = anchors[party]
                ctx.add(
                    f"anchors.{party}",
                    f"{a.name} {fmt_lonlat(a.lon, a.lat)} falls on the {side} "
                    f"side of the line, but sides.{held[0]} says {party} holds the {held[0]}",
                )
                ok = False
        if ok and len(sides) == 2:
            return sides["left"], sides["right"]
        if ok:
            ctx.add("sides", "say which party holds the left and which the right")
        return None
    derived = {side: party for party, side in found.items()}
    if len(derived) == 1 and len(parties) == 2:
        ((side, party),) = derived.items()
        derived[{"left": "right", "right": "left"}[side]] = next(p for p in parties if p != party)
    if len(derived) == 2:
        return derived["left"], derived["right"]
    if not anchors:
        ctx.add(
            "sides",
            "missing: say which party holds the left and the right of the line "
            "(walking from its first vertex to its last), e.g. {left: RU, right: UA}, or "
            "give an anchor place per party",
        )
    return None


def read_party_lines(
    ctx: Ctx, raw: Mapping[str, Any], parties: Mapping[str, str]
) -> dict[str, LineString]:
    value = raw.get("party_lines")
    if value is None:
        return {}
    m = ctx.mapping(value, "party_lines")
    out: dict[str, LineString] = {}
    for party, spec in (m or {}).items():
        fld = f"party_lines.{party}"
        known = _known(ctx, party, fld, parties)
        line = read_line_of(ctx, spec, fld)
        if line is not None and known:
            out[party] = line
    return out


def check_direction(ctx: Ctx, ref: LineString, lines: Mapping[str, LineString]) -> None:
    """A party line walked the other way would swap its left and right."""
    (rs, re_) = ref.coords[0], ref.coords[-1]
    for party, line in lines.items():
        ps, pe = line.coords[0], line.coords[-1]
        same = _GEOD.inv(*rs, *ps)[2] + _GEOD.inv(*re_, *pe)[2]
        swapped = _GEOD.inv(*rs, *pe)[2] + _GEOD.inv(*re_, *ps)[2]
        if swapped < same:
            ctx.add(
                f"party_lines.{party}",
                "runs the opposite way to the line of contact; "
                "reverse it (the direction decides which side is left)",
            )


def read_area(ctx: Ctx, raw: Mapping[str, Any]) -> Polygon | None:
    value = raw.get("area")
    if value is None:
        return None
    m = ctx.mapping(value, "area")
    if m is None:
        return None
    ctx.unknown_keys(m, frozenset({"bbox", "file", "layer", "where"}), "area")
    if ("bbox" in m) == ("file" in m):
        ctx.add("area", "give either bbox: [lon_min, lat_min, lon_max, lat_max] or file: ...")
        return None
    if "bbox" in m:
        bb = m["bbox"]
        nums = [finite_number(v) for v in bb] if isinstance(bb, list) else []
        if len(nums) != 4 or any(v is None for v in nums):
            ctx.add(
                "area.bbox",
                f"must be four numbers [lon_min, lat_min, lon_max, lat_max], got {bb!r}",
            )
            return None
        w, s, e, n = cast(list[float], nums)
        if not (-180 <= w < e <= 180 and -90 <= s < n <= 90):
            ctx.add(
                "area.bbox",
                f"{bb!r} is not [lon_min, lat_min, lon_max, lat_max] with min < max in degrees",
            )
            return None
        return cast(Polygon, box(w, s, e, n))
    geom = read_polygon_of(ctx, {k: m[k] for k in ("file", "layer", "where") if k in m}, "area")
    if geom is not None and not isinstance(geom, Polygon):
        ctx.add("area", f"must be one polygon, the file gives a {geom.geom_type}")
        return None
    return geom


def read_areas(
    ctx: Ctx, raw: Mapping[str, Any], parties: Mapping[str, str]
) -> dict[str, BaseGeometry]:
    """``areas_of_control``: each party's area (a geometry file, optionally a layer / filter)."""
    value = raw.get("areas_of_control")
    if value is None:
        return {}
    m = ctx.mapping(value, "areas_of_control")
    out: dict[str, BaseGeometry] = {}
    for party, spec in (m or {}).items():
        fld = f"areas_of_control.{party}"
        known = _known(ctx, party, fld, parties)
        geom = read_polygon_of(ctx, spec, fld)
        if geom is not None and known:
            out[party] = geom
    return out


def check_areas(
    ctx: Ctx,
    areas: Mapping[str, BaseGeometry],
    sided: tuple[str, str],
    anchors: Mapping[str, Anchor],
) -> None:
    """Areas are given for both sides or neither, and each anchor lies in its party's area."""
    if not areas:
        return
    for party in sided:
        if party not in areas:
            ctx.add(
                f"areas_of_control.{party}",
                "missing: give an area of control for each party holding a side, or none",
            )
    for party in areas:
        if party not in sided:
            ctx.add(f"areas_of_control.{party}", f"{party} holds neither side of the line")
    for party, a in anchors.items():
        area = areas.get(party)
        if area is not None and not area.covers(shapely.Point(a.lon, a.lat)):
            ctx.add(
                f"anchors.{party}",
                f"{a.name} {fmt_lonlat(a.lon, a.lat)} lies outside {party}'s area of control",
            )


def _widths(
    ctx: Ctx,
    z: Mapping[str, Any],
    fld: str,
    parties: Mapping[str, str],
    sided: tuple[str, str] | None,
) -> dict[str, float]:
    if "width_km" in z:  # one width for both sides
        value = z["width_km"]
        if sided is None:
            return {}
        given: dict[Any, Any] = {p: value for p in sided}
        base = f"{fld}.width_km"
    else:
        m = ctx.mapping(z["widths_km"], f"{fld}.widths_km")
        if m is None:
            return {}
        given, base = m, f"{fld}.widths_km"
    out: dict[str, float] = {}
    for party, value in given.items():
        wf = base if "width_km" in z else f"{base}.{party}"
        if not _known(ctx, party, wf, parties):
            continue
        km = finite_number(value)
        if km is None:
            ctx.add(wf, f"must be a number of kilometres, got {value!r}")
        elif km < 0:
            ctx.add(wf, f"must not be negative, got {value!r}")
        elif sided is not None and party not in sided:
            ctx.add(wf, f"{party} holds neither side of the line, so it has no side to buffer")
        else:
            out[party] = km * 1000.0
    for party in sided or ():
        if party not in given:
            ctx.add(f"{base}", f"missing the width for {party} (write 0 if it has none)")
    return out


def read_zones(
    ctx: Ctx,
    raw: Mapping[str, Any],
    parties: Mapping[str, str],
    sided: tuple[str, str] | None,
) -> list[Zone]:
    value = raw.get("zones", [])
    if not isinstance(value, list):
        ctx.add("zones", f"must be a list of zones, got {type(value).__name__}")
        return []
    out: list[Zone] = []
    for i, item in enumerate(value):
        z = ctx.mapping(item, f"zones[{i}]")
        if z is None:
            continue
        name = z.get("name")
        fld = f"zones.{name}" if isinstance(name, str) and name else f"zones[{i}]"
        if fld == f"zones[{i}]":
            ctx.add(f"{fld}.name", "missing")
        elif any(o.name == name for o in out):
            ctx.add(f"{fld}.name", "used by an earlier zone; zone names must be unique")
        ctx.unknown_keys(z, _ZONE_KEYS, fld)
        kind = z.get("kind")
        if kind not in ZONE_KINDS:
            ctx.add(f"{fld}.kind", f"must be one of {', '.join(ZONE_KINDS)}, got {kind!r}")
        classes = z.get("weapon_classes") or []
        if not isinstance(classes, list):
            ctx.add(f"{fld}.weapon_classes", "must be a list")
            classes = []
        for c in classes:
            if c not in WEAPON_CLASSES:
                ctx.add(
                    f"{fld}.weapon_classes",
                    f"unknown weapon class {c!r}; known: {', '.join(WEAPON_CLASSES)}",
                )
        if kind == "withdrawal" and not classes:
            ctx.add(
                f"{fld}.weapon_classes", "a withdrawal zone must name the weapon classes it bars"
            )
        calibre = z.get("min_calibre_mm")
        if calibre is not None and ((c_mm := finite_number(calibre)) is None or c_mm <= 0):
            ctx.add(f"{fld}.min_calibre_mm", f"must be a positive number of mm, got {calibre!r}")
        ways = [k for k in ("widths_km", "width_km", "polygon") if k in z]
        widths: dict[str, float] = {}
        polygon = None
        if not ways:
            ctx.add(
                f"{fld}.widths_km",
                "zone widths missing: give widths_km per party "
                "(e.g. {RU: 15, UA: 15}), width_km for both, or a polygon file",
            )
        elif len(ways) > 1:
            ctx.add(fld, f"give only one of {', '.join(ways)}")
        elif ways[0] == "polygon":
            polygon = read_polygon_of(ctx, z["polygon"], f"{fld}.polygon")
        else:
            widths = _widths(ctx, z, fld, parties, sided)
        out.append(
            Zone(
                name=str(name),
                kind=cast(ZoneKind, kind if kind in ZONE_KINDS else "other"),
                widths_m=widths,
                polygon=polygon,
                weapon_classes=tuple(str(c) for c in classes),
                min_calibre_mm=finite_number(calibre),
                description=str(z.get("description") or ""),
            )
        )
    return out


def read_acts(ctx: Ctx, raw: Mapping[str, Any], zones: list[Zone]) -> list[ProhibitedAct]:
    value = raw.get("prohibited_acts", [])
    if not isinstance(value, list):
        ctx.add("prohibited_acts", f"must be a list, got {type(value).__name__}")
        return []
    names = [z.name for z in zones]
    out: list[ProhibitedAct] = []
    for i, item in enumerate(value):
        a = ctx.mapping(item, f"prohibited_acts[{i}]")
        if a is None:
            continue
        code = ctx.text(a, "code", f"prohibited_acts[{i}].code")
        fld = f"prohibited_acts.{code}" if code else f"prohibited_acts[{i}]"
        if code and any(o.code == code for o in out):
            ctx.add(f"{fld}.code", "used by an earlier act; codes must be unique")
        ctx.unknown_keys(a, _ACT_KEYS, fld)
        events = a.get("event_types")
        if not isinstance(events, list) or not events:
            ctx.add(f"{fld}.event_types", "must be a non-empty list of event types")
            events = []
        for e in events:
            if e not in EVENT_TYPES:
                ctx.add(
                    f"{fld}.event_types",
                    f"unknown event type {e!r}; known: {', '.join(EVENT_TYPES)}",
                )
        in_zones = a.get("zones") or []
        if not isinstance(in_zones, list):
            ctx.add(f"{fld}.zones", "must be a list of zone names")
            in_zones = []
        for zn in in_zones:
            if zn not in names:
                ctx.add(f"{fld}.zones", f"unknown zone {zn!r}; zones are {', '.join(names)}")
        out.append(
            ProhibitedAct(
                code=code,
                description=ctx.text(a, "description", f"{fld}.description"),
                event_types=tuple(str(e) for e in events),
                zones=tuple(str(z) for z in in_zones),
            )
        )
    return out


def read_hotline(ctx: Ctx, raw: Mapping[str, Any]) -> HotlineDeadlines | None:
    value = raw.get("hotline")
    if value is None:
        ctx.add("hotline", f"missing: give {', '.join(_HOTLINE_KEYS)} (e.g. 15m, 24h, PT6H)")
        return None
    m = ctx.mapping(value, "hotline")
    if m is None:
        return None
    ctx.unknown_keys(m, frozenset((*_HOTLINE_KEYS, *_HOTLINE_OPTIONAL)), "hotline")
    threshold = m.get("digest_threshold")
    if threshold is not None and (
        isinstance(threshold, bool) or not isinstance(threshold, int) or threshold < 2
    ):
        # A digest of one message is that message again; 1 would only add a wrapper.
        ctx.add(
            "hotline.digest_threshold", f"must be a whole number of at least 2, got {threshold!r}"
        )
        threshold = None
    got: dict[str, timedelta] = {}
    for key in _HOTLINE_KEYS:
        v = m.get(key)
        if v is None:
            ctx.add(f"hotline.{key}", "missing: a duration like 15m, 24h or PT6H")
        elif not isinstance(v, str):
            ctx.add(f"hotline.{key}", f"{v!r} has no unit: write e.g. 15m, 24h or PT15M")
        else:
            try:
                got[key] = parse_duration(v)
            except ValueError as exc:
                ctx.add(f"hotline.{key}", str(exc))
    return HotlineDeadlines(**got, digest_threshold=threshold) if len(got) == 3 else None


def within_area(ctx: Ctx, area: Polygon, fld: str, geom: BaseGeometry) -> None:
    """Report the first vertex of ``geom`` outside the declared area (or a crossing out)."""
    xy = shapely.get_coordinates(geom)
    out = ~shapely.intersects_xy(area, xy[:, 0], xy[:, 1])
    if out.any():
        i = int(np.argmax(out))
        ctx.add(
            fld,
            f"{int(out.sum())} of {len(xy)} vertices lie outside the declared area "
            f"{bounds_text(area)}, the first at {fmt_lonlat(*xy[i])}",
        )
    elif not area.covers(geom):
        ctx.add(fld, f"leaves the declared area {bounds_text(area)} between its vertices")


def bounds_text(area: Polygon) -> str:
    return "[" + ", ".join(f"{v:g}" for v in area.bounds) + "]"
