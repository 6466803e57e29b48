"""The one JSON boundary: records, models and results to documents, records and models back.

Domain classes never learn JSON; this module owns a strict cattrs converter. A document is a JSON
object with ``schema_version`` and ``type`` beside the record's fields. Times are ISO-8601
strings with their offset, enums their values, sets sorted lists. Unknown keys, wrong types and
invalid records are rejected together, each problem with its path in the document. Attribution
results are written (per-touch credit keyed by the CRM's IDs, roll-ups, model, currency) and read
back as plain dicts, their keys and version checked. Every document type has a published JSON Schema
(:func:`journeykit.io.schema`); docs/json.md states the contract and its compatibility policy.

Examples
--------
>>> from datetime import datetime, timezone
>>> import journeykit as jk
>>> from journeykit.io import dumps, loads
>>> touch = jk.Touchpoint("t-1", "b-1", datetime(2024, 3, 1, 9, tzinfo=timezone.utc), "call",
...                       jk.Reach.ONE_TO_ONE)
>>> text = dumps(touch)
>>> text[:80]
'{"schema_version": 2, "type": "touchpoint", "id": "t-1", "buyer": "b-1", "time":'
>>> loads(text) == touch
True
>>> loads('{"schema_version": 2, "type": "records", "touchpoints": [{"id": "t-1", "buyer": 5, '
...       '"time": "2024-03-01T09:00:00", "reach": "one_to_one", "colour": 1}]}')
Traceback (most recent call last):
...
journeykit.errors.SchemaError: 3 problems:
  - buyer must be a string (got 5) @ $.touchpoints[0].buyer
  - channel is required @ $.touchpoints[0].channel
  - colour is not a known key @ $.touchpoints[0].colour
>>> loads('{"schema_version": 2, "type": "touchpoint", "id": "t-1", "buyer": "b-1", '
...       '"time": "2024-03-01T09:00:00", "channel": "call", "reach": "one_to_one"}')
Traceback (most recent call last):
...
journeykit.errors.SchemaError: Touchpoint 't-1': time must be timezone-aware ... @ $.time
"""

from __future__ import annotations

import collections.abc
import enum
import json
import math
import typing
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any, Final, TypeVar, cast

import attrs
import cattrs
import cattrs.cols
import numpy as np
from cattrs.errors import ClassValidationError, ForbiddenExtraKeysError, IterableValidationError

from journeykit._frozenmap import FrozenMap
from journeykit._labels import label_text
from journeykit.attribution._api import Comparison
from journeykit.attribution.result import Attribution
from journeykit.buyers import Account, Buyer
from journeykit.content import ContentAsset
from journeykit.deals import Deal, DealBuyer, StageChange
from journeykit.errors import (
    IntegrityError,
    ModelError,
    ParameterError,
    ParameterTypeError,
    Problem,
    SchemaError,
    ValidationError,
)
from journeykit.journeys import NAT
from journeykit.models import available, model_class, name_of, to_spec
from journeykit.personas import Persona
from journeykit.records import Records
from journeykit.touchpoints import Touchpoint

__all__ = ["SCHEMA_VERSION", "dumps", "loads", "result_document", "structure", "unstructure"]

SCHEMA_VERSION: Final = 2
"""The version of the document format this journeykit writes (it reads every earlier one too).

Version 2 added ``Deal.kind`` (``new_business``, ``expansion``, ``renewal``); a version 1
document is read as written before it: every deal is new business.
"""

T = TypeVar("T")
Dimensions = str | Sequence[str | tuple[str, ...]]
"""A result document's roll-ups: one dimension name, or several (a tuple: dimensions at once)."""

