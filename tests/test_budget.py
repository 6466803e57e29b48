"""Every parameter that sizes work is bounded by a documented, overridable budget."""

from __future__ import annotations

import threading
import time

import pytest

import journeykit as jk
from journeykit import budget
from journeykit.analytics.uncertainty import bootstrap
from journeykit.datasets import simulate
from journeykit.errors import JourneykitError, ModelError, ParameterError, SchemaError
from journeykit.io import serde

PATHS = [
    {"path": "a > b > c", "total_conversions": 1, "total_null": 0},
    {"path": "b > a", "total_conversions": 0, "total_null": 2},
]


def test_a_huge_markov_order_from_a_json_document_fails_fast() -> None:
    # Before: accepted, and attribution computed (channels + 1) ** order without end.
    document = '{"schema_version": 1, "type": "model", "name": "markov", "params": {"order": 1000000000000}}'
    start = time.perf_counter()
    with pytest.raises(SchemaError, match=r"order=1000000000000 is above .*max_markov_order=32"):
        serde.loads(document)
    assert time.perf_counter() - start < 1.0


def test_an_order_above_the_budget_names_the_parameter_and_the_way_out() -> None:
    with pytest.raises(ModelError, match=r"Markov: order=33 .*limits\(max_markov_order=\.\.\.\)"):
        jk.models.get("markov", order=33)


def test_raising_the_budget_allows_a_long_order_at_the_cost_of_the_longest_path() -> None:
    journeys = jk.read_paths(PATHS)
    with budget.limits(max_markov_order=10**13):
        start = time.perf_counter()
        huge = jk.attribute(journeys, "markov", order=10**12).by("channel")
        assert time.perf_counter() - start < 5.0
    # A k-gram never reaches past its journey's start: any order >= the longest path agrees.
    assert dict(huge.items()) == dict(
        jk.attribute(journeys, "markov", order=3).by("channel").items()
    )


def test_a_fit_above_the_state_or_memory_budget_is_refused_naming_order() -> None:
    journeys = jk.read_paths(PATHS)
    with budget.limits(max_states=4), pytest.raises(ModelError, match=r"order=2 needs \d+ states"):
        jk.attribute(journeys, "markov", order=2)
    with budget.limits(max_bytes=64), pytest.raises(ModelError, match=r"order=3 needs \d+ bytes"):
        jk.attribute(journeys, "markov", order=3)
    assert jk.attribute(journeys, "markov", order=2).total == 1.0  # default budget restored


@pytest.mark.parametrize("resamples", [10**9, 2.5, True, 1])
def test_bootstrap_resamples_are_validated_and_bounded(resamples: object) -> None:
    journeys = jk.read_paths(PATHS)
    with pytest.raises(ParameterError, match="resamples"):
        bootstrap(journeys, resamples=resamples)  # type: ignore[arg-type]


def test_bootstrap_memory_is_checked_before_drawing() -> None:
    journeys = jk.read_paths(PATHS)
    with budget.limits(max_bytes=100), pytest.raises(ParameterError, match=r"needs 160 bytes"):
        bootstrap(journeys, resamples=5)


@pytest.mark.parametrize(("name", "value"), [("n_accounts", 10**12), ("days", 10**9)])
def test_simulation_size_is_bounded(name: str, value: int) -> None:
    kwargs = {"n_accounts": 10, "seed": 1, name: value}
    with pytest.raises(JourneykitError, match=f"{name} is above the budget's max_simulated"):
        simulate(**kwargs)  # type: ignore[arg-type]


def test_limits_are_scoped_and_checked() -> None:
    assert budget.current() == budget.Budget()
    seen: list[int] = []
    with budget.limits(max_states=7) as inside:
        assert inside.max_states == 7
        # Another thread keeps the defaults (a context variable, not a global).
        worker = threading.Thread(target=lambda: seen.append(budget.current().max_states))
        worker.start()
        worker.join()
    assert seen == [budget.Budget().max_states]
    assert budget.current().max_states == budget.Budget().max_states
    with pytest.raises(ParameterError, match="got max_stats"), budget.limits(max_stats=1):
        pass
    with pytest.raises(ParameterError, match="max_states must be a whole number"):
        budget.Budget(max_states=0)


def test_shapley_players_follow_the_budget() -> None:
    worth = {frozenset({"a", "b", "c"}): 1.0}
    with budget.limits(max_players=2), pytest.raises(ModelError, match=r"at most 2 players"):
        jk.shapley_values(worth)
    journeys = jk.read_paths([{"path": "a > b > c", "total_conversions": 1}])
    model = jk.models.get("shapley", value="conversion_rate")
    with budget.limits(max_players=2), pytest.raises(ModelError, match=r"max_players=\.\.\."):
        jk.attribute(journeys, model)
    with (
        budget.limits(max_bytes=100),
        pytest.raises(ModelError, match=r"players=3 needs 256 bytes"),
    ):
        jk.shapley_values(worth)
    assert jk.shapley_values(worth) == pytest.approx({"a": 1 / 3, "b": 1 / 3, "c": 1 / 3})
