"""Who may read and do what through the HTTP API (DESIGN section 6, :mod:`ceasefire.publish.access`).

The role matrix walks every route of the app against every role (and a bad token) and pins the
status each gets; a route without an entry fails the test. The leak tests then read the demo
data as each party and as the public and check that nothing of another party shows: not in
lists, counts, ``next`` links, error messages, nor an incident's member ids.
"""

from __future__ import annotations

import dataclasses
import json
import re
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient
from test_service import (
    AGREEMENT,
    OBSERVER,
    V1,
    all_routes,
    assert_error,
    log_verifier,
    report,
)
from typer.testing import CliRunner

from backends import ROLE_USERS, copy_sqlite
from ceasefire.api import create_app
from ceasefire.api.deps import USERS_CHECK_S, Limits, Tokens
from ceasefire.cli.app import app as cli_app
from ceasefire.errors import ConflictError, InputError, NotFoundError
from ceasefire.geo.engine import GeoEngine
from ceasefire.harm import rollup
from ceasefire.hotline.rules import system_id
from ceasefire.hotline.scheduler import Scheduler
from ceasefire.ledger.checkpoints import cosign
from ceasefire.publish.access import PUBLIC_DELAY, Principal, concerns, token_hash
from ceasefire.store.facade import Store
from ceasefire.store.users import users_table
from proposals import AIR_ATTACK

ROLES = ("admin", "monitor", "mediator", "UA", "RU", "public", "bad")
USERS = ROLE_USERS


class World:
    """The demo data behind one app, with a user of every role and two released incidents."""

    def __init__(self, store: Store, engine: GeoEngine) -> None:
        self.store = store
        self.cosigned: dict[int, str] = {}  # checkpoint size -> the observer's cosigned note
        # The matrix sends the bad token to every route: the bad-token limit (429 after a few)
        # is pinned in tests/api/test_ratelimit.py.
        app = create_app(
            store,
            AGREEMENT,
            engine=engine,
            cosigners=[OBSERVER.verifier()],
            limits=Limits(bad_tokens=0),
        )
        self.client = TestClient(app)
        self.headers: dict[str, dict[str, str]] = {"public": {}}
        for name, (role, party) in USERS.items():
            token = store.add_user(f"user-{name}", role, party)
            self.headers[name] = {"Authorization": f"Bearer {token}"}
        self.headers["bad"] = {"Authorization": "Bearer cf_not-a-token"}
        reports = store.list_reports()
        self.ids = {p: {r.id for r in reports if r.submitted_by == p} for p in ("UA", "RU")}
        self.all_ids = {r.id for r in reports}
        against = store.violation_parties([s.incident_id for s in store.list_incidents()])
        self.incidents = {s.incident_id: s.to_dict() for s in store.list_incidents()}
        self.against = against

        def only(party: str, other: str) -> str:
            return next(
                i
                for i, d in self.incidents.items()
                if i not in demo_released
                and concerns(d, party, against.get(i, ()))
                and not concerns(d, other, against.get(i, ()))
            )

        # The demo mediator released some (so the public view of `make run` is not empty):
        # the incidents picked here are none of those.
        demo_released = set(store.releases())
        self.incidents_unreleased = [i for i in self.incidents if i not in demo_released]
        self.ua_only = only("UA", "RU")
        self.ru_only = only("RU", "UA")
        others = [i for i in self.incidents_unreleased if i not in (self.ua_only, self.ru_only)]
        self.released_full, self.released_coarse = others[0], others[1]
        store.release_incident(self.released_full, full=True, by="setup")
        store.release_incident(self.released_coarse, full=False, by="setup")
        #: Every released incident: the demo's and the two above.
        self.released = set(store.releases())
        self.ua_report = sorted(self.ids["UA"])[0]
        # The hotline as the service's scheduler leaves it; a notification to UA that UA did
        # not acknowledge in the demo's simulated traffic (RU may not even see it exists).
        Scheduler(store, AGREEMENT).tick()
        now = datetime.now(UTC)
        notes = store.hotline_messages(now, address="UA", kind="notification", limit=None)
        unacked = [m.message.id for m in notes if m.progress.acknowledged_at is None]
        if len(unacked) < 2:
            # UA's simulated officer leaves about 1 % of its notifications neither acknowledged
            # nor answered, so how many stay open depends on how the night fused: the mission
            # tells UA of an incident once more, under an id of its own, for a second open one.
            again = dataclasses.replace(
                notes[0].message, id=system_id("n.test-again.UA"), sent_at=now
            )
            store.hotline_send([again], now)
            unacked.append(again.id)
        self.ua_note = unacked[0]
        # Another one, for the bulk acknowledgement (the matrix acknowledges ua_note singly).
        self.ua_other_note = unacked[1]

    def get(self, role: str, url: str, **kwargs: Any) -> Any:
        return self.client.get(url, headers=self.headers[role], **kwargs)

    def visible_to(self, party: str) -> set[str]:
        return {
            i
            for i, d in self.incidents.items()
            if i in self.released or concerns(d, party, self.against.get(i, ()))
        }


@pytest.fixture
def world(demo_dir: Path, tmp_path: Path, engine: GeoEngine) -> Iterator[World]:
    with Store.open(copy_sqlite(demo_dir / "demo.db", tmp_path)) as store:
        yield World(store, engine)


