"""The public mirror's fixtures: the demo published once (read only; a test that changes a file
works on a copy)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from mirrors import Mirrored, night_report, publish

from backends import copy_sqlite


@pytest.fixture(scope="session")
def mirrored(demo_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Mirrored:
    """The demo database (a copy) published once, with the night's public daily report: read only."""
    work = tmp_path_factory.mktemp("mirror")
    db = copy_sqlite(demo_dir / "demo.db", work)
    report = night_report(db, work / "made", demo_dir / "demo-keys")
    done = publish(db, work / "site", demo_dir / "demo-keys", (report,))
    return Mirrored(work / "site", db, demo_dir / "demo-keys", done)


@pytest.fixture
def mirror_copy(mirrored: Mirrored, tmp_path: Path) -> Path:
    """A copy of the demo's mirror folder for a test to change."""
    return Path(shutil.copytree(mirrored.folder, tmp_path / "site"))
