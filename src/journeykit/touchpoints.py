"""Touchpoints: one interaction of the company with one buyer at one instant."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from datetime import datetime, tzinfo
from typing import Any

import attrs

from journeykit._checks import Checker, record_label
from journeykit._frozenmap import FrozenMap, to_frozenmap
from journeykit._rows import (
    build_from_row,
    enum_parser,
    parse_mapping,
    parse_number,
    parse_text,
    parse_time,
)

__all__ = ["Reach", "Team", "Touchpoint"]


class Reach(enum.Enum):
    """How many people one touch addresses at once."""

    ONE_TO_MANY = "one_to_many"
    """Broadcast: an ad, an email campaign, a social post, a content view, an event."""
    ONE_TO_ONE = "one_to_one"
    """Personal: a call, a meeting, a demo, a personal email."""

    @property
    def default_team(self) -> Team:
        """The team that usually owns this reach: one-to-many is marketing, one-to-one sales."""
        return Team.MARKETING if self is Reach.ONE_TO_MANY else Team.SALES


class Team(enum.Enum):
    """Which team made a touch."""

    MARKETING = "marketing"
    SALES = "sales"


def _team_or_default(team: Team | None, self_: Any) -> Team | None:
    # attrs has already set ``reach`` (declared earlier); an invalid reach is reported later.
    if team is None and isinstance(self_.reach, Reach):
        return self_.reach.default_team
    return team


@attrs.frozen
class Touchpoint:
    """One interaction of the company with one buyer at one instant, on one channel.

    Parameters
    ----------
    id : str
        Unique touch ID.
    buyer : str
        ID of the :class:`~journeykit.Buyer` touched.
    time : datetime
        When it happened; must be timezone-aware.
    channel : str
        Channel name, e.g. ``"webinar"``, ``"paid_search"``, ``"call"``.
    reach : Reach
        ``ONE_TO_MANY`` (broadcast) or ``ONE_TO_ONE`` (personal).
    team : Team, optional
        ``MARKETING`` or ``SALES``. Defaults from ``reach`` (one-to-many is marketing, one-to-one
        is sales); set it for the exceptions, such as an SDR's personal email (one-to-one
        marketing) or a rep sharing a whitepaper (one-to-one sales using a marketing asset).
    asset : str, optional
        ID of the :class:`~journeykit.ContentAsset` the touch used.
    campaign : str, optional
        Campaign the touch belongs to.
    cost : float
        What the touch cost, finite and >= 0.
    properties : mapping of str to str
        Free-form extra fields (UTM tags, CRM columns). Stored as an immutable mapping.

    Examples
    --------
    >>> from datetime import datetime, timezone
    >>> t = Touchpoint("t-1", "b-1", datetime(2024, 3, 1, tzinfo=timezone.utc), "call",
    ...                Reach.ONE_TO_ONE)
    >>> t.team
    <Team.SALES: 'sales'>
    >>> Touchpoint("t-2", "b-1", t.time, "email", Reach.ONE_TO_ONE, team=Team.MARKETING).team
    <Team.MARKETING: 'marketing'>
    """

    id: str
    buyer: str
    time: datetime
    channel: str
    reach: Reach
    team: Team = attrs.field(
        default=None,
        converter=attrs.Converter(_team_or_default, takes_self=True),  # type: ignore[misc]  # mypy's attrs plugin predates attrs.Converter
    )
    asset: str | None = None
    campaign: str | None = None
    cost: float = 0.0
    properties: FrozenMap = attrs.field(factory=FrozenMap, converter=to_frozenmap)

    def __attrs_post_init__(self) -> None:
        check = Checker(record_label("Touchpoint", self.id))
        check.identifier("id", self.id)
        check.identifier("buyer", self.buyer)
        check.aware("time", self.time)
        check.identifier("channel", self.channel)
        check.member("reach", self.reach, Reach)
        if self.team is not None or isinstance(self.reach, Reach):  # else reach is the problem
            check.member("team", self.team, Team)
        check.identifier("asset", self.asset, optional=True)
        check.identifier("campaign", self.campaign, optional=True)
        check.amount("cost", self.cost)
        for key, value in self.properties.items():
            if not isinstance(key, str) or not isinstance(value, str):
                check.fail("properties", f"must map strings to strings (got {key!r}: {value!r})")
        check.done()

    @property
    def is_sales_contact(self) -> bool:
        """Whether this is a one-to-one touch by sales: the handoff from marketing."""
        return self.reach is Reach.ONE_TO_ONE and self.team is Team.SALES

    @classmethod
    def from_row(cls, row: Mapping[str, Any], *, tz: tzinfo | str | None = None) -> Touchpoint:
        """Build a touch from a CRM-style row; columns that are not fields go to ``properties``.

        Examples
        --------
        >>> t = Touchpoint.from_row({"id": "t-9", "buyer": "b-1", "time": "2024-03-01T10:00:00Z",
        ...                          "channel": "webinar", "reach": "one-to-many",
        ...                          "cost": "12.5", "utm_source": "linkedin"})
        >>> t.team, t.cost, dict(t.properties)
        (<Team.MARKETING: 'marketing'>, 12.5, {'utm_source': 'linkedin'})
        """
        return build_from_row(cls, row, _PARSERS, tz=tz, extra_into="properties")


_PARSERS = {
    "id": parse_text,
    "buyer": parse_text,
    "time": parse_time,
    "channel": parse_text,
    "reach": enum_parser(Reach),
    "team": enum_parser(Team),
    "asset": parse_text,
    "campaign": parse_text,
    "cost": parse_number,
    "properties": parse_mapping,
}
