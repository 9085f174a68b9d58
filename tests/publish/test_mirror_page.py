"""The mirror's page in Debian's Chromium (headless, Playwright), served from the folder by a
static server on loopback: it verifies the demo's mirror, and names what fails when a proof, an
incident file or a leaf's body was changed, or a checkpoint of the history."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from mirrors import REPORT_NAME, Mirrored, grow_log, publish, serving

from backends import copy_sqlite

pytestmark = pytest.mark.browser

CHROMIUM = os.environ.get("CEASEFIRE_CHROMIUM", "/usr/bin/chromium")
#: How long the page may take to check the demo's mirror (about a second on two cores).
READY_MS = 60_000


def _need_browser() -> None:
    if not Path(CHROMIUM).is_file():
        why = f"no browser at {CHROMIUM} (apt-get install chromium)"
        if os.environ.get("CEASEFIRE_TEST_BROWSER", "").strip() == "require":
            pytest.fail(f"CEASEFIRE_TEST_BROWSER=require, but {why}", pytrace=False)
        pytest.skip(why)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    _need_browser()
    from playwright.sync_api import sync_playwright  # the browser's driver, imported when used

    with sync_playwright() as p:
        launched = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield launched
        launched.close()


def _check(browser: Any, folder: Path, before: str | None = None) -> dict[str, Any]:
    """Open the folder's page as a reader would and wait for its verdict: the overall state,
    each incident's and each history row's check, and the problems listed. The page may ask
    nothing of any other host, and no script may fail."""
    errors: list[str] = []
    elsewhere: list[str] = []
    with serving(folder) as base:
        context = browser.new_context()
        page = context.new_page()

        def only_the_mirror(route: Any) -> None:
            if route.request.url.startswith((base + "/", "data:")):
                route.continue_()
            else:
                elsewhere.append(route.request.url)
                route.abort()

        page.route("**/*", only_the_mirror)
        page.on("pageerror", lambda error: errors.append(str(error)))
        if before is not None:
            page.add_init_script(before)
        page.goto(f"{base}/index.html")
        page.wait_for_function("document.body.dataset.status !== 'checking'", timeout=READY_MS)
        found = page.evaluate(
            """() => ({
              status: document.body.dataset.status,
              summary: document.getElementById('summary').innerText,
              incidents: Object.fromEntries([...document.querySelectorAll('#incidents tr[data-incident]')]
                .map(r => [r.dataset.incident, r.lastElementChild.innerText])),
              history: Object.fromEntries([...document.querySelectorAll('#history tr[data-size]')]
                .map(r => [r.dataset.size, r.lastElementChild.innerText])),
              reports: Object.fromEntries([...document.querySelectorAll('#reports tr[data-report]')]
                .map(r => [r.dataset.report, r.lastElementChild.innerText])),
              signature: document.getElementById('log-signature')?.innerText,
              cosigned: document.getElementById('checkpoint')?.innerText,
            })"""
        )
        context.close()
    assert elsewhere == [], f"the page asked other hosts: {elsewhere}"
    assert errors == [], f"scripts failed: {errors}"
    return dict(found)


def _rewrite_manifest(folder: Path, path: str) -> None:
    """Put a changed file's new digest in the manifest, as one who changed it on purpose would:
    the page must still find the change by the proofs."""
    manifest = json.loads((folder / "manifest.json").read_text())
    manifest["files"][path] = hashlib.sha256((folder / path).read_bytes()).hexdigest()
    (folder / "manifest.json").write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")


def test_the_page_verifies_the_demos_mirror(browser: Any, mirrored: Mirrored) -> None:
    found = _check(browser, mirrored.folder)
    assert found["status"] == "verified", found["summary"]
    assert "All verified: checkpoint of size" in found["summary"]
    index = json.loads((mirrored.folder / "mirror.json").read_text())
    assert set(found["incidents"]) == {i["id"] for i in index["incidents"]}
    assert all(v.strip() == "verified" for v in found["incidents"].values()), found["incidents"]
    assert "verified" in found["signature"]
    assert (
        "UA-cosigner: verified" in found["cosigned"]
        and "RU-cosigner: verified" in found["cosigned"]
    )
    (report,) = found["reports"].items()
    assert report[0] == f"reports/{REPORT_NAME}"
    assert "verified" in report[1] and "signed by ceasefire.demo/log" in report[1]


def test_a_changed_report_no_longer_matches_its_signed_note(
    browser: Any, mirror_copy: Path
) -> None:
    path = f"reports/{REPORT_NAME}"
    (mirror_copy / path).write_bytes((mirror_copy / path).read_bytes() + b"\n")
    _rewrite_manifest(mirror_copy, path)
    found = _check(browser, mirror_copy)
    assert found["status"] == "failed"
    assert f"does not name the SHA-256 of {path}" in found["reports"][path]
    assert all("failed" not in text for text in found["incidents"].values())


def test_a_changed_proof_is_named_even_with_the_manifest_rewritten(
    browser: Any, mirror_copy: Path
) -> None:
    path = "proofs/INC-000274.json"
    doc = json.loads((mirror_copy / path).read_text())
    doc["leaves"][0]["proof"][0] = base64.b64encode(bytes(32)).decode()
    (mirror_copy / path).write_text(json.dumps(doc, indent=2))
    _rewrite_manifest(mirror_copy, path)
    found = _check(browser, mirror_copy)
    assert found["status"] == "failed"
    failed = {i for i, text in found["incidents"].items() if "failed" in text}
    assert failed == {"INC-000274"}
    assert "leads to another root" in found["incidents"]["INC-000274"]
    assert "INC-000274" in found["summary"]


def test_a_changed_incident_file_fails_the_manifest(browser: Any, mirror_copy: Path) -> None:
    data = json.loads((mirror_copy / "incidents.geojson").read_text())
    data["features"][0]["properties"]["status"] = "unfounded"
    (mirror_copy / "incidents.geojson").write_text(json.dumps(data))
    found = _check(browser, mirror_copy)
    assert found["status"] == "failed"
    assert "incidents.geojson: its SHA-256" in found["summary"]
    assert all("failed" in text for text in found["incidents"].values())


def test_a_changed_leaf_body_does_not_hash_to_its_leaf(browser: Any, mirror_copy: Path) -> None:
    path = "proofs/INC-000274.json"
    doc = json.loads((mirror_copy / path).read_text())
    (shown,) = [leaf for leaf in doc["leaves"] if "leaf" in leaf]
    shown["leaf"] = shown["leaf"].replace("fresh craters", "old craters")
    (mirror_copy / path).write_text(json.dumps(doc, indent=2))
    _rewrite_manifest(mirror_copy, path)
    found = _check(browser, mirror_copy)
    assert found["status"] == "failed"
    assert "does not hash to its leaf hash" in found["incidents"]["INC-000274"]


def test_a_checkpoint_not_signed_by_the_log_fails(browser: Any, mirror_copy: Path) -> None:
    note = (mirror_copy / "checkpoint.txt").read_text()
    origin, size, _root, rest = note.split("\n", 3)
    forged = f"{origin}\n{size}\n{base64.b64encode(bytes(32)).decode()}\n{rest}"
    (mirror_copy / "checkpoint.txt").write_text(forged)
    _rewrite_manifest(mirror_copy, "checkpoint.txt")
    found = _check(browser, mirror_copy)
    assert found["status"] == "failed"
    assert "does not verify" in found["summary"]
    assert "failed" in found["signature"]
    assert all("failed" in text for text in found["incidents"].values())


def test_the_page_checks_the_history_of_a_republished_mirror(
    browser: Any, mirrored: Mirrored, tmp_path: Path
) -> None:
    db = copy_sqlite(mirrored.db, tmp_path)
    folder = Path(shutil.copytree(mirrored.folder, tmp_path / "site"))
    grow_log(db, mirrored.keys, tmp_path)
    done = publish(db, folder, mirrored.keys)
    found = _check(browser, folder)
    assert found["status"] == "verified", found["summary"]
    old, new = done.checkpoints
    assert "first published" in found["history"][str(old)]
    assert f"grew from {old}" in found["history"][str(new)]
    # A consistency proof changed on its way: the history row names it.
    proof = folder / f"consistency/{old}-{new}.json"
    doc = json.loads(proof.read_text())
    doc["proof"][0] = base64.b64encode(bytes(32)).decode()
    proof.write_text(json.dumps(doc))
    _rewrite_manifest(folder, f"consistency/{old}-{new}.json")
    broken = _check(browser, folder)
    assert broken["status"] == "failed"
    assert "consistency proof does not lead" in broken["history"][str(new)]


def test_without_webcrypto_the_page_says_so_and_verifies_nothing(
    browser: Any, mirrored: Mirrored
) -> None:
    """Over plain http:// from another machine a browser offers no WebCrypto (not a secure
    context): the page must say so, never show "verified"."""
    found = _check(
        browser,
        mirrored.folder,
        before="Object.defineProperty(window.crypto, 'subtle', {value: undefined});",
    )
    assert found["status"] == "failed"
    assert "no WebCrypto" in found["summary"] and "https://" in found["summary"]
    assert found["incidents"] == {}
