from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta, timezone

import pytest

import journeykit as jk
from helpers import day
from journeykit.errors import Problem


def problems_of(excinfo: pytest.ExceptionInfo[jk.ValidationError]) -> list[str]:
    return [str(p) for p in excinfo.value.problems]


def touch(**overrides: object) -> jk.Touchpoint:
    fields: dict[str, object] = {
        "id": "t-17",
        "buyer": "b-1",
        "time": day(0),
        "channel": "webinar",
        "reach": jk.Reach.ONE_TO_MANY,
    }
    fields.update(overrides)
    return jk.Touchpoint(**fields)  # type: ignore[arg-type]


def test_touchpoint_naive_time_message_names_record_and_field() -> None:
    with pytest.raises(jk.ValidationError) as info:
        touch(time=datetime(2024, 3, 1, 10, 0))
    assert (
        str(info.value)
        == "Touchpoint 't-17': time must be timezone-aware (got 2024-03-01 10:00:00)"
    )
    assert info.value.problems == (
        Problem("Touchpoint 't-17'", "time", "must be timezone-aware (got 2024-03-01 10:00:00)"),
    )


def test_touchpoint_reports_every_problem_at_once() -> None:
    with pytest.raises(jk.ValidationError) as info:
        touch(id="", buyer=" b", cost=-1.0, channel="", reach="one_to_many")
    fields = [p.field for p in info.value.problems]
    assert fields == ["id", "buyer", "channel", "reach", "cost"]


@pytest.mark.parametrize("cost", [math.nan, math.inf, -0.01, "5", True])
def test_touchpoint_rejects_bad_cost(cost: object) -> None:
    with pytest.raises(jk.ValidationError, match=r"Touchpoint 't-17': cost must be"):
        touch(cost=cost)


@pytest.mark.parametrize(
    ("reach", "team", "expected"),
    [
        (jk.Reach.ONE_TO_MANY, None, jk.Team.MARKETING),
        (jk.Reach.ONE_TO_ONE, None, jk.Team.SALES),
        (jk.Reach.ONE_TO_ONE, jk.Team.MARKETING, jk.Team.MARKETING),  # an SDR's personal email
        (jk.Reach.ONE_TO_MANY, jk.Team.SALES, jk.Team.SALES),
    ],
)
def test_team_defaults_from_reach_and_can_be_overridden(
    reach: jk.Reach, team: jk.Team | None, expected: jk.Team
) -> None:
    assert touch(reach=reach, team=team).team is expected


def test_sales_contact_is_one_to_one_sales() -> None:
    assert touch(reach=jk.Reach.ONE_TO_ONE).is_sales_contact
    assert not touch(reach=jk.Reach.ONE_TO_ONE, team=jk.Team.MARKETING).is_sales_contact
    assert not touch(reach=jk.Reach.ONE_TO_MANY, team=jk.Team.SALES).is_sales_contact


def test_touchpoint_is_frozen_and_hashable() -> None:
    t = touch(properties={"utm_source": "li"})
    with pytest.raises(AttributeError):
        t.channel = "x"  # type: ignore[misc]
    assert hash(t) == hash(touch(properties={"utm_source": "li"}))
    assert t.properties["utm_source"] == "li"


def test_touchpoint_properties_must_be_strings() -> None:
    with pytest.raises(jk.ValidationError, match="properties must map strings to strings"):
        touch(properties={"n": 1})


def test_touchpoint_from_row_keeps_unknown_columns_and_localises() -> None:
    t = jk.Touchpoint.from_row(
        {
            "id": "t-1",
            "buyer": "b-1",
            "time": "2024-03-01 10:00",
            "channel": "call",
            "reach": "ONE_TO_ONE",
            "campaign": "",
            "cost": "3",
            "region": "EMEA",
        },
        tz="America/New_York",
    )
    assert t.time == datetime(2024, 3, 1, 15, 0, tzinfo=UTC)
    assert t.campaign is None
    assert t.cost == 3.0
    assert dict(t.properties) == {"region": "EMEA"}


