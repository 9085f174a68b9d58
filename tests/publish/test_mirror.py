"""The public mirror (``ceasefire publish DIR``) from the demo: only what the public may read,
every proof verified by the ledger's own verifier, the files read back by their readers, and a
re-publish on a grown log that keeps the earlier checkpoint. (The page in a browser:
test_mirror_page.py.)"""

from __future__ import annotations

import base64
import hashlib
import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pyogrio
import pytest
from mirrors import REPORT_NAME, Mirrored, grow_log, publish, write_report
from typer.testing import CliRunner

from backends import copy_sqlite, system_tool
from ceasefire import ledger
from ceasefire.cli.app import app
from ceasefire.errors import InputError, VerificationError
from ceasefire.ledger import merkle
from ceasefire.ledger.checkpoints import Checkpoint, verify_cosignatures
from ceasefire.ledger.keys import read_signer, read_verifier
from ceasefire.ledger.notes import Signer, open_note
from ceasefire.mirroring import PUBLIC, publish_mirror
from ceasefire.publish.mirror import proofs_path
from ceasefire.publish.views import coarsen
from ceasefire.publish.visibility import Viewer
from ceasefire.store.facade import Store


def _json(folder: Path, path: str) -> Any:
    return json.loads((folder / path).read_text(encoding="utf-8"))


def _unb64(text: str) -> bytes:
    return base64.b64decode(text, validate=True)


def _every_file(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()
    }


def _checkpoint(note: str, log_key: Path) -> Checkpoint:
    """The checkpoint of a note, once the log's signature on it verified."""
    return Checkpoint.parse(open_note(note, [read_verifier(str(log_key))]).text)


# -- what is in it ---------------------------------------------------------------------------


def test_the_mirror_holds_the_released_incidents_only(mirrored: Mirrored) -> None:
    folder = mirrored.folder
    with Store.open(mirrored.db) as store:
        public = {v["id"]: v for v in Viewer(PUBLIC, store).released_incidents()}
        releases = store.releases()
        stored = store.incidents_by_id(list(releases))
    assert public and set(public) == set(releases)  # the demo's releases are all past the delay
    index = _json(folder, "mirror.json")
    assert [i["id"] for i in index["incidents"]] == sorted(public)
    assert sorted(p.stem for p in (folder / "proofs").iterdir()) == sorted(public)
    # GeoJSON read by GDAL, GeoParquet by pyarrow: the same rows, the public's places.
    _, table = pyogrio.read_arrow(folder / "incidents.geojson")
    assert sorted(table.column("id").to_pylist()) == sorted(public)
    rows = pq.read_table(folder / "incidents.parquet").to_pylist()
    assert sorted(r["id"] for r in rows) == sorted(public)
    assert json.loads(pq.read_schema(folder / "incidents.parquet").metadata[b"geo"])["version"]
    for row in rows:
        exact = stored[row["id"]].incident
        if releases[row["id"]].full:
            assert (row["lon"], row["lat"]) == (exact.lon, exact.lat)
        else:
            assert row["place_precision"] == "coarsened"
            assert (row["lon"], row["lat"]) == coarsen(exact.lon, exact.lat, None)[:2]
            assert (row["lon"], row["lat"]) != (exact.lon, exact.lat)
        assert row["sources"] is None  # the public is not told who reported it


