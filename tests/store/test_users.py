"""Users and submitter keys in the store: every administration logged, party codes from the
agreement, tokens that rotate and expire; and every edit behind the store's back named by the
ledger audit."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from alembic import command
from alembic.config import Config
from typer.testing import CliRunner

from backends import raw
from ceasefire import ledger
from ceasefire.agreement.load import demo_agreement_path, load_agreement
from ceasefire.cli.app import app as cli_app
from ceasefire.errors import ConflictError, InputError, NotFoundError, VerificationError
from ceasefire.ledger.notes import Signer
from ceasefire.publish.access import Principal, token_hash
from ceasefire.store.database import _MIGRATIONS
from ceasefire.store.facade import Store
from ceasefire.store.users import check_token

AGREEMENT = load_agreement(demo_agreement_path())
UA_KEY = Signer.generate("ua-desk")
RU_KEY = Signer.generate("ru-desk")
OLD_KEY = Signer.generate("old-desk")
#: A token the attacker knows (its hash is what a tampered row would hold).
KNOWN = "cf_the-attackers-own-token"


@pytest.fixture
def store(db_url: str) -> Iterator[Store]:
    """A store with the demo agreement and a user of each kind of history: added, rotated
    (with an expiry), disabled, re-enabled; and a key trusted for UA."""
    with Store.open(db_url) as s:
        s.register_agreement(AGREEMENT)
        s.add_user("root", "admin")
        s.add_user("kyiv", "party", "UA")
        s.add_user("obs", "monitor", expires_in=timedelta(days=30))
        s.rotate_token("obs")
        s.add_user("gone", "monitor")
        s.disable_user("gone")
        s.add_user("back", "mediator")
        s.disable_user("back")
        s.enable_user("back")
        s.trust_key(UA_KEY.verifier(), "UA")
        s.trust_key(OLD_KEY.verifier(), "UA")
        s.untrust_key(OLD_KEY.verifier())
        yield s


def test_every_user_and_key_administration_is_logged_and_verifies(store: Store) -> None:
    changes = [e.body for e in store.ledger_entries("user/back", kind="user")]
    assert ['"change":"add"' in changes[0], '"change":"disable"' in changes[1]] == [True, True]
    assert '"change":"enable"' in changes[2] and '"disabled":false' in changes[2]
    assert len(store.ledger_entries("user/obs", kind="user")) == 2
    (key,) = store.ledger_entries(f"key/ua-desk+{UA_KEY.key_id:08x}", kind="submitter_key")
    assert '"party":"UA"' in key.body
    report = ledger.audit(store)
    assert report.records["users"] == 5 and report.records["submitter keys"] == 2
    # A refusal changes nothing and logs nothing.
    size = store.ledger_state().size
    with pytest.raises(ConflictError):
        store.disable_user("gone")
    with pytest.raises(ConflictError):
        store.rotate_token("gone")
    with pytest.raises(NotFoundError):
        store.rotate_token("nobody")
    assert store.ledger_state().size == size


def test_a_leaf_commits_to_the_token_hash(store: Store) -> None:
    token = store.rotate_token("kyiv")
    latest = store.ledger_entries("user/kyiv", kind="user")[-1]
    assert f'"token_sha256":"{token_hash(token)}"' in latest.body


#: Edits behind the store's back -> the record whose entry the audit names (its latest; None:
#: a row with no entry at all, named at the log's size; "first:" its first entry).
TAMPERING = {
    "user-role-made-admin": (
        "UPDATE users SET role = 'admin', party = NULL WHERE name = 'kyiv'",
        "user/kyiv",
    ),
    "user-party-changed": ("UPDATE users SET party = 'RU' WHERE name = 'kyiv'", "user/kyiv"),
    "user-re-enabled": (
        "UPDATE users SET disabled = NOT disabled WHERE name = 'gone'",
        "user/gone",
    ),
    "user-disabled": ("UPDATE users SET disabled = NOT disabled WHERE name = 'root'", "user/root"),
    "user-token-swapped": (
        f"UPDATE users SET token_hash = '{token_hash(KNOWN)}' WHERE name = 'root'",
        "user/root",
    ),
    "user-expiry-lifted": ("UPDATE users SET expires_at = NULL WHERE name = 'obs'", "user/obs"),
    "user-change-relabelled": ("UPDATE users SET change = 'add' WHERE name = 'obs'", "user/obs"),
    "user-inserted": (
        "INSERT INTO users (name, role, party, token_hash, created_at, disabled, "
        "token_issued_at, expires_at, change, changed_at) VALUES ('mole', 'admin', NULL, "
        f"'{token_hash(KNOWN)}', '2026-03-01 08:00:00.000000', false, "
        "'2026-03-01 08:00:00.000000', NULL, 'add', '2026-03-01 08:00:00.000000')",
        None,
    ),
    "user-deleted": ("DELETE FROM users WHERE name = 'kyiv'", "first:user/kyiv"),
    "user-renamed": ("UPDATE users SET name = 'kyiv2' WHERE name = 'kyiv'", "first:user/kyiv"),
    "user-created-at-changed": (
        "UPDATE users SET created_at = '2020-01-01 00:00:00.000000' WHERE name = 'root'",
        "user/root",
    ),
    "user-token-issued-at-changed": (
        "UPDATE users SET token_issued_at = '2020-01-01 00:00:00.000000' WHERE name = 'obs'",
        "user/obs",
    ),
    "key-party-dropped": ("UPDATE submitter_keys SET party = NULL WHERE name = 'ua-desk'", "key"),
    "key-replaced": (
        f"UPDATE submitter_keys SET key = '{RU_KEY.verifier().key}' WHERE name = 'ua-desk'",
        "key",
    ),
    "key-inserted": (
        "INSERT INTO submitter_keys (name, key_id, key, party, added_at) VALUES "
        f"('ru-desk', {RU_KEY.key_id}, '{RU_KEY.verifier().key}', 'UA', "
        "'2026-03-01 08:00:00.000000')",
        None,
    ),
    "key-id-changed": ("UPDATE submitter_keys SET key_id = 7 WHERE name = 'ua-desk'", "first:key"),
    "key-added-at-changed": (
        "UPDATE submitter_keys SET added_at = '2020-01-01 00:00:00.000000' WHERE name = 'ua-desk'",
        "key",
    ),
    "key-deleted": ("DELETE FROM submitter_keys WHERE name = 'ua-desk'", "key"),
    "key-trusted-again": (
        "UPDATE submitter_keys SET revoked_at = NULL WHERE name = 'old-desk'",
        "old-key",
    ),
}


def _expected(store: Store, what: str | None) -> int:
    if what is None:
        return store.ledger_state().size
    if what == "first:key":
        what = f"first:key/ua-desk+{UA_KEY.key_id:08x}"
    if what == "key":
        what = f"key/ua-desk+{UA_KEY.key_id:08x}"
    if what == "old-key":
        what = f"key/old-desk+{OLD_KEY.key_id:08x}"
    if what.startswith("first:"):
        return store.ledger_entries(what.removeprefix("first:"))[0].idx
    return store.ledger_entries(what)[-1].idx


@pytest.mark.parametrize("case", sorted(TAMPERING))
def test_an_edit_of_users_or_keys_is_named_by_the_audit(store: Store, case: str) -> None:
    sql, what = TAMPERING[case]
    expected = _expected(store, what)
    ledger.audit(store)  # holds before
    with raw(store) as conn:
        conn.execute(sql.replace("false", "0") if conn.backend == "sqlite" else sql)
    with pytest.raises(VerificationError) as caught:
        ledger.audit(store)
    assert caught.value.entry == expected, str(caught.value)


def test_migration_0008_logs_the_users_and_keys_of_an_older_store(db_url: str) -> None:
    """A store from before 0008 has users and keys without leaves: the upgrade logs them as
    they stand (``change: upgrade``), so the audit holds and names later edits."""
    with Store.open(db_url) as fresh, fresh._write() as conn:
        config = Config()
        config.set_main_option("script_location", str(_MIGRATIONS))
        config.attributes["connection"] = conn
        command.downgrade(config, "0007")
    with raw(db_url) as conn:
        conn.execute(
            "INSERT INTO users (name, role, party, token_hash, created_at, disabled) "
            "VALUES (?, 'party', 'UA', ?, '2026-03-01 08:00:00.000000', ?)",
            ("kyiv", token_hash(KNOWN), False),
        )
        conn.execute(
            "INSERT INTO submitter_keys (name, key_id, key, party, added_at) "
            "VALUES (?, ?, ?, 'UA', '2026-03-01 08:00:00.000000')",
            ("ua-desk", UA_KEY.key_id, UA_KEY.verifier().key),
        )
    with Store.open(db_url) as store:
        (user,) = store.ledger_entries("user/kyiv")
        assert '"change":"upgrade"' in user.body
        assert '"created_at":"2026-03-01T08:00:00.000000Z"' in user.body
        assert len(store.ledger_entries(f"key/ua-desk+{UA_KEY.key_id:08x}")) == 1
        report = ledger.audit(store)
        assert report.records == {"users": 1, "submitter keys": 1}
        assert store.principal_for_token(KNOWN) == Principal("kyiv", "party", "UA")
        with raw(store) as conn:
            conn.execute("UPDATE users SET role = 'admin', party = NULL")
        with pytest.raises(VerificationError) as caught:
            ledger.audit(store)
        assert caught.value.entry == user.idx


# -- party codes -------------------------------------------------------------------------------


@pytest.mark.parametrize("code", ["mission", "mediator", "sys", "UA:x"])
def test_a_reserved_code_is_never_a_party(db_url: str, code: str) -> None:
    with Store.open(db_url) as store:
        with pytest.raises(InputError, match="reserved"):  # no agreement stored yet
            store.add_user("x", "party", code)
        store.register_agreement(AGREEMENT)
        with pytest.raises(InputError, match=r"reserved.*party codes are RU, UA") as caught:
            store.add_user("x", "party", code)
        assert caught.value.problems[0].field == "party"
        assert store.list_users() == []


def test_a_party_code_must_be_the_agreements(db_url: str) -> None:
    with Store.open(db_url) as store:
        # Before any agreement is stored only the form is checked (tests, a new database).
        store.add_user("early", "party", "XX")
        for blank in ("", " UA"):
            with pytest.raises(InputError, match="not a party code"):
                store.add_user("blank", "party", blank)
        store.register_agreement(AGREEMENT)
        with pytest.raises(InputError, match=r"'Ukraine' is not a party code.*RU, UA"):
            store.add_user("x", "party", "Ukraine")
        assert store.principal_for_token(store.add_user("kyiv", "party", "UA")) == Principal(
            "kyiv", "party", "UA"
        )


@pytest.mark.parametrize("role", ["admin", "monitor", "mediator"])
def test_a_mission_role_carries_no_party(db_url: str, role: str) -> None:
    with Store.open(db_url) as store, pytest.raises(InputError, match="no other role"):
        store.add_user("x", role, "UA")


def test_users_add_refuses_an_unknown_party_listing_the_codes(store: Store, db_url: str) -> None:
    runner = CliRunner()
    args = ["users", "add", "x", "--role", "party", "--party", "mission", "--db", db_url]
    done = runner.invoke(cli_app, args)
    assert done.exit_code == 1
    assert "reserved" in done.output and "RU, UA" in done.output
    assert "x" not in [u.name for u in store.list_users()]


# -- tokens ------------------------------------------------------------------------------------


def test_a_token_expires(store: Store) -> None:
    token = store.add_user("brief", "monitor", expires_in=timedelta(hours=1))
    now = datetime.now(UTC)
    with store.read() as conn:
        assert check_token(conn, token, now).principal == Principal("brief", "monitor")
        late = check_token(conn, token, now + timedelta(hours=2))
    assert late.principal is None and late.refusal == "expired"
    assert late.expires_at is not None and late.expires_at < now + timedelta(hours=2)
    with pytest.raises(InputError, match="positive"):
        store.add_user("never", "monitor", expires_in=timedelta(0))


def test_rotation_and_enabling_end_the_old_token(store: Store) -> None:
    old = store.add_user("desk", "monitor")
    new = store.rotate_token("desk")
    assert store.principal_for_token(old) is None
    assert store.principal_for_token(new) == Principal("desk", "monitor")
    store.disable_user("desk")
    assert store.principal_for_token(new) is None
    again = store.enable_user("desk")
    assert store.principal_for_token(new) is None and store.principal_for_token(old) is None
    assert store.principal_for_token(again) == Principal("desk", "monitor")
    with pytest.raises(ConflictError, match="enabled already"):
        store.enable_user("desk")
    ledger.audit(store)


def test_an_untrusted_key_is_kept_logged_and_never_trusted_again(store: Store) -> None:
    assert [k.verifier.name for k in store.trusted_keys()] == ["ua-desk"]
    entries = store.ledger_entries(f"key/old-desk+{OLD_KEY.key_id:08x}")
    assert '"revoked_at":null' in entries[0].body and '"revoked_at":"' in entries[1].body
    with pytest.raises(ConflictError, match="not trusted again"):
        store.trust_key(OLD_KEY.verifier(), "UA")
    with pytest.raises(ConflictError, match="untrusted already"):
        store.untrust_key(OLD_KEY.verifier())
    with pytest.raises(NotFoundError):
        store.untrust_key(RU_KEY.verifier())
    ledger.audit(store)


def test_ledger_untrust_on_the_command_line(store: Store, db_url: str, tmp_path: Path) -> None:
    key = tmp_path / "ua.key.pub"
    key.write_text(UA_KEY.verifier().key + "\n")
    done = CliRunner().invoke(cli_app, ["ledger", "untrust", str(key), "--db", db_url])
    assert done.exit_code == 0, done.output
    assert "no longer trusted" in done.output and store.trusted_keys() == []
