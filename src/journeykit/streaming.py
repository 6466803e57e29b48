"""Attribution of files larger than memory: two streaming passes over chunks of journeys.

The first pass computes each chunk's sufficient statistics and merges them (data-driven models
only; rule models skip it); the second credits each chunk with the fitted model and adds its
roll-ups. The file is parsed once: the first pass keeps each chunk's journeys in a temporary
file for the second. Only one chunk (plus the rows of one journey carried between chunks) is in
memory at a time, its size given or chosen from a memory budget, and the numbers equal those of
the in-memory path up to floating-point summation order.
"""

from __future__ import annotations

import contextlib
import lzma
import os
import pickle
import re
import tempfile
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from datetime import tzinfo
from pathlib import Path
from typing import IO, Any, Final, Literal, NoReturn

import attrs
import numpy as np
from numpy.typing import NDArray

from journeykit._choices import choose
from journeykit.attribution import _engine
from journeykit.attribution._protocol import Mergeable, Model, tags_of
from journeykit.attribution._registry import name_of
from journeykit.attribution.result import Credit, Key, ordered
from journeykit.errors import NotFoundError, ParameterError, Problem, SchemaError
from journeykit.io._csv import _compressed_offset, bad_text, check_header, csv_rows, open_bytes
from journeykit.io._source import Columns
from journeykit.io._source import parquet as read_parquet
from journeykit.io.files import InputKind, file_format, file_kind
from journeykit.io.frames import _DEFAULTS as _EVENT_DEFAULTS
from journeykit.io.frames import from_events
from journeykit.io.paths import _DEFAULTS as _PATH_DEFAULTS
from journeykit.io.paths import read_paths
from journeykit.journeys import Journeys

