from __future__ import annotations

import json
import time
from pathlib import Path

import networkx as nx
import pytest
from hypothesis import given

import journeykit as jk
from helpers import day
from journeykit.datasets import example_records
from journeykit.graph import from_node_link, read_graphml, to_node_link, write_graphml
from journeykit.testing import strategies as jst


def kinds(graph: nx.MultiDiGraph[str]) -> dict[str, str]:
    return {str(node): str(data["kind"]) for node, data in graph.nodes(data=True)}


def edges_of(graph: nx.MultiDiGraph[str], key: str) -> set[tuple[str, str]]:
    return {(u, v) for u, v, k in graph.edges(keys=True) if k == key}


def test_nodes_and_relations_of_the_example() -> None:
    graph = jk.journey_graph(example_records())
    assert type(graph) is nx.MultiDiGraph
    assert graph.nodes["buyer:ana"] == {
        "kind": "buyer",
        "name": "Ana",
        "lead_at": "2024-01-22T09:00:00+00:00",
    }
    assert graph.nodes["asset:webinar"]["asset_kind"] == "webinar"
    assert graph.nodes["touch:t00"]["team"] == "marketing"
    assert ("buyer:ana", "account:northwind") in edges_of(graph, "belongs_to")
    assert ("buyer:ana", "persona:it_lead") in edges_of(graph, "has_persona")
    assert ("asset:webinar", "persona:finance") in edges_of(graph, "targets")
    assert ("touch:t00", "asset:guide") in edges_of(graph, "used")
    assert ("touch:t00", "touch:t01") in edges_of(graph, "next_for_buyer")  # ana's first two
    assert ("touch:t01", "touch:t02") in edges_of(graph, "next_in_account")  # ana then ben
    assert graph.edges["deal:northwind-2024", "buyer:ana", "involves"] == {
        "role": "champion",
        "primary": True,
    }
    influenced = {u for u, v in edges_of(graph, "influenced") if v == "deal:northwind-2024"}
    assert len(influenced) == 10
    lost = {u for u, v in edges_of(graph, "influenced") if v == "deal:globex-2024"}
    assert len(lost) == 6


def test_counts_match_the_records() -> None:
    records = example_records()
    graph = jk.journey_graph(records)
    counts = list(kinds(graph).values())
    assert counts.count("touch") == len(records.touchpoints)
    assert counts.count("buyer") == len(records.buyers)
    assert len(edges_of(graph, "reached")) == len(records.touchpoints)
    assert len(edges_of(graph, "next_for_buyer")) == len(records.touchpoints) - sum(
        1 for b in records.buyers if records.touches_of_buyer(b.id)
    )


def test_include_limits_kinds_and_edges() -> None:
    graph = jk.journey_graph(example_records(), include={"buyer", "account"})
    assert set(kinds(graph).values()) == {"buyer", "account"}
    assert {k for _, _, k in graph.edges(keys=True)} == {"belongs_to"}
    with pytest.raises(ValueError, match="include takes node kinds"):
        jk.journey_graph(example_records(), include={"touchpoints"})


def test_buyer_and_deal_journeys() -> None:
    graph = jk.journey_graph(example_records())
    ana = jk.buyer_journey(graph, "ana")
    assert sorted(n for n, kind in kinds(ana).items() if kind == "touch") == [
        "touch:t00",
        "touch:t01",
        "touch:t03",
        "touch:t05",
        "touch:t07",
    ]
    assert {k for _, _, k in ana.edges(keys=True)} == {
        "reached",
        "used",
        "next_for_buyer",
        "belongs_to",
        "has_persona",
        "targets",
    }
    assert nx.is_weakly_connected(ana)
    deal = jk.deal_journey(graph, "deal:globex-2024")
    assert {n for n, kind in kinds(deal).items() if kind == "buyer"} == {
        "buyer:dev",
        "buyer:eve",
    }
    with pytest.raises(KeyError, match="no node 'buyer:nobody'"):
        jk.buyer_journey(graph, "nobody")


def same_graph(a: nx.MultiDiGraph[str], b: nx.MultiDiGraph[str]) -> None:
    assert {n: dict(d) for n, d in a.nodes(data=True)} == {
        n: dict(d) for n, d in b.nodes(data=True)
    }
    assert sorted(a.edges(keys=True, data=True), key=str) == sorted(
        b.edges(keys=True, data=True), key=str
    )


def test_graphml_and_node_link_round_trip(tmp_path: Path) -> None:
    graph = jk.journey_graph(example_records())
    target = tmp_path / "journeys.graphml"
    write_graphml(graph, target)
    same_graph(read_graphml(target), graph)
    data = json.loads(json.dumps(to_node_link(graph)))
    same_graph(from_node_link(data), graph)


