"""Bundled example data."""

from journeykit.datasets.example import example_records

__all__ = ["example_records"]
