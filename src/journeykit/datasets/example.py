"""A small, hand-written B2B world: two accounts, a buying committee, marketing and sales."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from journeykit.buyers import Account, Buyer
from journeykit.content import AssetKind, ContentAsset, FunnelStage
from journeykit.deals import Deal, DealBuyer, Outcome, StageChange
from journeykit.personas import Persona
from journeykit.records import Records
from journeykit.touchpoints import Reach, Team, Touchpoint

__all__ = ["example_records"]

_START = datetime(2024, 1, 8, 9, tzinfo=UTC)

# (buyer, day, channel, reach, team or None for the default, asset)
_TOUCHES = [
    ("ana", 0, "paid_social", Reach.ONE_TO_MANY, None, "guide"),
    ("ana", 6, "webinar", Reach.ONE_TO_MANY, None, "webinar"),
    ("ben", 9, "organic_search", Reach.ONE_TO_MANY, None, "blog"),
    ("ana", 14, "email", Reach.ONE_TO_MANY, None, "case"),
    ("ben", 18, "sdr_email", Reach.ONE_TO_ONE, Team.MARKETING, None),
    ("ana", 25, "call", Reach.ONE_TO_ONE, None, None),
    ("cleo", 27, "webinar", Reach.ONE_TO_MANY, None, "webinar"),
    ("ana", 33, "demo", Reach.ONE_TO_ONE, None, None),
    ("cleo", 35, "rep_email", Reach.ONE_TO_ONE, Team.SALES, "case"),
    ("ben", 41, "meeting", Reach.ONE_TO_ONE, None, None),
    ("dev", 3, "paid_search", Reach.ONE_TO_MANY, None, None),
    ("dev", 12, "organic_search", Reach.ONE_TO_MANY, None, "blog"),
    ("dev", 20, "webinar", Reach.ONE_TO_MANY, None, "webinar"),
    ("eve", 22, "paid_social", Reach.ONE_TO_MANY, None, "guide"),
    ("dev", 30, "call", Reach.ONE_TO_ONE, None, None),
    ("eve", 38, "demo", Reach.ONE_TO_ONE, None, None),
    ("fay", 5, "paid_search", Reach.ONE_TO_MANY, None, None),
    ("fay", 16, "email", Reach.ONE_TO_MANY, None, "case"),
]


def _day(n: int) -> datetime:
    return _START + timedelta(days=n)


def example_records() -> Records:
    """A tiny deterministic B2B world for examples, docs and the ``journeykit demo`` command.

    Northwind (three buyers) wins a deal after webinars, content and sales meetings; Globex (two
    buyers) loses one; Initech's only buyer is touched by marketing and never becomes a deal.

    Examples
    --------
    >>> from journeykit.datasets import example_records
    >>> records = example_records()
    >>> records
    Records(personas=2, assets=4, accounts=3, buyers=6, touchpoints=18, deals=2)
    >>> [d.outcome.value for d in records.deals]
    ['won', 'lost']
    """
    personas = [
        Persona("it_lead", "IT leader", role="Head of IT", pains=("security", "integration")),
        Persona("finance", "Finance leader", role="CFO", pains=("cost",)),
    ]
    assets = [
        ContentAsset("guide", "Buyer's guide", AssetKind.EBOOK, {"it_lead"}, FunnelStage.AWARENESS),
        ContentAsset(
            "blog", "Ten integration traps", AssetKind.BLOG_POST, {"it_lead"}, FunnelStage.AWARENESS
        ),
        ContentAsset(
            "webinar",
            "Live product tour",
            AssetKind.WEBINAR,
            {"it_lead", "finance"},
            FunnelStage.CONSIDERATION,
        ),
        ContentAsset(
            "case", "How Acme saved 30%", AssetKind.CASE_STUDY, {"finance"}, FunnelStage.DECISION
        ),
    ]
    accounts = [
        Account("northwind", "Northwind Traders", segment="enterprise", employees=4200),
        Account("globex", "Globex", segment="mid_market", employees=800),
        Account("initech", "Initech", segment="smb", employees=90),
    ]
    buyers = [
        Buyer("ana", "it_lead", "northwind", lead_at=_day(14), name="Ana"),
        Buyer("ben", "finance", "northwind", lead_at=_day(18), name="Ben"),
        Buyer("cleo", "it_lead", "northwind", name="Cleo"),
        Buyer("dev", "it_lead", "globex", lead_at=_day(20), name="Dev"),
        Buyer("eve", "finance", "globex", name="Eve"),
        Buyer("fay", "finance", "initech", name="Fay"),
    ]
    touchpoints = [
        Touchpoint(f"t{i:02d}", buyer, _day(day), channel, reach, team, asset)
        for i, (buyer, day, channel, reach, team, asset) in enumerate(_TOUCHES)
    ]
    deals = [
        Deal(
            "northwind-2024",
            "northwind",
            48_000.0,
            "EUR",
            _day(26),
            Outcome.WON,
            closed_at=_day(45),
            stages=(
                StageChange("demo", _day(33)),
                StageChange("proposal", _day(38)),
                StageChange("negotiation", _day(42)),
            ),
            buyers=(DealBuyer("ana", "champion", primary=True), DealBuyer("ben", "decision_maker")),
            name="Northwind platform",
        ),
        Deal(
            "globex-2024",
            "globex",
            21_000.0,
            "EUR",
            _day(31),
            Outcome.LOST,
            closed_at=_day(50),
            stages=(StageChange("demo", _day(38)),),
            buyers=(DealBuyer("dev", "champion", primary=True), DealBuyer("eve")),
            name="Globex pilot",
        ),
    ]
    return Records(personas, assets, accounts, buyers, touchpoints, deals)