def test_no_report_id_source_or_person_leaks_into_any_file(mirrored: Mirrored) -> None:
    """No report id, source name or user name of the store shows in any file of the mirror
    (the GeoParquet read back as rows and the PDF report as poppler reads its text: their bytes
    are compressed)."""
    with Store.open(mirrored.db) as store:
        reports = store.list_reports()
        users = [u.name for u in store.list_users()]
    secrets = {r.id for r in reports} | {r.source_name for r in reports} | set(users)
    secrets.discard(None)
    files = _every_file(mirrored.folder)
    text = "\n".join(
        data.decode("utf-8")
        for path, data in files.items()
        if not path.endswith((".parquet", ".pdf"))
    )
    pdftotext = system_tool("pdftotext", "poppler-utils", "CEASEFIRE_TEST_PDF")
    for path in (p for p in files if p.endswith(".pdf")):
        read = [pdftotext, "-enc", "UTF-8", str(mirrored.folder / path), "-"]
        text += subprocess.run(read, capture_output=True, text=True, check=True).stdout
    assert "Information as of" in text  # the report's text was read
    text += json.dumps(
        pq.read_table(mirrored.folder / "incidents.parquet").to_pylist(), default=str
    )
    leaked = sorted(s for s in secrets if s in text)
    assert leaked == []
    assert "demo mediator" not in text and "duty monitor" in text  # a decision's actor is public


def test_a_leaf_is_whole_only_where_the_public_may_prove_it(mirrored: Mirrored) -> None:
    whole = withheld = 0
    with Store.open(mirrored.db) as store:
        viewer = Viewer(PUBLIC, store)
        for item in _json(mirrored.folder, "mirror.json")["incidents"]:
            for leaf in _json(mirrored.folder, item["proofs"])["leaves"]:
                (entry,) = store.ledger_entries(f"#{leaf['index']}")
                record = json.loads(entry.body)["record"]
                assert viewer.may_prove(entry.kind, record) == ("leaf" in leaf)
                # The mirror's leaf hash is the log's, whether the body is shown or not.
                assert _unb64(leaf["leaf_hash"]) == entry.leaf_hash
                if "leaf" in leaf:
                    assert leaf["leaf"] == entry.body
                    whole += 1
                else:
                    assert "body" not in leaf and "may_prove" in leaf["withheld"]
                    withheld += 1
    # The demo's monitor verified one released incident by hand: that decision is public.
    assert whole == 1 and withheld > 40
    kinds = {
        leaf["kind"]
        for item in _json(mirrored.folder, "mirror.json")["incidents"]
        for leaf in _json(mirrored.folder, item["proofs"])["leaves"]
    }
    assert {"incident", "release", "status_change", "violation"} <= kinds


# -- it verifies -----------------------------------------------------------------------------


def test_every_file_matches_the_manifest(mirrored: Mirrored) -> None:
    files = _every_file(mirrored.folder)
    manifest = json.loads(files.pop("manifest.json"))
    assert manifest["files"] == {p: hashlib.sha256(d).hexdigest() for p, d in files.items()}
    assert f"reports/{REPORT_NAME}" in files and f"reports/{REPORT_NAME}.note" in files


def test_every_proof_verifies_with_the_ledger(mirrored: Mirrored) -> None:
    folder, keys = mirrored.folder, mirrored.keys
    log = read_verifier(str(keys / "log.key.pub"))
    assert (folder / "keys/log.vkey").read_text().strip() == log.key
    cosigners = [
        read_verifier((folder / f"keys/{p}-cosigner.vkey").read_text()) for p in ("UA", "RU")
    ]
    assert [c.key for c in cosigners] == [
        read_verifier(str(keys / f"{p}.key.pub")).key for p in ("UA", "RU")
    ]
    note = (folder / "checkpoint.txt").read_text(encoding="utf-8")
    checked = verify_cosignatures(note, log, cosigners, 2)
    size, root = checked.checkpoint.size, checked.checkpoint.root
    assert size == mirrored.published.size
    assert (folder / f"checkpoints/{size}.txt").read_text(encoding="utf-8") == note
    proved = 0
    for item in _json(folder, "mirror.json")["incidents"]:
        doc = _json(folder, proofs_path(item["id"]))
        assert doc["incident_id"] == item["id"]
        assert (doc["checkpoint"]["size"], _unb64(doc["checkpoint"]["root"])) == (size, root)
        assert doc["leaves"], item["id"]
        for leaf in doc["leaves"]:
            digest = _unb64(leaf["leaf_hash"])
            if "leaf" in leaf:
                assert merkle.leaf_hash(leaf["leaf"].encode()) == digest
                body = json.loads(leaf["leaf"])
                assert body["record"]["incident_id"] == item["id"]
                # The same leaf as an inclusion bundle: ceasefire ledger verify --bundle.
                bundle = {
                    "record": body,
                    "leafIdx": leaf["index"],
                    "treeSize": size,
                    "leafHash": leaf["leaf_hash"],
                    "proof": leaf["proof"],
                    "root": doc["checkpoint"]["root"],
                    "checkpoint": note,
                }
                ledger.verify_bundle(bundle, log, cosigners=cosigners, quorum=2)
            merkle.verify_inclusion(
                digest, leaf["index"], size, [_unb64(p) for p in leaf["proof"]], root
            )
            proved += 1
    assert proved == mirrored.published.leaves


