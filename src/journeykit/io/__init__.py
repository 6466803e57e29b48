"""Input and output: the JSON boundary for CRMs (more readers arrive with the columnar engine)."""

from journeykit.io.serde import SCHEMA_VERSION, dumps, loads, structure, unstructure

__all__ = ["SCHEMA_VERSION", "dumps", "loads", "structure", "unstructure"]
