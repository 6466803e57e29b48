"""Every figure renders to a non-empty PNG with the Agg backend."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

mpl = pytest.importorskip("matplotlib")
mpl.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

import journeykit as jk  # noqa: E402
from journeykit.datasets import example_records  # noqa: E402


@pytest.fixture(scope="module")
def world() -> tuple[jk.Records, jk.Journeys, jk.Comparison]:
    records = example_records()
    journeys = jk.assemble(records, goal="opportunity")
    return records, journeys, jk.compare(journeys, ["first_touch", "linear", "markov"])


def _render(ax: Any, path: Path) -> None:
    figure = ax.get_figure()
    figure.savefig(path)
    plt.close(figure)
    with path.open("rb") as handle:
        assert handle.read(8) == b"\x89PNG\r\n\x1a\n"
    assert path.stat().st_size > 2_000  # more than an empty canvas


def test_every_figure_renders(
    world: tuple[jk.Records, jk.Journeys, jk.Comparison], tmp_path: Path
) -> None:
    records, journeys, comparison = world
    linear = comparison["linear"]
    figures = {
        "comparison": comparison.plot(),
        "credit_by_team": linear.plot("team", measure="conversions"),
        "credit_two_keys": jk.plot.credit(linear, ("team", "channel")),
        "split": jk.analytics.split(linear).plot(),
        "handoff": jk.analytics.handoff(journeys, linear).plot("by_credit"),
        "funnel": jk.analytics.funnel(records, by="segment").plot(),
        "transitions": jk.plot.transitions(journeys),
        "intervals": jk.analytics.bootstrap(journeys, "linear", resamples=20, seed=1).plot(),
    }
    for name, ax in figures.items():
        assert ax.get_title(), name
        _render(ax, tmp_path / f"{name}.png")


def test_figures_draw_on_given_axes(world: tuple[jk.Records, jk.Journeys, jk.Comparison]) -> None:
    _, _, comparison = world
    figure, axes = plt.subplots(1, 2)
    assert comparison.plot(ax=axes[0]) is axes[0]
    assert jk.plot.split(jk.analytics.split(comparison["linear"]), ax=axes[1]) is axes[1]
    plt.close(figure)


def test_bars_are_the_credit(world: tuple[jk.Records, jk.Journeys, jk.Comparison]) -> None:
    _, _, comparison = world
    ax = comparison["linear"].plot(measure="conversions")
    widths = sorted(round(p.get_width(), 9) for p in ax.patches)
    want = sorted(round(v, 9) for v in comparison["linear"].by("channel").values())
    assert widths == want
    plt.close(ax.get_figure())


def test_handoff_rejects_an_unknown_measure(
    world: tuple[jk.Records, jk.Journeys, jk.Comparison],
) -> None:
    _, journeys, _ = world
    with pytest.raises(ValueError, match="by_credit needs a model"):
        jk.analytics.handoff(journeys).plot("by_credit")


def test_transitions_draws_the_fitted_chain_without_refitting(
    world: tuple[jk.Records, jk.Journeys, jk.Comparison], monkeypatch: pytest.MonkeyPatch
) -> None:
    from journeykit.attribution.markov import Markov  # noqa: PLC0415

    _, journeys, _ = world
    fitted = Markov(order=2).fit(journeys)

    def no_refit(self: Markov, journeys: jk.Journeys) -> None:
        raise AssertionError("plot.transitions fitted the chain again")

    monkeypatch.setattr(Markov, "fit", no_refit)
    ax = jk.plot.transitions(fitted)
    assert ax.get_title() == "Transition graph (order 2)"
    plt.close("all")


def test_a_dollar_in_a_name_is_shown_not_read_as_mathtext() -> None:
    pytest.importorskip("matplotlib")
    paths = jk.read_paths([{"path": "$a$ > $5 off", "total_conversions": 2}])
    ax = jk.attribute(paths, "linear").plot()
    ax.figure.canvas.draw()
    shown = {t._preprocess_math(t.get_text()) for t in ax.get_yticklabels()}
    assert shown == {("$a$", False), ("$5 off", False)}
