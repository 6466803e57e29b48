"""The published JSON Schemas: built from the classes, valid, and true to what journeykit reads.

Validated with a real validator (jsonschema, draft 2020-12) against documents journeykit writes,
hypothesis-generated ones included, and against documents the schemas must reject.
"""

from __future__ import annotations

import copy
import hashlib
import json
import math
import re
import subprocess
import sys
import zipfile
from datetime import timedelta
from pathlib import Path
from typing import Any

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import journeykit as jk
from helpers import run_command
from journeykit.datasets import example_records
from journeykit.errors import JourneykitError
from journeykit.io import SCHEMA_KINDS, dumps, loads, schema, unstructure
from journeykit.io._schema_build import SCHEMAS, build, text
from journeykit.testing import strategies as jst

jsonschema = pytest.importorskip("jsonschema")

RECORD_KINDS = [
    k for k in SCHEMA_KINDS if k not in ("records", "model", "attribution", "comparison")
]


def validator(kind: str) -> Any:
    return jsonschema.Draft202012Validator(schema(kind))


def errors(kind: str, document: Any) -> list[str]:
    return [e.message for e in validator(kind).iter_errors(document)]


def assert_valid(document: dict[str, Any]) -> None:
    problems = errors(document["type"], document)
    assert not problems, problems


# -- the files --------------------------------------------------------------------------------------


def test_the_shipped_files_are_what_the_classes_build() -> None:
    built = build()
    assert sorted(built) == sorted(SCHEMA_KINDS)
    for kind, document in built.items():
        shipped = (SCHEMAS / f"{kind}.schema.json").read_text(encoding="utf-8")
        assert shipped == text(document), (
            f"{kind}.schema.json is stale: run python -m journeykit.io._schema_build"
        )
    assert sorted(p.name for p in SCHEMAS.iterdir()) == sorted(
        f"{k}.schema.json" for k in SCHEMA_KINDS
    )


