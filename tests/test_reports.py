"""The reports people expect: credit over time, influence, change against a reference model,
touch roles as columns and touch properties as dimensions."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import pytest
from hypothesis import given

import journeykit as jk
from helpers import run_command
from journeykit.datasets import example_records
from journeykit.journeys import from_micros
from journeykit.testing import strategies as jst

ROLES = ["first_touch", "lead_created", "opportunity_created", "closed_won"]


# -- touch roles as columns ---------------------------------------------------------------------
@given(jst.records())
def test_role_columns_are_the_milestone_flags(records: jk.Records) -> None:
    journeys = jk.assemble(records)
    frame = jk.attribute(journeys, "linear").to_frame()
    flags = journeys.milestones
    assert flags is not None
    for milestone in jk.Milestone:
        assert frame[milestone.value].dtype == bool
        assert frame[milestone.value].tolist() == ((flags & milestone.bit) != 0).tolist()
    # Every journey with touches has exactly one first touch, at its position 0.
    firsts = frame[frame["first_touch"]]
    assert (firsts["position"] == 0).all()
    assert sorted(firsts["journey"]) == sorted(set(frame["journey"]))


def test_role_columns_name_the_deal_milestones() -> None:
    frame = jk.attribute(jk.assemble(example_records()), "linear").to_frame()
    deal = frame[frame["journey"] == "northwind-2024"]
    assert deal[deal["closed_won"]]["channel"].tolist() == ["meeting"]
    assert deal[deal["opportunity_created"]]["channel"].tolist() == ["call"]
    assert deal[deal["first_touch"]]["channel"].tolist() == ["paid_social"]


def test_paths_know_their_first_and_last_touch() -> None:
    paths = jk.read_paths([{"path": "a > b > c", "total_conversions": 1}])
    frame = jk.attribute(paths, "linear").to_frame()
    assert frame["first_touch"].tolist() == [True, False, False]
    assert frame["closed_won"].tolist() == [False, False, True]
    assert not frame["lead_created"].any()


# -- credit over time ---------------------------------------------------------------------------
def _oracle(moment: datetime | None, unit: str) -> str | None:
    """The period label of one instant, the slow and obvious way."""
    if moment is None:
        return None
    if unit == "week":
        year, week, _ = moment.isocalendar()
        return f"{year}-W{week:02d}"
    if unit == "quarter":
        return f"{moment.year}-Q{(moment.month - 1) // 3 + 1}"
    return {"month": f"{moment:%Y-%m}", "year": f"{moment.year}"}[unit]


@pytest.mark.parametrize("unit", ["week", "month", "quarter", "year"])
@given(journeys=jst.journeys())
def test_periods_label_each_touch_and_add_up_to_the_total(unit: str, journeys: jk.Journeys) -> None:
    touch = journeys.column(unit).values()
    assert touch == [_oracle(from_micros(t), unit) for t in journeys.time.tolist()]
    assert journeys.goal_time is not None
    goal = [_oracle(from_micros(t), unit) for t in journeys.goal_time.tolist()]
    conversion = journeys.column(f"conversion_{unit}").values()
    assert conversion == [goal[j] for j in journeys.journey_of_touch.tolist()]
    result = jk.attribute(journeys, "linear")
    cents = int(result.to_cents().sum())
    for key in (unit, f"conversion_{unit}", (unit, "channel")):
        credit = result.by(key, measure="cents")
        assert credit.total == cents
        assert result.by(key).total == pytest.approx(result.total)
        labels = [k[0] if isinstance(k, tuple) else k for k in credit]
        assert labels == sorted(labels, key=lambda label: (label is None, label or ""))


def test_a_touch_month_differs_from_its_conversion_month() -> None:
    rows = [
        {
            "journey_id": "j",
            "timestamp": datetime(2024, 1, 31, 23, tzinfo=UTC),
            "channel": "ad",
            "converted": False,
            "value": 0.0,
        },
        {
            "journey_id": "j",
            "timestamp": datetime(2024, 3, 1, tzinfo=UTC),
            "channel": "call",
            "converted": True,
            "value": 90.0,
        },
    ]
    result = jk.attribute(jk.from_events(rows), "linear")
    assert dict(result.by("month", measure="value")) == {"2024-01": 45.0, "2024-03": 45.0}
    assert dict(result.by("conversion_month", measure="value")) == {"2024-03": 90.0}
    assert list(result.by(("conversion_quarter", "channel"))) == [
        ("2024-Q1", "ad"),
        ("2024-Q1", "call"),
    ]


def test_periods_need_times() -> None:
    paths = jk.attribute(jk.read_paths([{"path": "a > b", "total_conversions": 1}]), "linear")
    with pytest.raises(jk.errors.SchemaError, match=r"month needs touch times.*path table"):
        paths.by("month")
    with pytest.raises(jk.errors.SchemaError, match="journey '0' converts at an unknown time"):
        paths.by("conversion_month")
    with pytest.raises(jk.errors.SchemaError, match="available: journey, position, week, month"):
        paths.by("fortnight")


def test_period_roll_ups_on_the_command_line(tmp_path: Path) -> None:
    events = tmp_path / "events.csv"
    events.write_text(
        "journey_id,timestamp,channel,converted,value\n"
        "j1,2024-01-01T09:00:00+00:00,search,false,\n"
        "j1,2024-02-03T09:00:00+00:00,demo,true,300\n"
        "j2,2024-03-30T09:00:00+00:00,email,true,100\n"
    )
    done = run_command("attribute", str(events), "--by", "month", "--format", "json")
    assert done.returncode == 0, done.stderr
    rows = json.loads(done.stdout)["by"]["month"]
    assert [(r["label"], r["value"]) for r in rows] == [
        ("2024-01", 150.0),
        ("2024-02", 150.0),
        ("2024-03", 100.0),
    ]


# -- touch properties as dimensions -------------------------------------------------------------
@given(jst.records())
def test_every_property_is_a_column_of_its_touches(records: jk.Records) -> None:
    journeys = jk.assemble(records)
    by_id = {t.id: t for t in records.touchpoints}
    touches = [by_id[t] for t in journeys.column("touch").values() if t is not None]
    keys = {key for t in touches for key in t.properties}
    assert keys <= set(journeys.columns)
    for key in keys:
        assert journeys.column(key).values() == [t.properties.get(key) for t in touches]
    if keys:
        result = jk.attribute(journeys, "linear")
        key = min(keys)
        assert result.by(key, measure="cents").total == result.to_cents().sum()


def _with_properties() -> jk.Records:
    day = datetime(2024, 3, 1, tzinfo=UTC)
    touch = jk.Touchpoint
    return jk.Records(
        buyers=[jk.Buyer("ana")],
        touchpoints=[
            touch("t1", "ana", day, "ad", jk.Reach.ONE_TO_MANY,
                  properties={"utm_campaign": "spring", "channel": "linkedin"}),
            touch("t2", "ana", day.replace(day=2), "email", jk.Reach.ONE_TO_MANY,
                  properties={"utm_campaign": "spring"}),
            touch("t3", "ana", day.replace(day=3), "call", jk.Reach.ONE_TO_ONE),
        ],
        deals=[
            jk.Deal("d1", None, 300.0, "EUR", day.replace(day=3), jk.Outcome.WON,
                    closed_at=day.replace(day=9), buyers=[jk.DealBuyer("ana", primary=True)]),
        ],
    )  # fmt: skip


def test_missing_properties_and_names_that_are_taken() -> None:
    journeys = jk.assemble(_with_properties())
    assert journeys.column("utm_campaign").values() == ["spring", "spring", None]
    assert journeys.column("property:channel").values() == ["linkedin", None, None]
    assert journeys.channel.values() == ["ad", "email", "call"]
    credit = jk.attribute(journeys, "linear").by("utm_campaign", measure="value")
    assert dict(credit) == {"spring": 200.0, None: 100.0}
    assert repr(credit) == "Credit(utm_campaign, value EUR: spring=200, (none)=100)"


# -- change against a reference model -----------------------------------------------------------
@given(jst.journeys())
def test_changes_against_a_reference_add_up_to_nothing(journeys: jk.Journeys) -> None:
    table = jk.compare(journeys, ["linear", "first_touch", "last_touch"], reference="linear")
    changes = table.changes(measure="value")
    credit = table.table(measure="value")
    for model in ("first_touch", "last_touch"):
        total = sum(row[model][0] for row in changes.values())
        assert total == pytest.approx(0.0, abs=1e-6 * (1 + journeys.total_value))
        for label, row in changes.items():
            change, relative = row[model]
            assert change == pytest.approx(credit[label][model] - credit[label]["linear"])
            reference = credit[label]["linear"]
            if reference:
                assert relative == pytest.approx(change / reference)
            else:
                assert np.isnan(relative)


def test_the_frame_and_repr_show_the_change() -> None:
    paths = jk.read_paths(
        [
            {"path": "a > b", "total_conversions": 4, "total_null": 0},
            {"path": "c", "total_conversions": 0, "total_null": 1},
        ]
    )
    table = jk.compare(paths, ["first_touch", "linear"]).against("linear")
    frame = table.to_frame()
    assert list(frame.columns) == [
        "channel",
        "linear",
        "first_touch",
        "first_touch_change",
        "first_touch_relative",
    ]
    assert frame["first_touch_change"].tolist() == [2.0, -2.0, 0.0]
    assert frame["first_touch_relative"].tolist()[:2] == [1.0, -1.0]
    assert np.isnan(frame["first_touch_relative"].tolist()[2])
    assert repr(table).splitlines()[3].split() == ["c", "0", "0", "+0", "(n/a)"]
    plain = jk.compare(paths, ["first_touch", "linear"])
    assert list(plain.to_frame().columns) == ["channel", "first_touch", "linear"]
    with pytest.raises(jk.errors.ParameterError, match="no reference model"):
        plain.changes()
    with pytest.raises(jk.errors.NotFoundError, match="'markov' is not one of the models"):
        plain.against("markov")
    with pytest.raises(jk.errors.NotFoundError, match="'markov' is not one of the models"):
        jk.compare(paths, ["linear"], reference="markov")


# -- influenced pipeline and revenue ------------------------------------------------------------
@given(jst.journeys(allow_empty=True))
def test_influence_is_at_least_the_attributed_credit(journeys: jk.Journeys) -> None:
    whole = jk.analytics.influence(journeys)
    covering = jk.analytics.influence(journeys, lookback=timedelta(days=100_000))
    assert dict(covering) == dict(whole)
    credit = jk.attribute(journeys, "linear")
    conversions, value = credit.by("channel"), credit.by("channel", measure="value")
    for channel, amount in conversions.items():
        row = whole.get(channel, {"conversions": 0.0, "value": 0.0})
        assert row["conversions"] >= amount - 1e-9
        assert row["value"] >= value[channel] - 1e-9 * (1 + value[channel])
    for row in whole.values():
        assert row["conversions"] <= whole.totals["conversions"] + 1e-9
        assert row["value"] <= whole.totals["value"] * (1 + 1e-12)
    assert whole.totals["conversions"] == pytest.approx(journeys.total_conversions)
    # By journey and channel: each converting journey once under each of its channels.
    ids = journeys.journey.labels
    per_journey = jk.analytics.influence(journeys, by=("journey", "channel"))
    want = {
        (ids[j], channel): float(journeys.conversions[j])
        for j, channel in zip(
            journeys.journey_of_touch.tolist(), journeys.channel.values(), strict=True
        )
        if journeys.converting[j]
    }
    assert {key: row["conversions"] for key, row in per_journey.items()} == want


@given(jst.records(max_deals=4))
def test_influence_of_records_counts_every_deal_once_per_label(records: jk.Records) -> None:
    report = jk.analytics.influence(records, by="team")
    assert report.totals["opportunities"] == len(records.deals)
    assert report.totals["pipeline"] == pytest.approx(sum(d.value for d in records.deals))
    won = [d for d in records.deals if d.outcome is jk.Outcome.WON]
    assert report.totals["won"] == len(won)
    for row in report.values():
        assert row["opportunities"] <= len(records.deals)
        assert row["won"] <= len(won)


def test_a_lookback_keeps_only_recent_touches() -> None:
    day = datetime(2024, 1, 1, tzinfo=UTC)
    rows = [
        {"journey_id": "j", "timestamp": day, "channel": "ad", "converted": False, "value": 0},
        {"journey_id": "j", "timestamp": day + timedelta(days=60), "channel": "email",
         "converted": False, "value": 0},
        {"journey_id": "j", "timestamp": day + timedelta(days=70), "channel": "call",
         "converted": True, "value": 500.0},
    ]  # fmt: skip
    journeys = jk.from_events(rows)
    recent = jk.analytics.influence(journeys, lookback=timedelta(days=30))
    assert list(recent) == ["call", "email"]
    assert recent["email"] == {"conversions": 1.0, "value": 500.0}
    assert recent.share() == {"call": 1.0, "email": 1.0}
    frame = recent.to_frame()
    assert list(frame.columns) == ["channel", "conversions", "value", "value_share"]
    assert "within 30 days" in repr(recent)
    assert "<table>" in recent._repr_html_()
    with pytest.raises(jk.errors.ParameterError, match="of journeys takes no rollup, currency"):
        jk.analytics.influence(journeys, rollup="buyers", currency="EUR")
    paths = jk.read_paths([{"path": "a > b", "total_conversions": 1}])
    with pytest.raises(jk.errors.ParameterError, match="needs touch times"):
        jk.analytics.influence(paths, lookback=timedelta(days=30))
    with pytest.raises(jk.errors.ParameterError, match="measure must be one of"):
        recent.share("pipeline")


def test_influence_by_a_property_and_a_period() -> None:
    report = jk.analytics.influence(_with_properties(), by=("utm_campaign", "month"))
    assert report[("spring", "2024-03")] == {
        "opportunities": 1.0, "pipeline": 300.0, "won": 1.0, "revenue": 300.0
    }  # fmt: skip
    assert report.currency == "EUR"


def test_the_notebook_shows_the_change_table_only_against_a_reference() -> None:
    paths = jk.read_paths([{"path": "a > b", "total_conversions": 4, "total_null": 0}])
    plain = jk.compare(paths, ["first_touch", "linear"])
    assert "vs linear" not in plain._repr_html_()
    shown = plain.against("linear")._repr_html_()
    assert "Change in credited conversions against linear" in shown
    assert "<td>+2 (+100%)</td>" in shown


@pytest.mark.parametrize("unit", ["week", "month", "quarter", "year"])
def test_periods_of_times_far_apart_and_before_1970(unit: str) -> None:
    # Days centuries apart take the sorting path; 1969 checks that division floors.
    moments = [
        datetime(1969, 12, 31, 23, tzinfo=UTC),
        datetime(1970, 1, 1, tzinfo=UTC),
        datetime(2024, 12, 30, tzinfo=UTC),  # ISO week 1 of 2025
        datetime(2200, 6, 30, 12, tzinfo=UTC),
    ]
    rows = [
        {"journey_id": "j", "timestamp": m, "channel": "ad", "converted": False, "value": 0}
        for m in moments
    ]
    journeys = jk.from_events(rows)
    assert journeys.column(unit).values() == [_oracle(m, unit) for m in moments]


@pytest.mark.parametrize("zone", ["America/New_York", "Australia/Lord_Howe", "Asia/Kathmandu"])
@given(journeys=jst.journeys())
def test_periods_follow_the_calendar_of_a_timezone(zone: str, journeys: jk.Journeys) -> None:
    # Lord Howe shifts by half an hour, Kathmandu sits at +05:45: offsets off the whole hour.
    result = jk.attribute(journeys, "linear")
    local = [from_micros(t) for t in journeys.time.tolist()]
    for unit in ("week", "month", "year"):
        credit = result.by((unit, "channel"), tz=zone)
        want: dict[tuple[str | None, str | None], float] = {}
        for moment, channel, amount in zip(
            local, journeys.channel.values(), result.credit.tolist(), strict=True
        ):
            assert moment is not None
            key = (_oracle(moment.astimezone(ZoneInfo(zone)), unit), channel)
            want[key] = want.get(key, 0.0) + amount
        assert dict(credit) == pytest.approx(want)
    with pytest.raises(jk.errors.ParameterError, match="unknown timezone 'Mars/Olympus'"):
        result.by("month", tz="Mars/Olympus")


def test_a_daylight_saving_change_moves_the_month_boundary() -> None:
    # 2024-03-31 23:30 UTC: in Berlin (summer time since that morning, UTC+2) it is April.
    rows = [
        {"journey_id": "j", "timestamp": datetime(2024, 3, 31, 21, 30, tzinfo=UTC),
         "channel": "ad", "converted": False, "value": 0.0},
        {"journey_id": "j", "timestamp": datetime(2024, 3, 31, 22, 30, tzinfo=UTC),
         "channel": "call", "converted": True, "value": 10.0},
    ]  # fmt: skip
    result = jk.attribute(jk.from_events(rows), "linear")
    assert list(result.by("month", tz="Europe/Berlin")) == ["2024-03", "2024-04"]
    assert list(result.by("month")) == ["2024-03"]
    assert list(result.by("conversion_month", tz="Europe/Berlin")) == ["2024-04"]


def test_influence_by_month_in_a_timezone() -> None:
    # The first touch came at midnight UTC on 1 March: 29 February in New York.
    utc = jk.analytics.influence(_with_properties(), by="month")
    new_york = jk.analytics.influence(_with_properties(), by="month", tz="America/New_York")
    assert list(utc) == ["2024-03"]
    assert list(new_york) == ["2024-02", "2024-03"]
    assert new_york["2024-02"] == new_york["2024-03"] == utc["2024-03"]
