"""The conformance kit: the axioms every attribution model must satisfy, as hypothesis properties.

Shaped like scikit-learn's ``check_estimator``: one plain function per property, the model's
:class:`~journeykit.Tags` decide which apply, and :func:`parametrize_with_checks` turns them into
one pytest item per model and check with readable IDs.

Examples
--------
>>> import journeykit as jk
>>> from journeykit.testing.checks import check_model
>>> check_model(jk.models.get("linear"))
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any, TypeVar

import attrs
import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.typing import NDArray

from journeykit.attribution._api import attribute
from journeykit.attribution._protocol import Tags
from journeykit.attribution._registry import name_of
from journeykit.io.serde import dumps, loads
from journeykit.journeys import Column, Journeys, concat
from journeykit.testing import strategies as jst

__all__ = [
    "CHECKS",
    "check_conserves_per_journey",
    "check_conserves_totals",
    "check_deterministic",
    "check_fit_does_not_mutate",
    "check_journey_order_invariance",
    "check_model",
    "check_non_negative",
    "check_relabel_invariance",
    "check_shape_and_finite",
    "check_spec_round_trip",
    "check_support",
    "check_symmetry",
    "check_value_scaling",
    "checks_for",
    "parametrize_with_checks",
]

_F = TypeVar("_F", bound=Callable[..., Any])
_ABS = 1e-9
_REL = 1e-9


def _precision(model: Any) -> float:
    """The tolerance of invariance checks: rounding, or the model's declared fit precision."""
    return max(_REL, _tags(model).precision)


def _tags(model: Any) -> Tags:
    tags = getattr(model, "tags", None)
    return tags if isinstance(tags, Tags) else Tags()


def _journeys_for(model: Any, **kwargs: Any) -> st.SearchStrategy[Journeys]:
    return (
        jst.journeys(times=True, **kwargs)
        if _tags(model).needs_times
        else st.one_of(jst.journeys(times=True, **kwargs), jst.journeys(times=False, **kwargs))
    )


def _shares(model: Any, journeys: Journeys) -> NDArray[np.float64]:
    return np.asarray(model.fit(journeys).credit(journeys), dtype=np.float64)


def _property(model: Any, check: Callable[[Journeys], None], **strategy: Any) -> None:
    @settings(database=None)
    @given(_journeys_for(model, **strategy))
    def run(journeys: Journeys) -> None:
        check(journeys)

    run()


def check_shape_and_finite(model: Any) -> None:
    """``credit`` returns one finite float per touch."""

    def check(journeys: Journeys) -> None:
        shares = _shares(model, journeys)
        assert shares.shape == (journeys.n_touches,), (
            f"shape {shares.shape} != ({journeys.n_touches},)"
        )
        assert np.all(np.isfinite(shares)), "shares must be finite"

    _property(model, check)


def check_conserves_totals(model: Any) -> None:
    """Credited conversions and value add up to the journeys' totals."""

    def check(journeys: Journeys) -> None:
        result = attribute(journeys, model)
        assert np.isclose(result.total, journeys.total_conversions, rtol=_REL, atol=_ABS), (
            f"credited {result.total} of {journeys.total_conversions} conversions"
        )
        assert np.isclose(result.total_value, journeys.total_value, rtol=_REL, atol=_ABS), (
            f"credited {result.total_value} of {journeys.total_value} value"
        )

    _property(model, check)


def check_conserves_per_journey(model: Any) -> None:
    """Each converting journey's shares sum to 1 (error below 1e-12); other journeys' are 0."""

    def check(journeys: Journeys) -> None:
        shares = _shares(model, journeys)
        sums = np.bincount(journeys.journey_of_touch, weights=shares, minlength=journeys.n_journeys)
        expected = journeys.converting.astype(np.float64)
        worst = float(np.max(np.abs(sums - expected))) if sums.size else 0.0
        assert worst < 1e-12, f"a journey's shares sum off by {worst}"

    _property(model, check)


def check_support(model: Any) -> None:
    """Touches of journeys that did not convert get no credit."""

    def check(journeys: Journeys) -> None:
        shares = _shares(model, journeys)
        idle = ~journeys.converting[journeys.journey_of_touch]
        assert np.all(shares[idle] == 0), "a non-converting journey's touch got credit"

    _property(model, check)


