"""Figures of experiment results (matplotlib, imported only when one is drawn)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from matplotlib.axes import Axes

    from journeykit.experiments._analysis import Analysis

__all__ = ["lifts"]


def lifts(analysis: Analysis, *, ax: Axes | None = None) -> Axes:
    """Each treated arm's incremental value: a point with its 95% interval, zero marked.

    Examples
    --------
    >>> import numpy as np
    >>> from journeykit.experiments import analyze
    >>> arm = np.repeat(["holdout", "treatment"], [100, 900])
    >>> value = np.where(np.arange(1000) % 7 == 0, 100.0, 0.0)
    >>> ax = analyze({"arm": arm, "converted": value > 0, "value": value}).plot()
    >>> [t.get_text() for t in ax.get_yticklabels()]
    ['treatment']
    """
    if ax is None:
        try:
            import matplotlib.pyplot as plt  # noqa: PLC0415  # optional and heavy
        except ImportError:  # pragma: no cover - depends on the environment
            msg = 'plotting needs matplotlib: pip install "journeykit[plot]"'
            raise ImportError(msg) from None
        _, ax = plt.subplots(figsize=(7.0, 1.2 + 0.5 * len(analysis)), layout="constrained")
    names = list(analysis)
    est: list[Any] = [analysis[a].incremental_value for a in names]
    y = list(range(len(names)))
    centre = [e.estimate for e in est]
    err = [[e.estimate - e.low for e in est], [e.high - e.estimate for e in est]]
    ax.errorbar(centre, y, xerr=err, fmt="o", capsize=4, color="#4C72B0")
    ax.axvline(0.0, color="grey", linewidth=0.8)
    ax.set_yticks(y, names)
    ax.set_xlabel(f"incremental value vs {analysis.control!r} (95% interval)")
    return ax
