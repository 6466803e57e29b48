"""Attribution: models, the ``Attribution`` result, and ``attribute``/``compare``.

Names load on first use (see :mod:`journeykit._lazy`); the built-in model modules load with the
package because importing them is what registers ``"linear"``, ``"markov"``, ... by name.
"""

from typing import TYPE_CHECKING

from journeykit._lazy import attach
from journeykit.attribution import markov, rules, shapley  # registers the built-in models

if TYPE_CHECKING:
    from journeykit.attribution import games
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
    "markov",
    "rules",
    "shapley",
]

# The one table of lazy names (see journeykit/__init__.py); markov, rules and shapley are above.
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
}

if not TYPE_CHECKING:  # hidden from mypy, which would otherwise accept any typo as Any
    __getattr__, __dir__ = attach(__name__, _LAZY)
