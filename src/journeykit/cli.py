"""The ``journeykit`` command."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import Any

from journeykit._version import __version__

__all__ = ["main"]


def _demo(_args: argparse.Namespace) -> int:
    import journeykit as jk  # noqa: PLC0415  # keep --help fast
    from journeykit.datasets import example_records  # noqa: PLC0415

    records = example_records()
    print(f"journeykit {__version__}: example B2B world {records!r}\n")
    for account in records.accounts:
        deals = records.deals_of_account(account.id)
        outcome = ", ".join(f"{d.id} {d.outcome.value} {d.value:,.0f} {d.currency}" for d in deals)
        print(f"{account.name} ({account.segment}): {outcome or 'no deal'}")
        for touch in records.touches_of_account(account.id):
            who = records.buyer(touch.buyer).name or touch.buyer
            print(
                f"  {touch.time:%Y-%m-%d}  {who:<5} {touch.channel:<15} "
                f"{touch.reach.value:<11} {touch.team.value}"
            )
    journeys = jk.assemble(records)
    print(f"\n{journeys!r}")
    models = ["first_touch", "last_touch", "linear", "time_decay", "position_based", "w_shaped"]
    comparison = jk.compare(journeys, models)
    print("\nWon value credited to each channel (EUR):")
    print(_table(comparison.table(measure="value"), models))
    print("\nWon value by team (EUR):")
    print(_table(comparison.table("team", measure="value"), models))
    return 0


def _table(rows: dict[Any, dict[str, float]], models: list[str]) -> str:
    width = max(len(str(k)) for k in rows)
    lines = [" " * width + "".join(f"  {m:>14}" for m in models)]
    lines += [
        f"{k!s:<{width}}" + "".join(f"  {row[m]:>14,.0f}" for m in models)
        for k, row in rows.items()
    ]
    return "\n".join(lines)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="journeykit",
        description="Typed buyer journeys and exact marketing + sales attribution.",
    )
    parser.add_argument("--version", action="version", version=f"journeykit {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)
    demo = commands.add_parser(
        "demo",
        help="run journeykit on the bundled example data",
        description=(
            "Print the bundled example B2B world (accounts, deals, journeys) and attribute its "
            "won value with several models, by channel and by team."
        ),
        epilog="example: journeykit demo",
    )
    demo.set_defaults(run=_demo)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``journeykit`` command; returns the exit status (2 for bad arguments)."""
    args = _parser().parse_args(argv)
    status: int = args.run(args)
    return status


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
