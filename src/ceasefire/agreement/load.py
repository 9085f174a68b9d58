"""Reading and checking agreement files: YAML for the rules, GeoJSON/KML/GPKG/SHP for geometry.

The YAML file names the parties, the effective time, the sides, the zones, the prohibited acts
and the hotline deadlines, and points at geometry files by paths relative to itself (the demo is
``ceasefire/data/demo/agreement.yaml``). Geometry is read through pyogrio (GDAL), so anything
GDAL reads as lines or polygons works; a file in a projected CRS is taken back to lon/lat.

:func:`check_agreement` collects every problem instead of stopping at the first, so a user can
fix a file in one pass; :func:`load_agreement` raises :class:`AgreementError` carrying all of them.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Final, cast

import shapely
import yaml
from shapely.geometry import Point

from ceasefire.agreement.context import Ctx, read_line_of
from ceasefire.agreement.geofiles import fmt_lonlat
from ceasefire.agreement.model import (
    Agreement,
)
from ceasefire.agreement.reporting import read_reporting
from ceasefire.agreement.sections import (
    bounds_text,
    check_areas,
    check_direction,
    read_acts,
    read_anchors,
    read_area,
    read_areas,
    read_effective,
    read_hotline,
    read_parties,
    read_party_lines,
    read_sides,
    read_zones,
    resolve_sides,
    within_area,
)
from ceasefire.agreement.values import StrictLoader
from ceasefire.errors import AgreementError, Problem

_TOP_KEYS: Final = frozenset(
    [
        "id",
        "version",
        "title",
        "parties",
        "effective_from",
        "line_of_contact",
        "party_lines",
        "sides",
        "anchors",
        "area",
        "areas_of_control",
        "zones",
        "prohibited_acts",
        "hotline",
        "reporting",
        "approximate",
        "notes",
    ]
)


# --- entry points -----------------------------------------------------------------------------


def _parse(path: str | Path) -> tuple[Agreement | None, list[Problem]]:
    ctx = Ctx(Path(path))
    try:
        text = ctx.path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None, [Problem(ctx.where, "", "no such file")]
    except (OSError, UnicodeDecodeError) as exc:
        return None, [Problem(ctx.where, "", f"cannot read the file: {exc}")]
    try:
        raw = yaml.load(text, Loader=StrictLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        at = f"line {mark.line + 1}, column {mark.column + 1}: " if mark is not None else ""
        reason = getattr(exc, "problem", None) or str(exc)
        return None, [Problem(ctx.where, "", f"not valid YAML: {at}{reason}")]
    if not isinstance(raw, dict):
        return None, [Problem(ctx.where, "", "must be a YAML mapping (id:, version:, ...)")]
    ctx.unknown_keys(raw, _TOP_KEYS, "")

    ident = ctx.text(raw, "id", "id")
    version = raw.get("version")
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        ctx.add("version", f"must be a whole number from 1 up, got {version!r}")
    title = ctx.text(raw, "title", "title")
    approximate = raw.get("approximate", False)
    if not isinstance(approximate, bool):
        ctx.add("approximate", f"must be true or false, got {approximate!r}")
    notes = ctx.text(raw, "notes", "notes", required=False)
    party_book = read_parties(ctx, raw)
    parties = party_book.names
    effective = read_effective(ctx, raw)
    before = len(ctx.problems)
    sides = read_sides(ctx, raw, parties)
    sides_ok = len(ctx.problems) == before  # else checking anchors against them only echoes it
    anchors = read_anchors(ctx, raw, parties)
    area = read_area(ctx, raw)
    areas = read_areas(ctx, raw, parties)

    line = None
    if raw.get("line_of_contact") is None:
        ctx.add("line_of_contact", "missing: the path of the line's geometry file")
    else:
        line = read_line_of(ctx, raw["line_of_contact"], "line_of_contact")
    party_lines = read_party_lines(ctx, raw, parties)
    sided = None
    if line is not None:
        check_direction(ctx, line, party_lines)
        if sides_ok:
            sided = resolve_sides(ctx, line, sides, anchors, parties)
    if sided is not None:
        check_areas(ctx, areas, sided, anchors)
    zones = read_zones(ctx, raw, parties, sided)
    acts = read_acts(ctx, raw, zones)
    hotline = read_hotline(ctx, raw)
    reporting = read_reporting(ctx, raw)

    if area is not None:
        shapely.prepare(area)
        if line is not None:
            within_area(ctx, area, "line_of_contact", line)
        for party, pl in party_lines.items():
            within_area(ctx, area, f"party_lines.{party}", pl)
        for party, a in anchors.items():
            if not area.covers(Point(a.lon, a.lat)):
                ctx.add(
                    f"anchors.{party}",
                    f"{a.name} {fmt_lonlat(a.lon, a.lat)} lies outside the declared area {bounds_text(area)}",
                )
        for z in zones:
            if z.polygon is not None:
                within_area(ctx, area, f"zones.{z.name}.polygon", z.polygon)

    if ctx.problems or line is None or sided is None or effective is None or hotline is None:
        return None, ctx.problems
    return (
        Agreement(
            id=ident,
            version=cast(int, version),
            title=title,
            effective_from=effective,
            parties=parties,
            party_aliases=party_book.aliases,
            signed_parties=party_book.signed_only,
            line=line,
            left_party=sided[0],
            right_party=sided[1],
            zones=tuple(zones),
            hotline=hotline,
            reporting=reporting,
            party_lines=party_lines,
            area=area,
            prohibited_acts=tuple(acts),
            approximate=bool(approximate),
            notes=notes,
            source=ctx.path,
            anchors=anchors,
            areas=areas,
        ),
        [],
    )


def check_agreement(path: str | Path) -> list[Problem]:
    """Every problem with an agreement YAML file and the geometry it points at.

    Each :class:`Problem` names the file (the YAML, or the geometry file at fault), the field
    (dotted, e.g. ``zones.dmz.widths_km.RU``) and what is wrong. An empty list means valid.
    """
    return _parse(path)[1]


def load_agreement(path: str | Path) -> Agreement:
    """Read an agreement YAML file and the geometry it points at.

    Raises
    ------
    AgreementError
        with every problem :func:`check_agreement` finds.
    """
    agreement, problems = _parse(path)
    if agreement is None:
        raise AgreementError(problems or [Problem(str(path), "", "could not be read")])
    return agreement


def demo_agreement_path() -> Path:
    """The demo agreement shipped with the package (RU/UA, approximate 2025-26 line)."""
    return Path(str(resources.files("ceasefire") / "data" / "demo" / "agreement.yaml"))
