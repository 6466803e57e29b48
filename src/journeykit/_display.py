"""The hook between results and the figures that draw them: results never import matplotlib.

Following scikit-learn's Display objects, the plotting module depends on the results and not the
reverse. A result's ``.plot()`` is a thin accessor that hands the result to :func:`draw`; the
plotting module registers one painter per result type with :func:`painter`. The default plotting
module, :data:`BACKEND`, is loaded by name the first time a figure is asked for (as pandas loads its
plotting backend), so results stay importable, and cheap, without it.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any, TypeVar

__all__ = ["BACKEND", "draw", "painter"]

BACKEND = "journeykit.plot"
"""The module that registers the painters of journeykit's results."""

_PAINTERS: dict[type, Callable[..., Any]] = {}
F = TypeVar("F", bound=Callable[..., Any])


def painter(*types: type) -> Callable[[F], F]:
    """Register the decorated function as the painter of results of ``types``.

    The function takes the result first, then the arguments of the result's ``.plot()``.
    """

    def decorate(function: F) -> F:
        for cls in types:
            _PAINTERS[cls] = function
        return function

    return decorate


def draw(result: object, /, *args: Any, **kwargs: Any) -> Any:
    """Draw ``result`` with the painter registered for its type; returns what the painter returns.

    Examples
    --------
    >>> import journeykit as jk
    >>> paths = jk.read_paths([{"path": "a > b", "total_conversions": 2}])
    >>> ax = draw(jk.attribute(paths, "linear"))
    >>> ax.get_xlabel()
    'credited conversions'
    """
    found = _find(type(result))
    if found is None:
        importlib.import_module(BACKEND)  # registers the painters on import
        found = _find(type(result))
    if found is None:  # a result type without a painter is a bug in journeykit, not user error
        msg = f"no figure is registered for {type(result).__qualname__} results"
        raise NotImplementedError(msg)
    return found(result, *args, **kwargs)


def _find(cls: type) -> Callable[..., Any] | None:
    return next((_PAINTERS[c] for c in cls.__mro__ if c in _PAINTERS), None)
