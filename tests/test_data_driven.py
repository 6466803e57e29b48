"""Properties of the exact data-driven models: Markov of any order, Shapley, ordered Shapley."""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable
from functools import reduce
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import journeykit as jk
from journeykit.attribution.games import MAX_PLAYERS
from journeykit.journeys import concat
from journeykit.testing import strategies as jst


def brute_force_shapley(players: list[str], worth: dict[frozenset[str], float]) -> dict[str, float]:
    """The textbook definition: average marginal contribution over every ordering."""
    totals = dict.fromkeys(players, 0.0)
    orderings = list(itertools.permutations(players))
    for ordering in orderings:
        coalition: frozenset[str] = frozenset()
        for player in ordering:
            bigger = coalition | {player}
            totals[player] += worth.get(bigger, 0.0) - worth.get(coalition, 0.0)
            coalition = bigger
    return {p: v / len(orderings) for p, v in totals.items()}


@st.composite
def games(draw: st.DrawFn) -> dict[frozenset[str], float]:
    players = [f"p{i}" for i in range(draw(st.integers(1, 8)))]
    coalitions = [
        frozenset(c) for r in range(1, len(players) + 1) for c in itertools.combinations(players, r)
    ]
    worth = {
        c: draw(st.floats(-100, 100, allow_nan=False)) for c in coalitions if draw(st.booleans())
    }
    worth[frozenset(players)] = draw(st.floats(-100, 100, allow_nan=False))
    return worth


@given(games())
def test_shapley_values_match_brute_force_and_are_efficient(
    worth: dict[frozenset[str], float],
) -> None:
    players = sorted({p for c in worth for p in c})
    values = jk.shapley_values(worth)
    assert values == pytest.approx(brute_force_shapley(players, worth), abs=1e-7)
    assert sum(values.values()) == pytest.approx(worth[frozenset(players)], abs=1e-7)


def test_shapley_values_limit_is_named() -> None:
    worth = {frozenset(f"p{i}" for i in range(MAX_PLAYERS + 1)): 1.0}
    with pytest.raises(jk.ModelError, match=f"at most {MAX_PLAYERS} players"):
        jk.shapley_values(worth)


def test_shapley_values_rejects_bad_worth() -> None:
    with pytest.raises(jk.ModelError, match="must be a finite number"):
        jk.shapley_values({frozenset({"a"}): math.nan})
    with pytest.raises(jk.ModelError, match="frozensets"):
        jk.shapley_values({("a",): 1.0})  # type: ignore[dict-item]


def test_twenty_players() -> None:
    players = [f"p{i}" for i in range(20)]
    worth = {frozenset(players[: i + 1]): float(i + 1) for i in range(20)}
    values = jk.shapley_values(worth)
    assert sum(values.values()) == pytest.approx(20.0)


DATA_DRIVEN: list[Any] = [
    jk.models.get("markov"),
    jk.models.get("markov", order=2),
    jk.models.get("markov", order=3, allocation="journey"),
    jk.models.get("shapley"),
    jk.models.get("shapley", value="conversion_rate"),
    jk.models.get("shapley", value="conversion_rate", allocation="journey"),
]
IDS = ["markov", "markov_2", "markov_3_journey", "shapley", "shapley_rate", "shapley_rate_journey"]


@pytest.mark.parametrize("model", DATA_DRIVEN, ids=IDS)
@given(journeys=jst.journeys(max_journeys=15), split=st.integers(1, 14))
def test_fitting_on_chunks_equals_fitting_at_once(
    model: Any, journeys: jk.Journeys, split: int
) -> None:
    cut = min(split, journeys.n_journeys)
    parts = [journeys.select(np.arange(cut)), journeys.select(np.arange(cut, journeys.n_journeys))]
    stats = reduce(model.merge, [model.partial_stats(p) for p in parts])
    merged, whole = model.fit_from_stats(stats), model.fit(journeys)
    np.testing.assert_allclose(
        merged.credit(journeys), whole.credit(journeys), rtol=1e-9, atol=1e-12
    )
    np.testing.assert_allclose(
        merged.credit_value(journeys), whole.credit_value(journeys), rtol=1e-9, atol=1e-12
    )


