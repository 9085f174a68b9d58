"""Reading agreement files' text: strict YAML (no duplicate keys, times kept as text) and the
durations and numbers the rulebook is written in."""

from __future__ import annotations

import math
import re
from collections.abc import Hashable
from datetime import timedelta
from typing import Any, Final

import yaml

# --- YAML -------------------------------------------------------------------------------------


class StrictLoader(yaml.SafeLoader):
    """Safe YAML that keeps timestamps as text and refuses duplicate keys.

    PyYAML turns ``2026-03-01T00:00:00+00:00`` into a datetime but a date-only value into a
    ``date``; keeping text means one parser and one message for every time. A duplicate key
    (``RU`` twice under ``widths_km``) would silently keep the last value.
    """


StrictLoader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def _mapping(loader: StrictLoader, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
    seen: set[Hashable] = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if key in seen:
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key {key!r}", key_node.start_mark
            )
        seen.add(key)
    return loader.construct_mapping(node, deep=deep)


StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping)


# --- values -----------------------------------------------------------------------------------

_COMPACT = re.compile(r"(\d+(?:\.\d+)?)(w|d|h|min|m|s)")
_ISO = re.compile(
    r"P(?:(?P<w>\d+(?:\.\d+)?)W)?(?:(?P<d>\d+(?:\.\d+)?)D)?"
    r"(?:T(?:(?P<h>\d+(?:\.\d+)?)H)?(?:(?P<m>\d+(?:\.\d+)?)M)?(?:(?P<s>\d+(?:\.\d+)?)S)?)?"
)
_UNIT_S: Final = {"w": 604800, "d": 86400, "h": 3600, "min": 60, "m": 60, "s": 1}


def parse_duration(text: str) -> timedelta:
    """A positive duration from ``"15m"``, ``"2h"``, ``"1h30m"``, ``"1d"`` or ISO 8601 ``"PT15M"``.

    ISO years and months are refused: they have no fixed length, and ``P15M`` is the classic slip
    for ``PT15M`` (15 months, not 15 minutes).

    >>> parse_duration("PT15M") == parse_duration("15m") == timedelta(minutes=15)
    True
    """
    s = str(text).strip()
    if not s:
        raise ValueError("empty duration")
    if s[0] in "Pp":
        m = _ISO.fullmatch(s.upper())
        if m is None or s.upper() in ("P", "PT") or s.upper().endswith("T"):
            if re.fullmatch(r"P(\d+Y)?(\d+M)?.*", s.upper()) and "T" not in s.upper():
                raise ValueError(
                    f"{s!r}: ISO years/months have no fixed length (did you mean PT{s[1:]}?)"
                )
            raise ValueError(f"{s!r} is not an ISO 8601 duration like PT15M or P1DT2H")
        parts = {k: float(v) for k, v in m.groupdict().items() if v}
        secs = sum(v * _UNIT_S["min" if k == "m" else k] for k, v in parts.items())
    else:
        compact = s.lower().replace(" ", "")
        found = _COMPACT.findall(compact)
        if not found or "".join(n + u for n, u in found) != compact:
            raise ValueError(f"{s!r} is not a duration like 15m, 2h, 1h30m, 1d or PT15M")
        secs = sum(float(n) * _UNIT_S[u] for n, u in found)
    if secs <= 0:
        raise ValueError(f"{s!r} must be longer than zero")
    return timedelta(seconds=secs)


def finite_number(value: object) -> float | None:
    """A finite number, or None (bools are not numbers here: ``yes`` is not a width)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if math.isfinite(value) else None
