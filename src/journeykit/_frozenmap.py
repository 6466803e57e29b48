"""An immutable, hashable string mapping for free-form record properties."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

__all__ = ["FrozenMap"]


class FrozenMap(Mapping[str, str]):
    """A read-only ``{str: str}`` mapping that hashes, compares and prints like a dict.

    Examples
    --------
    >>> m = FrozenMap({"utm_source": "newsletter"})
    >>> m["utm_source"], len(m), m == {"utm_source": "newsletter"}
    ('newsletter', 1, True)
    >>> hash(m) == hash(FrozenMap({"utm_source": "newsletter"}))
    True
    """

    __slots__ = ("_data", "_hash")

    def __init__(self, data: Mapping[str, str] | None = None) -> None:
        self._data: dict[str, str] = dict(data or {})
        self._hash: int | None = None

    def __getitem__(self, key: str) -> str:
        return self._data[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)

    def __hash__(self) -> int:
        if self._hash is None:
            self._hash = hash(frozenset(self._data.items()))
        return self._hash

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Mapping):
            return self._data == dict(other.items())
        return NotImplemented

    def __repr__(self) -> str:
        return f"FrozenMap({self._data!r})"

    def __reduce__(self) -> tuple[Any, ...]:
        return (FrozenMap, (self._data,))


def to_frozenmap(value: Mapping[str, str] | None) -> FrozenMap:
    """Convert a mapping (or ``None``) to a :class:`FrozenMap` (an attrs converter)."""
    return value if isinstance(value, FrozenMap) else FrozenMap(value)
