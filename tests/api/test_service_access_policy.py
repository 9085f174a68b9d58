"""One policy, asked everywhere: what a caller may read through one surface it may name or
prove through every other (:mod:`ceasefire.publish.access`).

Each test pins a place that once decided on its own and disagreed with ``GET``: the hotline
naming an incident (released ones were refused), the CLI speaking as a party (hidden
incidents were accepted), ledger proofs of hotline messages (a party's own were refused) and
of violations (the public got the exact facts its view rounds). The last test checks that
the decisions have one home.
"""

from __future__ import annotations

import ast
import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from test_service import AGREEMENT, V1, assert_error
from test_service_access import World
from typer.testing import CliRunner

from backends import copy_sqlite
from ceasefire import ledger
from ceasefire.cli.app import app as cli_app
from ceasefire.geo.engine import GeoEngine
from ceasefire.judge.rules import Violation
from ceasefire.store.facade import Store

SRC = Path(__file__).resolve().parents[2] / "src" / "ceasefire"
MISSING = "INC-999999"


@pytest.fixture
def db(demo_dir: Path, tmp_path: Path) -> Path:
    return Path(copy_sqlite(demo_dir / "demo.db", tmp_path))


@pytest.fixture
def world(db: Path, engine: GeoEngine, demo_dir: Path) -> Iterator[World]:
    with Store.open(db) as store:
        made = World(store, engine)
        # A checkpoint over what the world added (the scheduler's messages), so they are provable.
        ledger.sign_checkpoint(store, ledger.read_signer(demo_dir / "demo-keys" / "log.key"))
        made.log_key = demo_dir / "demo-keys" / "log.key"
        yield made


def _query(w: World, role: str, incident_id: str, n: int) -> Any:
    body = {
        "kind": "query",
        "recipients": ["mission"],
        "subject": "What happened?",
        "incident_id": incident_id,
        "id": f"policy-{role}-{n}",
    }
    return w.client.post(f"{V1}/hotline/messages", json=body, headers=w.headers[role])


def _same_but_id(hidden: dict[str, Any], absent: dict[str, Any], id_h: str, id_a: str) -> None:
    """Two refusals that differ in nothing but the id asked for."""
    assert json.dumps(hidden).replace(id_h, "X") == json.dumps(absent).replace(id_a, "X")


# -- the hotline names what GET reads --------------------------------------------------------


def test_a_party_names_in_the_hotline_exactly_the_incidents_it_may_read(world: World) -> None:
    target = world.ru_only  # concerns RU, not UA; not released yet
    # Hidden: GET is 404 and naming it is 422, each exactly as for an incident that is missing.
    hidden = assert_error(world.get("UA", f"{V1}/incidents/{target}"), 404, "not_found")
    absent = assert_error(world.get("UA", f"{V1}/incidents/{MISSING}"), 404, "not_found")
    _same_but_id(hidden, absent, target, MISSING)
    hidden = assert_error(_query(world, "UA", target, 1), 422, "invalid_input")
    absent = assert_error(_query(world, "UA", MISSING, 2), 422, "invalid_input")
    _same_but_id(hidden, absent, target, MISSING)
    assert hidden["problems"][0]["field"] == "incident_id"
    # Released: UA reads it, and so names it.
    released = world.client.post(
        f"{V1}/incidents/{target}/release", headers=world.headers["mediator"]
    )
    assert released.status_code == 200, released.text
    assert world.get("UA", f"{V1}/incidents/{target}").status_code == 200
    sent = _query(world, "UA", target, 3)
    assert sent.status_code == 201, sent.text
    assert sent.json()["incident_id"] == target
    # The incidents released before, and the ones that concern it, too.
    for n, named in enumerate((world.released_full, world.released_coarse, world.ua_only), 4):
        assert world.get("UA", f"{V1}/incidents/{named}").status_code == 200
        assert _query(world, "UA", named, n).status_code == 201
    # The public has no part in the hotline at all, whatever it names.
    assert_error(_query(world, "public", world.released_full, 9), 403, "forbidden")


def test_the_cli_speaking_as_a_party_names_only_what_that_party_may_read(
    world: World, db: Path
) -> None:
    def send(as_: str, incident_id: str, n: int) -> Any:
        return CliRunner().invoke(
            cli_app,
            [
                "hotline", "send", "--as", as_, "--kind", "query", "--to", "mission",
                "--subject", "What happened?", "--incident", incident_id,
                "--id", f"cli-{as_}-{n}", "--db", str(db), "--json",
            ],
        )  # fmt: skip

    hidden, absent = send("RU", world.ua_only, 1), send("RU", MISSING, 2)
    assert hidden.exit_code == absent.exit_code == 1, hidden.output
    assert hidden.output.replace(world.ua_only, "X") == absent.output.replace(MISSING, "X")
    assert "no incident" in hidden.output
    for n, named in enumerate((world.ru_only, world.released_full), 3):
        done = send("RU", named, n)
        assert done.exit_code == 0, done.output
        assert json.loads(done.stdout)["incident_id"] == named
    assert send("mediator", world.ua_only, 5).exit_code == 0  # the mediator reads everything


# -- proofs give what reads give -------------------------------------------------------------


def _prove(w: World, role: str, record_id: str) -> Any:
    return w.get(role, f"{V1}/ledger/proof/inclusion", params={"record_id": record_id})


