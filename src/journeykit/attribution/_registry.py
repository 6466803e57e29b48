"""Models by name: built-ins, :func:`register`, and the ``journeykit.models`` entry-point group."""

from __future__ import annotations

import re
from collections.abc import Callable
from importlib.metadata import entry_points
from typing import Any, TypeVar

from journeykit.errors import ModelError, ParameterError, UnknownModelError

__all__ = ["available", "get", "model_class", "name_of", "register"]

_NAME = re.compile(r"[a-z][a-z0-9_]*")
_MODELS: dict[str, type[Any]] = {}
_NAMES: dict[type[Any], str] = {}
_ENTRY_POINTS_LOADED = False
C = TypeVar("C", bound=type[Any])


def register(name: str) -> Callable[[C], C]:
    """Register a model class under ``name`` (lower_snake_case), as a class decorator.

    Examples
    --------
    >>> import attrs
    >>> import journeykit as jk
    >>> @jk.models.register("everything_to_first")
    ... @attrs.frozen
    ... class EverythingToFirst:
    ...     tags = jk.Tags()
    ...     def fit(self, journeys): return jk.models.get("first_touch")
    >>> "everything_to_first" in jk.models.available()
    True
    """
    if not isinstance(name, str) or not _NAME.fullmatch(name):
        msg = f"model names are lower_snake_case (got {name!r})"
        raise ParameterError(msg)

    def decorate(cls: C) -> C:
        existing = _MODELS.get(name)
        if existing is not None and existing.__qualname__ != cls.__qualname__:
            where = f"{existing.__module__}.{existing.__qualname__}"
            msg = f"a model is already registered as {name!r} ({where})"
            raise ParameterError(msg)
        _MODELS[name] = cls
        _NAMES[cls] = name
        return cls

    return decorate


def _load_entry_points() -> None:
    global _ENTRY_POINTS_LOADED  # noqa: PLW0603  # loaded once, on first look-up
    if _ENTRY_POINTS_LOADED:
        return
    _ENTRY_POINTS_LOADED = True
    for point in entry_points(group="journeykit.models"):
        if point.name not in _MODELS:
            register(point.name)(point.load())


def available() -> list[str]:
    """Names of every registered model, sorted."""
    _load_entry_points()
    return sorted(_MODELS)


def model_class(name: str) -> type[Any]:
    """The class registered under ``name``."""
    _load_entry_points()
    try:
        return _MODELS[name]
    except KeyError:
        msg = f"no attribution model named {name!r} (available: {', '.join(sorted(_MODELS))})"
        raise UnknownModelError(msg) from None


def get(model: str | Any, /, **params: Any) -> Any:
    """A model instance from a name and parameters, or the instance itself.

    Examples
    --------
    >>> import journeykit as jk
    >>> jk.models.get("position_based", first=0.3, last=0.5)
    PositionBased(first=0.3, last=0.5)
    """
    if not isinstance(model, str):
        if params:
            msg = (
                f"parameters {sorted(params)} came with a model instance; set them on the instance"
            )
            raise ModelError(msg)
        if not callable(getattr(model, "fit", None)):
            msg = f"{model!r} is not a model: it has no fit(journeys) method"
            raise ModelError(msg)
        return model
    cls = model_class(model)
    try:
        return cls(**params)
    except TypeError as exc:
        msg = f"model {model!r}: {exc}"
        raise ModelError(msg) from None


def name_of(model: Any) -> str:
    """The registered name of a model instance (its class name when unregistered)."""
    return _NAMES.get(type(model), type(model).__name__)
