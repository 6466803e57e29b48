"""The handoff: how much of a journey happened before the first one-to-one sales contact."""

from __future__ import annotations

from typing import Any

import attrs
import numpy as np
from numpy.typing import NDArray

from journeykit._display import draw
from journeykit._frames import Backend, to_frame
from journeykit.attribution.result import Attribution
from journeykit.errors import NotFoundError, ParameterError, Problem, SchemaError
from journeykit.journeys import NAT, Journeys

__all__ = ["MEASURES", "Handoff", "handoff"]

MEASURES = ("by_touches", "by_time", "by_credit")
"""The measures of a :class:`Handoff`: the share before the first sales contact of a journey's
touches, of its time, or of its credit."""

_QUANTILES = (0.1, 0.25, 0.5, 0.75, 0.9)


@attrs.frozen(eq=False)
class Handoff:
    """Per converting journey, the share of the journey completed before the first sales contact.

    Attributes
    ----------
    journey : tuple of str
        The converting journeys' IDs.
    by_touches, by_time : array of float
        Touches before the first sales contact over all touches; time from the first touch to
        the first sales contact over time from the first touch to the goal.
    by_credit : array of float or None
        The credit (conversion shares) of the touches before the first sales contact, when a
        model's result was given.
    sales_contact : array of bool
        Whether the journey had a one-to-one sales contact at all. A journey without one counts
        as wholly before it (every share 1).
    """

    journey: tuple[str, ...]
    by_touches: NDArray[np.float64]
    by_time: NDArray[np.float64]
    by_credit: NDArray[np.float64] | None
    sales_contact: NDArray[np.bool_]
    groups: dict[str, NDArray[Any]] = attrs.field(repr=False)

    def values(self, measure: str = "by_touches") -> NDArray[np.float64]:
        """The per-journey shares of one of :data:`MEASURES`.

        Raises
        ------
        SchemaError
            For a name not in :data:`MEASURES`, or ``"by_credit"`` when no result was given.
        """
        shares = {
            "by_touches": self.by_touches,
            "by_time": self.by_time,
            "by_credit": self.by_credit,
        }
        if measure not in shares:
            problem = f"must be one of {', '.join(MEASURES)} (got {measure!r})"
            raise SchemaError([Problem("Handoff", "measure", problem)])
        values = shares[measure]
        if values is None:
            problem = "needs a model's result: handoff(journeys, result)"
            raise SchemaError([Problem("Handoff", measure, problem)])
        return values

    def summary(self, measure: str = "by_touches") -> dict[str, float]:
        """Mean, quantiles (10, 25, 50, 75, 90%) and count of one measure (NaN times left out)."""
        values = self.values(measure)
        known = values[np.isfinite(values)]
        out = {
            "journeys": float(known.size),
            "mean": float(known.mean()) if known.size else float("nan"),
        }
        for q in _QUANTILES:
            out[f"p{int(q * 100)}"] = float(np.quantile(known, q)) if known.size else float("nan")
        return out

    def by(self, column: str, measure: str = "by_touches") -> dict[str, dict[str, float]]:
        """The :meth:`summary` per label of a touch column, or per ``"channel_mix"``.

        Each journey counts under its most frequent label (ties: the first in sort order); under
        ``"channel_mix"``, under its distinct channels joined by ``+``.
        """
        self.values(measure)  # a bad measure fails even when there is no label
        labels = self.groups.get(column)
        if labels is None:
            msg = f"no column {column!r} (available: {', '.join(self.groups)})"
            raise NotFoundError(msg)
        out = {}
        for label in sorted({str(x) for x in labels.tolist()}):
            chosen = labels == label
            part = attrs.evolve(
                self,
                journey=tuple(j for j, c in zip(self.journey, chosen, strict=True) if c),
                by_touches=self.by_touches[chosen],
                by_time=self.by_time[chosen],
                by_credit=None if self.by_credit is None else self.by_credit[chosen],
                sales_contact=self.sales_contact[chosen],
                groups={},
            )
            out[label] = part.summary(measure)
        return out

    def to_frame(self, backend: Backend = "pandas") -> Any:
        """One row per converting journey."""
        data: dict[str, Any] = {
            "journey": list(self.journey),
            "by_touches": self.by_touches,
            "by_time": self.by_time,
            "sales_contact": self.sales_contact,
        }
        if self.by_credit is not None:
            data["by_credit"] = self.by_credit
        return to_frame(data, backend)

    def plot(self, measure: str = "by_touches", *, ax: Any = None) -> Any:
        """Histogram of one measure (drawn by :func:`journeykit.plot.handoff`)."""
        return draw(self, measure, ax=ax)

    def _repr_html_(self) -> str:
        """The notebook display: a chart and a table (see :mod:`journeykit._html`)."""
        from journeykit import _html  # noqa: PLC0415  # only notebooks pay for it

        return _html.notebook(_html.handoff(self))

    def __repr__(self) -> str:
        touches, time = self.summary("by_touches"), self.summary("by_time")
        contacted = int(self.sales_contact.sum())
        return (
            f"Handoff(journeys={len(self.journey)}, with sales contact={contacted}, "
            f"before first sales contact: touches median {touches['p50']:.0%} "
            f"(mean {touches['mean']:.0%}), "
            f"time median {time['p50']:.0%} (mean {time['mean']:.0%}))"
        )


