"""The ``journeykit`` command: ``demo``, ``attribute``, ``compare`` and ``graph``."""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import re
import sys
import traceback
from collections.abc import Callable, Mapping, Sequence
from datetime import timedelta
from pathlib import Path
from typing import Any

from journeykit._labels import label_text
from journeykit._version import __version__
from journeykit.errors import JourneykitError

__all__ = ["main"]

_DEMO_MODELS = (
    "first_touch",
    "last_touch",
    "linear",
    "time_decay",
    "position_based",
    "w_shaped",
    "markov",
    "shapley",
)
_EVENT_COLUMNS = (
    *("journey", "time", "channel", "converted", "value", "team", "reach", "asset"),
    *("campaign", "persona", "buyer", "account", "cost", "milestone"),
)
_PATH_COLUMNS = ("path", "conversions", "value", "nulls", "sep")
_DURATION = re.compile(r"(\d+(?:\.\d+)?)([dhms])")
_UNITS = {"d": "days", "h": "hours", "m": "minutes", "s": "seconds"}


_BUG_STATUS = 70  # EX_SOFTWARE in sysexits.h: an internal error


class CommandError(JourneykitError):
    """A problem with the user's arguments or files: reported in one line, exit status 2."""


# -- demo -------------------------------------------------------------------------------------


def _demo(args: argparse.Namespace) -> int:
    import journeykit as jk  # noqa: PLC0415  # keep --help fast
    from journeykit._progress import progress  # noqa: PLC0415
    from journeykit.datasets.accuracy import score  # noqa: PLC0415
    from journeykit.datasets.demo import DEMO_ACCOUNTS, DEMO_SEED  # noqa: PLC0415
    from journeykit.report import share_table  # noqa: PLC0415

    with progress("loading the demo world"):
        demo = jk.datasets.load_demo()
        journeys = jk.assemble(demo.records)
    print(
        f"journeykit {__version__}: bundled demo, simulate(n_accounts={DEMO_ACCOUNTS}, "
        f"seed={DEMO_SEED})\n{demo.records!r}\n{journeys!r}\n"
    )
    with progress("attributing"):
        comparison = jk.compare(journeys, list(_DEMO_MODELS))
    truth = demo.truth.shares()
    shares = share_table(comparison, truth)
    print("Share of won value credited to each channel by each model, beside the true share")
    print("(the value lost when that channel is switched off in the simulation, normalised):")
    print(_text_table("channel", shares, percent=True))
    scores = {m: score(r.by("channel", measure="value"), demo.truth) for m, r in comparison.items()}
    print("mean absolute error: " + ", ".join(f"{m} {e:.1%}" for m, (e, _) in scores.items()))
    print("rank correlation:    " + ", ".join(f"{m} {r:.2f}" for m, (_, r) in scores.items()))
    chosen = (
        comparison[args.model] if args.model in comparison else jk.attribute(journeys, args.model)
    )
    split = jk.analytics.split(chosen, measure="value")
    handoff = jk.analytics.handoff(journeys, chosen)
    diagnosis = jk.analytics.diagnose(demo.records, by="segment")
    print(f"\nMarketing vs sales ({chosen.name}):\n  {split!r}")
    print(f"\nHandoff:\n  {handoff!r}")
    print(f"\n{diagnosis!r}")
    # Marketing is forever: the same world two years on, with renewals and expansions.
    life = jk.datasets.simulate_lifecycle(demo.records, seed=demo.seed, ground_truth=False)
    repeat = jk.attribute(jk.assemble(life.records), args.model)
    print(
        f"\nNew vs expansion and renewal ({repeat.name}, two simulated years after the first "
        f"wins):\n  {jk.analytics.lifecycle_split(repeat, life.records)!r}"
    )
    if args.out is not None:
        try:
            from journeykit.report import write_report  # noqa: PLC0415

            with progress("drawing the report"):
                page = write_report(
                    args.out,
                    title="journeykit demo: which touches won the deals?",
                    comparison=comparison,
                    split=split,
                    handoff=handoff,
                    funnel=jk.analytics.funnel(demo.records, by="segment"),
                    diagnosis=diagnosis,
                    truth=truth,
                )
        except ImportError as exc:
            msg = f'--out needs matplotlib ({exc}); pip install "journeykit[plot]"'
            raise CommandError(msg) from None
        print(f"\nwrote {page} and its figures")
    return 0


