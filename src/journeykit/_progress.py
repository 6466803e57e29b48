"""A progress line for long steps of the command: shown on a terminal only, never in a pipe."""

from __future__ import annotations

import itertools
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TextIO

__all__ = ["progress"]

_FRAMES = "|/-\\"


@contextmanager
def progress(label: str, *, stream: TextIO | None = None, every: float = 0.1) -> Iterator[None]:
    """Show ``label``, a spinner and the seconds elapsed while the block runs.

    Nothing is written unless ``stream`` (standard error by default) is a terminal, so output
    redirected to files or pipes stays clean. The line is erased when the block ends.
    """
    out = sys.stderr if stream is None else stream
    if not out.isatty():
        yield
        return
    done = threading.Event()
    start = time.perf_counter()

    def spin() -> None:
        for frame in itertools.cycle(_FRAMES):
            out.write(f"\r{frame} {label} {time.perf_counter() - start:5.1f}s")
            out.flush()
            if done.wait(every):
                break

    worker = threading.Thread(target=spin, daemon=True)
    worker.start()
    try:
        yield
    finally:
        done.set()
        worker.join()
        out.write("\r" + " " * (len(label) + 10) + "\r")
        out.flush()
