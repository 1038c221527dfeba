"""The public API: __all__ is complete and sorted."""

from __future__ import annotations

import inspect

import fuxian_rules


def test_all_is_sorted_and_complete() -> None:
    names = fuxian_rules.__all__
    assert names == sorted(names)
    public = {n for n, v in vars(fuxian_rules).items()
              if not n.startswith("_") and not inspect.ismodule(v) and n != "annotations"}
    assert public | {"__version__"} == set(names)
    for name in names:
        assert hasattr(fuxian_rules, name)


def test_errors_are_one_tree() -> None:
    from fuxian_rules import errors

    for name in errors.__all__:
        assert issubclass(getattr(errors, name), fuxian_rules.FuxianRulesError)
    assert issubclass(fuxian_rules.CatalogError, fuxian_rules.LoadError)
    assert issubclass(fuxian_rules.BackendError, fuxian_rules.RunError)
