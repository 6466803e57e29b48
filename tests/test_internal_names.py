"""Channel labels never collide with the Markov chain's internal states or with k-gram keys."""

from __future__ import annotations

import networkx as nx
import pytest
from hypothesis import given
from hypothesis import strategies as st

import journeykit as jk
from journeykit.attribution.markov import state_name

PLAIN = ("a", "b", "c", "d", "e")
# Every name the chain uses inside, and names that escape to look like them.
HOSTILE = ("START", "CONVERSION", "NULL", "a>b", "\\START")

paths = st.lists(
    st.tuples(
        st.lists(st.integers(0, len(PLAIN) - 1), min_size=1, max_size=5),
        st.integers(0, 3),
        st.integers(0, 3),
    ).filter(lambda row: row[1] + row[2] > 0),
    min_size=1,
    max_size=12,
)


def _journeys(rows: list[tuple[list[int], int, int]], names: tuple[str, ...]) -> jk.Journeys:
    return jk.read_paths(
        [
            {
                "path": "|".join(names[i] for i in steps),
                "total_conversions": conversions,
                "total_conversion_value": 10.0 * conversions,
                "total_null": nulls,
            }
            for steps, conversions, nulls in rows
        ],
        sep="|",
    )


def _relabelled(credit: jk.Credit, mapping: dict[str, str]) -> dict[str, float]:
    return {mapping[k]: v for k, v in credit.items()}


@pytest.mark.parametrize("order", [1, 2])
@given(rows=paths, mapping=st.permutations(HOSTILE))
def test_naming_channels_like_internal_states_only_relabels_credit(
    rows: list[tuple[list[int], int, int]], mapping: list[str], order: int
) -> None:
    plain = _journeys(rows, PLAIN)
    hostile = _journeys(rows, tuple(mapping))
    back = dict(zip(mapping, PLAIN, strict=True))
    model = jk.models.get("markov", order=order)
    want = jk.attribute(plain, model)
    got = jk.attribute(hostile, model)
    for measure in ("conversions", "value"):
        expected = dict(want.by("channel", measure=measure).items())
        relabelled = _relabelled(got.by("channel", measure=measure), back)
        assert relabelled.keys() == expected.keys()
        for key, amount in expected.items():
            assert relabelled[key] == pytest.approx(amount, rel=1e-9, abs=1e-9)
    plain_graph = jk.transition_graph(plain, order=order)
    hostile_graph = jk.transition_graph(hostile, order=order)
    assert hostile_graph.number_of_nodes() == plain_graph.number_of_nodes()
    assert hostile_graph.nodes["START"]["kind"] == "start"
    assert hostile_graph.nodes["CONVERSION"]["kind"] == "conversion"
    assert hostile_graph.nodes["NULL"]["kind"] == "null"
    kinds = [d["kind"] for _, d in hostile_graph.nodes(data=True)]
    assert kinds.count("start") == kinds.count("conversion") == kinds.count("null") == 1
    assert nx.is_isomorphic(plain_graph, hostile_graph)
    labels = jk.models.get("markov", order=order).fit(hostile).transitions.labels
    assert len(set(labels)) == len(labels)


def test_a_channel_called_start_is_not_the_start_state() -> None:
    # Before: the channel START became the chain's start node (kind "start") in the graph.
    journeys = jk.read_paths([{"path": "START > CONVERSION > NULL", "total_conversions": 1}])
    graph = jk.transition_graph(journeys)
    assert graph.nodes["START"]["kind"] == "start"
    assert graph.nodes["\\START"] == {"kind": "state", "channels": "\\START", "removal_effect": 1.0}
    assert graph.has_edge("START", "\\START")
    assert graph.has_edge("\\NULL", "CONVERSION")
    table = jk.models.get("markov").fit(journeys).transitions
    assert table.probability("\\NULL", "CONVERSION") == 1.0
    assert table.labels[0] == "START"
    assert table.labels[-2:] == ("CONVERSION", "NULL")
    assert set(table.labels[1:-2]) == {"\\START", "\\CONVERSION", "\\NULL"}


def test_at_order_two_a_channel_holding_the_separator_is_not_a_k_gram() -> None:
    # Before: the channel "a>b" and the state ("a", "b") shared the label "a>b".
    journeys = jk.read_paths(
        [{"path": "a|b", "total_conversions": 1}, {"path": "a>b", "total_conversions": 1}], sep="|"
    )
    labels = jk.models.get("markov", order=2).fit(journeys).transitions.labels
    assert len(set(labels)) == len(labels)
    assert {"a>b", "a\\>b"} <= set(labels)


@given(st.lists(st.lists(st.text(max_size=4), min_size=1, max_size=3), min_size=2, max_size=2))
def test_state_names_are_injective(states: list[list[str]]) -> None:
    first, second = (tuple(s) for s in states)
    if first != second:
        assert state_name(first) != state_name(second)
    assert state_name(first) not in {"START", "CONVERSION", "NULL"}
