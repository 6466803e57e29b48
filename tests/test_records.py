from __future__ import annotations

import time

import pytest
from hypothesis import given

import journeykit as jk
from helpers import day
from journeykit.testing import strategies as jst


def small_world() -> jk.Records:
    return jk.Records(
        personas=[jk.Persona("cto", "CTO")],
        assets=[jk.ContentAsset("wp", "Guide", jk.AssetKind.WHITEPAPER, personas={"cto"})],
        accounts=[jk.Account("acme", "Acme"), jk.Account("init", "Initech")],
        buyers=[
            jk.Buyer("ana", "cto", "acme"),
            jk.Buyer("bo", None, "acme"),
            jk.Buyer("cy", None, "init"),
        ],
        touchpoints=[
            jk.Touchpoint("t3", "bo", day(3), "call", jk.Reach.ONE_TO_ONE),
            jk.Touchpoint("t1", "ana", day(1), "webinar", jk.Reach.ONE_TO_MANY, asset="wp"),
            jk.Touchpoint("t2", "ana", day(2), "email", jk.Reach.ONE_TO_MANY),
            jk.Touchpoint("t2b", "bo", day(2), "email", jk.Reach.ONE_TO_MANY),
            jk.Touchpoint("t9", "cy", day(9), "ad", jk.Reach.ONE_TO_MANY),
        ],
        deals=[jk.Deal("d", "acme", 10.0, "EUR", day(2), jk.Outcome.OPEN, buyers=["ana"])],
    )


def test_lookups() -> None:
    r = small_world()
    assert r.buyer("ana").persona == "cto"
    assert r.asset("wp").kind is jk.AssetKind.WHITEPAPER
    assert [t.id for t in r.touches_of_buyer("ana")] == ["t1", "t2"]
    # time order across buyers, ties in input order (t2 came before t2b)
    assert [t.id for t in r.touches_of_account("acme")] == ["t1", "t2", "t2b", "t3"]
    assert [d.id for d in r.deals_of_account("acme")] == ["d"]
    assert r.deals_of_account("init") == ()
    assert [b.id for b in r.buyers_of_account("acme")] == ["ana", "bo"]
    assert r.touches_of_buyer("cy")[0].id == "t9"
    assert r.deal("d").value == 10.0
    assert r.persona("cto").name == "CTO"
    assert r.account("init").name == "Initech"
    assert r.touchpoint("t3").channel == "call"


def test_lookup_of_unknown_id_names_it() -> None:
    with pytest.raises(jk.RecordNotFoundError, match="no Buyer with id 'zed'"):
        small_world().buyer("zed")
    with pytest.raises(KeyError):
        small_world().touches_of_account("nope")


def test_input_order_is_kept() -> None:
    assert [t.id for t in small_world().touchpoints] == ["t3", "t1", "t2", "t2b", "t9"]


def test_all_integrity_problems_are_reported_together() -> None:
    with pytest.raises(jk.IntegrityError) as info:
        jk.Records(
            personas=[jk.Persona("p", "P"), jk.Persona("p", "again")],
            assets=[jk.ContentAsset("a", "A", jk.AssetKind.VIDEO, personas={"ghost"})],
            buyers=[jk.Buyer("b", persona="nobody", account="nowhere")],
            touchpoints=[
                jk.Touchpoint("t", "b", day(0), "x", jk.Reach.ONE_TO_MANY, asset="missing"),
                jk.Touchpoint("t", "b", day(1), "x", jk.Reach.ONE_TO_MANY),
                jk.Touchpoint("u", "stranger", day(1), "x", jk.Reach.ONE_TO_MANY),
            ],
            deals=[
                jk.Deal("d", "void", 1.0, "EUR", day(0), jk.Outcome.OPEN, buyers=["b", "ghost"])
            ],
        )
    assert [str(p) for p in info.value.problems] == [
        "Persona 'p': id is not unique (personas[1] repeats it) @ $.personas[1].id",
        "Touchpoint 't': id is not unique (touchpoints[1] repeats it) @ $.touchpoints[1].id",
        "Buyer 'b': persona refers to unknown Persona 'nobody' @ $.buyers[0].persona",
        "Buyer 'b': account refers to unknown Account 'nowhere' @ $.buyers[0].account",
        "ContentAsset 'a': personas refers to unknown Persona 'ghost' @ $.assets[0].personas[0]",
        "Touchpoint 't': asset refers to unknown ContentAsset 'missing' @ $.touchpoints[0].asset",
        "Touchpoint 'u': buyer refers to unknown Buyer 'stranger' @ $.touchpoints[2].buyer",
        "Deal 'd': account refers to unknown Account 'void' @ $.deals[0].account",
        "Deal 'd': buyers[1] refers to unknown Buyer 'ghost' @ $.deals[0].buyers[1].buyer",
    ]


