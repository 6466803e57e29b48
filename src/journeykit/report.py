"""A self-contained HTML report (figures inlined): model comparison and marketing vs sales."""

from __future__ import annotations

import base64
import html
import io
import os
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from journeykit._version import __version__
from journeykit.analytics.diagnosis import Diagnosis
from journeykit.analytics.funnel import Funnel
from journeykit.analytics.handoff import Handoff
from journeykit.analytics.split import Split
from journeykit.attribution._api import Comparison

__all__ = ["write_report"]

_STYLE = """
body { font-family: system-ui, sans-serif; max-width: 980px; margin: 2em auto; color: #222; }
table { border-collapse: collapse; margin: 1em 0; }
th, td { padding: 0.25em 0.7em; border-bottom: 1px solid #ddd; text-align: right; }
th:first-child, td:first-child { text-align: left; }
img { max-width: 100%; }
.note { color: #555; font-size: 0.9em; }
"""


def write_report(
    folder: str | os.PathLike[str],
    *,
    title: str,
    comparison: Comparison,
    split: Split,
    handoff: Handoff,
    funnel: Funnel,
    diagnosis: Diagnosis,
    truth: Mapping[str, float] | None = None,
) -> Path:
    """Write the figures (PNG) and ``report.html`` (the same figures inlined) into ``folder``.

    Parameters
    ----------
    folder : path
        Created if missing.
    title : str
        The report's heading.
    comparison, split, handoff, funnel, diagnosis
        Results to show: credit by channel across models (value shares), the marketing vs sales
        split, the handoff distribution, the funnel and the diagnosis.
    truth : mapping of channel to share, optional
        True value shares per channel (a simulation's ground truth), shown beside the models.

    Returns
    -------
    Path
        The HTML file.
    """
    import matplotlib.pyplot as plt  # noqa: PLC0415  # optional; the caller reports it missing

    from journeykit import plot  # noqa: PLC0415

    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    figures = {
        "credit_by_channel": plot.credit(comparison),
        "marketing_vs_sales": plot.split(split),
        "handoff": plot.handoff(handoff),
        "funnel": plot.funnel(funnel),
    }
    images = {}
    for name, ax in figures.items():
        figure = ax.get_figure(root=True)
        assert figure is not None  # an Axes drawn by journeykit.plot always has a figure
        buffer = io.BytesIO()
        figure.savefig(buffer, format="png", dpi=110)
        plt.close(figure)
        data = buffer.getvalue()
        (out / f"{name}.png").write_bytes(data)
        images[name] = base64.b64encode(data).decode("ascii")
    body = [
        f"<h1>{html.escape(title)}</h1>",
        f'<p class="note">journeykit {__version__}, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC</p>',
        "<h2>Credit by channel (share of value)</h2>",
        _share_table(comparison, truth),
        _image(images["credit_by_channel"], "credit by channel"),
        "<h2>Marketing vs sales</h2>",
        f"<p>{html.escape(repr(split))}</p>",
        _image(images["marketing_vs_sales"], "marketing vs sales"),
        "<h2>Handoff to sales</h2>",
        f"<p>{html.escape(repr(handoff))}</p>",
        _image(images["handoff"], "handoff"),
        "<h2>Funnel</h2>",
        _image(images["funnel"], "funnel"),
        "<h2>Marketing problem or sales problem?</h2>",
        "<ul>",
        *(f"<li>{html.escape(f.explanation)}</li>" for f in diagnosis.findings.values()),
        "</ul>",
    ]
    page = (
        "<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'>"
        f"<title>{html.escape(title)}</title><style>{_STYLE}</style></head>"
        f"<body>\n{chr(10).join(body)}\n</body></html>\n"
    )
    target = out / "report.html"
    target.write_text(page, encoding="utf-8")
    return target


def _image(data: str, alt: str) -> str:
    return f'<img alt="{html.escape(alt)}" src="data:image/png;base64,{data}">'


def _share_table(comparison: Comparison, truth: Mapping[str, float] | None) -> str:
    shares = share_table(comparison, truth)
    columns = list(next(iter(shares.values()), {}))
    head = "".join(f"<th>{html.escape(c)}</th>" for c in ["channel", *columns])
    rows = [
        f"<tr><td>{html.escape(str(label))}</td>"
        + "".join(f"<td>{row[c]:.1%}</td>" for c in columns)
        + "</tr>"
        for label, row in shares.items()
    ]
    return f"<table><tr>{head}</tr>{''.join(rows)}</table>"


def share_table(
    comparison: Comparison, truth: Mapping[str, float] | None = None
) -> dict[Any, dict[str, float]]:
    """``{channel: {model: share of credited value}}``, plus a ``truth`` column when given."""
    table = comparison.table(measure="value")
    totals = {m: sum(row[m] for row in table.values()) for m in comparison}
    out = {
        label: {m: (row[m] / totals[m] if totals[m] else 0.0) for m in comparison}
        for label, row in table.items()
    }
    if truth is not None:
        for label in truth:
            out.setdefault(label, dict.fromkeys(comparison, 0.0))
        for label, row in out.items():
            row["truth"] = float(truth.get(label, 0.0))
    return out
