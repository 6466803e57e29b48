"""``attribute`` and ``compare``: the one-call batch API over any model."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from journeykit._display import draw
from journeykit._frames import Backend, to_frame
from journeykit.attribution import _engine
from journeykit.attribution._protocol import Model
from journeykit.attribution._registry import name_of
from journeykit.attribution.result import Attribution, Credit, Key, Measure
from journeykit.errors import ModelError
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

    def __init__(self, results: Mapping[str, Attribution]) -> None:
        self._results = dict(results)

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
        """The :meth:`table` as a data frame: one row per label, one column per model."""
        table = self.table(by, measure=measure)
        dimension = by if isinstance(by, str) else "/".join(by)
        data: dict[str, list[Any]] = {dimension: [str(k) for k in table]}
        for name in self._results:
            data[name] = [row[name] for row in table.values()]
        return to_frame(data, backend)

    def plot(self, by: Key = "channel", *, measure: Measure = "conversions", ax: Any = None) -> Any:
        """Credit by ``by`` across the models (drawn by :func:`journeykit.plot.credit`)."""
        return draw(self, by, measure=measure, ax=ax)

    def _repr_html_(self) -> str:
        """The notebook display: a chart and a table (see :mod:`journeykit._html`)."""
        from journeykit import _html  # noqa: PLC0415  # only notebooks pay for it

        return _html.notebook(_html.comparison(self))

    def __repr__(self) -> str:
        table = self.table()
        names = list(self._results)
        width = max([len("channel"), *(len(str(k)) for k in table)])
        lines = ["channel".ljust(width) + "".join(f"  {n:>16}" for n in names)]
        lines += [
            str(k).ljust(width) + "".join(f"  {row[n]:>16.6g}" for n in names)
            for k, row in table.items()
        ]
        return "\n".join(lines)


def compare(
    journeys: Journeys, /, models: Sequence[str | Model] | Mapping[str, str | Model]
) -> Comparison:
    """Attribute the same journeys under several models.

    Parameters
    ----------
    journeys : Journeys
    models : sequence of names or model instances, or mapping of label to model
        ``["linear", "markov"]``, ``[jk.models.get("time_decay", half_life=...)]`` or
        ``{"U 30/70": PositionBased(0.3, 0.7)}``.
    """
    if isinstance(models, Mapping):
        items = list(models.items())
    else:
        items = [(m if isinstance(m, str) else name_of(m), m) for m in models]
    labels = [label for label, _ in items]
    if len(set(labels)) != len(labels):
        msg = f"compare() needs distinct model labels (got {labels}); pass a mapping to name them"
        raise ModelError(msg)
    journeys = _engine.check_journeys(journeys, "compare()")
    return Comparison(
        {label: _engine.run(_engine.resolve(model, {}), journeys) for label, model in items}
    )
