"""Personas: the buyer segments marketing writes for."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import tzinfo
from typing import Any

import attrs

from journeykit._checks import Checker, record_label
from journeykit._rows import build_from_row, list_parser, parse_text

__all__ = ["Persona"]


def _to_tuple(values: Iterable[str]) -> tuple[str, ...]:
    return (values,) if isinstance(values, str) else tuple(values)


@attrs.frozen
class Persona:
    """A segment of buyers that marketing writes for.

    Parameters
    ----------
    id : str
        Unique persona ID.
    name : str
        Display name, e.g. ``"IT decision maker"``.
    role : str, optional
        Job role the persona stands for.
    industry : str, optional
        Industry the persona works in.
    company_size : str, optional
        Size band of the persona's company, e.g. ``"1000+"``.
    pains : tuple of str
        The problems the persona wants solved, in the order marketing ranks them.

    Examples
    --------
    >>> Persona("cto", "CTO", role="Chief technology officer", pains=["security"]).pains
    ('security',)
    """

    id: str
    name: str
    role: str | None = None
    industry: str | None = None
    company_size: str | None = None
    pains: tuple[str, ...] = attrs.field(default=(), converter=_to_tuple)

    def __attrs_post_init__(self) -> None:
        check = Checker(record_label("Persona", self.id))
        check.identifier("id", self.id)
        check.text("name", self.name)
        for name in ("role", "industry", "company_size"):
            check.text(name, getattr(self, name), optional=True)
        for pain in self.pains:
            check.text("pains", pain)
        check.done()

    @classmethod
    def from_row(cls, row: Mapping[str, Any], *, tz: tzinfo | str | None = None) -> Persona:
        """Build a persona from a CRM-style row (``pains`` may be ``"a; b"``).

        Examples
        --------
        >>> Persona.from_row({"id": "cfo", "name": "CFO", "pains": "cost; risk"}).pains
        ('cost', 'risk')
        """
        return build_from_row(cls, row, _PARSERS, tz=tz)


_PARSERS = {
    "id": parse_text,
    "name": parse_text,
    "role": parse_text,
    "industry": parse_text,
    "company_size": parse_text,
    "pains": list_parser(parse_text),
}
