"""Parse CRM-style rows (strings, blanks, enum names) into domain objects: the ``from_row`` engine.

``__init__`` of every domain class stays strict and dumb; this module does the forgiving parsing
and reports every unparseable field of a row at once.
"""

from __future__ import annotations

import enum
import math
import re
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime, tzinfo
from typing import Any, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import attrs

from journeykit._checks import Checker, raise_problems, record_label
from journeykit.errors import ParameterError, Problem, ValidationError

T = TypeVar("T")
E = TypeVar("E", bound=enum.Enum)
Parser = Callable[[Any, tzinfo | None], Any]


class ParseError(Exception):
    """A value could not be parsed; the message follows the field name."""


def resolve_tz(tz: tzinfo | str | None) -> tzinfo | None:
    """Accept a :class:`~datetime.tzinfo` or an IANA name such as ``"Europe/Paris"``."""
    if tz is None or isinstance(tz, tzinfo):
        return tz
    try:
        return ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        msg = f"unknown timezone {tz!r}"
        raise ParameterError(msg) from exc


def is_blank(value: object) -> bool:
    """Whether a cell is empty: ``None``, an empty string or a float NaN."""
    if value is None:
        return True
    if isinstance(value, str):
        return not value.strip()
    return isinstance(value, float) and math.isnan(value)


def parse_time(value: Any, tz: tzinfo | None) -> datetime:
    """Parse an ISO-8601 string or a datetime; naive values get ``tz`` if given, else fail."""
    if isinstance(value, datetime):
        parsed = value.to_pydatetime() if hasattr(value, "to_pydatetime") else value
    elif isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value.strip())
        except ValueError:
            msg = f"is not an ISO-8601 time (got {value!r})"
            raise ParseError(msg) from None
    else:
        msg = f"must be a datetime or an ISO-8601 string (got {value!r})"
        raise ParseError(msg)
    if parsed.tzinfo is None or parsed.utcoffset() is None:
        if tz is None:
            msg = f"must be timezone-aware (got {parsed}); pass tz= to localise naive times"
            raise ParseError(msg)
        parsed = parsed.replace(tzinfo=tz)
    return parsed


def parse_text(value: Any, _tz: tzinfo | None) -> str:
    """Keep strings as they are; render numbers (CRM exports often type IDs as numbers)."""
    if isinstance(value, str):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(int(value)) if float(value).is_integer() else str(value)
    msg = f"must be text (got {value!r})"
    raise ParseError(msg)


def parse_number(value: Any, _tz: tzinfo | None) -> float:
    """Parse a number from a number or a numeric string."""
    if isinstance(value, bool):
        msg = f"must be a number (got {value!r})"
        raise ParseError(msg)
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value.strip())
        except ValueError:
            pass
    msg = f"must be a number (got {value!r})"
    raise ParseError(msg)


def parse_int(value: Any, tz: tzinfo | None) -> int:
    """Parse a whole number."""
    number = parse_number(value, tz)
    if not number.is_integer():
        msg = f"must be a whole number (got {value!r})"
        raise ParseError(msg)
    return int(number)


def parse_bool(value: Any, _tz: tzinfo | None) -> bool:
    """Parse ``true/false/yes/no/1/0`` (any case) or a bool."""
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in {"true", "yes", "y", "1", "t"}:
        return True
    if text in {"false", "no", "n", "0", "f"}:
        return False
    msg = f"must be true or false (got {value!r})"
    raise ParseError(msg)


def enum_parser(kind: type[E]) -> Callable[[Any, tzinfo | None], E]:
    """Parse an enum member from itself, its value or its name.

    Any case is accepted, and ``-`` or a space may stand for ``_``.
    """

    def parse(value: Any, _tz: tzinfo | None) -> E:
        if isinstance(value, kind):
            return value
        key = re.sub(r"[\s\-]+", "_", str(value).strip().lower())
        for member in kind:
            if key in {str(member.value), member.name.lower()}:
                return member
        choices = ", ".join(repr(m.value) for m in kind)
        msg = f"must be one of {choices} (got {value!r})"
        raise ParseError(msg)

    return parse


