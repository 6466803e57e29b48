"""A progress line for long steps of the command: shown on a terminal only, never in a pipe."""

from __future__ import annotations

import itertools
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TextIO

__all__ = ["Progress", "progress"]

_FRAMES = "|/-\\"
_WIDTH = 24


class Progress:
    """What a running step reports: the fraction done, once it is known."""

    def __init__(self) -> None:
        self.fraction: float | None = None

    def update(self, fraction: float) -> None:
        """Set the fraction of the step done (clipped to 0..1)."""
        self.fraction = min(max(fraction, 0.0), 1.0)

    def render(self, label: str, frame: str, seconds: float) -> str:
        """A bar when the fraction is known, else a spinner; with the seconds elapsed."""
        if self.fraction is None:
            return f"{frame} {label} {seconds:5.1f}s"
        filled = round(self.fraction * _WIDTH)
        bar = "#" * filled + "-" * (_WIDTH - filled)
        return f"[{bar}] {self.fraction:4.0%} {label} {seconds:5.1f}s"


@contextmanager
def progress(label: str, *, stream: TextIO | None = None, every: float = 0.1) -> Iterator[Progress]:
    """Show ``label`` with a bar (after ``update``) or a spinner, and the seconds elapsed.

    Nothing is written unless ``stream`` (standard error by default) is a terminal, so output
    redirected to files or pipes stays clean. The line is erased when the block ends.
    """
    out = sys.stderr if stream is None else stream
    state = Progress()
    if not out.isatty():
        yield state
        return
    done = threading.Event()
    start = time.perf_counter()
    widest = 0

    def draw() -> None:
        nonlocal widest
        for frame in itertools.cycle(_FRAMES):
            line = state.render(label, frame, time.perf_counter() - start)
            widest = max(widest, len(line))
            out.write("\r" + line.ljust(widest))
            out.flush()
            if done.wait(every):
                break

    worker = threading.Thread(target=draw, daemon=True)
    worker.start()
    try:
        yield state
    finally:
        done.set()
        worker.join()
        out.write("\r" + " " * widest + "\r")
        out.flush()
