"""Reading a hold-out: per arm, the lift in conversion rate and value per unit, with intervals."""

from __future__ import annotations

import html
from collections.abc import Iterator, Mapping, Sequence
from typing import Any, Final, Literal

import attrs
import numpy as np
from numpy.typing import NDArray
from scipy import stats

from journeykit._choices import choice_message
from journeykit._display import draw
from journeykit.errors import Problem, ValidationError
from journeykit.experiments._text import Text, duplicates, fingerprint, text_at, text_of

__all__ = ["Analysis", "Estimate", "Lift", "SampleRatio", "analyze"]

Method = Literal["auto", "welch", "bootstrap"]
BOOTSTRAP_UNITS: Final = 20_000
"""``method="auto"`` bootstraps value per unit up to this many units; above it, Welch's interval
(with this many units the mean of even heavy-tailed deal values is close to normal)."""
MAX_BOOTSTRAP_DRAWS: Final = 2_000_000_000
"""The budget of resampled units (replicates times units) of one bootstrap."""
SRM_ALPHA: Final = 0.001
"""A sample-ratio test below this p-value reports a mismatch."""
_BOOT_CHUNK: Final = 1 << 22  # resampled units at once


@attrs.frozen
class Estimate:
    """A point estimate with its 95% interval (``low``, ``high``)."""

    estimate: float
    low: float
    high: float

    def scaled(self, factor: float) -> Estimate:
        """The estimate and its interval multiplied by ``factor`` (> 0)."""
        return Estimate(self.estimate * factor, self.low * factor, self.high * factor)

    def __contains__(self, value: float) -> bool:
        return self.low <= value <= self.high

    def __str__(self) -> str:
        return f"{self.estimate:.4g} [{self.low:.4g}, {self.high:.4g}]"


@attrs.frozen
class SampleRatio:
    """The sample-ratio check: whether the arms' sizes are those the design asked for.

    A chi-square goodness-of-fit test of the units per arm against the design's fractions. A
    mismatch (p below :data:`SRM_ALPHA`) means assignment or data collection is broken (units lost
    from one arm, a filter that depends on the arm): the lifts cannot be trusted until it is found.
    """

    observed: Mapping[str, int]
    expected: Mapping[str, float]
    statistic: float
    p_value: float

    @property
    def mismatch(self) -> bool:
        """Whether the arms' sizes are implausible under the design."""
        return self.p_value < SRM_ALPHA

    def __str__(self) -> str:
        verdict = "MISMATCH" if self.mismatch else "ok"
        return f"sample ratio {verdict} (chi2={self.statistic:.3g}, p={self.p_value:.3g})"


@attrs.frozen
class Lift:
    """What a treated arm gained over the control (held-out) arm.

    Attributes
    ----------
    arm, control : str
        The treated arm and the control arm.
    units, control_units : int
        Units in each.
    conversion_rate : Estimate
        Treated minus control conversion rate, with its 95% Welch interval.
    value_per_unit : Estimate
        Treated minus control value per unit, with its 95% interval (Welch or bootstrap-t, see
        ``method``).
    relative : float
        The lift in value per unit relative to the control's (NaN when the control has none).
    relative_conversion : float
        The lift in conversion rate relative to the control's.
    p_value, conversion_p_value : float
        Two-sided Welch p-values of no difference in value per unit and in conversion rate.
    incremental_conversions, incremental_value : Estimate
        The differences scaled to the treated arm's units: what the treatment added to it.
    control_rate, control_value : float
        The control arm's conversion rate and value per unit.
    variance_removed : float or None
        With covariates: the share of value-per-unit variance the adjustment removed.
    method : str
        ``"welch"`` or ``"bootstrap"`` (the value interval's method).
    """

    arm: str
    control: str
    units: int
    control_units: int
    conversion_rate: Estimate
    value_per_unit: Estimate
    relative: float
    relative_conversion: float
    p_value: float
    conversion_p_value: float
    incremental_conversions: Estimate
    incremental_value: Estimate
    control_rate: float
    control_value: float
    variance_removed: float | None
    method: str

    def __str__(self) -> str:
        adjusted = (
            f", covariates removed {self.variance_removed:.0%} of the variance"
            if self.variance_removed is not None
            else ""
        )
        return (
            f"{self.arm} vs {self.control} ({self.units:,} vs {self.control_units:,} units): "
            f"conversion rate {self.conversion_rate} (p={self.conversion_p_value:.3g}), "
            f"value per unit {self.value_per_unit} ({self.relative:+.1%}, p={self.p_value:.3g}, "
            f"{self.method}), incremental value {self.incremental_value}{adjusted}"
        )


