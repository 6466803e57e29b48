"""One engine behind every front end, the typed model contract, the registry and the conventions
every public signature follows."""

from __future__ import annotations

import inspect
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any, ClassVar

import attrs
import numpy as np
import pytest
from numpy.typing import NDArray

import journeykit as jk
import journeykit.dask as jkd
from journeykit.analytics import bootstrap
from journeykit.attribution import _engine, _registry
from journeykit.models import Fitted, Mergeable, Model, Tags
from test_streaming import events_frame


def paths() -> jk.Journeys:
    return jk.read_paths(
        [
            {"path": "search > email", "total_conversions": 3, "total_null": 2},
            {"path": "direct", "total_conversions": 2, "total_null": 1},
            {"path": "email > direct > search", "total_conversions": 1, "total_null": 4},
        ]
    )


@attrs.frozen
class Everything:
    """A typed plug-in model: all credit to the first touch. mypy checks it against Model."""

    tags: ClassVar[Tags] = Tags()

    def fit(self, journeys: jk.Journeys) -> Everything:
        return self

    def credit(self, journeys: jk.Journeys) -> NDArray[np.float64]:
        first = (journeys.position == 0).astype(np.float64)
        return np.asarray(first * journeys.converting[journeys.journey_of_touch], np.float64)


@attrs.frozen
class Counting:
    """A data-driven model with mergeable statistics: credit by channel frequency."""

    tags: ClassVar[Tags] = Tags(conserves="total", data_driven=True)

    def partial_stats(self, journeys: jk.Journeys) -> dict[str, float]:
        counts = np.bincount(journeys.channel.codes, minlength=len(journeys.channel.labels))
        return dict(zip(journeys.channel.labels, counts.astype(float).tolist(), strict=True))

    def merge(self, left: dict[str, float], right: dict[str, float]) -> dict[str, float]:
        return {k: left.get(k, 0.0) + right.get(k, 0.0) for k in {*left, *right}}

    def fit(self, journeys: jk.Journeys) -> Everything:
        return self.fit_from_stats(self.partial_stats(journeys))

    def fit_from_stats(self, stats: dict[str, float]) -> Everything:
        return Everything()


@attrs.frozen
class Unmergeable:
    tags: ClassVar[Tags] = Tags(data_driven=True)

    def fit(self, journeys: jk.Journeys) -> Everything:
        return Everything()


def test_plug_in_models_meet_the_typed_contract() -> None:
    model: Model = Everything()  # mypy --strict checks these assignments structurally
    fitted: Fitted = model.fit(paths())
    mergeable: Mergeable[dict[str, float]] = Counting()
    assert isinstance(model, Model)
    assert isinstance(fitted, Fitted)
    assert isinstance(mergeable, Mergeable)
    assert not isinstance(Everything(), Mergeable)
    assert jk.attribute(paths(), model).by("channel")["search"] == 3.0


def test_model_can_be_given_by_keyword_everywhere(tmp_path: Path) -> None:
    journeys = paths()
    by_position = jk.attribute(journeys, "markov").by("channel")
    assert dict(jk.attribute(journeys, model="markov").by("channel")) == dict(by_position)
    target = tmp_path / "paths.csv"
    target.write_text(
        "path,total_conversions,total_null\nsearch > email,3,2\ndirect,2,1\n"
        "email > direct > search,1,4\n"
    )
    streamed = jk.attribute_file(target, model="markov", chunk_rows=1).by("channel")
    assert dict(streamed) == pytest.approx(dict(by_position))
    point = bootstrap(journeys, model="markov", resamples=3).intervals
    assert {k: v.estimate for k, v in point.items()} == pytest.approx(dict(by_position))


def test_every_front_end_fits_chunks_the_same_way(tmp_path: Path) -> None:
    frame = events_frame(60, seed=3).to_pandas()
    target = tmp_path / "events.csv"
    frame.to_csv(target, index=False)
    whole = jk.attribute(jk.from_events(frame), Counting()).by("channel")
    streamed = jk.attribute_file(target, Counting(), chunk_rows=17).by("channel")
    import dask.dataframe as dd  # noqa: PLC0415

    parts = dd.from_pandas(frame, npartitions=3)  # type: ignore[no-untyped-call]
    distributed = jkd.attribute(parts, Counting()).by("channel")
    assert dict(streamed) == pytest.approx(dict(whole))
    assert dict(distributed) == pytest.approx(dict(whole))


def test_a_data_driven_model_without_statistics_is_refused_by_chunked_front_ends(
    tmp_path: Path,
) -> None:
    target = tmp_path / "paths.csv"
    target.write_text("path,total_conversions,total_null\na > b,1,1\n")
    with pytest.raises(jk.ModelError, match=r"no partial_stats\(\), merge\(\)"):
        jk.attribute_file(target, Unmergeable())
    assert jk.attribute(jk.read_paths(target), Unmergeable()).total == 1.0


