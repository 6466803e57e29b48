"""The result of attribution: credit per touch, rolled up by any dimension with one ``bincount``."""

from __future__ import annotations

import html
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import tzinfo
from typing import Any, Literal

import attrs
import numpy as np
from numpy.typing import NDArray

from journeykit._choices import choose
from journeykit._display import draw
from journeykit._frames import Backend, to_frame
from journeykit._labels import label_text
from journeykit._periods import is_period, period_codes
from journeykit.attribution._protocol import Model, tags_of
from journeykit.errors import ModelError, ParameterError
from journeykit.journeys import Column, Journeys
from journeykit.milestones import Milestone

__all__ = ["Attribution", "Credit"]

Measure = Literal["conversions", "value", "cents"]
Key = str | tuple[str, ...]
_MEASURES = ("conversions", "value", "cents")


_SLICE = 1 << 20  # touches rolled up at once by Attribution.by


def _check_measure(measure: str) -> None:
    choose(measure, Measure, "measure")


def _sum_by(keys: NDArray[Any], amounts: NDArray[Any], size: int) -> NDArray[Any]:
    """Sums of ``amounts`` per key; integer cents add up as integers (exact, no float rounding)."""
    if amounts.dtype.kind == "i":
        sums = np.zeros(size, dtype=np.int64)
        np.add.at(sums, keys, amounts)
        return sums
    return np.bincount(keys, weights=amounts, minlength=size).astype(np.float64)


def dimension(journeys: Journeys, name: str, tz: tzinfo | str | None = None) -> Column:
    """The column ``name`` of the journeys; a period in the calendar of ``tz`` when given."""
    if tz is None or not is_period(name) or name in journeys.columns:
        return journeys.column(name)
    return Column(*period_codes(journeys, name, tz))


def decode_keys(keys: NDArray[np.int64], columns: list[Any], sizes: list[int]) -> list[Any]:
    """The labels of combined keys (see :func:`combine`): a label, or a tuple for several."""
    out: list[Any] = []
    for combined in keys.tolist():
        parts: list[str | None] = []
        code = combined
        for column, size in zip(reversed(columns), reversed(sizes), strict=True):
            code, slot = divmod(code, size)
            parts.append(None if slot == 0 else column.labels[slot - 1])
        parts.reverse()
        out.append(parts[0] if len(parts) == 1 else tuple(parts))
    return out


def combine(columns: list[Any], sizes: list[int], start: int, stop: int) -> NDArray[np.int64]:
    """One integer key per touch in ``start:stop`` for a tuple of columns (0 = no label)."""
    combined = np.zeros(stop - start, dtype=np.int64)
    for column, size in zip(columns, sizes, strict=True):
        combined *= size
        combined += column.codes[start:stop]
        combined += 1
    return combined