def test_a_party_proves_the_hotline_messages_it_reads_and_no_others(world: World) -> None:
    note = world.ua_note  # addressed to UA
    assert world.get("UA", f"{V1}/hotline/messages/{note}").status_code == 200
    proof = _prove(world, "UA", f"hotline/{note}")
    assert proof.status_code == 200, proof.text
    assert proof.json()["record"]["record"]["id"] == note
    assert _prove(world, "mediator", f"hotline/{note}").status_code == 200
    for role in ("RU", "public"):
        hidden = assert_error(_prove(world, role, f"hotline/{note}"), 404, "not_found")
        absent = assert_error(_prove(world, role, "hotline/n.nothing"), 404, "not_found")
        _same_but_id(hidden, absent, f"hotline/{note}", "hotline/n.nothing")


def test_the_public_proves_no_violation_whose_facts_its_view_rounds(world: World) -> None:
    """A violation without evidence on a released incident: the public reads it, with the
    distances among its facts rounded when the place is coarsened; its proof carries the
    record whole, so it is given only for an incident released in full."""
    store = world.store
    seqs = {}
    for incident_id in (world.released_coarse, world.released_full):
        stored = store.get_incident(incident_id)
        violation = Violation(
            incident_key=stored.incident.key,
            rule="test-rule",
            agreement_id=AGREEMENT.id,
            agreement_version=AGREEMENT.version,
            party=None,
            evidence=(),
            facts={"distance_m": 12_345.0},
        )
        store.save_violations(
            [violation],
            incident_ids={stored.incident.key: incident_id},
            judged=[incident_id],
            agreement_id=AGREEMENT.id,
            agreement_version=AGREEMENT.version,
            at=datetime.now(UTC),
        )
        (seqs[incident_id],) = [
            v.seq for v in store.list_violations(incident_id=incident_id) if v.rule == "test-rule"
        ]
    ledger.sign_checkpoint(store, ledger.read_signer(world.log_key))
    listed = world.get("public", f"{V1}/violations", params={"rule": "test-rule"}).json()["items"]
    facts = {v["incident_id"]: v["facts"]["distance_m"] for v in listed}
    assert facts == {world.released_coarse: 10_000.0, world.released_full: 12_345.0}
    coarse = f"violation/{seqs[world.released_coarse]}"
    hidden = assert_error(_prove(world, "public", coarse), 404, "not_found")
    absent = assert_error(_prove(world, "public", "violation/999999"), 404, "not_found")
    _same_but_id(hidden, absent, coarse, "violation/999999")
    full = _prove(world, "public", f"violation/{seqs[world.released_full]}")
    assert full.status_code == 200, full.text
    assert full.json()["record"]["record"]["facts"] == {"distance_m": 12_345.0}


# -- the policy has one home -----------------------------------------------------------------


#: Names the code gives whoever asks (a Principal).
CALLERS = frozenset({"caller", "principal", "speaker", "user"})


def _asks_who(node: ast.expr) -> bool:
    """A role (``x.role``, a bare ``role``) or the party a caller is bound to (``caller.party``)."""
    if isinstance(node, ast.Name):
        return node.id == "role"
    if not isinstance(node, ast.Attribute):
        return False
    if node.attr == "role":
        return True
    return node.attr == "party" and isinstance(node.value, ast.Name) and node.value.id in CALLERS


def _decisions_outside_the_policy(root: Path) -> list[str]:
    """Where code under ``root`` decides by who asks itself: compares a role or a caller's
    party, or asks :func:`access.concerns` rather than the predicates built on it (a party
    reads more than what concerns it: the released incidents too)."""
    found = []
    for path in sorted(root.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        where = path.relative_to(root)
        for node in ast.walk(tree):
            if isinstance(node, ast.Compare) and any(
                _asks_who(operand) for operand in (node.left, *node.comparators)
            ):
                found.append(f"{where}:{node.lineno}: {ast.unparse(node)}")
            elif (
                isinstance(node, ast.ImportFrom)
                and node.module is not None
                # The policy is a package: `concerns` from one of its modules is caught too.
                and (node.module + ".").startswith("ceasefire.publish.access.")
                and any(alias.name == "concerns" for alias in node.names)
            ):
                found.append(f"{where}:{node.lineno}: imports concerns")
    return found


@pytest.mark.parametrize("package", ["api", "hotline", "cli"])
def test_who_may_see_or_do_what_is_decided_in_the_policy_only(package: str) -> None:
    found = _decisions_outside_the_policy(SRC / package)
    assert not found, "ask ceasefire.publish.access instead:\n" + "\n".join(found)


def test_the_check_for_one_home_finds_a_decision_by_role(tmp_path: Path) -> None:
    (tmp_path / "route.py").write_text(
        "from ceasefire.publish.access import concerns\n"
        "from ceasefire.publish.access.incidents import concerns\n"
        "def f(caller, role, d):\n"
        "    if caller.role == 'party' or caller.party is not None or role in ('admin',):\n"
        "        return d['source_kind'] != 'party' and d.party == 'UA'\n",
        encoding="utf-8",
    )
    found = _decisions_outside_the_policy(tmp_path)
    assert [f.split(": ", 1)[1] for f in found] == [
        "imports concerns",
        "imports concerns",
        "caller.role == 'party'",
        "caller.party is not None",
        "role in ('admin',)",
    ], found
