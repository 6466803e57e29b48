"""``attribute`` and ``compare``: the one-call batch API over any model."""

from __future__ import annotations

import html
import math
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from journeykit._display import draw
from journeykit._frames import Backend, to_frame
from journeykit.attribution import _engine
from journeykit.attribution._protocol import Model
from journeykit.attribution._registry import name_of
from journeykit.attribution.result import Attribution, Credit, Key, Measure
from journeykit.errors import ModelError, NotFoundError, ParameterError
from journeykit.journeys import Journeys

__all__ = ["Comparison", "attribute", "compare"]


def attribute(journeys: Journeys, /, model: str | Model = "linear", **params: Any) -> Attribution:
    """Attribute every converting journey's conversions and value to its touches.

    Parameters
    ----------
    journeys : Journeys
        From :func:`~journeykit.from_events`, :func:`~journeykit.read_paths` or
        :func:`~journeykit.assemble`.
    model : str or Model
        A registered name (see ``jk.models.available()``) or a model object, by position or as
        ``model=``.
    **params
        Parameters of the named model, e.g. ``half_life=timedelta(days=7)``.

    Returns
    -------
    Attribution
        Credit per touch with ``by(...)`` roll-ups.

    Examples
    --------
    >>> import journeykit as jk
    >>> paths = jk.read_paths([{"path": "search > email", "total_conversions": 3, "total_null": 2},
    ...                        {"path": "direct", "total_conversions": 2, "total_null": 1}])
    >>> result = jk.attribute(paths, "position_based", first=0.3, last=0.7)
    >>> result.by("channel")
    Credit(channel, conversions: email=2.1, direct=2, search=0.9)
    >>> result.total
    5.0
    >>> jk.attribute(paths, model="markov").by("channel")
    Credit(channel, conversions: email=1.875, search=1.875, direct=1.25)
    """
    journeys = _engine.check_journeys(journeys, "attribute()")
    return _engine.run(_engine.resolve(model, params), journeys)


