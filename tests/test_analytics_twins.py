"""Analytics compute each quantity once: the funnels' stage arithmetic, velocity, handoff measures."""

from __future__ import annotations

import importlib
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import journeykit as jk
from helpers import run_python
from journeykit.datasets import example_records
from journeykit.journeys import NAT

# The module, not the function that journeykit.analytics exports under the same name.
funnel_module = importlib.import_module("journeykit.analytics.funnel")
DAY = 86_400_000_000


def _reference(rows: list[list[int | None]]) -> tuple[Any, ...]:
    """The stage arithmetic written out row by row, for comparison with the vectorised one."""
    stages = len(rows[0])
    counts = [sum(any(x is not None for x in row[s:]) for row in rows) for s in range(stages)]
    days = []
    for s in range(stages - 1):
        pairs = [(row[s], row[s + 1]) for row in rows]
        gaps = [(b - a) / DAY for a, b in pairs if a is not None and b is not None and b >= a]
        days.append(sum(gaps) / len(gaps) if gaps else float("nan"))
    return (
        tuple(counts),
        tuple(counts[s + 1] / counts[s] if counts[s] else float("nan") for s in range(stages - 1)),
        tuple(counts[s] - counts[s + 1] for s in range(stages - 1)),
        tuple(days),
    )


@given(
    st.integers(2, 6).flatmap(
        lambda n: st.lists(
            st.lists(
                st.none() | st.integers(0, 400).map(lambda d: d * DAY), min_size=n, max_size=n
            ),
            min_size=1,
            max_size=12,
        )
    )
)
def test_stage_arithmetic_matches_a_row_by_row_reference(rows: list[list[int | None]]) -> None:
    at = np.array([[NAT if x is None else x for x in row] for row in rows], dtype=np.int64)
    steps = funnel_module._steps(at)
    counts, rates, drop_off, days = _reference(rows)
    assert (steps.counts, steps.drop_off) == (counts, drop_off)
    np.testing.assert_allclose(steps.rates, rates, rtol=1e-12)
    np.testing.assert_allclose(steps.days_in_stage, days, rtol=1e-12)


def test_both_funnels_use_the_one_stage_arithmetic(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[int] = []
    original = funnel_module._steps

    def counting(at: Any) -> Any:
        calls.append(at.shape[1])
        return original(at)

    monkeypatch.setattr(funnel_module, "_steps", counting)
    records = example_records()
    jk.analytics.funnel(records)
    stages = jk.analytics.deal_stages(records)
    assert calls == [len(jk.analytics.STAGES), len(stages.stages)]


def test_funnel_velocity_is_sales_velocity(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[dict[str, float]] = []

    def spy(**kwargs: float) -> float:
        seen.append(kwargs)
        return 42.0

    group = jk.analytics.FunnelGroup(
        units=3,
        counts=(3, 3, 2, 2, 1),
        rates=(1.0, 2 / 3, 1.0, 0.5),
        drop_off=(0, 1, 0, 1),
        days_in_stage=(1.0, 2.0, 3.0, 4.0),
        win_rate=0.5,
        average_deal=1000.0,
        cycle_days=30.0,
        open_opportunities=4,
    )
    monkeypatch.setattr(funnel_module, "sales_velocity", spy)
    assert group.velocity == 42.0
    assert seen == [
        {"opportunities": 4, "win_rate": 0.5, "average_deal": 1000.0, "cycle_days": 30.0}
    ]


@pytest.fixture(scope="module")
def shares() -> jk.analytics.Handoff:
    return jk.analytics.handoff(jk.assemble(example_records()))


@pytest.mark.parametrize("measure", ["journey", "groups", "sales_contact", "to_frame", "time"])
def test_handoff_measures_are_a_closed_set(shares: jk.analytics.Handoff, measure: str) -> None:
    # Attribute names of the result are not measures: the look-up is an explicit table.
    with pytest.raises(jk.SchemaError, match="measure must be one of by_touches, by_time"):
        shares.summary(measure)
    with pytest.raises(jk.SchemaError, match="measure must be one of"):
        shares.by("channel", measure)


def test_handoff_by_credit_needs_a_result(shares: jk.analytics.Handoff) -> None:
    with pytest.raises(jk.SchemaError, match="by_credit needs a model's result"):
        shares.summary("by_credit")
    assert shares.values("by_touches") is shares.by_touches


def test_testing_package_names_its_modules() -> None:
    import journeykit.testing  # noqa: PLC0415

    doc = journeykit.testing.__doc__ or ""
    assert "soon" not in doc
    assert "journeykit.testing.strategies" in doc
    assert "journeykit.testing.checks" in doc


def test_datasets_import_no_serialisation_until_the_demo_loads() -> None:
    code = (
        "import sys, journeykit.datasets as d\n"
        "assert 'cattrs' not in sys.modules\n"
        "d.load_demo()\n"
        "assert 'cattrs' in sys.modules\n"
    )
    run_python(code)