class Credit(Mapping[Any, float]):
    """Credit rolled up by a dimension: a read-only mapping ordered by credit, largest first.

    Keys are labels (``None`` for touches without one); tuples of labels for several dimensions.

    Examples
    --------
    >>> import journeykit as jk
    >>> paths = jk.read_paths([{"path": "a > b", "total_conversions": 2,
    ...                         "total_conversion_value": 50}])
    >>> credit = jk.attribute(paths, "linear").by("channel", measure="value")
    >>> credit["a"], credit.total
    (25.0, 50.0)
    """

    __slots__ = ("_items", "currency", "dimension", "measure")

    def __init__(
        self,
        items: Sequence[tuple[Any, float]],
        dimension: Key,
        measure: str,
        currency: str | None = None,
    ) -> None:
        self._items: dict[Any, float] = dict(items)
        self.dimension = dimension
        self.measure = measure
        self.currency = currency  # what value and cents are in (None: unknown, or conversions)

    def __getitem__(self, key: Any) -> float:
        return self._items[key]

    def __iter__(self) -> Iterator[Any]:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)

    @property
    def total(self) -> float:
        """The sum of all credit."""
        return float(sum(self._items.values()))

    def share(self) -> dict[Any, float]:
        """Each key's fraction of the total (empty when the total is 0)."""
        total = self.total
        return {k: v / total for k, v in self._items.items()} if total else {}

    def to_frame(self, backend: Backend = "pandas") -> Any:
        """The credit as a data frame: one column per dimension, then the measure."""
        names = [self.dimension] if isinstance(self.dimension, str) else list(self.dimension)
        keys = [k if isinstance(k, tuple) else (k,) for k in self._items]
        data: dict[str, Any] = {name: [k[i] for k in keys] for i, name in enumerate(names)}
        data[self.measure] = list(self._items.values())
        return to_frame(data, backend)

    def __repr__(self) -> str:
        shown = ", ".join(f"{_label(k)}={v:.6g}" for k, v in list(self._items.items())[:12])
        more = f", ... {len(self) - 12} more" if len(self) > 12 else ""
        unit = f" {self.currency}" if self.currency is not None else ""
        return f"Credit({_label(self.dimension)}, {self.measure}{unit}: {shown}{more})"

    def _repr_html_(self) -> str:
        rows = "".join(
            f"<tr><td>{html.escape(_label(k))}</td><td style='text-align:right'>{v:,.4f}</td></tr>"
            for k, v in self._items.items()
        )
        dimension, measure = html.escape(_label(self.dimension)), html.escape(self.measure)
        head = f"<tr><th>{dimension}</th><th>{measure}</th></tr>"
        return f"<table>{head}{rows}</table>"


def ordered(items: Iterable[tuple[Any, float]], key: Key) -> list[tuple[Any, float]]:
    """Roll-up items in the order of a :class:`Credit`.

    By credit, largest first (ties by label), or in time order (missing last) when the first
    dimension is a calendar period.
    """
    first = key if isinstance(key, str) else key[0]
    if is_period(first):  # a time series reads in time order; period labels sort so as text
        return sorted(items, key=lambda kv: _time_order(kv[0]))
    return sorted(items, key=lambda kv: (-kv[1], _label(kv[0])))


def _time_order(key: Any) -> tuple[tuple[bool, str], ...]:
    parts = key if isinstance(key, tuple) else (key,)
    return tuple((part is None, part or "") for part in parts)


def _label(key: Any) -> str:
    return f"({label_text(key)})" if isinstance(key, tuple) else label_text(key)


