"""The demo a person starts with ``make run``: someone to sign in as, and a public view with
something in it."""

from __future__ import annotations

import stat
from pathlib import Path

from ceasefire.publish.access import Principal
from ceasefire.publish.visibility import Viewer
from ceasefire.sim.demo import demo_users
from ceasefire.store.facade import Store


def _tokens(demo_dir: Path) -> dict[str, str]:
    """Role (a party's code for a liaison) -> token, from the demo's token file."""
    out = {}
    for line in (demo_dir / "demo-keys" / "tokens.txt").read_text().splitlines():
        if line.startswith("#"):
            continue
        role, party, *_, token = line.split()
        out[party if party != "-" else role] = token
    return out


def test_the_demo_writes_a_working_token_per_role_readable_by_its_owner_only(
    demo_dir: Path,
) -> None:
    path = demo_dir / "demo-keys" / "tokens.txt"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    tokens = _tokens(demo_dir)
    assert set(tokens) == {"monitor", "mediator", "admin", "UA", "RU"}
    with Store.open(str(demo_dir / "demo.db"), create=False, migrate=False) as store:
        who = {k: store.principal_for_token(t) for k, t in tokens.items()}
    assert who["monitor"] == Principal("demo monitor", "monitor")
    assert who["UA"] == Principal("demo UA liaison", "party", "UA")
    assert who["RU"] == Principal("demo RU liaison", "party", "RU")
    assert {p.role for p in who.values() if p is not None} == {
        "monitor", "mediator", "admin", "party"
    }  # fmt: skip
    # They are the demo's own: a new demo replaces them without asking (make run, twice).
    assert demo_users(str(demo_dir / "demo.db")) == []


def test_the_public_sees_the_incidents_the_demo_mediator_released(demo_dir: Path) -> None:
    with Store.open(str(demo_dir / "demo.db"), create=False, migrate=False) as store:
        released = store.releases()
        rows = store.list_incidents()
        public = [v for v in Viewer(Principal("anyone", "public"), store).incidents(rows) if v]
    assert len(released) == 13
    assert sum(r.full for r in released.values()) == 1  # the verified one, in full
    assert {v["id"] for v in public} == set(released)
    coarse = [v for v in public if v.get("place_precision") == "coarsened"]
    assert len(coarse) == 12
    assert all("report_ids" not in v for v in public)