def walk(w: World, role: str, url: str) -> tuple[list[dict[str, Any]], list[str]]:
    """Every item of a list, following ``next``; and every answer's text, to search for leaks."""
    items: list[dict[str, Any]] = []
    texts: list[str] = []
    while url:
        r = w.get(role, url)
        assert r.status_code == 200, r.text
        texts.append(r.text + r.headers.get("link", ""))
        items += r.json()["items"]
        url = r.json()["next"]
    return items, texts


# -- the role matrix -------------------------------------------------------------------------

A, M, D, U, R, P, B = ROLES  # admin monitor mediator UA RU public bad-token
MISSION = {A: 200, M: 200, D: 200}
EVERYONE = {**MISSION, U: 200, R: 200, P: 200, B: 401}
TALLY_READERS = {**MISSION, U: 200, R: 200, P: 403, B: 401}


COVERAGE_READERS = {**MISSION, U: 403, R: 403, P: 403, B: 401}


def _sensor_status(status_id: str) -> dict[str, Any]:
    """A camera up for a night (the matrix's coverage POST)."""
    return {
        "kind": "sensor_status", "id": status_id, "status": "up",
        "start": "2026-03-10T18:00:00Z", "end": "2026-03-11T06:00:00Z",
        "sensor": {"id": "CAM-07", "kind": "camera", "lon": 37.6, "lat": 48.6,
                   "footprint": {"shape": "sector", "range_m": 4000.0,
                                 "bearing_from": 60.0, "bearing_to": 150.0}},
    }  # fmt: skip


def _tally(tally_id: str) -> dict[str, Any]:
    """A UA air force tally of one night (the matrix's POST)."""
    return {
        "id": tally_id, "issuer": "UA", "attacker": "RU",
        "window_from": "2026-03-09T18:00:00+02:00", "window_to": "2026-03-10T08:00:00+02:00",
        "lines": [{"weapon_class": "drone", "launched": 40, "destroyed": 35}],
    }  # fmt: skip


def _cosigned(w: World) -> str:
    """The latest checkpoint cosigned by the observer: one line per checkpoint, made once, so
    that every role posts the same line (a second, different line for a checkpoint is a 409,
    and calls a second apart under load would otherwise date their lines differently)."""
    latest = w.store.ledger_checkpoint()
    made = w.cosigned.get(latest.size)
    if made is None:
        made = cosign(latest.note, OBSERVER, int(time.time()), log_verifier=log_verifier(w.store))
        w.cosigned[latest.size] = made
    return made