def check_non_negative(model: Any) -> None:
    """Every share is >= 0."""

    def check(journeys: Journeys) -> None:
        shares = _shares(model, journeys)
        assert np.all(shares >= 0), f"negative share {shares.min()}"

    _property(model, check)


def check_deterministic(model: Any) -> None:
    """Fitting and crediting twice gives the same bits."""

    def check(journeys: Journeys) -> None:
        assert np.array_equal(_shares(model, journeys), _shares(model, journeys)), (
            "results differ between runs"
        )

    _property(model, check)


def check_journey_order_invariance(model: Any) -> None:
    """Reordering journeys reorders their credit and changes nothing else."""

    @settings(database=None)
    @given(_journeys_for(model), st.randoms(use_true_random=False))
    def run(journeys: Journeys, random: Any) -> None:
        order = list(range(journeys.n_journeys))
        random.shuffle(order)
        shuffled = journeys.select(order)
        before = _shares(model, journeys)
        after = _shares(model, shuffled)
        # The shuffled table's touch t is the original table's touch moved[t].
        moved = np.concatenate(
            [np.arange(journeys.offsets[j], journeys.offsets[j + 1]) for j in order]
        )
        tol = _precision(model)
        np.testing.assert_allclose(after, before[moved], rtol=tol, atol=tol)

    run()


def _renamed(journeys: Journeys, names: Mapping[str, str]) -> Journeys:
    """The same journeys with channels renamed (labels re-sorted, codes recoded, as readers do)."""
    old = journeys.channel
    labels = sorted(names[label] for label in old.labels)
    position = {label: i for i, label in enumerate(labels)}
    lookup = np.array([position[names[label]] for label in old.labels] + [-1], dtype=np.int64)
    column = Column(lookup[old.codes].astype(old.codes.dtype), labels)
    return attrs.evolve(journeys, columns={**journeys.columns, "channel": column})


def check_relabel_invariance(model: Any) -> None:
    """Renaming channels renames their credit and changes nothing else."""

    @settings(database=None)
    @given(_journeys_for(model), st.permutations(["zeta", "alpha", "mid", "Beta", "0"]))
    def run(journeys: Journeys, new_names: list[str]) -> None:
        names = dict(zip(journeys.channel.labels, new_names, strict=False))
        renamed = _renamed(journeys, names)
        before = attribute(journeys, model).by("channel")
        after = attribute(renamed, model).by("channel")
        for label, amount in before.items():
            tol = _precision(model)
            assert np.isclose(after[names[label]], amount, rtol=tol, atol=tol), (
                label,
                amount,
                after[names[label]],
            )

    run()


def check_symmetry(model: Any) -> None:
    """Two channels that are interchangeable in every journey get equal credit."""

    def check(journeys: Journeys) -> None:
        codes = journeys.channel.codes
        swapped_codes = np.where(codes == 0, 1, np.where(codes == 1, 0, codes)).astype(codes.dtype)
        swapped = attrs.evolve(
            journeys,
            columns={**journeys.columns, "channel": Column(swapped_codes, journeys.channel.labels)},
        )
        both = concat([journeys, swapped])
        credit = attribute(both, model).by("channel")
        a, b = journeys.channel.labels[:2]
        tol = _precision(model)
        assert np.isclose(credit.get(a, 0.0), credit.get(b, 0.0), rtol=tol, atol=tol), (
            credit.get(a),
            credit.get(b),
        )

    _property(model, check)


def check_value_scaling(model: Any) -> None:
    """Scaling every value by k scales value credit by k and leaves conversion credit alone."""

    def check(journeys: Journeys) -> None:
        scaled = journeys.with_values(value=journeys.value * 3.5)
        base, more = attribute(journeys, model), attribute(scaled, model)
        tol = _precision(model)
        np.testing.assert_allclose(more.value_credit, 3.5 * base.value_credit, rtol=tol, atol=tol)
        np.testing.assert_allclose(more.credit, base.credit, rtol=tol, atol=tol)

    _property(model, check)