def test_a_changed_proof_fails_the_ledger_check(mirror_copy: Path) -> None:
    path = mirror_copy / proofs_path("INC-000274")
    doc = json.loads(path.read_text())
    leaf = doc["leaves"][0]
    leaf["proof"][0] = base64.b64encode(bytes(32)).decode()
    note = (mirror_copy / "checkpoint.txt").read_text()
    checkpoint = Checkpoint.parse(note[: note.find("\n\n") + 1])
    with pytest.raises(VerificationError, match="another root"):
        merkle.verify_inclusion(
            _unb64(leaf["leaf_hash"]),
            leaf["index"],
            checkpoint.size,
            [_unb64(p) for p in leaf["proof"]],
            checkpoint.root,
        )


# -- publishing again --------------------------------------------------------------------------


def test_a_republish_on_a_grown_log_keeps_the_earlier_checkpoint(
    mirrored: Mirrored, tmp_path: Path
) -> None:
    db = copy_sqlite(mirrored.db, tmp_path)
    folder = Path(shutil.copytree(mirrored.folder, tmp_path / "site"))
    old_note = (folder / "checkpoint.txt").read_text(encoding="utf-8")
    old = _checkpoint(old_note, mirrored.keys / "log.key.pub")
    fresh = grow_log(db, mirrored.keys, tmp_path)
    second = write_report(tmp_path / "made", "daily-2026-03-11.json", '{"summary": "shelling"}\n')
    done = publish(db, folder, mirrored.keys, (second,))
    assert done.checkpoints == [old.size, done.size] and done.size > old.size
    new = _checkpoint((folder / "checkpoint.txt").read_text(), mirrored.keys / "log.key.pub")
    # The earlier checkpoint is kept as published, and the log only grew from it.
    kept = _checkpoint(
        (folder / f"checkpoints/{old.size}.txt").read_text(), mirrored.keys / "log.key.pub"
    )
    assert (kept.size, kept.root) == (old.size, old.root)
    index = _json(folder, "mirror.json")
    assert index["consistency"] == [
        {"from": old.size, "to": new.size, "file": f"consistency/{old.size}-{new.size}.json"}
    ]
    doc = _json(folder, f"consistency/{old.size}-{new.size}.json")
    merkle.verify_consistency(
        old.size, new.size, [_unb64(p) for p in doc["proof"]], old.root, new.root
    )
    # The ledger's own check from the saved checkpoint agrees.
    with Store.open(db) as store:
        log = read_verifier(str(mirrored.keys / "log.key.pub"))
        assert "extends" in str(ledger.verify_consistency_from(store, old_note, log))
    # The new release is in, with proofs against the new checkpoint; both reports are kept.
    assert fresh in [i["id"] for i in index["incidents"]]
    assert _json(folder, proofs_path(fresh))["checkpoint"]["size"] == new.size
    assert [r["file"] for r in index["reports"]] == [
        f"reports/{REPORT_NAME}",
        "reports/daily-2026-03-11.json",
    ]
    assert sorted(p.name for p in folder.parent.iterdir() if p.name.startswith(".site")) == []