#: (method, route path) -> (the request for a role, the status each role gets).
#: The request is made from the world, the role and a fresh number (for unique ids).
MATRIX: dict[tuple[str, str], tuple[Any, dict[str, int]]] = {
    ("GET", V1): (lambda w, role: ("", {}), EVERYONE),
    ("POST", f"{V1}/reports"): (
        lambda w, role: (
            "",
            {"json": report(1, id=f"m-{role}", submitted_by="UA", source_kind="party")},
        ),
        {A: 201, M: 201, D: 403, U: 201, R: 403, P: 403, B: 401},
    ),
    ("POST", f"{V1}/reports/batch"): (
        lambda w, role: (
            "?partial=true",
            {"json": [report(1, id=f"b-{role}", submitted_by="UA", source_kind="party")]},
        ),
        {A: 200, M: 200, D: 403, U: 200, R: 403, P: 403, B: 401},
    ),
    ("GET", f"{V1}/reports"): (
        lambda w, role: ("?limit=5", {}),
        {**MISSION, U: 200, R: 200, P: 403, B: 401},
    ),
    ("GET", f"{V1}/reports/{{report_id:path}}"): (
        lambda w, role: (w.ua_report, {}),
        {**MISSION, U: 200, R: 404, P: 403, B: 401},
    ),
    # A party retracts its own reports (another's reads as missing); the mission any report.
    ("POST", f"{V1}/reports/{{report_id:path}}/retract"): (
        lambda w, role: (
            sorted(w.ids["UA"])[ROLES.index(role)],
            {"json": {"reason": f"withdrawn by {role}"}},
        ),
        {A: 200, M: 200, D: 403, U: 200, R: 404, P: 403, B: 401},
    ),
    ("GET", f"{V1}/incidents"): (lambda w, role: ("?limit=5", {}), EVERYONE),
    # Exports: everyone, of what each may see (tests/api/test_exports.py).
    ("GET", f"{V1}/incidents/export"): (lambda w, role: ("?format=csv", {}), EVERYONE),
    ("GET", f"{V1}/violations/export"): (lambda w, role: ("?format=csv", {}), EVERYONE),
    ("GET", f"{V1}/harm"): (lambda w, role: ("?by=day", {}), EVERYONE),
    ("GET", f"{V1}/incidents/{{incident_id}}"): (
        lambda w, role: (w.ua_only, {}),
        {**MISSION, U: 200, R: 404, P: 404, B: 401},
    ),
    ("POST", f"{V1}/incidents/{{incident_id}}/status"): (
        lambda w, role: (
            sorted(w.incidents)[ROLES.index(role) + 10],
            {"json": {"status": "disputed", "basis": "seen otherwise"}},
        ),
        {A: 200, M: 200, D: 403, U: 403, R: 403, P: 403, B: 401},
    ),
    ("POST", f"{V1}/incidents/{{incident_id}}/release"): (
        lambda w, role: (w.ua_only, {"json": {"full": False}}),
        {A: 200, M: 403, D: 200, U: 403, R: 403, P: 403, B: 401},
    ),
    ("GET", f"{V1}/violations"): (lambda w, role: ("?limit=5", {}), EVERYONE),
    ("GET", f"{V1}/changes"): (lambda w, role: ("?limit=5", {}), EVERYONE),
    ("GET", f"{V1}/changes/stream"): (lambda w, role: ("?seconds=0.1", {}), EVERYONE),
    ("GET", f"{V1}/agreements"): (lambda w, role: ("", {}), EVERYONE),
    ("GET", f"{V1}/reporting-day"): (lambda w, role: ("", {}), EVERYONE),
    ("GET", f"{V1}/ledger/checkpoint"): (lambda w, role: ("", {}), EVERYONE),
    ("GET", f"{V1}/ledger/proof/inclusion"): (
        lambda w, role: (f"?record_id={w.ua_report}", {}),
        {**MISSION, U: 200, R: 404, P: 404, B: 401},
    ),
    ("GET", f"{V1}/ledger/proof/consistency"): (lambda w, role: ("?from=1", {}), EVERYONE),
    ("POST", f"{V1}/ledger/cosignature"): (
        lambda w, role: (
            "",
            {"content": _cosigned(w), "headers": {"Content-Type": "text/plain"}},
        ),
        {A: 403, M: 403, D: 200, U: 200, R: 200, P: 403, B: 401},
    ),
    # OGC API - Features: each caller's view, as the routes above (reports: the public is 403).
    ("GET", f"{V1}/ogc"): (lambda w, role: ("", {}), EVERYONE),
    ("GET", f"{V1}/ogc/conformance"): (lambda w, role: ("", {}), EVERYONE),
    ("GET", f"{V1}/ogc/collections"): (lambda w, role: ("", {}), EVERYONE),
    ("GET", f"{V1}/ogc/collections/{{collection_id}}"): (
        lambda w, role: ("reports", {}),
        {**MISSION, U: 200, R: 200, P: 403, B: 401},
    ),
    ("GET", f"{V1}/ogc/collections/{{collection_id}}/items"): (
        lambda w, role: ("reports?limit=5", {}),
        {**MISSION, U: 200, R: 200, P: 403, B: 401},
    ),
    ("GET", f"{V1}/ogc/collections/{{collection_id}}/items/{{feature_id:path}}"): (
        lambda w, role: ("reports", {}),
        {**MISSION, U: 200, R: 404, P: 403, B: 401},
    ),
    # The hotline: a party reads and answers its own traffic; the mission and the mediator read
    # all of it; the public has no part. Only a recipient acknowledges or answers.
    ("GET", f"{V1}/hotline/messages"): (
        lambda w, role: ("?limit=5", {}),
        {**MISSION, U: 200, R: 200, P: 403, B: 401},
    ),
    ("POST", f"{V1}/hotline/messages"): (
        lambda w, role: (
            "",
            {
                "json": {
                    "kind": "query",
                    "recipients": ["mission", "mediator"],
                    "subject": "Who fired?",
                    "id": f"q-{role}",
                }
            },
        ),
        {A: 201, M: 201, D: 201, U: 201, R: 201, P: 403, B: 401},
    ),
    ("GET", f"{V1}/hotline/messages/{{message_id}}"): (
        lambda w, role: (w.ua_note, {}),
        {**MISSION, U: 200, R: 404, P: 403, B: 401},
    ),
    ("GET", f"{V1}/hotline/messages/{{message_id}}/cap"): (
        lambda w, role: (w.ua_note, {}),
        {**MISSION, U: 200, R: 404, P: 403, B: 401},
    ),
    ("POST", f"{V1}/hotline/messages/{{message_id}}/ack"): (
        lambda w, role: (w.ua_note, {}),
        {A: 403, M: 403, D: 403, U: 201, R: 404, P: 403, B: 401},
    ),
    ("POST", f"{V1}/hotline/messages/ack"): (
        lambda w, role: ("", {"json": {"ids": [w.ua_other_note]}}),
        {A: 403, M: 403, D: 403, U: 201, R: 404, P: 403, B: 401},
    ),
    ("POST", f"{V1}/hotline/messages/{{message_id}}/answer"): (
        lambda w, role: (w.ua_note, {"json": {"position": "under_investigation"}}),
        {A: 403, M: 403, D: 403, U: 201, R: 404, P: 403, B: 401},
    ),
    ("GET", f"{V1}/hotline/metrics"): (
        lambda w, role: ("", {}),
        {**MISSION, U: 200, R: 200, P: 403, B: 401},
    ),
    # A party enters its own account (UA's here; RU may not), the mission transcribes a party's
    # bulletin; every role but the public reads every tally.
    ("POST", f"{V1}/tallies"): (
        lambda w, role: ("", {"json": _tally(f"t-{role}")}),
        {A: 201, M: 201, D: 403, U: 201, R: 403, P: 403, B: 401},
    ),
    # UA's tier of the demo night's report: the mission and the mediator may read it, UA its
    # own, RU and the public not (theirs is another tier); the note is not signed yet (404).
    ("GET", f"{V1}/reports/daily"): (
        lambda w, role: ("?date=2026-03-11&tier=party:UA", {}),
        {**MISSION, U: 200, R: 403, P: 403, B: 401},
    ),
    ("GET", f"{V1}/reports/daily/note"): (
        lambda w, role: ("?date=2026-03-11&tier=party:UA", {}),
        {A: 404, M: 404, D: 404, U: 404, R: 403, P: 403, B: 401},
    ),
    ("GET", f"{V1}/tallies"): (lambda w, role: ("", {}), TALLY_READERS),
    ("GET", f"{V1}/tallies/reconcile"): (lambda w, role: ("", {}), TALLY_READERS),
    ("GET", f"{V1}/tallies/series"): (lambda w, role: ("", {}), TALLY_READERS),
    ("GET", f"{V1}/tallies/{{issuer}}/{{tally_id:path}}"): (
        lambda w, role: ("UA|af-2026-03-11", {}),
        TALLY_READERS,
    ),
    # Coverage is the mission's own record: it writes; it and the mediator read; a party never
    # sees a sensor's position or a patrol's route, nor the public.
    ("POST", f"{V1}/coverage"): (
        lambda w, role: ("", {"json": _sensor_status(f"s-{role}")}),
        {A: 201, M: 201, D: 403, U: 403, R: 403, P: 403, B: 401},
    ),
    ("GET", f"{V1}/coverage"): (
        lambda w, role: ("?start=2026-03-10T18:00:00Z&end=2026-03-11T06:00:00Z", {}),
        COVERAGE_READERS,
    ),
    # Extraction is the mission's own work: a party must not make the mission's osint reports.
    # The mission's first accept stores, the second finds it stored (idempotent: 200).
    ("POST", f"{V1}/extract"): (
        lambda w, role: ("", {"json": {"text": AIR_ATTACK, "published": "2026-02-17"}}),
        {A: 200, M: 200, D: 403, U: 403, R: 403, P: 403, B: 401},
    ),
    ("POST", f"{V1}/extract/accept"): (
        lambda w, role: (
            "",
            {"json": {"text": AIR_ATTACK, "published": "2026-02-17", "events": [0]}},
        ),
        {A: 201, M: 200, D: 403, U: 403, R: 403, P: 403, B: 401},
    ),
}


