"""One source for the version, and the two ways to run the command line."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

import ceasefire

ROOT = Path(__file__).resolve().parents[2]


def test_the_version_is_the_one_in_pyproject() -> None:
    declared = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    assert ceasefire.__version__ == declared


def test_python_dash_m_and_the_version_flag() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "ceasefire", "--version"], capture_output=True, text=True, check=True
    )
    assert done.stdout == f"ceasefire {ceasefire.__version__}\n"
    helped = subprocess.run(
        [sys.executable, "-m", "ceasefire", "--help"], capture_output=True, text=True, check=True
    )
    assert "Usage: python -m ceasefire" in helped.stdout and "ingest" in helped.stdout