@pytest.mark.parametrize("order", [1, 2, 3])
@given(journeys=jst.journeys(max_journeys=15))
def test_markov_removal_effects_lie_in_0_1_and_credit_is_non_negative(
    order: int, journeys: jk.Journeys
) -> None:
    fitted = jk.models.get("markov", order=order).fit(journeys)
    assert all(-1e-12 <= e <= 1 + 1e-12 for e in fitted.removal_effects.values())
    assert np.all(fitted.credit(journeys) >= -1e-15)


@given(journeys=jst.journeys(max_journeys=15))
def test_a_channel_in_no_converting_journey_is_a_null_player(journeys: jk.Journeys) -> None:
    idle = jk.read_paths([{"path": "ghost > ghost", "total_conversions": 0, "total_null": 3}])
    both = concat([journeys, idle])
    assert jk.models.get("markov").fit(both).removal_effects["ghost"] == 0
    assert jk.models.get("shapley").fit(both).shapley_values["ghost"] == 0


@given(journeys=jst.journeys(max_journeys=12))
def test_markov_ignores_repeats(journeys: jk.Journeys) -> None:
    # Every touch twice in a row adds self-loops only: no Markov result may move.
    index = np.repeat(np.arange(journeys.n_touches), 2)
    repeated = jk.Journeys(
        offsets=journeys.offsets * 2,
        time=journeys.time[index],
        columns={"channel": journeys.channel.take(index)},
        journey=journeys.journey,
        conversions=journeys.conversions,
        nulls=journeys.nulls,
        value=journeys.value,
    )
    for order in (1, 2):
        model = jk.models.get("markov", order=order)
        assert model.fit(repeated).removal_effects == pytest.approx(
            model.fit(journeys).removal_effects, abs=1e-12
        )


@given(journeys=jst.journeys(max_journeys=15))
def test_markov_is_identical_across_runs(journeys: jk.Journeys) -> None:
    model = jk.models.get("markov", order=2)
    first, second = model.fit(journeys), model.fit(journeys)
    assert first.removal_effects == second.removal_effects
    assert np.array_equal(first.credit(journeys), second.credit(journeys))


def test_removal_effects_of_sets_and_sequences() -> None:
    journeys = jk.read_paths(
        [
            {"path": "a > b > c", "total_conversions": 3, "total_null": 1},
            {"path": "b > a", "total_conversions": 1, "total_null": 2},
            {"path": "c", "total_conversions": 1, "total_null": 1},
        ]
    )
    fitted = jk.models.get("markov", order=2).fit(journeys)
    assert fitted.removal_effect(["a", "b", "c"]) == pytest.approx(1.0)
    assert fitted.removal_effect("a") == pytest.approx(fitted.removal_effects["a"])
    assert 0 < fitted.removal_effect(["a", "b"], sequence=True) < fitted.removal_effect(["a", "b"])


@given(journeys=jst.journeys(max_journeys=12))
def test_shapley_conversions_game_equals_the_moebius_computation(journeys: jk.Journeys) -> None:
    fitted = jk.models.get("shapley").fit(journeys)
    labels = journeys.channel.labels
    worth: dict[frozenset[str], float] = {}
    sets = [
        frozenset(
            labels[c] for c in journeys.channel.codes[journeys.offsets[j] : journeys.offsets[j + 1]]
        )
        for j in range(journeys.n_journeys)
    ]
    players = sorted(set().union(*sets))
    for r in range(1, len(players) + 1):
        for coalition in itertools.combinations(players, r):
            within = frozenset(coalition)
            worth[within] = float(
                sum(c for s, c in zip(sets, journeys.conversions, strict=True) if s <= within)
            )
    assert fitted.shapley_values == pytest.approx(jk.shapley_values(worth), abs=1e-9)


