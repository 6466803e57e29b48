"""Build the published JSON Schemas from the attrs classes; the shipped files are its output.

The files in ``journeykit/io/schemas`` are the contract a CRM builds on, so they are committed
(reviewable diffs) and a test proves they equal what this module builds from the classes today.
After changing a record class or a model, write them again with::

    python -m journeykit.io._schema_build
"""

from __future__ import annotations

import enum
import json
import types
import typing
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Final

import attrs

from journeykit._frozenmap import FrozenMap
from journeykit.attribution._registry import _BUILTINS
from journeykit.errors import ParameterTypeError
from journeykit.io.serde import _KINDS, SCHEMA_VERSION
from journeykit.models import model_class
from journeykit.records import Records

__all__: list[str] = []

DIALECT: Final = "https://json-schema.org/draft/2020-12/schema"
SCHEMAS: Final = Path(__file__).with_name("schemas")

# Fields the records check as IDs (non-empty, no surrounding white space); the rest of the
# strings are free text. tests/test_schema.py probes every class to prove this list is right.
_IDENTIFIERS: Final = frozenset(
    {"id", "buyer", "channel", "asset", "campaign", "persona", "personas", "account", "stage"}
)
_AMOUNTS: Final = frozenset({"value", "cost", "employees"})  # finite and >= 0
_ID: Final = {"type": "string", "pattern": r"^\S(?:[\s\S]*\S)?$"}
# Python's isoformat: RFC 3339 with the offset always written (naive times are rejected).
_TIME: Final = {
    "type": "string",
    "format": "date-time",
    "pattern": r"(?:Z|[+-]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)$",
}
_META_DOC: Final = (
    "Every document carries schema_version (the format's version) and type (what it holds)."
)


def _builtin_models() -> list[str]:
    """The models journeykit ships (plugins' models are not part of its contract)."""
    return sorted(_BUILTINS)


def _record_kinds() -> dict[str, type[Any]]:
    return {kind: cls for kind, cls in _KINDS.items() if cls is not Records}


def _nullable(schema: dict[str, Any]) -> dict[str, Any]:
    """``schema`` or null, in the plainest spelling a reader of the file can follow."""
    kind = schema.get("type")
    if isinstance(kind, str) and set(schema) <= {"type", "minimum", "format", "pattern"}:
        return {**schema, "type": [kind, "null"]}
    if "enum" in schema:
        return {**schema, "enum": [*schema["enum"], None]}
    return {"anyOf": [schema, {"type": "null"}]}


def _type_schema(annotation: Any, name: str) -> dict[str, Any]:  # noqa: PLR0911, PLR0912
    """The schema of one annotation (``name`` picks IDs and amounts among strings and numbers)."""
    origin = typing.get_origin(annotation)
    arguments = typing.get_args(annotation)
    if origin in (typing.Union, types.UnionType):
        # A name or a function (Shapley's value function): documents hold names only.
        others = [
            a for a in arguments if a is not type(None) and typing.get_origin(a) is not Callable
        ]
        if len(others) == 1:
            inner = _type_schema(others[0], name)
            return _nullable(inner) if type(None) in arguments else inner
        return {"anyOf": [_type_schema(a, name) for a in others]}
    if origin is typing.Literal:
        return {"enum": list(arguments)}
    if origin is tuple and arguments and arguments[-1] is not Ellipsis:
        # A fixed pair such as (role, weight): a list of exactly those items.
        return {
            "type": "array",
            "prefixItems": [_type_schema(a, name) for a in arguments],
            "items": False,
            "minItems": len(arguments),
        }
    if origin in (tuple, frozenset, set, list):
        items = _type_schema(arguments[0], name) if arguments else {}
        array: dict[str, Any] = {"type": "array", "items": items}
        if origin in (frozenset, set):
            array["uniqueItems"] = True  # sets are written sorted, each member once
        return array
    if annotation is FrozenMap or (origin is not None and origin.__name__ == "Mapping"):
        value = _type_schema(arguments[1], name) if len(arguments) == 2 else {"type": "string"}
        return {"type": "object", "additionalProperties": value}
    if isinstance(annotation, type) and issubclass(annotation, enum.Enum):
        return {"enum": [member.value for member in annotation]}
    if annotation is datetime:
        return dict(_TIME)
    if annotation is timedelta:
        return {"type": "number", "description": "a duration in seconds"}
    if annotation is bool:
        return {"type": "boolean"}
    if annotation is int:
        return {"type": "integer", **({"minimum": 0} if name in _AMOUNTS else {})}
    if annotation is float:
        return {"type": "number", **({"minimum": 0} if name in _AMOUNTS else {})}
    if annotation is str:
        return dict(_ID) if name in _IDENTIFIERS else {"type": "string"}
    if attrs.has(annotation):
        kinds = {cls: kind for kind, cls in _record_kinds().items()}
        return {"$ref": f"#/$defs/{kinds[annotation]}"}
    # A record class or a built-in model gained a field of a type the contract cannot spell yet.
    msg = f"no JSON Schema for {annotation!r} ({name}): teach _type_schema this type"
    raise ParameterTypeError(msg)


