"""Values are never summed across currencies: mixed deals need rates and a reporting currency,
and every value-bearing result says its currency."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings

import journeykit as jk
import journeykit.testing.strategies as jst


def day(n: int) -> datetime:
    return datetime(2024, 1, 1, tzinfo=UTC) + timedelta(days=n)


def records(*deals: tuple[str, float, str]) -> jk.Records:
    accounts, buyers, touches, made = [], [], [], []
    for i, (deal_id, value, currency) in enumerate(deals):
        account, buyer = f"a{i}", f"b{i}"
        accounts.append(jk.Account(account))
        buyers.append(jk.Buyer(buyer, account=account))
        touches.append(jk.Touchpoint(f"t{i}", buyer, day(1), "webinar", jk.Reach.ONE_TO_MANY))
        made.append(
            jk.Deal(deal_id, account, value, currency, day(2), jk.Outcome.WON, closed_at=day(5))
        )
    return jk.Records(accounts=accounts, buyers=buyers, touchpoints=touches, deals=made)


def test_mixed_currencies_are_an_error_naming_them() -> None:
    mixed = records(("eu", 10_000.0, "EUR"), ("jp", 10_000.0, "JPY"))
    with pytest.raises(jk.ValidationError, match=r"EUR, JPY \(e\.g\. 'eu' \(EUR\), 'jp' \(JPY\)\)"):
        jk.assemble(mixed)
    with pytest.raises(jk.ValidationError, match="assemble: currency is needed with rates="):
        jk.assemble(mixed, rates={"JPY": 0.0062})


def test_rates_convert_each_deal_into_the_reporting_currency() -> None:
    mixed = records(("eu", 10_000.0, "EUR"), ("jp", 10_000.0, "JPY"))
    journeys = jk.assemble(mixed, currency="EUR", rates={"JPY": 0.0062})
    assert journeys.currency == "EUR"
    credit = jk.attribute(journeys, "linear").by("channel", measure="value")
    assert credit["webinar"] == pytest.approx(10_062.0)
    assert credit.currency == "EUR"
    assert repr(credit) == "Credit(channel, value EUR: webinar=10062)"
    assert jk.attribute(journeys, "linear").by("channel").currency is None  # conversions


def test_rates_by_date_are_asked_at_each_deal_s_conversion() -> None:
    asked: list[tuple[str, datetime]] = []

    def rate(code: str, moment: datetime) -> float:
        asked.append((code, moment))
        return {"EUR": 1.0, "USD": 0.9}[code]

    mixed = records(("us", 100.0, "USD"), ("eu", 100.0, "EUR"))
    journeys = jk.assemble(mixed, currency="EUR", rates=rate)
    assert sorted(asked) == [("EUR", day(5)), ("USD", day(5))]
    assert journeys.total_value == pytest.approx(190.0)


def test_a_missing_or_bad_rate_names_the_deal() -> None:
    mixed = records(("eu", 1.0, "EUR"), ("jp", 1.0, "JPY"))
    with pytest.raises(
        jk.ValidationError, match=r"Deal 'jp': currency has no usable rate from JPY"
    ):
        jk.assemble(mixed, currency="EUR", rates={"USD": 0.9})
    with pytest.raises(jk.ValidationError, match=r"Deal 'jp'.*got -1\.0"):
        jk.assemble(mixed, currency="EUR", rates={"JPY": -1.0})


def test_one_currency_is_carried_and_a_different_reporting_one_needs_rates() -> None:
    single = records(("a", 5.0, "GBP"), ("b", 7.0, "GBP"))
    journeys = jk.assemble(single)
    assert journeys.currency == "GBP"
    result = jk.attribute(journeys, "linear")
    assert result.currency == "GBP"
    assert "value=12 GBP" in repr(result)
    assert result.by("channel", measure="cents").currency == "GBP"
    with pytest.raises(jk.ValidationError, match="pass rates= and currency="):
        jk.assemble(single, currency="EUR")


def test_journeys_in_different_currencies_cannot_be_concatenated() -> None:
    from journeykit.journeys import concat  # noqa: PLC0415

    eur = jk.assemble(records(("a", 1.0, "EUR")))
    jpy = jk.assemble(records(("b", 1.0, "JPY")))
    assert concat([eur, eur]).currency == "EUR"
    with pytest.raises(jk.ValidationError, match="holds values in EUR, JPY"):
        concat([eur, jpy])


@settings(max_examples=20)
@given(jst.records(currencies=("EUR", "JPY")))
def test_generated_records_in_two_currencies_assemble_only_with_rates(records: jk.Records) -> None:
    converting = {d.currency for d in records.deals if d.outcome is jk.Outcome.WON}
    if len(converting) > 1:
        with pytest.raises(jk.ValidationError, match="never summed across currencies"):
            jk.assemble(records)
    journeys = jk.assemble(records, currency="EUR", rates={"JPY": 0.0062})
    won = {d.id: d for d in records.deals if d.outcome is jk.Outcome.WON}
    expected = sum(d.value * (0.0062 if d.currency == "JPY" else 1.0) for d in won.values())
    assert journeys.total_value == pytest.approx(expected)
    assert journeys.currency == "EUR"