_KINDS: Final[dict[str, type[Any]]] = {
    "persona": Persona,
    "content_asset": ContentAsset,
    "account": Account,
    "buyer": Buyer,
    "touchpoint": Touchpoint,
    "deal": Deal,
    "stage_change": StageChange,
    "deal_buyer": DealBuyer,
    "records": Records,
}
_KIND_OF: Final = {cls: kind for kind, cls in _KINDS.items()}
_META: Final = ("schema_version", "type")
# Results are written, never rebuilt (their journeys are not in the document): loads() gives
# these back as plain dicts, checked for their version.
_RESULTS: Final[dict[str, type[Any]]] = {"attribution": Attribution, "comparison": Comparison}
# The keys of a result (an attribution document's body, each of a comparison's results): the
# required ones, then the optional ones (journeys; where the command got its input).
_RESULT_KEYS: Final = (
    ("model", "params", "currency", "total", "by"),
    ("unattributed", "journeys", "command", "file", "goal", "rollup", "lookback"),
)
_COMPARISON_KEYS: Final = (("currency", "results"), ())
_RESULTS_SINCE: Final = 2  # the first schema_version with result documents


class _MismatchError(Exception):
    """A JSON value of the wrong type; the message follows the key name."""


def _strict(kind: type[Any], label: str) -> Any:
    def hook(value: Any, _type: Any) -> Any:
        if isinstance(value, bool) and kind is not bool:
            raise _MismatchError(f"must be {label} (got {value!r})")
        if kind is float and isinstance(value, int):
            return float(value)
        if kind is int and isinstance(value, float) and value.is_integer():
            return int(value)  # JSON Schema's integer includes 2.0, and so does this reader
        if not isinstance(value, kind):
            raise _MismatchError(f"must be {label} (got {value!r})")
        return value

    return hook


def _structure_time(value: Any, _type: Any) -> datetime:
    if not isinstance(value, str):
        raise _MismatchError(f"must be an ISO-8601 time string (got {value!r})")
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        raise _MismatchError(f"is not an ISO-8601 time (got {value!r})") from None


def _structure_duration(value: Any, _type: Any) -> timedelta:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _MismatchError(f"must be a duration in seconds (got {value!r})")
    try:
        return timedelta(seconds=value)
    except (OverflowError, ValueError):  # beyond timedelta's 999,999,999 days, or NaN
        message = f"must be a finite duration of at most 999999999 days in seconds (got {value!r})"
        raise _MismatchError(message) from None


def _structure_frozenmap(value: Any, _type: Any) -> FrozenMap:
    if not isinstance(value, Mapping) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in value.items()
    ):
        raise _MismatchError(f"must be an object of strings (got {value!r})")
    return FrozenMap(value)


def _structure_enum(value: Any, kind: type[enum.Enum]) -> enum.Enum:
    for member in kind:
        if member.value == value:
            return member
    choices = ", ".join(repr(m.value) for m in kind)
    raise _MismatchError(f"must be one of {choices} (got {value!r})")


def _origin(annotation: Any) -> Any:
    """``frozenset`` for ``frozenset[str]``; the annotation itself when it is not generic."""
    return typing.get_origin(annotation) or annotation


def _names_or_callables(annotation: Any) -> bool:
    arguments = typing.get_args(annotation)
    return any(typing.get_origin(a) is collections.abc.Callable for a in arguments)


def _structure_name(value: Any, _type: Any) -> str:
    if not isinstance(value, str):
        raise _MismatchError(f"must be a name (got {value!r})")
    return value


def _list_hook(annotation: Any, conv: cattrs.Converter) -> Any:
    """The structure hook of a sequence or set type that accepts JSON lists only."""
    origin = _origin(annotation)
    arguments = typing.get_args(annotation)
    if origin is tuple and arguments and arguments[-1] is not Ellipsis:  # a fixed (a, b) pair

        def fixed(value: Any, _type: Any) -> tuple[Any, ...]:
            if not isinstance(value, list) or len(value) != len(arguments):
                raise _MismatchError(f"must be a list of {len(arguments)} items (got {value!r})")
            return tuple(conv.structure(v, a) for v, a in zip(value, arguments, strict=True))

        return fixed
    element = arguments[0] if arguments else Any
    as_list = cattrs.cols.list_structure_factory(list[element], conv)  # type: ignore[valid-type]

    def structure(value: Any, _type: Any) -> Any:
        if not isinstance(value, list):
            raise _MismatchError(f"must be a list (got {value!r})")
        return origin(as_list(value, list[element]))  # type: ignore[valid-type]

    return structure


