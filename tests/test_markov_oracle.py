"""An independent oracle for Markov attribution: a dense absorbing-chain solve on small path sets.

Written from the textbook definition, not from ``attribution/markov.py``: states are the last
``order`` channels of a path (consecutive repeats of a channel are one visit, shorter at the
start), every path weighs its transitions by its conversions plus its nulls, and its last state
moves to CONVERSION by its conversions (or its value, in the value chain) and to NULL by its nulls.
With ``Q`` the transient-to-transient probabilities and ``R`` the transient-to-absorbing ones, the
absorption probabilities are ``B = N R`` with the fundamental matrix ``N = (I - Q)^-1``, solved
here as ``(I - Q) B = R``. Removing a channel sends every transition into a state that contains it
to NULL, which is the same as solving on the other states only.
"""

from __future__ import annotations

from collections import defaultdict
from itertools import groupby, pairwise

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import journeykit as jk

Path = tuple[tuple[str, ...], int, int, float]  # channels, conversions, nulls, value
START = ()


def visits(channels: tuple[str, ...]) -> list[str]:
    return [channel for channel, _ in groupby(channels)]


def states_of(channels: tuple[str, ...], order: int) -> list[tuple[str, ...]]:
    seen = visits(channels)
    return [tuple(seen[max(0, i + 1 - order) : i + 1]) for i in range(len(seen))]


class Chain:
    """Dense transient and absorbing probabilities of the chain of ``paths``."""

    def __init__(self, paths: list[Path], order: int) -> None:
        moves: dict[tuple[str, ...], dict[tuple[str, ...], float]] = defaultdict(
            lambda: defaultdict(float)
        )
        converted: dict[tuple[str, ...], float] = defaultdict(float)
        worth: dict[tuple[str, ...], float] = defaultdict(float)
        lost: dict[tuple[str, ...], float] = defaultdict(float)
        for channels, conversions, nulls, value in paths:
            walk = [START, *states_of(channels, order)]
            for here, there in pairwise(walk):
                moves[here][there] += conversions + nulls
            converted[walk[-1]] += conversions
            worth[walk[-1]] += value
            lost[walk[-1]] += nulls
        self.states = sorted({START} | {s for p in paths for s in states_of(p[0], order)})
        index = {s: i for i, s in enumerate(self.states)}
        n = len(self.states)
        self.q = np.zeros((n, n))
        self.to_conversion = np.zeros(n)
        self.to_value = np.zeros(n)
        for state in self.states:
            i = index[state]
            leaving = sum(moves[state].values()) + converted[state] + lost[state]
            if leaving == 0:
                continue
            for there, weight in moves[state].items():
                self.q[i, index[there]] = weight / leaving
            self.to_conversion[i] = converted[state] / leaving
            self.to_value[i] = worth[state] / leaving

    def absorbed(self, without: str | None = None) -> tuple[float, float]:
        """P(CONVERSION) and the expected value from START, with ``without`` removed."""
        keep = np.array([without not in state for state in self.states])
        q = self.q[np.ix_(keep, keep)]
        r = np.column_stack([self.to_conversion[keep], self.to_value[keep]])
        absorbed = np.linalg.solve(np.eye(q.shape[0]) - q, r)
        return float(absorbed[0, 0]), float(
            absorbed[0, 1]
        )  # START sorts first and is never removed


def oracle(
    paths: list[Path], order: int
) -> tuple[float, dict[str, float], dict[str, float], dict[str, float]]:
    """Conversion probability, removal effects, channel credit in conversions and in value."""
    chain = Chain(paths, order)
    probability, expected_value = chain.absorbed()
    channels = sorted({c for p in paths for c in p[0]})
    effects, value_effects = {}, {}
    for channel in channels:
        p_without, v_without = chain.absorbed(channel)
        effects[channel] = 1 - p_without / probability
        value_effects[channel] = 1 - v_without / expected_value if expected_value else 0.0
    # Only channels seen in converting journeys carry credit: normalise over them.
    credited = {c for p in paths if p[1] > 0 for c in p[0]}
    valued = {c for p in paths if p[3] > 0 for c in p[0]}
    conversions = sum(p[1] for p in paths)
    value = sum(p[3] for p in paths)

    def split(total: float, weights: dict[str, float], carried: set[str]) -> dict[str, float]:
        mass = sum(weights[c] for c in carried)
        return {c: total * weights[c] / mass if c in carried else 0.0 for c in channels}

    return (
        probability,
        effects,
        split(conversions, effects, credited),
        split(value, value_effects, valued) if value else dict.fromkeys(channels, 0.0),
    )


@st.composite
def path_sets(draw: st.DrawFn) -> list[Path]:
    """2 to 6 distinct paths over a few channels (repeats allowed), at least one converting."""
    channel = st.sampled_from("abcd")
    rows = draw(
        st.lists(
            st.tuples(
                st.lists(channel, min_size=1, max_size=5).map(tuple),
                st.integers(0, 4),
                st.integers(0, 4),
            ).filter(lambda row: row[1] + row[2] > 0),
            min_size=2,
            max_size=6,
            unique_by=lambda row: row[0],
        ).filter(lambda rows: any(row[1] > 0 for row in rows))
    )
    unit = draw(st.lists(st.sampled_from([1.0, 2.5, 40.0]), min_size=len(rows), max_size=len(rows)))
    return [(c, conv, nulls, conv * u) for (c, conv, nulls), u in zip(rows, unit, strict=True)]


def journeys_of(paths: list[Path]) -> jk.Journeys:
    return jk.read_paths(
        [
            {
                "path": " > ".join(channels),
                "total_conversions": conversions,
                "total_null": nulls,
                "total_conversion_value": value,
            }
            for channels, conversions, nulls, value in paths
        ]
    )


def test_oracle_reproduces_a_published_example() -> None:
    # E7 (serhiipuzyrov.com, 2019): P(conversion) 0.8, removal effects GA 0.75 and M 0.5, credit
    # GA 2.4 and M 1.6; checks the oracle itself before it judges journeykit.
    paths: list[Path] = [(("GA",), 2, 1, 2.0), (("M",), 1, 0, 1.0), (("GA", "M"), 1, 0, 1.0)]
    probability, effects, credit, value = oracle(paths, 1)
    assert probability == pytest.approx(0.8, abs=1e-12)
    assert effects == pytest.approx({"GA": 0.75, "M": 0.5}, abs=1e-12)
    assert credit == pytest.approx({"GA": 2.4, "M": 1.6}, abs=1e-12)
    assert value == pytest.approx(credit, abs=1e-12)


def test_oracle_collapses_repeats_and_counts_order_2_states() -> None:
    assert states_of(("a", "a", "b", "a"), 2) == [("a",), ("a", "b"), ("b", "a")]
    assert Chain([(("a", "a", "b"), 1, 0, 1.0)], 2).states == [START, ("a",), ("a", "b")]


@pytest.mark.parametrize("order", [1, 2])
@given(paths=path_sets())
def test_markov_matches_the_dense_oracle(order: int, paths: list[Path]) -> None:
    probability, effects, credit, value = oracle(paths, order)
    journeys = journeys_of(paths)
    fitted = jk.models.get("markov", order=order).fit(journeys)
    assert fitted.conversion_probability == pytest.approx(probability, abs=1e-9)
    assert fitted.removal_effects == pytest.approx(effects, abs=1e-9)
    result = jk.attribute(journeys, "markov", order=order)
    assert dict(result.by("channel")) == pytest.approx(credit, abs=1e-9)
    assert dict(result.by("channel", measure="value")) == pytest.approx(value, abs=1e-9)
