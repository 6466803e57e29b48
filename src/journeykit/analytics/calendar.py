"""The editorial calendar: content published and touched per period, and what each kind earned."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Literal

import attrs
import numpy as np
from numpy.typing import NDArray

from journeykit._choices import choose
from journeykit._display import draw
from journeykit._frames import Backend, to_frame
from journeykit.attribution.result import Attribution
from journeykit.content import FunnelStage
from journeykit.errors import Problem, ValidationError
from journeykit.journeys import Column, Journeys, to_micros
from journeykit.records import Records

__all__ = ["ContentCalendar", "content_calendar"]

Period = Literal["week", "month", "quarter", "year"]
_PERIODS: tuple[str, ...] = ("week", "month", "quarter", "year")
_DIMENSIONS: tuple[str, ...] = ("asset_kind", "persona", "stage", "asset")
_MEASURES: tuple[str, ...] = ("published", "touches", "buyers", "credit", "influenced")
_MICROS_PER_DAY = 86_400_000_000


@attrs.frozen(eq=False)
class ContentCalendar:
    """Content per period: published, touched, engaging whom, earning what; and the gaps.

    Attributes
    ----------
    period : str
        ``"week"`` (labelled by its Monday), ``"month"``, ``"quarter"`` or ``"year"``.
    periods : tuple of str
        Every period from the first activity to the last, in order, empty ones included.
    by : tuple of str
        The dimensions of each row besides its period.
    rows : tuple of dict
        One per ``(period, *by)`` with any activity, in order: the keys, then ``published`` (assets
        published, counted under every persona they target), ``touches``, ``buyers`` (distinct
        buyers who touched it), ``credit`` (value credited to those touches by the model's
        result, 0 without one) and ``influenced`` (distinct converting journeys it touched).
    gaps : tuple of tuple
        ``(period, persona, stage)`` where a persona had no content for a funnel stage: nothing
        published for it and nothing touched by it. ``period`` is ``None`` for a persona that
        had none over the whole calendar.
    """

    period: str
    by: tuple[str, ...]
    rows: tuple[dict[str, Any], ...]
    gaps: tuple[tuple[str | None, str, str], ...]
    periods: tuple[str, ...]

    def total(self, measure: str = "touches", *, by: str = "asset_kind") -> dict[Any, float]:
        """One measure summed per label of one dimension (``"period"`` too), largest first."""
        self._check(measure, by)
        out: dict[Any, float] = {}
        for row in self.rows:
            out[row[by]] = out.get(row[by], 0.0) + row[measure]
        return dict(sorted(out.items(), key=lambda kv: (-kv[1], str(kv[0]))))

    def _check(self, measure: str, by: str) -> None:
        """A known measure, and a dimension this calendar was built by (or ``"period"``)."""
        choose(measure, _MEASURES, "measure", owner="ContentCalendar")
        choose(by, ("period", *self.by), "by", owner="ContentCalendar")

    def to_frame(self, backend: Backend = "pandas") -> Any:
        """One row per ``(period, *by)`` with every measure."""
        names = ("period", *self.by, *_MEASURES)
        return to_frame({n: [r[n] for r in self.rows] for n in names}, backend)

    def plot(self, measure: str = "touches", *, by: str = "asset_kind", ax: Any = None) -> Any:
        """A calendar heatmap, one row per label of ``by`` and one column per period.

        Drawn by :func:`journeykit.plot.calendar` (needs matplotlib); returns the axes.
        """
        return draw(self, measure, by=by, ax=ax)

    def grid(self, measure: str = "touches", *, by: str = "asset_kind") -> tuple[list[str], Any]:
        """The heatmap's labels of ``by`` and its array (labels x :attr:`periods`) of a measure."""
        self._check(measure, by)
        labels = sorted({str(r[by]) for r in self.rows})
        values = np.zeros((len(labels), len(self.periods)))
        for row in self.rows:
            values[labels.index(str(row[by])), self.periods.index(row["period"])] += row[measure]
        return labels, values

    def __repr__(self) -> str:
        published = sum(r["published"] for r in self.rows)
        touches = sum(r["touches"] for r in self.rows)
        return (
            f"ContentCalendar({len(self.periods)} {self.period}s by {', '.join(self.by)}: "
            f"{published:g} published, {touches:g} touches, {len(self.gaps)} gaps)"
        )