__all__ = [
    "BASE_BYTES",
    "BYTES_PER_ROW",
    "FileAttribution",
    "attribute_file",
    "memory_bytes",
    "rows_for_memory",
]

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
        return Credit(ordered(self.credit[normal, measure].items(), normal), normal, measure)

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
    chunk_rows: int | None = None,
    memory: int | str | None = None,
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
    chunk_rows : int, optional
        Rows read at a time: memory is bounded by a chunk, not the file. Default 500,000 rows,
        unless ``memory`` is given.
    memory : int or str, optional
        A memory budget for the whole process, in bytes or as text (``"1GB"``, ``"512MiB"``):
        the chunk size is chosen from it by :func:`rows_for_memory` (the documented cost of a
        row). Give ``chunk_rows`` or ``memory``, not both.
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

    Raises
    ------
    ParameterError
        For a ``chunk_rows`` below 1, a ``memory`` that is not a size or too small, or both given.
    SchemaError
        Naming the file, row and column of what is wrong in the file, as the whole-file readers
        do.

    Notes
    -----
    CSV files are parsed by Arrow's block reader when pyarrow is installed; a file it cannot read
    by the CSV rules (a ragged row, bytes that are not UTF-8, a number column holding text) is
    read again by the standard-library reader, which names the row at fault.

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
    >>> attribute_file(folder / "paths.csv", "markov", memory="1GB").chunks
    1
    """
    rows = _chunk_rows(chunk_rows, memory)
    spec = _engine.resolve(model, params)
    path = Path(source)
    keys = tuple(k if isinstance(k, str) else tuple(k) for k in dimensions)
    kind = file_kind(path, input)
    fmt = file_format(path)
    if fmt not in ("csv", "parquet"):
        message = "streams CSV and Parquet only; read JSON lines whole with read_journeys()"
        raise SchemaError([Problem(str(path), "", message)])
    if not path.exists():
        raise SchemaError([Problem(str(path), "", "does not exist")])
    job = _Job(spec, path, kind, fmt == "parquet", rows, columns, tz, sep, _rising(on_progress))
    try:
        credit, n_journeys, n_touches, n_chunks = job.run(keys, fast=True)
    except _ArrowGaveUp:
        # A file Arrow cannot read by the CSV rules (ragged, not UTF-8, a type that changes
        # after the first block): the plain reader reads it again and names what is wrong.
        credit, n_journeys, n_touches, n_chunks = job.run(keys, fast=False)
    return FileAttribution(spec, name_of(spec), keys, credit, n_journeys, n_touches, n_chunks)


@attrs.frozen
class _Job:
    """One file's attribution: how to cut it into chunks of journeys, and the passes over them."""

    spec: Model
    path: Path
    kind: Literal["events", "paths"]
    is_parquet: bool
    chunk_rows: int
    columns: Columns | None
    tz: tzinfo | str | None
    sep: str
    on_progress: Callable[[float], None] | None

    def run(
        self, keys: tuple[Key, ...], *, fast: bool
    ) -> tuple[dict[tuple[Key, str], dict[Any, float]], int, int, int]:
        """Credit by each key and measure, journeys, touches and chunks."""
        where = str(self.path)
        with contextlib.ExitStack() as stack:
            fitted = None
            if isinstance(self.spec, Mergeable):
                # The fit pass parses the file and keeps each chunk's journeys (about a third of
                # the CSV's bytes) in a temporary file; the credit pass reads them back.
                spill = _Spill(stack.enter_context(tempfile.TemporaryFile(prefix="journeykit-")))
                chunks = self.chunks(fast, 0, 2)
                fitted = _engine.fit_chunks(self.spec, lambda: spill.keep(chunks), where=where)
                chunks = spill.replay(lambda fraction: self._report(1, 2, fraction))
            else:
                if tags_of(self.spec).data_driven:
                    _engine.fit_chunks(self.spec, lambda: iter(()), where=where)  # refuses it
                # Rule models fit on the first chunk of the one pass that credits.
                chunks = self.chunks(fast, 0, 1)
            credit: dict[tuple[Key, str], dict[Any, float]] = {
                (k, m): {} for k in keys for m in _MEASURES
            }
            n_journeys = n_touches = n_chunks = 0
            for journeys in chunks:
                if fitted is None:
                    fitted = _engine.fit(self.spec, journeys)
                result = _engine.credit(self.spec, fitted, journeys)
                for key in keys:
                    for measure in _MEASURES:
                        totals = credit[key, measure]
                        for label, amount in result.by(key, measure=measure).items():  # type: ignore[arg-type]
                            totals[label] = totals.get(label, 0.0) + amount
                n_journeys += journeys.n_journeys
                n_touches += journeys.n_touches
                n_chunks += 1
            if fitted is None:
                _engine.fit_chunks(self.spec, lambda: iter(()), where=where)  # "has no rows"
        return credit, n_journeys, n_touches, n_chunks

    def _report(self, counted_pass: int, passes: int, fraction: float) -> None:
        if self.on_progress is not None:
            self.on_progress((counted_pass + fraction) / passes)

    def chunks(self, fast: bool, counted_pass: int, passes: int) -> Iterator[Journeys]:
        """The file's journeys, a chunk at a time; progress counts this pass of ``passes``."""

        def report(fraction: float) -> None:
            self._report(counted_pass, passes, fraction)

        roles = dict(self.columns) if isinstance(self.columns, Mapping) else {}
        if self.kind == "paths":
            numeric = _role_columns(roles, _PATH_DEFAULTS, ("conversions", "value", "nulls"))
            tables = self._tables(fast, report, numeric, inferred=())
            return _numbered(tables, lambda t: read_paths(t, columns=self.columns, sep=self.sep))
        numeric = _role_columns(roles, _EVENT_DEFAULTS, ("value", "cost"))
        moment = _role_columns(roles, _EVENT_DEFAULTS, ("time",))
        tables = self._tables(fast, report, numeric, inferred=moment)
        journey_column = roles.get("journey") or "journey_id"
        return _numbered(
            _whole_journeys(tables, journey_column),
            lambda t: from_events(t, columns=self.columns, tz=self.tz),
        )

    def _tables(
        self,
        fast: bool,
        report: Callable[[float], None],
        numeric: Collection[str],
        inferred: Collection[str],
    ) -> Iterator[Any]:
        if self.is_parquet:
            return _parquet_tables(self.path, self.chunk_rows, report)
        if fast and _has_arrow():
            return _arrow_csv_tables(self.path, self.chunk_rows, report, numeric, inferred)
        return _plain_csv_tables(self.path, self.chunk_rows, report)


