"""The public Python API: a curated, sorted ``__all__`` whose names all resolve."""

import ast
import subprocess
import sys
from pathlib import Path

import ceasefire


def test_all_is_sorted_and_unique() -> None:
    names = [n for n in ceasefire.__all__ if n != "__version__"]
    assert names == sorted(names)
    assert len(set(ceasefire.__all__)) == len(ceasefire.__all__)


def test_every_exported_name_resolves_from_its_module() -> None:
    for name in ceasefire.__all__:
        value = getattr(ceasefire, name)
        if name != "__version__":
            assert (
                getattr(value, "__module__", ceasefire._EXPORTS[name]) == ceasefire._EXPORTS[name]
            )


def test_type_checking_imports_match_the_lazy_table() -> None:
    # What mypy sees (the TYPE_CHECKING block) must be what runs (the _EXPORTS table).
    tree = ast.parse(Path(ceasefire.__file__).read_text(encoding="utf-8"))
    seen: dict[str, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and getattr(node.test, "id", "") == "TYPE_CHECKING":
            for imp in node.body:
                assert isinstance(imp, ast.ImportFrom)
                seen.update({alias.name: str(imp.module) for alias in imp.names})
    assert seen == ceasefire._EXPORTS


def test_unknown_name_is_an_attribute_error() -> None:
    try:
        ceasefire.no_such_thing  # noqa: B018
    except AttributeError as e:
        assert "no_such_thing" in str(e)
    else:
        raise AssertionError("expected AttributeError")


def test_importing_the_cli_does_not_load_the_heavy_parts() -> None:
    code = (
        "import sys, ceasefire.cli.app; print('sqlalchemy' in sys.modules, 'pyproj' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]


def test_one_base_error() -> None:
    errors = [getattr(ceasefire, n) for n in ceasefire.__all__ if n.endswith("Error")]
    assert ceasefire.CeasefireError in errors
    for e in errors:
        assert issubclass(e, ceasefire.CeasefireError), e
