"""Deals (opportunities), their stage history and the buyers involved."""

from __future__ import annotations

import enum
import re
from collections.abc import Iterable, Mapping
from datetime import datetime, tzinfo
from typing import Any

import attrs

from journeykit._checks import Checker, record_label
from journeykit._rows import (
    ParseError,
    build_from_row,
    enum_parser,
    list_parser,
    parse_bool,
    parse_number,
    parse_text,
    parse_time,
)

__all__ = ["Deal", "DealBuyer", "DealKind", "Outcome", "StageChange"]

_CURRENCY = re.compile(r"[A-Z]{3}")


class Outcome(enum.Enum):
    """Where a deal stands."""

    OPEN = "open"
    WON = "won"
    LOST = "lost"


class DealKind(enum.Enum):
    """What a deal sells: a first purchase, more to an existing customer, or the same again.

    ``NEW_BUSINESS`` is a new customer's first purchase (the default), ``EXPANSION`` an upsell or
    cross-sell to a customer, ``RENEWAL`` a customer buying the same again at the end of a term.
    """

    NEW_BUSINESS = "new_business"
    EXPANSION = "expansion"
    RENEWAL = "renewal"


@attrs.frozen
class StageChange:
    """A deal entering a stage at an instant.

    Examples
    --------
    >>> from datetime import datetime, timezone
    >>> StageChange("proposal", datetime(2024, 5, 1, tzinfo=timezone.utc)).stage
    'proposal'
    """

    stage: str
    at: datetime

    def __attrs_post_init__(self) -> None:
        check = Checker(record_label("StageChange", self.stage))
        check.identifier("stage", self.stage)
        check.aware("at", self.at)
        check.done()


@attrs.frozen
class DealBuyer:
    """A buyer involved in a deal, with their role in the buying committee.

    Parameters
    ----------
    buyer : str
        The buyer's ID.
    role : str, optional
        E.g. ``"decision_maker"``, ``"champion"``, ``"influencer"``.
    primary : bool
        Whether this is the deal's primary contact (at most one per deal).
    """

    buyer: str
    role: str | None = None
    primary: bool = False

    def __attrs_post_init__(self) -> None:
        check = Checker(record_label("DealBuyer", self.buyer))
        check.identifier("buyer", self.buyer)
        check.text("role", self.role, optional=True)
        if not isinstance(self.primary, bool):
            check.fail("primary", f"must be True or False (got {self.primary!r})")
        check.done()


def _to_deal_buyers(values: Iterable[DealBuyer | str]) -> tuple[DealBuyer, ...]:
    # A bare ID is a buyer with no role: the common case, kept short to write.
    return tuple(DealBuyer(v) if isinstance(v, str) else v for v in values)


def _to_stages(values: Iterable[StageChange]) -> tuple[StageChange, ...]:
    return tuple(values)