class _Spill:
    """Chunks of journeys kept in a temporary file between the passes, in the order read."""

    def __init__(self, file: IO[bytes]) -> None:
        self.file = file
        self.count = 0

    def keep(self, chunks: Iterator[Journeys]) -> Iterator[Journeys]:
        """Pass ``chunks`` on, writing each to the file first."""
        for journeys in chunks:
            pickle.dump(journeys, self.file, protocol=pickle.HIGHEST_PROTOCOL)
            self.count += 1
            yield journeys

    def replay(self, report: Callable[[float], None]) -> Iterator[Journeys]:
        """The chunks written, read back one at a time."""
        self.file.seek(0)
        for index in range(self.count):
            # Safe to unpickle: this process wrote the file, which no other user can open.
            yield pickle.load(self.file)
            report((index + 1) / self.count)


def _role_columns(
    roles: Mapping[str, str | None], defaults: Mapping[str, str | None], wanted: Sequence[str]
) -> set[str]:
    """The file's columns of the ``wanted`` roles (as a reader resolves them from ``columns``)."""
    chosen = {role: roles.get(role, defaults[role]) for role in wanted}
    return {column for column in chosen.values() if column}


def _rising(on_progress: Callable[[float], None] | None) -> Callable[[float], None] | None:
    """``on_progress`` told only of progress that rises (a re-read after a fallback restarts)."""
    if on_progress is None:
        return None
    top = [0.0]

    def tell(fraction: float) -> None:
        if fraction > top[0]:
            top[0] = fraction
            on_progress(fraction)

    return tell


_CHUNK_ROWS: Final = 500_000
"""Rows per chunk when neither ``chunk_rows`` nor ``memory`` is given."""

BYTES_PER_ROW: Final = 500
"""The documented peak cost of one row of a chunk, in bytes: Arrow's copy of the row, the journeys
built from it, the sort and the model's per-touch arrays. Measured at 170 to 260 bytes a row on a
five-column event CSV (about 60 bytes of text a row); 500 leaves room for wider rows."""

BASE_BYTES: Final = 200_000_000
"""The documented memory of the process besides its chunk: Python, numpy, pyarrow and journeykit
(about 125 MB), the slab of CSV text being parsed, allocator slack, and the statistics and
roll-ups carried between chunks (measured at 190 MB in all with 20,000-row chunks)."""

_MIN_CHUNK_ROWS: Final = 10_000
"""The fewest rows a ``memory`` budget may leave for a chunk (smaller chunks are all overhead)."""

_UNITS: Final = {
    "": 1,
    "b": 1,
    "kb": 10**3,
    "mb": 10**6,
    "gb": 10**9,
    "tb": 10**12,
    "kib": 2**10,
    "mib": 2**20,
    "gib": 2**30,
    "tib": 2**40,
}
_SIZE = re.compile(r"\s*(\d+(?:\.\d*)?|\.\d+)\s*([a-z]*)\s*", re.IGNORECASE)


