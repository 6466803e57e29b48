"""Exact cooperative games: Shapley values of any game, and the bitmask transforms beneath them.

:func:`shapley_values` (also ``jk.shapley_values``) takes the worth of coalitions by name; the
Shapley attribution model (:mod:`journeykit.attribution.shapley`) uses the array functions, which
index coalitions by bitmask and run in O(n 2**n) with numpy.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

import numpy as np
from numpy.typing import NDArray

from journeykit import budget
from journeykit.errors import ModelError

__all__ = [
    "MAX_PLAYERS",
    "check_players",
    "mobius",
    "shapley_from_worth",
    "shapley_values",
    "zeta",
]

MAX_PLAYERS: Final = 22
"""The default most players of an exact game; raise it with ``budget.limits(max_players=...)``."""
"""The most players (channels) an exact Shapley computation takes: 2**22 coalitions, ~1 s."""


def zeta(values: NDArray[np.float64], n_players: int) -> NDArray[np.float64]:
    """Sum over subsets: ``out[S] = sum(values[T] for T subset of S)``, by bitmask."""
    out = values.astype(np.float64, copy=True)
    for bit in range(n_players):
        view = out.reshape(-1, 2, 1 << bit)
        view[:, 1, :] += view[:, 0, :]
    return out


def mobius(values: NDArray[np.float64], n_players: int) -> NDArray[np.float64]:
    """The inverse of :func:`zeta`: Harsanyi dividends of a game given by its worth per bitmask."""
    out = values.astype(np.float64, copy=True)
    for bit in range(n_players):
        view = out.reshape(-1, 2, 1 << bit)
        view[:, 1, :] -= view[:, 0, :]
    return out


def popcounts(n_players: int) -> NDArray[np.int64]:
    """The number of players in each coalition, by bitmask."""
    counts = np.zeros(1 << n_players, dtype=np.int64)
    for bit in range(n_players):
        counts.reshape(-1, 2, 1 << bit)[:, 1, :] += 1
    return counts


def check_players(n_players: int, what: str) -> None:
    """Refuse a game above the budget's ``max_players`` (and its coalitions above ``max_bytes``)."""
    limit = budget.current().max_players
    if n_players > limit:
        msg = (
            f"exact Shapley values take at most {limit} {what} (got {n_players}); raise it with "
            "journeykit.budget.limits(max_players=...)"
        )
        raise ModelError(msg)
    cost = 4 * 8 << n_players  # the worth, its transform and two working arrays
    budget.check("Shapley", "players", n_players, "max_bytes", cost=cost, error=ModelError)


def shapley_from_worth(worth: NDArray[np.float64], n_players: int) -> NDArray[np.float64]:
    """Shapley values from the worth of every coalition (indexed by bitmask; ``worth[0]`` is v(∅)).

    Each player gets the sum of the Harsanyi dividends of the coalitions it belongs to, each
    divided by the coalition's size.
    """
    check_players(n_players, "players")
    if n_players == 0:
        return np.zeros(0)
    dividends = mobius(worth, n_players)
    sizes = popcounts(n_players)
    shares = np.divide(dividends, sizes, out=np.zeros_like(dividends), where=sizes > 0)
    return np.array([shares.reshape(-1, 2, 1 << bit)[:, 1, :].sum() for bit in range(n_players)])


def shapley_values(worth: Mapping[frozenset[str], float]) -> dict[str, float]:
    """Exact Shapley values of any cooperative game, via the Möbius (Harsanyi dividend) transform.

    Parameters
    ----------
    worth : mapping of frozenset of str to float
        The worth of coalitions. Players are every name that appears in a key; coalitions that are
        not listed are worth 0, and so is the empty coalition unless given.

    Returns
    -------
    dict of str to float
        Each player's Shapley value, players sorted by name. They sum to
        ``v(all players) - v(empty)`` (efficiency).

    Raises
    ------
    ModelError
        With more players than the budget's ``max_players`` (:data:`MAX_PLAYERS` by default),
        or a worth that is not a finite number.

    Notes
    -----
    The dividend of a coalition is its worth minus the dividends of its proper sub-coalitions
    (the Möbius transform, computed in place over bitmasks in O(n 2**n)); a player's Shapley value
    is the sum of the dividends of its coalitions, each shared equally among the members.

    Examples
    --------
    >>> v = {frozenset({"a"}): 4.0, frozenset({"b"}): 0.0, frozenset({"a", "b"}): 10.0}
    >>> shapley_values(v)
    {'a': 7.0, 'b': 3.0}
    """
    players = sorted({p for coalition in worth for p in coalition})
    n = len(players)
    check_players(n, "players")
    bit = {p: 1 << i for i, p in enumerate(players)}.__getitem__
    coalitions = list(worth)
    if not all(type(c) is frozenset for c in coalitions):
        bad = next(c for c in coalitions if type(c) is not frozenset)
        msg = f"coalitions must be frozensets of player names (got {bad!r})"
        raise ModelError(msg)
    worths = list(worth.values())
    try:
        amounts = np.array(worths, dtype=np.float64)
        valid = bool(np.isfinite(amounts).all()) and not any(type(v) is bool for v in worths)
    except (TypeError, ValueError):
        valid = False
    if not valid:  # find the first bad worth to name it
        for coalition, amount in zip(coalitions, worths, strict=True):
            if (
                isinstance(amount, bool)
                or not isinstance(amount, int | float)
                or not np.isfinite(amount)
            ):
                msg = f"the worth of {sorted(coalition)} must be a finite number (got {amount!r})"
                raise ModelError(msg)
    masks = np.fromiter(
        (sum(map(bit, c)) for c in coalitions), dtype=np.int64, count=len(coalitions)
    )
    table = np.zeros(1 << n)
    table[masks] = amounts
    values = shapley_from_worth(table, n)
    return {p: float(v) for p, v in zip(players, values, strict=True)}
