"""Attribution: models, the ``Attribution`` result, and ``attribute``/``compare``.

Names load on first use (see :mod:`journeykit._lazy`), the model modules too: the registry
imports a built-in model's module when its name is first asked for.
"""

from typing import TYPE_CHECKING

from journeykit import _lazy

if TYPE_CHECKING:
    from journeykit.attribution import games, hazard, markov, rules, shapley
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
    "games",
    "hazard",
    "markov",
    "rules",
    "shapley",
]

# The one table of lazy names (see journeykit/__init__.py).
_LAZY = {
    "Attribution": "journeykit.attribution.result",
    "Comparison": "journeykit.attribution._api",
    "Credit": "journeykit.attribution.result",
    "Fitted": "journeykit.attribution._protocol",
    "Model": "journeykit.attribution._protocol",
    "Tags": "journeykit.attribution._protocol",
    "attribute": "journeykit.attribution._api",
    "compare": "journeykit.attribution._api",
    "games": "journeykit.attribution.games",
    "hazard": "journeykit.attribution.hazard",
    "markov": "journeykit.attribution.markov",
    "rules": "journeykit.attribution.rules",
    "shapley": "journeykit.attribution.shapley",
}

if not TYPE_CHECKING:  # hidden from mypy, which would otherwise accept any typo as Any
    __getattr__, __dir__ = _lazy.attach(__name__, _LAZY)