def test_from_row_reports_every_unparseable_field() -> None:
    with pytest.raises(jk.ValidationError) as info:
        jk.Touchpoint.from_row({"id": "t-2", "time": "yesterday", "reach": "1:1", "cost": "cheap"})
    assert problems_of(info) == [
        "Touchpoint 't-2': time is not an ISO-8601 time (got 'yesterday')",
        "Touchpoint 't-2': reach must be one of 'one_to_many', 'one_to_one' (got '1:1')",
        "Touchpoint 't-2': cost must be a number (got 'cheap')",
        "Touchpoint 't-2': buyer is required",
        "Touchpoint 't-2': channel is required",
    ]


def test_from_row_naive_time_without_tz_is_an_error() -> None:
    with pytest.raises(jk.ValidationError, match=r"time must be timezone-aware .* pass tz="):
        jk.Touchpoint.from_row(
            {
                "id": "t",
                "buyer": "b",
                "time": "2024-03-01T10:00",
                "channel": "c",
                "reach": "one_to_one",
            }
        )


def test_from_row_rejects_unknown_columns_for_strict_types() -> None:
    with pytest.raises(jk.ValidationError, match="Persona 'p': colour is not a field of Persona"):
        jk.Persona.from_row({"id": "p", "name": "P", "colour": "red"})


@pytest.mark.parametrize("bad_id", ["", " padded", "padded ", 7, None])
def test_ids_must_be_non_empty_strings(bad_id: object) -> None:
    with pytest.raises(jk.ValidationError, match="id must be"):
        jk.Persona(bad_id, "name")  # type: ignore[arg-type]


def test_asset_validates_enums_and_persona_ids() -> None:
    with pytest.raises(jk.ValidationError) as info:
        jk.ContentAsset("a", "T", "webinar", personas={""}, stage="awareness")  # type: ignore[arg-type]
    assert [p.field for p in info.value.problems] == ["kind", "personas", "stage"]


def test_asset_personas_convert_to_frozenset() -> None:
    asset = jk.ContentAsset("a", "T", jk.AssetKind.WEBINAR, personas=["cto", "cto", "cfo"])
    assert asset.personas == frozenset({"cto", "cfo"})


def test_account_employees_must_be_non_negative_integer() -> None:
    with pytest.raises(jk.ValidationError, match="Account 'x': employees must be a whole number"):
        jk.Account("x", employees=-3)


def test_buyer_lead_at_must_be_aware() -> None:
    with pytest.raises(jk.ValidationError, match="Buyer 'b': lead_at must be timezone-aware"):
        jk.Buyer("b", lead_at=datetime(2024, 1, 1))


def deal(**overrides: object) -> jk.Deal:
    fields: dict[str, object] = {
        "id": "d-1",
        "account": "acme",
        "value": 100.0,
        "currency": "EUR",
        "created_at": day(1),
        "outcome": jk.Outcome.WON,
        "closed_at": day(30),
    }
    fields.update(overrides)
    return jk.Deal(**fields)  # type: ignore[arg-type]


def test_deal_won_needs_closed_time() -> None:
    with pytest.raises(
        jk.ValidationError, match="Deal 'd-1': closed_at is required when the outcome is won"
    ):
        deal(closed_at=None)


def test_open_deal_has_no_closed_time() -> None:
    with pytest.raises(jk.ValidationError, match="closed_at must be empty while the deal is open"):
        deal(outcome=jk.Outcome.OPEN)


def test_deal_closed_before_created() -> None:
    with pytest.raises(
        jk.ValidationError, match="Deal 'd-1': closed_at must not be before created_at"
    ):
        deal(closed_at=day(0))


@pytest.mark.parametrize("value", [math.nan, -5.0, math.inf])
def test_deal_value_finite_non_negative(value: float) -> None:
    with pytest.raises(jk.ValidationError, match="Deal 'd-1': value must be finite and >= 0"):
        deal(value=value)


@pytest.mark.parametrize("currency", ["eur", "EURO", "", 978])
def test_deal_currency_is_iso_code(currency: object) -> None:
    with pytest.raises(jk.ValidationError, match="currency must be a 3-letter ISO 4217 code"):
        deal(currency=currency)


