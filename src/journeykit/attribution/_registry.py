"""Models by name: built-ins, :func:`register`, and the ``journeykit.models`` entry-point group.

Built-in models are listed in one table and imported on first use, so ``import journeykit`` does
not pay for every model. Their names cannot be taken by another class; any other name is taken
once, and replaced only with ``replace=True``. Classes are compared by identity, never by name.
"""

from __future__ import annotations

import contextlib
import importlib
import re
import warnings
from collections.abc import Callable, Iterator, Mapping
from typing import TYPE_CHECKING, Any, Literal, TypeVar, overload

import attrs

from journeykit.attribution._protocol import Model
from journeykit.errors import ModelError, UnknownModelError

if TYPE_CHECKING:  # the built-in classes, for the typed overloads of get(); imported on use
    from journeykit.attribution.hazard import Hazard
    from journeykit.attribution.markov import Markov
    from journeykit.attribution.rules import (
        CustomPositions,
        FirstTouch,
        FullPath,
        InverseJ,
        JShaped,
        LastNonDirect,
        LastTouch,
        Linear,
        PositionBased,
        TimeDecay,
        WShaped,
    )
    from journeykit.attribution.shapley import OrderedShapley, Shapley

__all__ = [
    "RESERVED",
    "available",
    "from_spec",
    "get",
    "model_class",
    "name_of",
    "register",
    "scoped",
    "to_spec",
    "unregister",
]

_NAME = re.compile(r"[a-z][a-z0-9_]*")

# name -> "module:class" of every built-in model, imported when first asked for.
_BUILTINS: dict[str, str] = {
    "first_touch": "journeykit.attribution.rules:FirstTouch",
    "last_touch": "journeykit.attribution.rules:LastTouch",
    "last_non_direct": "journeykit.attribution.rules:LastNonDirect",
    "linear": "journeykit.attribution.rules:Linear",
    "time_decay": "journeykit.attribution.rules:TimeDecay",
    "position_based": "journeykit.attribution.rules:PositionBased",
    "j_shaped": "journeykit.attribution.rules:JShaped",
    "inverse_j": "journeykit.attribution.rules:InverseJ",
    "custom_positions": "journeykit.attribution.rules:CustomPositions",
    "w_shaped": "journeykit.attribution.rules:WShaped",
    "full_path": "journeykit.attribution.rules:FullPath",
    "markov": "journeykit.attribution.markov:Markov",
    "shapley": "journeykit.attribution.shapley:Shapley",
    "ordered_shapley": "journeykit.attribution.shapley:OrderedShapley",
    "hazard": "journeykit.attribution.hazard:Hazard",
}

RESERVED: frozenset[str] = frozenset(
    {
        "journeys",
        "source",
        "model",
        "models",
        "by",
        "measure",
        "input",
        "columns",
        "tz",
        "sep",
        "dimensions",
        "chunk_rows",
        "memory",
        "on_progress",
        "resamples",
        "level",
        "seed",
        "journey",
    }
)
"""Keywords of ``attribute``, ``compare``, ``attribute_file``, ``journeykit.dask.attribute`` and
``bootstrap`` themselves: a model parameter with one of these names could never be passed through
them, so :func:`register` refuses such a model."""

_MODELS: dict[str, type[Any]] = {}
_NAMES: dict[type[Any], str] = {}
_ENTRY_POINTS_LOADED = False
C = TypeVar("C", bound=type[Any])
M = TypeVar("M", bound=Model)


def _path_of(cls: type[Any]) -> str:
    return f"{cls.__module__}:{cls.__qualname__}"


