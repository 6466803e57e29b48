"""HTML fragments of journeykit's results: the report's sections and the notebooks' displays.

Charts are plain HTML and CSS (bars and dots positioned in percent), so they need no script, no
image and no network, scale to any screen, and stay text a reader can select and a test can read.
Every fragment sits in a ``<div class="jk">``; :data:`STYLE` styles them. This module sits in
the bottom layer, beside :mod:`journeykit._display`: results call it, it imports none of them.
"""

from __future__ import annotations

import html
import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

__all__ = [
    "STYLE",
    "bootstrap",
    "comparison",
    "diagnosis",
    "funnel",
    "handoff",
    "money",
    "notebook",
    "percent",
    "share_table",
    "split",
]

# Tableau's ten colours: told apart by most colour-blind readers
PALETTE = (
    "#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#76b7b2",
    "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac",
)  # fmt: skip

STYLE = """
.jk { --ink: #1d2433; --muted: #5b6478; --line: #e3e6ee; --soft: #f5f7fb;
  --marketing: #4e79a7; --sales: #f28e2b; color: var(--ink);
  font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; }
.jk * { box-sizing: border-box; }
.jk p { margin: 0.4em 0 0.8em; }
.jk .muted { color: var(--muted); font-size: 0.9em; }
.jk .scroll { overflow-x: auto; max-width: 100%; }
.jk table { border-collapse: collapse; font-variant-numeric: tabular-nums; margin: 0.5em 0; }
.jk th, .jk td { padding: 0.3em 0.6em; border-bottom: 1px solid var(--line); text-align: right;
  white-space: nowrap; }
.jk th { font-weight: 600; background: var(--soft); }
.jk th:first-child, .jk td:first-child { text-align: left; }
.jk .chart { margin: 0.6em 0 1em; }
.jk .row { display: grid; grid-template-columns: minmax(6em, 11em) 1fr; gap: 0.6em;
  align-items: center; min-height: 1.9em; }
.jk .label { overflow-wrap: anywhere; font-size: 0.92em; }
.jk .track { position: relative; height: 1.4em; border-left: 1px solid #9aa3b5;
  background: repeating-linear-gradient(to right, transparent 0 calc(20% - 1px),
  var(--line) calc(20% - 1px) 20%); }
.jk .dot { position: absolute; top: 50%; width: 0.75em; height: 0.75em; border-radius: 50%;
  transform: translate(-50%, -50%); opacity: 0.9; border: 1px solid #fff; }
.jk .truth { position: absolute; top: 0; bottom: 0; width: 3px; background: var(--ink);
  transform: translateX(-50%); z-index: 1; box-shadow: 0 0 0 1px #fff; }
.jk .axis { display: flex; justify-content: space-between; font-size: 0.8em;
  color: var(--muted); }
.jk .legend { display: flex; flex-wrap: wrap; gap: 0.3em 1em; font-size: 0.88em;
  margin: 0.4em 0; padding: 0; list-style: none; }
.jk .legend li { display: flex; align-items: center; gap: 0.35em; }
.jk .swatch { display: inline-block; width: 0.75em; height: 0.75em; border-radius: 50%; }
.jk .swatch.bar { width: 3px; height: 1em; border-radius: 0; background: var(--ink); }
.jk .stack { display: flex; height: 1.9em; border-radius: 4px; overflow: hidden; }
.jk .stack span { display: flex; align-items: center; justify-content: center; color: #fff;
  font-size: 0.85em; white-space: nowrap; overflow: hidden; min-width: 0; }
.jk .bar { height: 1.4em; border-radius: 0 3px 3px 0; background: var(--marketing); }
.jk .bar.sales { background: var(--sales); }
.jk .value { font-size: 0.85em; color: var(--muted); padding-left: 0.4em; white-space: nowrap; }
.jk .hbar { display: block; padding: 0.15em 0; }
.jk .hbar .bar { height: 1.1em; }
.jk .hbar .value { display: block; padding: 0; font-size: 0.8em; }
.jk .finding { border-left: 4px solid var(--line); padding: 0.2em 0 0.2em 0.8em;
  margin: 0.7em 0; }
.jk .finding.marketing { border-color: var(--marketing); }
.jk .finding.sales { border-color: var(--sales); }
.jk .badge { display: inline-block; padding: 0 0.5em; border-radius: 1em; font-size: 0.8em;
  background: var(--soft); border: 1px solid var(--line); }
.jk .hist { display: flex; align-items: flex-end; gap: 2px; height: 8em;
  border-bottom: 1px solid #9aa3b5; }
.jk .hist span { flex: 1; background: var(--marketing); min-height: 1px; }
.jk .hist-axis { display: flex; justify-content: space-between; font-size: 0.8em;
  color: var(--muted); }
@media (max-width: 560px) {
  .jk { font-size: 14px; }
  .jk .row { grid-template-columns: 6.5em 1fr; }
}
"""


