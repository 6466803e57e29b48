"""Matplotlib figures of attribution and analytics results (``pip install "journeykit[plot]"``).

Every function draws on ``ax`` (a new figure's axes if ``None``) and returns the axes, so figures
compose with the rest of matplotlib. Results also have a ``.plot()`` method: this module depends on
the results, never the reverse, and registers each function as the painter of its result types
(:mod:`journeykit._display`), which ``.plot()`` calls. matplotlib is imported only when a figure is
drawn; the default ``measure`` of credit figures is ``"conversions"``, as in ``Attribution.by``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from journeykit._display import painter
from journeykit.analytics.calendar import ContentCalendar
from journeykit.analytics.funnel import STAGES, Funnel
from journeykit.analytics.handoff import Handoff
from journeykit.analytics.split import Split
from journeykit.analytics.uncertainty import BootstrapResult
from journeykit.attribution._api import Comparison
from journeykit.attribution.result import Attribution, Key, Measure, _label
from journeykit.errors import MissingDependencyError
from journeykit.experiments._analysis import Analysis

if TYPE_CHECKING:
    from matplotlib.axes import Axes

    from journeykit.attribution.markov import FittedMarkov
    from journeykit.journeys import Journeys

__all__ = ["calendar", "credit", "funnel", "handoff", "intervals", "lifts", "split", "transitions"]

_TEAM_COLOURS = {"marketing": "#4C72B0", "sales": "#DD8452"}


def _text(key: Any) -> str:
    """A label as matplotlib shows it: ``$`` escaped, since names are data, not mathtext."""
    return _label(key).replace("$", r"\$")


def _axes(ax: Axes | None, size: tuple[float, float] = (7.0, 4.0)) -> Axes:
    if ax is not None:
        return ax
    try:
        import matplotlib.pyplot as plt  # noqa: PLC0415  # optional and heavy
    except ImportError:  # pragma: no cover - depends on the environment
        msg = 'journeykit.plot needs matplotlib: pip install "journeykit[plot]"'
        raise MissingDependencyError(msg) from None
    _, new = plt.subplots(figsize=size, layout="constrained")
    return new


@painter(Attribution, Comparison)
def credit(
    result: Attribution | Comparison,
    by: Key = "channel",
    *,
    measure: Measure = "conversions",
    ax: Axes | None = None,
) -> Axes:
    """Credit by a dimension: one horizontal bar per label, one colour per model.

    Examples
    --------
    >>> import journeykit as jk
    >>> paths = jk.read_paths([{"path": "a > b", "total_conversions": 2}])
    >>> ax = jk.plot.credit(jk.compare(paths, ["first_touch", "linear"]), measure="conversions")
    >>> [t.get_text() for t in ax.get_yticklabels()]
    ['a', 'b']
    """
    results = {result.name: result} if isinstance(result, Attribution) else dict(result)
    table = {name: r.by(by, measure=measure) for name, r in results.items()}
    labels: dict[Any, None] = {}
    for c in table.values():
        labels.update(dict.fromkeys(c))
    order = sorted(labels, key=lambda k: -max(c.get(k, 0.0) for c in table.values()))
    ax = _axes(ax, (7.0, 1.0 + 0.35 * len(order) * max(1, len(table)) ** 0.5))
    height = 0.8 / len(table)
    y = np.arange(len(order), dtype=float)
    for i, (name, c) in enumerate(table.items()):
        ax.barh(y + i * height, [c.get(k, 0.0) for k in order], height, label=_text(name))
    ax.set_yticks(y + height * (len(table) - 1) / 2, [_text(k) for k in order])
    ax.invert_yaxis()
    ax.set_xlabel(f"credited {measure}")
    ax.set_title(f"Credit by {_text(by)}")
    if len(table) > 1:
        ax.legend(fontsize="small")
    return ax


@painter(Split)
def split(result: Split, *, ax: Axes | None = None) -> Axes:
    """Marketing vs sales in three views (team, reach, content influence) as stacked bars."""
    ax = _axes(ax, (7.0, 2.8))
    views = {"team": result.by_team, "reach": result.by_reach, "content": result.content}
    for row, (_view, parts) in enumerate(views.items()):
        left = 0.0
        for label, amount in parts.items():
            share = amount / result.total if result.total else 0.0
            colour = _TEAM_COLOURS.get(label)
            ax.barh(row, share, left=left, color=colour, edgecolor="white")
            if share > 0.06:
                ax.text(left + share / 2, row, f"{label}\n{share:.0%}", ha="center", va="center")
            left += share
    ax.set_yticks(range(len(views)), [_text(v) for v in views])
    ax.invert_yaxis()
    ax.set_xlim(0, 1)
    ax.set_xlabel(f"share of credited {result.measure}")
    ax.set_title("Marketing vs sales")
    return ax


@painter(Handoff)
def handoff(result: Handoff, measure: str = "by_touches", *, ax: Axes | None = None) -> Axes:
    """Distribution over converting journeys of the share before the first sales contact.

    ``measure`` is one of :data:`journeykit.analytics.handoff.MEASURES` (a share of touches, of
    time or of credit, not a credit measure: so its default differs from the credit figures').
    """
    values = result.values(measure)
    values = values[np.isfinite(values)]
    ax = _axes(ax)
    ax.hist(values, bins=[i / 20 for i in range(21)], color=_TEAM_COLOURS["marketing"])
    if values.size:
        median = float(np.median(values))
        ax.axvline(median, color="black", linestyle="--", label=f"median {median:.0%}")
        ax.legend()
    ax.set_xlabel(f"share of the journey before the first sales contact ({measure[3:]})")
    ax.set_ylabel("converting journeys")
    ax.set_title("Handoff to sales")
    return ax


@painter(Funnel)
def funnel(result: Funnel, *, ax: Axes | None = None) -> Axes:
    """Units reaching each stage, per group, with the stage-to-stage rate written on each step."""
    ax = _axes(ax)
    groups = result.groups
    width = 0.8 / len(groups)
    x = np.arange(len(STAGES), dtype=float)
    for i, (label, group) in enumerate(groups.items()):
        bars = ax.bar(x + i * width, group.counts, width, label=_text(label))
        for j, rate in enumerate(group.rates):
            bar = bars[j + 1]
            ax.annotate(
                f"{rate:.0%}",
                (bar.get_x() + bar.get_width() / 2, bar.get_height()),
                ha="center",
                va="bottom",
                fontsize="x-small",
            )
    ax.set_xticks(x + width * (len(groups) - 1) / 2, list(STAGES))
    ax.set_ylabel("units")
    ax.set_title("Funnel (rate from the previous stage)")
    if len(groups) > 1:
        ax.legend(fontsize="small")
    return ax


def transitions(
    chain: FittedMarkov | Journeys,
    *,
    order: int | None = None,
    min_probability: float = 0.05,
    ax: Axes | None = None,
) -> Axes:
    """The Markov transition graph: edge width by probability, node size by removal effect.

    ``chain`` is a fitted Markov chain, drawn as it is (journeys are fitted with ``order``
    first). Edges less likely than ``min_probability`` are left out of the drawing (not of the
    chain).
    """
    import networkx as nx  # noqa: PLC0415

    from journeykit.graph import transition_graph  # noqa: PLC0415

    graph = transition_graph(chain, order=order)
    ax = _axes(ax, (8.0, 6.0))
    position = nx.circular_layout(graph)
    sizes = [300 + 3000 * float(graph.nodes[n].get("removal_effect", 0.0) or 0.0) for n in graph]
    colours = [
        {"start": "#55A868", "conversion": "#4C72B0", "null": "#C44E52"}.get(
            graph.nodes[n].get("kind", "state"), "#CCCCCC"
        )
        for n in graph
    ]
    shown = [
        (u, v) for u, v, data in graph.edges(data=True) if data["probability"] >= min_probability
    ]
    widths = [0.5 + 4 * graph.edges[e]["probability"] for e in shown]
    nx.draw_networkx(
        graph,
        position,
        ax=ax,
        edgelist=shown,
        node_size=sizes,
        node_color=colours,
        width=widths,
        labels={n: _text(n) for n in graph},
        font_size=8,
        arrowsize=8,
        connectionstyle="arc3,rad=0.1",
    )
    ax.set_title(f"Transition graph (order {graph.graph['order']})")
    ax.set_axis_off()
    return ax


@painter(BootstrapResult)
def intervals(result: BootstrapResult, *, ax: Axes | None = None) -> Axes:
    """Bootstrap estimates with their intervals, one row per label."""
    labels = list(result.intervals)
    ax = _axes(ax, (7.0, 1.0 + 0.35 * len(labels)))
    y = np.arange(len(labels))
    est = np.array([result.intervals[k].estimate for k in labels])
    low = np.array([result.intervals[k].low for k in labels])
    high = np.array([result.intervals[k].high for k in labels])
    ax.errorbar(est, y, xerr=[est - low, high - est], fmt="o", capsize=3)
    ax.set_yticks(y, [_text(k) for k in labels])
    ax.invert_yaxis()
    ax.set_xlabel(f"credited {result.measure} ({result.level:.0%} interval)")
    ax.set_title(f"Credit by {_text(result.dimension)} with bootstrap intervals")
    return ax


@painter(Analysis)
def lifts(result: Analysis, *, ax: Axes | None = None) -> Axes:
    """Each treated arm's incremental value in a hold-out experiment, with its 95% interval.

    A point per arm, the interval as a bar, zero marked.

    Examples
    --------
    >>> import numpy as np
    >>> from journeykit.experiments import analyze
    >>> arm = np.repeat(["holdout", "treatment"], [100, 900])
    >>> value = np.where(np.arange(1000) % 7 == 0, 100.0, 0.0)
    >>> ax = analyze({"arm": arm, "converted": value > 0, "value": value}).plot()
    >>> [t.get_text() for t in ax.get_yticklabels()]
    ['treatment']
    """
    ax = _axes(ax, (7.0, 1.2 + 0.5 * len(result)))
    names = list(result)
    estimates = [result[a].incremental_value for a in names]
    y = list(range(len(names)))
    centre = [e.estimate for e in estimates]
    errors = [[e.estimate - e.low for e in estimates], [e.high - e.estimate for e in estimates]]
    ax.errorbar(centre, y, xerr=errors, fmt="o", capsize=4, color=_TEAM_COLOURS["marketing"])
    ax.axvline(0.0, color="grey", linewidth=0.8)
    ax.set_yticks(y, [_text(n) for n in names])
    ax.set_xlabel(f"incremental value vs {result.control!r} (95% interval)")
    return ax


@painter(ContentCalendar)
def calendar(
    result: ContentCalendar,
    measure: str = "touches",
    *,
    by: str = "asset_kind",
    ax: Axes | None = None,
) -> Axes:
    """The editorial calendar as a heatmap: one row per label of ``by``, one column per period."""
    labels, values = result.grid(measure, by=by)
    periods = result.periods
    ax = _axes(ax, (max(4.0, 0.5 * len(periods) + 2), 0.4 * len(labels) + 2))
    image = ax.imshow(values, aspect="auto", cmap="Blues")
    ax.set_xticks(range(len(periods)), periods, rotation=90)
    ax.set_yticks(range(len(labels)), [_text(label) for label in labels])
    ax.set_title(f"{measure} per {result.period} by {by}")
    ax.figure.colorbar(image, ax=ax)
    return ax