def test_stage_history_out_of_order() -> None:
    with pytest.raises(jk.ValidationError) as info:
        deal(stages=[jk.StageChange("demo", day(10)), jk.StageChange("proposal", day(5))])
    assert problems_of(info) == [
        "Deal 'd-1': stages[1] is out of time order: 'proposal' at 2024-01-06 00:00:00+00:00 comes after 'demo' at 2024-01-11 00:00:00+00:00"
    ]


def test_stage_outside_deal_lifetime() -> None:
    with pytest.raises(jk.ValidationError) as info:
        deal(stages=[jk.StageChange("early", day(0)), jk.StageChange("late", day(31))])
    assert [p.field for p in info.value.problems] == ["stages[0]", "stages[1]"]


def test_stage_ties_are_allowed() -> None:
    d = deal(stages=[jk.StageChange("demo", day(5)), jk.StageChange("proposal", day(5))])
    assert d.stage_entered("proposal") == day(5)
    assert d.stage_entered("never") is None


def test_deal_buyers_accept_ids_and_reject_duplicates_and_two_primaries() -> None:
    d = deal(buyers=["a", jk.DealBuyer("b", "champion", primary=True)])
    assert d.primary_buyer == "b"
    assert deal(buyers=["a", "b"]).primary_buyer == "a"
    assert deal().primary_buyer is None
    with pytest.raises(jk.ValidationError) as info:
        deal(buyers=["a", "a", jk.DealBuyer("b", primary=True), jk.DealBuyer("c", primary=True)])
    assert [p.field for p in info.value.problems] == ["buyers[1]", "buyers"]


def test_b2c_deal_needs_buyers() -> None:
    with pytest.raises(
        jk.ValidationError, match="account is required when the deal lists no buyers"
    ):
        deal(account=None)
    assert deal(account=None, buyers=["b"]).account is None


def test_deal_from_row_parses_stages_and_committee() -> None:
    d = jk.Deal.from_row(
        {
            "id": "d",
            "account": "acme",
            "value": 5,
            "currency": "USD",
            "created_at": "2024-01-01T00:00:00Z",
            "outcome": "lost",
            "closed_at": "2024-02-01T00:00:00Z",
            "stages": [{"stage": "demo", "at": "2024-01-05T00:00:00Z"}],
            "buyers": [{"buyer": "b", "role": "champion", "primary": "yes"}],
        }
    )
    assert d.outcome is jk.Outcome.LOST
    assert d.buyers == (jk.DealBuyer("b", "champion", primary=True),)
    assert d.stages == (jk.StageChange("demo", datetime(2024, 1, 5, tzinfo=UTC)),)


def test_deal_from_row_names_bad_stage() -> None:
    with pytest.raises(
        jk.ValidationError, match="Deal 'd': stages has an invalid item: StageChange ''"
    ):
        jk.Deal.from_row(
            {
                "id": "d",
                "account": "a",
                "value": 1,
                "currency": "USD",
                "created_at": "2024-01-01T00:00:00Z",
                "outcome": "open",
                "stages": [{"stage": "", "at": "2024-01-05T00:00:00Z"}],
            }
        )


def test_milestone_bits_are_distinct() -> None:
    bits = [m.bit for m in jk.Milestone]
    assert bits == [1, 2, 4, 8]


def test_offsets_other_than_utc_are_real_instants() -> None:
    tz = timezone(timedelta(hours=-5))
    assert touch(time=datetime(2024, 1, 1, 7, tzinfo=tz)).time == day(0) + timedelta(hours=12)


def test_validation_error_pickles() -> None:
    import pickle  # noqa: PLC0415

    err = jk.ValidationError([Problem("Deal 'd'", "value", "must be finite")])
    again = pickle.loads(pickle.dumps(err))
    assert again.problems == err.problems
    assert str(again) == str(err)


def test_error_hierarchy() -> None:
    assert issubclass(jk.IntegrityError, jk.ValidationError)
    assert issubclass(jk.SchemaError, jk.ValidationError)
    assert issubclass(jk.ValidationError, jk.JourneykitError)
    assert issubclass(jk.RecordNotFoundError, KeyError)
    with pytest.raises(ValueError, match="at least one problem"):
        jk.ValidationError([])