def test_conversion_rate_game_can_give_negative_values_and_says_so() -> None:
    journeys = jk.read_paths(
        [
            {"path": "good", "total_conversions": 9, "total_null": 1},
            {"path": "bad", "total_conversions": 0, "total_null": 10},
            {"path": "good > bad", "total_conversions": 1, "total_null": 9},
        ]
    )
    model = jk.models.get("shapley", value="conversion_rate")
    assert model.fit(journeys).shapley_values["bad"] < 0
    assert not model.tags.non_negative
    result = jk.attribute(journeys, model)
    assert result.total == pytest.approx(journeys.total_conversions)


def test_callable_value_function() -> None:
    journeys = jk.read_paths(
        [
            {"path": "a > b", "total_conversions": 4, "total_null": 0},
            {"path": "a", "total_conversions": 2, "total_null": 0},
        ]
    )

    def conversions_squared(coalitions: Any) -> Any:
        return coalitions.conversions**2

    fitted = jk.models.get("shapley", value=conversions_squared).fit(journeys)
    assert fitted.shapley_values == pytest.approx(
        jk.shapley_values({frozenset({"a"}): 4.0, frozenset({"a", "b"}): 36.0})
    )
    broken: Callable[[Any], Any] = lambda coalitions: coalitions.conversions[:1]  # noqa: E731
    with pytest.raises(jk.ModelError, match="must return 4 finite numbers"):
        jk.models.get("shapley", value=broken).fit(journeys)


@given(journeys=jst.journeys(max_journeys=12))
def test_ordered_shapley_sums_to_shapley_per_channel(journeys: jk.Journeys) -> None:
    plain = jk.attribute(journeys, "shapley").by("channel")
    ordered = jk.attribute(journeys, "ordered_shapley")
    assert dict(ordered.by("channel")) == pytest.approx(dict(plain), abs=1e-9)
    per_position = ordered.by(("channel", "position"))
    for channel, amount in plain.items():
        assert sum(v for (c, _), v in per_position.items() if c == channel) == pytest.approx(
            amount, abs=1e-9
        )


def test_markov_parameters_are_validated() -> None:
    with pytest.raises(jk.ModelError, match="order must be a whole number >= 1"):
        jk.models.get("markov", order=0)
    with pytest.raises(jk.ModelError, match="allocation must be 'global' or 'journey'"):
        jk.models.get("markov", allocation="touch")
    model = jk.models.get("markov")
    with pytest.raises(jk.ModelError, match="cannot merge Markov statistics of order 1 and 2"):
        model.partial_stats(jk.read_paths([{"path": "a", "total_conversions": 1}])).merge(
            jk.models.get("markov", order=2).partial_stats(
                jk.read_paths([{"path": "a", "total_conversions": 1}])
            )
        )


def test_no_conversions_means_no_credit() -> None:
    journeys = jk.read_paths([{"path": "a > b", "total_conversions": 0, "total_null": 5}])
    fitted = jk.models.get("markov").fit(journeys)
    assert fitted.conversion_probability == 0
    assert fitted.removal_effects == {"a": 0.0, "b": 0.0}
    assert jk.attribute(journeys, "markov").total == 0


@given(journeys=jst.journeys(max_journeys=12), order=st.integers(1, 3))
def test_transition_graph_matches_the_fitted_chain(journeys: jk.Journeys, order: int) -> None:
    graph = jk.transition_graph(journeys, order=order)
    fitted = jk.models.get("markov", order=order).fit(journeys)
    for node in graph:
        if graph.out_degree(node):
            assert sum(
                d["probability"] for _, _, d in graph.out_edges(node, data=True)
            ) == pytest.approx(1.0)
    assert graph.graph["conversion_probability"] == pytest.approx(fitted.conversion_probability)
    for name, probability in fitted.transitions.as_dict().items():
        source, target = (
            name.rsplit(">", 1) if name.count(">") > 1 and order > 1 else name.split(">", 1)
        )
        if graph.has_edge(source, target):
            assert graph.edges[source, target]["probability"] == pytest.approx(probability)
    starts = sum(d["count"] for _, _, d in graph.out_edges("START", data=True))
    nonempty = journeys.lengths > 0
    assert starts == pytest.approx(float((journeys.conversions + journeys.nulls)[nonempty].sum()))