# -- attribute and compare --------------------------------------------------------------------


def _read(args: argparse.Namespace) -> Any:
    from journeykit._progress import progress  # noqa: PLC0415
    from journeykit.io.files import read_journeys  # noqa: PLC0415

    columns, sep = _columns(args)
    with progress(f"reading {args.file}"):
        return read_journeys(args.file, input=args.input, columns=columns, tz=args.tz, sep=sep)


def _columns(args: argparse.Namespace) -> tuple[dict[str, Any], str]:
    """The readers' ``columns`` (role -> column, extra columns as themselves) and path ``sep``."""
    from journeykit.io.files import file_kind  # noqa: PLC0415

    kind = file_kind(args.file, args.input)
    names = _PATH_COLUMNS if kind == "paths" else _EVENT_COLUMNS
    chosen = {n: getattr(args, f"col_{n}") for n in names if getattr(args, f"col_{n}") is not None}
    wrong = [
        n
        for n in vars(args)
        if n.startswith("col_") and getattr(args, n) is not None and n[4:] not in names
    ]
    if wrong:
        options = ", ".join("--" + n[4:].replace("_", "-") for n in wrong)
        raise CommandError(f"{options} do not apply to a file of {kind}")
    if args.columns and kind == "events":
        chosen.update({name: name for name in args.columns})  # extra columns carried as they are
    sep = chosen.pop("sep", ">")
    return chosen, sep


def _keys(values: Sequence[str] | None) -> list[str | tuple[str, ...]]:
    keys: list[str | tuple[str, ...]] = []
    for value in values or ["channel"]:
        parts = tuple(p.strip() for p in value.split(",") if p.strip())
        keys.append(parts[0] if len(parts) == 1 else parts)
    return keys


def _param(text: str) -> tuple[str, Any]:
    name, sep, raw = text.partition("=")
    if not sep or not name:
        raise CommandError(f"--param takes NAME=VALUE (got {text!r})")
    value: Any
    if raw.lower() in ("true", "false"):
        value = raw.lower() == "true"
    elif (match := _DURATION.fullmatch(raw)) is not None:
        value = timedelta(**{_UNITS[match.group(2)]: float(match.group(1))})
    else:
        try:
            value = int(raw)
        except ValueError:
            try:
                value = float(raw)
            except ValueError:
                value = raw
    return name.strip(), value


def _attribute(args: argparse.Namespace) -> int:
    import journeykit as jk  # noqa: PLC0415
    from journeykit._progress import progress  # noqa: PLC0415

    params = dict(_param(p) for p in args.param or [])
    keys = _keys(args.by)
    result: Any
    if args.chunk_rows:
        columns, sep = _columns(args)
        with progress(f"attributing {args.file} in chunks") as shown:
            result = jk.attribute_file(
                args.file,
                args.model,
                input=args.input,
                dimensions=keys,
                chunk_rows=args.chunk_rows,
                tz=args.tz,
                columns=columns,
                sep=sep,
                on_progress=shown.update,
                **params,
            )
    else:
        journeys = _read(args)
        with progress(f"fitting {args.model}"):
            result = jk.attribute(journeys, args.model, **params)
    tables = {key: _both_measures(result, key) for key in keys}
    _emit(args.format, tables, meta={"model": result.name, "file": str(args.file)})
    return 0