@given(jst.records(max_buyers=4))
def test_generated_records_round_trip(records: jk.Records) -> None:
    graph = jk.journey_graph(records)
    assert graph.number_of_nodes() == sum(
        len(getattr(records, f))
        for f in ("personas", "assets", "accounts", "buyers", "touchpoints", "deals")
    )
    data = json.loads(json.dumps(to_node_link(graph)))
    same_graph(from_node_link(data), graph)


@pytest.mark.slow
def test_hundred_thousand_touches_build_in_seconds() -> None:
    # A guard against quadratic work, not a benchmark.
    accounts = [jk.Account(f"a{i}") for i in range(500)]
    buyers = [jk.Buyer(f"b{i}", account=f"a{i % 500}") for i in range(2_000)]
    touches = [
        jk.Touchpoint(f"t{i}", f"b{i % 2_000}", day(i % 300), "email", jk.Reach.ONE_TO_MANY)
        for i in range(100_000)
    ]
    deals = [
        jk.Deal(f"d{i}", f"a{i}", 10.0, "EUR", day(100), jk.Outcome.WON, closed_at=day(200))
        for i in range(500)
    ]
    records = jk.Records(accounts=accounts, buyers=buyers, touchpoints=touches, deals=deals)
    start = time.perf_counter()
    graph = jk.journey_graph(records)
    assert graph.number_of_nodes() == 103_000
    assert time.perf_counter() - start < 60


TRANSITION_PATHS = [
    {"path": "GA", "total_conversions": 2, "total_null": 1},
    {"path": "M > GA", "total_conversions": 1, "total_null": 2},
    {"path": "GA > M", "total_conversions": 1, "total_null": 0},
]


@pytest.mark.parametrize("order", [1, 2])
def test_transition_graph_survives_a_graphml_round_trip(tmp_path: Path, order: int) -> None:
    graph = jk.transition_graph(jk.read_paths(TRANSITION_PATHS), order=order)
    scalars = (str, int, float, bool)
    attributes = [graph.graph, *(d for _, d in graph.nodes(data=True))]
    attributes += [d for _, _, d in graph.edges(data=True)]
    assert all(isinstance(v, scalars) for a in attributes for v in a.values())
    nx.write_graphml(graph, tmp_path / "chain.graphml")
    back = nx.read_graphml(tmp_path / "chain.graphml")
    assert {k: back.graph[k] for k in graph.graph} == graph.graph
    assert {n: back.nodes[n] for n in back} == {n: graph.nodes[n] for n in graph}
    assert {(u, v): d for u, v, d in back.edges(data=True)} == {
        (u, v): d for u, v, d in graph.edges(data=True)
    }


def test_transition_graph_draws_a_fitted_chain_without_refitting(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from journeykit.attribution.markov import Markov  # noqa: PLC0415
    from journeykit.errors import ParameterError  # noqa: PLC0415

    fitted = Markov(order=2).fit(jk.read_paths(TRANSITION_PATHS))

    def no_refit(self: Markov, journeys: jk.Journeys) -> None:
        raise AssertionError("the chain was fitted again")

    monkeypatch.setattr(Markov, "fit", no_refit)
    graph = jk.transition_graph(fitted)
    assert graph.graph["order"] == 2
    assert graph.graph["conversion_probability"] == fitted.conversion_probability
    assert graph.number_of_edges() == fitted.transitions.matrix.nnz
    for source, target, data in graph.edges(data=True):
        # the very numbers of the fitted chain
        assert data["probability"] == fitted.transitions.probability(source, target)
    with pytest.raises(ParameterError, match="differs from the fitted chain's order 2"):
        jk.transition_graph(fitted, order=1)


def test_transition_counts_and_probabilities_share_their_entries() -> None:
    fitted = jk.models.get("markov").fit(jk.read_paths(TRANSITION_PATHS))
    table = fitted.transitions
    assert (table.counts.indptr == table.matrix.indptr).all()
    assert (table.counts.indices == table.matrix.indices).all()
    totals = table.counts.sum(axis=1).A.ravel()
    start = table.labels.index("START")
    assert table.probability("START", "GA") == table.counts[start, 1] / totals[start]


def test_a_transition_probability_is_that_of_the_sparse_matrix_and_names_unknown_states() -> None:
    table = jk.models.get("markov").fit(jk.read_paths(TRANSITION_PATHS)).transitions
    dense = table.matrix.toarray()
    for i, source in enumerate(table.labels):
        for j, target in enumerate(table.labels):
            assert table.probability(source, target) == dense[i, j]
    with pytest.raises(jk.NotFoundError, match="'nowhere' is not a state"):
        table.probability("START", "nowhere")
    assert "_rows" not in repr(table)