@attrs.frozen(repr=False)
class Analysis(Mapping[str, Lift]):
    """The lifts of every treated arm over the control arm, by arm name.

    Attributes
    ----------
    control : str
        The control arm.
    units : dict of str to int
        Units per arm.
    sample_ratio : SampleRatio or None
        The sample-ratio check, when the design's fractions were given.
    """

    lifts: Mapping[str, Lift]
    control: str
    units: Mapping[str, int]
    sample_ratio: SampleRatio | None

    def __getitem__(self, arm: str) -> Lift:
        return self.lifts[arm]

    def __iter__(self) -> Iterator[str]:
        return iter(self.lifts)

    def __len__(self) -> int:
        return len(self.lifts)

    def to_frame(self, backend: str = "pandas") -> Any:
        """One row per treated arm and metric: estimate, low, high, relative, p-value."""
        from journeykit._frames import to_frame  # noqa: PLC0415

        rows: dict[str, list[Any]] = {
            k: [] for k in ("arm", "metric", "estimate", "low", "high", "relative", "p_value")
        }
        for lift in self.lifts.values():
            for metric, est, rel, p in (
                ("conversion_rate", lift.conversion_rate, lift.relative_conversion,
                 lift.conversion_p_value),
                ("value_per_unit", lift.value_per_unit, lift.relative, lift.p_value),
                ("incremental_conversions", lift.incremental_conversions,
                 lift.relative_conversion, lift.conversion_p_value),
                ("incremental_value", lift.incremental_value, lift.relative, lift.p_value),
            ):  # fmt: skip
                for key, v in zip(
                    rows, (lift.arm, metric, est.estimate, est.low, est.high, rel, p), strict=True
                ):
                    rows[key].append(v)
        return to_frame(rows, backend)  # type: ignore[arg-type]

    def plot(self, *, ax: Any = None) -> Any:
        """Each arm's incremental value with its 95% interval (see journeykit.plot.lifts)."""
        return draw(self, ax=ax)

    def __repr__(self) -> str:
        units = ", ".join(f"{a}={n:,}" for a, n in self.units.items())
        lines = [f"Analysis(control={self.control!r}, units: {units})"]
        lines += [f"  {lift}" for lift in self.lifts.values()]
        if self.sample_ratio is not None:
            lines.append(f"  {self.sample_ratio}")
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        rows = "".join(
            f"<tr><td>{html.escape(a)}</td><td>{html.escape(str(x.conversion_rate))}</td>"
            f"<td>{html.escape(str(x.value_per_unit))}</td>"
            f"<td>{html.escape(str(x.incremental_value))}</td><td>{x.p_value:.3g}</td></tr>"
            for a, x in self.lifts.items()
        )
        head = (
            "<tr><th>arm</th><th>conversion rate lift</th><th>value per unit lift</th>"
            "<th>incremental value</th><th>p</th></tr>"
        )
        return f"<table>{head}{rows}</table>"


# -- reading the table -----------------------------------------------------------------------------


