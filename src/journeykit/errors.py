"""One exception hierarchy for everything journeykit rejects.

Every error that concerns data carries a tuple of :class:`Problem` objects, each naming the record
(type and ID, or row number) and the field, so that a CRM can show all of them at once.

Examples
--------
>>> from journeykit.errors import Problem, ValidationError
>>> err = ValidationError([Problem("Touchpoint 't-17'", "time", "must be timezone-aware")])
>>> str(err)
"Touchpoint 't-17': time must be timezone-aware"
>>> isinstance(err, ValueError)
True
"""

from __future__ import annotations

from collections.abc import Iterable

import attrs

__all__ = [
    "IntegrityError",
    "JourneykitError",
    "MissingDependencyError",
    "ModelError",
    "NotFoundError",
    "OutOfRangeError",
    "ParameterError",
    "ParameterTypeError",
    "Problem",
    "RecordNotFoundError",
    "SchemaError",
    "UnknownModelError",
    "ValidationError",
]


@attrs.frozen
class Problem:
    """One thing wrong with one field of one record.

    Parameters
    ----------
    record : str
        Which record, e.g. ``"Touchpoint 't-17'"`` or ``"row 12"``.
    field : str
        Which field or column, e.g. ``"time"``; empty when the record as a whole is at fault.
    message : str
        What is wrong, phrased to follow the field name: ``"must be timezone-aware"``.
    path : str
        Where the value sits in a JSON document (``"$.touchpoints[3].time"``), when known.
    """

    record: str
    field: str
    message: str
    path: str = ""

    def __str__(self) -> str:
        text = f"{self.field} {self.message}" if self.field else self.message
        if self.record:
            text = f"{self.record}: {text}"
        return f"{text} @ {self.path}" if self.path else text


class JourneykitError(Exception):
    """Base class of every error journeykit raises on purpose.

    Each subclass also derives from the built-in exception a caller would expect (``ValueError``,
    ``TypeError``, ``KeyError``, ...), so ``except ValueError`` keeps working; ``except
    JourneykitError`` catches everything journeykit rejects, and anything else is a bug.
    """


class ParameterError(JourneykitError, ValueError):
    """An argument has a value the function cannot take (``sep=""``, ``resamples=1``).

    Examples
    --------
    >>> import journeykit as jk
    >>> jk.read_paths([{"path": "a", "total_conversions": 1}], sep="")
    Traceback (most recent call last):
    ...
    journeykit.errors.ParameterError: sep must be a non-empty string
    """


class ParameterTypeError(JourneykitError, TypeError):
    """An argument has a type the function cannot take (``attribute()`` given a data frame)."""


class NotFoundError(JourneykitError, KeyError):
    """A look-up named a key (a node, a roll-up, a column) that is not there."""

    def __str__(self) -> str:
        # KeyError would show the repr of its argument; show the sentence instead.
        return str(self.args[0]) if self.args else ""


class OutOfRangeError(JourneykitError, IndexError):
    """A position lies outside the sequence it indexes."""


class MissingDependencyError(JourneykitError, ImportError):
    """An optional dependency (matplotlib, pyarrow, dask) is needed and not installed."""


class ValidationError(JourneykitError, ValueError):
    """Input data broke a rule; :attr:`problems` lists every violation found, not only the first.

    Parameters
    ----------
    problems : iterable of Problem
        The violations, at least one.
    """

    problems: tuple[Problem, ...]

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems = tuple(problems)
        if not self.problems:
            msg = "a ValidationError needs at least one problem"
            raise ParameterError(msg)
        super().__init__(_summarise(self.problems))

    def __reduce__(self) -> tuple[type[ValidationError], tuple[tuple[Problem, ...]]]:
        return (type(self), (self.problems,))


class IntegrityError(ValidationError):
    """Records do not fit together: duplicate IDs, dangling references, impossible orderings."""


class SchemaError(ValidationError):
    """A document or table has the wrong shape: missing or unknown keys/columns, wrong types."""


class ModelError(JourneykitError, ValueError):
    """An attribution model was given parameters or data it cannot work with."""


class UnknownModelError(JourneykitError, LookupError):
    """No attribution model is registered under the requested name."""


_SHOWN = 20


def _summarise(problems: tuple[Problem, ...]) -> str:
    if len(problems) == 1:
        return str(problems[0])
    lines = [f"{len(problems)} problems:"]
    lines += [f"  - {p}" for p in problems[:_SHOWN]]
    if len(problems) > _SHOWN:
        lines.append(f"  ... and {len(problems) - _SHOWN} more (see .problems)")
    return "\n".join(lines)


class RecordNotFoundError(NotFoundError):
    """A look-up named an ID that the records do not hold."""
