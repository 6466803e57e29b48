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
from journeykit.datasets.lifecycle import (
    DEFAULT_LIFECYCLE_CHANNELS,
    LifecycleChannel,
    LifecycleSimulation,
    lifecycle_example,
    simulate_lifecycle,
)
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
    "DEFAULT_LIFECYCLE_CHANNELS",
    "DEFAULT_MODELS",
    "SETTINGS",
    "AccuracyReport",
    "ChannelSpec",
    "Effect",
    "GroundTruth",
    "LifecycleChannel",
    "LifecycleSimulation",
    "Score",
    "Simulation",
    "accuracy_report",
    "example_records",
    "lifecycle_example",
    "load_demo",
    "rescale",
    "score",
    "simulate",
    "simulate_lifecycle",
]