def _make_converter() -> cattrs.Converter:
    conv = cattrs.Converter(forbid_extra_keys=True, detailed_validation=True)
    conv.register_unstructure_hook(datetime, datetime.isoformat)
    conv.register_structure_hook(datetime, _structure_time)
    conv.register_structure_hook(str, _strict(str, "a string"))
    conv.register_structure_hook(float, _strict(float, "a number"))
    conv.register_structure_hook(int, _strict(int, "a whole number"))
    conv.register_structure_hook(bool, _strict(bool, "true or false"))
    conv.register_structure_hook_func(
        lambda t: isinstance(t, type) and issubclass(t, enum.Enum), _structure_enum
    )
    # Sets are written sorted, so equal objects give equal documents.
    conv.register_unstructure_hook_func(lambda t: _origin(t) in (frozenset, set), sorted)
    conv.register_unstructure_hook_func(
        lambda t: _origin(t) is tuple, lambda t: [conv.unstructure(x) for x in t]
    )
    conv.register_unstructure_hook(FrozenMap, dict)
    conv.register_unstructure_hook(timedelta, timedelta.total_seconds)
    conv.register_structure_hook(timedelta, _structure_duration)
    conv.register_structure_hook(FrozenMap, _structure_frozenmap)

    # A model field that takes a name or a callable (Shapley's value function): names only.
    conv.register_structure_hook_func(_names_or_callables, _structure_name)
    # Lists only: cattrs would read a string as its characters ("pains": "cost" as c, o, s, t)
    # and an object as its keys.
    conv.register_structure_hook_factory(
        lambda t: _origin(t) in (tuple, frozenset, set, list), lambda t: _list_hook(t, conv)
    )

    # Records: its look-up index is derived state, never part of a document.
    fields = [f.name for f in attrs.fields(Records) if f.init]

    def unstructure_records(records: Records) -> dict[str, Any]:
        return {name: conv.unstructure(getattr(records, name)) for name in fields}

    conv.register_unstructure_hook(Records, unstructure_records)
    return conv


_CONVERTER: Final = _make_converter()


