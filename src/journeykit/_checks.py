"""Collect every problem of one record before raising, so callers see them all at once."""

from __future__ import annotations

import enum
import math
from datetime import datetime
from typing import Any, NoReturn

from journeykit.errors import Problem, ValidationError


def record_label(kind: str, record_id: object) -> str:
    """Name a record the way every message does: ``Touchpoint 't-17'``."""
    return f"{kind} {record_id!r}"


class Checker:
    """Accumulates :class:`Problem` objects for one record; :meth:`done` raises if any."""

    __slots__ = ("problems", "record")

    def __init__(self, record: str) -> None:
        self.record = record
        self.problems: list[Problem] = []

    def fail(self, field: str, message: str) -> None:
        """Record one problem of ``field``."""
        self.problems.append(Problem(self.record, field, message))

    def identifier(self, field: str, value: object, *, optional: bool = False) -> bool:
        """Check an ID: a non-empty string without surrounding white space."""
        if value is None and optional:
            return True
        if not isinstance(value, str):
            self.fail(field, f"must be a string ID (got {value!r})")
            return False
        if not value or value != value.strip():
            self.fail(field, f"must be a non-empty ID without surrounding spaces (got {value!r})")
            return False
        return True

    def text(self, field: str, value: object, *, optional: bool = False) -> None:
        """Check a free-text field."""
        if value is None and optional:
            return
        if not isinstance(value, str):
            self.fail(field, f"must be a string (got {value!r})")

    def aware(self, field: str, value: object, *, optional: bool = False) -> bool:
        """Check a real instant: a timezone-aware :class:`~datetime.datetime`."""
        if value is None and optional:
            return True
        if not isinstance(value, datetime):
            self.fail(field, f"must be a timezone-aware datetime (got {value!r})")
            return False
        if value.tzinfo is None or value.utcoffset() is None:
            self.fail(field, f"must be timezone-aware (got {value})")
            return False
        return True

    def amount(self, field: str, value: object) -> bool:
        """Check a finite, non-negative number (a value or a cost)."""
        if isinstance(value, bool) or not isinstance(value, int | float):
            self.fail(field, f"must be a number (got {value!r})")
            return False
        if not math.isfinite(value) or value < 0:
            self.fail(field, f"must be finite and >= 0 (got {value!r})")
            return False
        return True

    def member(
        self, field: str, value: object, kind: type[enum.Enum], *, optional: bool = False
    ) -> None:
        """Check an enum member (``__init__`` does not parse strings; ``from_row`` does)."""
        if value is None and optional:
            return
        if not isinstance(value, kind):
            choices = ", ".join(repr(m.value) for m in kind)
            self.fail(field, f"must be a {kind.__name__} (one of {choices}; got {value!r})")

    def identifiers(self, field: str, values: Any) -> None:
        """Check a collection of IDs."""
        for item in values:
            self.identifier(field, item)

    def done(self) -> None:
        """Raise :class:`ValidationError` with every problem collected, if there is one."""
        if self.problems:
            raise_problems(self.problems)


def raise_problems(problems: list[Problem]) -> NoReturn:
    """Raise the problems together (a helper so tracebacks stay short)."""
    raise ValidationError(problems)