class Comparison(Mapping[str, Attribution]):
    """Several models' attributions of the same journeys, by model name.

    Examples
    --------
    >>> import journeykit as jk
    >>> paths = jk.read_paths([{"path": "a > b", "total_conversions": 4}])
    >>> table = jk.compare(paths, ["first_touch", "last_touch", "linear"])
    >>> table.table()["a"]
    {'first_touch': 4.0, 'last_touch': 0.0, 'linear': 2.0}
    >>> table
    channel       first_touch        last_touch            linear
    a                       4                 0                 2
    b                       0                 4                 2
    """

    def __init__(self, results: Mapping[str, Attribution], *, reference: str | None = None) -> None:
        self._results = dict(results)
        if reference is not None and reference not in self._results:
            msg = f"reference {reference!r} is not one of the models compared ({list(self)})"
            raise NotFoundError(msg)
        self.reference = reference
        """The model the others are measured against (``None``: no reference)."""

    def against(self, reference: str) -> Comparison:
        """The same comparison, with each model's change against ``reference`` in its tables.

        Examples
        --------
        >>> import journeykit as jk
        >>> paths = jk.read_paths([{"path": "a > b", "total_conversions": 4},
        ...                        {"path": "b", "total_conversions": 2}])
        >>> table = jk.compare(paths, ["linear", "first_touch", "last_touch"]).against("linear")
        >>> table
        channel            linear       first_touch   vs linear        last_touch   vs linear
        a                       2                 4  +2 (+100%)                 0  -2 (-100%)
        b                       4                 2   -2 (-50%)                 6   +2 (+50%)
        >>> table.changes()["a"]["first_touch"]
        (2.0, 1.0)
        """
        return Comparison(self._results, reference=reference)

    def changes(
        self, by: Key = "channel", *, measure: Measure = "conversions"
    ) -> dict[Any, dict[str, tuple[float, float]]]:
        """``{label: {model: (change, relative change)}}`` against the :attr:`reference`.

        The change is the model's credit minus the reference's; the relative change divides it by
        the reference's credit (``nan`` where the reference gave the label nothing).
        """
        reference = self._reference()
        return {
            label: {
                name: _change(credit, row[reference])
                for name, credit in row.items()
                if name != reference
            }
            for label, row in self.table(by, measure=measure).items()
        }

    def _reference(self) -> str:
        if self.reference is None:
            msg = "this comparison has no reference model: use .against(name) or reference="
            raise ParameterError(msg)
        return self.reference

    def __getitem__(self, name: str) -> Attribution:
        return self._results[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._results)

    def __len__(self) -> int:
        return len(self._results)

    def table(
        self, by: Key = "channel", *, measure: Measure = "conversions"
    ) -> dict[Any, dict[str, float]]:
        """``{label: {model: credit}}``, labels sorted, 0 where a model gave a label nothing."""
        by_model: dict[str, Credit] = {
            name: r.by(by, measure=measure) for name, r in self._results.items()
        }
        labels: dict[Any, None] = {}
        for credit in by_model.values():
            labels.update(dict.fromkeys(credit))
        return {
            label: {name: float(c.get(label, 0.0)) for name, c in by_model.items()}
            for label in sorted(labels, key=str)
        }

    def to_frame(
        self, backend: Backend = "pandas", *, by: Key = "channel", measure: Measure = "conversions"
    ) -> Any:
        """The :meth:`table` as a data frame: one row per label, one column per model.

        With a :attr:`reference`, the reference's column comes first and each other model's
        column is followed by ``<model>_change`` and ``<model>_relative`` (see :meth:`changes`).
        """
        table = self.table(by, measure=measure)
        dimension = by if isinstance(by, str) else "/".join(by)
        data: dict[str, list[Any]] = {dimension: [str(k) for k in table]}
        for name in self._ordered():
            data[name] = [row[name] for row in table.values()]
            if self.reference is not None and name != self.reference:
                changes = [_change(row[name], row[self.reference]) for row in table.values()]
                data[f"{name}_change"] = [change for change, _ in changes]
                data[f"{name}_relative"] = [relative for _, relative in changes]
        return to_frame(data, backend)

    def _ordered(self) -> list[str]:
        """The models, the reference first."""
        names = list(self._results)
        if self.reference is not None:
            names.remove(self.reference)
            names.insert(0, self.reference)
        return names

    def plot(self, by: Key = "channel", *, measure: Measure = "conversions", ax: Any = None) -> Any:
        """Credit by ``by`` across the models (drawn by :func:`journeykit.plot.credit`)."""
        return draw(self, by, measure=measure, ax=ax)

    def _repr_html_(self) -> str:
        """The notebook display: a chart and a table (see :mod:`journeykit._html`).

        With a reference, a second table shows each model's change in credit against it.
        """
        from journeykit import _html  # noqa: PLC0415  # only notebooks pay for it

        shown = _html.comparison(self)
        if self.reference is not None:
            header, rows = self._text_table()
            title = f"<p>Change in credited conversions against {html.escape(self.reference)}</p>"
            shown += f"<div class='jk'>{title}{_html.table(header, rows)}</div>"
        return _html.notebook(shown)

    def _text_table(self) -> tuple[list[str], list[list[str]]]:
        """The header and rows of the repr: credit by channel, then each change when compared."""
        table = self.table()
        names = self._ordered()
        reference = self.reference
        header = ["channel"]
        for name in names:
            header += [name] if reference in {None, name} else [name, f"vs {reference}"]
        rows = []
        for label, row in table.items():
            cells = [str(label)]
            for name in names:
                cells.append(f"{row[name]:.6g}")
                if reference is not None and name != reference:
                    change, relative = _change(row[name], row[reference])
                    shown = "n/a" if math.isnan(relative) else f"{relative:+.0%}"
                    cells.append(f"{change:+.4g} ({shown})")
            rows.append(cells)
        return header, rows

    def __repr__(self) -> str:
        header, rows = self._text_table()
        widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
        # Model columns keep their old width (16); the changes are as wide as they need.
        widths = [
            w if i == 0 or header[i].startswith("vs ") else max(16, w) for i, w in enumerate(widths)
        ]
        return "\n".join(
            "  ".join(
                c.ljust(w) if i == 0 else c.rjust(w)
                for i, (c, w) in enumerate(zip(line, widths, strict=True))
            )
            for line in [header, *rows]
        )


def _change(credit: float, reference: float) -> tuple[float, float]:
    """The change of ``credit`` against ``reference``, absolute and relative."""
    change = credit - reference
    return change, change / reference if reference else math.nan


def compare(
    journeys: Journeys,
    /,
    models: Sequence[str | Model] | Mapping[str, str | Model],
    *,
    reference: str | None = None,
) -> Comparison:
    """Attribute the same journeys under several models.

    Parameters
    ----------
    journeys : Journeys
    models : sequence of names or model instances, or mapping of label to model
        ``["linear", "markov"]``, ``[jk.models.get("time_decay", half_life=...)]`` or
        ``{"U 30/70": PositionBased(0.3, 0.7)}``.
    reference : str, optional
        The label of the model to measure the others against: the tables then show each
        model's change in credit against it (see :meth:`Comparison.against`).
    """
    if isinstance(models, Mapping):
        items = list(models.items())
    else:
        items = [(m if isinstance(m, str) else name_of(m), m) for m in models]
    labels = [label for label, _ in items]
    if len(set(labels)) != len(labels):
        msg = f"compare() needs distinct model labels (got {labels}); pass a mapping to name them"
        raise ModelError(msg)
    if reference is not None and reference not in labels:
        msg = f"reference {reference!r} is not one of the models compared ({labels})"
        raise NotFoundError(msg)
    journeys = _engine.check_journeys(journeys, "compare()")
    return Comparison(
        {label: _engine.run(_engine.resolve(model, {}), journeys) for label, model in items},
        reference=reference,
    )
