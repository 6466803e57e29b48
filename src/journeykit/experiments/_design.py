"""Designing a hold-out: deterministic assignment of units to arms, and the power of the test."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Mapping
from typing import Any, Final

import attrs
import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import optimize, stats

from journeykit.errors import Problem, ValidationError
from journeykit.experiments._text import duplicates

__all__ = ["Assignment", "Power", "assign", "power", "sample_size"]

_GOLDEN: Final = np.uint64(0x9E3779B97F4A7C15)
_MIX1: Final = np.uint64(0xBF58476D1CE4E5B9)
_MIX2: Final = np.uint64(0x94D049BB133111EB)
_CHUNK: Final = 1 << 14  # units hashed at once: temporaries stay in the CPU cache
MAX_UNITS: Final = 500_000_000
"""The most units :func:`assign` accepts (about 40 GB of IDs): a budget, not a hard limit."""


def _seed_of(salt: str) -> np.uint64:
    digest = hashlib.blake2b(salt.encode(), digest_size=8).digest()
    return np.uint64(int.from_bytes(digest, "little"))


def _finalise(h: NDArray[np.uint64]) -> NDArray[np.uint64]:
    """splitmix64's finaliser: every input bit moves every output bit (in place)."""
    h ^= h >> np.uint64(30)
    h *= _MIX1
    h ^= h >> np.uint64(27)
    h *= _MIX2
    h ^= h >> np.uint64(31)
    return h


def _keys(seed: np.uint64, width: int) -> NDArray[np.uint64]:
    """The start of every sum, then one odd 64-bit key per character position, from the salt."""
    keys = np.arange(1, width + 2, dtype=np.uint64) * _GOLDEN
    keys += seed
    return _finalise(keys) | np.uint64(1)


def unit_hash(units: ArrayLike, salt: str) -> NDArray[np.uint64]:
    """A 64-bit hash of each unit's ID (its ``str``) under ``salt``, vectorised with numpy.

    A multilinear hash: the sum of each character's code point times a key of its position
    (odd 64-bit keys drawn from the salt's BLAKE2b digest), then splitmix64's finaliser. A NUL
    code point adds nothing, so the padding of numpy's fixed-width strings does not change a
    unit's hash: it does not depend on the longest ID it is hashed with.

    Examples
    --------
    >>> a = unit_hash(["acct-1", "acct-22"], "q3")
    >>> b = unit_hash(["acct-1"], "q3")
    >>> bool(a[0] == b[0]), bool(a[0] == unit_hash(["acct-1"], "q4")[0])
    (True, False)
    """
    ids = np.asarray(units)
    if ids.dtype.kind != "U":
        ids = ids.astype(str)
    ids = ids.reshape(-1)
    width = ids.dtype.itemsize // 4
    keys = _keys(_seed_of(salt), width)
    out = np.full(ids.size, keys[0], dtype=np.uint64)
    points = ids.view(np.uint32).reshape(ids.size, width) if width else None
    term = np.empty(_CHUNK, dtype=np.uint64)
    for start in range(0, ids.size if points is not None else 0, _CHUNK):
        assert points is not None  # width > 0 here
        part = points[start : start + _CHUNK]
        h, t = out[start : start + part.shape[0]], term[: part.shape[0]]
        for j in range(width):  # in place, in cache-sized chunks: no 10M-row temporaries
            np.multiply(part[:, j], keys[j + 1], out=t, casting="unsafe")
            h += t
    return _finalise(out)


def _uniform(h: NDArray[np.uint64]) -> NDArray[np.float64]:
    """The top 53 bits of each hash as a float in [0, 1)."""
    return (h >> np.uint64(11)).astype(np.float64) * (1.0 / (1 << 53))


@attrs.frozen(eq=False, repr=False)
class Assignment(Mapping[str, str]):
    """Which arm each unit is in: a read-only mapping from unit ID to arm name.

    Attributes
    ----------
    units : array of str
        The unit IDs, in the order given.
    codes : array of int8
        Each unit's arm as an index into :attr:`arms`.
    arms : tuple of str
        The arm names.
    fractions : dict of str to float
        The share of units each arm was asked for.
    salt : str
        The salt of the hash: the same salt puts the same unit in the same arm.
    """

    units: NDArray[np.str_]
    codes: NDArray[np.int8]
    arms: tuple[str, ...]
    fractions: Mapping[str, float]
    salt: str
    _index: dict[str, int] = attrs.field(init=False, factory=dict)

    def __getitem__(self, unit: str) -> str:
        if not self._index:
            self._index.update((u, i) for i, u in enumerate(self.units.tolist()))
        return self.arms[int(self.codes[self._index[unit]])]

    def __iter__(self) -> Iterator[str]:
        return iter(self.units.tolist())

    def __len__(self) -> int:
        return int(self.units.size)

    @property
    def arm(self) -> NDArray[np.str_]:
        """Each unit's arm name, aligned with :attr:`units`."""
        return np.asarray(self.arms)[self.codes]

    def counts(self) -> dict[str, int]:
        """Units per arm."""
        counts = np.bincount(self.codes, minlength=len(self.arms))
        return {a: int(n) for a, n in zip(self.arms, counts, strict=True)}

    def to_frame(self, backend: str = "pandas") -> Any:
        """Two columns, ``unit`` and ``arm``, to write back to the CRM."""
        from journeykit._frames import to_frame  # noqa: PLC0415

        return to_frame({"unit": self.units, "arm": self.arm}, backend)  # type: ignore[arg-type]

    def __repr__(self) -> str:
        counts = ", ".join(f"{a}={n:,}" for a, n in self.counts().items())
        return f"Assignment({len(self):,} units, salt={self.salt!r}: {counts})"