def _columns(units: Any, names: Sequence[str], text: Sequence[str] = ()) -> dict[str, NDArray[Any]]:
    """The named columns of a mapping of arrays or of a pandas / polars / pyarrow frame.

    A frame's string columns named in ``text`` stay Arrow arrays: ten million IDs turned into
    Python strings (``to_numpy``) would cost more than the whole analysis.
    """
    data: dict[str, Any]
    if isinstance(units, Mapping):
        missing = [n for n in names if n not in units]
        data = {n: np.asarray(units[n]) for n in names if n in units}
    else:
        import narwhals.stable.v2 as nw  # noqa: PLC0415  # frames are optional

        frame = nw.from_native(units, eager_only=True)
        missing = [n for n in names if n not in frame.columns]
        data = {}
        for n in names:
            if n in frame.columns:
                arrow = text_of(frame[n]) if n in text else None
                data[n] = arrow if arrow is not None else frame[n].to_numpy()
    if missing:
        raise ValidationError(
            [Problem("units", n, "is not a column of the units table") for n in missing]
        )
    sizes = {n: (len(a),) if not isinstance(a, np.ndarray) else a.shape for n, a in data.items()}
    if len({s[0] if s else -1 for s in sizes.values()}) > 1 or any(
        len(s) != 1 for s in sizes.values()
    ):
        raise ValidationError(
            [Problem("units", "", f"columns must be 1-D of one length ({sizes})")]
        )
    return data


def _label(ids: Text | None, row: int) -> str:
    return f"unit {text_at(ids, row)!r}" if ids is not None else f"row {row}"


_FEW: Final = 64  # up to this many distinct labels are found by comparison, not by sorting


def _factorize(labels: Text) -> tuple[NDArray[np.intp], list[str]]:
    """Codes and names of labels in order of first appearance (no sort of 10M strings).

    Labels are grouped by their 64-bit fingerprints (:func:`fingerprint`): comparing integers
    is several times faster than comparing strings, and two of a column's few labels collide
    with probability about 2**-64.
    """
    h = fingerprint(labels)
    codes = np.full(h.size, -1, dtype=np.intp)
    names: list[str] = []
    start = 0
    while start < h.size and len(names) < _FEW:  # few arms: one comparison pass each
        codes[h == h[start]] = len(names)
        names.append(text_at(labels, start))
        left = np.flatnonzero(codes[start:] < 0)
        start = start + int(left[0]) if left.size else h.size
    if start < h.size:  # many labels (e.g. a categorical covariate): sort hashes once
        keys, first, inverse = np.unique(h, return_index=True, return_inverse=True)
        order = np.argsort(first)
        rank = np.empty(keys.size, dtype=np.intp)
        rank[order] = np.arange(keys.size)
        return rank[inverse.reshape(-1)], [text_at(labels, int(first[i])) for i in order]
    return codes, names


def _finite(data: dict[str, NDArray[Any]], field: str, ids: Text | None) -> NDArray[np.float64]:
    try:
        values = data[field].astype(np.float64)
    except (TypeError, ValueError):
        raise ValidationError([Problem("units", field, "must be numeric")]) from None
    bad = np.flatnonzero(~np.isfinite(values))
    if bad.size:
        raise ValidationError(
            [Problem(_label(ids, int(r)), field, "is NaN or infinite") for r in bad[:20]]
        )
    return values


def _covariate(data: dict[str, NDArray[Any]], field: str, ids: Text | None) -> NDArray[np.float64]:
    """A numeric covariate as one column; a categorical one as indicators (first level dropped)."""
    if data[field].dtype.kind in "OUS":
        codes, levels = _factorize(data[field])
        indicators: NDArray[np.float64] = (codes[:, None] == np.arange(1, len(levels))).astype(
            np.float64
        )
        return indicators
    return _finite(data, field, ids)[:, None]


def _check_units(ids: Text, codes: NDArray[np.intp], names: list[str], unit: str) -> None:
    problems = []
    for a, b in duplicates(ids, fingerprint(ids))[:20]:
        arms = sorted({names[codes[a]], names[codes[b]]})
        where = "in arms " + " and ".join(map(repr, arms)) if len(arms) > 1 else "twice"
        problems.append(Problem(_label(ids, a), unit, f"appears {where}"))
    if problems:
        raise ValidationError(problems)


# -- statistics ------------------------------------------------------------------------------------


