"""Example data: a tiny hand-written world, a simulator with known ground truth, a bundled demo."""

from journeykit.datasets.accuracy import (
    DEFAULT_MODELS,
    SETTINGS,
    AccuracyReport,
    Score,
    accuracy_report,
    rescale,
    score,
)
from journeykit.datasets.demo import load_demo
from journeykit.datasets.example import example_records
from journeykit.datasets.simulation import (
    DEFAULT_CHANNELS,
    ChannelSpec,
    Effect,
    GroundTruth,
    Simulation,
    simulate,
)

__all__ = [
    "DEFAULT_CHANNELS",
    "DEFAULT_MODELS",
    "SETTINGS",
    "AccuracyReport",
    "ChannelSpec",
    "Effect",
    "GroundTruth",
    "Score",
    "Simulation",
    "accuracy_report",
    "example_records",
    "load_demo",
    "rescale",
    "score",
    "simulate",
]
