from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import polars as pl
import pyarrow as pa
import pytest
from hypothesis import example, given

import journeykit as jk
from journeykit.testing import strategies as jst


def paths() -> jk.Journeys:
    return jk.read_paths(
        [
            {
                "path": "search > email",
                "total_conversions": 3,
                "total_conversion_value": 100.0,
                "total_null": 2,
            },
            {
                "path": "direct",
                "total_conversions": 2,
                "total_conversion_value": 0.05,
                "total_null": 1,
            },
            {
                "path": "search > social > email",
                "total_conversions": 0,
                "total_conversion_value": 0.0,
                "total_null": 4,
            },
        ]
    )


def test_by_orders_by_credit_then_label() -> None:
    credit = jk.attribute(paths(), "linear").by("channel")
    assert list(credit.items()) == [
        ("direct", 2.0),
        ("email", 1.5),
        ("search", 1.5),
        ("social", 0.0),
    ]
    assert credit.total == 5.0
    assert credit.share()["direct"] == pytest.approx(0.4)


def test_value_measure_and_share() -> None:
    result = jk.attribute(paths(), "first_touch")
    assert dict(result.by("channel", measure="value")) == {
        "search": 100.0,
        "direct": 0.05,
        "email": 0.0,
        "social": 0.0,
    }
    assert result.share("channel", measure="value")["search"] == pytest.approx(100 / 100.05)
    with pytest.raises(ValueError, match="measure must be one of"):
        result.by("channel", measure="revenue")  # type: ignore[arg-type]


def test_by_journey_and_tuples() -> None:
    result = jk.attribute(paths(), "linear")
    assert dict(result.by("journey")) == {"0": 3.0, "1": 2.0, "2": 0.0}
    assert dict(result.by(("journey", "channel")))[("0", "search")] == 1.5
    with pytest.raises(jk.SchemaError, match="persona is not a column"):
        result.by("persona")
    with pytest.raises(ValueError, match="at least one dimension"):
        result.by(())


def test_to_cents_adds_up_per_journey_and_in_total() -> None:
    journeys = jk.read_paths(
        [
            {
                "path": "a > b > c",
                "total_conversions": 1,
                "total_conversion_value": 100.0,
                "total_null": 0,
            }
        ]
    )
    result = jk.attribute(journeys, "linear")
    cents = result.to_cents()
    assert cents.tolist() == [3334, 3333, 3333]
    assert dict(result.by("channel", measure="cents")) == {"a": 3334, "b": 3333, "c": 3333}


@given(jst.journeys())
def test_to_cents_property(journeys: jk.Journeys) -> None:
    for model in ("linear", "position_based", "time_decay"):
        result = (
            jk.attribute(journeys, model) if journeys.has_times or model != "time_decay" else None
        )
        if result is None:
            continue
        cents = result.to_cents()
        per_journey = np.bincount(journeys.journey_of_touch, cents, journeys.n_journeys)
        expected = np.where(journeys.converting, np.rint(journeys.value * 100), 0)
        assert np.array_equal(per_journey, expected)
        assert np.all(np.abs(cents - result.value_credit * 100) < 1 + 1e-6)


# A half-cent tie: the journeys are worth 0.5 and 1 cent, 1 cent in all once each is rounded,
# while the global model's float credit sums to 1.5 cents (2 if rounded as a float sum).
HALF_CENT_TIE = jk.read_paths(
    [
        {"path": "a", "total_conversions": 0.5, "total_conversion_value": 0.005, "total_null": 1},
        {"path": "b", "total_conversions": 0.5, "total_conversion_value": 0.01, "total_null": 1},
        {"path": "a > b", "total_conversions": 0, "total_conversion_value": 0, "total_null": 1},
    ]
)


@example(HALF_CENT_TIE)
@given(jst.journeys())
def test_to_cents_per_journey_for_data_driven_journey_allocation(journeys: jk.Journeys) -> None:
    result = jk.attribute(journeys, "markov", allocation="journey")
    cents = result.to_cents()
    per_journey = np.bincount(journeys.journey_of_touch, cents, journeys.n_journeys)
    assert np.array_equal(
        per_journey, np.where(journeys.converting, np.rint(journeys.value * 100), 0)
    )
    # Both allocations give the same grand total: the journeys' rounded cents, summed as integers.
    global_cents = jk.attribute(journeys, "markov").to_cents()
    assert global_cents.sum() == cents.sum()
    assert np.all(global_cents >= 0)


@pytest.mark.parametrize("backend", ["pandas", "polars", "pyarrow"])
def test_frames(backend: Any) -> None:
    result = jk.attribute(paths(), "linear")
    touches = result.to_frame(backend)
    by_channel = result.by("channel").to_frame(backend)
    kind = {"pandas": pd.DataFrame, "polars": pl.DataFrame, "pyarrow": pa.Table}[backend]
    assert isinstance(touches, kind)
    assert isinstance(by_channel, kind)
    assert list(touches.columns if backend != "pyarrow" else touches.column_names) == [
        "journey",
        "position",
        "channel",
        "first_touch",
        "lead_created",
        "opportunity_created",
        "closed_won",
        "share",
        "conversions",
        "value",
    ]
    n_rows = touches.num_rows if backend == "pyarrow" else touches.shape[0]
    assert n_rows == 6


