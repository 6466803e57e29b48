"""Marketing and sales analytics: the split, the handoff, the funnel, diagnosis, influence, metrics.

Each analytic returns a typed result with ``to_frame()`` and a readable repr.
"""

from journeykit.analytics.calendar import ContentCalendar, content_calendar
from journeykit.analytics.diagnosis import Diagnosis, Finding, diagnose, wilson
from journeykit.analytics.effort import DuplicatedEffort, duplicated_effort
from journeykit.analytics.funnel import (
    STAGES,
    Funnel,
    FunnelGroup,
    StageFunnel,
    deal_stages,
    funnel,
    sales_velocity,
)
from journeykit.analytics.handoff import Handoff, handoff
from journeykit.analytics.influenced import Influence, influence
from journeykit.analytics.lifecycle import (
    AccountLifetime,
    LifecycleSplit,
    Retention,
    account_lifetime,
    lifecycle_split,
    retention,
)
from journeykit.analytics.metrics import Metrics, metrics, return_on_spend
from journeykit.analytics.split import Split, split
from journeykit.analytics.uncertainty import BootstrapResult, Interval, bootstrap

__all__ = [
    "STAGES",
    "AccountLifetime",
    "BootstrapResult",
    "ContentCalendar",
    "Diagnosis",
    "DuplicatedEffort",
    "Finding",
    "Funnel",
    "FunnelGroup",
    "Handoff",
    "Influence",
    "Interval",
    "LifecycleSplit",
    "Metrics",
    "Retention",
    "Split",
    "StageFunnel",
    "account_lifetime",
    "bootstrap",
    "content_calendar",
    "deal_stages",
    "diagnose",
    "duplicated_effort",
    "funnel",
    "handoff",
    "influence",
    "lifecycle_split",
    "metrics",
    "retention",
    "return_on_spend",
    "sales_velocity",
    "split",
    "wilson",
]