def test_wrong_element_type_is_reported() -> None:
    with pytest.raises(jk.IntegrityError, match=r"buyers\[0\]: must be a Buyer \(got Persona\)"):
        jk.Records(buyers=[jk.Persona("p", "P")])


def test_records_repr_is_short() -> None:
    assert (
        repr(small_world())
        == "Records(personas=1, assets=1, accounts=2, buyers=3, touchpoints=5, deals=1)"
    )


def test_equality_ignores_index() -> None:
    assert small_world() == small_world()


def test_from_rows_reports_rows_of_every_table() -> None:
    with pytest.raises(jk.ValidationError) as info:
        jk.Records.from_rows(
            buyers=[{"id": "b"}, {"id": ""}],
            touchpoints=[
                {"id": "t", "buyer": "b", "time": "2024-01-01", "channel": "c", "reach": "x"}
            ],
        )
    assert [str(p) for p in info.value.problems] == [
        "buyers row 1 (Buyer ''): id is required",
        "touchpoints row 0 (Touchpoint 't'): time must be timezone-aware (got 2024-01-01 00:00:00); pass tz= to localise naive times",
        "touchpoints row 0 (Touchpoint 't'): reach must be one of 'one_to_many', 'one_to_one' (got 'x')",
    ]


@given(jst.records())
def test_generated_records_are_consistent(records: jk.Records) -> None:
    for buyer in records.buyers:
        times = [t.time for t in records.touches_of_buyer(buyer.id)]
        assert times == sorted(times)
    for deal in records.deals:
        first = [t.time for b in deal.buyers for t in records.touches_of_buyer(b.buyer)]
        if deal.account is not None:
            first += [t.time for t in records.touches_of_account(deal.account)]
        if first:
            assert deal.created_at >= min(first)


@given(jst.records(b2b=False, min_buyers=1))
def test_generated_b2c_records_have_no_accounts(records: jk.Records) -> None:
    assert records.accounts == ()
    assert all(d.account is None and d.buyers for d in records.deals)


def test_large_records_build_in_seconds() -> None:
    # Not a benchmark (those live in benchmarks/): a guard against quadratic validation.
    buyers = [jk.Buyer(f"b{i}") for i in range(2_000)]
    touches = [
        jk.Touchpoint(f"t{i}", f"b{i % 2_000}", day(i % 365), "email", jk.Reach.ONE_TO_MANY)
        for i in range(100_000)
    ]
    start = time.perf_counter()
    records = jk.Records(buyers=buyers, touchpoints=touches)
    assert len(records.touches_of_buyer("b7")) == 50
    assert time.perf_counter() - start < 30


def test_rows_from_a_db_api_cursor_and_rows_that_are_not_mappings() -> None:
    import sqlite3  # noqa: PLC0415

    connection = sqlite3.connect(":memory:")
    connection.execute("create table touches (id, buyer, channel, reach, time)")
    connection.execute(
        "insert into touches values ('t-1', 'b-1', 'call', 'one_to_one', '2024-03-01T10:00Z')"
    )
    cursor = connection.execute("select * from touches")
    records = jk.Records.from_rows(buyers=[{"id": "b-1"}], touchpoints=cursor)
    assert records.touchpoint("t-1").channel == "call"
    with pytest.raises(jk.ValidationError, match=r"touchpoints row 0.*mapping.*got tuple"):
        jk.Records.from_rows(touchpoints=[("t-1", "b-1")])  # type: ignore[list-item]  # the point