def money(amount: float, currency: str | None = None) -> str:
    """An amount as money: thousands separated, cents only below 1,000.

    Examples
    --------
    >>> money(5512345.678), money(12.5), money(1250.0, "EUR")
    ('5,512,346', '12.50', 'EUR 1,250')
    """
    if not math.isfinite(amount):
        text = "-"
    elif abs(amount) >= 1000:
        text = f"{amount:,.0f}"
    else:
        text = f"{amount:,.2f}"
    return f"{currency} {text}" if currency else text


def percent(share: float, digits: int = 0) -> str:
    """A share as a percentage (a dash when it is not a number).

    Examples
    --------
    >>> percent(0.3349), percent(0.3349, 1), percent(float("nan"))
    ('33%', '33.5%', '-')
    """
    return f"{share:.{digits}%}" if math.isfinite(share) else "-"


def _e(text: object) -> str:
    return html.escape(str(text))


def _breakable(label: object) -> str:
    """A label that may wrap after its underscores (``organic_search``) on a narrow screen."""
    return _e(label).replace("_", "_<wbr>")


def table(columns: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    """A table in a horizontal scroller: wide tables scroll inside it, never off the page."""
    head = "".join(f"<th scope='col'>{_e(c)}</th>" for c in columns)
    body = "".join("<tr>" + "".join(f"<td>{_e(c)}</td>" for c in row) + "</tr>" for row in rows)
    return (
        f"<div class='scroll'><table><thead><tr>{head}</tr></thead>"
        f"<tbody>{body}</tbody></table></div>"
    )


def _wrap(*parts: str) -> str:
    return "<div class='jk'>" + "".join(parts) + "</div>"


def notebook(fragment: str) -> str:
    """A fragment with its style, for a notebook's ``_repr_html_``."""
    return f"<style>{STYLE}</style>{fragment}"


# -- model shares beside the truth ------------------------------------------------------------


def comparison(result: Any, truth: Mapping[str, float] | None = None) -> str:
    """A dot plot of each model's share of value per channel, the truth as a bar, and a table."""
    shares = share_table(result, truth)
    models = list(result)
    if truth is not None:  # the channels in the order of their true share: the answer first
        shares = dict(sorted(shares.items(), key=lambda item: -item[1]["truth"]))
    top = max([0.0, *(v for row in shares.values() for v in row.values())])
    scale = max(0.1, math.ceil(top * 10) / 10)  # the axis ends on a round 10%
    colour = {m: PALETTE[i % len(PALETTE)] for i, m in enumerate(models)}
    legend = "".join(
        f"<li><span class='swatch' style='background:{colour[m]}'></span>{_e(m)}</li>"
        for m in models
    )
    if truth is not None:
        legend += "<li><span class='swatch bar'></span>truth</li>"
    rows = []
    for label, row in shares.items():
        marks = [
            f"<span class='dot' style='left:{row[m] / scale:.2%};background:{colour[m]}' "
            f"title='{_e(m)}: {percent(row[m], 1)}'></span>"
            for m in models
        ]
        if truth is not None:
            marks.insert(
                0,
                f"<span class='truth' style='left:{row['truth'] / scale:.2%}' "
                f"title='truth: {percent(row['truth'], 1)}'></span>",
            )
        rows.append(
            f"<div class='row'><span class='label'>{_breakable(label)}</span>"
            f"<div class='track'>{''.join(marks)}</div></div>"
        )
    ticks = "".join(f"<span>{percent(scale * i / 5)}</span>" for i in range(6))
    axis = f"<div class='row'><span></span><div class='axis'>{ticks}</div></div>"
    columns = ["channel", *models, *(["truth"] if truth is not None else [])]
    body = [
        [str(label), *(percent(row[c], 1) for c in columns[1:])] for label, row in shares.items()
    ]
    return _wrap(
        f"<ul class='legend'>{legend}</ul>",
        f"<div class='chart' role='img' aria-label='share of value by channel and model'>"
        f"{''.join(rows)}{axis}</div>",
        table(columns, body),
    )


def share_table(
    result: Any, truth: Mapping[str, float] | None = None
) -> dict[Any, dict[str, float]]:
    """``{channel: {model: share of credited value}}``, plus a ``truth`` column when given."""
    table = result.table(measure="value")
    totals = {m: sum(row[m] for row in table.values()) for m in result}
    out = {
        label: {m: (row[m] / totals[m] if totals[m] else 0.0) for m in result}
        for label, row in table.items()
    }
    if truth is not None:
        for label in truth:
            out.setdefault(label, dict.fromkeys(result, 0.0))
        for label, row in out.items():
            row["truth"] = float(truth.get(label, 0.0))
    return out


# -- marketing vs sales -----------------------------------------------------------------------

_VIEW_COLOURS = {
    "marketing": "var(--marketing)",
    "sales": "var(--sales)",
    "one_to_many": "var(--marketing)",
    "one_to_one": "var(--sales)",
}


def split(result: Any) -> str:
    """Three stacked bars (by team, by reach, content influence) and the numbers in words."""
    total = result.total

    def stack(view: Mapping[str, float]) -> str:
        parts = []
        for i, (label, amount) in enumerate(view.items()):
            share = amount / total if total else 0.0
            colour = _VIEW_COLOURS.get(label, PALETTE[(i + 4) % len(PALETTE)])
            parts.append(
                f"<span style='width:{share:.2%};background:{colour}' "
                f"title='{_e(label)}: {percent(share, 1)}'>"
                f"{_e(label.replace('_', ' '))} {percent(share)}</span>"
            )
        return f"<div class='stack'>{''.join(parts)}</div>"

    views = {
        "by team": result.by_team,
        "by reach": result.by_reach,
        "content influence": result.content,
    }
    rows = "".join(
        f"<div class='row'><span class='label'>{_e(name)}</span>{stack(view)}</div>"
        for name, view in views.items()
    )
    marketing = result.by_team.get("marketing", 0.0)
    unit = "won value" if result.measure == "value" else "conversions"
    amount = money if result.measure == "value" else (lambda x: f"{x:,.4g}")
    words = (
        f"<p>Of {amount(total)} {unit}, marketing's touches earned {amount(marketing)} "
        f"({percent(marketing / total if total else 0.0)}) and sales' touches the rest. "
        f"Counting content for the team that made it, marketing's share is "
        f"{percent(result.content.get('marketing', 0.0) / total if total else 0.0)}; sales "
        f"delivered {amount(result.sales_sent_content)} of it one-to-one.</p>"
    )
    return _wrap(words, f"<div class='chart'>{rows}</div>")


# -- handoff ----------------------------------------------------------------------------------


def handoff(result: Any, bins: int = 10) -> str:
    """The share of journeys before the first sales contact: a histogram and the quantiles."""
    import numpy as np  # noqa: PLC0415

    measures = ["by_touches", "by_time", *(["by_credit"] if result.by_credit is not None else [])]
    names = {"by_touches": "touches", "by_time": "time", "by_credit": "credit"}
    summaries = {m: result.summary(m) for m in measures}
    touches = summaries["by_touches"]
    values = result.values("by_touches")
    counts, _ = np.histogram(values[np.isfinite(values)], bins=bins, range=(0.0, 1.0))
    peak = max(1, int(counts.max()) if counts.size else 1)
    bars = "".join(
        f"<span style='height:{c / peak:.1%}' title='{percent(i / bins)} to "
        f"{percent((i + 1) / bins)}: {c} journeys'></span>"
        for i, c in enumerate(counts.tolist())
    )
    contacted = int(result.sales_contact.sum())
    words = (
        f"<p>{len(result.journey):,} won journeys, {contacted:,} with a one-to-one sales contact. "
        f"Half of them had done {percent(touches['p50'])} of their touches before the first "
        f"sales contact (the middle half between {percent(touches['p25'])} and "
        f"{percent(touches['p75'])}); journeys without one count as 100%.</p>"
    )
    rows = [
        [
            names[m],
            f"{s['journeys']:,.0f}",
            *(percent(s[k]) for k in ("mean", "p10", "p25", "p50", "p75", "p90")),
        ]
        for m, s in summaries.items()
    ]
    return _wrap(
        words,
        "<div class='chart' role='img' aria-label='journeys by share of touches before the "
        f"first sales contact'><div class='hist'>{bars}</div>"
        "<div class='hist-axis'><span>0% of touches before sales</span>"
        "<span>100%</span></div></div>",
        table(
            [
                "before first sales contact",
                "journeys",
                "mean",
                "p10",
                "p25",
                "median",
                "p75",
                "p90",
            ],
            rows,
        ),
    )


# -- funnel -----------------------------------------------------------------------------------


def funnel(result: Any, stages: Sequence[str]) -> str:
    """Per group, a bar per ``stages`` (its share of the group's units) and the drop-off."""
    parts = []
    for label, group in result.groups.items():
        units = max(1, group.units)
        bars = []
        for i, (stage, count) in enumerate(zip(stages, group.counts, strict=True)):
            note = f"{count:,}"
            if i < len(group.rates):
                note += f" · {percent(group.rates[i])} go on, {group.drop_off[i]:,} stop"
            bars.append(
                f"<div class='row'><span class='label'>{_e(stage)}</span><div class='hbar'>"
                f"<div class='bar' style='width:{count / units:.1%}'></div>"
                f"<span class='value'>{_e(note)}</span></div></div>"
            )
        title = f"<h3>{_e(label)} <span class='muted'>({group.units:,} units)</span></h3>"
        parts.append(title + f"<div class='chart'>{''.join(bars)}</div>")
    return _wrap(*parts)


# -- diagnosis --------------------------------------------------------------------------------

_SENTENCE = {
    "reach": "of all units, {rate} were reached",
    "engagement": "of those reached, {rate} engaged",
    "lead": "of those engaged, {rate} became leads",
    "opportunity": "of the leads, {rate} became opportunities",
    "win": "of the opportunities, {rate} were won",
}


def _interval(finding: Any, name: str) -> str:
    rate = finding.rates[name]
    return f"{percent(rate.estimate)} (95% interval {percent(rate.low)} to {percent(rate.high)})"


def _sentence(finding: Any) -> str:
    group = f"<strong>{_e(finding.group)}</strong>"
    if finding.stage is None:
        short = {
            name: finding.benchmarks[name] - rate.estimate
            for name, rate in finding.rates.items()
            if math.isfinite(rate.estimate) and rate.estimate < finding.benchmarks[name]
        }
        if not short:
            return f"{group}: every stage rate is at or above its benchmark."
        weakest = max(short, key=short.__getitem__)
        return (
            f"{group}: no stage falls short beyond chance. The largest gap: "
            f"{_SENTENCE[weakest].format(rate=_interval(finding, weakest))}, "
            f"against a benchmark of {percent(finding.benchmarks[weakest])}."
        )
    stage = finding.stage
    return (
        f"{group}: a {_e(finding.verdict)} problem at the {_e(stage)} stage. "
        f"{_SENTENCE[stage].format(rate=_interval(finding, stage)).capitalize()}, against "
        f"a benchmark of {percent(finding.benchmarks[stage])}."
    )


def diagnosis(result: Any) -> str:
    """One paragraph per group: the verdict and the evidence in words, with intervals."""
    items = "".join(
        f"<div class='finding {_e(f.verdict)}'><span class='badge'>{_e(f.verdict)}</span> "
        f"{_sentence(f)}</div>"
        for f in result.findings.values()
    )
    return _wrap(items)


# -- bootstrap --------------------------------------------------------------------------------


def bootstrap(result: Any) -> str:
    """Estimates with their intervals as a table."""
    fmt = money if result.measure == "value" else (lambda x: f"{x:,.4g}")
    rows = [
        [str(label), fmt(i.estimate), fmt(i.low), fmt(i.high)]
        for label, i in result.intervals.items()
    ]
    level = percent(result.level)
    caption = (
        f"<p class='muted'>{_e(result.measure)} by {_e(result.dimension)}, {level} intervals</p>"
    )
    return _wrap(caption, table([str(result.dimension), "estimate", "low", "high"], rows))
