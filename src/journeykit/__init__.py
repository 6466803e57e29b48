"""journeykit: typed buyer journeys and exact marketing + sales attribution.

Marketing talks to many buyers at once, sales to one at a time; both touch the same buyers on the
way to a deal. journeykit models that world with typed, validated records and tells which touches
won the deals.

Every public name is imported on first use (``jk.attribute``, ``from journeykit import Records``),
so ``import journeykit`` stays cheap: networkx, scipy, cattrs and narwhals load only when a feature
that needs them runs.
"""

from typing import TYPE_CHECKING

from journeykit import _lazy
from journeykit._version import __version__

if TYPE_CHECKING:
    from journeykit import analytics, datasets, experiments, io, models, plot
    from journeykit.assembly import assemble
    from journeykit.attribution import Attribution, Comparison, Credit, Tags, attribute, compare
    from journeykit.attribution.games import shapley_values
    from journeykit.buyers import Account, Buyer
    from journeykit.content import AssetKind, ContentAsset, FunnelStage
    from journeykit.deals import Deal, DealBuyer, DealKind, Outcome, StageChange
    from journeykit.errors import (
        IntegrityError,
        JourneykitError,
        MissingDependencyError,
        ModelError,
        NotFoundError,
        OutOfRangeError,
        ParameterError,
        ParameterTypeError,
        RecordNotFoundError,
        SchemaError,
        UnknownModelError,
        ValidationError,
    )
    from journeykit.graph import buyer_journey, deal_journey, journey_graph, transition_graph
    from journeykit.io import from_events, read_paths
    from journeykit.journeys import Column, Journeys
    from journeykit.milestones import Milestone
    from journeykit.personas import Persona
    from journeykit.records import Records
    from journeykit.streaming import attribute_file
    from journeykit.touchpoints import Reach, Team, Touchpoint

__all__ = [
    "Account",
    "AssetKind",
    "Attribution",
    "Buyer",
    "Column",
    "Comparison",
    "ContentAsset",
    "Credit",
    "Deal",
    "DealBuyer",
    "DealKind",
    "FunnelStage",
    "IntegrityError",
    "JourneykitError",
    "Journeys",
    "Milestone",
    "MissingDependencyError",
    "ModelError",
    "NotFoundError",
    "OutOfRangeError",
    "Outcome",
    "ParameterError",
    "ParameterTypeError",
    "Persona",
    "Reach",
    "RecordNotFoundError",
    "Records",
    "SchemaError",
    "StageChange",
    "Tags",
    "Team",
    "Touchpoint",
    "UnknownModelError",
    "ValidationError",
    "__version__",
    "analytics",
    "assemble",
    "attribute",
    "attribute_file",
    "buyer_journey",
    "compare",
    "datasets",
    "deal_journey",
    "experiments",
    "from_events",
    "io",
    "journey_graph",
    "models",
    "plot",
    "read_paths",
    "shapley_values",
    "transition_graph",
]

# The one table of lazy names: public name -> the module that defines it (a submodule of this
# package under its own name is the submodule itself). Keep it in step with the imports above.
_LAZY = {
    "Account": "journeykit.buyers",
    "AssetKind": "journeykit.content",
    "Attribution": "journeykit.attribution",
    "Buyer": "journeykit.buyers",
    "Column": "journeykit.journeys",
    "Comparison": "journeykit.attribution",
    "ContentAsset": "journeykit.content",
    "Credit": "journeykit.attribution",
    "Deal": "journeykit.deals",
    "DealBuyer": "journeykit.deals",
    "DealKind": "journeykit.deals",
    "FunnelStage": "journeykit.content",
    "IntegrityError": "journeykit.errors",
    "JourneykitError": "journeykit.errors",
    "Journeys": "journeykit.journeys",
    "Milestone": "journeykit.milestones",
    "ModelError": "journeykit.errors",
    "Outcome": "journeykit.deals",
    "Persona": "journeykit.personas",
    "Reach": "journeykit.touchpoints",
    "RecordNotFoundError": "journeykit.errors",
    "Records": "journeykit.records",
    "SchemaError": "journeykit.errors",
    "StageChange": "journeykit.deals",
    "Tags": "journeykit.attribution",
    "Team": "journeykit.touchpoints",
    "Touchpoint": "journeykit.touchpoints",
    "UnknownModelError": "journeykit.errors",
    "ValidationError": "journeykit.errors",
    "analytics": "journeykit.analytics",
    "assemble": "journeykit.assembly",
    "attribute": "journeykit.attribution",
    "attribute_file": "journeykit.streaming",
    "buyer_journey": "journeykit.graph",
    "compare": "journeykit.attribution",
    "datasets": "journeykit.datasets",
    "deal_journey": "journeykit.graph",
    "from_events": "journeykit.io",
    "journey_graph": "journeykit.graph",
    "models": "journeykit.models",
    "plot": "journeykit.plot",
    "read_paths": "journeykit.io",
    "shapley_values": "journeykit.attribution.games",
    "transition_graph": "journeykit.graph",
    "MissingDependencyError": "journeykit.errors",
    "NotFoundError": "journeykit.errors",
    "OutOfRangeError": "journeykit.errors",
    "ParameterError": "journeykit.errors",
    "ParameterTypeError": "journeykit.errors",
    "experiments": "journeykit.experiments",
    "io": "journeykit.io",
}

if not TYPE_CHECKING:  # hidden from mypy, which would otherwise accept any jk.<typo> as Any
    __getattr__, __dir__ = _lazy.attach(__name__, _LAZY)
