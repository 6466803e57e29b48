"""Records: the validated bundle of every domain object, with referential integrity."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import tzinfo
from typing import Any, TypeVar

import attrs

from journeykit._checks import record_label
from journeykit._rows import build_many
from journeykit.buyers import Account, Buyer
from journeykit.content import ContentAsset
from journeykit.deals import Deal
from journeykit.errors import IntegrityError, Problem, RecordNotFoundError, ValidationError
from journeykit.personas import Persona
from journeykit.touchpoints import Touchpoint

__all__ = ["Records"]

T = TypeVar("T")


def _tuple(values: Iterable[Any]) -> tuple[Any, ...]:
    return tuple(values)


@attrs.frozen(repr=False)
class _Index:
    """Look-up tables built once while validating."""

    personas: dict[str, Persona]
    assets: dict[str, ContentAsset]
    accounts: dict[str, Account]
    buyers: dict[str, Buyer]
    touchpoints: dict[str, Touchpoint]
    deals: dict[str, Deal]
    touches_of_buyer: dict[str, tuple[Touchpoint, ...]]
    buyers_of_account: dict[str, tuple[Buyer, ...]]
    deals_of_account: dict[str, tuple[Deal, ...]]
    touch_position: dict[str, int]


@attrs.frozen(repr=False)
class Records:
    """The validated bundle of personas, assets, accounts, buyers, touchpoints and deals.

    Construction checks everything at once and raises one error listing every problem:
    element types, unique IDs per type, and that every reference resolves (a buyer's persona and
    account, an asset's personas, a touch's buyer and asset, a deal's account and buyers). Each
    record's own rules (timezone-aware times, ordered stage history, ...) are checked when the
    record is built. Touchpoints may come in any order; look-ups return them in time order
    (ties keep input order).

    Parameters
    ----------
    personas, assets, accounts, buyers, touchpoints, deals : iterable
        The domain objects; each stored as a tuple in the order given.

    Raises
    ------
    IntegrityError
        Duplicate IDs, dangling references or objects of the wrong type; ``.problems`` lists all.

    Examples
    --------
    >>> from datetime import datetime, timezone
    >>> import journeykit as jk
    >>> t0 = datetime(2024, 3, 1, tzinfo=timezone.utc)
    >>> records = jk.Records(
    ...     accounts=[jk.Account("acme", "Acme")],
    ...     buyers=[jk.Buyer("b-1", account="acme")],
    ...     touchpoints=[jk.Touchpoint("t-1", "b-1", t0, "webinar", jk.Reach.ONE_TO_MANY)],
    ... )
    >>> records
    Records(personas=0, assets=0, accounts=1, buyers=1, touchpoints=1, deals=0)
    >>> [t.id for t in records.touches_of_account("acme")]
    ['t-1']
    >>> jk.Records(buyers=[jk.Buyer("b-2", account="nowhere")])
    Traceback (most recent call last):
    ...
    journeykit.errors.IntegrityError: Buyer 'b-2': account refers to unknown Account 'nowhere' @ ...
    """

    personas: tuple[Persona, ...] = attrs.field(default=(), converter=_tuple)
    assets: tuple[ContentAsset, ...] = attrs.field(default=(), converter=_tuple)
    accounts: tuple[Account, ...] = attrs.field(default=(), converter=_tuple)
    buyers: tuple[Buyer, ...] = attrs.field(default=(), converter=_tuple)
    touchpoints: tuple[Touchpoint, ...] = attrs.field(default=(), converter=_tuple)
    deals: tuple[Deal, ...] = attrs.field(default=(), converter=_tuple)
    _index: _Index = attrs.field(init=False, eq=False, hash=False)

    def __attrs_post_init__(self) -> None:
        problems: list[Problem] = []
        # Where each record sits, so every problem carries the JSON path a records document
        # written by journeykit.io would show it at ($.touchpoints[3].buyer).
        at: dict[str, dict[str, int]] = {}
        personas = _unique(self.personas, Persona, "personas", problems, at)
        assets = _unique(self.assets, ContentAsset, "assets", problems, at)
        accounts = _unique(self.accounts, Account, "accounts", problems, at)
        buyers = _unique(self.buyers, Buyer, "buyers", problems, at)
        touchpoints = _unique(self.touchpoints, Touchpoint, "touchpoints", problems, at)
        deals = _unique(self.deals, Deal, "deals", problems, at)

        known: dict[str, Mapping[str, Any]] = {
            "Persona": personas,
            "ContentAsset": assets,
            "Account": accounts,
            "Buyer": buyers,
        }

        def resolve(
            table: str, record_id: str, field: str, ref: str | None, kind: str, *, key: str = ""
        ) -> None:
            if ref is not None and ref not in known[kind]:
                owner = record_label(_KIND_OF_TABLE[table], record_id)
                path = f"$.{table}[{at[table][record_id]}].{key or field}"
                problems.append(Problem(owner, field, f"refers to unknown {kind} {ref!r}", path))

        for buyer in buyers.values():
            resolve("buyers", buyer.id, "persona", buyer.persona, "Persona")
            resolve("buyers", buyer.id, "account", buyer.account, "Account")
        for asset in assets.values():
            # Documents write a set sorted, so the position is the one a document shows.
            for index, persona in enumerate(sorted(asset.personas)):
                key = f"personas[{index}]"
                resolve("assets", asset.id, "personas", persona, "Persona", key=key)
        for touch in touchpoints.values():
            resolve("touchpoints", touch.id, "buyer", touch.buyer, "Buyer")
            resolve("touchpoints", touch.id, "asset", touch.asset, "ContentAsset")
        for deal in deals.values():
            resolve("deals", deal.id, "account", deal.account, "Account")
            for index, member in enumerate(deal.buyers):
                field = f"buyers[{index}]"
                # A document writes a deal's buyer as {"buyer": ..., "role": ..., "primary": ...}.
                resolve("deals", deal.id, field, member.buyer, "Buyer", key=f"{field}.buyer")
        if problems:
            raise IntegrityError(problems)

        object.__setattr__(
            self,
            "_index",
            _Index(
                personas=personas,
                assets=assets,
                accounts=accounts,
                buyers=buyers,
                touchpoints=touchpoints,
                deals=deals,
                touches_of_buyer=_group(
                    sorted(touchpoints.values(), key=lambda t: t.time), lambda t: t.buyer
                ),
                buyers_of_account=_group(buyers.values(), lambda b: b.account),
                deals_of_account=_group(deals.values(), lambda d: d.account),
                touch_position={t.id: i for i, t in enumerate(self.touchpoints)},
            ),
        )

    def __repr__(self) -> str:
        counts = ", ".join(f"{f.name}={len(getattr(self, f.name))}" for f in _PUBLIC_FIELDS)
        return f"Records({counts})"

    # -- look-ups by ID -----------------------------------------------------------------------
    def persona(self, persona_id: str) -> Persona:
        """The persona with this ID (:class:`~journeykit.errors.RecordNotFoundError` if none)."""
        return _get(self._index.personas, persona_id, "Persona")

    def asset(self, asset_id: str) -> ContentAsset:
        """The content asset with this ID."""
        return _get(self._index.assets, asset_id, "ContentAsset")

    def account(self, account_id: str) -> Account:
        """The account with this ID."""
        return _get(self._index.accounts, account_id, "Account")

    def buyer(self, buyer_id: str) -> Buyer:
        """The buyer with this ID."""
        return _get(self._index.buyers, buyer_id, "Buyer")

    def touchpoint(self, touchpoint_id: str) -> Touchpoint:
        """The touchpoint with this ID."""
        return _get(self._index.touchpoints, touchpoint_id, "Touchpoint")

    def deal(self, deal_id: str) -> Deal:
        """The deal with this ID."""
        return _get(self._index.deals, deal_id, "Deal")

    # -- relations ------------------------------------------------------------------------------
    def touches_of_buyer(self, buyer_id: str) -> tuple[Touchpoint, ...]:
        """The buyer's touches in time order."""
        self.buyer(buyer_id)
        return self._index.touches_of_buyer.get(buyer_id, ())

    def buyers_of_account(self, account_id: str) -> tuple[Buyer, ...]:
        """The account's buyers in input order."""
        self.account(account_id)
        return self._index.buyers_of_account.get(account_id, ())

    def touches_of_account(self, account_id: str) -> tuple[Touchpoint, ...]:
        """Every touch of every buyer of the account, in time order (ties in input order)."""
        touches = [
            t for b in self.buyers_of_account(account_id) for t in self.touches_of_buyer(b.id)
        ]
        position = self._index.touch_position
        return tuple(sorted(touches, key=lambda t: (t.time, position[t.id])))

    def deals_of_account(self, account_id: str) -> tuple[Deal, ...]:
        """The account's deals in input order."""
        self.account(account_id)
        return self._index.deals_of_account.get(account_id, ())

    # -- construction from rows -----------------------------------------------------------------
    @classmethod
    def from_rows(
        cls,
        *,
        personas: Iterable[Mapping[str, Any]] = (),
        assets: Iterable[Mapping[str, Any]] = (),
        accounts: Iterable[Mapping[str, Any]] = (),
        buyers: Iterable[Mapping[str, Any]] = (),
        touchpoints: Iterable[Mapping[str, Any]] = (),
        deals: Iterable[Mapping[str, Any]] = (),
        tz: tzinfo | str | None = None,
    ) -> Records:
        """Parse CRM-style rows (one iterable of mappings per type) into validated records.

        Every unparseable row of every table is reported at once, by table and row number.

        Examples
        --------
        >>> r = Records.from_rows(buyers=[{"id": "b-1"}],
        ...                       touchpoints=[{"id": "t-1", "buyer": "b-1", "channel": "call",
        ...                                     "time": "2024-03-01 10:00", "reach": "one_to_one"}],
        ...                       tz="Europe/Paris")
        >>> r.touchpoint("t-1").time.isoformat()
        '2024-03-01T10:00:00+01:00'
        """
        tables: dict[str, tuple[Any, ...]] = {}
        problems: list[Problem] = []
        sources: Sequence[tuple[str, Iterable[Mapping[str, Any]], Callable[..., Any]]] = (
            ("personas", personas, Persona.from_row),
            ("assets", assets, ContentAsset.from_row),
            ("accounts", accounts, Account.from_row),
            ("buyers", buyers, Buyer.from_row),
            ("touchpoints", touchpoints, Touchpoint.from_row),
            ("deals", deals, Deal.from_row),
        )
        for name, rows, parse in sources:
            try:
                tables[name] = build_many(_mappings(rows), functools.partial(parse, tz=tz))
            except ValidationError as exc:
                problems += [attrs.evolve(p, record=f"{name} {p.record}") for p in exc.problems]
        if problems:
            raise ValidationError(problems)
        return cls(**tables)


def _mappings(rows: Iterable[Any]) -> Iterable[Any]:
    """Rows as given, or a DB-API cursor's rows (tuples) as mappings of its column names."""
    description = getattr(rows, "description", None)
    if isinstance(description, Sequence) and callable(getattr(rows, "fetchall", None)):
        names = [str(column[0]) for column in description]
        return [dict(zip(names, row, strict=True)) for row in rows.fetchall()]  # type: ignore[attr-defined]
    return rows


_PUBLIC_FIELDS = [f for f in attrs.fields(Records) if f.init]
_KIND_OF_TABLE = {
    "personas": "Persona",
    "assets": "ContentAsset",
    "accounts": "Account",
    "buyers": "Buyer",
    "touchpoints": "Touchpoint",
    "deals": "Deal",
}


def _unique(
    items: tuple[Any, ...],
    kind: type[T],
    table: str,
    problems: list[Problem],
    at: dict[str, dict[str, int]],
) -> dict[str, T]:
    """The records of one table by ID; ``at[table]`` gets each kept record's position."""
    by_id: dict[str, T] = {}
    positions: dict[str, int] = at.setdefault(table, {})
    for position, item in enumerate(items):
        if not isinstance(item, kind):
            problems.append(
                Problem(
                    f"{table}[{position}]",
                    "",
                    f"must be a {kind.__name__} (got {type(item).__name__})",
                    f"$.{table}[{position}]",
                )
            )
            continue
        item_id: str = item.id  # type: ignore[attr-defined]  # every domain type has an id
        if item_id in by_id:
            problems.append(
                Problem(
                    record_label(kind.__name__, item_id),
                    "id",
                    f"is not unique ({table}[{position}] repeats it)",
                    f"$.{table}[{position}].id",
                )
            )
            continue
        by_id[item_id] = item
        positions[item_id] = position
    return by_id


def _group(items: Iterable[T], key: Callable[[T], str | None]) -> dict[str, tuple[T, ...]]:
    groups: dict[str, list[T]] = {}
    for item in items:
        k = key(item)
        if k is not None:
            groups.setdefault(k, []).append(item)
    return {k: tuple(v) for k, v in groups.items()}


def _get(table: Mapping[str, T], record_id: str, kind: str) -> T:
    try:
        return table[record_id]
    except KeyError:
        msg = f"no {kind} with id {record_id!r}"
        raise RecordNotFoundError(msg) from None