def test_models_with_code_cannot_be_written() -> None:
    from journeykit.io import dumps  # noqa: PLC0415

    with pytest.raises(TypeError, match="value holds code, not data"):
        dumps(jk.models.get("shapley", value=lambda coalitions: coalitions.conversions))


def test_global_allocation_refuses_weights_that_sum_to_nothing() -> None:
    journeys = jk.read_paths([{"path": "a > b", "total_conversions": 3, "total_null": 1}])
    model = jk.models.get("shapley", value=lambda coalitions: -coalitions.conversions)
    with pytest.raises(jk.ModelError, match="use allocation='journey'"):
        jk.attribute(journeys, model)


def many_state_paths() -> jk.Journeys:
    rng = np.random.default_rng(5)
    channels = [f"c{i}" for i in range(10)]
    rows = []
    for _ in range(400):
        path = " > ".join(rng.choice(channels, size=int(rng.integers(1, 8))))
        rows.append(
            {
                "path": path,
                "total_conversions": int(rng.integers(0, 4)),
                "total_null": int(rng.integers(0, 4)),
            }
        )
    return jk.read_paths(rows)


def test_large_chains_use_the_sparse_solver_and_agree_with_the_factorisation(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from journeykit.attribution import markov  # noqa: PLC0415

    journeys = many_state_paths()
    iterative = jk.models.get("markov", order=3).fit(journeys)
    assert len(iterative.stats.states) > markov._DENSE_UP_TO
    import scipy.sparse.linalg as spla  # noqa: PLC0415

    never_converges = lambda *args, **kwargs: (np.zeros(args[1].shape), 1)  # noqa: E731
    monkeypatch.setattr(spla, "bicgstab", never_converges)
    factorised = jk.models.get("markov", order=3).fit(journeys)
    assert iterative.conversion_probability == pytest.approx(
        factorised.conversion_probability, abs=1e-12
    )
    for channel, effect in factorised.removal_effects.items():
        assert iterative.removal_effects[channel] == pytest.approx(effect, abs=1e-12)


@pytest.mark.parametrize("order", [1, 2, 3])
def test_markov_statistics_counted_in_slices_equal_one_pass(
    order: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    import journeykit.attribution.markov as markov_module  # noqa: PLC0415

    rng = np.random.default_rng(order)
    rows = [
        {
            "path": " > ".join(rng.choice(list("abcde"), size=int(rng.integers(1, 7)))),
            "total_conversions": (n := int(rng.integers(0, 3))),
            # a path without conversions has no value
            "total_conversion_value": float(rng.integers(0, 500)) if n else 0.0,
            "total_null": int(rng.integers(0, 3)),
        }
        for _ in range(400)
    ]
    paths = jk.read_paths(rows)
    whole = jk.models.get("markov", order=order).fit(paths)
    monkeypatch.setattr(markov_module, "_SLICE_TOUCHES", 37)  # dozens of slices
    sliced = jk.models.get("markov", order=order).fit(paths)
    assert sliced.removal_effects == pytest.approx(whole.removal_effects, rel=1e-12, abs=1e-15)
    assert sliced.conversion_probability == pytest.approx(whole.conversion_probability, rel=1e-13)
    got = jk.attribute(paths, jk.models.get("markov", order=order)).by("channel", measure="value")
    monkeypatch.setattr(markov_module, "_SLICE_TOUCHES", 1 << 20)
    want = jk.attribute(paths, "markov", order=order).by("channel", measure="value")
    assert dict(got) == pytest.approx(dict(want), rel=1e-12)