def memory_bytes(memory: int | str) -> int:
    """A memory size in bytes: a whole number of bytes, or text such as ``"1GB"`` or ``"512 MiB"``.

    Units (any case): B, kB, MB, GB, TB (powers of 1000) and KiB, MiB, GiB, TiB (powers of 1024).

    Raises
    ------
    ParameterError
        For anything else, naming the value and the units there are.

    Examples
    --------
    >>> memory_bytes("1GB"), memory_bytes("1.5 GiB"), memory_bytes(2_000_000)
    (1000000000, 1610612736, 2000000)
    """
    if isinstance(memory, int) and not isinstance(memory, bool):
        if memory >= 1:
            return memory
    elif isinstance(memory, str):
        match = _SIZE.fullmatch(memory)
        if match is not None and match[2].lower() in _UNITS:
            size = int(float(match[1]) * _UNITS[match[2].lower()])
            if size >= 1:
                return size
    msg = (
        f"memory takes a size such as 1GB or 512MiB, or a number of bytes >= 1 (got {memory!r}; "
        "units: B, kB, MB, GB, TB, KiB, MiB, GiB, TiB)"
    )
    raise ParameterError(msg)


def rows_for_memory(memory: int | str) -> int:
    """The chunk size a memory budget allows: ``(memory - BASE_BYTES) // BYTES_PER_ROW`` rows.

    Raises
    ------
    ParameterError
        For a budget that is not a size (see :func:`memory_bytes`) or that leaves fewer than
        10,000 rows for a chunk, naming the smallest budget that works.

    Examples
    --------
    >>> rows_for_memory("1GB")
    1600000
    """
    size = memory_bytes(memory)
    rows = (size - BASE_BYTES) // BYTES_PER_ROW
    if rows < _MIN_CHUNK_ROWS:
        least = (BASE_BYTES + _MIN_CHUNK_ROWS * BYTES_PER_ROW) / 10**6
        msg = (
            f"memory={memory!r} is too little to attribute a file: the process needs about "
            f"{BASE_BYTES // 10**6} MB before any chunk; give at least {least:.0f}MB"
        )
        raise ParameterError(msg)
    return int(rows)


def _chunk_rows(chunk_rows: int | None, memory: int | str | None) -> int:
    """Rows per chunk, from ``chunk_rows`` or ``memory`` (not both), else the default."""
    if chunk_rows is not None and memory is not None:
        msg = "give chunk_rows or memory, not both (memory chooses the chunk size)"
        raise ParameterError(msg)
    if memory is not None:
        return rows_for_memory(memory)
    if chunk_rows is None:
        return _CHUNK_ROWS
    if isinstance(chunk_rows, bool) or not isinstance(chunk_rows, int) or chunk_rows < 1:
        msg = f"chunk_rows must be a whole number >= 1 (got {chunk_rows!r})"
        raise ParameterError(msg)
    return chunk_rows


def _has_arrow() -> bool:
    try:
        import pyarrow.csv  # noqa: F401, PLC0415  # optional speed-up
    except ImportError:
        return False
    return True


def _parquet_tables(path: Path, chunk_rows: int, tell: Callable[[float], None]) -> Iterator[Any]:
    """A Parquet file in Arrow tables of at most ``chunk_rows`` rows."""
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


def _plain_csv_tables(path: Path, chunk_rows: int, tell: Callable[[float], None]) -> Iterator[Any]:
    """A CSV file in dicts of text columns, read with the standard library (no pyarrow)."""
    for header, rows in csv_rows(path, chunk_rows=chunk_rows, progress=tell):
        if rows:
            yield {name: [row[i] for row in rows] for i, name in enumerate(header)}
    tell(1.0)


_SLAB_BYTES: Final = 2 << 20
"""Bytes of CSV text parsed at a time (Arrow's streaming reader would read the whole file ahead)."""


class _ArrowGaveUp(Exception):  # noqa: N818  # control flow, never seen by a caller
    """Arrow cannot read this file by the CSV rules: read it again with the plain reader."""


