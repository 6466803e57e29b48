"""Accounts (buying organisations) and buyers (the people in them)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, tzinfo
from typing import Any

import attrs

from journeykit._checks import Checker, record_label
from journeykit._rows import build_from_row, parse_int, parse_text, parse_time

__all__ = ["Account", "Buyer"]


@attrs.frozen
class Account:
    """A buying organisation (B2B). B2C data has no accounts.

    Parameters
    ----------
    id : str
        Unique account ID.
    name : str
        Company name.
    industry, segment, region : str, optional
        Firmographics to roll results up by (``segment`` is e.g. ``"enterprise"``).
    employees : int, optional
        Head count, >= 0.

    Examples
    --------
    >>> Account("acme", "Acme Corp", segment="enterprise").segment
    'enterprise'
    """

    id: str
    name: str = ""
    industry: str | None = None
    segment: str | None = None
    region: str | None = None
    employees: int | None = None

    def __attrs_post_init__(self) -> None:
        check = Checker(record_label("Account", self.id))
        check.identifier("id", self.id)
        check.text("name", self.name)
        for name in ("industry", "segment", "region"):
            check.text(name, getattr(self, name), optional=True)
        employees = self.employees
        if employees is not None and (
            isinstance(employees, bool) or not isinstance(employees, int) or employees < 0
        ):
            check.fail("employees", f"must be a whole number >= 0 (got {employees!r})")
        check.done()

    @classmethod
    def from_row(cls, row: Mapping[str, Any], *, tz: tzinfo | str | None = None) -> Account:
        """Build an account from a CRM-style row.

        Examples
        --------
        >>> Account.from_row({"id": "acme", "name": "Acme", "employees": "1200"}).employees
        1200
        """
        return build_from_row(cls, row, _ACCOUNT_PARSERS, tz=tz)


@attrs.frozen
class Buyer:
    """One person: a contact or lead, with a persona and, in B2B, an account.

    Parameters
    ----------
    id : str
        Unique buyer ID.
    persona : str, optional
        ID of the buyer's :class:`~journeykit.Persona`.
    account : str, optional
        ID of the buyer's :class:`~journeykit.Account` (``None`` in B2C).
    lead_at : datetime, optional
        When the buyer became a lead (timezone-aware): the ``LEAD_CREATED`` milestone.
    name, title : str, optional
        Display name and job title.

    Examples
    --------
    >>> from datetime import datetime, timezone
    >>> Buyer("b-1", persona="cto", account="acme",
    ...       lead_at=datetime(2024, 3, 1, tzinfo=timezone.utc)).account
    'acme'
    """

    id: str
    persona: str | None = None
    account: str | None = None
    lead_at: datetime | None = None
    name: str | None = None
    title: str | None = None

    def __attrs_post_init__(self) -> None:
        check = Checker(record_label("Buyer", self.id))
        check.identifier("id", self.id)
        check.identifier("persona", self.persona, optional=True)
        check.identifier("account", self.account, optional=True)
        check.aware("lead_at", self.lead_at, optional=True)
        check.text("name", self.name, optional=True)
        check.text("title", self.title, optional=True)
        check.done()

    @classmethod
    def from_row(cls, row: Mapping[str, Any], *, tz: tzinfo | str | None = None) -> Buyer:
        """Build a buyer from a CRM-style row; naive ``lead_at`` needs ``tz``.

        Examples
        --------
        >>> Buyer.from_row({"id": "b-1", "lead_at": "2024-03-01T09:00:00"}, tz="UTC").lead_at
        datetime.datetime(2024, 3, 1, 9, 0, tzinfo=zoneinfo.ZoneInfo(key='UTC'))
        """
        return build_from_row(cls, row, _BUYER_PARSERS, tz=tz)


_ACCOUNT_PARSERS = {
    "id": parse_text,
    "name": parse_text,
    "industry": parse_text,
    "segment": parse_text,
    "region": parse_text,
    "employees": parse_int,
}
_BUYER_PARSERS = {
    "id": parse_text,
    "persona": parse_text,
    "account": parse_text,
    "lead_at": parse_time,
    "name": parse_text,
    "title": parse_text,
}