def register(name: str, *, replace: bool = False) -> Callable[[C], C]:
    """Register a model class under ``name`` (lower_snake_case), as a class decorator.

    Parameters
    ----------
    name : str
        The name ``attribute(journeys, name)`` will use.
    replace : bool
        Replace another class registered under ``name`` (never a built-in model).

    Raises
    ------
    ModelError
        The name is not lower_snake_case, belongs to a built-in model, is taken by another class
        (without ``replace=True``), or one of the model's parameters is named like a keyword of
        the functions that take models (:data:`RESERVED`).

    Examples
    --------
    >>> import attrs
    >>> import journeykit as jk
    >>> with jk.models.scoped():                   # registrations end with the block
    ...     @jk.models.register("everything_to_first")
    ...     @attrs.frozen
    ...     class EverythingToFirst:
    ...         tags = jk.Tags()
    ...         def fit(self, journeys): return jk.models.get("first_touch")
    ...     "everything_to_first" in jk.models.available()
    True
    >>> "everything_to_first" in jk.models.available()
    False
    """
    if not isinstance(name, str) or not _NAME.fullmatch(name):
        msg = f"model names are lower_snake_case (got {name!r})"
        raise ModelError(msg)

    def decorate(cls: C) -> C:
        builtin = _BUILTINS.get(name)
        if builtin is not None and builtin != _path_of(cls):
            msg = f"{name!r} is a built-in model ({builtin}) and cannot be replaced"
            raise ModelError(msg)
        existing = _MODELS.get(name)
        if existing is not None and existing is not cls and not replace:
            msg = (
                f"a model is already registered as {name!r} ({_path_of(existing)}); "
                "pass replace=True to replace it"
            )
            raise ModelError(msg)
        clash = sorted(_parameters(cls) & RESERVED)
        if clash:
            msg = (
                f"model {name!r}: parameter(s) {clash} share a name with a keyword of attribute() "
                "and the other functions that take models; rename them"
            )
            raise ModelError(msg)
        if existing is not None and existing is not cls:
            _NAMES.pop(existing, None)
        _MODELS[name] = cls
        _NAMES[cls] = name
        return cls

    return decorate


def _parameters(cls: type[Any]) -> set[str]:
    if attrs.has(cls):
        return {f.alias for f in attrs.fields(cls) if f.init}
    return set()


def unregister(name: str) -> None:
    """Remove a registered model (built-in models cannot be removed).

    Raises
    ------
    UnknownModelError
        Nothing is registered under ``name``.
    ModelError
        ``name`` is a built-in model.
    """
    if name in _BUILTINS:
        msg = f"{name!r} is a built-in model and cannot be unregistered"
        raise ModelError(msg)
    cls = _MODELS.pop(name, None)
    if cls is None:
        raise UnknownModelError(_unknown(name))
    _NAMES.pop(cls, None)


@contextlib.contextmanager
def scoped() -> Iterator[None]:
    """A block whose registrations and removals are undone when it ends (for tests and docs)."""
    _load_entry_points()
    models, names = dict(_MODELS), dict(_NAMES)
    try:
        yield
    finally:
        _MODELS.clear()
        _MODELS.update(models)
        _NAMES.clear()
        _NAMES.update(names)


def entry_points(group: str) -> Any:
    """The installed entry points of ``group``; importlib.metadata is imported on first use."""
    from importlib.metadata import entry_points as installed  # noqa: PLC0415  # 0.01 s to import

    return installed(group=group)


def _load_entry_points() -> None:
    global _ENTRY_POINTS_LOADED  # noqa: PLW0603  # loaded once, on first look-up
    if _ENTRY_POINTS_LOADED:
        return
    _ENTRY_POINTS_LOADED = True
    for point in entry_points(group="journeykit.models"):
        if point.name in _BUILTINS:
            message = (
                f"entry point {point.value!r} names the built-in model {point.name!r}; ignored"
            )
            warnings.warn(message, RuntimeWarning, stacklevel=2)
        elif point.name not in _MODELS:
            register(point.name)(point.load())


def _load_builtin(name: str) -> None:
    module, _, _ = _BUILTINS[name].partition(":")
    importlib.import_module(module)  # its @register decorators fill the table


def available() -> list[str]:
    """Names of every registered model, sorted."""
    _load_entry_points()
    return sorted(set(_BUILTINS) | set(_MODELS))


def _unknown(name: str) -> str:
    return f"no attribution model named {name!r} (available: {', '.join(available())})"


def model_class(name: str) -> type[Any]:
    """The class registered under ``name``.

    Raises
    ------
    UnknownModelError
        Nothing is registered under ``name``; the message lists what is.
    """
    try:
        if name in _BUILTINS:  # built-ins win over plug-ins: no need to look for any
            if name not in _MODELS:
                _load_builtin(name)
        else:
            _load_entry_points()
        return _MODELS[name]
    except (KeyError, TypeError):
        raise UnknownModelError(_unknown(name)) from None