def _arms(arms: Mapping[str, float], rest: str) -> dict[str, float]:
    problems = []
    for name, fraction in arms.items():
        if not isinstance(name, str) or not name:
            problems.append(Problem("assign", "arms", f"arm names must be non-empty ({name!r})"))
        if not isinstance(fraction, float | int) or not 0.0 < fraction <= 1.0:
            problems.append(
                Problem("assign", "arms", f"{name}: fraction must be in (0, 1] (got {fraction!r})")
            )
    total = float(sum(float(f) for f in arms.values())) if not problems else 0.0
    if total > 1.0 + 1e-9:
        problems.append(Problem("assign", "arms", f"fractions must sum to <= 1 (got {total:g})"))
    if not arms:
        problems.append(Problem("assign", "arms", "must name at least one arm"))
    if rest in arms and total < 1.0 - 1e-9:
        problems.append(Problem("assign", "rest", f"{rest!r} is also one of the arms"))
    if problems:
        raise ValidationError(problems)
    out = {name: float(f) for name, f in arms.items()}
    if total < 1.0 - 1e-9:
        out[rest] = 1.0 - total
    return out


def assign(
    units: ArrayLike,
    *,
    arms: Mapping[str, float] | None = None,
    salt: str,
    strata: ArrayLike | None = None,
    rest: str = "treatment",
) -> Assignment:
    """Assign units (accounts, buyers) to arms by a salted hash of their IDs.

    Without ``strata`` a unit's arm depends only on its ID and ``salt``: the same unit always
    lands in the same arm, whatever the other units and their order, so the assignment can be
    recomputed anywhere and new units join without moving old ones. With ``strata`` each stratum's
    units are ranked by their hash and the arms get exactly their share of every stratum
    (largest-remainder rounding), which balances them on the strata; a unit's arm then also
    depends on the other units of its stratum (still not on their order).

    Parameters
    ----------
    units : array-like of str (or int)
        The unit IDs, each once.
    arms : mapping of str to float
        Each arm's share of units, in (0, 1], summing to at most 1 (default ``{"holdout": 0.1}``).
    salt : str
        Names the experiment; use a new salt for every new experiment, so that the same units
        are not held out of everything.
    strata : array-like, optional
        A label per unit (e.g. its segment) to balance the arms within.
    rest : str
        The arm that takes the share left over (default ``"treatment"``).

    Returns
    -------
    Assignment
        A mapping from unit to arm, with ``to_frame()`` and ``counts()``.

    Raises
    ------
    ValidationError
        For a duplicated or empty unit ID, bad arms, or strata of the wrong length.

    Notes
    -----
    The hash (:func:`unit_hash`) is a salted multilinear hash of the ID's characters finished by
    splitmix64's mixer, computed with numpy over a fixed-width view of the IDs (10 million IDs in
    a few seconds). IDs are compared as numpy strings, which drop trailing NUL characters.

    Examples
    --------
    >>> from journeykit.experiments import assign
    >>> ids = [f"acct-{i}" for i in range(10_000)]
    >>> plan = assign(ids, arms={"holdout": 0.1}, salt="webinar-2025")
    >>> plan
    Assignment(10,000 units, salt='webinar-2025': holdout=1,009, treatment=8,991)
    >>> plan["acct-7"] == assign(["acct-7"], salt="webinar-2025")["acct-7"]
    True
    >>> segments = ["smb", "enterprise"] * 5_000
    >>> balanced = assign(ids, salt="webinar-2025", strata=segments)
    >>> balanced.counts()
    {'holdout': 1000, 'treatment': 9000}
    """
    fractions = _arms({"holdout": 0.1} if arms is None else arms, rest)
    ids = np.asarray(units)
    if ids.dtype.kind != "U":
        ids = ids.astype(str)
    ids = ids.reshape(-1)
    if ids.size > MAX_UNITS:
        raise ValidationError(
            [Problem("assign", "units", f"{ids.size:,} units exceed the budget of {MAX_UNITS:,}")]
        )
    empty = np.flatnonzero(ids == "")
    if empty.size:
        raise ValidationError([Problem(f"row {int(empty[0])}", "units", "the unit ID is empty")])
    h = unit_hash(ids, salt)
    duplicated = sorted({str(ids[a]) for a, _ in duplicates(ids, h)})
    if duplicated:
        raise ValidationError(
            [Problem(f"unit {u!r}", "units", "appears more than once") for u in duplicated[:20]]
        )
    names = tuple(fractions)
    bounds = np.cumsum([fractions[a] for a in names])
    bounds[-1] = 1.0  # rounding of the shares must not leave a sliver unassigned
    if strata is None:
        codes = np.searchsorted(bounds, _uniform(h), side="right").astype(np.int8)
    else:
        codes = _stratified(h, np.asarray(strata), bounds, ids.size)
    return Assignment(ids, codes, names, fractions, salt)


