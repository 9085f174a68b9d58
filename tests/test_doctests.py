"""Every example in a docstring runs and shows what it says (doctest), module by module."""

from __future__ import annotations

import doctest
import importlib
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "ceasefire"
WITH_EXAMPLES = sorted(
    ".".join(("ceasefire", *p.relative_to(SRC).with_suffix("").parts))
    for p in SRC.rglob("*.py")
    if ">>> " in p.read_text(encoding="utf-8") and "migrations" not in p.parts
)


def test_the_modules_with_examples_are_found() -> None:
    assert "ceasefire.ledger.merkle" in WITH_EXAMPLES and len(WITH_EXAMPLES) >= 10


@pytest.mark.parametrize("name", WITH_EXAMPLES)
def test_the_examples_run(name: str) -> None:
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert result.failed == 0, f"{result.failed} of {result.attempted} example(s) failed in {name}"