@attrs.frozen(eq=False)
class _Touches:
    """Content touches as columns: time, asset, persona, buyer and (from journeys) journey."""

    time: NDArray[np.int64]
    asset: Column
    persona: Column
    buyer: Column
    journey: NDArray[np.int64] | None = None


def content_calendar(
    source: Records | Journeys,
    *,
    period: Period = "month",
    by: Sequence[str] = ("asset_kind", "persona", "stage"),
    result: Attribution | None = None,
) -> ContentCalendar:
    """The editorial calendar: the content mix per period, and what each kind earned.

    Parameters
    ----------
    source : Records or Journeys
        Records give everything: assets with their kind, stage, target personas and
        ``published_at``, and every touch that used an asset. Journeys give their touches only
        (nothing is known to be published; the stage is missing).
    period : {"week", "month", "quarter", "year"}
        Calendar periods in UTC; a week starts on Monday and is labelled by that day.
    by : sequence of str
        Any of ``"asset_kind"``, ``"persona"``, ``"stage"`` (the asset's funnel stage) and
        ``"asset"``. Published assets count under each persona they target (``None``: for
        everyone); touches under the persona of the buyer who made them.
    result : Attribution, optional
        A model's result over journeys of the same records: fills ``credit`` (value credited to
        content touches, by the period of the touch) and ``influenced``.

    Returns
    -------
    ContentCalendar

    Raises
    ------
    ValidationError
        For an unknown period or dimension, or a calendar of more than 10,000 periods (the
        budget that bounds the work: e.g. 190 years of weeks).

    Examples
    --------
    >>> import journeykit as jk
    >>> from journeykit.datasets import example_records
    >>> records = example_records()
    >>> calendar = jk.analytics.content_calendar(records, by=("asset_kind",))
    >>> calendar.total("touches")
    {'case_study': 3.0, 'webinar': 3.0, 'blog_post': 2.0, 'ebook': 2.0}
    >>> result = jk.attribute(jk.assemble(records), "linear")
    >>> jk.analytics.content_calendar(records, by=("asset_kind",), result=result).total("credit")
    {'case_study': 9600.0, 'webinar': 9600.0, 'blog_post': 4800.0, 'ebook': 4800.0}
    >>> jk.analytics.content_calendar(records).gaps[:2]  # nothing for awareness in February
    (('2024-02', 'it_lead', 'awareness'), ('2024-02', 'finance', 'awareness'))
    """
    dimensions = tuple(by)
    _check(period, dimensions)
    meta: dict[str, tuple[str | None, str | None]]
    if isinstance(source, Records):
        touches = _record_touches(source)
        meta = {
            a.id: (a.kind.value, None if a.stage is None else a.stage.value) for a in source.assets
        }
    else:
        touches = _journey_touches(source)
        meta = _journey_meta(source)
    cells: dict[tuple[Any, ...], dict[str, float]] = {}

    def add(keys: dict[tuple[Any, ...], float], measure: str) -> None:
        for key, amount in keys.items():
            cell = cells.setdefault(key, dict.fromkeys(_MEASURES, 0.0))
            cell[measure] += amount

    add(_tally(touches, meta, period, dimensions, None), "touches")
    add(_tally(touches, meta, period, dimensions, "buyers"), "buyers")
    if isinstance(source, Records):
        add(_published(source, period, dimensions), "published")
    if result is not None:
        credited = _journey_touches(result.journeys)
        add(_tally(credited, meta, period, dimensions, None, result.value_credit), "credit")
        converting = result.journeys.converting
        add(_tally(credited, meta, period, dimensions, "journeys", converting), "influenced")
    rows = tuple(
        {"period": key[0], **dict(zip(dimensions, key[1:], strict=True)), **cells[key]}
        for key in sorted(cells, key=lambda k: tuple("" if x is None else str(x) for x in k))
    )
    periods = _span(source, touches, period)
    gaps = _gaps(source, rows, dimensions, periods) if isinstance(source, Records) else ()
    return ContentCalendar(period, dimensions, rows, gaps, periods)


_MAX_PERIODS = 10_000


def _span(source: Records | Journeys, touches: _Touches, period: str) -> tuple[str, ...]:
    """Every period from the first content event to the last."""
    moments = [touches.time[touches.asset.codes >= 0]]
    if isinstance(source, Records):
        published = [to_micros(a.published_at) for a in source.assets if a.published_at]
        moments.append(np.array(published, dtype=np.int64))
    everything = np.concatenate(moments)
    if not everything.size:
        return ()
    index = _period_index(everything, period)
    low, high = int(index.min()), int(index.max())
    if high - low >= _MAX_PERIODS:
        message = f"spans {high - low + 1} {period}s; at most {_MAX_PERIODS} are drawn"
        raise ValidationError([Problem("content_calendar", "period", message)])
    return tuple(_period_label(i, period) for i in range(low, high + 1))