def _welch(
    m: NDArray[np.float64], v: NDArray[np.float64], n: NDArray[np.float64], t: int, c: int
) -> tuple[Estimate, float]:
    diff = float(m[t] - m[c])
    a, b = v[t] / n[t], v[c] / n[c]
    se = float(np.sqrt(a + b))
    if se == 0.0:
        return Estimate(diff, diff, diff), (1.0 if diff == 0 else 0.0)
    df = float((a + b) ** 2 / (a**2 / (n[t] - 1) + b**2 / (n[c] - 1)))
    q = float(stats.t.ppf(0.975, df))
    p = float(2 * stats.t.sf(abs(diff) / se, df))
    return Estimate(diff, diff - q * se, diff + q * se), p


def _resampled_moments(
    values: NDArray[np.float64], n_boot: int, rng: np.random.Generator
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Mean and variance of the mean of ``n_boot`` resamples of ``values``, in bounded chunks."""
    n = values.size
    means = np.empty(n_boot)
    var_of_mean = np.empty(n_boot)
    per = max(1, _BOOT_CHUNK // n)
    for start in range(0, n_boot, per):
        stop = min(start + per, n_boot)
        draw = values[rng.integers(0, n, size=(stop - start, n))]
        means[start:stop] = draw.mean(axis=1)
        var_of_mean[start:stop] = draw.var(axis=1, ddof=1) / n
    return means, var_of_mean


def _bootstrap_t(
    treated: NDArray[np.float64],
    control: NDArray[np.float64],
    n_boot: int,
    seed: int,
) -> Estimate:
    """Studentised bootstrap interval of the difference of means (corrects for skew)."""
    rng = np.random.default_rng(seed)
    diff = float(treated.mean() - control.mean())
    se = float(np.sqrt(treated.var(ddof=1) / treated.size + control.var(ddof=1) / control.size))
    if se == 0.0:
        return Estimate(diff, diff, diff)
    mt, vt = _resampled_moments(treated, n_boot, rng)
    mc, vc = _resampled_moments(control, n_boot, rng)
    se_star = np.sqrt(vt + vc)
    ok = se_star > 0
    t_star = (mt - mc - diff)[ok] / se_star[ok]
    lo_q, hi_q = np.quantile(t_star, [0.025, 0.975])
    return Estimate(diff, diff - float(hi_q) * se, diff - float(lo_q) * se)


def _adjust(
    y: NDArray[np.float64], x: NDArray[np.float64], codes: NDArray[np.intp], k: int
) -> tuple[NDArray[np.float64], float]:
    """CUPED / regression adjustment: ``y - (x - mean x) theta``, theta pooled within arms.

    Returns the adjusted outcome and the share of within-arm variance it removed.
    """
    n_arm = np.bincount(codes, minlength=k).astype(np.float64)
    xc = x - (np.stack([np.bincount(codes, x[:, j], k) for j in range(x.shape[1])], 1)
              / n_arm[:, None])[codes]  # fmt: skip
    yc = y - (np.bincount(codes, y, k) / n_arm)[codes]
    theta, *_ = np.linalg.lstsq(xc, yc, rcond=None)
    adjusted = y - (x - x.mean(axis=0)) @ theta
    before = float(yc @ yc)
    residual = yc - xc @ theta
    removed = 1.0 - float(residual @ residual) / before if before > 0 else 0.0
    return adjusted, removed


def analyze(
    units: Any,
    *,
    arm: str = "arm",
    control: str = "holdout",
    converted: str = "converted",
    value: str = "value",
    covariates: Sequence[str] | None = None,
    unit: str | None = None,
    expected: Mapping[str, float] | None = None,
    method: Method = "auto",
    n_boot: int = 2000,
    seed: int = 0,
) -> Analysis:
    """Measure each treated arm's lift over the control arm of a hold-out test.

    Parameters
    ----------
    units : frame or mapping of column name to array
        One row per unit (pandas, polars or pyarrow frame, or a dict of arrays), e.g. from
        :func:`unit_table`.
    arm, converted, value : str
        Columns: the unit's arm; whether it converted (bool or 0/1, in the test period); its
        converted value (0 when it did not convert).
    control : str
        The control arm (the units held out).
    covariates : sequence of str, optional
        Columns known before the test (last year's value, the segment) for the CUPED / regression
        adjustment: the outcome minus its regression on the centred covariates, slope pooled
        within arms. Text columns enter as indicators of their levels. It leaves the estimates
        unbiased and narrows the intervals by the variance it removes.
    unit : str, optional
        The unit ID column: a unit on two rows (in two arms) is an error; errors name units.
    expected : mapping of str to float, optional
        The design's arm fractions (``Assignment.fractions``): enables the sample-ratio check, and
        an arm not in the design is an error.
    method : {"auto", "welch", "bootstrap"}
        The value-per-unit interval: Welch's t interval, or the studentised bootstrap, which
        respects the skew of deal values; ``"auto"`` bootstraps up to :data:`BOOTSTRAP_UNITS`.
    n_boot, seed : int
        Bootstrap replicates (>= 100; replicates times units within
        :data:`MAX_BOOTSTRAP_DRAWS`) and seed (the result is deterministic for a seed).

    Returns
    -------
    Analysis
        A mapping from each treated arm to its :class:`Lift`, with the sample-ratio check.

    Raises
    ------
    ValidationError
        A unit in two arms, an arm outside the design, an arm with fewer than two units, a
        missing control arm, NaN outcomes or a non-0/1 ``converted``: each problem names the unit
        (or row) and the column.

    Examples
    --------
    >>> import numpy as np
    >>> from journeykit.experiments import analyze
    >>> rng = np.random.default_rng(1)
    >>> arm = np.where(rng.random(20_000) < 0.1, "holdout", "treatment")
    >>> converted = rng.random(20_000) < np.where(arm == "holdout", 0.05, 0.06)
    >>> value = converted * rng.lognormal(9.0, 1.0, 20_000)
    >>> result = analyze({"arm": arm, "converted": converted, "value": value},
    ...                  expected={"holdout": 0.1, "treatment": 0.9})
    >>> lift = result["treatment"]
    >>> lift.conversion_rate                      # treated minus held out, 95% interval
    Estimate(estimate=0.0112..., low=0.0012..., high=0.0211...)
    >>> lift.method, lift.conversion_p_value < 0.05, result.sample_ratio.mismatch
    ('bootstrap', True, False)
    """
    method_problem = choice_message(method, Method)
    if method_problem is not None:
        raise ValidationError([Problem("analyze", "method", method_problem)])
    if isinstance(n_boot, bool) or not isinstance(n_boot, int) or n_boot < 100:
        raise ValidationError([Problem("analyze", "n_boot", f"must be an int >= 100 ({n_boot!r})")])
    names = [arm, converted, value, *(covariates or ()), *([unit] if unit else [])]
    data = _columns(units, names, text=[arm, *([unit] if unit else [])])
    ids = data[unit] if unit else None
    codes, arms = _factorize(data[arm])
    if ids is not None:
        _check_units(ids, codes, arms, unit or "")
    _check_arms(arms, codes, control, expected, ids=ids, column=arm)
    y_conv = _finite(data, converted, ids)
    not_binary = np.flatnonzero((y_conv != 0) & (y_conv != 1))
    if not_binary.size:
        raise ValidationError(
            [
                Problem(_label(ids, int(r)), converted, "must be 0/1 or bool")
                for r in not_binary[:20]
            ]
        )
    y_value = _finite(data, value, ids)
    k = len(arms)
    removed: float | None = None
    if covariates:
        x = np.column_stack([_covariate(data, c, ids) for c in covariates])
        y_conv, _ = _adjust(y_conv, x, codes, k)
        y_value, removed = _adjust(y_value, x, codes, k)
    n = np.bincount(codes, minlength=k).astype(np.float64)
    stats_of = {}
    for label, y in (("conv", y_conv), ("value", y_value)):
        mean = np.bincount(codes, y, k) / n
        dev = y - mean[codes]
        stats_of[label] = (mean, np.bincount(codes, dev * dev, k) / (n - 1))
    c = arms.index(control)
    use_boot = method == "bootstrap" or (method == "auto" and n.sum() <= BOOTSTRAP_UNITS)
    if use_boot and n_boot * n.sum() > MAX_BOOTSTRAP_DRAWS:
        raise ValidationError(
            [Problem("analyze", "n_boot", f"{n_boot} replicates of {int(n.sum()):,} units "
                     f"exceed the budget of {MAX_BOOTSTRAP_DRAWS:,} draws")]
        )  # fmt: skip
    order = np.argsort(codes, kind="stable") if use_boot else None
    bounds = np.concatenate(([0], np.cumsum(n).astype(np.int64)))
    lifts = {}
    for t, name in enumerate(arms):
        if t == c:
            continue
        conv, p_conv = _welch(*stats_of["conv"], n, t, c)
        val, p_val = _welch(*stats_of["value"], n, t, c)
        if use_boot:
            assert order is not None
            # sorted: the resamples depend on each arm's values, not on the rows' order
            treated, held = (np.sort(y_value[order[bounds[i] : bounds[i + 1]]]) for i in (t, c))
            val = _bootstrap_t(treated, held, n_boot, seed)
        m_conv, m_val = stats_of["conv"][0][c], stats_of["value"][0][c]
        lifts[name] = Lift(
            arm=name,
            control=control,
            units=int(n[t]),
            control_units=int(n[c]),
            conversion_rate=conv,
            value_per_unit=val,
            relative=float(val.estimate / m_val) if m_val else float("nan"),
            relative_conversion=float(conv.estimate / m_conv) if m_conv else float("nan"),
            p_value=p_val,
            conversion_p_value=p_conv,
            incremental_conversions=conv.scaled(float(n[t])),
            incremental_value=val.scaled(float(n[t])),
            control_rate=float(m_conv),
            control_value=float(m_val),
            variance_removed=removed,
            method="bootstrap" if use_boot else "welch",
        )
    counts = {a: int(x) for a, x in zip(arms, n, strict=True)}
    return Analysis(lifts, control, counts, _sample_ratio(counts, expected))


def _check_arms(
    arms: list[str],
    codes: NDArray[np.intp],
    control: str,
    expected: Mapping[str, float] | None,
    *,
    ids: Text | None,
    column: str,
) -> None:
    problems = []
    counts = np.bincount(codes, minlength=len(arms))
    if expected is not None:
        for i, name in enumerate(arms):
            if name not in expected:
                row = int(np.flatnonzero(codes == i)[0])
                problems.append(
                    Problem(_label(ids, row), column, f"unknown arm {name!r} (not in the design)")
                )
        problems += [
            Problem(f"arm {name!r}", column, "is empty: no unit was found in it")
            for name in expected
            if name not in arms
        ]
    if control not in arms and (expected is None or control in expected):
        problems.append(Problem(f"arm {control!r}", column, "the control arm has no unit"))
    for i, name in enumerate(arms):
        if counts[i] < 2:
            problems.append(Problem(f"arm {name!r}", column, "needs at least 2 units"))
    if len(arms) < 2 and not problems:
        problems.append(Problem("units", column, f"only one arm ({arms[0]!r}): nothing to compare"))
    if problems:
        raise ValidationError(problems)


def _sample_ratio(
    counts: Mapping[str, int], expected: Mapping[str, float] | None
) -> SampleRatio | None:
    if expected is None:
        return None
    names = list(expected)
    total_fraction = sum(expected.values())
    observed = np.array([counts.get(a, 0) for a in names], dtype=np.float64)
    want = observed.sum() * np.array([expected[a] / total_fraction for a in names])
    statistic, p = stats.chisquare(observed, want)
    return SampleRatio(
        {a: int(o) for a, o in zip(names, observed, strict=True)},
        dict(expected),
        float(statistic),
        float(p),
    )
