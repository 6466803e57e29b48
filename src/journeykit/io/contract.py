"""The published JSON Schemas (draft 2020-12) of every document journeykit reads or writes.

The schemas ship inside the package as ``journeykit/io/schemas/<kind>.schema.json``; they are
built from the record classes and the built-in models, and the tests prove the files agree with
the classes and accept every document journeykit writes. journeykit does not need a JSON Schema
validator itself (reading a document checks it more strictly, references included); the schemas
are for the systems that write documents for journeykit or read its results.

Examples
--------
>>> from journeykit.io import schema
>>> touchpoint = schema("touchpoint")
>>> touchpoint["$schema"]
'https://json-schema.org/draft/2020-12/schema'
>>> touchpoint["required"]
['schema_version', 'type', 'id', 'buyer', 'time', 'channel', 'reach']
>>> touchpoint["properties"]["reach"]
{'enum': ['one_to_many', 'one_to_one']}
>>> schema("attribution")["properties"]["type"]
{'const': 'attribution'}
"""

from __future__ import annotations

import functools
import json
from importlib import resources
from typing import Any, Final

from journeykit.errors import ParameterError

__all__ = ["SCHEMA_KINDS", "schema"]

SCHEMA_KINDS: Final = (
    "persona",
    "content_asset",
    "account",
    "buyer",
    "touchpoint",
    "deal",
    "stage_change",
    "deal_buyer",
    "records",
    "model",
    "attribution",
    "comparison",
)
"""Every document ``type`` with a published schema."""


@functools.cache
def _text(kind: str) -> str:
    return (
        resources.files("journeykit.io")
        .joinpath("schemas", f"{kind}.schema.json")
        .read_text(encoding="utf-8")
    )


def schema(kind: str) -> dict[str, Any]:
    """The JSON Schema of one document type, as a new dict (yours to change).

    Parameters
    ----------
    kind : str
        A document ``type``: one of :data:`SCHEMA_KINDS` (``"records"``, ``"touchpoint"``,
        ``"model"``, ``"attribution"``, ...).

    Returns
    -------
    dict
        The schema (draft 2020-12), self-contained: its ``$defs`` hold every nested record.

    Raises
    ------
    ParameterError
        ``kind`` is not a document type.
    """
    if kind not in SCHEMA_KINDS:
        known = ", ".join(SCHEMA_KINDS)
        msg = f"kind must be a document type, one of {known} (got {kind!r})"
        raise ParameterError(msg)
    loaded: dict[str, Any] = json.loads(_text(kind))
    return loaded
