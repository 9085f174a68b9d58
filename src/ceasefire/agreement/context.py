"""The context an agreement file is read in: the problems collected so far, where the file is,
and the geometry files its YAML points at (read relative to it)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from shapely.geometry import LineString
from shapely.geometry.base import BaseGeometry

from ceasefire.agreement.geofiles import read_line, read_polygon
from ceasefire.errors import Problem

# --- the collecting context -------------------------------------------------------------------


@dataclass
class Ctx:
    path: Path
    problems: list[Problem] = field(default_factory=list)

    @property
    def where(self) -> str:
        return str(self.path)

    def add(self, fld: str, reason: str, where: str | None = None) -> None:
        self.problems.append(Problem(where or self.where, fld, reason))

    def text(self, raw: Mapping[str, Any], key: str, fld: str, required: bool = True) -> str:
        value = raw.get(key)
        if value is None or value == "":
            if required:
                self.add(fld, "missing")
            return ""
        if not isinstance(value, str | int | float) or isinstance(value, bool):
            self.add(fld, f"must be text, got {type(value).__name__}")
            return ""
        return str(value)

    def mapping(self, value: object, fld: str) -> dict[str, Any] | None:
        if not isinstance(value, dict):
            self.add(fld, f"must be a mapping, got {type(value).__name__}")
            return None
        return value

    def unknown_keys(self, raw: Mapping[str, Any], allowed: frozenset[str], fld: str) -> None:
        for key in raw:
            if key not in allowed:
                self.add(
                    f"{fld}.{key}" if fld else str(key),
                    f"unknown field; expected one of {', '.join(sorted(allowed))}",
                )


# --- geometry files ---------------------------------------------------------------------------


def _geometry_spec(ctx: Ctx, spec: object, fld: str) -> tuple[Path, dict[str, Any]] | None:
    """The file (relative to the YAML) and reader options a geometry field points at.

    ``spec`` is a path, or a mapping with ``file`` and optionally ``layer`` (a KML folder, a
    GeoPackage table) and ``where`` (an OGR SQL filter on attributes).
    """
    raw = ctx.mapping({"file": spec} if isinstance(spec, str) else spec, fld)
    if raw is None:
        return None
    ctx.unknown_keys(raw, frozenset({"file", "layer", "where"}), fld)
    name = raw.get("file")
    if not isinstance(name, str) or not name:
        ctx.add(f"{fld}.file", "missing: give the geometry file's path, relative to this file")
        return None
    path = ctx.path.parent / name
    if not path.is_file():
        ctx.add(f"{fld}.file", f"no such file: {path}")
        return None
    return path, {k: str(raw[k]) for k in ("layer", "where") if raw.get(k) is not None}


def read_line_of(ctx: Ctx, spec: object, fld: str) -> LineString | None:
    found = _geometry_spec(ctx, spec, fld)
    if found is None:
        return None
    line, problems = read_line(found[0], fld, **found[1])
    ctx.problems.extend(problems)
    return line


def read_polygon_of(ctx: Ctx, spec: object, fld: str) -> BaseGeometry | None:
    found = _geometry_spec(ctx, spec, fld)
    if found is None:
        return None
    polygon, problems = read_polygon(found[0], fld, **found[1])
    ctx.problems.extend(problems)
    return polygon