def _arrow_csv_tables(
    path: Path,
    chunk_rows: int,
    tell: Callable[[float], None],
    numeric: Collection[str],
    inferred: Collection[str],
) -> Iterator[Any]:
    """A CSV file in Arrow tables of ``chunk_rows`` rows, parsed by Arrow a slab at a time.

    The columns in ``numeric`` are read as float64, those in ``inferred`` (times) as Arrow infers
    them from the first slab, and all others as text (IDs and labels stay text, and a sparse
    column cannot change type between slabs). Whatever the CSV rules refuse, or Arrow cannot
    read, raises :class:`_ArrowGaveUp`, so the caller re-reads with the plain reader, which names
    the row at fault.
    """
    import pyarrow as pa  # noqa: PLC0415
    import pyarrow.csv as pa_csv  # noqa: PLC0415

    failures = (OSError, ValueError, EOFError, lzma.LZMAError, pa.ArrowException)
    size = max(path.stat().st_size, 1)
    # As the whole-file reader: an empty cell is missing; "NA" or "null" is text.
    parse = pa_csv.ParseOptions(newlines_in_values=True)
    names: list[str] = []
    stripped: list[str] = []
    read = pa_csv.ReadOptions()
    convert = pa_csv.ConvertOptions()
    pending: list[Any] = []
    held = parsed = 0  # rows waiting for a chunk, rows parsed
    with open_bytes(path) as raw:
        try:
            for slab in _slabs(raw):
                if not names:  # the header: the types of every slab, the names of the next
                    names = pa_csv.open_csv(pa.py_buffer(slab), parse_options=parse).schema.names
                    check_header(names, str(path))
                    stripped = [name.strip() for name in names]
                    types = {
                        raw: pa.float64() if name in numeric else pa.string()
                        for raw, name in zip(names, stripped, strict=True)
                        if name not in inferred
                    }
                    convert = pa_csv.ConvertOptions(
                        column_types=types, null_values=[""], strings_can_be_null=True
                    )
                table = pa_csv.read_csv(
                    pa.py_buffer(slab), read, parse_options=parse, convert_options=convert
                )
                read = pa_csv.ReadOptions(column_names=names)  # the header is read
                if table.num_rows and not parsed:  # what the first rows inferred holds for all
                    convert.column_types = dict(zip(names, table.schema.types, strict=True))
                if bad_text(table):  # not UTF-8, or a NUL: the plain reader names the row
                    raise _ArrowGaveUp
                pending.extend(table.to_batches())
                held += table.num_rows
                parsed += table.num_rows
                if held < chunk_rows:
                    continue
                table, start = pa.Table.from_batches(pending), 0
                while held - start >= chunk_rows:
                    yield table.slice(start, chunk_rows).rename_columns(stripped)
                    start += chunk_rows
                    done = parsed - held + start  # rows handed out, of those read so far
                    tell(min(_compressed_offset(raw) / size, 1.0) * done / parsed)
                pending, held = table.slice(start).to_batches(), held - start
        except failures:
            raise _ArrowGaveUp from None
    if not names:
        raise _ArrowGaveUp  # an empty file: the plain reader says so
    if held:
        yield pa.Table.from_batches(pending).rename_columns(stripped)
    tell(1.0)


