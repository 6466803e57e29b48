"""Data frames out: every result's ``to_frame(backend=...)`` builds its frame here (narwhals).

The bottom layer: results of every kind (attribution, analytics, datasets) import it, and it
imports no journeykit module but the errors. narwhals (and the backend) load only when a frame is
built.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray

from journeykit._choices import choose

__all__ = ["BACKENDS", "Backend", "to_frame"]

Backend = Literal["pandas", "polars", "pyarrow"]
BACKENDS: tuple[Backend, ...] = ("pandas", "polars", "pyarrow")


def to_frame(data: Mapping[str, Sequence[Any] | NDArray[Any]], backend: Backend) -> Any:
    """A data frame of ``backend`` ("pandas", "polars" or "pyarrow") from columns.

    Examples
    --------
    >>> to_frame({"channel": ["a", "b"], "credit": [1.5, 0.5]}, "pyarrow").num_rows
    2
    >>> to_frame({"channel": ["a"]}, "arrow")
    Traceback (most recent call last):
    ...
    journeykit.errors.ParameterError: backend must be one of 'pandas', 'polars' or 'pyarrow' ...
    """
    choose(backend, Backend, "backend")
    import narwhals.stable.v2 as nw  # noqa: PLC0415  # frames are optional

    columns = {
        name: list(values) if not isinstance(values, np.ndarray) else values
        for name, values in data.items()
    }
    return nw.from_dict(columns, backend=backend).to_native()
