"""Input and output: events and path tables in, the JSON boundary for CRMs."""

from journeykit.io.files import file_format, read_journeys
from journeykit.io.frames import from_events
from journeykit.io.paths import read_paths
from journeykit.io.serde import SCHEMA_VERSION, dumps, loads, structure, unstructure

__all__ = [
    "SCHEMA_VERSION",
    "dumps",
    "file_format",
    "from_events",
    "loads",
    "read_journeys",
    "read_paths",
    "structure",
    "unstructure",
]
