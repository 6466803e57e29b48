"""Money cannot overflow, go infinite or be counted by one model and dropped by another."""

from __future__ import annotations

import io
import warnings
from pathlib import Path

import numpy as np
import pytest

import journeykit as jk
from journeykit._money import MAX_TOTAL_VALUE, MAX_VALUE
from journeykit.errors import JourneykitError, ValidationError


def _paths(*rows: tuple[str, float, float, float]) -> jk.Journeys:
    return jk.read_paths(
        [
            {"path": p, "total_conversions": c, "total_conversion_value": v, "total_null": n}
            for p, c, v, n in rows
        ]
    )


def _csv(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "paths.csv"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize("value", [1e17, 1e308, MAX_VALUE * 1.0001])
def test_a_value_beyond_the_money_range_is_an_error_naming_the_row(value: float) -> None:
    # Before: 1e17 gave -9223372036854775808 cents and two 1e308 values credited inf.
    with pytest.raises(
        ValidationError, match=r"row 1: total_conversion_value must be finite and >= 0, at most"
    ):
        _paths(("a", 1, 1.0, 0), ("a > b", 1, value, 0))


def test_the_largest_value_gives_exact_cents() -> None:
    journeys = _paths(("a > b", 1, MAX_VALUE, 0), ("b", 1, 0.01, 0))
    for model in ("linear", "markov", "shapley"):
        result = jk.attribute(journeys, model)
        cents = result.to_cents()
        assert cents.dtype == np.int64
        assert int(cents.sum()) == int(MAX_VALUE * 100) + 1
        assert sum(result.by("channel", measure="cents").values()) == int(MAX_VALUE * 100) + 1


def test_values_whose_total_would_overflow_cents_are_refused() -> None:
    n = int(MAX_TOTAL_VALUE // MAX_VALUE) + 1
    rows = [("a", 1.0, MAX_VALUE, 0.0)] * n
    with pytest.raises(ValidationError, match="must add up to at most"):
        _paths(*rows)


def test_infinite_value_is_refused_by_journeys_itself() -> None:
    good = _paths(("a", 1, 5.0, 0))
    with pytest.raises(ValidationError, match="value must be finite"):
        good.with_values(value=[np.inf])
    with pytest.raises(ValidationError, match="journey '0'"):
        good.with_values(value=[1e17])


def test_a_value_on_a_path_without_conversions_is_an_error_naming_the_row() -> None:
    # Before: accepted, and Markov counted the value while linear and Shapley dropped it.
    with pytest.raises(ValidationError, match=r"row 0: total_conversion_value has a value on a"):
        _paths(("a > b", 0, 5.0, 1), ("a", 1, 3.0, 0))


def test_the_chunked_csv_reader_names_the_same_row(tmp_path: Path) -> None:
    text = "path,total_conversions,total_conversion_value,total_null\na,1,3,0\na > b,0,5,1\n"
    with pytest.raises(ValidationError, match=r"row 1: total_conversion_value has a value"):
        jk.read_paths(_csv(tmp_path, text))
    huge = "path,total_conversions,total_conversion_value,total_null\na,1,1e17,0\n"
    with pytest.raises(
        ValidationError, match=r"row 0: total_conversion_value must be finite and >= 0, at most"
    ):
        jk.read_paths(_csv(tmp_path, huge))
    assert jk.read_paths(io.StringIO(huge.replace("1e17", "1e12"))).total_value == 1e12


def test_an_event_value_beyond_the_range_names_the_row() -> None:
    events = [
        {
            "journey_id": "j",
            "timestamp": "2024-01-01T00:00:00+00:00",
            "channel": "a",
            "converted": True,
            "value": 1e17,
        }
    ]
    with pytest.raises(ValidationError, match=r"row 0: value must be finite and >= 0, at most"):
        jk.from_events(events)


def test_money_never_warns_nor_wraps_on_the_largest_inputs() -> None:
    rows = [("a > b > c", 1.0, MAX_VALUE, 0.0)] * 9000
    journeys = _paths(*rows)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for model in ("linear", "markov"):
            cents = jk.attribute(journeys, model).to_cents()
            assert int(cents.sum()) == 9000 * int(MAX_VALUE * 100)
            assert cents.min() >= 0


def test_errors_are_journeykit_errors() -> None:
    with pytest.raises(JourneykitError):
        _paths(("a", 1, float("inf"), 0))
