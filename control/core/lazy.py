"""Lazy re-export of a package's public names from its modules (PEP 562).

Every cposim package lists, per module, the names it re-exports; the module is imported on the
first access of one of its names, so ``import cposim.photonics`` (or the command line) does not
pull in scipy.signal, pandas or every Numba kernel. The names of a package are the union of its
modules' ``__all__``; a test checks that each catalogue equals them.
"""

from __future__ import annotations

import importlib
import sys


def lazy_exports(package: str, catalogue: dict[str, tuple[str, ...]]):
    """``__all__``, ``__getattr__`` and ``__dir__`` for a package that re-exports lazily.

    Parameters
    ----------
    package : str
        Dotted name of the package (its ``__name__``).
    catalogue : dict of str to tuple of str
        Module (relative to ``package``, may be a subpackage) → the public names it exports.
        A name may come from one module only.

    Returns
    -------
    tuple
        ``(__all__, __getattr__, __dir__)``, to assign in the package's ``__init__``. Accessing
        a submodule by name (``cposim.photonics.fab.sampling``) imports it too.
    """
    owner: dict[str, str] = {}
    for module, names in catalogue.items():
        for name in names:
            if name in owner:
                raise ValueError(
                    f"{package}: {name!r} is exported by both {owner[name]} and {module}"
                )
            owner[name] = module

    def __getattr__(name):
        module = owner.get(name)
        if module is None:
            if not name.startswith("__"):
                try:
                    return importlib.import_module(f"{package}.{name}")
                except ModuleNotFoundError as error:
                    if error.name != f"{package}.{name}":
                        raise
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(f"{package}.{module}"), name)
        setattr(sys.modules[package], name, value)
        return value

    def __dir__():
        return sorted(set(vars(sys.modules[package])) | set(owner))

    return sorted(owner), __getattr__, __dir__


__all__ = ["lazy_exports"]
