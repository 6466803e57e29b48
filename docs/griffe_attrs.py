"""A griffe extension: the API reference shows each attrs class's parameters and their defaults.

griffe reads source, and attrs writes ``__init__`` only when the class is created, so without this
every parameter a class docstring documents looked required. The extension imports each class of
the package, and for attrs classes adds the ``__init__`` attrs made: its parameters in order, of
their kind (keyword-only or not), typed by the field annotations griffe read from the source, with
the defaults attrs uses (a factory is shown by what it makes, e.g. ``frozenset()``).

mkdocs.yml loads it for mkdocstrings; ``tests/test_api_reference.py`` loads it too.
"""

from __future__ import annotations

import enum
import inspect
from collections.abc import Iterator
from typing import Any

import attrs
import griffe

__all__ = ["AttrsInit", "default_text"]

_LONGEST_DEFAULT = 40  # a longer repr is shown as the factory's call
_FACTORY: type[Any] = type(attrs.Factory(list))  # attrs' stubs type Factory as a function


class AttrsInit(griffe.Extension):
    """Give every attrs class of the loaded package the ``__init__`` attrs generates."""

    def on_package(self, *, pkg: griffe.Module, **kwargs: Any) -> None:
        """Add ``__init__`` to each attrs class once the whole package is loaded."""
        for cls in _classes(pkg):
            if "__init__" in cls.members:
                continue  # written by hand (or init=False): griffe read it
            try:
                runtime = griffe.dynamic_import(cls.path)
            except ImportError:
                continue  # an optional dependency is missing: the class stays as read
            if isinstance(runtime, type) and attrs.has(runtime):
                cls.set_member("__init__", _init_of(cls, runtime))


def _classes(module: griffe.Module | griffe.Class) -> Iterator[griffe.Class]:
    for member in list(module.members.values()):
        if member.is_alias:
            continue  # imported names are handled where they are defined
        if isinstance(member, griffe.Class):
            yield member
            yield from _classes(member)
        elif isinstance(member, griffe.Module):
            yield from _classes(member)


def _init_of(cls: griffe.Class, runtime: type) -> griffe.Function:
    fields = {field.alias: field for field in attrs.fields(runtime)}
    signature = inspect.signature(runtime.__init__)  # type: ignore[misc]
    parameters = [griffe.Parameter("self", kind=griffe.ParameterKind.positional_or_keyword)]
    for parameter in list(signature.parameters.values())[1:]:
        field = fields.get(parameter.name)
        # all_members: a field a base class declares is typed there (JShaped's per comes from
        # PositionBased), and reaches the subclass as an alias of the base's attribute
        declared = cls.all_members.get(field.name) if field is not None else None
        if isinstance(declared, griffe.Alias):
            declared = declared.final_target
        annotation = declared.annotation if isinstance(declared, griffe.Attribute) else None
        parameters.append(
            griffe.Parameter(
                parameter.name,
                annotation=annotation,
                kind=griffe.ParameterKind(parameter.kind.description),
                default=None if field is None else default_text(field),
            )
        )
    return griffe.Function(
        "__init__",
        parameters=griffe.Parameters(*parameters),
        returns="None",
        lineno=cls.lineno,
        endlineno=cls.lineno,
        parent=cls,
    )


def default_text(field: attrs.Attribute[Any]) -> str | None:
    """How a field's default reads in a signature; ``None`` for a required field.

    Examples
    --------
    >>> import attrs
    >>> @attrs.frozen
    ... class Example:
    ...     needed: int
    ...     tags: frozenset[str] = attrs.field(factory=frozenset)
    ...     limit: float = 1.5
    >>> [default_text(f) for f in attrs.fields(Example)]
    [None, 'frozenset()', '1.5']
    """
    default = field.default
    if default is attrs.NOTHING:
        return None
    if isinstance(default, _FACTORY):
        factory = default.factory
        name = getattr(factory, "__qualname__", type(factory).__name__)
        if default.takes_self:
            return f"{name}(self)"
        text = repr(factory())
        return text if len(text) <= _LONGEST_DEFAULT else f"{name}()"
    if isinstance(default, enum.Enum):
        return f"{type(default).__name__}.{default.name}"
    return repr(default)
