"""The editorial calendar: a small hand-built content set and its hand-counted table."""

from __future__ import annotations

import pytest

import journeykit as jk
from helpers import day

AW, CO, DE = jk.FunnelStage.AWARENESS, jk.FunnelStage.CONSIDERATION, jk.FunnelStage.DECISION


def content() -> jk.Records:
    """Two personas; three assets published in January and February; touches in both months."""
    many = jk.Reach.ONE_TO_MANY
    return jk.Records(
        personas=[jk.Persona("it", "IT"), jk.Persona("fin", "Finance")],
        assets=[
            jk.ContentAsset(
                "blog", "Blog", jk.AssetKind.BLOG_POST, {"it", "fin"}, AW, published_at=day(2)
            ),
            jk.ContentAsset(
                "web", "Webinar", jk.AssetKind.WEBINAR, {"it"}, CO, published_at=day(10)
            ),
            jk.ContentAsset("case", "Case", jk.AssetKind.CASE_STUDY, (), DE, published_at=day(40)),
        ],
        accounts=[jk.Account("acme")],
        buyers=[jk.Buyer("ana", "it", "acme"), jk.Buyer("bo", "fin", "acme")],
        touchpoints=[
            jk.Touchpoint("t1", "ana", day(3), "organic", many, asset="blog"),
            jk.Touchpoint("t2", "bo", day(4), "organic", many, asset="blog"),
            jk.Touchpoint("t3", "ana", day(5), "organic", many, asset="blog"),
            jk.Touchpoint("t4", "ana", day(12), "webinar", many, asset="web"),
            jk.Touchpoint("t5", "bo", day(20), "call", jk.Reach.ONE_TO_ONE),  # no asset
            jk.Touchpoint("t6", "bo", day(41), "email", many, asset="case"),
            jk.Touchpoint("t7", "ana", day(45), "webinar", many, asset="web"),
        ],
        deals=[
            jk.Deal("d", "acme", 700.0, "EUR", day(15), jk.Outcome.WON, closed_at=day(50)),
        ],
    )


def cells(
    calendar: jk.analytics.ContentCalendar, *measures: str
) -> dict[tuple[object, ...], tuple[float, ...]]:
    return {
        (r["period"], *(r[d] for d in calendar.by)): tuple(r[m] for m in measures)
        for r in calendar.rows
    }


def test_hand_counted_table_by_kind() -> None:
    calendar = jk.analytics.content_calendar(content(), by=("asset_kind",))
    assert cells(calendar, "published", "touches", "buyers") == {
        ("2024-01", "blog_post"): (2.0, 3.0, 2.0),  # published once for each of its two personas
        ("2024-01", "webinar"): (1.0, 1.0, 1.0),
        ("2024-02", "case_study"): (1.0, 1.0, 1.0),
        ("2024-02", "webinar"): (0.0, 1.0, 1.0),
    }
    assert calendar.periods == ("2024-01", "2024-02")


def test_touches_count_under_the_persona_who_made_them_and_stages_show_gaps() -> None:
    calendar = jk.analytics.content_calendar(content())
    assert cells(calendar, "published", "touches") == {
        ("2024-01", "blog_post", "fin", "awareness"): (1.0, 1.0),
        ("2024-01", "blog_post", "it", "awareness"): (1.0, 2.0),
        ("2024-01", "webinar", "it", "consideration"): (1.0, 1.0),
        ("2024-02", "case_study", None, "decision"): (1.0, 0.0),  # for everyone
        ("2024-02", "case_study", "fin", "decision"): (0.0, 1.0),
        ("2024-02", "webinar", "it", "consideration"): (0.0, 1.0),
    }
    assert calendar.gaps == (
        ("2024-02", "it", "awareness"),
        ("2024-01", "it", "decision"),  # the case study came out in February
        ("2024-02", "fin", "awareness"),
        (None, "fin", "consideration"),  # finance never had any
        ("2024-01", "fin", "decision"),
    )


def test_credit_and_influence_come_from_a_models_result() -> None:
    records = content()
    result = jk.attribute(jk.assemble(records), "linear")  # 7 touches of one deal: 100 each
    calendar = jk.analytics.content_calendar(records, by=("asset_kind",), result=result)
    assert cells(calendar, "credit", "influenced") == {
        ("2024-01", "blog_post"): (300.0, 1.0),
        ("2024-01", "webinar"): (100.0, 1.0),
        ("2024-02", "case_study"): (100.0, 1.0),
        ("2024-02", "webinar"): (100.0, 1.0),
    }
    assert calendar.total("credit") == {"blog_post": 300.0, "webinar": 200.0, "case_study": 100.0}
    # content credit plus the call's is the deal's value
    assert sum(calendar.total("credit").values()) + 100.0 == pytest.approx(700.0)


def test_weeks_quarters_and_journeys() -> None:
    records = content()
    weeks = jk.analytics.content_calendar(records, period="week", by=("asset",))
    assert weeks.periods[0] == "2024-01-01"  # a Monday
    assert weeks.total("touches", by="period")["2024-01-01"] == 3.0
    quarter = jk.analytics.content_calendar(records, period="quarter", by=("asset",))
    assert quarter.total("touches", by="period") == {"2024-Q1": 6.0}
    from_journeys = jk.analytics.content_calendar(jk.assemble(records), by=("asset_kind",))
    assert from_journeys.total("touches") == {"blog_post": 3.0, "webinar": 2.0, "case_study": 1.0}
    assert from_journeys.total("published") == dict.fromkeys(from_journeys.total("published"), 0.0)


def test_options_are_validated() -> None:
    with pytest.raises(jk.ValidationError, match=r"period must be one of .* \(got 'day'\)"):
        jk.analytics.content_calendar(content(), period="day")  # type: ignore[arg-type]
    with pytest.raises(jk.ValidationError, match=r"by must be distinct names"):
        jk.analytics.content_calendar(content(), by=("colour",))


def test_to_frame_and_heatmap() -> None:
    pytest.importorskip("matplotlib")
    import matplotlib as mpl  # noqa: PLC0415

    mpl.use("Agg")
    calendar = jk.analytics.content_calendar(content(), by=("asset_kind",))
    frame = calendar.to_frame()
    assert list(frame.columns) == [
        "period",
        "asset_kind",
        "published",
        "touches",
        "buyers",
        "credit",
        "influenced",
    ]
    ax = calendar.plot("touches")
    assert [t.get_text() for t in ax.get_yticklabels()] == ["blog_post", "case_study", "webinar"]
    assert ax.images[0].get_array().sum() == 6.0


def test_an_unknown_measure_or_dimension_is_a_parameter_error() -> None:
    calendar = jk.analytics.content_calendar(jk.datasets.lifecycle_example(), period="month")
    with pytest.raises(jk.ParameterError, match="measure must be one of"):
        calendar.total("clicks")
    with pytest.raises(jk.ParameterError, match="by must be one of"):
        calendar.grid("touches", by="channel")