def _stratified(
    h: NDArray[np.uint64], strata: NDArray[Any], bounds: NDArray[np.float64], n: int
) -> NDArray[np.int8]:
    if strata.shape != (n,):
        raise ValidationError(
            [Problem("assign", "strata", f"needs one label per unit ({n}), got {strata.shape}")]
        )
    _, stratum = np.unique(strata, return_inverse=True)
    order = np.lexsort((h, stratum))  # each stratum's units ranked by hash
    sizes = np.bincount(stratum)
    starts = np.concatenate(([0], np.cumsum(sizes)[:-1]))
    rank = np.empty(n, dtype=np.int64)
    rank[order] = np.arange(n) - starts[stratum[order]]
    # cut points per stratum: rounded cumulative shares, so every arm gets its share of each
    cuts = np.rint(sizes[:, None] * bounds[None, :]).astype(np.int64)
    codes: NDArray[np.int8] = (rank[:, None] >= cuts[stratum]).sum(axis=1).astype(np.int8)
    return codes


# -- power -----------------------------------------------------------------------------------------


@attrs.frozen
class Power:
    """What a hold-out of a given size can detect.

    Attributes
    ----------
    units : int
        Units in the test (both arms).
    holdout : float
        The share held out.
    baseline : float
        The held-out arm's conversion rate, or its mean value per unit.
    sd : float or None
        The standard deviation of value per unit (``None`` for conversion rates).
    alpha, power : float
        Two-sided significance level and the probability of detecting the effect.
    minimum_detectable_lift : float
        The smallest absolute difference (treated minus held out) detected with ``power``.
    """

    units: int
    holdout: float
    baseline: float
    sd: float | None
    alpha: float
    power: float
    minimum_detectable_lift: float

    @property
    def relative(self) -> float:
        """The minimum detectable lift relative to the baseline."""
        return self.minimum_detectable_lift / self.baseline if self.baseline else float("inf")

    def __str__(self) -> str:
        what = "conversion rate" if self.sd is None else "value per unit"
        return (
            f"With {self.units:,} units ({self.holdout:.0%} held out), a {what} lift of "
            f"{self.minimum_detectable_lift:.4g} ({self.relative:+.1%} on {self.baseline:.4g}) "
            f"is detected with {self.power:.0%} power at alpha {self.alpha:g}."
        )


def _check_design(
    holdout: float, alpha: float, power: float, baseline: float, sd: float | None
) -> None:
    problems = []
    for name, v in (("holdout", holdout), ("alpha", alpha), ("power", power)):
        if not 0.0 < v < 1.0:
            problems.append(Problem("power", name, f"must be in (0, 1) (got {v!r})"))
    if sd is None and not 0.0 < baseline < 1.0:
        problems.append(
            Problem("power", "baseline", f"a conversion rate must be in (0, 1) (got {baseline!r})")
        )
    if sd is not None and not (np.isfinite(sd) and sd > 0):
        problems.append(Problem("power", "sd", f"must be finite and > 0 (got {sd!r})"))
    if problems:
        raise ValidationError(problems)


