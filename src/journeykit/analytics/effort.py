"""Duplicated effort: marketing and sales reaching the same buyer with the same asset."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from typing import Any

import attrs

from journeykit._frames import Backend, to_frame
from journeykit.errors import ParameterError
from journeykit.records import Records
from journeykit.touchpoints import Touchpoint

__all__ = ["DuplicatedEffort", "duplicated_effort"]


@attrs.frozen(eq=False)
class DuplicatedEffort:
    """Pairs of touches by different teams on the same buyer and asset within a window."""

    window: timedelta
    pairs: tuple[tuple[Touchpoint, Touchpoint], ...]  # (earlier, later)

    def summary(self) -> dict[tuple[str, str, str], int]:
        """Pair counts by (first team, then team, channel of the later touch)."""
        counts = Counter((a.team.value, b.team.value, b.channel) for a, b in self.pairs)
        return dict(sorted(counts.items()))

    def to_frame(self, backend: Backend = "pandas") -> Any:
        """One row per pair."""
        return to_frame(
            {
                "buyer": [a.buyer for a, _ in self.pairs],
                "asset": [a.asset for a, _ in self.pairs],
                "campaign": [a.campaign for a, _ in self.pairs],
                "first": [a.id for a, _ in self.pairs],
                "first_team": [a.team.value for a, _ in self.pairs],
                "then": [b.id for _, b in self.pairs],
                "then_team": [b.team.value for _, b in self.pairs],
                "then_channel": [b.channel for _, b in self.pairs],
                "hours_apart": [(b.time - a.time) / timedelta(hours=1) for a, b in self.pairs],
            },
            backend,
        )

    def __repr__(self) -> str:
        shown = ", ".join(f"{a}->{b} via {c}: {n}" for (a, b, c), n in self.summary().items())
        return f"DuplicatedEffort({len(self.pairs)} pairs within {self.window}: {shown or 'none'})"


def duplicated_effort(
    records: Records, *, window: timedelta = timedelta(days=7)
) -> DuplicatedEffort:
    """Find where marketing and sales sent one buyer the same asset or message within ``window``.

    Every pair of touches on one buyer that used one asset (or, for touches without an asset,
    belong to one campaign: the same message), made by different teams, at most ``window`` apart,
    is reported (earlier touch first).

    Examples
    --------
    >>> from journeykit.datasets import example_records
    >>> duplicated_effort(example_records(), window=timedelta(days=30))
    DuplicatedEffort(0 pairs within 30 days, 0:00:00: none)
    """
    if window < timedelta(0):
        msg = f"window must be a non-negative timedelta (got {window})"
        raise ParameterError(msg)
    pairs = []
    for buyer in records.buyers:
        by_content: dict[tuple[str, str], list[Touchpoint]] = {}
        for touch in records.touches_of_buyer(buyer.id):
            if touch.asset is not None:
                by_content.setdefault(("asset", touch.asset), []).append(touch)
            elif touch.campaign is not None:
                by_content.setdefault(("campaign", touch.campaign), []).append(touch)
        for touches in by_content.values():
            for i, earlier in enumerate(touches):
                for later in touches[i + 1 :]:
                    if later.time - earlier.time > window:
                        break
                    if earlier.team is not later.team:
                        pairs.append((earlier, later))
    return DuplicatedEffort(window, tuple(pairs))
