"""Is a group's shortfall a marketing problem or a sales problem? A documented, tunable rule."""

from __future__ import annotations

import math
from collections.abc import Mapping
from statistics import NormalDist
from typing import Any, Literal

import attrs

from journeykit._frames import Backend, to_frame
from journeykit.analytics.funnel import OWNERS, RATES, FunnelGroup, funnel
from journeykit.analytics.uncertainty import Interval
from journeykit.errors import ParameterError
from journeykit.records import Records

__all__ = ["Diagnosis", "Finding", "diagnose", "wilson"]

Verdict = Literal["marketing", "sales", "neither"]
_TEAMS = ("marketing", "sales")
_STEP = {
    "reach": "units -> reached",
    "engagement": "reached -> engaged",
    "lead": "engaged -> lead",
    "opportunity": "lead -> opportunity",
    "win": "opportunity -> won",
}


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
    """The verdict for one group, with its evidence.

    Attributes
    ----------
    group : str
    verdict : {"marketing", "sales", "neither"}
        The team that owns :attr:`stage`, or ``"neither"``.
    stage : str or None
        The first stage rate (of :data:`~journeykit.analytics.funnel.RATES`) whose shortfall is
        beyond chance; ``None`` when there is none.
    rates : dict of str to Interval
        Every stage rate with its Wilson interval.
    benchmarks : dict of str to float
        What each rate was compared with.
    explanation : str
        The verdict in a sentence.
    """

    group: str
    verdict: Verdict
    stage: str | None
    rates: dict[str, Interval]
    benchmarks: dict[str, float]
    explanation: str


@attrs.frozen(eq=False)
class Diagnosis:
    """Findings per group (see :func:`diagnose` for the rule)."""

    by: str
    findings: dict[str, Finding]

    def to_frame(self, backend: Backend = "pandas") -> Any:
        """One row per group: verdict, each rate with its interval and benchmark, explanation."""
        data: dict[str, list[Any]] = {"group": [], "verdict": [], "stage": []}
        for name in RATES:
            for part in ("", "_low", "_high", "_benchmark"):
                data[f"{name}{part}"] = []
        data["explanation"] = []
        for finding in self.findings.values():
            data["group"].append(finding.group)
            data["verdict"].append(finding.verdict)
            data["stage"].append(finding.stage)
            for name in RATES:
                rate = finding.rates[name]
                data[name].append(rate.estimate)
                data[f"{name}_low"].append(rate.low)
                data[f"{name}_high"].append(rate.high)
                data[f"{name}_benchmark"].append(finding.benchmarks[name])
            data["explanation"].append(finding.explanation)
        return to_frame(data, backend)

    def _repr_html_(self) -> str:
        """The notebook display: a chart and a table (see :mod:`journeykit._html`)."""
        from journeykit import _html  # noqa: PLC0415  # only notebooks pay for it

        return _html.notebook(_html.diagnosis(self))

    def __repr__(self) -> str:
        return "\n".join(
            [f"Diagnosis(by={self.by!r})", *(f"  {f.explanation}" for f in self.findings.values())]
        )


def diagnose(
    records: Records,
    *,
    by: str = "persona",
    targets: Mapping[str, float] | None = None,
    owners: Mapping[str, str] | None = None,
    tolerance: float = 1.0,
    level: float = 0.95,
    engaged_touches: int = 2,
) -> Diagnosis:
    """Name the funnel stage where each group falls short, and the team that owns it.

    For each group (accounts, and buyers without one, grouped ``by`` persona or an account field)
    the five stage rates of :data:`~journeykit.analytics.funnel.RATES` come from the funnel, each
    with a Wilson interval at ``level``: *reach* (reached / units), *engagement* (engaged /
    reached), *lead* (lead / engaged), *opportunity* (opportunity / lead) and *win* (won /
    opportunity). Each is compared with a benchmark: ``targets[rate]`` when given, else the same
    rate pooled over the other groups.

    The rule: a rate falls short **beyond chance** when the upper end of its interval lies below
    ``tolerance`` times its benchmark. The verdict names the first such stage down the funnel (a
    group never reached falls short at reach) and the team that owns it
    (:data:`~journeykit.analytics.funnel.OWNERS` by default: marketing owns reach, engagement and
    lead; sales owns opportunity and win; ``owners`` overrides any of them). A group with no
    shortfall beyond chance is **neither**. Lower ``tolerance`` (say 0.8) to flag only shortfalls of
    more than 20%.

    Examples
    --------
    >>> from journeykit.datasets import example_records
    >>> finding = diagnose(example_records(), by="segment").findings["smb"]
    >>> finding.verdict, finding.stage
    ('marketing', 'lead')
    >>> finding.explanation
    'smb: a marketing problem at the lead stage (engaged -> lead 0% [0%, 79%] against 100%)'
    """
    unknown = sorted(set(targets or {}) - set(RATES))
    if unknown:
        msg = f"targets take {', '.join(RATES)} (got {unknown})"
        raise ParameterError(msg)
    owned = dict(OWNERS)
    for rate, team in (owners or {}).items():
        if rate not in RATES or team not in _TEAMS:
            msg = (
                f"owners maps a rate of {', '.join(RATES)} to 'marketing' or 'sales' "
                f"(got {rate!r}: {team!r})"
            )
            raise ParameterError(msg)
        owned[rate] = team
    table = funnel(records, by=by, engaged_touches=engaged_touches)
    findings = {}
    for label, group in table.groups.items():
        others = [g for name, g in table.groups.items() if name != label]
        findings[label] = _finding(
            label,
            group=group,
            others=others,
            targets=targets or {},
            owners=owned,
            tolerance=tolerance,
            level=level,
        )
    return Diagnosis(by, findings)


def _finding(
    label: str,
    *,
    group: FunnelGroup,
    others: list[FunnelGroup],
    targets: Mapping[str, float],
    owners: Mapping[str, str],
    tolerance: float,
    level: float,
) -> Finding:
    mine = group.stage_counts()
    rates = {name: wilson(s, n, level=level) for name, (s, n) in mine.items()}
    benchmarks = {}
    for name in RATES:
        if name in targets:
            benchmarks[name] = float(targets[name])
        else:
            pooled = [g.stage_counts()[name] for g in others]
            trials = sum(n for _, n in pooled)
            benchmarks[name] = sum(s for s, _ in pooled) / trials if trials else math.nan
    reached, units = mine["reach"]
    never = units > 0 and reached == 0
    short = [name for name in RATES if rates[name].high < tolerance * benchmarks[name]]
    stage = "reach" if never else (short[0] if short else None)
    if stage is None:
        shown = ", ".join(f"{name} {_rate(rates[name])}" for name in RATES)
        return Finding(
            label,
            "neither",
            None,
            rates,
            benchmarks,
            f"{label}: neither ({shown}: no shortfall beyond chance)",
        )
    verdict: Verdict = "marketing" if owners[stage] == "marketing" else "sales"
    if never:
        why = f"none of its {units} units was ever reached"
    else:
        why = f"{_STEP[stage]} {_rate(rates[stage])} against {benchmarks[stage]:.0%}"
    explanation = f"{label}: a {verdict} problem at the {stage} stage ({why})"
    return Finding(label, verdict, stage, rates, benchmarks, explanation)


def _rate(interval: Interval) -> str:
    if math.isnan(interval.estimate):
        return "n/a"
    return f"{interval.estimate:.0%} [{interval.low:.0%}, {interval.high:.0%}]"