@pytest.mark.parametrize("kind", SCHEMA_KINDS)
def test_every_schema_is_a_valid_draft_2020_12_schema(kind: str) -> None:
    document = schema(kind)
    jsonschema.Draft202012Validator.check_schema(document)
    assert document["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert document["properties"]["schema_version"] == {"const": jk.io.SCHEMA_VERSION}
    assert document["properties"]["type"] == {"const": kind}


def test_schema_returns_a_fresh_copy_and_names_unknown_kinds() -> None:
    schema("deal")["title"] = "changed"
    assert schema("deal")["title"] == "Deal"
    with pytest.raises(jk.ParameterError, match=r"one of persona, .* \(got 'deals'\)"):
        schema("deals")


def test_enums_and_required_fields_come_from_the_classes() -> None:
    deal = schema("deal")
    assert deal["properties"]["outcome"] == {"enum": ["open", "won", "lost"]}
    assert deal["properties"]["kind"] == {"enum": [k.value for k in jk.DealKind]}
    required = [f.name for f in attrs.fields(jk.Deal) if f.default is attrs.NOTHING]
    assert deal["required"] == ["schema_version", "type", *required]
    markov = schema("model")["$defs"]["params_markov"]["properties"]
    assert markov["allocation"] == {"enum": ["global", "journey"]}  # from the Literal type


@pytest.mark.slow
def test_the_wheel_ships_the_schemas(tmp_path: Path) -> None:
    root = Path(__file__).resolve().parents[1]
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path), str(root)],
        check=True,
    )  # fmt: skip
    (wheel,) = tmp_path.glob("journeykit-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for kind in SCHEMA_KINDS:
        assert f"journeykit/io/schemas/{kind}.schema.json" in names


# -- documents journeykit writes are valid -----------------------------------------------------------


def test_records_and_each_record_journeykit_writes_are_valid() -> None:
    records = example_records()
    assert_valid(unstructure(records))
    for table in ("personas", "assets", "accounts", "buyers", "touchpoints", "deals"):
        for record in getattr(records, table):
            assert_valid(unstructure(record))
    deal = records.deals[0]
    for part in (*deal.stages, *deal.buyers):
        assert_valid(unstructure(part))


@settings(max_examples=40, deadline=None)
@given(jst.records())
def test_hypothesis_records_are_valid(records: jk.Records) -> None:
    document = json.loads(dumps(records))
    assert_valid(document)
    for touch in records.touchpoints:
        assert_valid(unstructure(touch))


@pytest.mark.parametrize("cls", [jk.Persona, jk.ContentAsset, jk.Account, jk.Buyer, jk.Deal])
def test_hypothesis_record_documents_are_valid(cls: type[Any]) -> None:
    @settings(max_examples=40, deadline=None)
    @given(st.from_type(cls))
    def check(record: Any) -> None:
        assert_valid(json.loads(dumps(record)))

    check()


NEEDS = {"custom_positions": {"first": 0.5, "last": 0.5}}  # no default sums to 1


@pytest.mark.parametrize("name", jk.models.available())
def test_every_models_spec_is_valid(name: str) -> None:
    assert_valid(unstructure(jk.models.get(name, **NEEDS.get(name, {}))))


def test_a_whole_float_is_an_integer_to_the_schema_and_to_the_reader() -> None:
    document = {**unstructure(jk.models.get("markov")), "params": {"order": 2.0}}
    assert not errors("model", document)
    model: Any = loads(json.dumps(document))
    assert model == jk.models.get("markov", order=2)
    assert type(model.order) is int
    for fraction in (2.5, True):  # still refused by both
        bad = {**document, "params": {"order": fraction}}
        assert errors("model", bad)
        with pytest.raises(jk.SchemaError, match="order must be a whole number"):
            loads(json.dumps(bad))


def test_model_params_are_checked_per_model() -> None:
    document = unstructure(jk.models.get("time_decay"))
    assert document["params"] == {"half_life": 7 * 86400.0}
    assert errors("model", {**document, "params": {"half_life": "7d"}}) == [
        "'7d' is not of type 'number'"
    ]
    assert errors("model", {**document, "params": {"order": 2}})  # markov's, not time_decay's
    assert_valid(unstructure(jk.models.get("markov", order=2, allocation="journey")))


# -- documents the schemas must reject (and journeykit rejects too) -------------------------------


def _touch() -> dict[str, Any]:
    return unstructure(example_records().touchpoints[0])


def _deal() -> dict[str, Any]:
    return unstructure(example_records().deals[0])


def _without(document: dict[str, Any], key: str) -> dict[str, Any]:
    return {k: v for k, v in document.items() if k != key}


BAD = {
    "missing required key": lambda: _without(_touch(), "channel"),
    "unknown key": lambda: {**_touch(), "colour": "red"},
    "unknown enum value": lambda: {**_touch(), "reach": "one-to-some"},
    "team may be left out but is not null": lambda: {**_touch(), "team": None},
    "naive time": lambda: {**_touch(), "time": "2024-03-01T09:00:00"},
    "not a time": lambda: {**_touch(), "time": 1709283600},
    "negative cost": lambda: {**_touch(), "cost": -1.0},
    "a boolean is not a number": lambda: {**_touch(), "cost": True},
    "ID with surrounding spaces": lambda: {**_touch(), "buyer": " b-1"},
    "empty ID": lambda: {**_touch(), "id": ""},
    "properties map strings to strings": lambda: {**_touch(), "properties": {"utm": 3}},
    "future schema version": lambda: {**_touch(), "schema_version": 3},
    "version as a string": lambda: {**_touch(), "schema_version": "2"},
    "lower-case currency": lambda: {**_deal(), "currency": "eur"},
    "deal buyer as a bare string": lambda: {**_deal(), "buyers": ["b-1"]},
    "stage change with an extra key": lambda: {
        **_deal(),
        "stages": [{**_deal()["stages"][0], "note": "x"}],
    },
    "records with an unknown table": lambda: {**unstructure(jk.Records()), "leads": []},
    "records with a touch missing its buyer": lambda: {
        **unstructure(jk.Records()),
        "touchpoints": [_without(_without(_touch(), "schema_version"), "type") | {"buyer": 5}],
    },
    "model param of the wrong type": lambda: {
        **unstructure(jk.models.get("markov")),
        "params": {"order": "two"},
    },
    "model param unknown": lambda: {
        **unstructure(jk.models.get("linear")),
        "params": {"per": "touch", "colour": 1},
    },
    "model param not an allowed value": lambda: {
        **unstructure(jk.models.get("markov")),
        "params": {"allocation": "sometimes"},
    },
}


@pytest.mark.parametrize("case", BAD)
def test_documents_the_schema_must_reject_journeykit_rejects_too(case: str) -> None:
    document = BAD[case]()
    assert errors(document["type"], document), f"the schema accepted: {case}"
    with pytest.raises(JourneykitError):
        loads(json.dumps(document))


# -- the schema and the classes agree field by field ------------------------------------------------

PROBES: list[Any] = [
    *(None, " padded ", "", "x", -1, 0, 2.0, 2.5, True, [], {}, "2024-03-01T09:00:00Z"),
]


def _bases() -> dict[str, dict[str, Any]]:
    records = example_records()
    deal = records.deals[0]
    documents = [
        unstructure(x)
        for x in (
            records.personas[0],
            records.assets[0],
            records.accounts[0],
            records.buyers[0],
            records.touchpoints[0],
            deal,
            deal.stages[0],
            deal.buyers[0],
        )
    ]
    return {d["type"]: d for d in documents}


def _reads(document: dict[str, Any]) -> bool:
    try:
        loads(json.dumps(document))
    except JourneykitError:
        return False
    return True


# Rules between fields (a won deal needs closed_at) the schema cannot express: the schema may
# accept a single changed value that the record then rejects, but never the other way round.
CROSS_FIELD = {("deal", "closed_at"), ("deal", "created_at"), ("stage_change", "at")}


@pytest.mark.parametrize("kind", RECORD_KINDS)
def test_schema_and_reader_agree_on_each_field(kind: str) -> None:
    base = _bases()[kind]
    assert _reads(base)
    assert not errors(kind, base)
    disagreements = []
    for key in base:
        if key in ("schema_version", "type"):
            continue
        for probe in PROBES:
            document = copy.deepcopy(base)
            document[key] = probe
            schema_ok = not errors(kind, document)
            reader_ok = _reads(document)
            if schema_ok and not reader_ok and (kind, key) in CROSS_FIELD:
                continue
            if schema_ok != reader_ok:
                disagreements.append((key, probe, f"schema {schema_ok}, reader {reader_ok}"))
    assert disagreements == []


# -- results --------------------------------------------------------------------------------------


def _assembled() -> jk.Journeys:
    return jk.assemble(example_records(), goal="won")


@pytest.mark.parametrize(
    "model",
    ["linear", "first_touch", "w_shaped", "time_decay", "markov", "shapley", "ordered_shapley"],
)
def test_attribution_documents_are_valid_and_conserve(model: str) -> None:
    result = jk.attribute(_assembled(), model)
    document = json.loads(dumps(result, by=["channel", ("team", "channel"), "persona"]))
    assert_valid(document)
    assert document["currency"] == result.currency == "EUR"
    assert document["model"] == model
    assert document["params"] == unstructure(result.model)["params"]
    touches = [t for j in document["journeys"] for t in j["touches"]]
    assert math.fsum(t["conversions"] for t in touches) == pytest.approx(result.total, abs=1e-12)
    assert math.fsum(t["value"] for t in touches) == pytest.approx(result.total_value, rel=1e-12)
    assert sum(t["cents"] for t in touches) == document["total"]["cents"]
    assert document["total"]["cents"] == round(result.total_value * 100)
    for key, rows in document["by"].items():
        assert math.fsum(r["conversions"] for r in rows) == pytest.approx(result.total, abs=1e-9)
        assert sum(r["cents"] for r in rows) == document["total"]["cents"], key


def test_per_touch_credit_is_keyed_by_the_crms_own_ids() -> None:
    records = example_records()
    result = jk.attribute(jk.assemble(records, goal="won"), "linear")
    document = unstructure(result)
    (journey,) = document["journeys"]  # one won deal
    (won,) = [d for d in records.deals if d.outcome is jk.Outcome.WON]
    assert journey["id"] == won.id
    assert journey["value"] == won.value
    assert sum(t["cents"] for t in journey["touches"]) == round(won.value * 100)
    by_id = {t.id: t for t in records.touchpoints}
    for touch in journey["touches"]:
        record = by_id[touch["touch"]]
        assert touch["channel"] == record.channel
        assert touch["team"] == record.team.value
        assert loads(json.dumps({"schema_version": 2, "type": "stage_change", "stage": "x",
                                 "at": touch["time"]})).at == record.time  # fmt: skip
    assert sorted(document["by"]) == ["channel", "team"]  # the default roll-ups


def test_tuple_keys_are_objects() -> None:
    result = jk.attribute(_assembled(), "linear")
    rows = unstructure(result, by=[("team", "channel")])["by"]["team,channel"]
    want = result.by(("team", "channel"))
    assert {tuple(r["label"]): r["conversions"] for r in rows} == dict(want)
    assert all(set(r["key"]) == {"team", "channel"} for r in rows)
    assert all(r["key"]["team"] == r["label"][0] for r in rows)


@settings(max_examples=40, deadline=None)
@given(jst.journeys(allow_empty=True), st.sampled_from(["linear", "position_based", "markov"]))
def test_hypothesis_results_are_valid_and_conserve(journeys: jk.Journeys, model: str) -> None:
    result = jk.attribute(journeys, model)
    document = json.loads(dumps(result))
    assert_valid(document)
    touches = [t for j in document["journeys"] for t in j["touches"]]
    assert math.fsum(t["conversions"] for t in touches) == pytest.approx(
        result.total, rel=1e-9, abs=1e-9
    )
    assert sum(t["cents"] for t in touches) == int(result.to_cents().sum())
    for journey in document["journeys"]:
        if jk.models.get(model).tags.conserves == "journey":
            credited = math.fsum(t["conversions"] for t in journey["touches"])
            assert credited == pytest.approx(journey["conversions"], rel=1e-9)
    assert document["unattributed"] == result.unattributed


def test_comparison_documents_hold_one_result_per_model() -> None:
    comparison = jk.compare(_assembled(), ["linear", "markov"])
    document = json.loads(dumps(comparison))
    assert_valid(document)
    assert [r["model"] for r in document["results"]] == ["linear", "markov"]
    assert document["currency"] == "EUR"


def test_results_load_back_as_plain_dicts_and_never_as_objects() -> None:
    result = jk.attribute(_assembled(), "linear")
    text = dumps(result)
    assert loads(text) == json.loads(text)
    with pytest.raises(jk.ParameterTypeError, match="read the document without cls="):
        loads(text, jk.Attribution)
    with pytest.raises(jk.SchemaError, match="schema_version must be 2"):
        loads(text.replace('"schema_version": 2', '"schema_version": 7'))


def test_by_is_for_results_only() -> None:
    with pytest.raises(jk.ParameterError, match="by= applies to results"):
        unstructure(jk.Persona("p", "P"), by=["channel"])
    with pytest.raises(jk.ParameterError, match="at least one dimension"):
        unstructure(jk.attribute(_assembled(), "linear"), by=[])


# -- the command writes the same document --------------------------------------------------------


def test_the_commands_json_is_an_attribution_document(tmp_path: Path) -> None:
    path = tmp_path / "records.json"
    path.write_text(dumps(example_records()))
    result = run_command(
        "attribute", str(path), "--model", "markov", "--lookback", "90d",
        "--by", "channel", "--by", "team,channel", "--format", "json",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    assert_valid(document)
    want = jk.attribute(jk.assemble(example_records(), lookback=timedelta(days=90)), "markov")
    assert document["params"] == unstructure(want.model)["params"]
    assert document["currency"] == want.currency
    assert document["lookback"] == "90d"
    assert "journeys" not in document  # roll-ups only on the command line
    got = {tuple(r["label"]): r["value"] for r in document["by"]["team,channel"]}
    assert got == pytest.approx(dict(want.by(("team", "channel"), measure="value")), rel=1e-12)


def test_the_commands_chunked_json_is_an_attribution_document(tmp_path: Path) -> None:
    path = tmp_path / "paths.csv"
    path.write_text("path,total_conversions,total_conversion_value,total_null\n"
                    "a > b,3,30,1\nb,1,5,2\na > c > b,2,40,0\n")  # fmt: skip
    result = run_command("attribute", str(path), "--chunk-rows", "1", "--format", "json")
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    assert_valid(document)
    assert document["currency"] is None
    assert document["total"] == {"conversions": 6.0, "value": 75.0}  # summed exactly
    assert "cents" not in document["total"]  # no per-touch credit to round to cents


# -- the compatibility policy (docs/json.md) --------------------------------------------------------

# The shape of each document type's schema per schema_version, descriptions left out. A change to
# any published shape fails here: bump SCHEMA_VERSION, add the migration from the previous version
# to serde._migrate, and record the new version's fingerprints below (docs/json.md,
# "Compatibility"). A new document type does not bump the version: add its fingerprint to the
# current one's, leaving the others as they are.
FINGERPRINTS = {
    2: {
        "persona": "1a531e33b3494da6d6439388cd0e8472f89020950ab9342eca7e659dcb9e284b",
        "content_asset": "eded3fc52f96df3b83a6a7770b6efa953c11f3e6c4f54e456a5e1cc14990c03b",
        "account": "c8e412417c1a63ff2286f82070a7d90d2d55005f1dd55c806566569b4fa1ae47",
        "buyer": "651e4cc1d470e1e18e6886c9bdb92fc5f9804966f0ef307b0519f9fdc0f08449",
        "touchpoint": "629412f3c21f20c84a023883428baafe877501b903633aace097270db304673c",
        "deal": "8479fed6d5b7bded2c4dbcd625cf16a1294d1a836b0fc28c42c70379a2d84ce1",
        "stage_change": "6f8f9308e8fdb7500bff5dd5094678bbd2e1588237fe0923c7807502b93b7b51",
        "deal_buyer": "147d1bdc30fe83921c1653600660be8810a475ee37189833d3f3c0e26646c442",
        "records": "00bb9a211f532707e245c94e78026bca503e28e8083fb6130062295a44259e7a",
        "model": "d3cee04b6c0684413cb0b1ed6319d0f28229f3a2f1ff7fc8c330b4101ad55987",
        "attribution": "0b745c5cfb639c6c4ffb0e54dfc6707b79399f2f020e3da2024f0065d5d92a27",
        "comparison": "1a67cadb5268f734007665418f71789c273ea8881ecd39eb93a7c65a5b5a1448",
    }
}


def _shape(node: Any) -> Any:
    if isinstance(node, dict):
        return {
            k: _shape(v) for k, v in node.items() if k not in ("title", "description", "$comment")
        }
    if isinstance(node, list):
        return [_shape(v) for v in node]
    return node


def _fingerprint(document: dict[str, Any]) -> str:
    text = json.dumps(_shape(document), sort_keys=True, ensure_ascii=True).encode()
    return hashlib.sha256(text).hexdigest()


def _changes(now: dict[str, str]) -> tuple[list[str], list[str]]:
    """The published types whose shape changed (or went), and the new types, by fingerprint."""
    published = FINGERPRINTS.get(jk.io.SCHEMA_VERSION, {})
    changed = [kind for kind, print_ in published.items() if now.get(kind) != print_]
    return changed, [kind for kind in now if kind not in published]


def test_a_changed_contract_bumps_the_schema_version() -> None:
    changed, new = _changes({kind: _fingerprint(schema(kind)) for kind in SCHEMA_KINDS})
    assert changed == [], (
        f"the published JSON shape of {changed} changed: bump SCHEMA_VERSION and migrate "
        "(docs/json.md)"
    )
    assert new == [], f"a new document type {new}: record its fingerprint (no version bump)"


def test_a_new_document_type_leaves_the_published_fingerprints_alone() -> None:
    now = {kind: _fingerprint(schema(kind)) for kind in SCHEMA_KINDS}
    assert _changes({**now, "invoice": _fingerprint(schema("model"))}) == ([], ["invoice"])
    touch = json.loads(json.dumps(schema("touchpoint")))
    touch["properties"]["colour"] = {"type": "string"}
    assert _changes({**now, "touchpoint": _fingerprint(touch)}) == (["touchpoint"], [])


def test_a_version_1_document_is_migrated() -> None:
    records = example_records()
    document = unstructure(records)
    old = {**document, "schema_version": 1}
    old["deals"] = [{k: v for k, v in d.items() if k != "kind"} for d in document["deals"]]
    assert errors("records", old)  # the published schema is the current version's
    assert loads(json.dumps(old)) == records  # every deal of version 1 is new business
    with pytest.raises(jk.SchemaError, match=r"kind is not a known key in schema version 1"):
        loads(json.dumps({**old, "deals": document["deals"]}))


def test_a_model_holding_code_writes_its_name_and_no_params() -> None:
    model = jk.models.get("shapley", value=lambda stats: stats.conversions)
    result = jk.attribute(_assembled(), model)
    document = unstructure(result)
    assert_valid(document)
    assert (document["model"], document["params"]) == ("shapley", None)
    with pytest.raises(jk.ParameterTypeError, match="holds code"):
        unstructure(model)


def test_one_dimension_name_is_one_roll_up() -> None:
    result = jk.attribute(_assembled(), "linear")
    document = json.loads(dumps(result, by="team"))  # not the dimensions t, e, a, m
    assert list(document["by"]) == ["team"]
    assert document["by"] == unstructure(result, by=["team"])["by"]


def test_totals_are_summed_exactly() -> None:
    # float addition of these credits gives 6.000000000000001 conversions and 74.99999999999999
    paths = jk.read_paths(
        [
            {"path": "a > b", "total_conversions": 3, "total_conversion_value": 30},
            {"path": "b", "total_conversions": 1, "total_conversion_value": 5},
            {"path": "a > c > b", "total_conversions": 2, "total_conversion_value": 40},
        ]
    )
    result = jk.attribute(paths, "linear")
    assert unstructure(result)["total"] == {"conversions": 6.0, "value": 75.0, "cents": 7500}
    # the exact sum of these credits is 0.9999999999999999 conversions: the deal's own total
    w_shaped = unstructure(jk.attribute(_assembled(), "w_shaped"))["total"]
    assert w_shaped == {"conversions": 1.0, "value": 48000.0, "cents": 4800000}


def test_the_reader_knows_a_results_keys_as_the_schema_does() -> None:
    from journeykit.io.serde import _COMPARISON_KEYS, _RESULT_KEYS  # noqa: PLC0415

    for kind, keys in (("attribution", _RESULT_KEYS), ("comparison", _COMPARISON_KEYS)):
        published = schema(kind)
        assert published["required"] == ["schema_version", "type", *keys[0]]
        assert set(published["properties"]) == {"schema_version", "type", *keys[0], *keys[1]}
    result = schema("comparison")["$defs"]["result"]
    assert result["required"] == list(_RESULT_KEYS[0])
    assert set(result["properties"]) == {*_RESULT_KEYS[0], *_RESULT_KEYS[1]}


def test_a_result_document_with_a_missing_or_unknown_key_is_rejected() -> None:
    comparison = json.loads(dumps(jk.compare(_assembled(), ["linear", "markov"])))
    attribution = comparison["results"][0] | {"schema_version": 2, "type": "attribution"}
    assert loads(json.dumps(attribution)) == attribution
    cases = {
        "by is required @ $.by": _without(attribution, "by"),
        "colour is not a known key @ $.colour": {**attribution, "colour": 1},
        "by is required @ $.results[1].by": {
            **comparison,
            "results": [comparison["results"][0], _without(comparison["results"][1], "by")],
        },
        "extra is not a known key @ $.results[0].extra": {
            **comparison,
            "results": [{**comparison["results"][0], "extra": 1}],
        },
        "results is required @ $.results": _without(comparison, "results"),
        "results must be a list": {**comparison, "results": {}},
    }
    for message, document in cases.items():
        assert errors(document["type"], document), message  # the schema rejects it too
        with pytest.raises(jk.SchemaError, match=re.escape(message)):
            loads(json.dumps(document))


@pytest.mark.parametrize("kind", ["attribution", "comparison"])
def test_a_version_1_result_document_is_refused(kind: str) -> None:
    result = jk.attribute(_assembled(), "linear")
    document = unstructure(
        result if kind == "attribution" else jk.compare(_assembled(), ["linear"])
    )
    with pytest.raises(jk.SchemaError, match=f"schema_version is 1, which had no {kind} documents"):
        loads(json.dumps({**document, "schema_version": 1}))