def unstructure(obj: Any, *, by: Dimensions | None = None) -> dict[str, Any]:
    """Turn a domain object, :class:`~journeykit.Records`, a model or a result into a document.

    Parameters
    ----------
    obj : Persona, ContentAsset, Account, Buyer, Touchpoint, Deal, StageChange, DealBuyer, \
Records, a model, Attribution or Comparison
        A registered attribution model spec is written as ``{"type": "model", "name",
        "params"}`` (durations in seconds). An :class:`~journeykit.Attribution` is written with
        each converting journey's touches and their credit (keyed by the journey's and the
        touch's own IDs), roll-ups, the model's name and parameters and the currency; a
        :class:`~journeykit.attribution.Comparison` as one such result per model.
    by : str, or sequence of str or tuple of str, optional
        The roll-ups a result document carries (default: ``channel``, and ``team`` when the
        journeys know it); one name is one roll-up. A tuple rolls up by several dimensions at
        once, e.g. ``("team", "channel")``; each row then names its labels in ``key``.

    Returns
    -------
    dict
        ``{"schema_version": 2, "type": ..., **fields}`` with only JSON types inside; the JSON
        Schema of each type is :func:`journeykit.io.schema`.

    Raises
    ------
    ParameterTypeError
        ``obj`` is none of those.
    ParameterError
        ``by`` was given for a document that is not a result.

    Examples
    --------
    >>> import journeykit as jk
    >>> unstructure(jk.Persona("cto", "CTO"))
    {'schema_version': 2, 'type': 'persona', 'id': 'cto', 'name': 'CTO', 'role': None, \
'industry': None, 'company_size': None, 'pains': []}
    >>> paths = jk.read_paths([{"path": "ad > call", "total_conversions": 1,
    ...                         "total_conversion_value": 100}])
    >>> document = unstructure(jk.attribute(paths, "linear"))
    >>> document["model"], document["params"], document["currency"]
    ('linear', {'per': 'touch', 'role_weights': []}, None)
    >>> document["by"]["channel"][0]
    {'label': 'ad', 'key': {'channel': 'ad'}, 'conversions': 0.5, 'value': 50.0, 'cents': 5000}
    >>> document["journeys"][0]["touches"][1]
    {'touch': None, 'position': 1, 'time': None, 'channel': 'call', 'team': None, 'share': 0.5, \
'conversions': 0.5, 'value': 50.0, 'cents': 5000}
    """
    if isinstance(obj, Attribution | Comparison):
        return result_document(obj, by=by)
    if by is not None:
        msg = f"by= applies to results (Attribution, Comparison), not to a {type(obj).__name__}"
        raise ParameterError(msg)
    kind = _KIND_OF.get(type(obj))
    if kind is None and _is_registered_model(obj):
        try:
            spec = _plain_spec(to_spec(obj))
        except ModelError as error:  # a parameter holds code: the message names it
            raise ParameterTypeError(str(error)) from None
        return {"schema_version": SCHEMA_VERSION, "type": "model", **spec}
    if kind is None:
        known = ", ".join([*(c.__name__ for c in _KIND_OF), "a model, Attribution, Comparison"])
        msg = f"cannot write a {type(obj).__name__}; expected one of {known}"
        raise ParameterTypeError(msg)
    body = cast("dict[str, Any]", _CONVERTER.unstructure(obj))
    return {"schema_version": SCHEMA_VERSION, "type": kind, **body}


def _model_spec(model: Any) -> dict[str, Any] | None:
    """``{"name", "params"}`` in JSON types, or ``None`` when a parameter holds code."""
    try:
        return _plain_spec(to_spec(model))
    except ModelError:
        return None


def _plain_spec(spec: dict[str, Any]) -> dict[str, Any]:
    params = {name: _CONVERTER.unstructure(value) for name, value in spec["params"].items()}
    return {"name": spec["name"], "params": params}


def result_document(
    result: Any,
    *,
    by: Dimensions | None = None,
    touches: bool = True,
) -> dict[str, Any]:
    """The document of an attribution result (see :func:`unstructure`).

    Parameters
    ----------
    result : Attribution, Comparison or the result of :func:`journeykit.attribute_file`
        The last keeps no per-touch credit: its document has roll-ups only, and ``by`` must
        name dimensions it rolled up by.
    by : str, or sequence of str or tuple of str, optional
        The roll-ups (default: ``channel``, and ``team`` when the journeys know it); one name is
        one roll-up.
    touches : bool
        Whether to write each converting journey's touches (``"journeys"``); roll-ups alone
        are much smaller for large data.

    Returns
    -------
    dict
        A document of type ``"attribution"`` (``"comparison"`` for a Comparison).
    """
    if isinstance(result, Comparison):
        bodies = [_result_body(r, by, touches=touches) for r in result.values()]
        currencies = {body["currency"] for body in bodies}
        return {
            "schema_version": SCHEMA_VERSION,
            "type": "comparison",
            "currency": currencies.pop() if len(currencies) == 1 else None,
            "results": bodies,
        }
    body = _result_body(result, by, touches=touches)
    return {"schema_version": SCHEMA_VERSION, "type": "attribution", **body}


