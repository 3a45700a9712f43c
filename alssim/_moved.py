"""Old module paths that still import, with a :class:`DeprecationWarning` (private).

``alssim.sweep`` and ``alssim.calibrate`` are functions. Their modules were also called
``alssim.sweep`` and ``alssim.calibrate``, each shadowed by its function; they are now
``alssim.sweeps`` and ``alssim.calibration``. The old module paths keep working
(``from alssim.sweep import load_runs``, ``import alssim.calibrate``,
``from alssim.sweep.design import make_design``): an import finder gives each a stand-in module
(:class:`MovedModule`) that warns when it is imported and whenever anything is taken from it,
and hands out the new module's objects. Importing a stand-in never replaces the function
``alssim.sweep`` or ``alssim.calibrate`` on the package (:class:`Package`), as importing a real
module ``alssim/sweep.py`` would.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import sys
import types
import warnings
from collections.abc import Sequence
from typing import Any

__all__ = ["MOVED", "MovedModule", "Package", "install"]

#: Old module path -> new module path.
MOVED: dict[str, str] = {"alssim.sweep": "alssim.sweeps", "alssim.calibrate": "alssim.calibration"}


def new_name(old: str) -> str | None:
    """The new path of an old module path (or of a module below it), else ``None``."""
    for prefix, new in MOVED.items():
        if old == prefix or old.startswith(prefix + "."):
            return new + old[len(prefix):]
    return None


def _function_of(old: str) -> str:
    """The function whose name the old module path (or its parent) had: ``alssim.sweep``."""
    return next(p for p in MOVED if old == p or old.startswith(p + "."))


class MovedModule(types.ModuleType):
    """A stand-in for an old module path: each attribute is the new module's, taken with a
    :class:`DeprecationWarning`."""

    def __init__(self, name: str, target: str):
        super().__init__(name, f"Deprecated path of {target}.")
        self.__dict__["_alssim_target"] = target

    def _target(self) -> types.ModuleType:
        return importlib.import_module(self.__dict__["_alssim_target"])

    def __getattr__(self, attr: str) -> Any:
        if attr.startswith("__") or "_alssim_target" not in self.__dict__:
            raise AttributeError(f"module {self.__name__!r} has no attribute {attr!r}")
        target = self.__dict__["_alssim_target"]
        warnings.warn(f"{self.__name__}.{attr}: the module {self.__name__} is now {target} "
                      f"({_function_of(self.__name__)} is the function); import {attr} from "
                      f"{target}", DeprecationWarning, stacklevel=2)
        return getattr(self._target(), attr)

    def __dir__(self) -> list[str]:
        return dir(self._target())


class Finder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Finds the old module paths (:data:`MOVED`) and loads their stand-ins."""

    def find_spec(self, fullname: str, path: Sequence[str] | None = None,
                  target: types.ModuleType | None = None) -> importlib.machinery.ModuleSpec | None:
        new = new_name(fullname)
        if new is None:
            return None
        try:
            module = importlib.import_module(new)
        except ModuleNotFoundError as exc:
            if exc.name is not None and new.startswith(exc.name):
                return None  # no such module under the new path either
            raise
        return importlib.machinery.ModuleSpec(fullname, self,
                                              is_package=hasattr(module, "__path__"))

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> types.ModuleType:
        return MovedModule(spec.name, str(new_name(spec.name)))

    def exec_module(self, module: types.ModuleType) -> None:
        new = new_name(module.__name__)
        warnings.warn(f"the module {module.__name__} is now {new} ({_function_of(module.__name__)}"
                      f" is the function); import from {new}", DeprecationWarning, stacklevel=2)


class Package(types.ModuleType):
    """The class of the ``alssim`` package: importing an old module path sets no attribute on
    it, so ``alssim.sweep`` and ``alssim.calibrate`` stay the functions."""

    def __setattr__(self, name: str, value: Any) -> None:
        if f"{self.__name__}.{name}" in MOVED and isinstance(value, types.ModuleType):
            return  # the import system naming a loaded (stand-in) module after its parent
        super().__setattr__(name, value)


def install(package_name: str) -> None:
    """Let the old module paths import (once per process)."""
    sys.modules[package_name].__class__ = Package
    if not any(isinstance(f, Finder) for f in sys.meta_path):
        sys.meta_path.insert(0, Finder())