def _both_measures(result: Any, key: Any) -> dict[Any, dict[str, float]]:
    """``{label: {"conversions": c, "value": v}}``: one roll-up per measure, not one per label."""
    value = result.by(key, measure="value")
    return {
        label: {"conversions": float(conversions), "value": float(value[label])}
        for label, conversions in result.by(key, measure="conversions").items()
    }


def _compare(args: argparse.Namespace) -> int:
    import journeykit as jk  # noqa: PLC0415
    from journeykit._progress import progress  # noqa: PLC0415

    models = [m.strip() for m in args.models.split(",") if m.strip()]
    if not models:
        raise CommandError("--models needs at least one model name")
    journeys = _read(args)
    with progress("fitting " + ", ".join(models)):
        comparison = jk.compare(journeys, models)
    tables = {key: comparison.table(key, measure=args.measure) for key in _keys(args.by)}
    _emit(args.format, tables, meta={"measure": args.measure, "file": str(args.file)})
    return 0


def _emit(
    fmt: str, tables: Mapping[Any, Mapping[Any, Mapping[str, float]]], meta: dict[str, str]
) -> None:
    """Print ``{dimension: {label: {column: number}}}`` as a table, CSV or JSON."""
    if fmt == "json":
        document = {
            **meta,
            "by": {
                _name(key): [
                    {"label": _json_label(label), **dict(row)} for label, row in rows.items()
                ]
                for key, rows in tables.items()
            },
        }
        print(json.dumps(document, indent=2))
        return
    if fmt == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        columns = list(next(iter(next(iter(tables.values())).values()), {}))
        writer.writerow(["dimension", "label", *columns])
        for key, rows in tables.items():
            for label, row in rows.items():
                writer.writerow([_name(key), _text(label), *(repr(row[c]) for c in columns)])
        sys.stdout.write(buffer.getvalue())
        return
    for i, (key, rows) in enumerate(tables.items()):
        if i:
            print()
        print(_text_table(_name(key), rows))


def _name(key: Any) -> str:
    return label_text(key, sep=",")


def _text(label: Any) -> str:
    return label_text(label, sep=",", missing="")


def _json_label(label: Any) -> Any:
    return list(label) if isinstance(label, tuple) else label


def _text_table(
    title: str, rows: Mapping[Any, Mapping[str, float]], *, percent: bool = False
) -> str:
    columns = list(next(iter(rows.values()), {}))
    labels = [_text(label) for label in rows]
    width = max([len(title), *(len(label) for label in labels)])
    cell = max([12, *(len(c) for c in columns)])

    def number(x: float) -> str:
        return f"{x:.1%}" if percent else f"{x:,.6g}"

    lines = [f"{title:<{width}}" + "".join(f"  {c:>{cell}}" for c in columns)]
    lines += [
        f"{label:<{width}}" + "".join(f"  {number(row[c]):>{cell}}" for c in columns)
        for label, row in zip(labels, rows.values(), strict=True)
    ]
    return "\n".join(lines)


# -- graph ------------------------------------------------------------------------------------


def _graph(args: argparse.Namespace) -> int:
    import networkx as nx  # noqa: PLC0415

    import journeykit as jk  # noqa: PLC0415

    source = Path(args.file)
    graph: Any
    document = _records_document(source)
    if document is not None:
        from journeykit.io.serde import structure  # noqa: PLC0415

        graph = jk.journey_graph(structure(document, jk.Records))
    else:
        graph = jk.transition_graph(_read(args), order=args.order)
    out = Path(args.out)
    if out.suffix.lower() == ".graphml":
        nx.write_graphml(graph, out)
    elif out.suffix.lower() == ".json":
        out.write_text(json.dumps(nx.node_link_data(graph, edges="edges"), default=str))
    else:
        raise CommandError(f"--out must end in .graphml or .json (got {out.name!r})")
    print(f"wrote {out}: {graph.number_of_nodes()} nodes, {graph.number_of_edges()} edges")
    return 0


