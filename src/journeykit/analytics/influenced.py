"""Influenced pipeline and revenue: the CRM report of every deal a channel (campaign, ...) touched.

(The module is not named ``influence``: a submodule of that name would shadow the function
``journeykit.analytics.influence`` once imported by its own name, as pytest does.)

Attribution splits each deal's value over its touches, so its roll-ups add up to the total.
Influence does not split: a deal counts in full under every label that touched it (inside a
lookback before the deal was created, or before it was won), so the labels' influenced pipeline
adds up to more than the pipeline whenever deals have touches of several labels.
"""

from __future__ import annotations

import html
from collections.abc import Iterator, Mapping, Sequence
from datetime import datetime, timedelta, tzinfo
from typing import Any

import numpy as np

from journeykit._frames import Backend, to_frame
from journeykit._labels import label_text
from journeykit.assembly import Rates, Rollup, assemble
from journeykit.attribution.result import Key, combine, decode_keys, dimension, ordered
from journeykit.errors import ParameterError
from journeykit.journeys import Journeys
from journeykit.records import Records

__all__ = ["Influence", "influence"]

_RECORDS_MEASURES = ("opportunities", "pipeline", "won", "revenue")
_JOURNEYS_MEASURES = ("conversions", "value")
_MONEY = frozenset({"pipeline", "revenue", "value"})


class Influence(Mapping[Any, dict[str, float]]):
    """Per label, the outcomes its touches influenced and their value; a read-only mapping.

    ``influence[label]`` is ``{measure: amount}``: from records, ``opportunities`` and
    ``pipeline`` (deals created after a touch of the label, and their value) and ``won`` and
    ``revenue`` (deals won after one); from journeys, ``conversions`` and ``value``. Labels are
    ordered by influenced pipeline (or value), largest first; calendar periods in time order.
    Each outcome counts in full under every label that touched it, so a column adds up to more
    than its :attr:`totals` entry whenever outcomes have touches of several labels.
    """

    __slots__ = ("_rows", "currency", "dimension", "lookback", "measures", "totals")

    def __init__(
        self,
        rows: Mapping[Any, Mapping[str, float]],
        *,
        dimension: Key,
        measures: Sequence[str],
        totals: Mapping[str, float],
        currency: str | None,
        lookback: timedelta | None,
    ) -> None:
        self._rows = {label: dict(row) for label, row in rows.items()}
        self.dimension = dimension
        self.measures = tuple(measures)
        self.totals = dict(totals)
        """Every outcome once, touched or not: the pipeline (or value) the report is about."""
        self.currency = currency
        self.lookback = lookback

    def __getitem__(self, label: Any) -> dict[str, float]:
        return dict(self._rows[label])

    def __iter__(self) -> Iterator[Any]:
        return iter(self._rows)

    def __len__(self) -> int:
        return len(self._rows)

    def share(self, measure: str | None = None) -> dict[Any, float]:
        """Each label's influenced ``measure`` as a fraction of its total (shares overlap).

        ``measure`` defaults to the pipeline (from records) or the value (from journeys).
        """
        name = self._measure(measure)
        total = self.totals[name]
        return {label: row[name] / total if total else 0.0 for label, row in self._rows.items()}

    def _measure(self, measure: str | None) -> str:
        if measure is None:
            return self.measures[1]
        if measure not in self.measures:
            msg = f"measure must be one of {', '.join(map(repr, self.measures))} (got {measure!r})"
            raise ParameterError(msg)
        return measure

    def to_frame(self, backend: Backend = "pandas") -> Any:
        """One row per label: a column per dimension, each measure and each value's share."""
        names = [self.dimension] if isinstance(self.dimension, str) else list(self.dimension)
        keys = [k if isinstance(k, tuple) else (k,) for k in self._rows]
        data: dict[str, Any] = {name: [k[i] for k in keys] for i, name in enumerate(names)}
        for measure in self.measures:
            data[measure] = [row[measure] for row in self._rows.values()]
            if measure in _MONEY:
                data[f"{measure}_share"] = list(self.share(measure).values())
        return to_frame(data, backend)

    def _table(self) -> tuple[list[str], list[list[str]]]:
        """Header and text rows, the totals first."""
        from journeykit._html import money  # noqa: PLC0415  # the one money formatter

        unit = f" {self.currency}" if self.currency else ""
        header = [label_text(self.dimension, sep="/")]
        header += [m + (unit if m in _MONEY else "") for m in self.measures]

        def cells(row: Mapping[str, float]) -> list[str]:
            return [
                money(row[m]) if m in _MONEY and row[m] else f"{row[m]:,.6g}" for m in self.measures
            ]

        rows = [["(all)", *cells(self.totals)]]
        rows += [[label_text(label), *cells(row)] for label, row in self._rows.items()]
        return header, rows

    def _note(self) -> str:
        window = f" within {self.lookback.days:g} days" if self.lookback is not None else ""
        return (
            f"Influence by {label_text(self.dimension)}{window} (an outcome counts under every "
            "label that touched it)"
        )

    def __repr__(self) -> str:
        header, rows = self._table()
        widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
        lines = [
            "  ".join(
                cell.ljust(width) if i == 0 else cell.rjust(width)
                for i, (cell, width) in enumerate(zip(row, widths, strict=True))
            ).rstrip()
            for row in [header, *rows]
        ]
        return "\n".join([self._note(), *lines])

    def _repr_html_(self) -> str:
        from journeykit import _html  # noqa: PLC0415  # only notebooks pay for it

        header, rows = self._table()
        note = f"<p>{html.escape(self._note())}</p>"
        return _html.notebook(f"<div class='jk'>{note}{_html.table(header, rows)}</div>")


