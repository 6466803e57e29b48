from __future__ import annotations

from datetime import timedelta

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import journeykit as jk
from journeykit.journeys import NAT, Column, RowNumbers, concat
from journeykit.testing import strategies as jst


def events_journeys() -> jk.Journeys:
    rows = [
        {
            "journey_id": "a",
            "timestamp": f"2024-01-{d:02d}T00:00:00Z",
            "channel": c,
            "team": t,
            "converted": d == 20,
            "value": 100 if d == 20 else None,
        }
        for d, c, t in [
            (1, "ad", "marketing"),
            (5, "email", "marketing"),
            (10, "call", "sales"),
            (20, "demo", "sales"),
        ]
    ] + [
        {
            "journey_id": "b",
            "timestamp": "2024-01-03T00:00:00Z",
            "channel": "ad",
            "team": "marketing",
            "converted": False,
            "value": None,
        }
    ]
    return jk.from_events(rows, team="team")


def test_layout() -> None:
    journeys = events_journeys()
    assert journeys.offsets.tolist() == [0, 4, 5]
    assert journeys.lengths.tolist() == [4, 1]
    assert journeys.journey_of_touch.tolist() == [0, 0, 0, 0, 1]
    assert journeys.position.tolist() == [0, 1, 2, 3, 0]
    assert journeys.converting.tolist() == [True, False]
    assert journeys.has_times
    assert len(journeys) == 2


def test_arrays_are_read_only() -> None:
    journeys = events_journeys()
    with pytest.raises(ValueError, match="read-only"):
        journeys.conversions[0] = 5
    with pytest.raises(ValueError, match="read-only"):
        journeys.channel.codes[0] = 1


def test_filter_by_column_and_mask_keeps_journeys() -> None:
    journeys = events_journeys()
    sales = journeys.filter(team="sales")
    assert [j.channels for j in sales] == [("call", "demo"), ()]
    assert sales.conversions.tolist() == journeys.conversions.tolist()
    both = journeys.filter(channel=["ad", "demo"], mask=np.array([True, True, True, True, False]))
    assert [j.channels for j in both] == [("ad", "demo"), ()]
    assert journeys.filter(channel="nowhere").n_touches == 0


def test_filtered_out_conversions_are_reported_not_dropped() -> None:
    result = jk.attribute(events_journeys().filter(channel="nowhere"), "linear")
    assert result.total == 0
    assert result.unattributed == {"journeys": 1.0, "conversions": 1.0, "value": 100.0}
    assert "unattributed=1" in repr(result)


def test_filter_rejects_unknown_column_and_bad_mask() -> None:
    journeys = events_journeys()
    with pytest.raises(jk.SchemaError, match="colour is not a column of these journeys"):
        journeys.filter(colour="red")
    with pytest.raises(ValueError, match="one entry per touch"):
        journeys.filter(mask=[True])


def test_lookback_by_duration_is_closed_at_the_window() -> None:
    journeys = events_journeys()
    # goal of journey a is day 20: day 10 is exactly 10 days before, so it stays
    assert journeys.lookback(timedelta(days=10))[0].channels == ("call", "demo")
    assert journeys.lookback(timedelta(days=10) - timedelta(microseconds=1))[0].channels == (
        "demo",
    )
    # journey b has no goal: its window ends at its last touch
    assert journeys.lookback(timedelta(0))[1].channels == ("ad",)


def test_lookback_by_steps() -> None:
    assert events_journeys().lookback(steps=3)[0].channels == ("email", "call", "demo")
    with pytest.raises(ValueError, match="steps must be a whole number >= 1"):
        events_journeys().lookback(steps=0)


def test_lookback_needs_times() -> None:
    paths = jk.read_paths([{"path": "a > b", "total_conversions": 1}])
    with pytest.raises(ValueError, match="needs touch times"):
        paths.lookback(timedelta(days=1))


def test_select_reorders_and_masks() -> None:
    journeys = events_journeys()
    assert [j.id for j in journeys.select([1, 0])] == ["b", "a"]
    assert [j.id for j in journeys.select(np.array([False, True]))] == ["b"]
    with pytest.raises(IndexError):
        journeys.select([2])


@given(jst.journeys(allow_empty=True), st.data())
def test_select_then_filter_preserves_touches(journeys: jk.Journeys, data: st.DataObject) -> None:
    order = data.draw(st.permutations(range(journeys.n_journeys)))
    shuffled = journeys.select(order)
    assert shuffled.n_touches == journeys.n_touches
    for new, old in enumerate(order):
        assert shuffled[new].channels == journeys[old].channels
    kept = journeys.filter(channel="a")
    assert kept.n_touches == int(np.sum(journeys.channel.codes == 0))


@given(jst.journeys(allow_empty=True), st.data())
def test_select_of_a_run_is_the_same_journeys(journeys: jk.Journeys, data: st.DataObject) -> None:
    # A run of consecutive journeys is selected as views (no copies): same journeys as one by one.
    first = data.draw(st.integers(0, journeys.n_journeys))
    end = data.draw(st.integers(first, journeys.n_journeys))
    run = journeys.select(np.arange(first, end))
    assert run.n_journeys == end - first
    assert run.n_touches == int(journeys.offsets[end] - journeys.offsets[first])
    assert list(run) == [journeys[j] for j in range(first, end)]
    assert run.value.tolist() == journeys.value[first:end].tolist()


