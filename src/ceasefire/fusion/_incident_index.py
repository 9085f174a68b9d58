"""The anchored incidents a :class:`ceasefire.fusion.incremental.Fuser` holds, and where they lie.

:class:`_Incidents` keeps them as columns by root (the report index of their union-find root): the
columns of :class:`ceasefire.fusion.matching._Anchored`, so a table of any of them is one fancy
index, as :func:`ceasefire.fusion.matching._choose` reads it. Each is filed in a space-time grid
(:class:`ceasefire.fusion._grid.SpaceTimeGrid`) at every level, so the coarse reports within reach
of one (:mod:`ceasefire.fusion.coarse`) and the incidents within reach of a coarse report are a
few cells away whatever the size of the history. The anchor path
(:mod:`ceasefire.fusion.incremental`) writes them; the coarse path reads them.
"""

from __future__ import annotations

import math
from typing import Any, Final

import numpy as np
import numpy.typing as npt

from ceasefire.fusion._grid import SpaceTimeGrid
from ceasefire.fusion.columns import FusionInput, _grow
from ceasefire.fusion.config import FusionConfig
from ceasefire.fusion.matching import (
    _TYPE_BITS,
    _Anchored,
    _cell_base,
    _class_bits,
    _model_keys,
    _weights,
)

I64 = npt.NDArray[np.int64]

#: Time buckets of the grids: an hour, or a group's window where that is longer (mines).
_BUCKET_S: Final = 3600
#: Levels of the incident grid: cells of 2, 8, 32 and 128 reaches of a point-like report.
INC_LEVELS: Final = 4


def fuser_grid(config: FusionConfig) -> SpaceTimeGrid:
    """An empty grid of the incremental path: finest cells of :func:`_cell_base`, buckets of an
    hour or the group's window (one shape for incidents and coarse reports alike)."""
    _, window = config.scales()
    buckets = [max(_BUCKET_S, math.ceil(w)) for w in window.tolist()]
    return SpaceTimeGrid(_cell_base(config).tolist(), buckets)


class _Incidents:
    """The anchored incidents of a :class:`ceasefire.fusion.incremental.Fuser`, by root: the
    columns of :class:`_Anchored` as arrays. ``cx``, ``cy`` hold the place each is filed under
    in :attr:`grid`."""

    _INTS: Final = ("sw", "swx", "swy", "t0", "t1", "types", "classes", "sw_left", "sw_right")

    def __init__(self, config: FusionConfig) -> None:
        self.cols: dict[str, npt.NDArray[Any]] = {
            name: np.zeros(0, np.int64) for name in self._INTS
        }
        self.cols["group"] = np.zeros(0, np.int16)
        self.cols["cx"] = np.zeros(0, np.float64)
        self.cols["cy"] = np.zeros(0, np.float64)
        self.cols["named"] = np.zeros(0, bool)  # whether it is in ``models``
        self.cols["key"] = np.zeros(0, dtype=object)
        self.models: dict[int, set[int]] = {}  # root -> CRC-32s of the models its anchors name
        #: Each incident filed at every level, at its weighted place and over its span.
        self.grid = fuser_grid(config)

    def put(self, roots: I64, a: _Anchored) -> None:
        """Store the incidents of table ``a`` under ``roots``."""
        if roots.size == 0:
            return
        _grow(self.cols, int(roots.max()) + 1)
        for name in (*self._INTS, "group", "key"):
            self.cols[name][roots] = getattr(a, name)
        for k, m in zip(
            roots[a.models >> 32].tolist(), (a.models & 0xFFFFFFFF).tolist(), strict=True
        ):
            self.models.setdefault(k, set()).add(m)
            self.cols["named"][k] = True

    def put_one(self, r: int, one: FusionInput) -> None:
        """Store the incident of the single anchor ``one`` under ``r``: the row
        :func:`ceasefire.fusion.matching._anchored` gives it, without its sorting and
        scattering."""
        c = self.cols
        w = int(_weights(one.uncertainty_m)[0])
        side = int(one.side[0])
        c["sw"][r] = w
        c["swx"][r] = w * int(np.rint(one.x[0]))
        c["swy"][r] = w * int(np.rint(one.y[0]))
        c["sw_left"][r] = w if side > 0 else 0
        c["sw_right"][r] = w if side < 0 else 0
        c["t0"][r], c["t1"][r] = one.t0[0], one.t1[0]
        c["types"][r] = _TYPE_BITS[one.etype[0]]
        c["classes"][r] = _class_bits(one.wclass)[0]
        c["group"][r] = one.group[0]
        c["key"][r] = str(one.ids[0])
        c["named"][r] = one.wmodel[0] >= 0
        if c["named"][r]:
            self.models[r] = {int(one.wmodel[0])}

    def file(self, root: int) -> None:
        """File an incident in the grid at every level, at its weighted place (kept, so that
        :meth:`drop` finds the same cells)."""
        c = self.cols
        sw = int(c["sw"][root])
        x, y = int(c["swx"][root]) / sw, int(c["swy"][root]) / sw
        c["cx"][root], c["cy"][root] = x, y
        g, t0, t1 = int(c["group"][root]), int(c["t0"][root]), int(c["t1"][root])
        for level in range(INC_LEVELS):
            self.grid.add(root, g, level, x, y, t0, t1)

    def file_all(self, roots: I64, a: _Anchored) -> None:
        """:meth:`file` for the incidents of table ``a`` stored under ``roots``, in numpy."""
        self.cols["cx"][roots], self.cols["cy"][roots] = a.x, a.y
        for level in range(INC_LEVELS):
            self.grid.add_many(
                roots, a.group, np.full(roots.size, level, dtype=np.int64), a.x, a.y, a.t0, a.t1
            )

    def drop(self, r: int) -> None:
        """Forget incident ``r`` and take it out of the grid (its rows are overwritten when the
        id is used again)."""
        c = self.cols
        x, y = float(c["cx"][r]), float(c["cy"][r])
        g, t0, t1 = int(c["group"][r]), int(c["t0"][r]), int(c["t1"][r])
        for level in range(INC_LEVELS):
            self.grid.remove(r, g, level, x, y, t0, t1)
        self.models.pop(r, None)
        c["named"][r] = False

    def table(self, roots: I64) -> _Anchored:
        """The incidents at ``roots`` as a table (row k is ``roots[k]``)."""
        c = self.cols
        named = np.flatnonzero(c["named"][roots])
        found = [
            (k, m)
            for k, r in zip(named.tolist(), roots[named].tolist(), strict=True)
            for m in self.models[r]
        ]
        models = _model_keys(
            np.array([k for k, _ in found], dtype=np.int64),
            np.array([m for _, m in found], dtype=np.int64),
        )
        return _Anchored(
            key=c["key"][roots],
            group=c["group"][roots],
            models=np.sort(models),
            **{name: c[name][roots] for name in self._INTS},
        )
