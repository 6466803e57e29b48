"""How a roll-up key or label reads as text: the one formatter for reprs, tables and figures."""

from __future__ import annotations

from typing import Any

__all__ = ["label_text"]


def label_text(label: Any, *, sep: str = ", ", missing: str = "(none)") -> str:
    """A label (or a dimension) as text: a tuple's parts joined by ``sep``, ``None`` as ``missing``.

    Examples
    --------
    >>> label_text(("sales", None)), label_text(("team", "channel"), sep=","), label_text("ad")
    ('sales, (none)', 'team,channel', 'ad')
    """
    if isinstance(label, tuple):
        return sep.join(label_text(part, sep=sep, missing=missing) for part in label)
    return missing if label is None else str(label)
