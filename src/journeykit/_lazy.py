"""Lazy public names for packages (PEP 562), so ``import journeykit`` costs almost nothing.

A package lists its public names in one table, name -> the module that defines it, and binds the
two functions :func:`attach` returns as its module ``__getattr__`` and ``__dir__``. A name is
imported on first use and then cached in the package's namespace, so later look-ups are plain
attribute reads. A table entry whose module is the package's own submodule of that name stands
for the submodule itself (``"plot": "journeykit.plot"``).

The package keeps a literal ``__all__`` and repeats the imports under ``if TYPE_CHECKING:`` so the
type checker sees every name; ``tests/test_layers.py`` checks that the table, the
``TYPE_CHECKING`` imports and ``__all__`` agree.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Mapping
from typing import Any

__all__ = ["attach"]


def attach(
    package: str, table: Mapping[str, str]
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """``__getattr__`` and ``__dir__`` for ``package`` that import the names of ``table`` lazily.

    Examples
    --------
    >>> getattr_, dir_ = attach("journeykit", {"Records": "journeykit.records"})
    >>> getattr_("Records").__name__
    'Records'
    >>> "Records" in dir_()
    True
    """

    def getattr_(name: str) -> Any:
        module_name = table.get(name)
        if module_name is None:
            msg = f"module {package!r} has no attribute {name!r}"
            raise AttributeError(msg)
        module = importlib.import_module(module_name)
        value = module if module_name == f"{package}.{name}" else getattr(module, name)
        setattr(sys.modules[package], name, value)  # cached: __getattr__ runs once per name
        return value

    def dir_() -> list[str]:
        return sorted(set(vars(sys.modules[package])) | set(table))

    return getattr_, dir_