def _check(period: str, dimensions: tuple[str, ...]) -> None:
    problems = []
    if period not in _PERIODS:
        message = f"must be one of {', '.join(_PERIODS)} (got {period!r})"
        problems.append(Problem("content_calendar", "period", message))
    unknown = [d for d in dimensions if d not in _DIMENSIONS]
    if unknown or not dimensions or len(set(dimensions)) < len(dimensions):
        message = f"must be distinct names among {', '.join(_DIMENSIONS)} (got {dimensions!r})"
        problems.append(Problem("content_calendar", "by", message))
    if problems:
        raise ValidationError(problems)


def _record_touches(records: Records) -> _Touches:
    used = [t for t in records.touchpoints if t.asset is not None]
    personas = {b.id: b.persona for b in records.buyers}
    return _Touches(
        time=np.array([to_micros(t.time) for t in used], dtype=np.int64),
        asset=Column.from_values([t.asset for t in used]),
        persona=Column.from_values([personas[t.buyer] for t in used]),
        buyer=Column.from_values([t.buyer for t in used]),
    )


def _missing(n: int) -> Column:
    return Column(np.full(n, -1, dtype=np.int8), ())


def _journey_touches(journeys: Journeys) -> _Touches:
    columns = journeys.columns
    n = journeys.n_touches
    return _Touches(
        time=journeys.time,
        asset=columns.get("asset", _missing(n)),
        persona=columns.get("persona", _missing(n)),
        buyer=columns.get("buyer", _missing(n)),
        journey=journeys.journey_of_touch,
    )


def _journey_meta(journeys: Journeys) -> dict[str, tuple[str | None, str | None]]:
    asset, kind = journeys.columns.get("asset"), journeys.columns.get("asset_kind")
    if asset is None:
        return {}
    kinds = kind.values() if kind is not None else [None] * journeys.n_touches
    return {a: (k, None) for a, k in zip(asset.values(), kinds, strict=True) if a is not None}


def _period_index(micros: NDArray[np.int64], period: str) -> NDArray[np.int64]:
    """Per instant, the number of its period since the one holding the epoch."""
    days = np.floor_divide(micros, _MICROS_PER_DAY)
    if period == "week":
        return (days + 3) // 7  # 1970-01-01 was a Thursday: weeks from Monday 1969-12-29
    months = days.astype("datetime64[D]").astype("datetime64[M]").astype(np.int64)
    return months if period == "month" else months // 3 if period == "quarter" else months // 12


def _period_codes(micros: NDArray[np.int64], period: str) -> tuple[NDArray[np.int64], list[str]]:
    """Per instant, a code of its period; and the label of each code."""
    present, codes = np.unique(_period_index(micros, period), return_inverse=True)
    return codes.ravel().astype(np.int64), [_period_label(int(i), period) for i in present]


def period_labels(micros: NDArray[np.int64], period: str) -> list[str]:
    """The label of each instant's calendar period (``"2024-03"``, ``"2024-Q1"``, ...)."""
    codes, labels = _period_codes(micros, period)
    return [labels[c] for c in codes.tolist()]


def _period_label(index: int, period: str) -> str:
    if period == "week":
        return str(np.datetime64(index * 7 - 3, "D"))
    if period == "month":
        return str(np.datetime64(index, "M"))
    if period == "quarter":
        return f"{1970 + index // 4}-Q{index % 4 + 1}"
    return str(1970 + index)


def _dimension(
    touches: _Touches, meta: Mapping[str, tuple[str | None, str | None]], name: str
) -> tuple[NDArray[np.int64], list[str | None]]:
    """Per touch, a code of its label in one dimension; and the labels."""
    if name == "persona":
        return touches.persona.codes.astype(np.int64) + 1, [None, *touches.persona.labels]
    if name == "asset":
        return touches.asset.codes.astype(np.int64) + 1, [None, *touches.asset.labels]
    slot = 0 if name == "asset_kind" else 1
    per_asset = [meta.get(a, (None, None))[slot] for a in touches.asset.labels]
    labels: list[str | None] = [None, *sorted({x for x in per_asset if x is not None})]
    lookup = np.array([0, *(labels.index(x) for x in per_asset)], dtype=np.int64)
    return lookup[touches.asset.codes.astype(np.int64) + 1], labels