def test_another_log_is_refused_and_nothing_written(mirror_copy: Path, tmp_path: Path) -> None:
    """Another log (a new store with its own key) published over the mirror is refused, and
    the folder is left as it was."""
    before = _every_file(mirror_copy)
    with Store.open(tmp_path / "other.db") as store:
        ledger.sign_checkpoint(store, Signer.generate("ceasefire.test/other-log"))
        with pytest.raises(VerificationError, match="another log"):
            publish_mirror(store, mirror_copy)
    assert _every_file(mirror_copy) == before
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".site")] == []


def test_a_log_cut_back_is_refused_and_nothing_written(mirrored: Mirrored, tmp_path: Path) -> None:
    """The mirror published a grown log; the same log as it was before (a store restored from
    an old backup, or rolled back) is refused."""
    grown = copy_sqlite(mirrored.db, tmp_path)
    grow_log(grown, mirrored.keys, tmp_path)
    folder = tmp_path / "site"
    publish(grown, folder, mirrored.keys)
    before = _every_file(folder)
    (tmp_path / "old").mkdir()
    with pytest.raises(VerificationError, match="cut back"):
        publish(copy_sqlite(mirrored.db, tmp_path / "old"), folder, mirrored.keys)
    assert _every_file(folder) == before


def test_a_report_name_that_could_leave_its_folder_is_refused(
    mirrored: Mirrored, tmp_path: Path
) -> None:
    bad = tmp_path / ".hidden"
    bad.write_text("x")
    with pytest.raises(InputError, match="report file"):
        publish(copy_sqlite(mirrored.db, tmp_path), tmp_path / "site", mirrored.keys, (bad,))
    assert not (tmp_path / "site").exists()


def test_the_cli_publishes_and_says_what_it_wrote(mirrored: Mirrored, tmp_path: Path) -> None:
    db = copy_sqlite(mirrored.db, tmp_path)
    result = CliRunner().invoke(
        app,
        ["publish", str(tmp_path / "site"), "--db", str(db), "--cosigner",
         str(mirrored.keys / "UA.key.pub"), "--json"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    said = json.loads(result.output)
    assert said["incidents"] == mirrored.published.incidents
    assert said["checkpoints"] == [mirrored.published.size]
    assert (tmp_path / "site/keys/UA-cosigner.vkey").is_file()
    assert not (tmp_path / "site/keys/RU-cosigner.vkey").exists()
    empty = CliRunner().invoke(
        app, ["publish", str(tmp_path / "none"), "--db", str(tmp_path / "new.db")]
    )
    assert empty.exit_code == 1 and "Traceback" not in empty.output


def test_a_folder_that_is_not_a_mirror_is_left_alone(mirrored: Mirrored, tmp_path: Path) -> None:
    """A publish replaces its folder whole, so one that holds other files is refused."""
    folder = tmp_path / "documents"
    folder.mkdir()
    (folder / "letter.txt").write_text("keep me")
    with pytest.raises(InputError, match="not a mirror"):
        publish(copy_sqlite(mirrored.db, tmp_path), folder, mirrored.keys)
    assert [p.name for p in folder.iterdir()] == ["letter.txt"]


def test_an_incident_released_after_the_checkpoint_waits_for_the_next(
    mirrored: Mirrored, tmp_path: Path
) -> None:
    db = copy_sqlite(mirrored.db, tmp_path)
    with Store.open(db) as store:
        store.release_incident("INC-000002", by="test mediator")
        public = {v["id"] for v in Viewer(PUBLIC, store).released_incidents()}
    assert "INC-000002" in public  # the API shows it at once
    done = publish(db, tmp_path / "site", mirrored.keys)
    assert done.incidents == len(public) - 1
    assert not (tmp_path / "site" / proofs_path("INC-000002")).exists()
    with Store.open(db) as store:
        ledger.sign_checkpoint(store, read_signer(mirrored.keys / "log.key"))
    again = publish(db, tmp_path / "site", mirrored.keys)
    assert again.incidents == len(public)
    kinds = [leaf["kind"] for leaf in _json(tmp_path / "site", proofs_path("INC-000002"))["leaves"]]
    assert kinds[-1] == "release"
