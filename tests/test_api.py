"""The public Python API: a curated, sorted ``__all__`` whose names all resolve."""

import ceasefire


def test_all_is_sorted_and_unique() -> None:
    names = [n for n in ceasefire.__all__ if n != "__version__"]
    assert names == sorted(names)
    assert len(set(ceasefire.__all__)) == len(ceasefire.__all__)


def test_every_exported_name_resolves() -> None:
    for name in ceasefire.__all__:
        assert getattr(ceasefire, name) is not None, name


def test_one_base_error() -> None:
    errors = [getattr(ceasefire, n) for n in ceasefire.__all__ if n.endswith("Error")]
    assert ceasefire.CeasefireError in errors
    for e in errors:
        assert issubclass(e, ceasefire.CeasefireError), e
