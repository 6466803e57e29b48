"""After the first deal: new versus repeat business, retention, and an account's lifetime.

"Marketing is forever": a won deal ends a salesperson's story, not marketing's. These analytics
read deals by :class:`~journeykit.deals.DealKind` (journeys assembled as
:func:`~journeykit.assemble` documents: an expansion's journey holds only the touches after the
account's previous win).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any, Literal

import attrs
import numpy as np

from journeykit._frames import Backend, to_frame
from journeykit.analytics.calendar import period_labels
from journeykit.attribution._shares import first_flagged
from journeykit.attribution.result import Attribution, Measure
from journeykit.deals import Deal, DealKind, Outcome
from journeykit.errors import Problem, SchemaError, ValidationError
from journeykit.journeys import to_micros
from journeykit.records import Records

__all__ = [
    "AccountLifetime",
    "LifecycleSplit",
    "Retention",
    "account_lifetime",
    "lifecycle_split",
    "retention",
]

_KINDS = tuple(k.value for k in DealKind)
_TEAMS = ("marketing", "sales")


@attrs.frozen
class LifecycleSplit:
    """Won value per deal kind, and the part each team earned.

    Attributes
    ----------
    measure : str
        ``"value"`` or ``"conversions"``.
    won : dict
        Per kind, what its converting journeys are worth (credited or not).
    by_team : dict
        Per kind, ``{"marketing": ..., "sales": ...}``: credit by the team that made the touch.
    before_sales : dict
        Per kind, the part of its credit earned before each journey's first one-to-one sales
        contact (a journey without one is wholly before it): the handoff, measured in credit.
    unattributed : dict
        Per kind, what converting journeys without any touch are worth (e.g. an expansion with
        no touch since the previous win): nobody earned it.
    """

    measure: str
    won: dict[str, float]
    by_team: dict[str, dict[str, float]]
    before_sales: dict[str, float]
    unattributed: dict[str, float]

    def share(self, kind: str, team: str = "marketing") -> float:
        """A team's part of a kind's attributed credit (NaN when the kind earned nothing)."""
        total = sum(self.by_team[kind].values())
        return self.by_team[kind][team] / total if total else float("nan")

    def to_frame(self, backend: Backend = "pandas") -> Any:
        """One row per kind: won, marketing, sales, before_sales, unattributed."""
        kinds = list(self.won)
        return to_frame(
            {
                "kind": kinds,
                "won": [self.won[k] for k in kinds],
                "marketing": [self.by_team[k]["marketing"] for k in kinds],
                "sales": [self.by_team[k]["sales"] for k in kinds],
                "before_sales": [self.before_sales[k] for k in kinds],
                "unattributed": [self.unattributed[k] for k in kinds],
            },
            backend,
        )

    def __repr__(self) -> str:
        parts = []
        for kind, total in self.won.items():
            if not total:
                continue
            marketing = self.share(kind)
            shown = "no credit" if np.isnan(marketing) else f"marketing {marketing:.0%}"
            parts.append(f"{kind} {total:,.0f} ({shown})")
        return f"LifecycleSplit({self.measure}: {'; '.join(parts) or 'nothing won'})"


def lifecycle_split(
    result: Attribution, records: Records, *, measure: Measure = "conversions"
) -> LifecycleSplit:
    """New business versus expansion and renewal: what each is worth and who earned it.

    Parameters
    ----------
    result : Attribution
        A model's result over journeys assembled from ``records`` (journey IDs are deal IDs;
        journeys of no deal count for no kind).
    records : Records
        The deals, for their kinds.
    measure : {"conversions", "value"}
        Credited conversions (default, as everywhere) or value.

    Examples
    --------
    >>> import journeykit as jk
    >>> from journeykit.datasets import lifecycle_example
    >>> records = lifecycle_example()
    >>> result = jk.attribute(jk.assemble(records), "linear")
    >>> view = jk.analytics.lifecycle_split(result, records, measure="value")
    >>> view.won
    {'new_business': 10000.0, 'expansion': 4000.0, 'renewal': 10000.0}
    >>> view.by_team["expansion"]
    {'marketing': 2000.0, 'sales': 2000.0}
    """
    if measure not in ("value", "conversions"):
        raise ValidationError(
            [
                Problem(
                    "lifecycle_split", "measure", f"must be 'value' or 'conversions' ({measure!r})"
                )
            ]
        )
    journeys = result.journeys
    missing = [n for n in ("team", "reach") if n not in journeys.columns]
    if missing:
        raise SchemaError(
            [Problem("Journeys", n, "is needed to split credit by team") for n in missing]
        )
    kinds = {d.id: _KINDS.index(d.kind.value) for d in records.deals}
    per_journey = np.array(
        [kinds.get(label, -1) for label in journeys.journey.labels], dtype=np.int64
    )[journeys.journey.codes]
    journey_kind = per_journey[journeys.journey_of_touch]
    amounts = result.value_credit if measure == "value" else result.credit
    worth = journeys.value if measure == "value" else journeys.conversions
    team = journeys.columns["team"]
    sales = np.isin(team.codes, team.codes_of("sales"))
    personal = np.isin(
        journeys.columns["reach"].codes, journeys.columns["reach"].codes_of("one_to_one")
    )
    first_sales = first_flagged(journeys, sales & personal)
    cutoff = np.where(first_sales >= 0, first_sales, journeys.offsets[1:])[
        journeys.journey_of_touch
    ]
    before = np.arange(journeys.n_touches) < cutoff
    converting = journeys.converting
    empty = converting & (journeys.lengths == 0)

    def by_kind(values: Any, mask: Any, kind_of: Any) -> list[float]:
        return [float(values[mask & (kind_of == k)].sum()) for k in range(len(_KINDS))]

    marketing = by_kind(amounts, ~sales, journey_kind)
    sold = by_kind(amounts, sales, journey_kind)
    early = by_kind(amounts, before, journey_kind)
    return LifecycleSplit(
        measure=measure,
        won=dict(zip(_KINDS, by_kind(worth, converting, per_journey), strict=True)),
        by_team={
            k: {"marketing": m, "sales": s} for k, m, s in zip(_KINDS, marketing, sold, strict=True)
        },
        before_sales=dict(zip(_KINDS, early, strict=True)),
        unattributed=dict(zip(_KINDS, by_kind(worth, empty, per_journey), strict=True)),
    )


@attrs.frozen
class Retention:
    """Retention and repeat business per group and cohort of customers.

    Each row is a dict with the group (``by``), the ``cohort`` (period of the first win) and:
    ``customers`` (with a first win), ``due`` (customers whose ``window`` after the first win
    has passed by ``as_of``: the only ones the rates count), ``renewed`` and ``expanded`` (due
    customers who won a renewal, an expansion, inside the window), ``churned`` (due customers
    without a won renewal in it), ``renewal_rate``, ``expansion_rate`` (over ``due``; NaN when
    none is due), ``nrr`` (net revenue retention: renewal and expansion value won inside the
    window over the first wins' value, due customers only) and ``days_to_expansion`` (median
    days from the first win to the first won expansion, over every customer who expanded).
    """

    by: str | None
    cohort: str | None
    window: timedelta
    rows: tuple[dict[str, Any], ...]

    def to_frame(self, backend: Backend = "pandas") -> Any:
        """One row per (group, cohort)."""
        names = list(self.rows[0]) if self.rows else ["customers"]
        return to_frame({n: [r[n] for r in self.rows] for n in names}, backend)

    def __repr__(self) -> str:
        customers = sum(r["customers"] for r in self.rows)
        return (
            f"Retention({len(self.rows)} rows by {self.by or 'nothing'} and cohort "
            f"{self.cohort or 'none'}: {customers} customers)"
        )


def retention(
    records: Records,
    *,
    by: Literal["segment", "industry", "region"] | None = "segment",
    cohort: Literal["month", "quarter", "year"] | None = "quarter",
    window: timedelta = timedelta(days=400),
    as_of: datetime | None = None,
) -> Retention:
    """Renewal and expansion rates, churn, net revenue retention and time to expansion.

    A customer is an account (a B2C deal's customer is its primary buyer) with a won deal; its
    first win starts its life. Repeat business is what it wins afterwards: renewals and
    expansions.

    Parameters
    ----------
    records : Records
    by : {"segment", "industry", "region"} or None
        The account attribute to group customers by (B2C customers have none).
    cohort : {"month", "quarter", "year"} or None
        Cohorts by the period of the first win.
    window : timedelta
        How long after the first win repeat business counts for the rates and the NRR; default
        400 days, a yearly term with a grace month for late renewals.
    as_of : datetime, optional
        The instant the data describes (default the latest deal event): customers whose window
        has not passed by then are not yet due, so young cohorts do not look like churn.

    Examples
    --------
    >>> import journeykit as jk
    >>> from journeykit.datasets import lifecycle_example
    >>> from datetime import datetime, timezone
    >>> records = lifecycle_example()  # first win 2024-01-31, a renewal 365 days later
    >>> view = jk.analytics.retention(records, by=None, cohort=None)
    >>> view.rows[0]["customers"], view.rows[0]["due"]  # by default, as of the renewal: too soon
    (1, 0)
    >>> later = datetime(2025, 6, 1, tzinfo=timezone.utc)
    >>> row = jk.analytics.retention(records, as_of=later).rows[0]
    >>> row["segment"], row["cohort"], row["renewal_rate"], row["nrr"], row["days_to_expansion"]
    ('mid_market', '2024-Q1', 1.0, 1.4, 120.0)
    """
    if by not in (None, "segment", "industry", "region"):
        raise ValidationError(
            [Problem("retention", "by", f"must be segment, industry, region or None ({by!r})")]
        )
    if cohort not in (None, "month", "quarter", "year"):
        raise ValidationError(
            [Problem("retention", "cohort", f"must be month, quarter, year or None ({cohort!r})")]
        )
    _one_currency(records.deals, "retention")
    customers: dict[str, list[Deal]] = {}
    for deal in records.deals:
        if deal.outcome is Outcome.WON:
            customers.setdefault(_customer(deal), []).append(deal)
    moment = to_micros(as_of) if as_of is not None else _latest(records)
    span = window // timedelta(microseconds=1)
    groups: dict[tuple[Any, Any], list[dict[str, Any]]] = {}
    starts = []
    lives = []
    for key, wins in customers.items():
        wins.sort(key=lambda d: (d.closed_at, d.created_at, d.id))
        first = wins[0]
        start = to_micros(first.closed_at)  # type: ignore[arg-type]  # won deals have a close
        later = [(to_micros(d.closed_at), d) for d in wins[1:]]  # type: ignore[arg-type]
        inside = [d for t, d in later if t - start <= span]
        expansions = [t for t, d in later if d.kind is DealKind.EXPANSION]
        account = records.account(first.account) if first.account is not None else None
        group = getattr(account, by) if by is not None and account is not None else None
        lives.append(
            {
                "group": group,
                "customer": key,
                "due": moment - start >= span,
                "base": first.value,
                "renewed": any(d.kind is DealKind.RENEWAL for d in inside),
                "expanded": any(d.kind is DealKind.EXPANSION for d in inside),
                "repeat": sum(d.value for d in inside if d.kind is not DealKind.NEW_BUSINESS),
                "days": (expansions[0] - start) / 86_400e6 if expansions else None,
            }
        )
        starts.append(start)
    cohorts = period_labels(np.array(starts, dtype=np.int64), cohort) if cohort else None
    for i, life in enumerate(lives):
        groups.setdefault((life["group"], None if cohorts is None else cohorts[i]), []).append(life)
    rows = [
        _retention_row(by, group, label, members)
        for (group, label), members in sorted(
            groups.items(), key=lambda kv: tuple("" if x is None else str(x) for x in kv[0])
        )
    ]
    return Retention(by, cohort, window, tuple(rows))


def _retention_row(
    by: str | None, group: Any, cohort: str | None, members: list[dict[str, Any]]
) -> dict[str, Any]:
    due = [m for m in members if m["due"]]
    base = sum(m["base"] for m in due)
    days = [m["days"] for m in members if m["days"] is not None]
    renewed = sum(m["renewed"] for m in due)
    expanded = sum(m["expanded"] for m in due)
    nan = float("nan")
    return {
        **({by: group} if by is not None else {}),
        "cohort": cohort,
        "customers": len(members),
        "due": len(due),
        "renewed": renewed,
        "expanded": expanded,
        "churned": len(due) - renewed,
        "renewal_rate": renewed / len(due) if due else nan,
        "expansion_rate": expanded / len(due) if due else nan,
        "nrr": sum(m["repeat"] for m in due) / base if base else nan,
        "days_to_expansion": float(np.median(days)) if days else nan,
    }


@attrs.frozen
class AccountLifetime:
    """Every deal of one account in time order, with the credit each team earned on it.

    ``rows`` hold ``deal``, ``kind``, ``outcome``, ``created_at``, ``closed_at``, ``value``,
    ``marketing`` and ``sales`` (credited value; 0 for a deal without a converting journey),
    and ``touches`` (in its journey). ``totals`` sums value, marketing and sales over won deals.
    """

    account: str
    rows: tuple[dict[str, Any], ...]
    totals: dict[str, float]

    def to_frame(self, backend: Backend = "pandas") -> Any:
        """One row per deal."""
        names = list(self.rows[0]) if self.rows else ["deal"]
        return to_frame({n: [r[n] for r in self.rows] for n in names}, backend)

    def __repr__(self) -> str:
        t = self.totals
        return (
            f"AccountLifetime({self.account}: {len(self.rows)} deals, won {t['value']:,.6g}, "
            f"marketing {t['marketing']:,.6g}, sales {t['sales']:,.6g})"
        )


def account_lifetime(result: Attribution, records: Records, account: str) -> AccountLifetime:
    """The lifetime view of an account: all its deals and what each team earned across them.

    Parameters
    ----------
    result : Attribution
        A model's result over journeys assembled from ``records``.
    records : Records
    account : str
        The account's ID.

    Raises
    ------
    RecordNotFoundError
        When ``records`` has no such account.

    Examples
    --------
    >>> import journeykit as jk
    >>> from journeykit.datasets import lifecycle_example
    >>> records = lifecycle_example()
    >>> life = jk.analytics.account_lifetime(
    ...     jk.attribute(jk.assemble(records), "linear"), records, "acme")
    >>> [(r["deal"], r["kind"], r["marketing"], r["sales"]) for r in life.rows]
    [('acme-new', 'new_business', 5000.0, 5000.0), ('acme-up', 'expansion', 2000.0, 2000.0), \
('acme-renew', 'renewal', 5000.0, 5000.0)]
    """
    records.account(account)  # raises RecordNotFoundError naming it
    credit = result.by(("journey", "team"), measure="value")
    journeys = result.journeys
    sizes = dict(zip(journeys.journey.values(), journeys.lengths.tolist(), strict=True))
    deals = sorted(records.deals_of_account(account), key=lambda d: (d.created_at, d.id))
    _one_currency(deals, "account_lifetime")
    rows = []
    for deal in deals:
        earned = {team: float(credit.get((deal.id, team), 0.0)) for team in _TEAMS}
        rows.append(
            {
                "deal": deal.id,
                "kind": deal.kind.value,
                "outcome": deal.outcome.value,
                "created_at": deal.created_at,
                "closed_at": deal.closed_at,
                "value": deal.value,
                **earned,
                "touches": sizes.get(deal.id, 0),
            }
        )
    won = [r for r in rows if r["outcome"] == Outcome.WON.value]
    totals = {name: float(sum(r[name] for r in won)) for name in ("value", *_TEAMS)}
    return AccountLifetime(account, tuple(rows), totals)


def _customer(deal: Deal) -> str:
    return deal.account if deal.account is not None else f"buyer:{deal.primary_buyer}"


def _latest(records: Records) -> int:
    moments = [d.closed_at or d.created_at for d in records.deals]
    return max((to_micros(m) for m in moments), default=0)


def _one_currency(deals: Iterable[Deal], caller: str) -> None:
    """Deal values are summed here: they must share one currency (nothing converts them)."""
    found = sorted({d.currency for d in deals})
    if len(found) > 1:
        message = (
            f"sums deal values, and these deals are in {', '.join(found)}: values are never "
            "summed across currencies (convert the deals' values to one currency first)"
        )
        raise ValidationError([Problem(caller, "currency", message)])
