"""Score attribution models against the ground truth of simulated worlds."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Final, Protocol

import attrs
import numpy as np
from numpy.typing import NDArray

from journeykit.datasets.simulation import DEFAULT_CHANNELS, ChannelSpec, GroundTruth, simulate
from journeykit.datasets.worlds import CONTINUOUS_SETTINGS
from journeykit.errors import ParameterError
from journeykit.records import Records
from journeykit.touchpoints import Team

__all__ = [
    "BASELINE",
    "DEFAULT_MODELS",
    "SETTINGS",
    "AccuracyReport",
    "Score",
    "World",
    "accuracy_report",
    "rescale",
    "score",
]

DEFAULT_MODELS: Final = (
    "first_touch",
    "last_touch",
    "linear",
    "time_decay",
    "position_based",
    "w_shaped",
    "full_path",
    "markov",
    "shapley",
    "hazard",
)
"""Models :func:`accuracy_report` scores unless told otherwise."""

BASELINE: Final = "(equal shares)"
"""The label of the reference that gives every channel the same share."""


def rescale(
    channels: Sequence[ChannelSpec], factors: Mapping[Team | str, float]
) -> tuple[ChannelSpec, ...]:
    """Multiply every effect of the channels of a team (or of a named channel) by a factor.

    Effects are capped at 1. A channel named in ``factors`` takes that factor over its team's.

    Examples
    --------
    >>> from journeykit import Team
    >>> from journeykit.datasets import DEFAULT_CHANNELS
    >>> louder = rescale(DEFAULT_CHANNELS, {Team.SALES: 2.0, "display": 1.0})
    >>> [c.effects for c in louder if c.name == "meeting"]
    [((<FunnelStage.DECISION: 'decision'>, 0.3),)]
    """
    out = []
    for spec in channels:
        team = spec.team or spec.reach.default_team
        factor = factors[spec.name] if spec.name in factors else factors.get(team, 1.0)
        effects = {stage: min(1.0, p * float(factor)) for stage, p in spec.effects}
        out.append(attrs.evolve(spec, effects=effects))
    return tuple(out)


SETTINGS: Final[Mapping[str, tuple[ChannelSpec, ...]]] = {
    "default": DEFAULT_CHANNELS,
    "sales-led": rescale(DEFAULT_CHANNELS, {Team.SALES: 2.0, Team.MARKETING: 0.5}),
    "marketing-led": rescale(DEFAULT_CHANNELS, {Team.SALES: 0.5, Team.MARKETING: 2.0}),
    "few-drivers": rescale(
        DEFAULT_CHANNELS,
        {Team.MARKETING: 0.0, Team.SALES: 0.0, "webinar": 2.0, "demo": 1.5, "sdr_email": 1.0},
    ),
}
"""Effect settings :func:`accuracy_report` runs: the default world, sales or marketing effects
doubled (the other team's halved), and a world where only three channels matter."""


class _Simulated(Protocol):
    @property
    def records(self) -> Records: ...

    @property
    def truth(self) -> GroundTruth: ...


class World(Protocol):
    """Anything :func:`accuracy_report` can score models on: a world generator with settings.

    :class:`~journeykit.datasets.ContinuousWorld` is one; the simulated result only needs
    ``records`` and ``truth`` (:class:`~journeykit.datasets.GroundTruth`).
    """

    def simulate(self, *, n_accounts: int, seed: int) -> _Simulated:
        """The world of ``n_accounts`` accounts drawn with ``seed``, with its ground truth."""
        ...


@attrs.frozen
class Score:
    """One model's error on one simulated world.

    Attributes
    ----------
    mae : float
        Mean absolute error of the channel shares of credited value against the true shares
        (:meth:`GroundTruth.shares`), over all channels; 0 is perfect.
    rank : float
        Spearman rank correlation of the two share vectors; 1 is perfect (NaN when either is
        constant).
    """

    model: str
    setting: str
    seed: int
    mae: float
    rank: float


@attrs.frozen
class AccuracyReport:
    """Scores of several models on several simulated worlds.

    Examples
    --------
    >>> from journeykit.datasets import accuracy_report
    >>> report = accuracy_report(["last_touch", "shapley"], seeds=[1], n_accounts=300,
    ...                          settings=["default"])
    >>> [s.model for s in report.scores]
    ['last_touch', 'shapley', '(equal shares)']
    >>> print(report)                              # doctest: +SKIP
    | model | default MAE | default rank | ...
    """

    scores: tuple[Score, ...]
    n_accounts: int

    def summary(self) -> dict[str, dict[str, tuple[float, float]]]:
        """``{model: {setting: (mean MAE, mean rank correlation)}}`` over the seeds."""
        out: dict[str, dict[str, tuple[float, float]]] = {}
        groups: dict[tuple[str, str], list[Score]] = {}
        for score in self.scores:
            groups.setdefault((score.model, score.setting), []).append(score)
        for (model, setting), scores in groups.items():
            mae = float(np.mean([s.mae for s in scores]))
            rank = float(np.mean([s.rank for s in scores]))
            out.setdefault(model, {})[setting] = (mae, rank)
        return out

    def table(self) -> str:
        """A Markdown table: per model, mean MAE (in percentage points) and rank correlation."""
        summary = self.summary()
        settings = list(dict.fromkeys(s.setting for s in self.scores))
        head = "| model | " + " | ".join(f"{s} MAE (pp) | {s} rank" for s in settings) + " |"
        rule = "|---|" + "---:|---:|" * len(settings)
        rows = [
            f"| {model} | "
            + " | ".join(f"{by[s][0] * 100:.2f} | {by[s][1]:.2f}" for s in settings)
            + " |"
            for model, by in summary.items()
        ]
        return "\n".join([head, rule, *rows])

    def __str__(self) -> str:
        return self.table()


def accuracy_report(
    models: Sequence[str | Any] | Mapping[str, Any] | None = None,
    *,
    seeds: Sequence[int] = (0, 1, 2),
    n_accounts: int = 2000,
    settings: Sequence[str] | Mapping[str, Sequence[ChannelSpec] | World] = tuple(SETTINGS),
    baseline: bool = True,
) -> AccuracyReport:
    """Run models on simulated worlds and score their channel credit against the ground truth.

    Each world is simulated, assembled with :func:`~journeykit.assemble` (goal: won deals) and
    attributed with every model; credited won value per channel, as shares, is compared with the
    true shares of value lost when each channel is switched off.

    Parameters
    ----------
    models : sequence of names or model objects, or mapping of label to model, optional
        Passed to :func:`~journeykit.compare`. Default :data:`DEFAULT_MODELS`.
    seeds : sequence of int
        One world per seed and setting.
    n_accounts : int
        Accounts per world.
    settings : sequence of names, or mapping of label to channel specs or a world
        Names come from :data:`SETTINGS` (worlds of :func:`~journeykit.datasets.simulate`) or
        :data:`~journeykit.datasets.CONTINUOUS_SETTINGS` (worlds of
        :func:`~journeykit.datasets.simulate_continuous`); the names differ, so one report can
        mix both. A mapping gives channel specs for :func:`~journeykit.datasets.simulate`, or
        any :class:`World` such as a :class:`~journeykit.datasets.ContinuousWorld`.
    baseline : bool
        Also score :data:`BASELINE`, equal shares for every channel: a model that cannot beat it
        has learned nothing about which channels matter.

    Raises
    ------
    ValueError
        For a setting name that is in neither table.
    """
    from journeykit.assembly import assemble  # noqa: PLC0415  # datasets must not import it eagerly
    from journeykit.attribution._api import compare  # noqa: PLC0415

    chosen = DEFAULT_MODELS if models is None else models
    worlds = (
        dict(settings)
        if isinstance(settings, Mapping)
        else {name: _setting(name) for name in settings}
    )
    scores = []
    for setting, spec in worlds.items():
        for seed in seeds:
            world = _simulate(spec, n_accounts, seed)
            results = compare(assemble(world.records), chosen)
            for name, result in results.items():
                credit = result.by("channel", measure="value")
                mae, rank = score(credit, world.truth)
                scores.append(Score(name, setting, seed, mae, rank))
            if baseline:
                equal = dict.fromkeys(world.truth.channels, 1.0)
                mae, rank = score(equal, world.truth)
                scores.append(Score(BASELINE, setting, seed, mae, rank))
    return AccuracyReport(tuple(scores), n_accounts)


def _simulate(spec: Sequence[ChannelSpec] | World, n_accounts: int, seed: int) -> _Simulated:
    if isinstance(spec, Sequence):
        return simulate(n_accounts=n_accounts, seed=seed, channels=spec)
    return spec.simulate(n_accounts=n_accounts, seed=seed)


def _setting(name: str) -> Sequence[ChannelSpec] | World:
    if name in SETTINGS:
        return SETTINGS[name]
    if name in CONTINUOUS_SETTINGS:
        return CONTINUOUS_SETTINGS[name]
    known = ", ".join([*SETTINGS, *CONTINUOUS_SETTINGS])
    raise ParameterError(f"unknown setting {name!r}; known: {known}")


def score(credit: Mapping[Any, float], truth: GroundTruth) -> tuple[float, float]:
    """Mean absolute error and Spearman rank correlation of credit's channel shares vs the truth.

    ``credit`` is credited value by channel (e.g. ``result.by("channel", measure="value")``);
    channels it leaves out count as 0. The rank correlation is NaN when either side is constant.

    Examples
    --------
    >>> from journeykit.datasets import Effect, GroundTruth
    >>> truth = GroundTruth(2, 10.0, {"a": Effect(1, 8.0), "b": Effect(1, 2.0)}, {})
    >>> mae, rank = score({"a": 5.0, "b": 5.0}, truth)   # truth 80/20, credit 50/50
    >>> round(mae, 12), rank
    (0.3, nan)
    """
    true = truth.shares("channel")
    channels = sorted(true)
    total = sum(credit.values())
    got = np.array([credit.get(c, 0.0) / total if total > 0 else 0.0 for c in channels])
    want = np.array([true[c] for c in channels])
    return float(np.mean(np.abs(got - want))), _spearman(got, want)


def _ranks(x: NDArray[np.float64]) -> NDArray[np.float64]:
    """Ranks with ties averaged, as Spearman's coefficient needs."""
    order = np.argsort(x, kind="stable")
    ranks = np.empty(len(x))
    ranks[order] = np.arange(len(x), dtype=np.float64)
    _, inverse, counts = np.unique(x, return_inverse=True, return_counts=True)
    sums = np.bincount(inverse, weights=ranks)
    return np.asarray(sums[inverse] / counts[inverse], dtype=np.float64)


def _spearman(a: NDArray[np.float64], b: NDArray[np.float64]) -> float:
    ra, rb = _ranks(a), _ranks(b)
    if np.ptp(ra) == 0 or np.ptp(rb) == 0:
        return float("nan")
    return float(np.corrcoef(ra, rb)[0, 1])
