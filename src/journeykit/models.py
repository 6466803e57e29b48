"""The model registry: ``jk.models.get(name)``, ``available()``, ``register(name)``, specs.

Examples
--------
>>> import journeykit as jk
>>> "linear" in jk.models.available()
True
"""

from journeykit.attribution._protocol import Fitted, Mergeable, Model, Tags, ValueFitted
from journeykit.attribution._registry import (
    RESERVED,
    available,
    from_spec,
    get,
    model_class,
    name_of,
    register,
    scoped,
    to_spec,
    unregister,
)
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
    "RESERVED",
    "CustomPositions",
    "FirstTouch",
    "Fitted",
    "FullPath",
    "InverseJ",
    "JShaped",
    "LastNonDirect",
    "LastTouch",
    "Linear",
    "Mergeable",
    "Model",
    "PositionBased",
    "Tags",
    "TimeDecay",
    "ValueFitted",
    "WShaped",
    "available",
    "from_spec",
    "get",
    "model_class",
    "name_of",
    "register",
    "scoped",
    "to_spec",
    "unregister",
]
