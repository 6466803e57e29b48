"""Marketing and sales analytics on journeys: the handoff, funnel figures, uncertainty."""

from journeykit.analytics.funnel import sales_velocity
from journeykit.analytics.handoff import Handoff, handoff
from journeykit.analytics.uncertainty import Interval, bootstrap

__all__ = ["Handoff", "Interval", "bootstrap", "handoff", "sales_velocity"]