def _result_body(result: Any, by: Dimensions | None, *, touches: bool) -> dict[str, Any]:
    spec = _model_spec(result.model) if _is_registered_model(result.model) else None
    journeys = getattr(result, "journeys", None)  # None: attribute_file's roll-ups only
    if by is None:
        columns = journeys.columns if journeys is not None else {}
        by = ["channel", *(["team"] if "team" in columns else [])]
    dimensions = [by] if isinstance(by, str) else by  # "team" is one dimension, not t, e, a, m
    keys = [key if isinstance(key, str) else tuple(key) for key in dimensions]
    if not keys:
        msg = "by= needs at least one dimension"
        raise ParameterError(msg)
    measures = ["conversions", "value", *(["cents"] if journeys is not None else [])]
    body: dict[str, Any] = {
        "model": spec["name"] if spec is not None else result.name,
        "params": spec["params"] if spec is not None else None,
        "currency": getattr(result, "currency", None),
        "total": _totals(result, keys[0]),
    }
    if journeys is not None:
        body["total"]["cents"] = int(result.to_cents().sum())
        body["unattributed"] = result.unattributed
    body["by"] = {label_text(key, sep=","): _rollup(result, key, measures) for key in keys}
    if journeys is not None and touches:
        body["journeys"] = _journey_credit(result)
    return body


def _totals(result: Any, key: str | tuple[str, ...]) -> dict[str, float]:
    """Credited conversions and value in all, without float noise (3.0000000000000004).

    Credit conserves the attributed journeys' own conversions and value up to rounding, so
    those exact totals are reported; a model whose credit does not conserve gets its credit's
    exact sum instead.
    """
    journeys = getattr(result, "journeys", None)
    if journeys is None:  # attribute_file's roll-ups only: any one of them covers all the credit
        return {m: math.fsum(result.by(key, measure=m).values()) for m in ("conversions", "value")}
    attributed = journeys.converting & (journeys.lengths > 0)
    totals = {}
    for measure, credit, owed in (
        ("conversions", result.credit, journeys.conversions[attributed]),
        ("value", result.value_credit, journeys.value[attributed]),
    ):
        credited, exact = math.fsum(credit.tolist()), math.fsum(owed.tolist())
        close = math.isclose(credited, exact, rel_tol=1e-9, abs_tol=1e-12)
        totals[measure] = exact if close else credited
    return totals


def _rollup(result: Any, key: str | tuple[str, ...], measures: list[str]) -> list[dict[str, Any]]:
    names = (key,) if isinstance(key, str) else key
    credit = {measure: result.by(key, measure=measure) for measure in measures}
    rows = []
    for label in credit["conversions"]:
        parts = label if isinstance(label, tuple) else (label,)
        row: dict[str, Any] = {
            "label": list(label) if isinstance(label, tuple) else label,
            "key": dict(zip(names, parts, strict=True)),
        }
        row.update((measure, credit[measure][label]) for measure in measures)
        rows.append(row)
    return rows


def _labels_of(column: Any, index: Any) -> list[str | None]:
    """Labels of the rows at ``index`` (``None`` where missing), coded in numpy, then listed."""
    labels = np.array([*column.labels, None], dtype=object)  # code -1 picks the last: None
    return cast("list[str | None]", labels[column.codes[index]].tolist())


def _journey_credit(result: Attribution) -> list[dict[str, Any]]:
    """Converting journeys with their touches' credit; IDs are the CRM's own."""
    journeys = result.journeys
    keep = journeys.converting & (journeys.lengths > 0)  # the rest are reported unattributed
    touches = np.flatnonzero(keep[journeys.journey_of_touch])
    columns = journeys.columns
    micros = journeys.time[touches]
    known = micros[micros != NAT]
    whole_seconds = bool(np.all(known % 1_000_000 == 0))  # no ".000000" on every time
    times = np.datetime_as_string(
        micros.astype("datetime64[us]"), unit="s" if whole_seconds else "us", timezone="UTC"
    )
    cents = result.to_cents()
    per_touch = {
        "touch": _labels_of(columns["touch"], touches) if "touch" in columns else None,
        "position": journeys.position[touches].tolist(),
        "time": [None if t == "NaT" else str(t) for t in times.tolist()],
        "channel": _labels_of(columns["channel"], touches),
        "team": _labels_of(columns["team"], touches) if "team" in columns else None,
        "share": result.shares[touches].tolist(),
        "conversions": result.credit[touches].tolist(),
        "value": result.value_credit[touches].tolist(),
        "cents": cents[touches].tolist(),
    }
    names = list(per_touch)
    cells = [[None] * touches.size if v is None else v for v in per_touch.values()]
    rows = [dict(zip(names, row, strict=True)) for row in zip(*cells, strict=True)]
    kept = np.flatnonzero(keep)
    journey_cents = np.bincount(
        journeys.journey_of_touch, weights=cents, minlength=journeys.n_journeys
    )
    ids = _labels_of(journeys.journey, kept)
    starts = np.concatenate([[0], np.cumsum(journeys.lengths[kept])]).tolist()
    return [
        {
            "id": ids[k],
            "conversions": float(journeys.conversions[j]),
            "value": float(journeys.value[j]),
            "cents": int(journey_cents[j]),
            "touches": rows[starts[k] : starts[k + 1]],
        }
        for k, j in enumerate(kept.tolist())
    ]


