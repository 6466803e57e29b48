"""Is a group's shortfall a marketing problem or a sales problem? A documented, tunable rule."""

from __future__ import annotations

import math
from collections.abc import Mapping
from statistics import NormalDist
from typing import Any, Literal

import attrs

from journeykit._frames import Backend, to_frame
from journeykit.analytics.funnel import FunnelGroup, funnel
from journeykit.analytics.uncertainty import Interval
from journeykit.errors import ParameterError
from journeykit.records import Records

__all__ = ["Diagnosis", "Finding", "diagnose", "wilson"]

Verdict = Literal["marketing", "sales", "neither"]
_RATES = ("reach", "engagement", "close")


def wilson(successes: int, trials: int, *, level: float = 0.95) -> Interval:
    """The Wilson score interval of a proportion (NaN with no trials).

    Examples
    --------
    >>> interval = wilson(0, 20)
    >>> interval.estimate, round(interval.high, 3)
    (0.0, 0.161)
    """
    if trials == 0:
        return Interval(math.nan, math.nan, math.nan)
    z = NormalDist().inv_cdf(0.5 + level / 2)
    p = successes / trials
    centre = (p + z * z / (2 * trials)) / (1 + z * z / trials)
    half = (
        z * math.sqrt(p * (1 - p) / trials + z * z / (4 * trials * trials)) / (1 + z * z / trials)
    )
    # at p = 0 or 1 the bound is exactly 0 or 1; rounding must not make 100% look below 100%
    low = 0.0 if successes == 0 else max(0.0, centre - half)
    high = 1.0 if successes == trials else min(1.0, centre + half)
    return Interval(p, low, high)


@attrs.frozen
class Finding:
    """The verdict for one group, with its evidence."""

    group: str
    verdict: Verdict
    rates: dict[
        str, Interval
    ]  # reach (reached / units), engagement (engaged / reached), close (won / engaged)
    benchmarks: dict[str, float]  # what each rate was compared with
    explanation: str


@attrs.frozen(eq=False)
class Diagnosis:
    """Findings per group (see :func:`diagnose` for the rule)."""

    by: str
    findings: dict[str, Finding]

    def to_frame(self, backend: Backend = "pandas") -> Any:
        """One row per group: verdict, each rate with its interval and benchmark, explanation."""
        data: dict[str, list[Any]] = {"group": [], "verdict": []}
        for name in _RATES:
            for part in ("", "_low", "_high", "_benchmark"):
                data[f"{name}{part}"] = []
        data["explanation"] = []
        for finding in self.findings.values():
            data["group"].append(finding.group)
            data["verdict"].append(finding.verdict)
            for name in _RATES:
                rate = finding.rates[name]
                data[name].append(rate.estimate)
                data[f"{name}_low"].append(rate.low)
                data[f"{name}_high"].append(rate.high)
                data[f"{name}_benchmark"].append(finding.benchmarks[name])
            data["explanation"].append(finding.explanation)
        return to_frame(data, backend)

    def __repr__(self) -> str:
        return "\n".join(
            [f"Diagnosis(by={self.by!r})", *(f"  {f.explanation}" for f in self.findings.values())]
        )


def diagnose(
    records: Records,
    *,
    by: str = "persona",
    targets: Mapping[str, float] | None = None,
    tolerance: float = 1.0,
    level: float = 0.95,
    engaged_touches: int = 2,
) -> Diagnosis:
    """Classify each group's shortfall as a marketing problem, a sales problem, or neither.

    For each group (accounts, and buyers without one, grouped ``by`` persona or an account field)
    three rates come from the funnel, each with a Wilson interval at ``level``: *reach* (units
    reached of all units), *engagement* (engaged of reached) and *close* (won of engaged). Each is
    compared with a benchmark: ``targets[name]`` when given, else the same rate pooled over the
    other groups.

    The rule: a group is a **marketing problem** when it was never reached, or when the upper end
    of its reach or engagement interval lies below ``tolerance`` times the benchmark (too few
    reached or engaged, beyond doubt). Otherwise it is a **sales problem** when the upper end of its
    close interval lies below ``tolerance`` times the benchmark (reached and engaged, but not
    closing). Otherwise **neither**: the data show no shortfall beyond chance. Lower ``tolerance``
    (say 0.8) to flag only shortfalls of more than 20%.

    Examples
    --------
    >>> from journeykit.datasets import example_records
    >>> diagnose(example_records(), by="segment").findings["smb"].verdict
    'neither'
    """
    unknown = set(targets or {}) - set(_RATES)
    if unknown:
        msg = f"targets take {', '.join(_RATES)} (got {sorted(unknown)})"
        raise ParameterError(msg)
    table = funnel(records, by=by, engaged_touches=engaged_touches)
    findings = {}
    for label, group in table.groups.items():
        others = [g for name, g in table.groups.items() if name != label]
        findings[label] = _finding(
            label,
            group=group,
            others=others,
            targets=targets or {},
            tolerance=tolerance,
            level=level,
        )
    return Diagnosis(by, findings)


def _counts(group: FunnelGroup) -> dict[str, tuple[int, int]]:
    reached, engaged, won = group.counts[0], group.counts[1], group.counts[4]
    return {
        "reach": (reached, group.units),
        "engagement": (engaged, reached),
        "close": (won, engaged),
    }


def _finding(
    label: str,
    *,
    group: FunnelGroup,
    others: list[FunnelGroup],
    targets: Mapping[str, float],
    tolerance: float,
    level: float,
) -> Finding:
    mine = _counts(group)
    rates = {name: wilson(s, n, level=level) for name, (s, n) in mine.items()}
    benchmarks = {}
    for name in _RATES:
        if name in targets:
            benchmarks[name] = float(targets[name])
        else:
            pooled = [_counts(g)[name] for g in others]
            trials = sum(n for _, n in pooled)
            benchmarks[name] = sum(s for s, _ in pooled) / trials if trials else math.nan
    below = {name: rates[name].high < tolerance * benchmarks[name] for name in _RATES}
    reached, units = mine["reach"]
    engaged, won = group.counts[1], group.counts[4]
    if units and reached == 0:
        verdict: Verdict = "marketing"
        why = f"none of its {units} units was ever reached"
    elif below["reach"] or below["engagement"]:
        verdict = "marketing"
        name = "reach" if below["reach"] else "engagement"
        why = f"{name} {_rate(rates[name])} against {benchmarks[name]:.0%}"
    elif below["close"]:
        verdict = "sales"
        close = f"{_rate(rates['close'])} against {benchmarks['close']:.0%}"
        why = f"reached {reached} of {units} and engaged {engaged}, but closed {won}: {close}"
    else:
        verdict = "neither"
        shown = ", ".join(f"{name} {_rate(rates[name])}" for name in _RATES)
        why = f"{shown}: no shortfall beyond chance"
    problem = {
        "marketing": "a marketing problem",
        "sales": "a sales problem",
        "neither": "neither",
    }[verdict]
    return Finding(label, verdict, rates, benchmarks, f"{label}: {problem} ({why})")


def _rate(interval: Interval) -> str:
    if math.isnan(interval.estimate):
        return "n/a"
    return f"{interval.estimate:.0%} [{interval.low:.0%}, {interval.high:.0%}]"