def test_unknown_backend() -> None:
    with pytest.raises(ValueError, match="backend must be"):
        jk.attribute(paths(), "linear").to_frame("excel")  # type: ignore[arg-type]


def test_reprs() -> None:
    result = jk.attribute(paths(), "linear")
    assert repr(result) == (
        "Attribution(model='linear', journeys=3, conversions=5, value=100.05, by channel: direct=2, email=1.5, search=1.5, social=0)"
    )
    assert "<table>" in result._repr_html_()
    assert "<td>direct</td>" in result.by("channel")._repr_html_()


def test_compare_table_and_frame() -> None:
    table = jk.compare(paths(), ["first_touch", "last_touch"])
    assert table.table()["search"] == {"first_touch": 3.0, "last_touch": 0.0}
    frame = table.to_frame()
    assert list(frame.columns) == ["channel", "first_touch", "last_touch"]
    labelled = jk.compare(paths(), {"U": jk.models.get("position_based"), "linear": "linear"})
    assert list(labelled) == ["U", "linear"]
    with pytest.raises(jk.ModelError, match="distinct model labels"):
        jk.compare(paths(), ["linear", "linear"])


def test_attribute_argument_errors() -> None:
    with pytest.raises(jk.UnknownModelError, match="no attribution model named 'lineer'"):
        jk.attribute(paths(), "lineer")
    with pytest.raises(jk.ModelError, match=r"parameters .* came with a model instance"):
        jk.attribute(paths(), jk.models.get("linear"), per="touch")
    with pytest.raises(jk.ModelError, match=r"'linear': .*unexpected keyword"):
        jk.attribute(paths(), "linear", halflife=3)
    with pytest.raises(TypeError, match="needs Journeys"):
        jk.attribute([1, 2], "linear")  # type: ignore[arg-type]
    with pytest.raises(jk.ModelError, match="is not a model"):
        jk.attribute(paths(), object())  # type: ignore[arg-type]


class BrokenShape:
    tags = jk.Tags()

    def fit(self, journeys: jk.Journeys) -> Any:
        return self

    def credit(self, journeys: jk.Journeys) -> Any:
        return np.ones(1)


def test_results_of_the_wrong_shape_are_caught() -> None:
    with pytest.raises(jk.ModelError, match="one entry per touch"):
        jk.attribute(paths(), BrokenShape())


@pytest.mark.parametrize(
    ("model", "params", "message"),
    [
        ("position_based", {"first": 0.7, "last": 0.7}, "first \\+ last must be at most 1"),
        ("position_based", {"first": -0.1}, "first must be a number in \\[0, 1\\]"),
        ("custom_positions", {"first": 0.5}, "the weights must sum to 1"),
        (
            "w_shaped",
            {"first": 0.5, "lead_created": 0.5, "opportunity_created": 0.5},
            "must sum to at most 1",
        ),
        ("time_decay", {"half_life": 7}, "half_life must be a positive timedelta"),
        ("linear", {"per": "person"}, "per must be one of 'touch', 'channel' or 'buyer'"),
    ],
)
def test_model_parameters_are_validated(model: str, params: dict[str, Any], message: str) -> None:
    with pytest.raises(jk.ModelError, match=message):
        jk.models.get(model, **params)


def test_registry() -> None:
    names = jk.models.available()
    for expected in (
        "first_touch",
        "last_touch",
        "last_non_direct",
        "linear",
        "time_decay",
        "position_based",
        "w_shaped",
        "full_path",
        "j_shaped",
        "inverse_j",
        "custom_positions",
    ):
        assert expected in names
    with pytest.raises(ValueError, match="lower_snake_case"):
        jk.models.register("Bad Name")
    with pytest.raises(ValueError, match="built-in model"):
        jk.models.register("linear")(BrokenShape)


def test_entry_point_models_are_discovered(monkeypatch: pytest.MonkeyPatch) -> None:
    from journeykit.attribution import _registry  # noqa: PLC0415

    class FakeEntryPoint:
        name = "from_a_plugin"

        def load(self) -> type[BrokenShape]:
            return BrokenShape

    def fake_entry_points(group: str) -> list[FakeEntryPoint]:
        assert group == "journeykit.models"
        return [FakeEntryPoint()]

    monkeypatch.setattr(_registry, "entry_points", fake_entry_points)
    monkeypatch.setattr(_registry, "_ENTRY_POINTS_LOADED", False)
    monkeypatch.setattr(_registry, "_MODELS", dict(_registry._MODELS))
    assert "from_a_plugin" in jk.models.available()
    assert isinstance(jk.models.get("from_a_plugin"), BrokenShape)
