"""Milestones: the moments of a journey that U, W and full-path models anchor credit on."""

from __future__ import annotations

import enum

__all__ = ["Milestone"]


class Milestone(enum.Enum):
    """A moment of the buying journey.

    The touch that carries a milestone is the last touch at or before the moment (the first touch
    of the journey for ``FIRST_TOUCH``).
    """

    FIRST_TOUCH = "first_touch"
    LEAD_CREATED = "lead_created"
    OPPORTUNITY_CREATED = "opportunity_created"
    CLOSED_WON = "closed_won"

    @property
    def bit(self) -> int:
        """The bit of this milestone in a touch's milestone flags (``Journeys.milestones``)."""
        return 1 << _ORDER.index(self)


_ORDER = list(Milestone)
