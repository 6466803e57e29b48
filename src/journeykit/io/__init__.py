"""Input and output: events and path tables in, the JSON boundary for CRMs.

Names load on first use (see :mod:`journeykit._lazy`), so reading paths never imports cattrs.
"""

from typing import TYPE_CHECKING

from journeykit import _lazy

if TYPE_CHECKING:
    from journeykit.io.contract import SCHEMA_KINDS, schema
    from journeykit.io.files import file_format, read_journeys
    from journeykit.io.frames import from_events
    from journeykit.io.paths import read_paths
    from journeykit.io.serde import SCHEMA_VERSION, dumps, loads, structure, unstructure

__all__ = [
    "SCHEMA_KINDS",
    "SCHEMA_VERSION",
    "dumps",
    "file_format",
    "from_events",
    "loads",
    "read_journeys",
    "read_paths",
    "schema",
    "structure",
    "unstructure",
]

# The one table of lazy names (see journeykit/__init__.py).
_LAZY = {
    "SCHEMA_KINDS": "journeykit.io.contract",
    "SCHEMA_VERSION": "journeykit.io.serde",
    "dumps": "journeykit.io.serde",
    "file_format": "journeykit.io.files",
    "from_events": "journeykit.io.frames",
    "loads": "journeykit.io.serde",
    "read_journeys": "journeykit.io.files",
    "read_paths": "journeykit.io.paths",
    "schema": "journeykit.io.contract",
    "structure": "journeykit.io.serde",
    "unstructure": "journeykit.io.serde",
}

if not TYPE_CHECKING:  # hidden from mypy, which would otherwise accept any typo as Any
    __getattr__, __dir__ = _lazy.attach(__name__, _LAZY)
