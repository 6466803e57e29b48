"""Example data: a tiny hand-written world, two simulators with known truth, a bundled demo."""

from journeykit.datasets.accuracy import (
    DEFAULT_MODELS,
    SETTINGS,
    AccuracyReport,
    Score,
    World,
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
from journeykit.datasets.worlds import (
    CONTINUOUS_CHANNELS,
    CONTINUOUS_SETTINGS,
    ContinuousChannel,
    ContinuousSimulation,
    ContinuousWorld,
    random_world,
    simulate_continuous,
)

__all__ = [
    "CONTINUOUS_CHANNELS",
    "CONTINUOUS_SETTINGS",
    "DEFAULT_CHANNELS",
    "DEFAULT_LIFECYCLE_CHANNELS",
    "DEFAULT_MODELS",
    "SETTINGS",
    "AccuracyReport",
    "ChannelSpec",
    "ContinuousChannel",
    "ContinuousSimulation",
    "ContinuousWorld",
    "Effect",
    "GroundTruth",
    "LifecycleChannel",
    "LifecycleSimulation",
    "Score",
    "Simulation",
    "World",
    "accuracy_report",
    "example_records",
    "lifecycle_example",
    "load_demo",
    "random_world",
    "rescale",
    "score",
    "simulate",
    "simulate_continuous",
    "simulate_lifecycle",
]