def _slabs(raw: IO[bytes]) -> Iterator[bytes]:
    """The bytes of a CSV file in slabs of about :data:`_SLAB_BYTES`, each ending a row.

    A slab ends at a newline outside quotes: with quotes escaped by doubling them, a newline is
    outside quotes when an even number of quote characters comes before it in the slab (every
    slab starts outside quotes).
    """
    buffer = b""
    while True:
        block = raw.read(_SLAB_BYTES)
        if not block:
            if buffer:
                yield buffer
            return
        buffer += block
        cut = buffer.rfind(b"\n")
        quotes = buffer.count(b'"', 0, cut) if cut >= 0 else 0
        while cut >= 0 and quotes % 2:
            earlier = buffer.rfind(b"\n", 0, cut)
            quotes -= buffer.count(b'"', max(earlier, 0), cut)
            cut = earlier
        if cut >= 0:  # else one row is longer than a slab: read on
            yield buffer[: cut + 1]
            buffer = buffer[cut + 1 :]


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

    It remembers one ID per journey (not per row). For Arrow tables, a 64-bit fingerprint of
    every ID seen is kept sorted, so each chunk is checked in time that grows with the chunk,
    not with the file; a fingerprint seen before is confirmed against the IDs themselves (kept as
    compact Arrow arrays), so a collision never raises. Plain rows use a set.
    """

    def __init__(self, column: str) -> None:
        self.column = column
        self.offset = 0
        self.seen_arrays: list[Any] = []
        self.seen_prints: NDArray[np.uint64] = np.zeros(0, dtype=np.uint64)
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
        prints = np.sort(_fingerprints(runs))
        clash = np.zeros(len(runs), dtype=np.bool_)
        if self.seen_prints.size:
            at = np.minimum(np.searchsorted(self.seen_prints, prints), self.seen_prints.size - 1)
            if np.any(self.seen_prints[at] == prints):  # maybe seen: ask the IDs themselves
                for seen in self.seen_arrays:
                    clash |= np.asarray(
                        pc.is_in(runs, value_set=seen).to_numpy(zero_copy_only=False),
                        dtype=np.bool_,
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
        # Two sorted runs: the stable sort (timsort) merges them in linear time.
        self.seen_prints = np.sort(np.concatenate([self.seen_prints, prints]), kind="stable")


_MIX: Final = (
    np.uint64(0x9E3779B97F4A7C15),
    np.uint64(0xBF58476D1CE4E5B9),
    np.uint64(0x94D049BB133111EB),
)


def _fingerprints(values: Any) -> NDArray[np.uint64]:
    """A 64-bit fingerprint of each value of an Arrow array (equal values, equal fingerprints).

    Each value's bytes as text (or binary) are folded into a polynomial hash, vectorised over
    Arrow's buffers, then mixed (splitmix64) so that similar IDs spread apart.
    """
    import pyarrow as pa  # noqa: PLC0415

    binary = pa.types.is_binary(values.type) or pa.types.is_large_binary(values.type)
    wide = pa.concat_arrays([values.cast(pa.large_binary() if binary else pa.large_string())])
    _, offsets_buffer, data_buffer = wide.buffers()
    offsets = np.frombuffer(offsets_buffer, dtype=np.int64)[: len(wide) + 1]
    data = np.frombuffer(data_buffer, dtype=np.uint8) if data_buffer is not None else None
    lengths = np.diff(offsets).astype(np.uint64)
    with np.errstate(over="ignore"):
        folded = lengths * _MIX[0]
        if data is not None and offsets[-1] > offsets[0]:
            text = data[offsets[0] : offsets[-1]].astype(np.uint64) + np.uint64(1)
            starts = offsets[:-1] - offsets[0]
            place = np.arange(text.size) - np.repeat(starts, lengths.astype(np.int64))
            powers = np.cumprod(np.full(int(lengths.max()), _MIX[1], dtype=np.uint64))
            terms = np.append(text * powers[place], np.uint64(0))  # ends empty tail strings
            sums = np.add.reduceat(terms, starts)
            folded += np.where(lengths > 0, sums, np.uint64(0))
        folded ^= np.asarray(wide.is_null(), dtype=np.uint64) * _MIX[2]
        folded ^= folded >> np.uint64(30)
        folded *= _MIX[1]
        folded ^= folded >> np.uint64(27)
        folded *= _MIX[2]
        folded ^= folded >> np.uint64(31)
    return np.asarray(folded, dtype=np.uint64)


def _slice(table: Any, start: int, stop: int) -> Any:
    if isinstance(table, dict):
        return {name: values[start:stop] for name, values in table.items()}
    return table.slice(start, stop - start)


def _concat(first: Any, second: Any) -> Any:
    if isinstance(first, dict):
        return {name: first[name] + second[name] for name in first}
    import pyarrow as pa  # noqa: PLC0415

    return pa.concat_tables([first, second])