def power_of(
    units: float,
    lift: float,
    *,
    baseline: float,
    sd: float | None = None,
    holdout: float = 0.1,
    alpha: float = 0.05,
) -> float:
    """The probability that a two-sided test at ``alpha`` detects ``lift`` with ``units`` units.

    Conversion rates (``sd=None``): the normal test of two proportions, the null variance pooled
    (as R's ``power.prop.test``, generalised to unequal arms). Values: the two-sample t-test's
    noncentral t distribution with a common ``sd`` (as R's ``power.t.test``). Only the tail in
    the direction of the lift counts.

    Examples
    --------
    >>> round(power_of(100, 0.25, baseline=0.5, holdout=0.5), 7)   # R: power.prop.test(n=50, ...)
    0.7401659
    """
    n_c, n_t = units * holdout, units * (1.0 - holdout)
    delta = abs(lift)
    if sd is None:
        p1, p2 = baseline, baseline + lift
        pooled = (n_c * p1 + n_t * p2) / units
        se0 = np.sqrt(pooled * (1 - pooled) * (1 / n_c + 1 / n_t))
        se1 = np.sqrt(p1 * (1 - p1) / n_c + p2 * (1 - p2) / n_t)
        z = stats.norm.ppf(1 - alpha / 2)
        return float(stats.norm.cdf((delta - z * se0) / se1))
    df = n_c + n_t - 2
    ncp = delta / (sd * np.sqrt(1 / n_c + 1 / n_t))
    t = stats.t.ppf(1 - alpha / 2, df)
    return float(stats.nct.sf(t, df, ncp))


def power(
    units: int,
    *,
    baseline: float,
    sd: float | None = None,
    holdout: float = 0.1,
    alpha: float = 0.05,
    power: float = 0.8,
) -> Power:
    """The minimum detectable lift of a hold-out test with ``units`` units.

    Parameters
    ----------
    units : int
        Units in the test, both arms together.
    baseline : float
        Without ``sd``: the conversion rate the held-out arm is expected to have. With ``sd``:
        the expected value per held-out unit.
    sd : float, optional
        Standard deviation of value per unit (zeros of units that do not convert included);
        measure it on a past period.
    holdout : float
        The share of units held out.
    alpha : float
        Two-sided significance level.
    power : float
        The probability of detecting a lift of the size returned.

    Returns
    -------
    Power
        With ``minimum_detectable_lift`` (absolute; ``.relative`` for relative).

    See Also
    --------
    sample_size : the units needed for a given lift.

    Examples
    --------
    >>> from journeykit.experiments import power
    >>> design = power(20_000, baseline=0.05, holdout=0.1)
    >>> round(design.minimum_detectable_lift, 4), f"{design.relative:.0%}"
    (0.0157, '31%')
    >>> print(design)
    With 20,000 units (10% held out), a conversion rate lift of 0.0157 (+31.4% on 0.05) is
    detected with 80% power at alpha 0.05.
    """
    _check_design(holdout, alpha, power, baseline, sd)
    _check_units(units)
    target = power

    def gap(lift: float) -> float:
        return (
            power_of(units, lift, baseline=baseline, sd=sd, holdout=holdout, alpha=alpha) - target
        )

    high = (1.0 - baseline) if sd is None else 100.0 * sd
    if gap(high) < 0:
        raise ValidationError(
            [Problem("power", "units", f"{units:,} units cannot reach {power:.0%} power")]
        )
    lift = optimize.brentq(gap, 1e-12 * (high or 1.0), high, xtol=1e-12, rtol=1e-12)
    return Power(units, holdout, baseline, sd, alpha, power, float(lift))


def _check_units(units: int) -> None:
    if isinstance(units, bool) or not isinstance(units, int | np.integer) or units < 4:
        raise ValidationError([Problem("power", "units", f"must be an int >= 4 (got {units!r})")])


def sample_size(
    lift: float,
    *,
    baseline: float,
    sd: float | None = None,
    holdout: float = 0.1,
    alpha: float = 0.05,
    power: float = 0.8,
    relative: bool = False,
) -> int:
    """The units (both arms) a hold-out test needs to detect ``lift``.

    Parameters are those of :func:`power`; ``lift`` is absolute (treated minus held out) unless
    ``relative=True``, where it is a fraction of ``baseline``.

    Examples
    --------
    >>> from journeykit.experiments import sample_size
    >>> sample_size(0.25, baseline=0.5, holdout=0.5, power=0.9)   # R: n = 76.65 per group
    154
    >>> sample_size(0.10, baseline=0.05, relative=True)            # a 10% lift on 5%
    175955
    """
    _check_design(holdout, alpha, power, baseline, sd)
    delta = lift * baseline if relative else lift
    if not np.isfinite(delta) or delta == 0 or (sd is None and not 0 < baseline + delta < 1):
        raise ValidationError(
            [
                Problem(
                    "sample_size", "lift", f"must be non-zero and keep rates in (0, 1) ({lift!r})"
                )
            ]
        )
    target = power

    def gap(n: float) -> float:
        return power_of(n, delta, baseline=baseline, sd=sd, holdout=holdout, alpha=alpha) - target

    low, high = 4.0 / min(holdout, 1 - holdout), 1e3
    while gap(high) < 0:
        high *= 10.0
        if high > 1e15:
            raise ValidationError([Problem("sample_size", "lift", f"{lift!r} is too small")])
    if gap(low) >= 0:
        return int(np.ceil(low))
    n = optimize.brentq(gap, low, high, xtol=1e-9, rtol=1e-12)
    return int(np.ceil(n - 1e-9))
