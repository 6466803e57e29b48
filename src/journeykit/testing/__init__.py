"""Tools for testing code built on journeykit: hypothesis strategies and (soon) model checks.

Importing :mod:`journeykit` never imports this package, so hypothesis stays a test-time dependency.
"""

__all__: list[str] = []
