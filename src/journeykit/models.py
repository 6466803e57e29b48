"""The model registry: ``jk.models.get(name)``, ``available()``, ``register(name)``.

Examples
--------
>>> import journeykit as jk
>>> "linear" in jk.models.available()
True
"""

from journeykit.attribution._registry import available, get, name_of, register
from journeykit.attribution.rules import (
    CustomPositions,
    FirstTouch,
    FullPath,
    InverseJ,
    JShaped,
    LastNonDirect,
    LastTouch,
    Linear,
    PositionBased,
    TimeDecay,
    WShaped,
)

__all__ = [
    "CustomPositions",
    "FirstTouch",
    "FullPath",
    "InverseJ",
    "JShaped",
    "LastNonDirect",
    "LastTouch",
    "Linear",
    "PositionBased",
    "TimeDecay",
    "WShaped",
    "available",
    "get",
    "name_of",
    "register",
]