def _object_schema(cls: type[Any]) -> dict[str, Any]:
    """Properties of an attrs class as a closed JSON object: required means no default."""
    hints = typing.get_type_hints(cls)
    properties: dict[str, Any] = {}
    required: list[str] = []
    for field in attrs.fields(cls):
        if not field.init:
            continue
        schema = _type_schema(hints[field.name], field.alias)
        if field.name == "currency":
            schema = {"type": "string", "pattern": "^[A-Z]{3}$"}
        properties[field.alias] = schema
        if field.default is attrs.NOTHING:
            required.append(field.alias)
    out: dict[str, Any] = {"type": "object", "properties": properties}
    if required:
        out["required"] = required
    out["additionalProperties"] = False
    return out


def _document(kind: str, body: dict[str, Any], title: str, description: str) -> dict[str, Any]:
    """A top-level document: ``schema_version`` and ``type`` first, then the body's fields."""
    properties = {
        "schema_version": {"const": SCHEMA_VERSION},
        "type": {"const": kind},
        **body["properties"],
    }
    return {
        "$schema": DIALECT,
        "$id": f"urn:journeykit:schema:{SCHEMA_VERSION}:{kind}",
        "title": title,
        "description": f"{description} {_META_DOC}",
        "type": "object",
        "properties": properties,
        "required": ["schema_version", "type", *body.get("required", [])],
        "additionalProperties": False,
    }


def _with_defs(document: dict[str, Any], names: list[str]) -> dict[str, Any]:
    kinds = _record_kinds()
    if names:
        document["$defs"] = {name: _object_schema(kinds[name]) for name in names}
    return document


def _nested(cls: type[Any]) -> list[str]:
    """The record kinds a class refers to, depth first (what its schema's ``$defs`` need)."""
    kinds = {c: k for k, c in _record_kinds().items()}
    found: list[str] = []
    for annotation in typing.get_type_hints(cls).values():
        for inner in (annotation, *typing.get_args(annotation)):
            if attrs.has(inner) and inner in kinds and kinds[inner] not in found:
                found += [k for k in [*_nested(inner), kinds[inner]] if k not in found]
    return found


def record_schema(kind: str) -> dict[str, Any]:
    """The schema of one record document (``touchpoint``, ``deal``, ...)."""
    cls = _record_kinds()[kind]
    summary = (cls.__doc__ or kind).strip().splitlines()[0]
    document = _document(kind, _object_schema(cls), cls.__name__, summary)
    return _with_defs(document, _nested(cls))


def records_schema() -> dict[str, Any]:
    """The schema of a ``records`` document: one list per record type, each optional."""
    tables = {
        "personas": "persona",
        "assets": "content_asset",
        "accounts": "account",
        "buyers": "buyer",
        "touchpoints": "touchpoint",
        "deals": "deal",
    }
    body = {
        "properties": {
            table: {"type": "array", "items": {"$ref": f"#/$defs/{kind}"}}
            for table, kind in tables.items()
        }
    }
    description = (
        "Personas, assets, accounts, buyers, touchpoints and deals; IDs unique per list, every "
        "reference resolving (checked by journeykit on reading, not expressible here)."
    )
    names = list(dict.fromkeys(n for k in tables.values() for n in [*_nested(_KINDS[k]), k]))
    return _with_defs(_document("records", body, "Records", description), names)


def model_params(name: str) -> dict[str, Any]:
    """The ``params`` object of one registered model."""
    cls = model_class(name)
    hints = typing.get_type_hints(cls)
    properties = {
        f.alias: _type_schema(hints[f.name], f.alias) for f in attrs.fields(cls) if f.init
    }
    return {"type": "object", "properties": properties, "additionalProperties": False}


def _per_model(key: str, *, nullable: bool = False) -> list[dict[str, Any]]:
    """One branch per built-in model: ``params`` as that model takes them, named by ``key``.

    A model a plugin registers matches no branch, so its params may be any object; a result's
    params are null when a parameter holds code (``nullable``).
    """
    branches = []
    for name in _builtin_models():
        params: dict[str, Any] = {"$ref": f"#/$defs/params_{name}"}
        if nullable:
            params = {"anyOf": [params, {"type": "null"}]}
        branches.append(
            {
                "if": {"properties": {key: {"const": name}}, "required": [key]},
                "then": {"properties": {"params": params}},
            }
        )
    return branches


def _model_defs() -> dict[str, Any]:
    return {f"params_{name}": model_params(name) for name in _builtin_models()}


def model_schema() -> dict[str, Any]:
    """The schema of a ``model`` document (what ``dumps(model)`` writes)."""
    body = {
        "properties": {
            "name": {"type": "string", "description": "a registered model's name"},
            "params": {"type": "object"},
        },
        "required": ["name"],
    }
    description = "An attribution model by name, with its parameters (durations in seconds)."
    document = _document("model", body, "Model", description)
    document["allOf"] = _per_model("name")
    document["$defs"] = _model_defs()
    return document


