"""The layout's rules hold: the import contracts (pyproject's [tool.importlinter]), module sizes,
and what importing a core stage costs."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src" / "ceasefire"
#: The longest a module may grow before it is split (the style guide aims at 150-400 lines).
MAX_LINES = 800


def test_the_import_contracts_hold() -> None:
    # No cycles anywhere; the core imports nothing from the store, the service, the CLI, the
    # simulator or the use cases; each layer imports only the layers below it.
    lint = Path(sys.executable).with_name("lint-imports")
    done = subprocess.run(
        [str(lint), "--config", str(ROOT / "pyproject.toml")],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "3 kept, 0 broken" in done.stdout


def test_no_module_is_longer_than_the_limit() -> None:
    long = {
        str(p.relative_to(SRC)): n
        for p in SRC.rglob("*.py")
        if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    }
    assert not long, f"split these modules (over {MAX_LINES} lines): {long}"


@pytest.mark.parametrize(
    ("module", "not_loaded"),
    [
        # The ladder's rules are plain Python: deciding a status must not pay for SciPy.
        ("ceasefire.judge.verification", ("scipy", "sqlalchemy", "fastapi")),
        ("ceasefire.records", ("numpy", "scipy", "sqlalchemy", "fastapi")),
        # The ledger is checked far from any database: no SQLAlchemy in a verifier's process.
        ("ceasefire.ledger", ("sqlalchemy", "fastapi", "scipy")),
        ("ceasefire.hotline.rules", ("sqlalchemy", "fastapi", "scipy")),
        ("ceasefire.publish.access", ("sqlalchemy", "fastapi", "scipy")),
        # `ceasefire --help` answers without the store, the service or the geometry engine.
        ("ceasefire.cli.app", ("sqlalchemy", "fastapi", "scipy", "shapely")),
    ],
)
def test_a_core_module_loads_only_what_it_needs(module: str, not_loaded: tuple[str, ...]) -> None:
    code = f"import sys, {module}\nprint(' '.join(m for m in {not_loaded!r} if m in sys.modules))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "", f"importing {module} loaded {done.stdout.strip()}"
