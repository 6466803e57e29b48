"""Attribution: models, the ``Attribution`` result, and ``attribute``/``compare``."""

from journeykit.attribution import hazard, markov, rules, shapley
from journeykit.attribution._api import Comparison, attribute, compare
from journeykit.attribution._protocol import Fitted, Model, Tags
from journeykit.attribution.result import Attribution, Credit

__all__ = [
    "Attribution",
    "Comparison",
    "Credit",
    "Fitted",
    "Model",
    "Tags",
    "attribute",
    "compare",
    "hazard",
    "markov",
    "rules",
    "shapley",
]