@attrs.frozen
class NotFinite:
    tags: ClassVar[Tags] = Tags()

    def fit(self, journeys: jk.Journeys) -> NotFinite:
        return self

    def credit(self, journeys: jk.Journeys) -> NDArray[np.float64]:
        return np.full(journeys.n_touches, np.nan)


def test_bad_credit_is_a_model_error_in_every_front_end(tmp_path: Path) -> None:
    frame = events_frame(20, seed=1).to_pandas()
    target = tmp_path / "events.csv"
    frame.to_csv(target, index=False)
    with pytest.raises(jk.ModelError, match=r"NotFinite: credit\(\) must return finite"):
        jk.attribute(jk.from_events(frame), NotFinite())
    with pytest.raises(jk.ModelError, match=r"NotFinite: credit\(\) must return finite"):
        jk.attribute_file(target, NotFinite())
    import dask.dataframe as dd  # noqa: PLC0415

    parts = dd.from_pandas(frame, npartitions=2)  # type: ignore[no-untyped-call]
    with pytest.raises(jk.ModelError, match=r"NotFinite: credit\(\) must return finite"):
        jkd.attribute(parts, NotFinite()).credit.compute()


def test_fit_chunks_on_nothing_names_the_input() -> None:
    with pytest.raises(jk.SchemaError, match=r"events\.csv"):
        _engine.fit_chunks(jk.models.get("markov"), list, where="events.csv")


# -- the registry -------------------------------------------------------------------------------


def test_a_plug_in_class_named_like_a_built_in_cannot_replace_it() -> None:
    @attrs.frozen
    class Linear:  # same name as the built-in, different class
        tags: ClassVar[Tags] = Tags()

        def fit(self, journeys: jk.Journeys) -> Everything:
            return Everything()

    with jk.models.scoped():
        with pytest.raises(jk.ModelError, match="built-in model"):
            jk.models.register("linear")(Linear)
        with pytest.raises(jk.ModelError, match="built-in model"):
            jk.models.register("linear", replace=True)(Linear)
        with pytest.raises(jk.ModelError, match="cannot be unregistered"):
            jk.models.unregister("linear")
    assert jk.attribute(paths(), "linear").total == pytest.approx(6.0)


def test_names_are_taken_once_replaced_on_request_and_undone_by_a_scope() -> None:
    with jk.models.scoped():
        jk.models.register("to_first")(Everything)
        jk.models.register("to_first")(Everything)  # the same class again: nothing changes
        with pytest.raises(jk.ModelError, match=r"already registered.*replace=True"):
            jk.models.register("to_first")(Counting)
        jk.models.register("to_first", replace=True)(Counting)
        assert jk.models.model_class("to_first") is Counting
        assert jk.models.name_of(Counting()) == "to_first"
        assert jk.models.name_of(Everything()) == "Everything"  # no longer registered
        jk.models.unregister("to_first")
        assert "to_first" not in jk.models.available()
        with pytest.raises(jk.UnknownModelError, match="to_first"):
            jk.models.unregister("to_first")
        jk.models.register("kept_until_the_scope_ends")(Everything)
    assert "kept_until_the_scope_ends" not in jk.models.available()
    assert jk.models.name_of(Everything()) == "Everything"


def test_a_parameter_named_like_a_front_end_keyword_is_refused() -> None:
    @attrs.frozen
    class Clashing:
        by: str = "channel"
        tags: ClassVar[Tags] = Tags()

        def fit(self, journeys: jk.Journeys) -> Everything:
            return Everything()

    with jk.models.scoped(), pytest.raises(jk.ModelError, match=r"\['by'\]"):
        jk.models.register("clashing")(Clashing)


@attrs.frozen
class FakeEntryPoint:
    """An installed plug-in's entry point, as importlib.metadata lists it."""

    name: str
    cls: type[Everything]

    @property
    def value(self) -> str:
        return f"plugin:{self.cls.__name__}"

    def load(self) -> type[Everything]:
        return self.cls


def installed(monkeypatch: pytest.MonkeyPatch, *points: FakeEntryPoint) -> None:
    """Pretend these entry points are installed and not scanned yet."""
    monkeypatch.setattr(_registry, "entry_points", lambda group: list(points))
    monkeypatch.setattr(_registry, "_ENTRY_POINTS_LOADED", False)


def test_entry_points_cannot_take_built_in_names(monkeypatch: pytest.MonkeyPatch) -> None:
    installed(monkeypatch, FakeEntryPoint("linear", Everything))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        names = jk.models.available()
    assert "linear" in names
    assert any("names the built-in model 'linear'" in str(w.message) for w in caught)
    assert jk.models.model_class("linear") is jk.models.Linear