def _records_document(source: Path) -> dict[str, Any] | None:
    """The document if ``source`` is one JSON object holding records, else ``None``."""
    if source.suffix.lower() != ".json" or not source.is_file():
        return None
    try:
        document = json.loads(source.read_bytes())
    except json.JSONDecodeError:
        return None  # JSON lines: events
    return document if isinstance(document, dict) and "touchpoints" in document else None


# -- the parser -------------------------------------------------------------------------------


def _file_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", type=Path, help="events or paths: .csv, .parquet, .jsonl")
    parser.add_argument(
        "--input",
        choices=("auto", "events", "paths"),
        default="auto",
        help="file kind (default auto: a 'path' column means a path table)",
    )
    parser.add_argument("--tz", help="time zone of naive event times, e.g. UTC or Europe/Paris")
    events = parser.add_argument_group("event columns (defaults as in jk.from_events)")
    for name in _EVENT_COLUMNS:
        if name != "value":
            events.add_argument(f"--{name}", dest=f"col_{name}", metavar="COLUMN")
    events.add_argument(
        "--column",
        dest="columns",
        action="append",
        metavar="COLUMN",
        help="another categorical column to carry (repeatable)",
    )
    paths = parser.add_argument_group("path-table columns (defaults as in jk.read_paths)")
    paths.add_argument("--path", dest="col_path", metavar="COLUMN")
    paths.add_argument("--conversions", dest="col_conversions", metavar="COLUMN")
    paths.add_argument("--nulls", dest="col_nulls", metavar="COLUMN")
    paths.add_argument("--sep", dest="col_sep", metavar="TEXT")
    parser.add_argument(
        "--value", dest="col_value", metavar="COLUMN", help="conversion value column"
    )


def _output_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--by",
        action="append",
        metavar="COLUMN",
        help="roll credit up by a column (repeatable; 'team,channel' for pairs; default: channel)",
    )
    parser.add_argument("--format", choices=("table", "csv", "json"), default="table")


