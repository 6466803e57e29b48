"""Marketing versus sales: credit by team and reach, and content influence following the asset."""

from __future__ import annotations

from typing import Any

import attrs
import numpy as np

from journeykit._display import draw
from journeykit._frames import Backend, to_frame
from journeykit._money import amount_text
from journeykit.attribution.result import Attribution, Measure
from journeykit.errors import Problem, SchemaError

__all__ = ["Split", "split"]


@attrs.frozen
class Split:
    """Two views of the same credit, each adding up to the attributed total.

    Attributes
    ----------
    by_team : dict
        Credit by the team that made the touch: a rep who sends a whitepaper earns it for sales.
    by_reach : dict
        Credit by reach: one-to-many (broadcast) and one-to-one (personal).
    content : dict
        Content influence: a touch that used an asset counts for marketing (who made the asset),
        whoever sent it; a touch without an asset counts for its own team. ``sales_sent_content``
        is the part of marketing's content credit that sales delivered one-to-one.
    """

    measure: str
    total: float
    by_team: dict[str, float]
    by_reach: dict[str, float]
    content: dict[str, float]
    sales_sent_content: float

    def to_frame(self, backend: Backend = "pandas") -> Any:
        """One row per (view, label)."""
        rows = [("team", k, v) for k, v in self.by_team.items()]
        rows += [("reach", k, v) for k, v in self.by_reach.items()]
        rows += [("content", k, v) for k, v in self.content.items()]
        return to_frame(
            {
                "view": [r[0] for r in rows],
                "label": [r[1] for r in rows],
                self.measure: [r[2] for r in rows],
            },
            backend,
        )

    def plot(self, *, ax: Any = None) -> Any:
        """Stacked bars of the three views (drawn by :func:`journeykit.plot.split`)."""
        return draw(self, ax=ax)

    def _repr_html_(self) -> str:
        """The notebook display: a chart and a table (see :mod:`journeykit._html`)."""
        from journeykit import _html  # noqa: PLC0415  # only notebooks pay for it

        return _html.notebook(_html.split(self))

    def __repr__(self) -> str:
        def shares(view: dict[str, float]) -> str:
            return ", ".join(
                f"{k} {v / self.total:.0%}" if self.total else f"{k} 0" for k, v in view.items()
            )

        return (
            f"Split({self.measure} {amount_text(self.total)}: by team {shares(self.by_team)}; "
            f"by reach {shares(self.by_reach)}; content influence {shares(self.content)})"
        )


def split(result: Attribution, *, measure: Measure = "conversions") -> Split:
    """Marketing versus sales, as two views that each add up to the total.

    Parameters
    ----------
    result : Attribution
        An attribution of journeys with ``team`` and ``reach`` columns (``asset`` too, for the
        content view; without it, the content view equals the team view).
    measure : {"conversions", "value"}
        Credited conversions (default, as everywhere) or credited value.

    Examples
    --------
    >>> import journeykit as jk
    >>> from journeykit.datasets import example_records
    >>> view = split(jk.attribute(jk.assemble(example_records()), "linear"), measure="value")
    >>> view.by_team, view.content["marketing"] > view.by_team["marketing"]
    ({'marketing': 28800.0, 'sales': 19200.0}, True)
    """
    journeys = result.journeys
    missing = [n for n in ("team", "reach") if n not in journeys.columns]
    if missing:
        raise SchemaError(
            [Problem("Journeys", n, "is needed to split credit by team") for n in missing]
        )
    amounts = result.value_credit if measure == "value" else result.credit
    team = journeys.columns["team"]
    by_team = {k: float(v) for k, v in result.by("team", measure=measure).items() if k is not None}
    by_reach = {
        k: float(v) for k, v in result.by("reach", measure=measure).items() if k is not None
    }
    sales = np.isin(team.codes, team.codes_of("sales"))
    if "asset" in journeys.columns:
        with_asset = journeys.columns["asset"].codes >= 0
    else:
        with_asset = np.zeros(journeys.n_touches, dtype=np.bool_)
    sales_sent = float(amounts[sales & with_asset].sum())
    content = {
        "marketing": float(amounts[~sales | with_asset].sum()),
        "sales": float(amounts[sales & ~with_asset].sum()),
    }
    return Split(
        measure=measure,
        total=float(amounts.sum()),
        by_team=dict(sorted(by_team.items())),
        by_reach=dict(sorted(by_reach.items())),
        content=content,
        sales_sent_content=sales_sent,
    )
