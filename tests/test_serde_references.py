"""Dangling references and repeated IDs name the JSON path of the value at fault.

Each kind of reference is tested twice: from a records document read with ``loads`` (the path is
where the value sits in that document) and from objects given to ``Records`` (the path is where
the value would sit in the document journeykit writes for them).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

import journeykit as jk
from journeykit.datasets import example_records
from journeykit.io import loads, unstructure


def _document() -> dict[str, Any]:
    return unstructure(example_records())


def _set(table: str, index: int, key: str, value: Any) -> Callable[[dict[str, Any]], None]:
    def change(document: dict[str, Any]) -> None:
        document[table][index][key] = value

    return change


def _deal_buyer(document: dict[str, Any]) -> None:
    document["deals"][1]["buyers"].append({"buyer": "ghost", "role": None, "primary": False})


def _asset_persona(document: dict[str, Any]) -> None:
    document["assets"][2]["personas"] = [*document["assets"][2]["personas"], "zz-nobody"]


def _repeat_touch(document: dict[str, Any]) -> None:
    document["touchpoints"].append(dict(document["touchpoints"][4]))


REFERENCES = {
    "touch -> buyer": (
        _set("touchpoints", 3, "buyer", "ghost"),
        "Touchpoint '{id}': buyer refers to unknown Buyer 'ghost' @ $.touchpoints[3].buyer",
        ("touchpoints", 3),
    ),
    "touch -> asset": (
        _set("touchpoints", 5, "asset", "no-such-asset"),
        (
            "Touchpoint '{id}': asset refers to unknown ContentAsset 'no-such-asset' "
            "@ $.touchpoints[5].asset"
        ),
        ("touchpoints", 5),
    ),
    "buyer -> account": (
        _set("buyers", 2, "account", "void"),
        "Buyer '{id}': account refers to unknown Account 'void' @ $.buyers[2].account",
        ("buyers", 2),
    ),
    "buyer -> persona": (
        _set("buyers", 1, "persona", "cfo-x"),
        "Buyer '{id}': persona refers to unknown Persona 'cfo-x' @ $.buyers[1].persona",
        ("buyers", 1),
    ),
    "deal -> account": (
        _set("deals", 0, "account", "void"),
        "Deal '{id}': account refers to unknown Account 'void' @ $.deals[0].account",
        ("deals", 0),
    ),
    "deal -> buyer": (
        _deal_buyer,
        "Deal '{id}': buyers[{n}] refers to unknown Buyer 'ghost' @ $.deals[1].buyers[{n}].buyer",
        ("deals", 1),
    ),
    "asset -> persona": (
        _asset_persona,
        (
            "ContentAsset '{id}': personas refers to unknown Persona 'zz-nobody' "
            "@ $.assets[2].personas[{n}]"
        ),
        ("assets", 2),
    ),
    "repeated touch ID": (
        _repeat_touch,
        "Touchpoint '{id}': id is not unique (touchpoints[{n}] repeats it) @ $.touchpoints[{n}].id",
        ("touchpoints", 4),
    ),
}


def _expected(case: str, document: dict[str, Any]) -> str:
    _, template, (table, index) = REFERENCES[case]
    record = document[table][index]
    n = {
        "deal -> buyer": len(record.get("buyers", ())) - 1,
        "asset -> persona": len(record.get("personas", ())) - 1,
        "repeated touch ID": len(document["touchpoints"]) - 1,
    }.get(case, 0)
    return template.format(id=record["id"], n=n)


@pytest.mark.parametrize("case", REFERENCES)
def test_a_documents_dangling_reference_names_its_path(case: str) -> None:
    document = _document()
    REFERENCES[case][0](document)
    with pytest.raises(jk.IntegrityError) as info:
        loads(json.dumps(document))
    assert [str(p) for p in info.value.problems] == [_expected(case, document)]


@pytest.mark.parametrize("case", REFERENCES)
def test_records_built_from_objects_name_the_same_path(case: str) -> None:
    document = _document()
    REFERENCES[case][0](document)
    # The records, rebuilt one by one (each valid alone), then bundled without the document.
    tables: dict[str, list[Any]] = {
        table: [loads(json.dumps({"schema_version": 2, "type": kind, **row})) for row in rows]
        for table, kind in [
            ("personas", "persona"),
            ("assets", "content_asset"),
            ("accounts", "account"),
            ("buyers", "buyer"),
            ("touchpoints", "touchpoint"),
            ("deals", "deal"),
        ]
        for rows in [document[table]]
    }
    with pytest.raises(jk.IntegrityError) as info:
        jk.Records(**tables)
    assert [str(p) for p in info.value.problems] == [_expected(case, document)]
    assert info.value.problems[0].path.startswith("$.")


def test_every_problem_is_listed_with_its_own_path() -> None:
    document = _document()
    for change, _, _ in REFERENCES.values():
        change(document)
    with pytest.raises(jk.IntegrityError) as info:
        loads(json.dumps(document))
    paths = [p.path for p in info.value.problems]
    assert len(paths) == len(REFERENCES) == len(set(paths))
    assert all(p.startswith("$.") for p in paths)


def test_a_wrong_element_type_names_its_position() -> None:
    with pytest.raises(jk.IntegrityError) as info:
        jk.Records(buyers=[jk.Buyer("b"), jk.Persona("p", "P")])
    (problem,) = info.value.problems
    assert problem.path == "$.buyers[1]"


@pytest.mark.parametrize(
    ("key", "value"),
    [("pains", "cost"), ("pains", {"a": "b"}), ("pains", "")],
)
def test_lists_are_lists_not_strings_or_objects(key: str, value: Any) -> None:
    document = unstructure(jk.Persona("p", "P"))
    with pytest.raises(jk.SchemaError, match=rf"{key} must be a list .* @ \$\.{key}"):
        loads(json.dumps({**document, key: value}))


def test_a_deals_stages_and_an_assets_personas_are_lists_too() -> None:
    deal = unstructure(example_records().deals[0])
    with pytest.raises(jk.SchemaError, match=r"stages must be a list \(got ''\) @ \$\.stages"):
        loads(json.dumps({**deal, "stages": ""}))
    asset = unstructure(example_records().assets[0])
    with pytest.raises(jk.SchemaError, match=r"personas must be a list .* @ \$\.personas"):
        loads(json.dumps({**asset, "personas": "cto"}))