# Typed look-ups: ``get("markov")`` is a Markov to the type checker, so its fitted attributes
# (removal effects, transitions) are checked too.
@overload
def get(model: Literal["first_touch"], /, **params: Any) -> FirstTouch: ...
@overload
def get(model: Literal["last_touch"], /, **params: Any) -> LastTouch: ...
@overload
def get(model: Literal["last_non_direct"], /, **params: Any) -> LastNonDirect: ...
@overload
def get(model: Literal["linear"], /, **params: Any) -> Linear: ...
@overload
def get(model: Literal["time_decay"], /, **params: Any) -> TimeDecay: ...
@overload
def get(model: Literal["position_based"], /, **params: Any) -> PositionBased: ...
@overload
def get(model: Literal["j_shaped"], /, **params: Any) -> JShaped: ...
@overload
def get(model: Literal["inverse_j"], /, **params: Any) -> InverseJ: ...
@overload
def get(model: Literal["custom_positions"], /, **params: Any) -> CustomPositions: ...
@overload
def get(model: Literal["w_shaped"], /, **params: Any) -> WShaped: ...
@overload
def get(model: Literal["full_path"], /, **params: Any) -> FullPath: ...
@overload
def get(model: Literal["markov"], /, **params: Any) -> Markov: ...
@overload
def get(model: Literal["shapley"], /, **params: Any) -> Shapley: ...
@overload
def get(model: Literal["hazard"], /, **params: Any) -> Hazard: ...
@overload
def get(model: Literal["ordered_shapley"], /, **params: Any) -> OrderedShapley: ...
@overload
def get(model: str, /, **params: Any) -> Model: ...
@overload
def get(model: M, /) -> M: ...
def get(model: str | Model, /, **params: Any) -> Model:
    """A model instance from a name and parameters, or the instance itself.

    Raises
    ------
    UnknownModelError
        No model has that name.
    ModelError
        Parameters came with an instance, the parameters do not fit the model, or the object is
        not a model (no ``fit``).

    Examples
    --------
    >>> import journeykit as jk
    >>> jk.models.get("position_based", first=0.3, last=0.5)
    PositionBased(first=0.3, last=0.5, per='journey', role_weights=())
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
        instance = cls(**params)
    except TypeError as exc:
        msg = f"model {model!r}: {exc}".replace(f"{cls.__name__}.__init__() ", "")
        raise ModelError(msg) from None
    return instance  # type: ignore[no-any-return]  # registered classes follow the Model protocol


def name_of(model: Any) -> str:
    """The registered name of a model instance (its class name when unregistered)."""
    if type(model) not in _NAMES:
        _load_entry_points()  # a plug-in's instance, made before any look-up by name
    return _NAMES.get(type(model), type(model).__name__)


def to_spec(model: Model) -> dict[str, Any]:
    """``{"name": ..., "params": {...}}``: a registered attrs model as plain data.

    ``params`` holds the model's own values (timedeltas stay timedeltas); :mod:`journeykit.io`
    turns them into JSON. Rebuild the model with :func:`from_spec`.

    Raises
    ------
    ModelError
        The model is not a registered attrs class, or a parameter holds code (a function).

    Examples
    --------
    >>> import journeykit as jk
    >>> spec = jk.models.to_spec(jk.models.get("markov", order=2))
    >>> spec
    {'name': 'markov', 'params': {'order': 2, 'allocation': 'global'}}
    >>> jk.models.from_spec(spec)
    Markov(order=2, allocation='global')
    """
    name = name_of(model)
    cls: type[Any] = type(model)
    if not attrs.has(cls) or _MODELS.get(name) is not cls:
        msg = f"{name} is not a registered attrs model, so it has no spec"
        raise ModelError(msg)
    params = {f.alias: getattr(model, f.name) for f in attrs.fields(cls) if f.init}
    code = [key for key, value in params.items() if callable(value)]
    if code:
        msg = f"cannot write {name}: {', '.join(code)} holds code, not data"
        raise ModelError(msg)
    return {"name": name, "params": params}


def from_spec(spec: Mapping[str, Any]) -> Model:
    """The model a :func:`to_spec` mapping describes.

    Raises
    ------
    ModelError
        ``spec`` has no ``name`` or its ``params`` are not a mapping.
    UnknownModelError
        No model has that name.
    """
    name = spec.get("name") if isinstance(spec, Mapping) else None
    params = spec.get("params", {}) if isinstance(spec, Mapping) else None
    if not isinstance(name, str) or not isinstance(params, Mapping):
        msg = f"a model spec is {{'name': str, 'params': {{...}}}} (got {spec!r})"
        raise ModelError(msg)
    return get(name, **dict(params))
