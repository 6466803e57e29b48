"""A self-contained HTML report (figures inlined): model comparison and marketing vs sales."""

from __future__ import annotations

import base64
import html
import io
import os
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from journeykit import _html
from journeykit._version import __version__
from journeykit.analytics.diagnosis import Diagnosis
from journeykit.analytics.funnel import STAGES, Funnel
from journeykit.analytics.handoff import Handoff
from journeykit.analytics.split import Split
from journeykit.attribution._api import Comparison

__all__ = ["render_report", "write_report"]

_PAGE_STYLE = """
body { margin: 0; background: #fff; }
main { max-width: 60rem; margin: 0 auto; padding: 1.2rem 1rem 3rem; }
h1 { font-size: 1.6rem; line-height: 1.25; margin: 0.2em 0; }
h2 { font-size: 1.25rem; margin: 2em 0 0.3em; padding-top: 0.6em; border-top: 1px solid #e3e6ee; }
h3 { font-size: 1rem; margin: 1.2em 0 0.2em; }
nav { display: flex; flex-wrap: wrap; gap: 0.3em 1em; font-size: 0.9em; margin: 0.8em 0; }
nav a { color: #4e79a7; }
.cards { display: grid; grid-template-columns: repeat(auto-fit, minmax(10rem, 1fr));
  gap: 0.7em; margin: 1em 0; }
.card { background: #f5f7fb; border-radius: 8px; padding: 0.6em 0.9em; }
.card b { display: block; font-size: 1.3em; }
.figures { display: grid; grid-template-columns: repeat(auto-fit, minmax(16rem, 1fr)); gap: 1em; }
.figures img { width: 100%; height: auto; border: 1px solid #e3e6ee; border-radius: 6px; }
@media (max-width: 560px) { main { padding: 0.8rem 0.7rem 2rem; } h1 { font-size: 1.3rem; } }
"""


def render_report(
    *,
    title: str,
    comparison: Comparison,
    split: Split,
    handoff: Handoff,
    funnel: Funnel,
    diagnosis: Diagnosis,
    truth: Mapping[str, float] | None = None,
    model: str | None = None,
    figures: Mapping[str, str] | None = None,
) -> str:
    """The report as one self-contained HTML page (no script, no link: it works offline).

    Parameters are those of :func:`write_report`; ``figures`` maps a caption to PNG bytes in
    base64, shown at the end for readers who want the static pictures.

    Examples
    --------
    >>> import journeykit as jk
    >>> records = jk.datasets.example_records()
    >>> journeys = jk.assemble(records)
    >>> comparison = jk.compare(journeys, ["first_touch", "linear"])
    >>> page = render_report(
    ...     title="Q3 deals",
    ...     comparison=comparison,
    ...     split=jk.analytics.split(comparison["linear"], measure="value"),
    ...     handoff=jk.analytics.handoff(journeys),
    ...     funnel=jk.analytics.funnel(records),
    ...     diagnosis=jk.analytics.diagnose(records),
    ... )
    >>> page.startswith("<!DOCTYPE html>"), "<script" in page, "http" in page
    (True, False, False)
    """
    chosen = model or next(iter(comparison), "")
    won = next(iter(comparison.values()), None)
    total_value = float(won.journeys.value @ won.journeys.conversions) if won is not None else 0.0
    deals = float(won.journeys.conversions.sum()) if won is not None else 0.0
    cards = [
        ("won value", _html.money(total_value)),
        ("conversions", f"{deals:,.0f}"),
        ("channels", f"{len(comparison.table())}"),
        ("models compared", f"{len(comparison)}"),
    ]
    sections = [
        ("credit", "Which channels earned the won value?",
         "<p>Each dot is one model's share of the won value credited to a channel"
         + (
             "; the black bar is the true share (the value lost when the channel is switched off "
             "in the simulation, normalised). The closer a model's dots sit to the bars, the "
             "better it answers."
             if truth is not None else "."
         )
         + "</p>" + _html.comparison(comparison, truth)),
        ("split", f"Marketing vs sales <span class='muted'>({html.escape(chosen)})</span>",
         _html.split(split)),
        ("handoff", "How far along were buyers before sales stepped in?", _html.handoff(handoff)),
        ("funnel", "The funnel, with drop-off", _html.funnel(funnel, STAGES)),
        ("diagnosis", "Marketing problem or sales problem?",
         "<p>Each group's stage rates against the others', with 95% intervals: a stage is "
         "named only when its shortfall is beyond chance.</p>" + _html.diagnosis(diagnosis)),
    ]  # fmt: skip
    if figures:
        pictures = "".join(
            f"<figure><img alt='{html.escape(name)}' src='data:image/png;base64,{data}'>"
            f"<figcaption class='muted'>{html.escape(name)}</figcaption></figure>"
            for name, data in figures.items()
        )
        sections.append(
            ("figures", "The same as pictures", f"<div class='figures'>{pictures}</div>")
        )
    nav = "".join(
        f"<a href='#{key}'>{re.sub('<[^>]+>', '', head)}</a>" for key, head, _ in sections
    )
    body = "".join(
        f"<section id='{key}'><h2>{head}</h2>{content}</section>" for key, head, content in sections
    )
    stamp = f"journeykit {__version__} · {datetime.now(UTC):%Y-%m-%d %H:%M} UTC"
    card_html = "".join(
        f"<div class='card'><span class='muted'>{html.escape(k)}</span>"
        f"<b>{html.escape(v)}</b></div>"
        for k, v in cards
    )
    return (
        "<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        f"<title>{html.escape(title)}</title><style>{_html.STYLE}{_PAGE_STYLE}</style></head>"
        f"<body><main class='jk'><h1>{html.escape(title)}</h1><p class='muted'>{stamp}</p>"
        f"<div class='cards'>{card_html}</div><nav>{nav}</nav>{body}</main></body></html>\n"
    )


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
    model: str | None = None,
) -> Path:
    """Write the figures (PNG) and ``report.html`` (self-contained) into ``folder``.

    The page draws its charts in HTML and CSS (no script, no network) and fits any screen from a
    phone up; the PNG figures (matplotlib) are written beside it and inlined at its end. Each file
    is written whole (a temporary file renamed), so an interrupted run leaves no half page.

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
        True value shares per channel (a simulation's ground truth), drawn beside the models.
    model : str, optional
        The model behind ``split`` and ``handoff``, named in the page.

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
        _write_whole(out / f"{name}.png", data)
        images[name.replace("_", " ")] = base64.b64encode(data).decode("ascii")
    page = render_report(
        title=title,
        comparison=comparison,
        split=split,
        handoff=handoff,
        funnel=funnel,
        diagnosis=diagnosis,
        truth=truth,
        model=model,
        figures=images,
    )
    target = out / "report.html"
    _write_whole(target, page.encode("utf-8"))
    return target


def _write_whole(target: Path, data: bytes) -> None:
    temporary = target.with_name(f".{target.name}.part")
    try:
        temporary.write_bytes(data)
        temporary.replace(target)
    finally:
        temporary.unlink(missing_ok=True)


def share_table(
    comparison: Comparison, truth: Mapping[str, float] | None = None
) -> dict[Any, dict[str, float]]:
    """``{channel: {model: share of credited value}}``, plus a ``truth`` column when given."""
    return _html.share_table(comparison, truth)
