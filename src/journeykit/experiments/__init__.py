"""Hold-out experiments: what a channel causes, and attribution calibrated by it.

Attribution splits credit; only an experiment measures cause. This package makes a hold-out
practical for a marketing or sales team:

- **design**: :func:`assign` puts units (accounts, buyers) in arms by a salted hash of their IDs,
  stable under reordering and new units, optionally balanced within strata; :func:`power` and
  :func:`sample_size` say beforehand what the test can detect;
- **analysis**: :func:`analyze` reads one row per unit (:func:`unit_table` builds it from records
  or journeys) and gives per treated arm a :class:`Lift` with 95% intervals, p-values, the
  incremental conversions and value, an optional CUPED adjustment and the sample-ratio check;
- **calibration**: :func:`calibrate` moves the tested channels' credit to what was measured,
  weighted against the model's credit by precision (:func:`combine`), and reports the baseline.
"""

from journeykit.experiments._analysis import (
    BOOTSTRAP_UNITS,
    Analysis,
    Estimate,
    Lift,
    SampleRatio,
    analyze,
)
from journeykit.experiments._calibration import Calibration, calibrate, combine
from journeykit.experiments._design import Assignment, Power, assign, power, sample_size
from journeykit.experiments._units import unit_table

__all__ = [
    "BOOTSTRAP_UNITS",
    "Analysis",
    "Assignment",
    "Calibration",
    "Estimate",
    "Lift",
    "Power",
    "SampleRatio",
    "analyze",
    "assign",
    "calibrate",
    "combine",
    "power",
    "sample_size",
    "unit_table",
]
