from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

import journeykit as jk
from helpers import day
from journeykit.io import SCHEMA_VERSION, dumps, loads, structure, unstructure
from journeykit.testing import strategies as jst

DOMAIN_TYPES = [
    jk.Persona,
    jk.ContentAsset,
    jk.Account,
    jk.Buyer,
    jk.Touchpoint,
    jk.StageChange,
    jk.Deal,
]


@pytest.mark.parametrize("cls", DOMAIN_TYPES, ids=lambda c: c.__name__)
def test_round_trip_every_domain_type(cls: type[Any]) -> None:
    @given(st.from_type(cls))
    def check(obj: Any) -> None:
        document = unstructure(obj)
        assert document["schema_version"] == SCHEMA_VERSION
        json.dumps(document, allow_nan=False)  # JSON types only
        assert structure(document) == obj
        assert structure(document, cls) == obj
        assert loads(dumps(obj)) == obj

    check()


@given(jst.records())
def test_records_round_trip(records: jk.Records) -> None:
    assert loads(dumps(records)) == records
    assert loads(dumps(records, indent=2), jk.Records) == records


def test_times_keep_their_offset() -> None:
    text = dumps(jk.StageChange("demo", day(1)))
    assert '"at": "2024-01-02T00:00:00+00:00"' in text


def test_enums_by_value_and_sets_sorted() -> None:
    doc = unstructure(jk.ContentAsset("a", "T", jk.AssetKind.CASE_STUDY, personas={"z", "a"}))
    assert doc["type"] == "content_asset"
    assert doc["kind"] == "case_study"
    assert doc["personas"] == ["a", "z"]
    assert unstructure(jk.Touchpoint("t", "b", day(0), "c", jk.Reach.ONE_TO_ONE))["team"] == "sales"


def records_document() -> dict[str, Any]:
    records = jk.Records(
        buyers=[jk.Buyer("b")],
        touchpoints=[
            jk.Touchpoint(f"t{i}", "b", day(i), "c", jk.Reach.ONE_TO_MANY) for i in range(5)
        ],
    )
    return unstructure(records)


def test_unknown_key_has_a_path() -> None:
    doc = records_document()
    doc["touchpoints"][3]["colour"] = "red"
    with pytest.raises(
        jk.SchemaError, match=r"colour is not a known key @ \$\.touchpoints\[3\]\.colour"
    ):
        structure(doc)


def test_naive_time_has_a_path_and_names_record() -> None:
    doc = records_document()
    doc["touchpoints"][3]["time"] = "2024-03-01T10:00:00"
    with pytest.raises(jk.SchemaError) as info:
        structure(doc)
    assert str(info.value) == (
        "Touchpoint 't3': time must be timezone-aware (got 2024-03-01 10:00:00) @ $.touchpoints[3].time"
    )


def test_many_problems_reported_together() -> None:
    doc = records_document()
    doc["touchpoints"][0]["cost"] = "free"
    doc["touchpoints"][1]["reach"] = "some"
    del doc["touchpoints"][2]["channel"]
    doc["buyers"][0]["lead_at"] = 17
    with pytest.raises(jk.SchemaError) as info:
        structure(doc)
    assert sorted(p.path for p in info.value.problems) == [
        "$.buyers[0].lead_at",
        "$.touchpoints[0].cost",
        "$.touchpoints[1].reach",
        "$.touchpoints[2].channel",
    ]


def test_integrity_errors_surface_from_documents() -> None:
    doc = records_document()
    doc["touchpoints"][0]["buyer"] = "ghost"
    with pytest.raises(
        jk.IntegrityError, match="Touchpoint 't0': buyer refers to unknown Buyer 'ghost'"
    ):
        structure(doc)


@pytest.mark.parametrize(
    ("document", "message"),
    [
        (
            {"type": "persona", "id": "p", "name": "P"},
            r"schema_version must be 2 or the earlier 1 \(got None\)",
        ),
        (
            {"schema_version": 3, "type": "persona"},
            r"schema_version must be 2 or the earlier 1 \(got 3\)",
        ),
        ({"schema_version": 1, "type": "alien"}, r"type must be one of"),
        ([1, 2], r"a document must be a JSON object"),
    ],
)
def test_document_envelope_errors(document: Any, message: str) -> None:
    with pytest.raises(jk.SchemaError, match=message):
        structure(document)


def test_kind_must_match_requested_type() -> None:
    with pytest.raises(jk.SchemaError, match="type is 'persona' but a 'records' was expected"):
        structure(unstructure(jk.Persona("p", "P")), jk.Records)


def test_invalid_json_text() -> None:
    with pytest.raises(jk.SchemaError, match="is not valid JSON"):
        loads("{nope")


def test_strict_types_do_not_coerce() -> None:
    doc = unstructure(jk.Account("a", employees=3))
    doc["employees"] = "3"
    with pytest.raises(jk.SchemaError, match=r"employees must be a whole number \(got '3'\)"):
        structure(doc)
    doc["employees"] = True
    with pytest.raises(jk.SchemaError, match="employees must be a whole number"):
        structure(doc)


def test_unsupported_objects() -> None:
    with pytest.raises(TypeError, match="cannot write a int"):
        unstructure(5)