def test_a_plug_in_is_named_by_its_entry_point_before_any_look_up(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Built-in names no longer scan entry points, so the plug-in's name comes from its instance.
    class FromEntryPoint(Everything):
        pass

    installed(monkeypatch, FakeEntryPoint("from_an_entry_point", FromEntryPoint))
    monkeypatch.setattr(_registry, "_MODELS", dict(_registry._MODELS))  # (scoped() would scan)
    monkeypatch.setattr(_registry, "_NAMES", dict(_registry._NAMES))
    paths = jk.read_paths([{"path": "a > b", "total_conversions": 1}])
    assert jk.attribute(paths, "linear").name == "linear"
    assert jk.attribute(paths, FromEntryPoint()).name == "from_an_entry_point"


@pytest.mark.parametrize("name", _registry._BUILTINS)
def test_every_built_in_round_trips_through_its_spec(name: str) -> None:
    params = {"first": 0.4, "last": 0.6} if name == "custom_positions" else {}
    model = jk.models.get(name, **params)
    spec = jk.models.to_spec(model)
    assert spec["name"] == name
    assert jk.models.from_spec(spec) == model
    assert not set(spec["params"]) & jk.models.RESERVED


def test_specs_of_unregistered_models_and_bad_specs_are_refused() -> None:
    with pytest.raises(jk.ModelError, match="not a registered attrs model"):
        jk.models.to_spec(Everything())
    with pytest.raises(jk.ModelError, match="a model spec is"):
        jk.models.from_spec({"params": {}})
    with pytest.raises(jk.UnknownModelError, match="lineer"):
        jk.models.from_spec({"name": "lineer"})


def test_get_does_not_leak_the_class_name_into_parameter_errors() -> None:
    with pytest.raises(jk.ModelError, match=r"model 'linear': got an unexpected keyword"):
        jk.models.get("linear", model="markov")


# -- the conventions every public signature follows ---------------------------------------------


def _public_callables() -> dict[str, Callable[..., Any]]:
    from journeykit import analytics  # noqa: PLC0415

    found: dict[str, Callable[..., Any]] = {
        "attribute": jk.attribute,
        "compare": jk.compare,
        "attribute_file": jk.attribute_file,
        "dask.attribute": jkd.attribute,
        "bootstrap": bootstrap,
    }
    for module in (jk, analytics):
        for name in module.__all__:
            thing = getattr(module, name)
            if inspect.isfunction(thing):
                found.setdefault(name, thing)
            if inspect.isclass(thing):
                for attribute, member in vars(thing).items():
                    if inspect.isfunction(member) and not attribute.startswith("_"):
                        found[f"{name}.{attribute}"] = member
    return found


MODEL_FRONT_ENDS = ("attribute", "attribute_file", "dask.attribute", "bootstrap")


@pytest.mark.parametrize("name", MODEL_FRONT_ENDS)
def test_front_ends_take_their_input_first_then_model(name: str) -> None:
    parameters = list(inspect.signature(_public_callables()[name]).parameters.values())
    first, second = parameters[0], parameters[1]
    assert first.name in ("journeys", "source")
    assert first.kind is inspect.Parameter.POSITIONAL_ONLY
    assert second.name == "model"
    assert second.kind is inspect.Parameter.POSITIONAL_OR_KEYWORD
    assert second.default == "linear"
    keywords = {p.name for p in parameters if p.kind is not inspect.Parameter.VAR_KEYWORD}
    assert keywords <= jk.models.RESERVED, keywords - jk.models.RESERVED


def test_no_built_in_model_parameter_collides_with_a_front_end_keyword() -> None:
    for name in _registry._BUILTINS:
        fields = {f.alias for f in attrs.fields(jk.models.model_class(name)) if f.init}
        assert not fields & jk.models.RESERVED, (name, fields & jk.models.RESERVED)


def test_measure_defaults_to_conversions_and_to_frame_takes_the_backend_first() -> None:
    checked = 0
    for name, function in _public_callables().items():
        parameters = inspect.signature(function).parameters
        measure = parameters.get("measure")
        credit_measure = measure is not None and (
            "Measure" in str(measure.annotation) or "conversions" in str(measure.annotation)
        )
        if (
            measure is not None
            and credit_measure
            and measure.default is not inspect.Parameter.empty
        ):
            assert measure.default == "conversions", name
            checked += 1
        if name.endswith(".to_frame"):
            after_self = [p for p in parameters.values() if p.name != "self"]
            assert after_self, name
            assert after_self[0].name == "backend", name
            assert after_self[0].default == "pandas", name
            checked += 1
    assert checked >= 8


def test_comparison_to_frame_reads_its_first_argument_as_the_backend() -> None:
    frame = jk.compare(paths(), ["linear", "markov"]).to_frame("pyarrow")
    assert type(frame).__module__.startswith("pyarrow")
    assert frame.column_names == ["channel", "linear", "markov"]
