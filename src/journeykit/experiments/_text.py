"""Text columns of millions of rows without Python strings: fingerprints, labels of rows.

A column is a numpy array of text (fixed-width ``U`` or ``S``, or objects) or an Arrow string
array (what pandas' and polars' string columns hold): the frames' columns are read from their
Arrow buffers, never turned into ten million Python strings.
"""

from __future__ import annotations

import itertools
from typing import Any, Final

import numpy as np
from numpy.typing import NDArray

__all__ = ["Text", "duplicates", "fingerprint", "text_at", "text_of"]

Text = Any  # a 1-D numpy array or a pyarrow (Large)StringArray: numpy cannot type the union

_ROWS: Final = 1 << 16  # rows fingerprinted at once: the temporaries stay in the CPU cache
_ALL: Final = np.uint64(0xFFFFFFFFFFFFFFFF)
_MASKS: Final = np.array([(1 << (8 * i)) - 1 for i in range(8)] + [_ALL], dtype=np.uint64)
_KEY0: Final = np.uint64(0x9E3779B97F4A7C15)


def _mix(h: NDArray[np.uint64]) -> NDArray[np.uint64]:
    """splitmix64's finaliser, in place."""
    h ^= h >> np.uint64(30)
    h *= np.uint64(0xBF58476D1CE4E5B9)
    h ^= h >> np.uint64(27)
    h *= np.uint64(0x94D049BB133111EB)
    h ^= h >> np.uint64(31)
    return h


def _word_keys(words: int) -> NDArray[np.uint64]:
    keys = np.arange(1, words + 1, dtype=np.uint64) * _KEY0
    return _mix(keys) | np.uint64(1)


def _arrow_buffers(column: Any) -> tuple[NDArray[np.uint8], NDArray[np.int64], NDArray[np.int64]]:
    """An Arrow string array's bytes, and each row's start and length in them."""
    _, offsets_buffer, data = column.buffers()
    wide = str(column.type) == "large_string"
    stored = np.frombuffer(offsets_buffer, dtype=np.int64 if wide else np.int32)
    offsets = stored[column.offset : column.offset + len(column) + 1].astype(np.int64)
    raw = np.frombuffer(data, dtype=np.uint8) if data is not None else np.zeros(0, np.uint8)
    return raw, offsets[:-1], np.diff(offsets)


def _fixed_width(values: NDArray[Any]) -> NDArray[np.uint64]:
    """Fingerprints of a fixed-width numpy text array: each row is whole 64-bit words."""
    values = np.ascontiguousarray(values if values.dtype.kind in "US" else values.astype(str))
    width = values.dtype.itemsize  # equal IDs have equal padding: hash every byte
    words = max(1, -(-width // 8))
    keys = _word_keys(words)
    out = np.full(values.size, (width * int(_KEY0)) % (1 << 64), dtype=np.uint64)
    rows = values.view(np.uint8).reshape(values.size, width)
    padded = np.zeros((min(_ROWS, values.size), words * 8), dtype=np.uint8)
    for start in range(0, values.size, _ROWS):
        part = rows[start : start + _ROWS]
        block = padded[: part.shape[0]]
        block[:, :width] = part  # the tail bytes of a word past the width stay 0
        lanes = block.view("<u8")
        h = out[start : start + part.shape[0]]
        for k in range(words):
            h += lanes[:, k] * keys[k]
    return _mix(out)


def fingerprint(column: Text) -> NDArray[np.uint64]:
    """A 64-bit fingerprint of each row's text, read eight bytes at a time.

    Equal texts of one column get equal fingerprints; different texts collide with probability
    about 2**-64 per pair, so callers that must be exact confirm equal fingerprints on the texts.
    Unlike :func:`~journeykit.experiments._design.unit_hash` (which assignment keeps stable
    across versions and storage), it depends on how the column stores its text.

    Examples
    --------
    >>> import numpy as np
    >>> h = fingerprint(np.array(["acct-1", "acct-22", "acct-1"]))
    >>> bool(h[0] == h[2]), bool(h[0] == h[1])
    (True, False)
    """
    if isinstance(column, np.ndarray):
        return _fixed_width(column.reshape(-1))
    raw, starts, lengths = _arrow_buffers(column)
    padded = np.concatenate([raw, np.zeros(8, np.uint8)])
    # an overlapping view: element i is the 8 bytes that start at byte i (unaligned loads)
    words = np.ndarray((raw.size + 1,), dtype="<u8", buffer=padded, strides=(1,))
    out = lengths.astype(np.uint64) * _KEY0
    longest = int(lengths.max()) if lengths.size else 0
    keys = _word_keys(max(1, -(-longest // 8)))
    for start in range(0, starts.size, _ROWS):
        begin, left = starts[start : start + _ROWS], lengths[start : start + _ROWS]
        h = out[start : start + _ROWS]
        for k, key in enumerate(keys):
            remaining = np.clip(left - 8 * k, 0, 8)
            if not remaining.any():
                break
            word = words[np.minimum(begin + 8 * k, raw.size)] & _MASKS[remaining]
            h += word * key
    return _mix(out)


def text_at(column: Text, row: int) -> str:
    """Row ``row`` of a column as a Python string."""
    value = column[row]
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    if hasattr(value, "as_py"):  # an Arrow scalar
        return str(value.as_py())
    return str(value)


def duplicates(column: Text, h: NDArray[np.uint64]) -> list[tuple[int, int]]:
    """Pairs of rows holding the same text (found through the hashes, confirmed on the texts)."""
    ordered = np.sort(h)
    repeated = ordered[1:][ordered[1:] == ordered[:-1]]
    if not repeated.size:  # the common case costs one sort of 64-bit integers
        return []
    rows = np.flatnonzero(np.isin(h, repeated))
    rows = rows[np.argsort(h[rows], kind="stable")]
    return [
        (int(a), int(b))
        for a, b in itertools.pairwise(rows)
        if h[a] == h[b] and text_at(column, int(a)) == text_at(column, int(b))
    ]


def text_of(series: Any) -> Text | None:
    """A narwhals series' Arrow string array, or None (not text, nulls, or no pyarrow)."""
    import narwhals.stable.v2 as nw  # noqa: PLC0415  # frames are optional

    if series.dtype != nw.String:
        return None
    try:
        array = series.to_arrow()
    except (ImportError, ModuleNotFoundError):  # pyarrow is optional: numpy then
        return None
    if hasattr(array, "combine_chunks"):
        array = array.combine_chunks()
    if array.null_count or str(array.type) not in ("string", "large_string"):
        return None
    return array
