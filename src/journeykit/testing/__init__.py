"""Tools for testing code built on journeykit: hypothesis strategies and the model conformance kit.

:mod:`journeykit.testing.strategies` draws every domain type and whole ``Records``;
:mod:`journeykit.testing.checks` runs the axioms every attribution model must satisfy.

Importing :mod:`journeykit` never imports this package, so hypothesis stays a test-time dependency.
"""

__all__: list[str] = []