def check_fit_does_not_mutate(model: Any) -> None:
    """Fitting and crediting leave the journeys' arrays as they were."""

    def check(journeys: Journeys) -> None:
        arrays = {
            name: getattr(journeys, name)
            for name in ("offsets", "time", "conversions", "nulls", "value")
        }
        copies = {name: a.copy() for name, a in arrays.items()}
        codes = journeys.channel.codes.copy()
        _shares(model, journeys)
        for name in arrays:
            assert np.array_equal(getattr(journeys, name), copies[name]), f"{name} changed"
        assert np.array_equal(journeys.channel.codes, codes), "channel codes changed"

    _property(model, check)


def check_spec_round_trip(model: Any) -> None:
    """The model spec survives a JSON round trip (``journeykit.io.dumps``/``loads``)."""
    text = dumps(model)
    again: Any = loads(text)
    assert again == model, f"{again!r} != {model!r} after {text}"


CHECKS: dict[str, Callable[[Any], None]] = {
    "shape_and_finite": check_shape_and_finite,
    "conserves_totals": check_conserves_totals,
    "conserves_per_journey": check_conserves_per_journey,
    "support": check_support,
    "non_negative": check_non_negative,
    "deterministic": check_deterministic,
    "journey_order_invariance": check_journey_order_invariance,
    "relabel_invariance": check_relabel_invariance,
    "symmetry": check_symmetry,
    "value_scaling": check_value_scaling,
    "fit_does_not_mutate": check_fit_does_not_mutate,
    "spec_round_trip": check_spec_round_trip,
}
"""Every check by name."""


def checks_for(model: Any) -> list[str]:
    """The names of the checks that apply to ``model``, chosen by its tags."""
    tags = _tags(model)
    skipped = set()
    if tags.conserves != "journey":
        skipped.add("conserves_per_journey")
    if not tags.non_negative:
        skipped.add("non_negative")
    if not tags.relabel_invariant:
        skipped |= {"relabel_invariance", "symmetry"}
    return [name for name in CHECKS if name not in skipped]


def check_model(model: Any, *, expected_failed_checks: Mapping[str, str] | None = None) -> None:
    """Run every applicable check on ``model``; raise ``AssertionError`` naming the first failure.

    ``expected_failed_checks`` maps a check name to the reason it is expected to fail; such a
    check must fail (so the list stays honest).
    """
    expected = dict(expected_failed_checks or {})
    for name in checks_for(model):
        try:
            CHECKS[name](model)
        except AssertionError as exc:
            if name in expected:
                continue
            msg = f"{name_of(model)} fails check {name!r}: {exc}"
            raise AssertionError(msg) from exc
        if name in expected:
            reason = expected[name]
            msg = f"{name_of(model)} passes check {name!r}, listed as expected to fail ({reason})"
            raise AssertionError(msg)


def parametrize_with_checks(
    models: Iterable[Any], *, expected_failed_checks: Mapping[str, Mapping[str, str]] | None = None
) -> Callable[[_F], _F]:
    """A ``pytest.mark.parametrize`` over ``(model, check)``: one test item per model and check.

    Parameters
    ----------
    models : iterable of model instances
    expected_failed_checks : mapping, optional
        ``{model name: {check name: reason}}``; those items are strict ``xfail``.

    Examples
    --------
    >>> import journeykit as jk
    >>> from journeykit.testing.checks import parametrize_with_checks
    >>> @parametrize_with_checks([jk.models.get("linear")])
    ... def test_conformance(model, check):
    ...     check(model)
    """
    import pytest  # noqa: PLC0415  # only test code calls this

    expected = {k: dict(v) for k, v in (expected_failed_checks or {}).items()}
    params = []
    for model in models:
        name = name_of(model)
        for check in checks_for(model):
            marks = []
            reason = expected.get(name, {}).get(check)
            if reason is not None:
                marks.append(pytest.mark.xfail(reason=reason, strict=True))
            params.append(pytest.param(model, CHECKS[check], id=f"{name}-{check}", marks=marks))
    decorator: Callable[[_F], _F] = pytest.mark.parametrize(("model", "check"), params)
    return decorator
