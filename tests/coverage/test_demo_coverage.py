"""The demo's coverage: sensors along the line, two of them out for part of the night, a patrol,
a restriction, and the hotline's denied access request the next day; all in the audited log."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

from backends import copy_sqlite
from ceasefire import ledger
from ceasefire.agreement.load import demo_agreement_path, load_agreement
from ceasefire.coverage import report_section
from ceasefire.publish.access import Principal
from ceasefire.sim.config import SimConfig
from ceasefire.store.facade import Store

MEDIATOR = Principal("mediator", "mediator")


def test_the_demo_night_has_real_coverage(demo_run: object, demo_dir: Path, tmp_path: Path) -> None:
    summary = json.loads(demo_run.output)  # type: ignore[attr-defined]
    assert summary["coverage"][0].startswith("coverage: 17 records;")
    agreement = load_agreement(demo_agreement_path())
    start, end = agreement.reporting.holding(SimConfig().start)
    with Store.open(str(copy_sqlite(demo_dir / "demo.db", tmp_path))) as store:
        night = report_section(store.coverage_leaves(by=MEDIATOR, start=start, end=end),
                               start, end, agreement)  # fmt: skip
        day_after = report_section(
            store.coverage_leaves(by=MEDIATOR, start=end, end=end + timedelta(days=1)),
            end, end + timedelta(days=1), agreement,
        )  # fmt: skip
        ledger.audit(store)
    assert [(d["sensor"], d["status"]) for d in night["sensors_down"]] == [
        ("CAM-04", "down"),
        ("ACU-06", "jammed"),
    ]
    seen = {r["oblast"]: r["observed"] for r in night["by_oblast"]}
    assert 0 < seen["Donetsk"] < 1 and seen["Sumy"] == 0.0
    assert [(r["by"], r["source"]) for r in night["restrictions"]] == [("UA", "restriction")]
    # The hotline's access request to RU, denied the morning after the night.
    assert ("RU", "hotline") in {(r["by"], r["source"]) for r in day_after["restrictions"]}
    assert day_after["sensors_down"] == []