def _url(w: World, path: str, fill: str) -> str:
    """The path with its one or two parameters filled: ``fill`` is the last part or a query."""
    if fill.startswith("?") or not fill:
        return path + fill
    params = re.findall(r"\{[^}]+\}", path)
    if len(params) == 2 and "|" in fill:  # /tallies/{issuer}/{tally_id}: both given
        first, second = fill.split("|", 1)
        return path.replace(params[0], first).replace(params[1], second)
    if len(params) == 2:  # /ogc/collections/{collection_id}/items/{feature_id}
        return path.replace(params[0], fill).replace(params[1], w.ua_report)
    value, _, query = fill.partition("?")
    return path.replace(params[0], value) + (f"?{query}" if query else "")


def test_every_route_has_an_entry_in_the_matrix(world: World) -> None:
    routes = {
        (m, r.path)
        for r in all_routes(world.client.app)
        if r.path.startswith(V1) and r.methods
        for m in r.methods
    }
    assert routes == set(MATRIX), "a new route needs its row in MATRIX (who may call it)"


def test_every_role_against_every_route(world: World) -> None:
    got: dict[tuple[str, str], dict[str, int]] = {}
    for (method, path), (make, expected) in MATRIX.items():
        assert set(expected) == set(ROLES), path
        for role in ROLES:
            fill, kwargs = make(world, role)
            headers = kwargs.pop("headers", {}) | world.headers[role]
            r = world.client.request(method, _url(world, path, fill), headers=headers, **kwargs)
            got.setdefault((method, path), {})[role] = r.status_code
            if r.status_code >= 400:
                assert_error(r, r.status_code)  # the one shape, for every refusal
            if role == "bad":
                assert r.headers["www-authenticate"].startswith("Bearer")
    wrong = {
        f"{m} {p} as {role}: {got[m, p][role]} (expected {want})"
        for (m, p), (_, expected) in MATRIX.items()
        for role, want in expected.items()
        if got[m, p][role] != want
    }
    assert not wrong, "\n".join(sorted(wrong))


# -- the record matrix: every role against every kind of record, on every route that reads it -


