"""Enumerated options are checked at run time through one helper, JSON documents strictly."""

from __future__ import annotations

from typing import Any

import pytest

import journeykit as jk
from journeykit.errors import JourneykitError, ModelError, ParameterError, SchemaError
from journeykit.io import serde

EVENT = {
    "journey_id": "j",
    "timestamp": "2024-01-01T00:00:00+00:00",
    "channel": "a",
    "converted": True,
    "value": 1.0,
}
PATHS = [{"path": "a > b", "total_conversions": 1}]
TYPO: dict[str, Any] = {"measure": "cent", "backend": "arrow"}  # as read from a config file


def _result() -> jk.Attribution:
    return jk.attribute(jk.read_paths(PATHS))


def test_a_misspelt_after_conversion_is_an_error() -> None:
    # Before: "eror" behaved as "split".
    with pytest.raises(ParameterError, match=r"after_conversion .*did you mean 'error'\?"):
        jk.from_events([EVENT], after_conversion="eror")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("call", "error", "fragment"),
    [
        (lambda: jk.models.get("markov", allocation="jorney"), ModelError, "allocation"),
        (lambda: jk.models.get("shapley", allocation=["global"]), ModelError, "allocation"),
        (lambda: jk.models.get("linear", per="channels"), ModelError, "per must be"),
        (lambda: _result().by(measure=TYPO["measure"]), ParameterError, "measure"),
        (lambda: _result().to_frame(TYPO["backend"]), ParameterError, "backend"),
    ],
)
def test_every_enumerated_option_is_checked(call: Any, error: type, fragment: str) -> None:
    with pytest.raises(error, match=fragment):
        call()


def test_an_array_option_is_a_journeykit_error_not_an_ambiguous_truth_value() -> None:
    np = pytest.importorskip("numpy")
    with pytest.raises(ModelError, match="allocation must be"):
        jk.models.get("markov", allocation=np.array(["global", "journey"]))


def _model(body: str) -> str:
    return '{"schema_version": 1, "type": "model", ' + body + "}"


def test_schema_version_true_is_not_one() -> None:
    with pytest.raises(
        SchemaError, match=r"schema_version must be 2 or the earlier 1 \(got True\)"
    ):
        serde.loads('{"schema_version": true, "type": "model", "name": "linear"}')
    assert serde.loads(_model('"name": "linear"')) == jk.models.get("linear")


def test_duplicate_json_keys_are_an_error_not_last_wins() -> None:
    with pytest.raises(SchemaError, match="names the key 'name' twice"):
        serde.loads(_model('"name": "linear", "name": "markov"'))
    with pytest.raises(SchemaError, match="names the key 'order' twice"):
        serde.loads(_model('"name": "markov", "params": {"order": 1, "order": 2}'))


def test_deeply_nested_json_is_a_journeykit_error() -> None:
    # Before: RecursionError.
    with pytest.raises(SchemaError, match="nested too deeply"):
        serde.loads("[" * 100_000 + "]" * 100_000)
    with pytest.raises(SchemaError, match="nested too deeply"):
        serde.loads('{"a": ' * 100_000 + "1" + "}" * 100_000)


@pytest.mark.parametrize(
    "params", ['{"allocation": "jorney"}', '{"per": ["touch"]}', '{"allocation": 1}']
)
def test_options_read_from_json_are_checked(params: str) -> None:
    name = "linear" if "per" in params else "markov"
    with pytest.raises(JourneykitError, match=r"\$\.params"):
        serde.loads(_model(f'"name": "{name}", "params": {params}'))


@pytest.mark.parametrize("seconds", ["1e300", "99999999999999999999", "NaN"])
def test_a_duration_beyond_timedelta_is_a_schema_error_naming_the_path(seconds: str) -> None:
    document = _model(f'"name": "time_decay", "params": {{"half_life": {seconds}}}')
    with pytest.raises(SchemaError, match=r"half_life must be a finite duration .*\$\.params"):
        serde.loads(document)
