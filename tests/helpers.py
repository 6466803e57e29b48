"""Small builders for hand-written test data."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

T0 = datetime(2024, 1, 1, tzinfo=UTC)


def day(n: float) -> datetime:
    """``n`` days after 2024-01-01 UTC."""
    return T0 + timedelta(days=n)