def _parser() -> argparse.ArgumentParser:
    raw = argparse.RawDescriptionHelpFormatter
    parser = argparse.ArgumentParser(
        prog="journeykit",
        description="Typed buyer journeys and exact marketing + sales attribution.",
        epilog="examples:\n  journeykit demo --out report/\n"
        "  journeykit attribute events.csv --model markov --by channel --by team\n"
        "  journeykit compare paths.csv --models last_touch,markov,shapley\n"
        "Errors in arguments or files exit with status 2; an internal error (a bug) prints its\n"
        "traceback and exits with status 70.",
        formatter_class=raw,
    )
    parser.add_argument("--version", action="version", version=f"journeykit {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    demo = commands.add_parser(
        "demo",
        help="compare models on the bundled demo world, whose true answer is known",
        description="Attribute the bundled simulated B2B world with several models, print the "
        "credit by channel beside the ground truth, the marketing vs sales split, the handoff "
        "summary and the diagnosis; with --out, also write figures and an HTML report.",
        epilog="examples:\n  journeykit demo\n  journeykit demo --out demo-report/",
        formatter_class=raw,
    )
    demo.add_argument("--out", type=Path, metavar="DIR", help="write PNG figures and report.html")
    demo.add_argument("--model", default="markov", help="model for the split and handoff")
    demo.set_defaults(run=_demo)

    attribute = commands.add_parser(
        "attribute",
        help="attribute an events or paths file with one model",
        description="Credit each channel (or any column) with the file's conversions and value.",
        epilog="examples:\n"
        "  journeykit attribute events.csv --model linear\n"
        "  journeykit attribute events.parquet --model markov --param order=2 --by channel "
        "--by team,channel --format csv\n"
        "  journeykit attribute paths.csv --model shapley --format json\n"
        "  journeykit attribute events.csv --model time_decay --param half_life=7d\n"
        "  journeykit attribute big.csv --model markov --chunk-rows 1000000   # out of core",
        formatter_class=raw,
    )
    _file_options(attribute)
    attribute.add_argument("--model", required=True, help="a model name (jk.models.available())")
    attribute.add_argument(
        "--param",
        action="append",
        metavar="NAME=VALUE",
        help="model parameter (repeatable); durations as 7d, 12h, 30m, 90s",
    )
    attribute.add_argument(
        "--chunk-rows",
        type=int,
        metavar="N",
        help="stream the file N rows at a time (journeys must be contiguous)",
    )
    _output_options(attribute)
    attribute.set_defaults(run=_attribute)

    compare = commands.add_parser(
        "compare",
        help="attribute a file with several models side by side",
        description="One column per model, one row per label.",
        epilog="examples:\n  journeykit compare events.csv --models first_touch,linear,markov\n"
        "  journeykit compare paths.csv --models markov,shapley --measure value --format csv",
        formatter_class=raw,
    )
    _file_options(compare)
    compare.add_argument("--models", required=True, help="comma-separated model names")
    compare.add_argument("--measure", choices=("conversions", "value"), default="conversions")
    _output_options(compare)
    compare.set_defaults(run=_compare)

    graph = commands.add_parser(
        "graph",
        help="write a journey graph (records JSON) or transition graph (events/paths)",
        description="From a records document (JSON from journeykit.io), the journey graph of "
        "every persona, asset, account, buyer, touch and deal; from an events or paths file, the "
        "Markov transition graph. Written as GraphML or node-link JSON, by --out's suffix.",
        epilog="examples:\n  journeykit graph records.json --out journeys.graphml\n"
        "  journeykit graph events.csv --order 2 --out chain.json",
        formatter_class=raw,
    )
    _file_options(graph)
    graph.add_argument("--out", required=True, type=Path, help="file.graphml or file.json")
    graph.add_argument("--order", type=int, default=1, help="Markov order for event files")
    graph.set_defaults(run=_graph)

    from journeykit._cli_experiment import add_parser  # noqa: PLC0415

    add_parser(commands)
    return parser


def _row_hint(args: argparse.Namespace, message: str) -> str:
    """How the library's row numbers map onto the lines of the user's file."""
    if not re.search(r"\brows? \d", message) or getattr(args, "file", None) is None:
        return ""
    from journeykit.io.files import SUFFIXES  # noqa: PLC0415

    fmt = SUFFIXES.get(Path(args.file).suffix.lower())  # the readers' own formats
    if fmt == "csv":
        return "\n(rows count from 0 after the header: row N is line N + 2 of the file)"
    if fmt == "jsonl":
        return "\n(rows count from 0 over the non-blank lines)"
    return "\n(rows count from 0)"


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``journeykit`` command; returns the exit status.

    0 on success, 2 for bad arguments or files (a :class:`~journeykit.errors.JourneykitError` or an
    ``OSError``, shown in one line), 70 for anything else: a bug, shown with its traceback.
    """
    args = _parser().parse_args(argv)
    run: Callable[[argparse.Namespace], int] = args.run
    try:
        status = run(args)
        sys.stdout.flush()  # a closed pipe shows up here, not at interpreter exit
    except BrokenPipeError:
        # the reader went away (``journeykit demo | head``): stop quietly, as Unix tools do
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 1
    except (JourneykitError, OSError) as exc:
        # What journeykit rejects on purpose, and files it cannot read: the user's to fix.
        message = str(exc)
        print(
            f"journeykit {args.command}: error: {message}{_row_hint(args, message)}",
            file=sys.stderr,
        )
        return 2
    except Exception:  # anything else is a bug: show it whole, ask for a report
        traceback.print_exc()
        print(
            f"journeykit {args.command}: internal error in journeykit {__version__}; this is a "
            "bug: please report it to the journeykit maintainers with the traceback above",
            file=sys.stderr,
        )
        return _BUG_STATUS
    return status


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
