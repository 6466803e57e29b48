"""Registered through hypothesis' entry point so ``st.from_type(jk.Touchpoint)`` works."""

from __future__ import annotations

from typing import Any


def _hypothesis_setup_hook() -> None:
    # Hypothesis calls this while it is still importing, and our strategies module imports
    # hypothesis: so register deferred strategies that import it on first use.
    from hypothesis import strategies as st  # noqa: PLC0415

    import journeykit as jk  # noqa: PLC0415

    def lazy(name: str) -> Any:
        def build() -> Any:
            from journeykit.testing import strategies  # noqa: PLC0415

            return getattr(strategies, name)()

        return st.deferred(build)

    for cls, name in (
        (jk.Persona, "personas"),
        (jk.ContentAsset, "content_assets"),
        (jk.Account, "accounts"),
        (jk.Buyer, "buyers"),
        (jk.Touchpoint, "touchpoints"),
        (jk.StageChange, "stage_changes"),
        (jk.Deal, "deals"),
        (jk.Records, "records"),
    ):
        st.register_type_strategy(cls, lazy(name))
