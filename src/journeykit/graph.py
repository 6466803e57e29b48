"""Graphs: the records' journey graph (for exploring and exporting) and the Markov chain's graph.

Both are plain networkx graphs (never subclasses: a ``MultiDiGraph`` of records, a ``DiGraph`` of
the chain) whose node IDs are strings and whose attributes, on the graph, its nodes and its edges,
are numbers or strings only, so every networkx algorithm, drawing and export (GraphML included)
works on them. The chain's graph is drawn from a fitted chain, never refitted.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Collection, Iterable, Iterator
from datetime import timedelta
from typing import Any, Final, cast

import attrs
import networkx as nx

from journeykit.attribution.markov import FittedMarkov, Markov
from journeykit.errors import NotFoundError, ParameterError
from journeykit.journeys import Journeys
from journeykit.records import Records

__all__ = [
    "KINDS",
    "buyer_journey",
    "deal_journey",
    "from_node_link",
    "journey_graph",
    "read_graphml",
    "to_node_link",
    "transition_graph",
    "write_graphml",
]

KINDS: Final = ("persona", "asset", "account", "buyer", "touch", "deal")
"""The node kinds of a journey graph (node IDs are ``"<kind>:<record id>"``)."""


def _node(kind: str, record_id: str) -> str:
    return f"{kind}:{record_id}"


def _scalars(**attributes: Any) -> dict[str, Any]:
    """Attributes GraphML can hold: no ``None`` (left out), times as ISO-8601 text."""
    out: dict[str, Any] = {}
    for key, value in attributes.items():
        if value is None:
            continue
        if hasattr(value, "isoformat"):
            out[key] = value.isoformat()
        elif hasattr(value, "value") and not isinstance(value, int | float | str | bool):
            out[key] = value.value  # an enum
        else:
            out[key] = value
    return out


def journey_graph(records: Records, *, include: Collection[str] = KINDS) -> nx.MultiDiGraph[str]:
    """The records as one :class:`networkx.MultiDiGraph`: who was touched by what, and what it won.

    Nodes are ``"persona:<id>"``, ``"asset:<id>"``, ``"account:<id>"``, ``"buyer:<id>"``,
    ``"touch:<id>"`` and ``"deal:<id>"``, each with ``kind`` and the record's fields as scalars
    (times as ISO-8601 text; touches also carry ``timestamp``, seconds since the epoch; empty
    fields are left out). Edges, keyed by their relation:

    - ``belongs_to`` buyer to account, ``has_persona`` buyer to persona, ``targets`` asset to
      persona;
    - ``reached`` touch to buyer, ``used`` touch to asset;
    - ``next_for_buyer`` and ``next_in_account`` from each touch to the next touch of the same buyer
      and of the same account (time order, ties in input order);
    - ``for_account`` deal to account, ``involves`` deal to buyer (with ``role`` and ``primary``);
    - ``influenced`` touch to deal, for the touches inside the deal's journey as
      :func:`~journeykit.assemble` builds it (the account's buyers' touches up to the outcome).

    Parameters
    ----------
    records : Records
    include : collection of str
        The node kinds to include (default all of :data:`KINDS`); edges need both ends.

    Examples
    --------
    >>> import journeykit as jk
    >>> from journeykit.datasets import example_records
    >>> graph = jk.journey_graph(example_records())
    >>> graph.nodes["touch:t05"]["channel"], graph.nodes["deal:northwind-2024"]["outcome"]
    ('call', 'won')
    >>> sorted(k for _, _, k in graph.out_edges("touch:t05", keys=True))
    ['influenced', 'next_for_buyer', 'next_in_account', 'reached']
    """
    unknown = set(include) - set(KINDS)
    if unknown:
        msg = f"include takes node kinds from {KINDS} (got {sorted(unknown)})"
        raise ParameterError(msg)
    graph: nx.MultiDiGraph[str] = nx.MultiDiGraph()
    wanted = set(include)
    graph.add_nodes_from(_nodes(records, wanted))
    edges = (
        (source, target, key, data)
        for source, target, key, data in _edges(records)
        if source.split(":", 1)[0] in wanted and target.split(":", 1)[0] in wanted
    )
    graph.add_edges_from(cast("Any", edges))  # keyed 4-tuples, which the stubs do not list
    return graph


# Fields that become edges (or are the node ID) rather than attributes.
_AS_EDGES: Final = {
    "id",
    "personas",
    "persona",
    "account",
    "buyer",
    "asset",
    "buyers",
    "properties",
}
_TABLES: Final = (
    ("persona", "personas"),
    ("asset", "assets"),
    ("account", "accounts"),
    ("buyer", "buyers"),
    ("touch", "touchpoints"),
    ("deal", "deals"),
)


def _attributes(kind: str, record: Any) -> dict[str, Any]:
    values: dict[str, Any] = {"kind": kind}
    for field in attrs.fields(type(record)):
        if field.name in _AS_EDGES:
            continue
        value = getattr(record, field.name)
        if field.name == "pains":
            value = "; ".join(value) or None
        elif field.name == "stages":
            value = "; ".join(f"{c.stage}@{c.at.isoformat()}" for c in value) or None
        name = "asset_kind" if (kind, field.name) == ("asset", "kind") else field.name
        values[name] = value or None if isinstance(value, str) else value
    if kind == "touch":
        values["timestamp"] = record.time.timestamp()
        values |= {f"property_{k}": v for k, v in record.properties.items()}
    return _scalars(**values)


def _nodes(records: Records, wanted: set[str]) -> Iterator[tuple[str, dict[str, Any]]]:
    for kind, table in _TABLES:
        if kind in wanted:
            for record in getattr(records, table):
                yield _node(kind, record.id), _attributes(kind, record)


def _edges(records: Records) -> Iterator[tuple[str, str, str, dict[str, Any]]]:
    for b in records.buyers:
        if b.account is not None:
            yield _node("buyer", b.id), _node("account", b.account), "belongs_to", {}
        if b.persona is not None:
            yield _node("buyer", b.id), _node("persona", b.persona), "has_persona", {}
    for a in records.assets:
        for persona in sorted(a.personas):
            yield _node("asset", a.id), _node("persona", persona), "targets", {}
    for t in records.touchpoints:
        yield _node("touch", t.id), _node("buyer", t.buyer), "reached", {}
        if t.asset is not None:
            yield _node("touch", t.id), _node("asset", t.asset), "used", {}
    for b in records.buyers:
        yield from _chain(records.touches_of_buyer(b.id), "next_for_buyer")
    for c in records.accounts:
        yield from _chain(records.touches_of_account(c.id), "next_in_account")
    for d in records.deals:
        if d.account is not None:
            yield _node("deal", d.id), _node("account", d.account), "for_account", {}
        for member in d.buyers:
            yield (
                _node("deal", d.id),
                _node("buyer", member.buyer),
                "involves",
                _scalars(role=member.role, primary=member.primary),
            )
    yield from _influence(records)


def _chain(touches: Iterable[Any], key: str) -> Iterator[tuple[str, str, str, dict[str, Any]]]:
    ordered = list(touches)
    for before, after in itertools.pairwise(ordered):
        yield _node("touch", before.id), _node("touch", after.id), key, {}


def _influence(records: Records) -> Iterator[tuple[str, str, str, dict[str, Any]]]:
    from journeykit.assembly import assemble  # noqa: PLC0415  # assembly imports nothing of ours back

    deals = {d.id for d in records.deals}
    # Every open deal counts as decided here, so its journey so far influences it too.
    journeys = assemble(records, goal="won", rollup="account", stall_after=timedelta(0))
    touch = journeys.column("touch")
    for j in range(journeys.n_journeys):
        deal = journeys.journey.labels[journeys.journey.codes[j]]
        if deal not in deals:
            continue
        for code in touch.codes[journeys.offsets[j] : journeys.offsets[j + 1]].tolist():
            yield _node("touch", touch.labels[code]), _node("deal", deal), "influenced", {}


def buyer_journey(graph: nx.MultiDiGraph[str], buyer: str) -> nx.MultiDiGraph[str]:
    """One buyer's journey, as a copy of that part of ``graph``.

    The buyer, its touches (with their ``next_for_buyer`` edges), the assets they used, and the
    buyer's account and persona. ``buyer`` is the record ID (``"ana"``) or the node ID
    (``"buyer:ana"``).
    """
    node = buyer if buyer.startswith("buyer:") else _node("buyer", buyer)
    _require(graph, node)
    touches = [source for source, _, key in graph.in_edges(node, keys=True) if key == "reached"]
    around = [target for _, target in graph.out_edges(node)]
    assets = [
        t for touch in touches for _, t, key in graph.out_edges(touch, keys=True) if key == "used"
    ]
    return _part(graph, [node, *touches, *around, *assets], drop={"next_in_account", "influenced"})


def deal_journey(graph: nx.MultiDiGraph[str], deal: str) -> nx.MultiDiGraph[str]:
    """One deal's journey, as a copy of that part of ``graph``.

    The deal, the touches that influenced it, their buyers and assets, and the deal's account.
    ``deal`` is the record ID or the node ID (``"deal:<id>"``).

    Examples
    --------
    >>> import journeykit as jk
    >>> from journeykit.datasets import example_records
    >>> part = jk.deal_journey(jk.journey_graph(example_records()), "northwind-2024")
    >>> sum(1 for _, kind in part.nodes(data="kind") if kind == "touch")
    10
    """
    node = deal if deal.startswith("deal:") else _node("deal", deal)
    _require(graph, node)
    touches = [source for source, _, key in graph.in_edges(node, keys=True) if key == "influenced"]
    reached = [t for touch in touches for _, t in graph.out_edges(touch)]
    around = [target for _, target in graph.out_edges(node)]
    return _part(graph, [node, *touches, *reached, *around], drop={"next_for_buyer"})


def _require(graph: nx.MultiDiGraph[str], node: str) -> None:
    if node not in graph:
        msg = f"the graph has no node {node!r}"
        raise NotFoundError(msg)


def _part(
    graph: nx.MultiDiGraph[str], nodes: Iterable[str], *, drop: set[str]
) -> nx.MultiDiGraph[str]:
    part: nx.MultiDiGraph[str] = graph.subgraph(set(nodes)).copy()
    part.remove_edges_from([(u, v, k) for u, v, k in part.edges(keys=True) if k in drop])
    return part


def write_graphml(graph: nx.MultiDiGraph[str], path: str | os.PathLike[str]) -> None:
    """Write a journey graph as GraphML (edge relations become edge IDs, so they come back)."""
    nx.write_graphml(graph, path)


def read_graphml(path: str | os.PathLike[str]) -> nx.MultiDiGraph[str]:
    """Read a journey graph written by :func:`write_graphml`."""
    return cast("nx.MultiDiGraph[str]", nx.read_graphml(path, force_multigraph=True))


def to_node_link(graph: nx.MultiDiGraph[str]) -> dict[str, Any]:
    """The graph as node-link data: a JSON-ready dict (``nodes`` and ``edges`` lists)."""
    data: dict[str, Any] = nx.node_link_data(graph, edges="edges")
    return data


def from_node_link(data: dict[str, Any]) -> nx.MultiDiGraph[str]:
    """The graph back from :func:`to_node_link` data."""
    graph = nx.node_link_graph(data, directed=True, multigraph=True, edges="edges")
    return cast("nx.MultiDiGraph[str]", graph)


def transition_graph(
    source: Journeys | FittedMarkov, /, *, order: int | None = None
) -> nx.DiGraph[str]:
    """A fitted Markov chain as a plain :class:`networkx.DiGraph` with scalar attributes only.

    Parameters
    ----------
    source : Journeys or FittedMarkov
        A fitted chain (``jk.models.get("markov").fit(journeys)``), drawn as it is; or journeys,
        for which a chain of ``order`` is fitted first.
    order : int, optional
        The chain's order when ``source`` is journeys (default 1). With a fitted chain it may
        only repeat the chain's own order.

    Returns
    -------
    networkx.DiGraph
        Nodes are ``"START"``, ``"CONVERSION"``, ``"NULL"`` and one per state (a channel, or for
        ``order > 1`` a k-gram such as ``"search>email"``; a channel named like an internal
        state or holding ``>`` or a backslash is escaped by
        :func:`~journeykit.attribution.markov.state_name`, so ``"START"`` is always the start),
        with attributes ``kind``
        (``"start"``, ``"state"``, ``"conversion"``, ``"null"``) and, on state nodes,
        ``channels`` (the k-gram joined by ``>``) and, for order 1, ``removal_effect``. Edges carry
        ``count`` (the weighted number of journeys that made the move) and ``probability``, both
        read from the chain's :class:`~journeykit.attribution.markov.TransitionTable`. Graph
        attributes: ``order``, ``conversion_probability`` and ``expected_value``. Every
        attribute is a number or a string, so GraphML and every other export take the graph.

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
    >>> fitted = jk.models.get("markov").fit(paths)
    >>> jk.transition_graph(fitted).edges["GA", "M"]
    {'count': 1.0, 'probability': 0.25}
    """
    if isinstance(source, FittedMarkov):
        fitted = source
        if order is not None and order != fitted.spec.order:
            msg = f"order={order} differs from the fitted chain's order {fitted.spec.order}"
            raise ParameterError(msg)
    else:
        fitted = Markov(order=1 if order is None else order).fit(source)
    chain_order = fitted.spec.order
    table = fitted.transitions
    graph: nx.DiGraph[str] = nx.DiGraph(
        order=chain_order,
        conversion_probability=fitted.conversion_probability,
        expected_value=fitted.expected_value,
    )
    # Kinds by position, never by name: a channel may be called "START" (its label is escaped).
    graph.add_node(table.labels[0], kind="start")
    for label, state in zip(table.labels[1:-2], fitted.stats.states, strict=True):
        attributes: dict[str, Any] = {"kind": "state", "channels": label}
        if chain_order == 1:
            attributes["removal_effect"] = fitted.removal_effects[state[0]]
        graph.add_node(label, **attributes)
    graph.add_node(table.labels[-2], kind="conversion")
    graph.add_node(table.labels[-1], kind="null")
    counts = table.counts.tocoo()  # the same entries as the probabilities, in the same order
    moves = zip(
        counts.row.tolist(),
        counts.col.tolist(),
        counts.data.tolist(),
        table.matrix.tocoo().data.tolist(),
        strict=True,
    )
    for row, column, count, probability in moves:
        graph.add_edge(
            table.labels[row], table.labels[column], count=count, probability=probability
        )
    return graph
