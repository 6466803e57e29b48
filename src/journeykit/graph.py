"""Graphs over journeys: the Markov transition graph (the records' graph arrives with #5)."""

from __future__ import annotations

from typing import Any

import networkx as nx
import numpy as np

from journeykit.attribution.markov import CONVERSION, NULL, START, Markov
from journeykit.journeys import Journeys

__all__ = ["transition_graph"]


def transition_graph(journeys: Journeys, *, order: int = 1) -> nx.DiGraph[str]:
    """The fitted Markov chain as a plain :class:`networkx.DiGraph`.

    Nodes are ``"START"``, ``"CONVERSION"``, ``"NULL"`` and one per state (a channel, or for
    ``order > 1`` a k-gram such as ``"search>email"``), with attributes ``kind`` (``"start"``,
    ``"state"``, ``"conversion"``, ``"null"``) and, on state nodes, ``channels`` (the k-gram joined
    by ``>``) and ``removal_effect`` (for order 1, the channel's removal effect). Edges carry
    ``count`` (the weighted number of journeys that made the move) and ``probability``. Graph
    attributes: ``order``, ``conversion_probability`` and ``removal_effects``.

    Examples
    --------
    >>> import journeykit as jk
    >>> paths = jk.read_paths([{"path": "GA", "total_conversions": 2, "total_null": 1},
    ...                        {"path": "M", "total_conversions": 1, "total_null": 0},
    ...                        {"path": "GA > M", "total_conversions": 1, "total_null": 0}])
    >>> graph = jk.transition_graph(paths)
    >>> graph.edges["START", "GA"]
    {'count': 4.0, 'probability': 0.8}
    >>> graph.nodes["GA"]["removal_effect"], graph.graph["conversion_probability"]
    (0.75, 0.8)
    >>> import networkx as nx
    >>> nx.has_path(graph, "START", "CONVERSION")
    True
    """
    fitted = Markov(order=order).fit(journeys)
    stats = fitted.stats
    names = [START, *(">".join(state) for state in stats.states)]
    graph: nx.DiGraph[str] = nx.DiGraph(
        order=order,
        conversion_probability=fitted.conversion_probability,
        removal_effects=dict(fitted.removal_effects),
    )
    graph.add_node(START, kind="start")
    for state, name in zip(stats.states, names[1:], strict=True):
        attributes: dict[str, Any] = {"kind": "state", "channels": name}
        if order == 1:
            attributes["removal_effect"] = fitted.removal_effects[state[0]]
        graph.add_node(name, **attributes)
    graph.add_node(CONVERSION, kind="conversion")
    graph.add_node(NULL, kind="null")
    out = (
        np.bincount(stats.edge_from, stats.edge_weight, minlength=len(names))
        + stats.to_conversion
        + stats.to_null
    ).tolist()
    moves = zip(
        stats.edge_from.tolist(), stats.edge_to.tolist(), stats.edge_weight.tolist(), strict=True
    )
    for source, target, count in moves:
        if count > 0:
            graph.add_edge(
                names[source], names[target], count=count, probability=count / out[source]
            )
    for absorbing, counts in ((CONVERSION, stats.to_conversion), (NULL, stats.to_null)):
        for source in np.flatnonzero(counts).tolist():
            count = float(counts[source])
            graph.add_edge(names[source], absorbing, count=count, probability=count / out[source])
    return graph