def structure(document: Mapping[str, Any], cls: type[T] | None = None) -> T:
    """Read a document written by :func:`unstructure` (or by hand) back into an object.

    Parameters
    ----------
    document : mapping
        The document; ``schema_version`` is required (older versions are migrated: a version 1
        deal is new business), ``type`` is required unless ``cls`` is given (and must agree with
        it when both are).
    cls : type, optional
        The expected type, e.g. :class:`~journeykit.Records`.

    Returns
    -------
    object
        The record, records or model; a result document (``"attribution"``,
        ``"comparison"``) comes back as a plain ``dict``, its version and keys checked (results
        exist since version 2): a result is written for other systems and not rebuilt, since
        the journeys it credits are not in it.

    Raises
    ------
    SchemaError
        Listing every problem with its path (``$.touchpoints[3].time``): unknown or missing keys,
        values of the wrong type, unsupported schema versions, and invalid records.
    IntegrityError
        The records are individually valid but do not fit together (dangling references, ...).
    """
    if not isinstance(document, Mapping):
        raise SchemaError(
            [
                Problem(
                    "", "", f"a document must be a JSON object (got {type(document).__name__})", "$"
                )
            ]
        )
    document = _migrate(document)
    kind = document.get("type")
    if kind == "model" and cls is None:
        return cast("T", _structure_model(document))
    if cls is not None and cls in _RESULTS.values():
        msg = (
            f"a {cls.__name__} is not rebuilt from a document (its journeys are not in it); "
            "read the document without cls= to get it as a dict"
        )
        raise ParameterTypeError(msg)
    if kind in _RESULTS and cls is None:
        wrong = _result_key_problems(document, kind)
        if wrong:
            raise SchemaError(wrong)
        return cast("T", dict(document))
    target: type[Any]
    if cls is None:
        if kind not in _KINDS:
            choices = ", ".join(repr(k) for k in [*_KINDS, "model", *_RESULTS])
            raise SchemaError(
                [Problem("", "type", f"must be one of {choices} (got {kind!r})", "$.type")]
            )
        target = _KINDS[kind]
    else:
        target = cls
        if cls not in _KIND_OF:
            msg = f"cannot read a {cls.__name__}"
            raise ParameterTypeError(msg)
        if kind is not None and kind != _KIND_OF[cls]:
            message = f"is {kind!r} but a {_KIND_OF[cls]!r} was expected"
            raise SchemaError([Problem("", "type", message, "$.type")])
    body = {k: v for k, v in document.items() if k not in _META}
    try:
        return cast("T", _CONVERTER.structure(body, target))
    except (ClassValidationError, IterableValidationError, ValidationError) as exc:
        # cattrs wraps what Records.__init__ raises; records that do not fit together are an
        # IntegrityError named by record, not a problem of the document's shape.
        inner = exc.exceptions if isinstance(exc, ClassValidationError) else ()
        if len(inner) == 1 and isinstance(inner[0], IntegrityError):
            raise inner[0] from None
        problems: list[Problem] = []
        _collect(exc, "$", problems)
        raise SchemaError(problems) from None