def _tally(  # noqa: PLR0917  # private: every call passes the same five, weights by position
    touches: _Touches,
    meta: Mapping[str, tuple[str | None, str | None]],
    period: str,
    dimensions: tuple[str, ...],
    distinct: Literal["buyers", "journeys"] | None,
    weights: NDArray[Any] | None = None,
) -> dict[tuple[Any, ...], float]:
    """Sum per (period, *dimensions) over content touches: counts, weights or distinct owners.

    ``distinct="journeys"`` counts each journey once per cell, where ``weights`` (per journey)
    is true.
    """
    content = touches.asset.codes >= 0
    if weights is not None and distinct is None:
        content &= weights != 0
    chosen = np.flatnonzero(content)
    if not chosen.size:
        return {}
    codes, periods = _period_codes(touches.time[chosen], period)
    parts: list[tuple[NDArray[np.int64], Sequence[Any]]] = [(codes, periods)]
    parts += [
        (c[chosen], labels) for c, labels in (_dimension(touches, meta, d) for d in dimensions)
    ]
    key = np.zeros(chosen.size, dtype=np.int64)
    for part, labels in parts:
        key = key * len(labels) + part
    amounts: NDArray[np.float64] = (
        np.ones(chosen.size) if weights is None or distinct else weights[chosen].astype(np.float64)
    )
    if distinct is not None:
        owner = (
            touches.buyer.codes[chosen].astype(np.int64)
            if distinct == "buyers"
            else touches.journey[chosen]  # type: ignore[index]  # journeys always carry it
        )
        if distinct == "journeys" and weights is not None:
            keep = np.asarray(weights, dtype=np.bool_)[owner]
            key, owner = key[keep], owner[keep]
        pairs = np.unique(np.stack([key, owner]), axis=1)
        key, amounts = pairs[0], np.ones(pairs.shape[1])
    cells, inverse = np.unique(key, return_inverse=True)
    sums = np.bincount(inverse.ravel(), weights=amounts, minlength=cells.size)
    out = {}
    for packed, amount in zip(cells.tolist(), sums.tolist(), strict=True):
        labels, rest = [], packed
        for _, names in reversed(parts):
            rest, code = divmod(rest, len(names))
            labels.append(names[code])
        out[tuple(reversed(labels))] = float(amount)
    return out


def _published(
    records: Records, period: str, dimensions: tuple[str, ...]
) -> dict[tuple[Any, ...], float]:
    assets = [a for a in records.assets if a.published_at is not None]
    if not assets:
        return {}
    codes, labels = _period_codes(
        np.array([to_micros(a.published_at) for a in assets], dtype=np.int64),  # type: ignore[arg-type]
        period,
    )
    out: dict[tuple[Any, ...], float] = {}
    for asset, code in zip(assets, codes.tolist(), strict=True):
        values = {
            "asset_kind": asset.kind.value,
            "stage": None if asset.stage is None else asset.stage.value,
            "asset": asset.id,
        }
        targets: list[str | None] = [*sorted(asset.personas)] or [None]
        for persona in targets:
            key = (labels[code], *({**values, "persona": persona}[d] for d in dimensions))
            out[key] = out.get(key, 0.0) + 1.0
    return out


def _gaps(
    records: Records,
    rows: tuple[dict[str, Any], ...],
    dimensions: tuple[str, ...],
    periods: tuple[str, ...],
) -> tuple[tuple[str | None, str, str], ...]:
    """(period, persona, stage) without content; needs rows by persona and stage."""
    if "persona" not in dimensions or "stage" not in dimensions:
        return ()
    covered: set[tuple[str, str | None, str | None]] = set()
    for row in rows:
        if row["published"] or row["touches"]:
            covered.add((row["period"], row["persona"], row["stage"]))
    stages = [s.value for s in FunnelStage]
    out: list[tuple[str | None, str, str]] = []
    for persona in (p.id for p in records.personas):
        for stage in stages:
            # Content published for everyone (no target persona) serves this persona too.
            missing = [
                p
                for p in periods
                if (p, persona, stage) not in covered and (p, None, stage) not in covered
            ]
            if periods and len(missing) == len(periods):
                out.append((None, persona, stage))
            else:
                out += [(p, persona, stage) for p in missing]
    return tuple(out)
