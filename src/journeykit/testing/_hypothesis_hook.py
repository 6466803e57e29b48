"""Registered through hypothesis' entry point so ``st.from_type(jk.Touchpoint)`` works.

Hypothesis runs the hook in every environment where journeykit is installed, each time it is
imported, so the hook must cost nothing: it imports no journeykit module beyond the two tiny
packages it lives in (``journeykit`` loads its names lazily). Strategies for the types
of a module already imported are registered at once; for the others, a meta path finder registers
them right after their module is first imported (hypothesis looks a type up only after the type's
module exists, so nothing is missed). Each is registered as a function that builds the strategy
on look-up, so the strategies module (and numpy) load only when a test asks for one.
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import sys
from collections.abc import Sequence
from types import ModuleType
from typing import Any

# module -> (class name, strategy name in journeykit.testing.strategies)
_STRATEGIES: dict[str, tuple[tuple[str, str], ...]] = {
    "journeykit.personas": (("Persona", "personas"),),
    "journeykit.content": (("ContentAsset", "content_assets"),),
    "journeykit.buyers": (("Account", "accounts"), ("Buyer", "buyers")),
    "journeykit.touchpoints": (("Touchpoint", "touchpoints"),),
    "journeykit.deals": (("StageChange", "stage_changes"), ("Deal", "deals")),
    "journeykit.records": (("Records", "records"),),
}


def _resolver(name: str) -> Any:
    # A function of the type, not a strategy: hypothesis calls it on look-up, where it would
    # materialise a (deferred) strategy at registration, importing numpy and our strategies.
    def resolve(_: type) -> Any:
        from journeykit.testing import strategies  # noqa: PLC0415  # imports hypothesis, numpy

        return getattr(strategies, name)()

    return resolve


def _register(module: ModuleType) -> None:
    from hypothesis import strategies as st  # noqa: PLC0415  # hypothesis is importing us

    for cls, strategy in _STRATEGIES[module.__name__]:
        st.register_type_strategy(getattr(module, cls), _resolver(strategy))


class _RegisteringLoader(importlib.abc.Loader):
    """Runs a module with its own loader, then registers its types (anything else: delegated)."""

    def __init__(self, inner: importlib.abc.Loader) -> None:
        self._inner = inner

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType | None:
        return self._inner.create_module(spec)

    def exec_module(self, module: ModuleType) -> None:
        self._inner.exec_module(module)
        _register(module)

    def __getattr__(self, name: str) -> Any:  # get_source, get_resource_reader, ... for tools
        return getattr(self._inner, name)


class _RegisterOnImport(importlib.abc.MetaPathFinder):
    """Wraps the loader of each module of ``_STRATEGIES`` not yet imported, once."""

    def __init__(self, waiting: set[str]) -> None:
        self.waiting = waiting

    def find_spec(
        self,
        fullname: str,
        path: Sequence[str] | None,
        target: ModuleType | None = None,
    ) -> importlib.machinery.ModuleSpec | None:
        if fullname not in self.waiting:
            return None
        self.waiting.discard(fullname)
        if not self.waiting:
            sys.meta_path.remove(self)
        for finder in sys.meta_path:  # the finder that would have found it (editable, zip, ...)
            find = getattr(finder, "find_spec", None)
            spec: importlib.machinery.ModuleSpec | None = (
                None if finder is self or find is None else find(fullname, path, target)
            )
            if spec is not None:
                if spec.loader is not None:
                    spec.loader = _RegisteringLoader(spec.loader)
                return spec
        return None


def _hypothesis_setup_hook() -> None:
    waiting = set()
    for name in _STRATEGIES:
        module = sys.modules.get(name)
        if module is None:
            waiting.add(name)
        else:
            _register(module)
    if waiting:
        sys.meta_path.insert(0, _RegisterOnImport(waiting))
