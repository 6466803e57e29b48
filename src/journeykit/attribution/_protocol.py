"""The model contract: a frozen spec with ``fit``, a fitted object with ``credit``, and tags.

These protocols are the real types of the core: ``attribute``, the engine behind it, the
registry and :class:`~journeykit.Attribution` are annotated with them, so ``mypy --strict``
checks a plug-in model where it meets journeykit. No base class is needed: any object with the
right methods is a model.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal, Protocol, TypeVar, runtime_checkable

import attrs
import numpy as np
from numpy.typing import NDArray

if TYPE_CHECKING:
    from journeykit.journeys import Journeys

__all__ = ["Fitted", "Mergeable", "Model", "Tags", "ValueFitted"]

Stats = TypeVar("Stats")


@attrs.frozen
class Tags:
    """What a model promises; the conformance kit picks its checks from these.

    Parameters
    ----------
    conserves : {"journey", "total"}
        ``"journey"``: each converting journey's shares sum to 1 and a non-converting journey's
        are 0. ``"total"``: only the grand totals conserve (global Markov allocation).
    non_negative : bool
        Whether every share is >= 0.
    needs_times : bool
        Whether the model refuses journeys without touch times.
    uses_milestones : bool
        Whether milestone flags change the result.
    data_driven : bool
        Whether ``fit`` learns from the journeys (so fitting on other journeys changes credit).
    relabel_invariant : bool
        Whether renaming channels only renames their credit (false for models with per-channel
        parameters, such as the excluded channels of ``last_non_direct``). Such models also
        give channels that are interchangeable in every journey equal credit (symmetry).
    precision : float
        How closely results that should not change do not change (relative and absolute), when
        the model is refitted on reordered, relabelled or rescaled journeys. ``1e-9`` (rounding)
        for models solved in closed form; an iterative fit declares its convergence tolerance.
        Conservation is always checked at rounding precision.
    """

    conserves: Literal["journey", "total"] = "journey"
    non_negative: bool = True
    needs_times: bool = False
    uses_milestones: bool = False
    data_driven: bool = False
    relabel_invariant: bool = True
    precision: float = 1e-9


@runtime_checkable
class Fitted(Protocol):
    """A fitted model: gives one share per touch, aligned with the journeys' touch columns."""

    def credit(self, journeys: Journeys) -> NDArray[np.float64]:
        """Shares per touch (float64, shape ``(journeys.n_touches,)``)."""
        ...


@runtime_checkable
class ValueFitted(Fitted, Protocol):
    """A fitted model that weighs value differently from conversions (e.g. a value chain)."""

    def credit_value(self, journeys: Journeys) -> NDArray[np.float64]:
        """Shares of each journey's value per touch (same shape as :meth:`credit`)."""
        ...


@runtime_checkable
class Model(Protocol):
    """An attribution model spec: immutable parameters, ``fit`` returns a :class:`Fitted`.

    ``tags`` may be a property or a class attribute (``tags: ClassVar[Tags] = Tags()``).
    """

    @property
    def tags(self) -> Tags:
        """What the model promises."""
        ...

    def fit(self, journeys: Journeys) -> Fitted:
        """Learn from ``journeys`` (rule models return themselves)."""
        ...


@runtime_checkable
class Mergeable(Model, Protocol[Stats]):
    """A model that fits from mergeable sufficient statistics, one chunk at a time.

    ``fit_from_stats(reduce(merge, map(partial_stats, chunks)))`` must equal ``fit`` on all the
    chunks at once (up to floating-point summation order). ``attribute_file`` and
    ``journeykit.dask.attribute`` fit such models without holding all journeys in memory.
    """

    def partial_stats(self, journeys: Journeys) -> Stats:
        """Sufficient statistics of one chunk of whole journeys."""
        ...

    def merge(self, left: Stats, right: Stats) -> Stats:
        """Combine two chunks' statistics (associative)."""
        ...

    def fit_from_stats(self, stats: Stats) -> Fitted:
        """Fit from (merged) statistics."""
        ...


def tags_of(model: Any) -> Tags:
    """The tags a model declares (defaults for an object that declares none)."""
    tags = getattr(model, "tags", None)
    return tags if isinstance(tags, Tags) else Tags()