def _migrate(document: Mapping[str, Any]) -> Mapping[str, Any]:
    """The document in the current format, or a SchemaError for a version this cannot read."""
    version = document.get("schema_version")
    if type(version) is int and version == SCHEMA_VERSION:  # true == 1 in Python, not here
        return document
    if type(version) is not int or version != 1:
        message = f"must be {SCHEMA_VERSION} or the earlier 1 (got {version!r})"
        raise SchemaError([Problem("", "schema_version", message, "$.schema_version")])
    kind = document.get("type")
    if kind in _RESULTS:  # migrating would relabel a document no journeykit ever wrote
        message = (
            f"is 1, which had no {kind} documents (results were added in version {_RESULTS_SINCE})"
        )
        raise SchemaError([Problem("", "schema_version", message, "$.schema_version")])
    # Version 1 knew no deal kinds: its deals are new business, and a key that only version 2
    # defines is an unknown key there, as it was when version 1 was current.
    problems: list[Problem] = []
    deals: list[tuple[str, Any]] = []
    if kind == "deal":
        deals = [("$", document)]
    elif kind == "records" and isinstance(document.get("deals"), list):
        deals = [(f"$.deals[{i}]", d) for i, d in enumerate(document["deals"])]
    for path, deal in deals:
        if isinstance(deal, Mapping) and "kind" in deal:
            problems.append(
                Problem("", "kind", "is not a known key in schema version 1", f"{path}.kind")
            )
    if problems:
        raise SchemaError(problems)
    return {**document, "schema_version": SCHEMA_VERSION}


def _result_key_problems(document: Mapping[str, Any], kind: str) -> list[Problem]:
    """Missing and unknown keys of a result document, and of each result of a comparison.

    A result is read back as a dict, not rebuilt, but its keys are held to the published
    schema as every other document's are.
    """
    if kind == "attribution":
        return _key_problems(document, _RESULT_KEYS, "$", meta=True)
    problems = _key_problems(document, _COMPARISON_KEYS, "$", meta=True)
    results = document.get("results")
    if "results" in document and not isinstance(results, list):
        problems.append(Problem("", "results", f"must be a list (got {results!r})", "$.results"))
    for i, result in enumerate(results if isinstance(results, list) else []):
        path = f"$.results[{i}]"
        if isinstance(result, Mapping):
            problems += _key_problems(result, _RESULT_KEYS, path, meta=False)
        else:
            problems.append(Problem("", "", f"must be an object (got {result!r})", path))
    return problems


def _key_problems(
    document: Mapping[str, Any],
    keys: tuple[tuple[str, ...], tuple[str, ...]],
    path: str,
    *,
    meta: bool,
) -> list[Problem]:
    required, optional = keys
    known = {*required, *optional, *(_META if meta else ())}
    missing = [Problem("", k, "is required", f"{path}.{k}") for k in required if k not in document]
    unknown = [
        Problem("", str(k), "is not a known key", f"{path}.{k}")
        for k in sorted(map(str, document))
        if k not in known
    ]
    return missing + unknown


def _is_registered_model(obj: Any) -> bool:
    return attrs.has(type(obj)) and name_of(obj) in available()


def _structure_model(document: Mapping[str, Any]) -> Any:
    extra = sorted(set(document) - {"schema_version", "type", "name", "params"})
    if extra:
        raise SchemaError([Problem("", key, "is not a known key", f"$.{key}") for key in extra])
    name = document.get("name")
    if not isinstance(name, str) or name not in available():
        raise SchemaError(
            [Problem("", "name", f"must name a registered model (got {name!r})", "$.name")]
        )
    params = document.get("params", {})
    if not isinstance(params, Mapping):
        raise SchemaError([Problem("", "params", "must be an object", "$.params")])
    cls = model_class(name)
    try:
        return _CONVERTER.structure(dict(params), cls)
    except (ClassValidationError, IterableValidationError) as exc:
        problems: list[Problem] = []
        _collect(exc, "$.params", problems)
        raise SchemaError(problems) from None


