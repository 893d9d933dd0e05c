"""Every module that moved in 0.2 still imports from its old path, warns, and is the same code."""

from __future__ import annotations

import importlib
import sys
import warnings

import pytest

from council.moved import MODULES, PACKAGES


@pytest.mark.parametrize("old", sorted(MODULES))
def test_old_path_warns_and_serves_the_new_module(old: str) -> None:
    for name in [n for n in sys.modules if n == old or n.startswith(old + ".")]:
        del sys.modules[name]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        alias = importlib.import_module(old)
    new = importlib.import_module(MODULES[old])
    assert any(issubclass(w.category, DeprecationWarning) and MODULES[old] in str(w.message) for w in caught)
    public = [k for k in vars(new) if not k.startswith("__")]
    assert public and all(getattr(alias, k) is getattr(new, k) for k in public)
    assert new.__name__ == MODULES[old]  # the new module is untouched by the alias


@pytest.mark.parametrize("old", sorted(PACKAGES))
def test_old_packages_still_import(old: str) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert importlib.import_module(old).__path__ == []


def test_a_name_that_never_existed_is_still_an_import_error() -> None:
    with pytest.raises(ModuleNotFoundError):
        importlib.import_module("recovery.no_such_module")
