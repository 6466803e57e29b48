"""Attribution of files larger than memory: two streaming passes over chunks of journeys.

The first pass computes each chunk's sufficient statistics and merges them (data-driven models
only; rule models skip it); the second credits each chunk with the fitted model and adds its
roll-ups. Only one chunk (plus the rows of one journey carried between chunks) is in memory at a
time, and the numbers equal those of the in-memory path up to floating-point summation order.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import tzinfo
from pathlib import Path
from typing import Any, Literal, NoReturn

import attrs
import numpy as np

from journeykit._choices import choose
from journeykit.attribution import _engine
from journeykit.attribution._protocol import Mergeable, Model
from journeykit.attribution._registry import name_of
from journeykit.attribution.result import Credit, Key, _label
from journeykit.errors import NotFoundError, ParameterError, Problem, SchemaError
from journeykit.io._csv import csv_rows
from journeykit.io._source import Columns
from journeykit.io._source import parquet as read_parquet
from journeykit.io.files import InputKind, file_format, file_kind
from journeykit.io.frames import from_events
from journeykit.io.paths import read_paths
from journeykit.journeys import Journeys

__all__ = ["FileAttribution", "attribute_file"]

_MEASURES = ("conversions", "value")


@attrs.frozen(eq=False)
class FileAttribution:
    """Credit of a whole file, rolled up by the dimensions asked for."""

    model: Model
    name: str
    keys: tuple[Key, ...]
    credit: dict[tuple[Key, str], dict[Any, float]]
    n_journeys: int
    n_touches: int
    chunks: int

    def by(
        self, key: Key = "channel", *, measure: Literal["conversions", "value"] = "conversions"
    ) -> Credit:
        """The credit by one of the dimensions given to :func:`attribute_file`."""
        choose(measure, _MEASURES, "measure")
        normal = key if isinstance(key, str) else tuple(key)
        if (normal, measure) not in self.credit:
            asked = list(self.keys)
            msg = f"attribute_file() rolled up by {asked}; ask for {key!r} with dimensions=[...]"
            raise NotFoundError(msg)
        items = sorted(self.credit[normal, measure].items(), key=lambda kv: (-kv[1], _label(kv[0])))
        return Credit(items, normal, measure)

    @property
    def total(self) -> float:
        """Credited conversions in all."""
        return sum(self.credit[self.keys[0], "conversions"].values())

    @property
    def total_value(self) -> float:
        """Credited value in all."""
        return sum(self.credit[self.keys[0], "value"].values())


def attribute_file(
    source: str | os.PathLike[str],
    /,
    model: str | Model = "linear",
    *,
    input: InputKind = "auto",  # noqa: A002  # the CLI's word for it
    dimensions: Sequence[Key] = ("channel",),
    chunk_rows: int = 500_000,
    columns: Columns | None = None,
    tz: tzinfo | str | None = None,
    sep: str = ">",
    on_progress: Callable[[float], None] | None = None,
    **params: Any,
) -> FileAttribution:
    r"""Attribute a CSV or Parquet file of events or paths, chunk by chunk.

    Parameters
    ----------
    source : str or path
        A ``.csv`` or ``.parquet`` file (Parquet and fast CSV need pyarrow; without it CSV is read
        with the standard library).
    model : str or Model
        A registered name or a model object, by position or as ``model=``.
    input : {"auto", "events", "paths"}
        ``"auto"``: a file with a ``path`` column is a path table, else events.
    dimensions : sequence of str or tuple of str
        The roll-ups to compute, each what ``by`` takes elsewhere (``"channel"``,
        ``("team", "channel")``, ...); ``FileAttribution.by`` answers for these only.
    chunk_rows : int
        Rows read at a time: memory is bounded by a chunk, not the file.
    columns : mapping of role to column name, or sequence of names, optional
        The file's columns, as every reader takes them (``{"journey": "user_id"}``; see
        :func:`~journeykit.from_events` and :func:`~journeykit.read_paths`).
    tz : tzinfo or str, optional
        For naive event times (see :func:`~journeykit.from_events`).
    sep : str
        The separator of a path table's paths (see :func:`~journeykit.read_paths`).
    on_progress : callable, optional
        Called after each chunk with the fraction of the whole job done (0 to 1, over both
        passes): rows of a Parquet file, bytes of a CSV file. The command draws its bar with it.
    **params
        Parameters of the named model.

    Notes
    -----
    Event files must keep each journey's rows together (sorted or grouped by journey, any order
    inside): a journey's rows are carried from one chunk to the next, so a journey is never split,
    and a journey ID that appears again after other journeys is an error naming its row.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (folder / "paths.csv").write_text(
    ...     "path,total_conversions,total_null\nsearch > email,3,2\ndirect,2,1\n")
    >>> result = attribute_file(folder / "paths.csv", "markov", chunk_rows=1)
    >>> result.by("channel")
    Credit(channel, conversions: email=1.875, search=1.875, direct=1.25)
    >>> import journeykit as jk
    >>> in_memory = jk.attribute(jk.read_paths(folder / "paths.csv"), "markov")
    >>> dict(result.by("channel")) == dict(in_memory.by("channel"))
    True
    """
    if isinstance(chunk_rows, bool) or not isinstance(chunk_rows, int) or chunk_rows < 1:
        msg = f"chunk_rows must be a whole number >= 1 (got {chunk_rows!r})"
        raise ParameterError(msg)
    spec = _engine.resolve(model, params)
    path = Path(source)
    keys = tuple(k if isinstance(k, str) else tuple(k) for k in dimensions)
    kind = file_kind(path, input)
    fmt = file_format(path)
    if fmt not in ("csv", "parquet"):
        message = "streams CSV and Parquet only; read JSON lines whole with read_journeys()"
        raise SchemaError([Problem(str(path), "", message)])

    # Mergeable models read the file twice (fit, credit); rule models fit on the first chunk.
    passes = 2 if isinstance(spec, Mergeable) else 1

    def chunks(counted_pass: int | None = None) -> Iterator[Journeys]:
        def report(fraction: float) -> None:
            if on_progress is not None and counted_pass is not None:
                on_progress((counted_pass + fraction) / passes)

        tables = _tables(path, fmt == "parquet", chunk_rows, report)
        if kind == "paths":
            return _numbered(tables, lambda t: read_paths(t, columns=columns, sep=sep))
        roles = dict(columns) if isinstance(columns, Mapping) else {}
        journey_column = roles.get("journey") or "journey_id"
        return _numbered(
            _whole_journeys(tables, journey_column),
            lambda t: from_events(t, columns=columns, tz=tz),
        )

    fitted = _engine.fit_chunks(spec, lambda: chunks(0 if passes == 2 else None), where=str(path))
    credit: dict[tuple[Key, str], dict[Any, float]] = {(k, m): {} for k in keys for m in _MEASURES}
    n_journeys = n_touches = n_chunks = 0
    for journeys in chunks(passes - 1):
        result = _engine.credit(spec, fitted, journeys)
        for key in keys:
            for measure in _MEASURES:
                totals = credit[key, measure]
                for label, amount in result.by(key, measure=measure).items():  # type: ignore[arg-type]
                    totals[label] = totals.get(label, 0.0) + amount
        n_journeys += journeys.n_journeys
        n_touches += journeys.n_touches
        n_chunks += 1
    return FileAttribution(spec, name_of(spec), keys, credit, n_journeys, n_touches, n_chunks)


def _tables(
    path: Path, is_parquet: bool, chunk_rows: int, report: Callable[[float], None] | None = None
) -> Iterator[Any]:
    """The file in chunks of at most ``chunk_rows`` rows (pyarrow tables, or dicts of columns).

    ``report`` gets the fraction of the file read after each chunk (rows of a Parquet file, bytes
    of a CSV file).
    """
    if not path.exists():
        raise SchemaError([Problem(str(path), "", "does not exist")])
    tell = report or (lambda _fraction: None)
    if is_parquet:
        import pyarrow as pa  # noqa: PLC0415

        parquet = read_parquet(path)
        total, seen = max(parquet.metadata.num_rows, 1), 0
        batches = parquet.iter_batches(batch_size=chunk_rows)
        while True:
            try:
                batch = next(batches, None)
            except (OSError, ValueError, pa.ArrowException) as exc:
                problem = Problem(str(path), "", f"is a damaged Parquet file ({exc})")
                raise SchemaError([problem]) from None
            if batch is None:
                return
            seen += batch.num_rows
            yield pa.Table.from_batches([batch])
            tell(seen / total)
    for header, rows in csv_rows(path, chunk_rows=chunk_rows, progress=tell):
        if rows:
            yield {name: [row[i] for row in rows] for i, name in enumerate(header)}
    tell(1.0)


def _numbered(tables: Iterator[Any], read: Callable[[Any], Journeys]) -> Iterator[Journeys]:
    """Read each chunk; an error names rows of the file (as the whole-file reader does)."""
    offset = 0
    for table in tables:
        try:
            journeys = read(table)
        except SchemaError as exc:
            raise SchemaError([_shifted(p, offset) for p in exc.problems]) from None
        yield journeys
        offset += len(next(iter(table.values()))) if isinstance(table, dict) else table.num_rows


def _shifted(problem: Problem, offset: int) -> Problem:
    match = _ROW.fullmatch(problem.record)
    if match is None or not offset:
        return problem
    return attrs.evolve(problem, record=f"row {int(match[1]) + offset}")


_ROW = re.compile(r"row (\d+)")


def _whole_journeys(tables: Iterator[Any], journey: str) -> Iterator[Any]:
    """Re-cut chunks so that no journey is split, checking that journeys are contiguous."""
    pending: Any = None
    guard = _JourneyGuard(journey)
    for chunk in tables:
        table = chunk if pending is None else _concat(pending, chunk)
        ids = _ids(table, journey)
        if not len(ids):
            continue
        cut = _trailing_run_start(ids)
        ready, pending = _slice(table, 0, cut), _slice(table, cut, len(ids))
        if cut:
            guard.check(_slice_ids(ids, 0, cut))
            yield ready
    if pending is not None and len(_ids(pending, journey)):
        guard.check(_ids(pending, journey))
        yield pending


def _ids(table: Any, journey: str) -> Any:
    """The journey IDs of a chunk: an Arrow array for Arrow tables, else a list."""
    if isinstance(table, dict):
        if journey not in table:
            raise SchemaError([Problem("table", journey, "is a missing column")])
        return list(table[journey])
    if journey not in table.column_names:
        raise SchemaError([Problem("table", journey, "is a missing column")])
    return table.column(journey).combine_chunks()


def _slice_ids(ids: Any, start: int, stop: int) -> Any:
    return ids[start:stop] if isinstance(ids, list) else ids.slice(start, stop - start)


def _trailing_run_start(ids: Any) -> int:
    """Where the run of the last journey ID begins (its rows may continue in the next chunk)."""
    if isinstance(ids, list):
        cut = len(ids)
        while cut > 0 and ids[cut - 1] == ids[-1]:
            cut -= 1
        return cut
    import pyarrow.compute as pc  # noqa: PLC0415

    other = np.flatnonzero(
        ~np.asarray(pc.equal(ids, ids[-1]).to_numpy(zero_copy_only=False), dtype=np.bool_)
    )
    return int(other[-1]) + 1 if other.size else 0


class _JourneyGuard:
    """Checks that each journey's rows form one run across the whole file.

    It remembers one ID per journey (not per row): as compact Arrow arrays for Arrow tables,
    checked with Arrow's vectorised ``is_in``; as a set for plain rows.
    """

    def __init__(self, column: str) -> None:
        self.column = column
        self.offset = 0
        self.seen_arrays: list[Any] = []
        self.seen_set: set[Any] = set()

    def check(self, ids: Any) -> None:
        if isinstance(ids, list):
            self._check_list(ids)
        else:
            self._check_arrow(ids)
        self.offset += len(ids)

    def _fail(self, row: int, value: Any) -> NoReturn:
        message = (
            f"journey {value!r} appears again after other journeys: "
            "keep each journey's rows together"
        )
        raise SchemaError([Problem(f"row {self.offset + row}", self.column, message)])

    def _check_list(self, ids: list[Any]) -> None:
        starts = [0] + [i for i in range(1, len(ids)) if ids[i] != ids[i - 1]]
        for start in starts:
            if ids[start] in self.seen_set:
                self._fail(start, ids[start])
            self.seen_set.add(ids[start])

    def _check_arrow(self, ids: Any) -> None:
        import pyarrow as pa  # noqa: PLC0415
        import pyarrow.compute as pc  # noqa: PLC0415

        changes = pc.not_equal(ids.slice(1), ids.slice(0, len(ids) - 1)).to_numpy(
            zero_copy_only=False
        )
        starts = np.concatenate([[0], np.flatnonzero(np.asarray(changes, dtype=np.bool_)) + 1])
        runs = pc.take(ids, pa.array(starts))
        clash = np.zeros(len(runs), dtype=np.bool_)
        for seen in self.seen_arrays:
            clash |= np.asarray(
                pc.is_in(runs, value_set=seen).to_numpy(zero_copy_only=False), dtype=np.bool_
            )
        if pc.count_distinct(runs).as_py() < len(runs):  # a journey split inside this block
            first_seen: dict[Any, int] = {}
            for index, value in enumerate(runs.to_pylist()):
                if value in first_seen:
                    clash[index] = True
                first_seen.setdefault(value, index)
        if clash.any():
            index = int(np.flatnonzero(clash)[0])
            self._fail(int(starts[index]), runs[index].as_py())
        self.seen_arrays.append(runs)


def _slice(table: Any, start: int, stop: int) -> Any:
    if isinstance(table, dict):
        return {name: values[start:stop] for name, values in table.items()}
    return table.slice(start, stop - start)


def _concat(first: Any, second: Any) -> Any:
    if isinstance(first, dict):
        return {name: first[name] + second[name] for name in first}
    import pyarrow as pa  # noqa: PLC0415

    return pa.concat_tables([first, second])