def split_items(value: Any) -> list[Any]:
    """Split ``"a; b"`` or ``"a,b"`` into items; pass other iterables through."""
    if isinstance(value, str):
        return [item.strip() for item in re.split(r"[;,]", value) if item.strip()]
    if isinstance(value, Iterable):
        return list(value)
    msg = f"must be a list or a ';'-separated string (got {value!r})"
    raise ParseError(msg)


def parse_id_set(value: Any, tz: tzinfo | None) -> frozenset[str]:
    """Parse a set of IDs."""
    return frozenset(parse_text(item, tz) for item in split_items(value))


def parse_mapping(value: Any, _tz: tzinfo | None) -> dict[str, str]:
    """Parse a ``{str: str}`` mapping."""
    if not isinstance(value, Mapping):
        msg = f"must be a mapping of strings (got {value!r})"
        raise ParseError(msg)
    return {str(k): str(v) for k, v in value.items()}


def list_parser(item: Parser) -> Parser:
    """Parse a list whose items ``item`` parses."""

    def parse(value: Any, tz: tzinfo | None) -> tuple[Any, ...]:
        return tuple(item(element, tz) for element in split_items(value))

    return parse


def build_from_row(
    cls: type[T],
    row: Mapping[str, Any],
    parsers: Mapping[str, Parser],
    *,
    tz: tzinfo | str | None,
    extra_into: str | None = None,
) -> T:
    """Parse ``row`` with ``parsers`` (one per field) and construct ``cls``.

    Blank cells leave the field at its default. Columns no parser knows are an error, unless
    ``extra_into`` names a mapping field that keeps them (nothing is silently dropped).
    """
    zone = resolve_tz(tz)
    checker = Checker(record_label(cls.__name__, row.get("id", "?")))
    kwargs: dict[str, Any] = {}
    extras: dict[str, str] = {}
    for key, raw in row.items():
        parser = parsers.get(key)
        if parser is None:
            if extra_into is None:
                checker.fail(key, f"is not a field of {cls.__name__} (known: {', '.join(parsers)})")
            elif not is_blank(raw):
                extras[str(key)] = raw if isinstance(raw, str) else str(raw)
            continue
        if is_blank(raw):
            continue
        try:
            kwargs[key] = parser(raw, zone)
        except ParseError as exc:
            checker.fail(key, str(exc))
        except ValidationError as exc:  # a nested record (a stage change) was invalid
            for problem in exc.problems:
                checker.fail(key, f"has an invalid item: {problem}")
    for field in attrs.fields(cls):  # type: ignore[arg-type]  # T is an attrs class at every call site
        required = field.init and field.default is attrs.NOTHING
        if required and field.name not in kwargs and is_blank(row.get(field.name)):
            checker.fail(field.name, "is required")
    if extra_into is not None and extras:
        kwargs[extra_into] = {**extras, **kwargs.get(extra_into, {})}
    checker.done()
    return cls(**kwargs)


def build_many(
    rows: Iterable[Mapping[str, Any]],
    build: Callable[[Mapping[str, Any]], T],
) -> tuple[T, ...]:
    """Build one object per row, reporting every failing row (by number) at once."""
    built: list[T] = []
    problems: list[Problem] = []
    for number, row in enumerate(rows):
        if not isinstance(row, Mapping):
            got = type(row).__name__
            message = f"must be a mapping of column to value (got {got})"
            problems.append(Problem(f"row {number}", "", message))
            continue
        try:
            built.append(build(row))
        except ValidationError as exc:
            problems += [attrs.evolve(p, record=f"row {number} ({p.record})") for p in exc.problems]
    if problems:
        raise_problems(problems)
    return tuple(built)
