"""The model contract: a frozen spec with ``fit``, a fitted object with ``credit``, and tags."""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal, Protocol, runtime_checkable

import attrs
import numpy as np
from numpy.typing import NDArray

if TYPE_CHECKING:
    from journeykit.journeys import Journeys

__all__ = ["Fitted", "Model", "Tags"]


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
    """

    conserves: Literal["journey", "total"] = "journey"
    non_negative: bool = True
    needs_times: bool = False
    uses_milestones: bool = False
    data_driven: bool = False
    relabel_invariant: bool = True


@runtime_checkable
class Fitted(Protocol):
    """A fitted model: gives one share per touch, aligned with the journeys' touch columns."""

    def credit(self, journeys: Journeys) -> NDArray[np.float64]:
        """Shares per touch (float64, shape ``(journeys.n_touches,)``)."""
        ...


@runtime_checkable
class Model(Protocol):
    """An attribution model spec: immutable parameters, ``fit`` returns a :class:`Fitted`."""

    @property
    def tags(self) -> Tags:
        """What the model promises."""
        ...

    def fit(self, journeys: Journeys) -> Fitted:
        """Learn from ``journeys`` (rule models return themselves)."""
        ...