def handoff(journeys: Journeys, result: Attribution | None = None) -> Handoff:
    """How far along converting journeys were before their first one-to-one sales contact.

    The first sales contact is the first touch whose reach is ``one_to_one`` and whose team is
    ``sales``. For each converting journey: the share of its touches before that contact, the share
    of its time (first touch to goal) before it, and, given a model's ``result``, the share of its
    credit before it. A journey with no sales contact counts as wholly before it; one whose goal
    time or touch times are unknown gets NaN for the time share.

    Parameters
    ----------
    journeys : Journeys
        With ``team`` and ``reach`` columns (from ``assemble``, or ``from_events`` with them).
    result : Attribution, optional
        An attribution of the same journeys, for the credit share.

    Examples
    --------
    >>> import journeykit as jk
    >>> from journeykit.datasets import example_records
    >>> shares = handoff(jk.assemble(example_records()))
    >>> shares.journey, float(shares.by_touches[0]), round(float(shares.by_time[0]), 3)
    (('northwind-2024',), 0.5, 0.556)
    """
    missing = [name for name in ("team", "reach") if name not in journeys.columns]
    if missing:
        raise SchemaError(
            [
                Problem("Journeys", name, "is needed to find the first sales contact")
                for name in missing
            ]
        )
    converting = np.flatnonzero(journeys.converting & (journeys.lengths > 0))
    team, reach = journeys.columns["team"], journeys.columns["reach"]
    sales = np.isin(team.codes, team.codes_of("sales")) & np.isin(
        reach.codes, reach.codes_of("one_to_one")
    )
    owner = journeys.journey_of_touch
    first_sales = np.full(journeys.n_journeys, -1, dtype=np.int64)
    touches = np.flatnonzero(sales)
    firsts = np.ones(touches.size, dtype=np.bool_)
    firsts[1:] = owner[touches[1:]] != owner[touches[:-1]]
    first_sales[owner[touches[firsts]]] = touches[firsts]
    has_sales = first_sales[converting] >= 0
    starts = journeys.offsets[:-1][converting]
    lengths = journeys.lengths[converting]
    before = np.where(has_sales, first_sales[converting] - starts, lengths)
    by_touches = before / lengths
    by_time = _time_share(journeys, converting, starts, first_sales[converting], has_sales)
    by_credit = None
    if result is not None:
        if result.journeys is not journeys:
            msg = "handoff(): result must be an attribution of these same journeys"
            raise ParameterError(msg)
        shares = result.shares
        earlier = (
            journeys.position
            < np.where(first_sales >= 0, first_sales - journeys.offsets[:-1], journeys.lengths)[
                owner
            ]
        )
        totals = np.bincount(owner, shares, journeys.n_journeys)
        inside = np.bincount(owner, np.where(earlier, shares, 0.0), journeys.n_journeys)
        by_credit = np.divide(inside, totals, out=np.ones(journeys.n_journeys), where=totals > 0)[
            converting
        ]
    ids = journeys.journey
    groups = {name: _mode_labels(journeys, name, converting) for name in journeys.columns}
    groups["channel_mix"] = _channel_mix(journeys, converting)
    return Handoff(
        journey=tuple(ids.labels[c] for c in ids.codes[converting].tolist()),
        by_touches=by_touches,
        by_time=by_time,
        by_credit=by_credit,
        sales_contact=has_sales,
        groups=groups,
    )


def _time_share(
    journeys: Journeys,
    converting: NDArray[np.int64],
    starts: NDArray[np.int64],
    first_sales: NDArray[np.int64],
    has_sales: NDArray[np.bool_],
) -> NDArray[np.float64]:
    first_time = journeys.time[starts]
    goal = (
        journeys.goal_time[converting]
        if journeys.goal_time is not None
        else np.full(converting.size, NAT)
    )
    sales_time = np.where(has_sales, journeys.time[np.maximum(first_sales, 0)], goal)
    span = (goal - first_time).astype(np.float64)
    known = (first_time != NAT) & (goal != NAT) & (sales_time != NAT) & (span > 0)
    out = np.full(converting.size, np.nan)
    out[known] = (sales_time[known] - first_time[known]) / span[known]
    out[(first_time != NAT) & (goal != NAT) & (span == 0)] = 1.0
    return out


def _channel_mix(journeys: Journeys, chosen: NDArray[np.int64]) -> NDArray[Any]:
    """Each chosen journey's distinct channels, sorted and joined by ``+``."""
    labels = journeys.channel.labels
    mixes = []
    for j in chosen.tolist():
        codes = np.unique(journeys.channel.codes[journeys.offsets[j] : journeys.offsets[j + 1]])
        mixes.append("+".join(sorted(labels[c] for c in codes.tolist())))
    return np.array(mixes, dtype=object)


def _mode_labels(journeys: Journeys, name: str, chosen: NDArray[np.int64]) -> NDArray[Any]:
    """Each chosen journey's most frequent label of a column (ties: first in sort order)."""
    column = journeys.columns[name]
    size = len(column.labels) + 1
    keys, counts = np.unique(
        journeys.journey_of_touch * size + (column.codes.astype(np.int64) + 1), return_counts=True
    )
    journey, slot = keys // size, keys % size
    order = np.lexsort((slot, -counts, journey))  # per journey: most frequent first, then label
    first = np.ones(order.size, dtype=np.bool_)
    first[1:] = journey[order][1:] != journey[order][:-1]
    best = np.zeros(journeys.n_journeys, dtype=np.int64)
    best[journey[order][first]] = slot[order][first]
    labels = np.array(["(none)", *column.labels], dtype=object)
    return labels[best[chosen]]
