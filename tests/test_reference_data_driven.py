"""Published worked examples for the data-driven models (reference cases E1, E3, E6, E7).

Each test names its reference case and where the figures were published; exact fractions are
written as fractions.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

import pytest

import journeykit as jk


def paths(rows: list[tuple[str, int, int]]) -> jk.Journeys:
    return jk.read_paths([{"path": p, "total_conversions": c, "total_null": n} for p, c, n in rows])


E1 = paths([("direct", 2, 1), ("search > email", 3, 2), ("search > social > email", 5, 4)])
E6 = paths([("C1 > C2 > C3", 1, 0), ("C1", 0, 1), ("C2 > C3", 0, 1)])
E7 = paths([("GA", 2, 1), ("M", 1, 0), ("GA > M", 1, 0)])


def f(text: str) -> float:
    return float(Fraction(text))


def test_e1_markov_order_1() -> None:
    # E1: the `mta` package's test fixture; the exact order-1 Markov figures derived from it and
    # cross-checked (P(conversion) 10/17, removal effects 1/5, 4/5, 4/5, 18/35).
    fitted = jk.models.get("markov").fit(E1)
    assert fitted.conversion_probability == pytest.approx(f("10/17"), abs=1e-9)
    assert fitted.removal_effects == pytest.approx(
        {"direct": 0.2, "search": 0.8, "email": 0.8, "social": f("18/35")}, abs=1e-9
    )
    credit = jk.attribute(E1, "markov").by("channel")
    assert dict(credit) == pytest.approx(
        {"direct": f("70/81"), "search": f("280/81"), "email": f("280/81"), "social": f("180/81")},
        abs=1e-9,
    )


def test_e1_simplified_shapley() -> None:
    # E1: the `mta` package's test fixture, simplified Shapley.
    credit = jk.attribute(E1, "shapley").by("channel")
    assert dict(credit) == pytest.approx(
        {"direct": 2, "search": f("19/6"), "email": f("19/6"), "social": f("5/3")}, abs=1e-9
    )


@pytest.mark.parametrize(
    ("rows", "expected"),
    [
        ([("a", 5, 0)], {"a": 5}),
        ([("a > b > c > d", 10, 0)], {"a": 2.5, "b": 2.5, "c": 2.5, "d": 2.5}),
        ([("a", 4, 0), ("a > b", 6, 0)], {"a": 7, "b": 3}),
    ],
    ids=["one_channel", "four_channels", "two_paths"],
)
def test_e3_shapley(rows: list[tuple[str, int, int]], expected: dict[str, float]) -> None:
    # E3: the Shapley unit cases of the `mta` package's tests.
    journeys = paths(rows)
    assert dict(jk.attribute(journeys, "shapley").by("channel")) == pytest.approx(
        expected, abs=1e-9
    )
    assert jk.models.get("shapley").fit(journeys).shapley_values == pytest.approx(
        expected, abs=1e-9
    )


def test_e6_markov() -> None:
    # E6: analyzecore.com, 2016-08-03 (Markov removal effects on three paths): removal effects
    # 0.5, 1 and 1, shares 20/40/40%.
    fitted = jk.models.get("markov").fit(E6)
    assert fitted.conversion_probability == pytest.approx(1 / 3, abs=1e-9)
    assert fitted.removal_effects == pytest.approx({"C1": 0.5, "C2": 1.0, "C3": 1.0}, abs=1e-9)
    assert jk.attribute(E6, "markov").share("channel") == pytest.approx(
        {"C1": 0.2, "C2": 0.4, "C3": 0.4}, abs=1e-9
    )


def test_e7_markov_with_transition_table() -> None:
    # E7: serhiipuzyrov.com, 2019, Markov attribution with its published transition table.
    fitted = jk.models.get("markov").fit(E7)
    expected = {
        "START>GA": 0.8,
        "START>M": 0.2,
        "GA>CONVERSION": 0.5,
        "GA>M": 0.25,
        "GA>NULL": 0.25,
        "M>CONVERSION": 1.0,
    }
    assert fitted.transitions.as_dict() == pytest.approx(expected, abs=1e-9)
    for name, probability in expected.items():
        source, target = name.split(">")
        assert fitted.transitions.probability(source, target) == pytest.approx(
            probability, abs=1e-9
        )
    assert fitted.conversion_probability == pytest.approx(0.8, abs=1e-9)
    assert fitted.removal_effects == pytest.approx({"GA": 0.75, "M": 0.5}, abs=1e-9)
    assert dict(jk.attribute(E7, "markov").by("channel")) == pytest.approx(
        {"GA": 2.4, "M": 1.6}, abs=1e-9
    )


def test_transition_table_frame() -> None:
    # E7's six published transitions, as a frame.
    frame: Any = jk.models.get("markov").fit(E7).transitions.to_frame()
    assert set(frame.columns) == {"source", "target", "probability"}
    assert len(frame) == 6
