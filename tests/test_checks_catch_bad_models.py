"""The conformance kit is only worth something if it fails broken models: each check, shown failing."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, ClassVar

import attrs
import numpy as np
import pytest
from hypothesis import Phase, settings
from numpy.typing import NDArray

import journeykit as jk
from journeykit.testing import checks


@pytest.fixture(autouse=True)
def _no_shrinking() -> Iterator[None]:
    # These models are broken on purpose: finding a counterexample is the test; shrinking it
    # (most of a minute for the nondeterministic one) is not.
    current = settings.get_current_profile_name()
    settings.register_profile(
        "unshrunk",
        parent=settings.get_profile(current),
        phases=[Phase.explicit, Phase.reuse, Phase.generate],
    )
    settings.load_profile("unshrunk")
    yield
    settings.load_profile(current)


@attrs.frozen
class _Base:
    tags: ClassVar[jk.Tags] = jk.Tags()

    def fit(self, journeys: jk.Journeys) -> Any:
        return self


@attrs.frozen
class HalfCredit(_Base):
    """Gives every touch 0.5: conserves nothing."""

    def credit(self, journeys: jk.Journeys) -> NDArray[np.float64]:
        return np.full(journeys.n_touches, 0.5)


@attrs.frozen
class CreditsIdleJourneys(_Base):
    """Linear over every journey, converting or not."""

    def credit(self, journeys: jk.Journeys) -> NDArray[np.float64]:
        return 1.0 / journeys.lengths[journeys.journey_of_touch]


@attrs.frozen
class Noisy(_Base):
    """Adds random noise that cancels per journey: conserves, but is not deterministic."""

    def credit(self, journeys: jk.Journeys) -> NDArray[np.float64]:
        base: NDArray[np.float64] = jk.models.get("linear").credit(journeys)
        noise = np.random.default_rng().normal(size=journeys.n_touches) * (
            journeys.lengths[journeys.journey_of_touch] > 1
        )
        noise -= (
            np.bincount(journeys.journey_of_touch, noise, journeys.n_journeys) / journeys.lengths
        )[journeys.journey_of_touch]
        return base + noise * journeys.converting[journeys.journey_of_touch]


@attrs.frozen
class NegativeLast(_Base):
    """Conserves per journey, but takes half a conversion back from the last touch."""

    def credit(self, journeys: jk.Journeys) -> NDArray[np.float64]:
        linear: NDArray[np.float64] = jk.models.get("linear").credit(journeys)
        last = journeys.position == journeys.lengths[journeys.journey_of_touch] - 1
        several = journeys.lengths[journeys.journey_of_touch] > 1
        shift = np.where(several & (journeys.position == 0), 0.5, 0.0) - np.where(
            several & last, 0.5, 0.0
        )
        shares: NDArray[np.float64] = (
            linear + shift * journeys.converting[journeys.journey_of_touch]
        )
        return shares


@attrs.frozen
class FavoursFirstLabel(_Base):
    """Everything to the touches of the alphabetically first channel, when a journey has one."""

    def credit(self, journeys: jk.Journeys) -> NDArray[np.float64]:
        first = np.argmin(journeys.channel.labels)
        weights = np.where(journeys.channel.codes == first, 1.0, 1e-3)
        totals = np.bincount(journeys.journey_of_touch, weights, journeys.n_journeys)
        return (
            weights
            / totals[journeys.journey_of_touch]
            * journeys.converting[journeys.journey_of_touch]
        )


@attrs.frozen
class FirstJourneyOnly(_Base):
    """Credits by journey position in the table: breaks journey-order invariance."""

    def credit(self, journeys: jk.Journeys) -> NDArray[np.float64]:
        linear: NDArray[np.float64] = jk.models.get("linear").credit(journeys)
        return np.where(journeys.journey_of_touch == 0, linear * 2, linear)


class NotAttrs:
    tags = jk.Tags()

    def fit(self, journeys: jk.Journeys) -> Any:
        return jk.models.get("linear")


@pytest.mark.parametrize(
    ("model", "check"),
    [
        (HalfCredit(), checks.check_conserves_totals),
        (HalfCredit(), checks.check_conserves_per_journey),
        (CreditsIdleJourneys(), checks.check_support),
        (Noisy(), checks.check_deterministic),
        (NegativeLast(), checks.check_non_negative),
        (FavoursFirstLabel(), checks.check_relabel_invariance),
        (FavoursFirstLabel(), checks.check_symmetry),
        (FirstJourneyOnly(), checks.check_journey_order_invariance),
    ],
    ids=lambda x: x.__name__ if callable(x) and hasattr(x, "__name__") else type(x).__name__,
)
def test_check_fails_a_broken_model(model: Any, check: Any) -> None:
    with pytest.raises(AssertionError):
        check(model)


def test_spec_round_trip_fails_for_unregistered_models() -> None:
    with pytest.raises(TypeError, match="cannot write a NotAttrs"):
        checks.check_spec_round_trip(NotAttrs())


def test_check_model_names_the_failing_check() -> None:
    with pytest.raises(AssertionError, match="fails check 'conserves_totals'"):
        checks.check_model(HalfCredit())


def test_expected_failures_must_fail() -> None:
    linear = jk.models.get("linear")
    with pytest.raises(AssertionError, match="listed as expected to fail"):
        checks.check_model(linear, expected_failed_checks={"deterministic": "claimed flaky"})


def test_tags_choose_checks() -> None:
    assert "conserves_per_journey" in checks.checks_for(jk.models.get("linear"))
    assert "relabel_invariance" not in checks.checks_for(jk.models.get("last_non_direct"))
