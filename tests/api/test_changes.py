"""The change feed: every change to incidents in log order, paged and pushed, each caller
seeing the changes about what it may read (the demo's data, a user of every role)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from test_service import V1
from test_service_access import World

from backends import copy_sqlite
from ceasefire.geo.engine import GeoEngine
from ceasefire.store.changes import KINDS
from ceasefire.store.facade import Store


@pytest.fixture(scope="module")
def world(demo_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    from ceasefire.agreement.load import demo_agreement_path, load_agreement

    engine = GeoEngine(load_agreement(demo_agreement_path()))
    folder = tmp_path_factory.mktemp("changes")
    with Store.open(copy_sqlite(demo_dir / "demo.db", folder)) as store:
        yield World(store, engine)


def feed(w: World, role: str, since: int = -1) -> list[dict[str, Any]]:
    """Every change the role sees after ``since``, following the cursor to the end."""
    items: list[dict[str, Any]] = []
    while True:
        r = w.get(role, f"{V1}/changes", params={"since": since, "limit": 500})
        assert r.status_code == 200, r.text
        body = r.json()
        items += body["items"]
        if body["since"] == since:
            return items
        since = body["since"]


def test_the_mission_sees_every_change_in_log_order(world: World) -> None:
    items = feed(world, "monitor")
    idx = [c["idx"] for c in items]
    assert idx == sorted(idx) and len(set(idx)) == len(idx)
    assert {c["kind"] for c in items} <= set(KINDS)
    assert {c["kind"] for c in items} >= {"incident", "status_change", "violation", "release"}
    created = {c["incident_id"] for c in items if c["kind"] == "incident"}
    assert created == set(world.incidents)
    assert all("at" in c for c in items)


@pytest.mark.parametrize("role", ["UA", "RU", "public"])
def test_each_caller_sees_the_changes_about_what_it_may_read(world: World, role: str) -> None:
    items = feed(world, role)
    about = {c["incident_id"] for c in items}
    if role == "public":
        visible = world.released
        assert all("at" not in c for c in items)  # the public sees incidents late
    else:
        visible = world.visible_to(role)
    assert about <= visible
    assert {world.released_full, world.released_coarse} <= about
    shown = {
        v["seq"]
        for v in world.get(role, f"{V1}/violations", params={"limit": 1000}).json()["items"]
    }
    assert {c["violation"] for c in items if c["kind"] == "violation"} <= shown


def test_a_decision_shows_in_the_feed_after_the_cursor(world: World) -> None:
    last = feed(world, "monitor")[-1]["idx"]
    target = world.ru_only
    r = world.client.post(
        f"{V1}/incidents/{target}/status",
        json={"status": "disputed", "basis": "the crater points the other way"},
        headers=world.headers["monitor"],
    )
    assert r.status_code == 200, r.text
    new = feed(world, "monitor", since=last)
    assert [(c["kind"], c["incident_id"]) for c in new] == [("status_change", target)]
    assert feed(world, "UA", since=last) == []  # not an incident UA may read


def _events(text: str) -> list[dict[str, str]]:
    out = []
    for block in text.split("\n\n"):
        fields = dict(
            line.split(": ", 1) for line in block.splitlines() if line and not line.startswith(":")
        )
        if "data" in fields:
            out.append(fields)
    return out


def test_the_stream_pushes_each_change_once_and_resumes_after_the_last_event(
    world: World,
) -> None:
    everything = feed(world, "mediator")
    # The backlog comes whole, however short the stream is asked to follow: a busy server
    # cannot cut a catch-up short.
    r = world.get("mediator", f"{V1}/changes/stream", params={"seconds": 0.01})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/event-stream")
    events = _events(r.text)
    assert [int(e["id"]) for e in events] == [c["idx"] for c in everything]
    assert [json.loads(e["data"]) for e in events] == everything
    assert all(e["event"] == json.loads(e["data"])["kind"] for e in events)
    middle = everything[len(everything) // 2]["idx"]
    resumed = world.client.get(
        f"{V1}/changes/stream",
        params={"seconds": 0.3},
        headers={**world.headers["mediator"], "Last-Event-ID": str(middle)},
    )
    assert [int(e["id"]) for e in _events(resumed.text)] == [
        c["idx"] for c in everything if c["idx"] > middle
    ]
    public = _events(world.get("public", f"{V1}/changes/stream", params={"seconds": 0.3}).text)
    assert {json.loads(e["data"])["incident_id"] for e in public} <= world.released