def _influenced(
    journeys: Journeys, names: tuple[str, ...], lookback: timedelta | None, tz: tzinfo | str | None
) -> tuple[dict[Any, tuple[float, float]], tuple[float, float]]:
    """Per label, the conversions and value of the converting journeys it touched; the totals.

    One pass of numpy: each (journey, label) pair counts once, however many touches it has.
    """
    converting = journeys.converting
    totals = (float(journeys.conversions.sum()), float(journeys.value[converting].sum()))
    window = journeys if lookback is None else journeys.lookback(lookback)
    columns = [dimension(window, name, tz) for name in names]
    sizes = [len(c.labels) + 1 for c in columns]  # slot 0 of each dimension: no label
    journey = window.journey_of_touch
    touched = converting[journey]
    # Number the label combinations present 0 .. n - 1, so journey x label fits an int64.
    keys, label = np.unique(
        combine(columns, sizes, 0, window.n_touches)[touched], return_inverse=True
    )
    pairs = np.sort(journey[touched] * keys.size + label.reshape(-1))
    # Each pair once: a sort and a neighbour test (numpy's hashing unique is ten times slower).
    first = np.ones(pairs.size, dtype=np.bool_)
    first[1:] = pairs[1:] != pairs[:-1]
    pairs = pairs[first]
    outcome, label = np.divmod(pairs, max(keys.size, 1))
    conversions = np.bincount(label, weights=window.conversions[outcome], minlength=keys.size)
    value = np.bincount(label, weights=window.value[outcome], minlength=keys.size)
    rows = zip(conversions.tolist(), value.tolist(), strict=True)
    return dict(zip(decode_keys(keys, columns, sizes), rows, strict=True)), totals