def _amounts(*, cents: bool) -> dict[str, Any]:
    # Credit carries no minimum: a model need not claim non-negative shares.
    out: dict[str, Any] = {"conversions": {"type": "number"}, "value": {"type": "number"}}
    if cents:
        out["cents"] = {"type": "integer", "description": "value in cents, adding up exactly"}
    return out


def _closed(properties: dict[str, Any], required: list[str]) -> dict[str, Any]:
    return {
        "type": "object",
        "properties": properties,
        "required": required,
        "additionalProperties": False,
    }


def attribution_body() -> dict[str, Any]:
    """The fields of an attribution result (shared by ``attribution`` and ``comparison``)."""
    label = {"type": ["string", "null"]}
    row = _closed(
        {
            "label": {
                "description": "the label; a list of labels for several dimensions; null: none",
                "anyOf": [label, {"type": "array", "items": label}],
            },
            "key": {
                "description": "each dimension's label by the dimension's name",
                "type": "object",
                "additionalProperties": label,
            },
            **_amounts(cents=True),
        },
        ["label", "key", "conversions", "value"],
    )
    touch = _closed(
        {
            "touch": {**label, "description": "the touch's own ID (null: journeys without IDs)"},
            "position": {"type": "integer", "minimum": 0},
            "time": _nullable(dict(_TIME)),
            "channel": {"type": "string"},
            "team": label,
            "share": {"type": "number"},
            **_amounts(cents=True),
        },
        ["touch", "position", "time", "channel", "share", "conversions", "value", "cents"],
    )
    journey = _closed(
        {
            "id": {**label, "description": "the journey's ID: the deal's, for assembled records"},
            **_amounts(cents=True),
            "touches": {"type": "array", "items": touch},
        },
        ["id", "conversions", "value", "cents", "touches"],
    )
    count = {"type": "number", "minimum": 0}
    properties: dict[str, Any] = {
        "model": {"type": "string", "description": "the model's registered name"},
        "params": {
            "description": "the model's parameters as a model document writes them; null when "
            "a parameter holds code",
            "anyOf": [{"type": "object"}, {"type": "null"}],
        },
        "currency": {"type": ["string", "null"], "pattern": "^[A-Z]{3}$"},
        "total": _closed(_amounts(cents=True), ["conversions", "value"]),
        "unattributed": _closed(
            {"journeys": count, "conversions": count, "value": count},
            ["journeys", "conversions", "value"],
        ),
        "by": {
            "description": "roll-ups by dimension name (several dimensions: names joined by ,)",
            "type": "object",
            "additionalProperties": {"type": "array", "items": row},
        },
        "journeys": {
            "description": "converting journeys with each touch's credit (omitted when only "
            "roll-ups were computed)",
            "type": "array",
            "items": journey,
        },
    }
    # Where the command line got its input (journeykit attribute ... --format json).
    properties |= {
        "command": {"type": "string"},
        "file": {"type": "string"},
        "goal": {"type": ["string", "null"]},
        "rollup": {"type": ["string", "null"]},
        "lookback": {"type": ["string", "null"]},
    }
    return {"properties": properties, "required": ["model", "params", "currency", "total", "by"]}


def attribution_schema() -> dict[str, Any]:
    """The schema of an ``attribution`` document (what ``dumps(attribution)`` writes)."""
    description = (
        "Credit of each converting journey's touches under one model, rolled up by dimension, "
        "in the journeys' currency."
    )
    document = _document("attribution", attribution_body(), "Attribution", description)
    document["allOf"] = _per_model("model", nullable=True)
    document["$defs"] = _model_defs()
    return document


def comparison_schema() -> dict[str, Any]:
    """The schema of a ``comparison`` document: one attribution result per model."""
    body = attribution_body()
    result = {
        **_closed(body["properties"], body["required"]),
        "allOf": _per_model("model", nullable=True),
    }
    document = _document(
        "comparison",
        {
            "properties": {
                "currency": {"type": ["string", "null"], "pattern": "^[A-Z]{3}$"},
                "results": {"type": "array", "items": {"$ref": "#/$defs/result"}},
            },
            "required": ["currency", "results"],
        },
        "Comparison",
        "Several models' attributions of the same journeys, one result per model.",
    )
    document["$defs"] = {"result": result, **_model_defs()}
    return document


def build() -> dict[str, dict[str, Any]]:
    """Every published schema by document type."""
    schemas = {kind: record_schema(kind) for kind in _record_kinds()}
    schemas["records"] = records_schema()
    schemas["model"] = model_schema()
    schemas["attribution"] = attribution_schema()
    schemas["comparison"] = comparison_schema()
    return schemas


def text(schema: dict[str, Any]) -> str:
    """A schema as its file holds it."""
    return json.dumps(schema, indent=2, ensure_ascii=False) + "\n"


def main() -> None:
    """Write every schema file (run after changing a record class or a built-in model)."""
    SCHEMAS.mkdir(exist_ok=True)
    for kind, schema in build().items():
        (SCHEMAS / f"{kind}.schema.json").write_text(text(schema), encoding="utf-8")


if __name__ == "__main__":
    main()