def dumps(obj: Any, *, indent: int | None = None, by: Dimensions | None = None) -> str:
    """Write a record, :class:`~journeykit.Records`, a model or a result as a JSON string.

    See :func:`unstructure` for what each document holds and what ``by`` does.

    Examples
    --------
    >>> import json
    >>> import journeykit as jk
    >>> paths = jk.read_paths([{"path": "ad > call", "total_conversions": 2}])
    >>> text = dumps(jk.attribute(paths, "first_touch"), by=[("channel", "position")])
    >>> json.loads(text)["by"]["channel,position"][0]["key"]
    {'channel': 'ad', 'position': '0'}
    >>> loads(text)["type"]
    'attribution'
    """
    return json.dumps(unstructure(obj, by=by), indent=indent, allow_nan=False, ensure_ascii=False)


def loads(text: str | bytes, cls: type[T] | None = None) -> T:
    """Read a JSON document string (see :func:`structure`)."""
    if isinstance(text, bytes | bytearray):
        try:
            text = bytes(text).decode("utf-8")  # JSON is UTF-8 (RFC 8259); no guessing
        except UnicodeDecodeError as exc:
            message = f"is not UTF-8 text (bad byte at offset {exc.start})"
            raise SchemaError([Problem("", "", message, "$")]) from None
    try:
        document = json.loads(text, object_pairs_hook=_unique_keys)
    except _DuplicateKeyError as exc:
        raise SchemaError([Problem("", "", str(exc), "$")]) from None
    except RecursionError:
        message = "is nested too deeply to read (objects and lists inside each other)"
        raise SchemaError([Problem("", "", message, "$")]) from None
    except json.JSONDecodeError as exc:
        raise SchemaError(
            [
                Problem(
                    "",
                    "",
                    f"is not valid JSON ({exc.msg}, line {exc.lineno} column {exc.colno})",
                    "$",
                )
            ]
        ) from None
    return structure(document, cls)


class _DuplicateKeyError(ValueError):
    """A JSON object names a key twice (the plain reader would keep the last silently)."""


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    document = dict(pairs)
    if len(document) != len(pairs):
        seen: set[str] = set()
        twice = next(key for key, _ in pairs if key in seen or seen.add(key))  # type: ignore[func-returns-value]
        msg = f"an object names the key {twice!r} twice"
        raise _DuplicateKeyError(msg)
    return document


def _collect(exc: BaseException, path: str, out: list[Problem]) -> None:
    """Flatten cattrs' exception groups into problems with JSON paths."""
    if isinstance(exc, IntegrityError):
        out.extend(exc.problems)
    elif isinstance(exc, ValidationError):
        out.extend(
            attrs.evolve(p, path=f"{path}.{p.field}" if p.field else path) for p in exc.problems
        )
    elif isinstance(exc, ForbiddenExtraKeysError):
        out.extend(
            Problem("", key, "is not a known key", f"{path}.{key}")
            for key in sorted(exc.extra_fields)
        )
    elif isinstance(exc, ClassValidationError | IterableValidationError):
        with_notes, without = exc.group_exceptions()
        for sub, note in with_notes:
            name = getattr(note, "name", None)
            step = f".{name}" if name is not None else f"[{getattr(note, 'index', '?')}]"
            if isinstance(sub, KeyError) and name is not None:
                out.append(Problem("", str(name), "is required", f"{path}{step}"))
            else:
                _collect(sub, f"{path}{step}", out)
        for sub in without:
            _collect(sub, path, out)
    elif isinstance(exc, _MismatchError):
        key = path.rsplit(".", 1)[-1] if "." in path else ""
        out.append(Problem("", key, str(exc), path))
    else:
        out.append(Problem("", "", f"is invalid ({type(exc).__name__}: {exc})", path))
