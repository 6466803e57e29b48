"""The ``journeykit`` command."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from journeykit._version import __version__

__all__ = ["main"]


def _demo(_args: argparse.Namespace) -> int:
    from journeykit.datasets import example_records  # noqa: PLC0415  # keep --help fast

    records = example_records()
    print(f"journeykit {__version__}: example B2B world {records!r}\n")
    for account in records.accounts:
        deals = records.deals_of_account(account.id)
        outcome = (
            ", ".join(f"{d.id} {d.outcome.value} {d.value:,.0f} {d.currency}" for d in deals)
            or "no deal"
        )
        print(f"{account.name} ({account.segment}): {outcome}")
        for touch in records.touches_of_account(account.id):
            who = records.buyer(touch.buyer).name or touch.buyer
            print(
                f"  {touch.time:%Y-%m-%d}  {who:<5} {touch.channel:<15} "
                f"{touch.reach.value:<11} {touch.team.value}"
            )
    return 0


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
        description="Print the bundled example B2B world: accounts, deals and their journeys.",
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