@given(st.integers(0, 300), st.text(max_size=4), st.integers(-400, 400), st.data())
def test_row_numbers_behave_as_the_tuple_of_their_labels(
    n: int, label: str, position: int, data: st.DataObject
) -> None:
    ids, labels = RowNumbers(n), tuple(str(i) for i in range(n))
    assert len(ids) == n
    assert list(ids) == list(labels)
    assert ids == labels
    assert hash(ids) == hash(labels)
    for probe in (label, str(position), f"0{position}"):
        assert (probe in ids) == (probe in labels)
        if probe in labels:
            assert ids.index(probe) == labels.index(probe)
        else:
            with pytest.raises(ValueError, match="not in the row numbers"):
                ids.index(probe)
    if -n <= position < n:
        assert ids[position] == labels[position]
    else:
        with pytest.raises(IndexError):
            ids[position]
    start, stop = data.draw(st.integers(-n - 1, n + 1)), data.draw(st.integers(-n - 1, n + 1))
    assert ids[start:stop] == labels[start:stop]
    probe = str(data.draw(st.integers(0, n + 1)))
    try:
        expected: int | str = labels.index(probe, start, stop)
    except ValueError:
        expected = "absent"
    try:
        found: int | str = ids.index(probe, start, stop)
    except ValueError:
        found = "absent"
    assert found == expected
    assert ids + ("x",) == (*labels, "x")  # noqa: RUF005  # tuple concatenation is the point
    assert ("x",) + ids == ("x", *labels)  # noqa: RUF005
    assert ids != list(labels)  # as a tuple never equals a list
    assert "1" * 5000 not in ids  # no int() of thousands of digits


def test_path_tables_number_their_journeys_without_storing_the_labels() -> None:
    paths = jk.read_paths([{"path": "a", "total_conversions": 1}] * 3)
    assert isinstance(paths.journey.labels, RowNumbers)
    assert [j.id for j in paths] == ["0", "1", "2"]
    assert paths.select([2, 0]).journey.labels == ("0", "1", "2")


def test_concat_merges_vocabularies() -> None:
    a = jk.read_paths([{"path": "x > y", "total_conversions": 1}])
    b = jk.read_paths([{"path": "y > z", "total_conversions": 2}])
    both = concat([a, b])
    assert both.channel.labels == ("x", "y", "z")
    assert [j.channels for j in both] == [("x", "y"), ("y", "z")]
    assert both.conversions.tolist() == [1.0, 2.0]


def test_validation_of_raw_arrays() -> None:
    channel = Column(np.array([0, 0], dtype=np.int8), ["a"])
    journey = Column(np.array([0], dtype=np.int8), ["j"])
    with pytest.raises(jk.ValidationError) as info:
        jk.Journeys(
            offsets=[0, 2],
            time=[5, 1],
            columns={"channel": channel},
            journey=journey,
            conversions=[-1.0],
            nulls=[0.0],
            value=[np.nan],
        )
    assert [p.field for p in info.value.problems] == ["conversions", "value"]
    with pytest.raises(jk.ValidationError, match="touch 1 goes back in time"):
        jk.Journeys(
            offsets=[0, 2],
            time=[5, 1],
            columns={"channel": channel},
            journey=journey,
            conversions=[1.0],
            nulls=[0.0],
            value=[1.0],
        )
    with pytest.raises(jk.ValidationError, match="must include 'channel'"):
        jk.Journeys(
            offsets=[0, 2],
            time=[NAT, NAT],
            columns={},
            journey=journey,
            conversions=[1.0],
            nulls=[0.0],
            value=[1.0],
        )
    with pytest.raises(ValueError, match="codes must lie in"):
        Column(np.array([3], dtype=np.int8), ["a"])


def test_memory_per_touch_is_at_most_48_bytes() -> None:
    n = 20_000
    rng = np.random.default_rng(0)
    lengths = rng.integers(1, 10, n)
    touches = int(lengths.sum())
    offsets = np.concatenate([[0], np.cumsum(lengths)])
    columns = {
        name: Column(
            rng.integers(0, size, touches).astype(np.int32 if size > 30_000 else np.int16),
            [f"{name}{i}" for i in range(size)],
        )
        for name, size in [
            ("channel", 12),
            ("team", 2),
            ("reach", 2),
            ("asset", 300),
            ("campaign", 40),
            ("persona", 8),
            ("buyer", 50_000),
            ("account", 40_000),
        ]
    }
    columns = {
        k: Column(v.codes.astype(jk.journeys.smallest_code_dtype(len(v.labels))), v.labels)
        for k, v in columns.items()
    }
    journeys = jk.Journeys(
        offsets=offsets,
        time=np.arange(touches, dtype=np.int64),
        columns=columns,
        journey=Column(np.arange(n, dtype=np.int32), [str(i) for i in range(n)]),
        conversions=np.ones(n),
        nulls=np.zeros(n),
        value=np.ones(n),
        goal_time=np.full(n, NAT),
        milestones=np.zeros(touches, np.uint8),
        cost=np.zeros(touches),
    )
    per_journey = 8 * 5 + 4  # offsets, conversions, nulls, value, goal time, journey code
    per_touch = (journeys.nbytes - per_journey * n) / touches
    assert per_touch <= 48, per_touch


def test_repr_and_iteration() -> None:
    journeys = events_journeys()
    assert (
        repr(journeys)
        == "Journeys(n_journeys=2, n_touches=5, conversions=1, value=100, channels=4, columns=['team'])"
    )
    view = journeys[-1]
    assert view.id == "b"
    assert view.touches[0]["team"] == "marketing"
    with pytest.raises(IndexError):
        journeys[2]


def test_the_repr_prints_money_as_money() -> None:
    paths = jk.read_paths(
        [{"path": "a", "total_conversions": 2, "total_conversion_value": 5512300}]
    )
    assert "value=5,512,300," in repr(paths)  # not 5.5123e+06