def influence(
    source: Journeys | Records,
    /,
    by: Key = "channel",
    *,
    lookback: timedelta | None = None,
    rollup: Rollup = "account",
    currency: str | None = None,
    rates: Rates | None = None,
    as_of: datetime | None = None,
    tz: tzinfo | str | None = None,
) -> Influence:
    """Influenced pipeline and revenue per channel, campaign or any dimension.

    A touch influences a deal when it happened before the deal was created (pipeline) or before
    it was won (revenue), within ``lookback`` of that moment. Unlike attribution, nothing is
    split: each deal counts in full under every label that touched it, so the labels'
    influenced pipeline adds up to more than the pipeline (a deal touched by a webinar and an
    email is in both rows). It answers "which deals did this channel touch", not "how much of
    the deal is this channel's" (that is :func:`journeykit.attribute`).

    Parameters
    ----------
    source : Records or Journeys
        Records: every deal is pipeline at its creation, worth its value, whatever its outcome
        (open deals included); won deals are revenue at their close. Journeys: each converting
        journey is an outcome at its goal time, worth its value (assemble with
        ``goal="opportunity"`` for pipeline, ``goal="won"`` for revenue).
    by : str or tuple of str
        Any dimension :meth:`journeykit.Attribution.by` takes: ``"channel"``, ``"campaign"``,
        ``"utm_campaign"``, ``("team", "channel")``, ``"conversion_quarter"``, ...
    lookback : timedelta, optional
        Only touches at most this long before the deal's creation (or win) influence it; default
        every touch of the deal's journey (see :func:`journeykit.assemble`).
    rollup, currency, rates, as_of
        For records: as in :func:`journeykit.assemble` (whose touches make a deal's journey, and
        the reporting currency with exchange rates when deals are in several currencies).
    tz : str or tzinfo, optional
        The calendar of period dimensions (``"month"``, ...), as in
        :meth:`journeykit.Attribution.by`; UTC by default.

    Returns
    -------
    Influence
        Per label: ``opportunities``, ``pipeline``, ``won`` and ``revenue`` (from records), or
        ``conversions`` and ``value`` (from journeys); the untouched totals in ``totals``.

    Examples
    --------
    >>> from datetime import timedelta
    >>> import journeykit as jk
    >>> from journeykit.datasets import example_records
    >>> report = jk.analytics.influence(example_records(), lookback=timedelta(days=90))
    >>> report["paid_search"]
    {'opportunities': 1.0, 'pipeline': 21000.0, 'won': 0.0, 'revenue': 0.0}
    >>> report
    Influence by channel within 90 days (an outcome counts under every label that touched it)
    channel         opportunities  pipeline EUR  won  revenue EUR
    (all)                       2        69,000    1       48,000
    call                        2        69,000    1       48,000
    organic_search              2        69,000    1       48,000
    paid_social                 2        69,000    1       48,000
    webinar                     2        69,000    1       48,000
    email                       1        48,000    1       48,000
    sdr_email                   1        48,000    1       48,000
    paid_search                 1        21,000    0            0
    demo                        0             0    1       48,000
    meeting                     0             0    1       48,000
    rep_email                   0             0    1       48,000

    Four channels touched both deals before they were created: each shows the whole pipeline,
    where attribution would split it. The demo came after the won deal was created, so it
    influenced revenue but no pipeline.
    """
    names = (by,) if isinstance(by, str) else tuple(by)
    if not names:
        msg = "influence() needs at least one dimension in by="
        raise ParameterError(msg)
    if isinstance(source, Journeys):
        given = {"rollup": rollup != "account", "currency": currency, "rates": rates}
        extra = [name for name, value in {**given, "as_of": as_of}.items() if value]
        if extra:
            msg = f"influence() of journeys takes no {', '.join(extra)} (they apply to records)"
            raise ParameterError(msg)
        found, totals = _influenced(source, names, lookback, tz)
        rows = {
            label: dict(zip(_JOURNEYS_MEASURES, pair, strict=True)) for label, pair in found.items()
        }
        return _result(rows, by, _JOURNEYS_MEASURES, totals, source.currency, lookback)
    options: dict[str, Any] = {
        "rollup": rollup,
        "currency": currency,
        "rates": rates,
        "as_of": as_of,
    }
    pipeline = assemble(source, goal="opportunity", **options)
    won = assemble(source, goal="won", **options)
    created, created_totals = _influenced(pipeline, names, lookback, tz)
    closed, closed_totals = _influenced(won, names, lookback, tz)
    rows = {
        label: dict(
            zip(
                _RECORDS_MEASURES,
                (*created.get(label, (0.0, 0.0)), *closed.get(label, (0.0, 0.0))),
                strict=True,
            )
        )
        for label in {**created, **closed}
    }
    return _result(
        rows, by, _RECORDS_MEASURES, (*created_totals, *closed_totals), pipeline.currency, lookback
    )


def _result(  # noqa: PLR0917  # a private helper: the arguments read in order
    rows: dict[Any, dict[str, float]],
    by: Key,
    measures: Sequence[str],
    totals: Sequence[float],
    currency: str | None,
    lookback: timedelta | None,
) -> Influence:
    order = ordered([(label, row[measures[1]]) for label, row in rows.items()], by)
    return Influence(
        {label: rows[label] for label, _ in order},
        dimension=by,
        measures=measures,
        totals=dict(zip(measures, totals, strict=True)),
        currency=currency,
        lookback=lookback,
    )
