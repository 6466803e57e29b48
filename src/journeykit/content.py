"""Content assets: what marketing makes once and shows to many."""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from datetime import datetime, tzinfo
from typing import Any

import attrs

from journeykit._checks import Checker, record_label
from journeykit._rows import build_from_row, enum_parser, parse_id_set, parse_text, parse_time

__all__ = ["AssetKind", "ContentAsset", "FunnelStage"]


class AssetKind(enum.Enum):
    """What kind of thing a content asset is."""

    BLOG_POST = "blog_post"
    VIDEO = "video"
    INFOGRAPHIC = "infographic"
    WEBINAR = "webinar"
    WHITEPAPER = "whitepaper"
    EBOOK = "ebook"
    CASE_STUDY = "case_study"
    EMAIL = "email"
    AD_CREATIVE = "ad_creative"
    EVENT = "event"
    PODCAST = "podcast"
    LANDING_PAGE = "landing_page"
    PRESENTATION = "presentation"
    OTHER = "other"


class FunnelStage(enum.Enum):
    """The stage of the buying journey an asset is made for."""

    AWARENESS = "awareness"
    CONSIDERATION = "consideration"
    DECISION = "decision"


def _to_frozenset(values: Iterable[str]) -> frozenset[str]:
    return frozenset((values,) if isinstance(values, str) else values)


@attrs.frozen
class ContentAsset:
    """Something marketing made once and shows to many buyers.

    Parameters
    ----------
    id : str
        Unique asset ID.
    title : str
        Title as buyers see it.
    kind : AssetKind
        Blog post, webinar, whitepaper, ...
    personas : frozenset of str
        IDs of the personas the asset targets (empty: no particular persona).
    stage : FunnelStage, optional
        The funnel stage the asset serves.
    url : str, optional
        Where the asset lives.
    published_at : datetime, optional
        When it was published (timezone-aware).

    Examples
    --------
    >>> a = ContentAsset("wp-1", "Zero trust guide", AssetKind.WHITEPAPER, personas={"cto"})
    >>> a.personas, a.stage
    (frozenset({'cto'}), None)
    """

    id: str
    title: str
    kind: AssetKind
    personas: frozenset[str] = attrs.field(default=frozenset(), converter=_to_frozenset)
    stage: FunnelStage | None = None
    url: str | None = None
    published_at: datetime | None = None

    def __attrs_post_init__(self) -> None:
        check = Checker(record_label("ContentAsset", self.id))
        check.identifier("id", self.id)
        check.text("title", self.title)
        check.member("kind", self.kind, AssetKind)
        check.identifiers("personas", self.personas)
        check.member("stage", self.stage, FunnelStage, optional=True)
        check.text("url", self.url, optional=True)
        check.aware("published_at", self.published_at, optional=True)
        check.done()

    @classmethod
    def from_row(cls, row: Mapping[str, Any], *, tz: tzinfo | str | None = None) -> ContentAsset:
        """Build an asset from a CRM-style row (enum values or names; personas ``"a; b"``).

        Examples
        --------
        >>> ContentAsset.from_row({"id": "w1", "title": "Intro", "kind": "Webinar",
        ...                        "stage": "awareness", "personas": "cto; cfo"}).kind
        <AssetKind.WEBINAR: 'webinar'>
        """
        return build_from_row(cls, row, _PARSERS, tz=tz)


_PARSERS = {
    "id": parse_text,
    "title": parse_text,
    "kind": enum_parser(AssetKind),
    "personas": parse_id_set,
    "stage": enum_parser(FunnelStage),
    "url": parse_text,
    "published_at": parse_time,
}