@attrs.frozen(eq=False, repr=False)
class Attribution:
    """Credit of every touch under one model, with roll-ups by any dimension.

    Use :func:`journeykit.attribute` to make one. ``shares`` come from the model; the credit of a
    touch is its share times its journey's conversions (measure ``"conversions"``) or value
    (measure ``"value"``, from ``value_shares`` when the model weighs value differently).

    Converting journeys with no touch (all filtered out) cannot be attributed: their conversions
    and value are reported in :attr:`unattributed`, never silently dropped.
    """

    journeys: Journeys
    shares: NDArray[np.float64]
    model: Model
    name: str
    value_shares: NDArray[np.float64] | None = None

    def __attrs_post_init__(self) -> None:
        for label, array in (("shares", self.shares), ("value_shares", self.value_shares)):
            if array is None:
                continue
            if array.shape != (self.journeys.n_touches,):
                expected = self.journeys.n_touches
                got = array.shape
                msg = f"{self.name}: {label} must have one entry per touch ({expected}), got {got}"
                raise ModelError(msg)
            if not np.all(np.isfinite(array)):
                touch = int(np.flatnonzero(~np.isfinite(array))[0])
                msg = f"{self.name}: {label} must be finite (touch {touch} is not)"
                raise ModelError(msg)

    # -- per touch ---------------------------------------------------------------------------------
    @property
    def credit(self) -> NDArray[np.float64]:
        """Credited conversions per touch."""
        return self._slice("conversions", 0, self.journeys.n_touches)

    @property
    def value_credit(self) -> NDArray[np.float64]:
        """Credited value per touch."""
        return self._slice("value", 0, self.journeys.n_touches)

    def _measure(self, measure: str) -> NDArray[Any]:
        if measure == "conversions":
            return self.credit
        if measure == "value":
            return self.value_credit
        _check_measure(measure)
        return self.to_cents()

    # -- totals ------------------------------------------------------------------------------------
    @property
    def total(self) -> float:
        """Credited conversions in all."""
        return float(self.credit.sum())

    @property
    def total_value(self) -> float:
        """Credited value in all."""
        return float(self.value_credit.sum())

    @property
    def currency(self) -> str | None:
        """The ISO 4217 code of every value and cent (the journeys'; ``None`` when unknown)."""
        return self.journeys.currency

    @property
    def unattributed(self) -> dict[str, float]:
        """Conversions and value of converting journeys that have no touch to credit."""
        empty = self.journeys.converting & (self.journeys.lengths == 0)
        return {
            "journeys": float(empty.sum()),
            "conversions": float(self.journeys.conversions[empty].sum()),
            "value": float(self.journeys.value[empty].sum()),
        }

    # -- roll-ups ----------------------------------------------------------------------------------
    def by(
        self,
        key: Key = "channel",
        *,
        measure: Measure = "conversions",
        tz: tzinfo | str | None = None,
    ) -> Credit:
        """Roll credit up by a touch column, or a tuple of them, e.g. ``("team", "channel")``.

        Dimensions are the journeys' columns (``channel`` always; ``team``, ``reach``, ``asset``,
        ``campaign``, ``persona``, ``buyer``, ``account``, touch properties such as
        ``utm_campaign`` and others when present), ``"journey"``, and calendar periods: of the
        touch's time (``"week"``, ``"month"``, ``"quarter"``, ``"year"``) or of its journey's
        conversion (``"conversion_month"``, ...), labelled ``2024-W09``, ``2024-03``,
        ``2024-Q1`` and ``2024``: periods of UTC, or of the calendar of ``tz`` (an IANA name
        such as ``"America/New_York"``, or a tzinfo). Keys are ordered by credit, largest first
        (ties by label), except when the first dimension is a period: then in time order.

        Examples
        --------
        >>> import journeykit as jk
        >>> paths = jk.read_paths([{"path": "a > b > a", "total_conversions": 3}])
        >>> jk.attribute(paths, "linear").by("channel")
        Credit(channel, conversions: a=2, b=1)
        >>> jk.attribute(paths, "linear").by("journey")
        Credit(journey, conversions: 0=3)

        Credit over time: by the quarter of each touch, or of each deal's win (touches of
        journeys that did not convert have no conversion quarter and no credit):

        >>> result = jk.attribute(jk.assemble(jk.datasets.load_demo().records), "linear")
        >>> touched = result.by("quarter", measure="value")
        >>> [(quarter, round(value)) for quarter, value in touched.items()][:3]
        [('2025-Q1', 2557835), ('2025-Q2', 1941738), ('2025-Q3', 787887)]
        >>> won = result.by("conversion_quarter", measure="value")
        >>> list(won), won.currency
        (['2025-Q1', '2025-Q2', '2025-Q3', '2025-Q4', '2026-Q1', None], 'USD')
        >>> cents = [result.by(key, measure="cents").total for key in ("week", "conversion_year")]
        >>> cents == [result.to_cents().sum()] * 2  # to the cent, either way
        True

        Months of a timezone's calendar: a deal won on the evening of 31 March in New York is
        March's there, though April's in UTC, and one won early on 1 March (UTC) is February's.

        >>> march = "2025-03"
        >>> utc = result.by("conversion_month", measure="value")[march]
        >>> new_york = result.by("conversion_month", measure="value", tz="America/New_York")
        >>> round(utc), round(new_york[march])
        (256400, 243000)
        """
        _check_measure(measure)
        names = (key,) if isinstance(key, str) else tuple(key)
        if not names:
            msg = "by() needs at least one dimension"
            raise ParameterError(msg)
        columns = [dimension(self.journeys, name, tz) for name in names]
        sizes = [len(c.labels) + 1 for c in columns]  # slot 0 of each dimension: no label
        n_keys = int(np.prod(sizes, dtype=np.float64))
        keys: NDArray[np.int64]
        sums: NDArray[Any]
        if n_keys <= 4 * self.journeys.n_touches + 1024:
            keys, sums = self._dense_sums(columns, sizes, measure)
        else:  # many sparse combinations (e.g. journey x buyer): group only the ones present
            combined = combine(columns, sizes, 0, self.journeys.n_touches)
            keys, inverse = np.unique(combined, return_inverse=True)
            sums = _sum_by(inverse, self._measure(measure), keys.size)
        labels = decode_keys(keys, columns, sizes)
        items = [
            (label, round(amount) if measure == "cents" else amount)
            for label, amount in zip(labels, sums.tolist(), strict=True)
        ]
        items = ordered(items, names)
        currency = self.currency if measure != "conversions" else None
        return Credit(items, key if isinstance(key, str) else names, measure, currency)

    def _dense_sums(
        self, columns: list[Any], sizes: list[int], measure: str
    ) -> tuple[NDArray[np.int64], NDArray[Any]]:
        """Sums per combined key present, in slices of touches (bounded memory)."""
        n_keys = int(np.prod(sizes))
        totals: NDArray[Any] = np.zeros(n_keys, dtype=np.int64 if measure == "cents" else float)
        present = np.zeros(n_keys, dtype=np.int64)
        whole = self.to_cents() if measure == "cents" else None
        for start in range(0, self.journeys.n_touches, _SLICE):
            stop = min(start + _SLICE, self.journeys.n_touches)
            combined = combine(columns, sizes, start, stop)
            amounts = whole[start:stop] if whole is not None else self._slice(measure, start, stop)
            totals += _sum_by(combined, amounts, n_keys)
            present += np.bincount(combined, minlength=n_keys)
        used = np.flatnonzero(present)
        return used, totals[used]

    def _slice(self, measure: str, start: int, stop: int) -> NDArray[np.float64]:
        """Credited conversions or value of the touches ``start:stop``."""
        journey = self.journeys.journey_of_touch[start:stop]
        if measure == "conversions":
            amounts, shares = self.journeys.conversions, self.shares
        else:
            amounts = self.journeys.value
            shares = self.shares if self.value_shares is None else self.value_shares
        out = amounts[journey]
        out *= shares[start:stop]  # in place: one per-touch array, not two
        return out

    def share(self, key: Key = "channel", *, measure: Measure = "conversions") -> dict[Any, float]:
        """Each key's fraction of the credited total."""
        return self.by(key, measure=measure).share()

    # -- money -------------------------------------------------------------------------------------
    def to_cents(self) -> NDArray[np.int64]:
        """Credited value per touch in whole cents, adding up exactly.

        Each journey's value is rounded to the cent (half to even); for models that conserve per
        journey, each journey's touch cents then add up to it exactly by largest-remainder
        rounding, so every journey, every roll-up and the grand total add up to the cent. For
        models that only conserve totals, the touches' credit is scaled to the sum of the
        journeys' cents and the largest-remainder rounding runs over all touches, so the grand
        total in cents is the same under either kind of model.
        """
        journeys = self.journeys
        # The one integer target: each attributable journey's value in cents (half to even).
        target = np.rint(journeys.value * 100.0).astype(np.int64)
        target = np.where(journeys.converting & (journeys.lengths > 0), target, 0)
        exact = self.value_credit * 100.0
        per_journey = self._conserves_per_journey()
        if not per_journey and exact.sum() > 0:
            # Totals-only models: scale to the journeys' integer cents (a float sum of touch
            # credit rounds a half cent either way), so largest remainders only ever add cents.
            exact *= target.sum() / exact.sum()
        floors = np.floor(exact)
        remainder = exact - floors
        cents = floors.astype(np.int64)
        if per_journey:
            deficit = target - np.bincount(
                journeys.journey_of_touch, weights=cents, minlength=journeys.n_journeys
            ).astype(np.int64)
            # Within each journey, touches by largest remainder first (ties: earlier touch first).
            order = np.lexsort((np.arange(cents.size), -remainder, journeys.journey_of_touch))
            rank = np.empty(cents.size, dtype=np.int64)
            rank[order] = (
                np.arange(cents.size) - journeys.offsets[:-1][journeys.journey_of_touch[order]]
            )
            cents += (rank < deficit[journeys.journey_of_touch]).astype(np.int64)
        else:
            deficit_total = int(target.sum()) - int(cents.sum())
            order = np.lexsort((np.arange(cents.size), -remainder))
            cents[order[: max(deficit_total, 0)]] += 1
        return cents

    def _conserves_per_journey(self) -> bool:
        return tags_of(self.model).conserves == "journey"

    # -- tables ------------------------------------------------------------------------------------
    def to_frame(self, backend: Backend = "pandas") -> Any:
        """One row per touch: journey, position, every column, roles, share, credit and value.

        The touch's roles are boolean columns named by :class:`~journeykit.Milestone`
        (``first_touch``, ``lead_created``, ``opportunity_created``, ``closed_won``): whether the
        touch carries that milestone of its journey (path tables know only the first touch and,
        for converting paths, the last). Journeys without milestone flags have no role columns.

        Examples
        --------
        >>> import journeykit as jk
        >>> from journeykit.datasets import example_records
        >>> result = jk.attribute(jk.assemble(example_records()), "w_shaped")
        >>> frame = result.to_frame()
        >>> roles = ["first_touch", "lead_created", "opportunity_created", "closed_won"]
        >>> deal = frame[(frame["journey"] == "northwind-2024") & frame[roles].any(axis=1)]
        >>> print(deal[["channel", *roles, "share"]].to_string(index=False))
            channel  first_touch  lead_created  opportunity_created  closed_won    share
        paid_social         True         False                False       False 0.300000
              email        False          True                False       False 0.300000
          sdr_email        False          True                False       False 0.014286
               call        False         False                 True       False 0.300000
            meeting        False         False                False        True 0.014286

        Each buyer who became a lead flags a ``lead_created`` touch, so a deal of two leads has two.
        """
        journeys = self.journeys
        data: dict[str, Any] = {
            "journey": journeys.column("journey").values(),
            "position": journeys.position,
        }
        for name, column in journeys.columns.items():
            data[name] = column.values()
        if journeys.milestones is not None:
            for milestone in Milestone:
                data[milestone.value] = (journeys.milestones & milestone.bit) != 0
        data["share"] = self.shares
        data["conversions"] = self.credit
        data["value"] = self.value_credit
        return to_frame(data, backend)

    def plot(self, by: Key = "channel", *, measure: Measure = "conversions", ax: Any = None) -> Any:
        """Bar chart of credit by ``by`` (drawn by :func:`journeykit.plot.credit`); the Axes."""
        return draw(self, by, measure=measure, ax=ax)

    def __repr__(self) -> str:
        top = self.by("channel")
        lost = self.unattributed
        note = f", unattributed={lost['conversions']:g}" if lost["journeys"] else ""
        unit = f" {self.currency}" if self.currency is not None else ""
        return (
            f"Attribution(model={self.name!r}, journeys={self.journeys.n_journeys}, "
            f"conversions={self.total:.6g}, value={self.total_value:.6g}{unit}{note}, by channel: "
            + ", ".join(f"{_label(k)}={v:.4g}" for k, v in list(top.items())[:6])
            + (", ..." if len(top) > 6 else "")
            + ")"
        )

    def _repr_html_(self) -> str:
        credit = self.by("channel")
        value = self.by("channel", measure="value")
        unit = f" {html.escape(self.currency)}" if self.currency is not None else ""
        rows = "".join(
            f"<tr><td>{html.escape(_label(k))}</td><td style='text-align:right'>{v:,.4f}</td>"
            f"<td style='text-align:right'>{value[k]:,.2f}</td></tr>"
            for k, v in credit.items()
        )
        return (
            f"<p><b>{html.escape(self.name)}</b>: {self.journeys.n_journeys:,} journeys, "
            f"{self.total:,.4g} conversions, value {self.total_value:,.2f}{unit}</p>"
            f"<table><tr><th>channel</th><th>conversions</th><th>value</th></tr>{rows}</table>"
        )
