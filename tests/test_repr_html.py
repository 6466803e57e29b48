"""Notebook displays: every result a notebook shows renders as HTML, with money as money."""

from __future__ import annotations

from html.parser import HTMLParser
from typing import Any

import pytest

import journeykit as jk
from journeykit import _html

VOID = {"br", "wbr", "img", "meta", "hr", "input"}


class _Balance(HTMLParser):
    """Checks that every opened element is closed, in order."""

    def __init__(self) -> None:
        super().__init__()
        self.open: list[str] = []

    def handle_starttag(self, tag: str, attrs: Any) -> None:
        if tag not in VOID:
            self.open.append(tag)

    def handle_endtag(self, tag: str) -> None:
        assert self.open, f"</{tag}> closes nothing"
        assert self.open.pop() == tag, f"</{tag}> closes the wrong element"


def _check(markup: str) -> str:
    parser = _Balance()
    parser.feed(markup)
    parser.close()
    assert parser.open == []
    assert "<style>" in markup  # styled on its own in any notebook
    assert "e+0" not in markup  # no scientific notation
    return markup


@pytest.fixture(scope="module")
def world() -> dict[str, Any]:
    demo = jk.datasets.load_demo()
    journeys = jk.assemble(demo.records)
    result = jk.attribute(journeys, "linear")
    return {"demo": demo, "journeys": journeys, "result": result}


def test_comparison_shows_every_model_and_the_truth(world: dict[str, Any]) -> None:
    comparison = jk.compare(world["journeys"], ["linear", "first_touch"])
    markup = _check(comparison._repr_html_())
    assert markup.count("class='dot'") == 2 * len(comparison.table())
    truth = _html.comparison(comparison, world["demo"].truth.shares())
    assert truth.count("class='truth'") == len(world["demo"].truth.shares())


def test_split_prints_money_as_money(world: dict[str, Any]) -> None:
    split = jk.analytics.split(world["result"], measure="value")
    markup = _check(split._repr_html_())
    assert f"Of {split.total:,.0f} won value" in markup
    assert "5,512,300" in repr(split)  # the repr too, not 5.5123e+06


def test_handoff_funnel_and_diagnosis(world: dict[str, Any]) -> None:
    handoff = jk.analytics.handoff(world["journeys"], world["result"])
    markup = _check(handoff._repr_html_())
    assert f"{len(handoff.journey):,} won journeys" in markup
    assert ">credit<" in markup  # the credit measure, given a result
    funnel = jk.analytics.funnel(world["demo"].records, by="segment")
    markup = _check(funnel._repr_html_())
    assert all(f">{group} <" in markup for group in funnel.groups)
    diagnosis = jk.analytics.diagnose(world["demo"].records, by="segment")
    markup = _check(diagnosis._repr_html_())
    assert "a marketing problem at the lead stage" in markup
    assert "95% interval" in markup


def test_bootstrap_intervals_in_money() -> None:
    paths = jk.read_paths(
        [
            {"path": "a > b", "total_conversions": 30, "total_conversion_value": 3_000_000},
            {"path": "b", "total_conversions": 10, "total_conversion_value": 2_500_000},
        ]
    )
    result = jk.analytics.bootstrap(paths, "linear", measure="value", resamples=20)
    markup = _check(result._repr_html_())
    estimate = result.intervals["b"].estimate
    assert _html.money(estimate) in markup
    assert "," in _html.money(estimate)


def test_money_and_percent() -> None:
    assert _html.money(5_512_345.6) == "5,512,346"
    assert _html.money(12.345) == "12.35"
    assert _html.money(float("nan")) == "-"
    assert _html.percent(0.125, 1) == "12.5%"