@attrs.frozen
class Deal:
    """An opportunity for an account (or, in B2C, for its buyers).

    Parameters
    ----------
    id : str
        Unique deal ID.
    account : str or None
        ID of the :class:`~journeykit.Account`; ``None`` for a B2C deal, which then needs buyers.
    value : float
        Deal value, finite and >= 0, in ``currency``.
    currency : str
        ISO 4217 code in capitals, e.g. ``"EUR"``.
    created_at : datetime
        When the opportunity was created (timezone-aware): the ``OPPORTUNITY_CREATED`` milestone.
    outcome : Outcome
        ``OPEN``, ``WON`` or ``LOST``.
    closed_at : datetime, optional
        When it was won or lost: required for ``WON``/``LOST``, forbidden for ``OPEN``; not
        before ``created_at``.
    stages : tuple of StageChange
        Stage history in time order (ties allowed), none before ``created_at`` or after
        ``closed_at``.
    buyers : tuple of DealBuyer
        Buyers involved and their roles (bare buyer IDs are accepted); at most one primary.
    name : str
        Display name.
    kind : DealKind
        ``NEW_BUSINESS`` (default), ``EXPANSION`` or ``RENEWAL``: repeat business of an account
        is assembled into its own journeys (see :func:`~journeykit.assemble`).

    Examples
    --------
    >>> from datetime import datetime, timezone
    >>> day = lambda d: datetime(2024, 1, d, tzinfo=timezone.utc)
    >>> deal = Deal("d-1", "acme", 25_000.0, "EUR", day(2), Outcome.WON, closed_at=day(20),
    ...             stages=[StageChange("proposal", day(10))], buyers=["b-1"])
    >>> deal.is_won, deal.buyers[0].buyer
    (True, 'b-1')
    >>> Deal("d-2", "acme", 1.0, "EUR", day(5), Outcome.WON, closed_at=day(1))
    Traceback (most recent call last):
    ...
    journeykit.errors.ValidationError: Deal 'd-2': closed_at must not be before created_at ...
    """

    id: str
    account: str | None
    value: float
    currency: str
    created_at: datetime
    outcome: Outcome
    closed_at: datetime | None = None
    stages: tuple[StageChange, ...] = attrs.field(default=(), converter=_to_stages)
    buyers: tuple[DealBuyer, ...] = attrs.field(default=(), converter=_to_deal_buyers)
    name: str = ""
    kind: DealKind = DealKind.NEW_BUSINESS

    def __attrs_post_init__(self) -> None:
        check = Checker(record_label("Deal", self.id))
        check.identifier("id", self.id)
        check.identifier("account", self.account, optional=True)
        check.amount("value", self.value)
        if not isinstance(self.currency, str) or not _CURRENCY.fullmatch(self.currency):
            check.fail(
                "currency", f"must be a 3-letter ISO 4217 code in capitals (got {self.currency!r})"
            )
        created_ok = check.aware("created_at", self.created_at)
        check.member("outcome", self.outcome, Outcome)
        closed_ok = check.aware("closed_at", self.closed_at, optional=True)
        check.text("name", self.name)
        check.member("kind", self.kind, DealKind)
        if self.outcome in (Outcome.WON, Outcome.LOST) and self.closed_at is None:
            check.fail("closed_at", f"is required when the outcome is {self.outcome.value}")
        if self.outcome is Outcome.OPEN and self.closed_at is not None:
            check.fail("closed_at", "must be empty while the deal is open")
        if (
            created_ok
            and closed_ok
            and self.closed_at is not None
            and self.closed_at < self.created_at
        ):
            check.fail(
                "closed_at",
                f"must not be before created_at ({self.closed_at} < {self.created_at})",
            )
        self._check_stages(check, created_ok=created_ok, closed_ok=closed_ok)
        self._check_buyers(check)
        check.done()

    def _check_stages(self, check: Checker, *, created_ok: bool, closed_ok: bool) -> None:
        previous: StageChange | None = None
        for index, change in enumerate(self.stages):
            if not isinstance(change, StageChange):
                check.fail(f"stages[{index}]", f"must be a StageChange (got {change!r})")
                continue
            if previous is not None and change.at < previous.at:
                check.fail(
                    f"stages[{index}]",
                    f"is out of time order: {change.stage!r} at {change.at} comes after "
                    f"{previous.stage!r} at {previous.at}",
                )
            if created_ok and change.at < self.created_at:
                check.fail(
                    f"stages[{index}]", f"{change.stage!r} at {change.at} is before created_at"
                )
            if closed_ok and self.closed_at is not None and change.at > self.closed_at:
                check.fail(
                    f"stages[{index}]", f"{change.stage!r} at {change.at} is after closed_at"
                )
            previous = change

    def _check_buyers(self, check: Checker) -> None:
        seen: set[str] = set()
        for index, member in enumerate(self.buyers):
            if not isinstance(member, DealBuyer):
                check.fail(
                    f"buyers[{index}]", f"must be a DealBuyer or a buyer ID (got {member!r})"
                )
                continue
            if member.buyer in seen:
                check.fail(f"buyers[{index}]", f"lists buyer {member.buyer!r} twice")
            seen.add(member.buyer)
        if sum(isinstance(m, DealBuyer) and m.primary for m in self.buyers) > 1:
            check.fail("buyers", "has more than one primary buyer")
        if self.account is None and not self.buyers:
            check.fail("account", "is required when the deal lists no buyers")

    @property
    def is_won(self) -> bool:
        """Whether the deal was won."""
        return self.outcome is Outcome.WON

    @property
    def primary_buyer(self) -> str | None:
        """The primary buyer's ID: the one flagged primary, else the first listed, else ``None``."""
        for member in self.buyers:
            if member.primary:
                return member.buyer
        return self.buyers[0].buyer if self.buyers else None

    def stage_entered(self, stage: str) -> datetime | None:
        """When the deal first entered ``stage``, or ``None`` if it never did."""
        return next((c.at for c in self.stages if c.stage == stage), None)

    @classmethod
    def from_row(cls, row: Mapping[str, Any], *, tz: tzinfo | str | None = None) -> Deal:
        """Build a deal from a CRM-style row.

        ``buyers`` may be ``"b-1; b-2"`` or a list of IDs or ``{"buyer", "role", "primary"}``
        mappings; ``stages`` a list of ``{"stage", "at"}`` mappings or ``"stage@time"`` strings.

        Examples
        --------
        >>> d = Deal.from_row({"id": "d-1", "account": "acme", "value": "9000", "currency": "USD",
        ...                    "created_at": "2024-01-02T00:00:00+00:00", "outcome": "Won",
        ...                    "closed_at": "2024-02-01T00:00:00+00:00", "buyers": "b-1; b-2",
        ...                    "stages": "demo@2024-01-10T00:00:00+00:00"})
        >>> d.outcome, [b.buyer for b in d.buyers], d.stages[0].stage, d.kind.value
        (<Outcome.WON: 'won'>, ['b-1', 'b-2'], 'demo', 'new_business')
        """
        return build_from_row(cls, row, _PARSERS, tz=tz)


def _parse_stage(value: Any, tz: tzinfo | None) -> StageChange:
    if isinstance(value, StageChange):
        return value
    if isinstance(value, Mapping):
        return StageChange(parse_text(value.get("stage"), tz), parse_time(value.get("at"), tz))
    if isinstance(value, str) and "@" in value:
        stage, _, at = value.partition("@")
        return StageChange(stage.strip(), parse_time(at, tz))
    msg = f"must list stage changes as {{'stage', 'at'}} or 'stage@time' (got {value!r})"
    raise ParseError(msg)


def _parse_deal_buyer(value: Any, tz: tzinfo | None) -> DealBuyer:
    if isinstance(value, DealBuyer):
        return value
    if isinstance(value, Mapping):
        primary = value.get("primary", False)
        return DealBuyer(
            parse_text(value.get("buyer"), tz),
            None if value.get("role") is None else parse_text(value["role"], tz),
            parse_bool(primary, tz),
        )
    return DealBuyer(parse_text(value, tz))


_PARSERS = {
    "id": parse_text,
    "account": parse_text,
    "value": parse_number,
    "currency": parse_text,
    "created_at": parse_time,
    "outcome": enum_parser(Outcome),
    "closed_at": parse_time,
    "stages": list_parser(_parse_stage),
    "buyers": list_parser(_parse_deal_buyer),
    "name": parse_text,
    "kind": enum_parser(DealKind),
}
