"""journeykit: typed buyer journeys and exact marketing + sales attribution.

Marketing talks to many buyers at once, sales to one at a time; both touch the same buyers on the
way to a deal. journeykit models that world with typed, validated records and tells which touches
won the deals.
"""

from journeykit import analytics, datasets, models, plot
from journeykit._version import __version__
from journeykit.assembly import assemble
from journeykit.attribution import Attribution, Comparison, Credit, Tags, attribute, compare
from journeykit.attribution._games import shapley_values
from journeykit.buyers import Account, Buyer
from journeykit.content import AssetKind, ContentAsset, FunnelStage
from journeykit.deals import Deal, DealBuyer, Outcome, StageChange
from journeykit.errors import (
    IntegrityError,
    JourneykitError,
    ModelError,
    RecordNotFoundError,
    SchemaError,
    UnknownModelError,
    ValidationError,
)
from journeykit.graph import (
    buyer_journey,
    deal_journey,
    journey_graph,
    transition_graph,
)
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
    "FunnelStage",
    "IntegrityError",
    "JourneykitError",
    "Journeys",
    "Milestone",
    "ModelError",
    "Outcome",
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
    "from_events",
    "journey_graph",
    "models",
    "plot",
    "read_paths",
    "shapley_values",
    "transition_graph",
]