def _records(w: World) -> dict[str, list[tuple[str, dict[str, int]]]]:
    """Records of each kind, each with the status every role must get for it. The expectation
    is written from the record's own facts (who submitted it, whom a message is between, what
    was released), apart from the policy module it checks."""
    mission = {A: 200, M: 200, D: 200}
    reports: list[tuple[str, dict[str, int]]] = []
    others = sorted(w.all_ids - w.ids["UA"] - w.ids["RU"])
    for owner, ids in (("UA", sorted(w.ids["UA"])), ("RU", sorted(w.ids["RU"])), (None, others)):
        for rid in (ids[0], ids[-1]):
            party = {p: 200 if owner == p else 404 for p in (U, R)}
            reports.append((rid, {**mission, **party, P: 403, B: 401}))
    incidents: list[tuple[str, dict[str, int]]] = []
    released = w.released
    hidden = sorted(set(w.incidents) - released - w.visible_to("UA") - w.visible_to("RU"))
    for iid in (w.ua_only, w.ru_only, w.released_full, w.released_coarse, *hidden[:2]):
        party = {p: 200 if iid in w.visible_to(p) else 404 for p in (U, R)}
        incidents.append((iid, {**mission, **party, P: 200 if iid in released else 404, B: 401}))
    messages: list[tuple[str, dict[str, int]]] = []
    now = datetime.now(UTC)
    for address in ("UA", "RU", "mediator"):
        sample = w.store.hotline_messages(now, address=address, limit=None)
        # From the demo's traffic, which its checkpoint covers (a message the world's own
        # scheduler tick just sent has no proof until the next checkpoint, for anyone).
        for m in (sample[0].message, sample[len(sample) // 2].message):
            between = {m.sender, *m.recipients}
            party = {p: 200 if p in between else 404 for p in (U, R)}
            messages.append((m.id, {**mission, **party, P: 403, B: 401}))
    # Violations (the OGC collection): of incidents UA only sees, RU only, the public, nobody.
    violations: list[tuple[str, dict[str, int]]] = []
    ua, ru = w.visible_to("UA"), w.visible_to("RU")
    kinds = [ua - ru - released, ru - ua - released, released, set(w.incidents) - ua - ru]
    judged: dict[str, int] = {}
    for v in w.store.list_violations():
        judged.setdefault(v.incident_id, v.seq)
    for kind in kinds:
        for iid in sorted(kind & set(judged))[:2]:
            party = {p: 200 if iid in w.visible_to(p) else 404 for p in (U, R)}
            public = 200 if iid in released else 404
            violations.append((str(judged[iid]), {**mission, **party, P: public, B: 401}))
    assert len(violations) >= 6
    return {"report": reports, "incident": incidents, "message": messages, "violation": violations}


#: Each route that reads one record: (kind of record, URL for its id, how the public and the
#: other party are refused where that differs from the record's own answer).
RECORD_ROUTES: tuple[tuple[str, str, dict[str, int]], ...] = (
    ("report", f"{V1}/reports/{{id}}", {}),
    ("report", f"{V1}/ogc/collections/reports/items/{{id}}", {}),
    ("report", f"{V1}/ledger/proof/inclusion?record_id={{id}}", {P: 404}),
    ("incident", f"{V1}/incidents/{{id}}", {}),
    ("incident", f"{V1}/ogc/collections/incidents/items/{{id}}", {}),
    ("violation", f"{V1}/ogc/collections/violations/items/{{id}}", {}),
    ("message", f"{V1}/hotline/messages/{{id}}", {}),
    ("message", f"{V1}/hotline/messages/{{id}}/cap", {}),
    ("message", f"{V1}/ledger/proof/inclusion?record_id=hotline/{{id}}", {P: 404}),
)


def test_every_role_against_every_record(world: World) -> None:
    """Role x route x record: each role reads exactly the records it may, on every route that
    reads one, and is told of every other record what it would be told of a missing one."""
    records = _records(world)
    wrong: list[str] = []
    for kind, url, override in RECORD_ROUTES:
        for record_id, expected in records[kind]:
            for role in ROLES:
                # A refusal may read differently on a route (the public proves nothing: 404).
                want = 200 if expected[role] == 200 else override.get(role, expected[role])
                r = world.get(role, url.format(id=quote(record_id, safe="/:")))
                if r.status_code != want:
                    wrong.append(f"{role} {url.format(id=record_id)}: {r.status_code} != {want}")
    assert not wrong, "\n".join(wrong)


# -- tokens ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "header", ["Bearer cf_nope", "Basic dXNlcjpwYXNz", "Bearer", "bearer  ", "cf_token"]
)
def test_a_bad_authorization_header_is_401_in_the_one_shape(world: World, header: str) -> None:
    r = world.client.get(f"{V1}/incidents", headers={"Authorization": header})
    error = assert_error(r, 401, "unauthorized")
    assert error["problems"][0]["field"] == "Authorization"
    assert "cf_nope" not in error["message"]


def test_no_header_is_the_public_and_a_token_is_its_user(world: World) -> None:
    token = world.headers["UA"]["Authorization"].split(" ", 1)[1]
    assert world.store.principal_for_token(token) == Principal("user-UA", "party", "UA")
    assert world.store.principal_for_token("cf_" + "x" * 43) is None
    assert world.client.get(f"{V1}/reports").status_code == 403  # the public reads incidents


def test_the_actor_of_a_decision_is_the_caller(world: World) -> None:
    target = sorted(world.incidents)[3]
    r = world.client.post(
        f"{V1}/incidents/{target}/status",
        json={"status": "disputed", "basis": "crater faces the other way"},
        headers=world.headers["monitor"],
    )
    assert r.status_code == 200, r.text
    assert r.json()["actor"] == "user-monitor"
    assert world.store.status_history(target)[-1].actor == "user-monitor"


# -- a party submits its own reports only ----------------------------------------------------


def test_a_party_submits_in_its_own_name_only(world: World) -> None:
    before = world.store.count_reports()
    ua = world.headers["UA"]
    own = {"submitted_by": "UA", "source_kind": "party"}
    mine = world.client.post(f"{V1}/reports", json=report(1, **own), headers=ua)
    assert mine.status_code == 201, mine.text
    error = assert_error(
        world.client.post(
            f"{V1}/reports", json=report(2, submitted_by="RU", source_kind="party"), headers=ua
        ),
        403,
        "forbidden",
    )
    assert "submitted_by" in error["message"] and "nothing was stored" in error["message"]
    for partial in ("false", "true"):
        mixed = [report(3, **own), report(4, submitted_by="mission", source_kind="party")]
        r = world.client.post(f"{V1}/reports/batch?partial={partial}", json=mixed, headers=ua)
        assert "item 2" in assert_error(r, 403, "forbidden")["message"]
        lines = "".join(json.dumps(x) + "\n" for x in mixed).encode()
        r = world.client.post(
            f"{V1}/reports/batch",
            content=lines,
            headers=ua | {"Content-Type": "application/x-ndjson"},
        )
        assert "line 2" in assert_error(r, 403, "forbidden")["message"]
    assert world.store.count_reports() == before + 1


# -- nothing leaks ---------------------------------------------------------------------------


@pytest.mark.slow  # every answer a party can get, over the whole demo (~3.5 s each)
@pytest.mark.parametrize(("party", "other"), [("RU", "UA"), ("UA", "RU")])
def test_a_party_never_sees_another_partys_submissions(
    world: World, party: str, other: str
) -> None:
    texts: list[str] = []
    reports, seen = walk(world, party, f"{V1}/reports?limit=7")
    texts += seen
    assert {r["id"] for r in reports} == world.ids[party]  # every one of its own, only those
    assert {r["submitted_by"] for r in reports} == {party}
    incidents, seen = walk(world, party, f"{V1}/incidents?limit=13")
    texts += seen
    assert {i["id"] for i in incidents} == world.visible_to(party)  # counts and pages exact
    for incident in incidents[:40]:
        r = world.get(party, f"{V1}/incidents/{incident['id']}")
        assert r.status_code == 200
        texts.append(r.text)
        assert {x["submitted_by"] for x in r.json()["reports"]} <= {party}
    violations, seen = walk(world, party, f"{V1}/violations?limit=11")
    texts += seen
    assert violations and {v["incident_id"] for v in violations} <= world.visible_to(party)
    filtered, seen = walk(world, party, f"{V1}/reports?submitted_by={other}")
    texts += seen
    assert filtered == []
    # Report ids: a party meets its own only (not the other's, not the mission's sources).
    found = {
        rid for text in texts for rid in world.all_ids if f'"{rid}"' in text or f"={rid}" in text
    }
    assert found <= world.ids[party], sorted(found - world.ids[party])[:5]
    blob = "".join(texts)
    assert f"{other}/party" not in blob  # nor the other's complaints among the sources
    assert "mission/sensor" not in blob and "mission/patrol" not in blob


def _same_but_id(a: dict[str, Any], b: dict[str, Any], id_a: str, id_b: str) -> None:
    assert a["status"] == b["status"] and a["code"] == b["code"]
    assert a["message"].replace(id_a, "X") == b["message"].replace(id_b, "X")
    assert a["problems"] == b["problems"]


def test_what_a_party_may_not_read_answers_exactly_as_what_does_not_exist(world: World) -> None:
    ua_report = world.ua_report
    for url, missing in (
        (f"{V1}/reports/{ua_report}", f"{V1}/reports/no-such-report"),
        (f"{V1}/reports?after={ua_report}", f"{V1}/reports?after=no-such-report"),
        (
            f"{V1}/ledger/proof/inclusion?record_id={ua_report}",
            f"{V1}/ledger/proof/inclusion?record_id=no-such-report",
        ),
    ):
        hidden = assert_error(world.get("RU", url), 404, "not_found")
        absent = assert_error(world.get("RU", missing), 404, "not_found")
        _same_but_id(hidden, absent, ua_report, "no-such-report")
    hidden = assert_error(world.get("RU", f"{V1}/incidents/{world.ua_only}"), 404)
    absent = assert_error(world.get("RU", f"{V1}/incidents/INC-999999"), 404)
    _same_but_id(hidden, absent, world.ua_only, "INC-999999")
    # The other party's decisions and violations on its incidents are not provable either.
    assert world.get("RU", f"{V1}/violations?incident_id={world.ua_only}").json()["items"] == []


def test_the_public_sees_released_incidents_only_coarsened_unless_full(world: World) -> None:
    incidents, texts = walk(world, "public", f"{V1}/incidents?limit=1")
    by_id = {i["id"]: i for i in incidents}
    assert set(by_id) == world.released
    assert {world.released_full, world.released_coarse} <= world.released
    full, coarse = by_id[world.released_full], by_id[world.released_coarse]
    stored = world.incidents[world.released_coarse]
    assert coarse["place_precision"] == "coarsened" and coarse["uncertainty_m"] >= 8000
    assert (coarse["lon"], coarse["lat"]) != (stored["lon"], stored["lat"])
    assert (full["lon"], full["lat"]) == tuple(
        world.incidents[world.released_full][k] for k in ("lon", "lat")
    )
    for item in incidents:
        assert not {"report_ids", "sources", "submitters", "anchor_ids"} & set(item)
    violations, more = walk(world, "public", f"{V1}/violations")
    assert {v["incident_id"] for v in violations} <= set(by_id)
    assert all("evidence" not in v for v in violations)
    record = world.get("public", f"{V1}/incidents/{world.released_coarse}").json()
    assert record["reports"] == [] and record["incident"] == coarse
    blob = "".join(texts + more) + json.dumps(record)
    assert not {rid for rid in world.all_ids if f'"{rid}"' in blob}
    assert world.get("public", f"{V1}/reports/{world.ua_report}").status_code == 403


def test_a_roll_up_of_harm_is_of_what_the_caller_may_see(world: World) -> None:
    totals = {}
    for role in (A, U, R, P):
        seen, _ = walk(world, role, f"{V1}/incidents?limit=1000")
        for by in ("oblast", "day"):
            got = world.get(role, f"{V1}/harm?by={by}")
            assert got.status_code == 200, got.text
            assert got.json() == rollup(seen, by=by, reporting=AGREEMENT.reporting)
        totals[role] = got.json()["total"]
    # A party's roll-up leaves out what it may not read (the other party's unreleased
    # incidents), the public's all but the released ones.
    assert totals[P]["incidents"] < totals[U]["incidents"] < totals[A]["incidents"]
    assert totals[P]["incidents"] < totals[R]["incidents"] < totals[A]["incidents"]
    window = world.get(A, f"{V1}/harm?from=2000-01-01T00:00:00Z&to=2000-01-02T00:00:00Z")
    assert window.json()["total"]["incidents"] == 0
    corroborated = [i for i in world.incidents.values() if i["status"] == "corroborated"]
    only = world.get(A, f"{V1}/harm?status=corroborated").json()
    assert only == rollup(corroborated, by="oblast", reporting=AGREEMENT.reporting)
    assert 0 < only["total"]["incidents"] < totals[A]["incidents"]
    bad = world.get(A, f"{V1}/harm?by=party")
    assert bad.status_code == 422 and "by" in bad.text
    assert "from" in world.get(A, f"{V1}/harm?from=yesterday").text


def test_a_release_is_seen_by_the_public_after_the_delay(world: World) -> None:
    r = world.client.post(
        f"{V1}/incidents/{world.ru_only}/release", headers=world.headers["mediator"]
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["released_by"] == "user-mediator" and body["full"] is False
    ended = datetime.fromisoformat(world.incidents[world.ru_only]["observed_to"])
    assert datetime.fromisoformat(body["public_from"]) == max(
        datetime.fromisoformat(body["released_at"]), ended + PUBLIC_DELAY
    )
    assert world.get("public", f"{V1}/incidents/{world.ru_only}").status_code == 200
    assert world.get("UA", f"{V1}/incidents/{world.ru_only}").status_code == 200  # public now
    assert_error(
        world.client.post(f"{V1}/incidents/INC-999999/release", headers=world.headers["admin"]),
        404,
        "not_found",
    )


# -- the store and the CLI -------------------------------------------------------------------


def test_users_and_releases_in_the_store(db_url: str) -> None:
    with Store.open(db_url) as store:
        token = store.add_user("kyiv", "party", "UA")
        assert token.startswith("cf_") and len(token) > 40
        assert store.principal_for_token(token) == Principal("kyiv", "party", "UA")
        assert store.principal_for_token(token + "x") is None
        with pytest.raises(ConflictError):
            store.add_user("kyiv", "monitor")
        with pytest.raises(InputError):
            store.add_user("x", "party")
        with pytest.raises(InputError):
            store.add_user("y", "king")
        users = store.list_users()
        assert [(u.name, u.role, u.party, u.disabled) for u in users] == [
            ("kyiv", "party", "UA", False)
        ]
        assert token not in json.dumps([u.to_dict() for u in users])
        with pytest.raises(NotFoundError):
            store.release_incident("INC-999999", by="m")
        assert store.releases() == {}


def test_users_add_prints_the_token_once_and_list_never(tmp_path: Path) -> None:
    runner = CliRunner()
    db = str(tmp_path / "u.db")
    added = runner.invoke(
        cli_app, ["users", "add", "kyiv", "--role", "party", "--party", "UA", "--db", db]
    )
    assert added.exit_code == 0, added.output
    token = added.stdout.strip()
    assert "shown once" in added.stderr
    with Store.open(db) as store:
        assert store.principal_for_token(token) == Principal("kyiv", "party", "UA")
    listed = runner.invoke(cli_app, ["users", "list", "--db", db, "--json"])
    assert listed.exit_code == 0 and json.loads(listed.stdout)[0]["role"] == "party"
    assert token not in listed.output and token_hash(token) not in listed.output
    bad = runner.invoke(cli_app, ["users", "add", "x", "--role", "party", "--db", db])
    assert bad.exit_code == 1


def test_users_disable_stops_a_token_and_enable_hands_out_a_new_one(tmp_path: Path) -> None:
    """Re-enabling a user never revives the token it had: enable prints a new one."""
    runner = CliRunner()
    db = str(tmp_path / "u.db")
    added = runner.invoke(cli_app, ["users", "add", "obs", "--role", "monitor", "--db", db])
    token = added.stdout.strip()
    done = runner.invoke(cli_app, ["users", "disable", "obs", "--db", db])
    assert done.exit_code == 0, done.output
    with Store.open(db) as store:
        assert store.principal_for_token(token) is None
        assert store.list_users()[0].disabled
    enabled = runner.invoke(cli_app, ["users", "enable", "obs", "--db", db])
    assert enabled.exit_code == 0, enabled.output
    fresh = enabled.stdout.strip()
    assert "shown once" in enabled.stderr and fresh != token
    with Store.open(db) as store:
        assert store.principal_for_token(token) is None
        assert store.principal_for_token(fresh) == Principal("obs", "monitor", None)
    unknown = runner.invoke(cli_app, ["users", "disable", "nobody", "--db", db])
    assert unknown.exit_code == 1 and "nobody" in unknown.output


def test_users_rotate_prints_a_new_token_and_the_old_one_stops(tmp_path: Path) -> None:
    runner = CliRunner()
    db = str(tmp_path / "u.db")
    added = runner.invoke(
        cli_app, ["users", "add", "obs", "--role", "monitor", "--expires-in", "30", "--db", db]
    )
    token = added.stdout.strip()
    rotated = runner.invoke(cli_app, ["users", "rotate", "obs", "--db", db, "--json"])
    assert rotated.exit_code == 0, rotated.output
    fresh = json.loads(rotated.stdout)["token"]
    with Store.open(db) as store:
        assert store.principal_for_token(token) is None
        assert store.principal_for_token(fresh) == Principal("obs", "monitor", None)
        (user,) = store.list_users()
        # The new token is given the old one's lifetime (30 days).
        assert user.expires_at is not None
        assert user.expires_at - user.token_issued_at == timedelta(days=30)
    bad = runner.invoke(cli_app, ["users", "rotate", "obs", "--expires-in", "-1", "--db", db])
    assert bad.exit_code == 1 and "--expires-in" in bad.output


def test_the_service_forgets_a_token_at_once_when_users_change(
    tmp_path: Path, engine: GeoEngine
) -> None:
    """The principal cache never outlives a rotation or a disabled user: at once for this
    process's store, and for another process's (the CLI) at the next look at the users version
    (USERS_CHECK_S), long before the cache's TTL. A refusal is never remembered."""
    with Store.open(tmp_path / "t.db") as store, Store.open(tmp_path / "t.db") as cli:
        app = create_app(store, AGREEMENT, engine=engine)
        now = [0.0]
        tokens = Tokens(store, ttl_s=1_000.0, clock=lambda: now[0])
        app.state.service = dataclasses.replace(app.state.service, tokens=tokens)
        client = TestClient(app)
        token = store.add_user("obs", "monitor")
        auth = {"Authorization": f"Bearer {token}"}
        assert client.get(f"{V1}/reports", headers=auth).status_code == 200
        fresh = store.rotate_token("obs")  # this process: at once
        assert_error(client.get(f"{V1}/reports", headers=auth), 401)
        auth = {"Authorization": f"Bearer {fresh}"}
        assert client.get(f"{V1}/reports", headers=auth).status_code == 200
        cli.disable_user("obs")  # another process
        now[0] += USERS_CHECK_S
        error = assert_error(client.get(f"{V1}/reports", headers=auth), 401)
        assert "unknown or disabled" in error["message"]
        # A refusal is not remembered: enabled again, its new token works at once.
        again = cli.enable_user("obs")
        auth = {"Authorization": f"Bearer {again}"}
        assert client.get(f"{V1}/reports", headers=auth).status_code == 200


def test_an_expired_token_gets_401_saying_so(tmp_path: Path, engine: GeoEngine) -> None:
    with Store.open(tmp_path / "t.db") as store:
        client = TestClient(create_app(store, AGREEMENT, engine=engine))
        token = store.add_user("obs", "monitor", expires_in=timedelta(days=1))
        auth = {"Authorization": f"Bearer {token}"}
        assert client.get(f"{V1}/reports", headers=auth).status_code == 200
        with store._write() as conn:  # as if a day had passed
            conn.execute(
                users_table.update().values(expires_at=datetime.now(UTC) - timedelta(seconds=1))
            )
        app = create_app(store, AGREEMENT, engine=engine)  # a service without the cached token
        error = assert_error(TestClient(app).get(f"{V1}/reports", headers=auth), 401)
        assert "expired at" in error["message"] and "rotate" in error["message"]


def test_a_party_reads_only_its_own_hotline_traffic(world: World) -> None:
    seen: list[dict[str, Any]] = []
    url = f"{V1}/hotline/messages?limit=200"
    while url:
        r = world.get("RU", url)
        assert r.status_code == 200, r.text
        seen += r.json()["messages"]
        url = r.json().get("next")
    assert seen and all(m["sender"] == "RU" or "RU" in m["recipients"] for m in seen)
    everything = world.get("mediator", f"{V1}/hotline/messages?limit=1000").json()["messages"]
    assert any("UA" in m["recipients"] for m in everything)  # there was something to hide
    # UA's notification reads to RU exactly as a message that does not exist.
    hidden = world.get("RU", f"{V1}/hotline/messages/{world.ua_note}")
    missing = world.get("RU", f"{V1}/hotline/messages/n.nothing")
    assert hidden.status_code == missing.status_code == 404
    assert hidden.json()["error"]["message"].replace(world.ua_note, "X") == missing.json()["error"][
        "message"
    ].replace("n.nothing", "X")
    # Nor through filters: UA's thread, UA's address.
    thread = world.get("RU", f"{V1}/hotline/messages?thread={world.ua_note.split('.')[1]}")
    assert all("RU" in m["recipients"] or m["sender"] == "RU" for m in thread.json()["messages"])
    assert world.get("RU", f"{V1}/hotline/messages?address=UA").status_code == 403
    metrics = world.get("RU", f"{V1}/hotline/metrics").json()["metrics"]
    assert metrics and {row["party"] for row in metrics} == {"RU"}
    assert world.get("RU", f"{V1}/hotline/metrics?party=UA").status_code == 403
