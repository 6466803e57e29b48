"""Budgets: documented, overridable bounds on the work a parameter can ask for.

Every parameter that sizes work is checked against the current :class:`Budget` before the work
starts, and a request above it fails at once with an error naming the parameter (a Markov
``order`` of ``10**12`` read from a JSON model document is refused, not computed). The defaults
suit one machine with a few gigabytes to spare; raise them for a run that needs more with
:func:`limits` (a context manager, safe across threads and tasks).

Examples
--------
>>> import journeykit as jk
>>> from journeykit import budget
>>> budget.current().max_markov_order
32
>>> jk.models.get("markov", order=40)
Traceback (most recent call last):
...
journeykit.errors.ModelError: Markov: order=40 is above the budget's max_markov_order=32 (...)
>>> with budget.limits(max_markov_order=64):
...     jk.models.get("markov", order=40).order
40
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

import attrs

from journeykit.errors import ParameterError

__all__ = ["Budget", "check", "current", "limits"]


def _positive(instance: object, attribute: attrs.Attribute[int], value: object) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        msg = f"Budget: {attribute.name} must be a whole number >= 1 (got {value!r})"
        raise ParameterError(msg)


@attrs.frozen
class Budget:
    """The bounds in force.

    Parameters
    ----------
    max_bytes : int
        Working memory one step may allocate for arrays sized by a parameter (default 4 GiB).
    max_markov_order : int
        Largest Markov ``order`` (default 32; longer k-grams are almost never observed twice).
    max_states : int
        Largest number of Markov states a fit may build (default 5,000,000).
    max_resamples : int
        Largest number of bootstrap ``resamples`` (default 100,000).
    max_simulated : int
        Largest ``n_accounts`` or ``days`` a simulation may be asked for (default 10,000,000).
    max_players : int
        Most players (channels) of an exact Shapley game (default 22: ``2**22`` coalitions, a
        few arrays of 32 MiB each; every extra player doubles time and memory).
    """

    max_bytes: int = attrs.field(default=4 << 30, validator=_positive)
    max_markov_order: int = attrs.field(default=32, validator=_positive)
    max_states: int = attrs.field(default=5_000_000, validator=_positive)
    max_resamples: int = attrs.field(default=100_000, validator=_positive)
    max_simulated: int = attrs.field(default=10_000_000, validator=_positive)
    max_players: int = attrs.field(default=22, validator=_positive)


_CURRENT: ContextVar[Budget] = ContextVar("journeykit_budget", default=Budget())  # noqa: B039  # frozen


def current() -> Budget:
    """The budget in force here (the defaults unless inside :func:`limits`)."""
    return _CURRENT.get()


@contextmanager
def limits(**changes: int) -> Iterator[Budget]:
    """Raise (or lower) some bounds for the work done inside the ``with`` block.

    Parameters
    ----------
    **changes : int
        New values of :class:`Budget` fields, e.g. ``max_states=50_000_000``.

    Raises
    ------
    ParameterError
        For an unknown field or a value that is not a whole number >= 1.
    """
    known = {f.name for f in attrs.fields(Budget)}
    unknown = sorted(set(changes) - known)
    if unknown:
        msg = f"limits() takes {', '.join(sorted(known))} (got {', '.join(unknown)})"
        raise ParameterError(msg)
    token = _CURRENT.set(attrs.evolve(current(), **changes))
    try:
        yield _CURRENT.get()
    finally:
        _CURRENT.reset(token)


def check(
    owner: str,
    parameter: str,
    value: object,
    limit: str,
    *,
    cost: int | None = None,
    error: type[Exception] = ParameterError,
) -> None:
    """Fail naming ``parameter`` when it (or the ``cost`` it implies) exceeds ``limit``.

    Parameters
    ----------
    owner : str
        Who checks, the start of the message (``"Markov"``).
    parameter, value : str, object
        The parameter that sizes the work and its value, named in the message.
    limit : str
        The :class:`Budget` field to compare with.
    cost : int, optional
        What ``value`` implies in the limit's unit (states, bytes); ``value`` itself when omitted.
    error : type
        The exception raised (a journeykit error).

    Examples
    --------
    >>> from journeykit import budget
    >>> budget.check("bootstrap", "resamples", 10**9, "max_resamples")
    Traceback (most recent call last):
    ...
    journeykit.errors.ParameterError: bootstrap: resamples=1000000000 is above ... (...)
    """
    allowed = int(getattr(current(), limit))
    asked = value if cost is None else cost
    if not isinstance(asked, int) or asked <= allowed:
        return
    what = f"{parameter}={value!r}"
    if cost is not None:
        what += f" needs {cost} {limit.removeprefix('max_')},"
    msg = (
        f"{owner}: {what} above the budget's {limit}={allowed} "
        f"(raise it with journeykit.budget.limits({limit}=...))"
    )
    if cost is None:
        msg = msg.replace(f"{what} above", f"{what} is above", 1)
    raise error(msg)
