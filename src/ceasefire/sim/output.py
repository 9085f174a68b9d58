"""Output rows: a fast formatter for the JSON Lines files and a plain one for memory.

The two must agree to the byte once parsed; a test holds them equal. The fast path formats
whole columns through lookup tables of JSON text (``null`` last, so code -1 maps to it) and
``%`` templates, with no per-field ``json.dumps``.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any, Final

import numpy as np
import numpy.typing as npt

from ceasefire.sim.config import I64, INT_MAX, PARTIES, SUBMITTERS
from ceasefire.sim.events import MODELS, _Chunk
from ceasefire.vocab import EVENT_TYPES, INFRASTRUCTURE, PRECISIONS, SOURCE_KINDS, WEAPON_CLASSES

_REPORT_ROW: Final = (
    '{"id":"%s","submitted_by":%s,"source_kind":%s,"source_name":"%s",'
    '"observed_from":"%s+00:00","observed_to":"%s+00:00","time_precision":%s,'
    '"lon":%.5f,"lat":%.5f,"uncertainty_m":%d,"place_precision":%s,'
    '"event_type":%s,"weapon_class":%s,"weapon_model":%s,"calibre_mm":%s,"count":%s,'
    '"claimed_perpetrator":%s,"killed":%s,"injured":%s,'
    '"civilians_killed":%s,"civilians_injured":%s,"infrastructure":%s,"people_affected":%s,'
    '"outage_from":%s,"utilities":%s,"notes":"%s"}\n'
)
_EVENT_ROW: Final = (
    '{"record":"event","id":"%s","event_type":%s,"time":"%s+00:00","duration_s":%d,'
    '"lon":%.5f,"lat":%.5f,"side":%s,"distance_km":%.3f,"perpetrator":%s,'
    '"weapon_class":%s,"weapon_model":%s,"calibre_mm":%s,"count":%s,"killed":%s,"injured":%s,'
    '"civilians_killed":%s,"civilians_injured":%s,"place":"%s","oblast":"%s"}\n'
)
_LINK_ROW: Final = '{"record":"link","report_id":"%s","event_id":%s,"fidelity":"%s"}\n'
FIDELITY: Final = ("faithful", "exaggerated", "false")


def _json_table(values: tuple[str, ...]) -> npt.NDArray[np.object_]:
    """JSON text of each value, with ``null`` last so that code -1 maps to it."""
    return np.array([f'"{v}"' for v in values] + ["null"], dtype=object)


_J_SUB, _J_KIND, _J_PREC = (
    _json_table(SUBMITTERS),
    _json_table(SOURCE_KINDS),
    _json_table(PRECISIONS),
)
_J_ETYPE, _J_WCLASS, _J_PARTY = (
    _json_table(EVENT_TYPES),
    _json_table(WEAPON_CLASSES),
    _json_table(PARTIES),
)
_J_MODEL = _json_table(tuple(m[0] for m in MODELS))
_J_INT = np.array([str(i) for i in range(INT_MAX + 1)] + ["null"], dtype=object)
_J_INFRA = _json_table(INFRASTRUCTURE)
#: What people are without when a category is hit (ceasefire.vocab.UTILITIES), by its code.
_WITHOUT: Final = {"energy": "electricity", "heating": "heating", "water": "water"}
_J_WITHOUT = np.array(
    [f'"{_WITHOUT[c]}"' if c in _WITHOUT else "null" for c in INFRASTRUCTURE] + ["null"],
    dtype=object,
)


def _people(low: int, high: int) -> int | dict[str, int] | None:
    if low < 0:
        return None
    return int(low) if low == high else {"min": int(low), "max": int(high)}


def _harm_cells(r: dict[str, Any]) -> tuple[list[str], list[str], list[str], list[str]]:
    """JSON text of each report's infrastructure, people affected, outage start and utilities
    (the few reports with people affected formatted one by one)."""
    m = r["ev"].size
    people = np.full(m, "null", dtype=object)
    outage = np.full(m, "null", dtype=object)
    known = np.flatnonzero(r["plo"] >= 0)
    if known.size:
        pairs = zip(r["plo"][known].tolist(), r["phi"][known].tolist(), strict=True)
        people[known] = [json.dumps(_people(lo, hi)) for lo, hi in pairs]
        outage[known] = [f'"{t}+00:00"' for t in _iso(r["outage"][known])]
    without = np.where(r["plo"] >= 0, _J_WITHOUT[r["infra"]], "null")
    return _J_INFRA[r["infra"]].tolist(), people.tolist(), outage.tolist(), without.tolist()


def _opt(values: tuple[str, ...], code: int) -> str | None:
    return None if code < 0 else values[code]


def _opt_int(v: int) -> int | None:
    return None if v < 0 else int(v)


def _iso(t: I64) -> list[str]:
    return np.datetime_as_string(t.astype("datetime64[s]")).tolist()  # type: ignore[no-any-return]


def _report_ids(chunk: _Chunk) -> list[str]:
    if chunk.report_ids is None:  # made once: both files name every report
        n0, prefix = chunk.first_report, f"sim-{chunk.seed}-"
        ids = range(n0, n0 + chunk.reports["ev"].size)
        chunk.report_ids = [f"{prefix}{i:09d}" for i in ids]
    return chunk.report_ids


def _event_ids(chunk: _Chunk) -> list[str]:
    n0 = chunk.first_event
    return [f"evt-{chunk.seed}-{i:09d}" for i in range(n0, n0 + chunk.events["t"].size)]


def _weapon_words(wclass: int, wmodel: int) -> str:
    if wmodel >= 0:
        return MODELS[wmodel][0]
    if wclass >= 0 and WEAPON_CLASSES[wclass] != "unknown":
        return WEAPON_CLASSES[wclass].replace("_", " ").replace("mlrs", "MLRS")
    return "undetermined weapons"


_KINETIC: Final = ("shelling", "explosion", "drone_strike", "missile_strike")
_WORDS: Final = {
    "shelling": "shelling",
    "explosion": "explosions",
    "drone_strike": "a drone strike",
    "missile_strike": "a missile strike",
    "weapon_sighting": "weapons",
    "armed_presence": "armed personnel",
    "military_movement": "military vehicles",
    "drone_overflight": "a drone",
}


def _notes(chunk: _Chunk) -> list[str]:
    """A short English sentence per report (lookup for sensors, a template for the rest)."""
    r, th = chunk.reports, chunk.theatre
    key = r["etype"] * (len(WEAPON_CLASSES) + 1) + r["wclass"] + 1
    notes: list[str] = th.sensor_notes[key].tolist()
    rest = np.flatnonzero(r["kind"] != SOURCE_KINDS.index("sensor"))
    cols = [r[k][rest].tolist() for k in ("kind", "sub", "name", "etype", "wclass", "wmodel")]
    cols += [r[k][rest].tolist() for k in ("count", "killed", "injured", "place", "region")]
    for i, kind, sub, name, et, wc, wm, n, k, j, place, reg in zip(
        rest.tolist(), *cols, strict=True
    ):
        src, event = th.source_names[name], EVENT_TYPES[et]
        where = f"near {th.names[place]}" if place >= 0 else f"in {th.region_names[reg]} region"
        what = _WORDS.get(event, event.replace("_", " "))
        cas = f", {k} killed, {j} injured" if k >= 0 and (k or j) else ""
        if event == "armed_presence":
            detail = f"{n} people"
        elif wm >= 0 or (wc >= 0 and WEAPON_CLASSES[wc] != "unknown"):
            detail = f"{n} x {_weapon_words(wc, wm)}"
        else:
            detail = f"{n} impacts" if k >= 0 else f"{n} seen"
        if SOURCE_KINDS[kind] == "party":
            enemy = PARTIES[2 - sub]  # submitters 1/2 are RU/UA; the enemy is the other
            notes[i] = f"{src}: {enemy} {what.removeprefix('a ')} {where}, {detail}{cas}."
        elif SOURCE_KINDS[kind] == "osint":
            where = where.removeprefix("near ").removeprefix("in ")
            notes[i] = f"{src}: {what} reported in {where}{cas}."
        else:
            verb = "recorded" if event in _KINETIC else "saw"
            notes[i] = f"{src[:1].upper()}{src[1:]} {verb} {what} {where}, {detail}{cas}."
    return notes


def _report_lines(chunk: _Chunk) -> str:
    r, th = chunk.reports, chunk.theatre
    names = np.array(th.source_names, dtype=object)
    rows = zip(
        _report_ids(chunk),
        _J_SUB[r["sub"]].tolist(),
        _J_KIND[r["kind"]].tolist(),
        names[r["name"]].tolist(),
        _iso(r["t0"]),
        _iso(r["t1"]),
        _J_PREC[r["tprec"]].tolist(),
        r["lon"].tolist(),
        r["lat"].tolist(),
        r["unc"].tolist(),
        _J_PREC[r["pprec"]].tolist(),
        _J_ETYPE[r["etype"]].tolist(),
        _J_WCLASS[r["wclass"]].tolist(),
        _J_MODEL[r["wmodel"]].tolist(),
        *(_J_INT[r[k]].tolist() for k in ("cal", "count")),
        _J_PARTY[r["claim"]].tolist(),
        *(_J_INT[r[k]].tolist() for k in ("killed", "injured", "ckilled", "cinjured")),
        *_harm_cells(r),
        _notes(chunk),
        strict=True,
    )
    return "".join([_REPORT_ROW % row for row in rows])


def _report_dicts(chunk: _Chunk) -> list[dict[str, Any]]:
    r, th = chunk.reports, chunk.theatre
    out = []
    for i, (rid, note) in enumerate(zip(_report_ids(chunk), _notes(chunk), strict=True)):
        out.append(
            {
                "id": rid,
                "submitted_by": SUBMITTERS[r["sub"][i]],
                "source_kind": SOURCE_KINDS[r["kind"][i]],
                "source_name": th.source_names[r["name"][i]],
                "observed_from": datetime.fromtimestamp(int(r["t0"][i]), UTC).isoformat(),
                "observed_to": datetime.fromtimestamp(int(r["t1"][i]), UTC).isoformat(),
                "time_precision": PRECISIONS[r["tprec"][i]],
                "lon": round(float(r["lon"][i]), 5),
                "lat": round(float(r["lat"][i]), 5),
                "uncertainty_m": int(r["unc"][i]),
                "place_precision": PRECISIONS[r["pprec"][i]],
                "event_type": EVENT_TYPES[r["etype"][i]],
                "weapon_class": _opt(WEAPON_CLASSES, int(r["wclass"][i])),
                "weapon_model": _opt(tuple(m[0] for m in MODELS), int(r["wmodel"][i])),
                "calibre_mm": _opt_int(r["cal"][i]),
                "count": _opt_int(r["count"][i]),
                "claimed_perpetrator": _opt(PARTIES, int(r["claim"][i])),
                "killed": _opt_int(r["killed"][i]),
                "injured": _opt_int(r["injured"][i]),
                "civilians_killed": _opt_int(r["ckilled"][i]),
                "civilians_injured": _opt_int(r["cinjured"][i]),
                "infrastructure": _opt(INFRASTRUCTURE, int(r["infra"][i])),
                "people_affected": _people(int(r["plo"][i]), int(r["phi"][i])),
                "outage_from": None
                if r["plo"][i] < 0
                else datetime.fromtimestamp(int(r["outage"][i]), UTC).isoformat(),
                "utilities": _WITHOUT.get(_opt(INFRASTRUCTURE, int(r["infra"][i])) or "")
                if r["plo"][i] >= 0
                else None,
                "notes": note,
            }
        )
    return out


def _event_lines(chunk: _Chunk) -> str:
    e, th = chunk.events, chunk.theatre
    names = np.array(th.names, dtype=object)
    regions = np.array(th.region_names, dtype=object)
    rows = zip(
        _event_ids(chunk),
        _J_ETYPE[e["etype"]].tolist(),
        _iso(e["t"]),
        e["dur"].tolist(),
        e["lon"].tolist(),
        e["lat"].tolist(),
        _J_PARTY[e["side"]].tolist(),
        (e["dist"] / 1000.0).tolist(),
        _J_PARTY[e["perp"]].tolist(),
        _J_WCLASS[e["wclass"]].tolist(),
        _J_MODEL[e["wmodel"]].tolist(),
        *(
            _J_INT[e[k]].tolist()
            for k in ("cal", "count", "killed", "injured", "ckilled", "cinjured")
        ),
        names[e["town"]].tolist(),
        regions[e["region"]].tolist(),
        strict=True,
    )
    return "".join([_EVENT_ROW % row for row in rows])


def _event_dicts(chunk: _Chunk) -> list[dict[str, Any]]:
    e, th = chunk.events, chunk.theatre
    return [
        {
            "id": eid,
            "event_type": EVENT_TYPES[e["etype"][i]],
            "time": datetime.fromtimestamp(int(e["t"][i]), UTC).isoformat(),
            "duration_s": int(e["dur"][i]),
            "lon": round(float(e["lon"][i]), 5),
            "lat": round(float(e["lat"][i]), 5),
            "side": PARTIES[e["side"][i]],
            "distance_km": round(float(e["dist"][i]) / 1000.0, 3),
            "perpetrator": PARTIES[e["perp"][i]],
            "weapon_class": _opt(WEAPON_CLASSES, int(e["wclass"][i])),
            "weapon_model": _opt(tuple(m[0] for m in MODELS), int(e["wmodel"][i])),
            "calibre_mm": _opt_int(e["cal"][i]),
            "count": _opt_int(e["count"][i]),
            "killed": _opt_int(e["killed"][i]),
            "injured": _opt_int(e["injured"][i]),
            "civilians_killed": _opt_int(e["ckilled"][i]),
            "civilians_injured": _opt_int(e["cinjured"][i]),
            "place": th.names[e["town"][i]],
            "oblast": th.region_names[e["region"][i]],
        }
        for i, eid in enumerate(_event_ids(chunk))
    ]


def _link_lines(chunk: _Chunk) -> str:
    eids = np.array([f'"{e}"' for e in _event_ids(chunk)] + ["null"], dtype=object)
    fid = np.array(FIDELITY, dtype=object)
    r = chunk.reports
    rows = zip(_report_ids(chunk), eids[r["ev"]].tolist(), fid[r["fid"]].tolist(), strict=True)
    return "".join([_LINK_ROW % row for row in rows])


def _link_dicts(chunk: _Chunk) -> list[dict[str, Any]]:
    eids = _event_ids(chunk)
    r = chunk.reports
    return [
        {
            "report_id": rid,
            "event_id": None if r["ev"][i] < 0 else eids[r["ev"][i]],
            "fidelity": FIDELITY[r["fid"][i]],
        }
        for i, rid in enumerate(_report_ids(chunk))
    ]
