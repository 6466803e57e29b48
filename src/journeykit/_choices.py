"""The one runtime check of enumerated options (the ``Literal`` types of the public API).

Type checkers only see literals written in code; options read from JSON, the command line or a
misspelt keyword arrive at run time, so every option is checked here, with one message shape:
``rollup must be one of 'account', 'buyers' or 'primary' (got 'acount'; did you mean
'account'?)``.
"""

from __future__ import annotations

import difflib
from typing import Any, get_args

from journeykit.errors import ParameterError

__all__ = ["choice_message", "choose", "options_of"]


def options_of(kind: Any) -> tuple[str, ...]:
    """The strings a ``Literal[...]`` type (or a tuple of strings) allows."""
    options = kind if isinstance(kind, tuple) else get_args(kind)
    return tuple(o for o in options if isinstance(o, str))


def choice_message(value: object, kind: Any, *, optional: bool = False) -> str | None:
    """``None`` when ``value`` is one of the options, else what is wrong (to follow a name)."""
    options = options_of(kind)
    if (value is None and optional) or (isinstance(value, str) and value in options):
        return None
    quoted = [repr(o) for o in options]
    if optional:
        quoted.append("None")
    listed = quoted[0] if len(quoted) == 1 else f"{', '.join(quoted[:-1])} or {quoted[-1]}"
    if len(quoted) > 2:  # "must be 'a' or 'b'", "must be one of 'a', 'b' or 'c'"
        listed = f"one of {listed}"
    hint = ""
    if isinstance(value, str):
        close = difflib.get_close_matches(value.strip().lower(), options, n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
    return f"must be {listed} (got {value!r}{hint})"


def choose(
    value: Any,
    kind: Any,
    name: str,
    *,
    owner: str = "",
    optional: bool = False,
    error: type[Exception] = ParameterError,
) -> Any:
    """Return ``value`` if it is one of the options of ``kind``, else raise ``error``.

    Examples
    --------
    >>> from typing import Literal
    >>> from journeykit._choices import choose
    >>> choose("split", Literal["split", "error"], "after_conversion")
    'split'
    >>> choose("eror", Literal["split", "error"], "after_conversion", owner="from_events")
    Traceback (most recent call last):
    ...
    journeykit.errors.ParameterError: from_events: after_conversion must be 'split' or 'error' ...
    """
    message = choice_message(value, kind, optional=optional)
    if message is None:
        return value
    prefix = f"{owner}: " if owner else ""
    raise error(f"{prefix}{name} {message}")
