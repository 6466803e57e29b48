"""The ``journeykit`` command: attribution, the analyses, the demo and the model list.

Commands: ``demo``, ``attribute``, ``compare``, ``graph``, the analyses (``split``, ``handoff``,
``funnel``, ``diagnose``, ``paths``) and ``models``.

Every command writes its whole output at the end (to standard output or, atomically, to
``-o FILE``), so an interrupted or failed run leaves nothing half-written.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import math
import os
import re
import signal
import sys
import tempfile
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
    "hazard",
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

    jk.models.get(args.model)  # a misspelled model fails now, not after the other eight ran
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
        f"wins):\n  {jk.analytics.lifecycle_split(repeat, life.records, measure='value')!r}"
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
                    model=chosen.name,
                )
        except ImportError as exc:
            msg = f'--out needs matplotlib ({exc}); pip install "journeykit[plot]"'
            raise CommandError(msg) from None
        print(f"\nwrote {page} and its figures")
    return 0


# -- attribute and compare --------------------------------------------------------------------


def _read(args: argparse.Namespace) -> Any:
    """The command's journeys: assembled from a records document, else read as events or paths."""
    source = _source(args)
    if _is_records(source):
        return _assemble(args, source)
    return _journeys(args, source)


def _journeys(args: argparse.Namespace, source: Any) -> Any:
    from journeykit._progress import progress  # noqa: PLC0415
    from journeykit.io.files import read_journeys  # noqa: PLC0415

    columns, sep = _columns(args)
    with progress(f"reading {args.file}"):
        return read_journeys(source, input=args.input, columns=columns, tz=args.tz, sep=sep)


def _is_records(source: Any) -> bool:
    if isinstance(source, Path):
        return False  # a file left to the table readers (records documents are parsed early)
    from journeykit.records import Records  # noqa: PLC0415

    return isinstance(source, Records)


def _records(args: argparse.Namespace) -> Any:
    """The command's records: only a records document has accounts, buyers and deals."""
    source = _source(args)
    if not _is_records(source):
        msg = (
            f"{args.file} holds events or paths; this command needs a records document "
            "(the JSON of jk.io.dumps(records))"
        )
        raise CommandError(msg)
    return source


def _assemble(args: argparse.Namespace, records: Any) -> Any:
    import journeykit as jk  # noqa: PLC0415

    lookback = None if args.lookback is None else _duration("--lookback", args.lookback)
    return jk.assemble(records, goal=args.goal, lookback=lookback, rollup=args.rollup)


def _source(args: argparse.Namespace) -> Any:
    """Records (a records document), a table read here (stdin, ``--delimiter``) or the path.

    Read once per run: the analyses that need both journeys and records share it.
    """
    cached = getattr(args, "_source", None)
    if cached is not None:
        return cached
    from journeykit._progress import progress  # noqa: PLC0415

    source: Any
    with progress(f"reading {args.file}"):
        if str(args.file) == "-":
            source = _parse_text(args, sys.stdin.buffer.read())
        else:
            path = Path(args.file)
            document = _records_document(path)
            if document is not None:
                source = _structure_records(document)
            elif args.delimiter != "," and path.suffix.lower() == ".csv":
                source = _csv_columns(path.read_bytes(), args.delimiter, str(path))
            else:
                source = path
    args._source = source  # a per-run cache on the namespace
    return source


def _parse_text(args: argparse.Namespace, data: bytes) -> Any:
    """Standard input: a records document, JSON lines (rows) or delimited text."""
    text = data.decode("utf-8-sig", errors="strict") if data else ""
    start = text.lstrip()[:1]
    if start == "{":
        try:
            document = json.loads(text)
        except json.JSONDecodeError:
            document = None  # JSON lines
        if isinstance(document, dict) and "touchpoints" in document:
            return _structure_records(document)
        lines = text.splitlines()
        args._lines = [n for n, line in enumerate(lines, start=1) if line.strip()]
        return _json_rows(text)
    return _csv_columns(data, args.delimiter, "standard input")


def _structure_records(document: Mapping[str, Any]) -> Any:
    from journeykit.io.serde import structure  # noqa: PLC0415
    from journeykit.records import Records  # noqa: PLC0415

    return structure(document, Records)


def _json_rows(text: str) -> list[dict[str, Any]]:
    """One row per non-blank line; every line that is not a JSON object is named (1-based)."""
    rows: list[dict[str, Any]] = []
    problems: list[str] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            problems.append(f"line {number}: is not JSON ({exc.msg})")
            continue
        if not isinstance(row, dict):
            problems.append(f"line {number}: is not a JSON object")
            continue
        rows.append(row)
    if problems:
        raise CommandError(_listed("standard input", problems))
    return rows


def _csv_columns(data: bytes, delimiter: str, name: str) -> dict[str, list[str]]:
    """Delimited text as text columns (the readers parse them and name bad rows)."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        msg = f"{name} is not UTF-8 text (byte {exc.start})"
        raise CommandError(msg) from None
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    header = next(reader, None)
    if header is None:
        msg = f"{name} is empty: no header line"
        raise CommandError(msg)
    names = [h.strip() for h in header]
    columns: dict[str, list[str]] = {h: [] for h in names}
    problems = []
    for row in reader:
        if not row:
            continue
        if len(row) != len(names):
            problems.append(
                f"line {reader.line_num}: has {len(row)} fields but the header has {len(names)}"
                + (
                    f" (is the delimiter {delimiter!r} right? see --delimiter)"
                    if len(row) == 1
                    else ""
                )
            )
            continue
        for column, cell in zip(names, row, strict=True):
            columns[column].append(cell)
    if problems:
        raise CommandError(_listed(name, problems))
    return columns


def _listed(name: str, problems: Sequence[str]) -> str:
    if len(problems) == 1:
        return f"{name}: {problems[0]}"
    return f"{name}: {len(problems)} problems:\n" + "\n".join(f"  - {p}" for p in problems)


def _columns(args: argparse.Namespace) -> tuple[dict[str, Any], str]:
    """The readers' ``columns`` (role -> column, extra columns as themselves) and path ``sep``."""
    from journeykit.io.files import file_kind  # noqa: PLC0415

    source = _source(args)
    kind = file_kind(source, args.input)
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
    elif _DURATION.fullmatch(raw) is not None:
        value = _duration(f"--param {name}", raw)
    else:
        try:
            value = int(raw)
        except ValueError:
            try:
                value = float(raw)
            except ValueError:
                value = raw
    return name.strip(), value


def _duration(option: str, text: str) -> timedelta:
    """``7d``, ``12h``, ``30m``, ``90s`` as a timedelta; too long or malformed is the user's."""
    match = _DURATION.fullmatch(text.strip())
    if match is None:
        msg = f"{option} takes a duration such as 90d, 12h, 30m or 45s (got {text!r})"
        raise CommandError(msg)
    try:
        return timedelta(**{_UNITS[match.group(2)]: float(match.group(1))})
    except OverflowError:
        msg = f"{option}: {text} is longer than the longest duration (999999999 days)"
        raise CommandError(msg) from None


def _attribute(args: argparse.Namespace) -> int:
    import journeykit as jk  # noqa: PLC0415
    from journeykit._progress import progress  # noqa: PLC0415

    params = dict(_param(p) for p in args.param or [])
    keys = _keys(args.by)
    result: Any
    if args.chunk_rows and args.memory:
        msg = "give --chunk-rows or --memory, not both (--memory chooses the chunk size)"
        raise CommandError(msg)
    if args.chunk_rows or args.memory:
        if str(args.file) == "-" or _is_records(_source(args)):
            option = "--chunk-rows" if args.chunk_rows else "--memory"
            msg = f"{option} streams an events or paths file, not standard input or records"
            raise CommandError(msg)
        columns, sep = _columns(args)
        with progress(f"attributing {args.file} in chunks") as shown:
            result = jk.attribute_file(
                args.file,
                args.model,
                input=args.input,
                dimensions=keys,
                chunk_rows=args.chunk_rows,
                memory=args.memory,
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
    if args.format == "json":  # the attribution document jk.io.dumps writes, roll-ups only
        from journeykit.io.serde import result_document  # noqa: PLC0415

        document = {**result_document(result, by=keys, touches=False), **_meta(args)}
        _out(json.dumps(document, indent=2, allow_nan=False))
        return 0
    tables = {key: _both_measures(result, key) for key in keys}
    _emit(args, tables, meta={})  # a table or CSV: the spec is JSON's alone
    return 0


def _params_of(model: Any) -> dict[str, Any]:
    """The model's parameters as JSON (durations in seconds), as ``jk.io.dumps`` writes them."""
    from journeykit.errors import ModelError  # noqa: PLC0415
    from journeykit.io.serde import unstructure  # noqa: PLC0415

    try:
        params: dict[str, Any] = unstructure(model)["params"]
    except (ModelError, KeyError, TypeError):
        return {}  # a model that is not plain data (a callable parameter) has no spec
    return params


def _meta(args: argparse.Namespace) -> dict[str, Any]:
    """What every JSON document says about its input."""
    from journeykit.io.serde import SCHEMA_VERSION  # noqa: PLC0415

    meta: dict[str, Any] = {"schema_version": SCHEMA_VERSION, "command": args.command}
    if getattr(args, "file", None) is not None:
        meta["file"] = str(args.file)
        if _is_records(_source(args)) and args.command not in ("funnel", "diagnose"):
            meta["goal"] = args.goal
            meta["rollup"] = args.rollup
            meta["lookback"] = args.lookback
    return meta


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
    meta = {
        "measure": args.measure,
        "models": {name: _params_of(result.model) for name, result in comparison.items()},
        **_meta(args),
    }
    _emit(args, tables, meta=meta)
    return 0


def _emit(
    args: argparse.Namespace,
    tables: Mapping[Any, Mapping[Any, Mapping[str, float]]],
    meta: dict[str, Any],
) -> None:
    """Print ``{dimension: {label: {column: number}}}`` as a table, CSV or JSON."""
    fmt = args.format
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
        writer = csv.writer(buffer, delimiter=args.delimiter, lineterminator="\n")
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
        return f"{x:.1%}" if percent else _number(x)

    lines = [f"{title:<{width}}" + "".join(f"  {c:>{cell}}" for c in columns)]
    lines += [
        f"{label:<{width}}" + "".join(f"  {number(row[c]):>{cell}}" for c in columns)
        for label, row in zip(labels, rows.values(), strict=True)
    ]
    return "\n".join(lines)


# -- the analyses: split, handoff, funnel, diagnose, paths, models ------------------------------


def _fit(args: argparse.Namespace, journeys: Any) -> Any:
    import journeykit as jk  # noqa: PLC0415
    from journeykit._progress import progress  # noqa: PLC0415

    params = dict(_param(p) for p in args.param or [])
    with progress(f"fitting {args.model}"):
        return jk.attribute(journeys, args.model, **params)


def _split(args: argparse.Namespace) -> int:
    import journeykit as jk  # noqa: PLC0415

    result = _fit(args, _read(args))
    split = jk.analytics.split(result, measure=args.measure)
    views = {"team": split.by_team, "reach": split.by_reach, "content": split.content}
    rows = [
        {"view": view, "label": label, args.measure: amount, "share": _share(amount, split.total)}
        for view, labels in views.items()
        for label, amount in labels.items()
    ]
    rows.append(
        {
            "view": "content",
            "label": "sales_sent_content",
            args.measure: split.sales_sent_content,
            "share": _share(split.sales_sent_content, split.total),
        }
    )
    meta = {"model": result.name, "params": _params_of(result.model), **_meta(args)}
    _emit_rows(args, rows, meta={**meta, "measure": args.measure, "total": split.total})
    return 0


def _share(part: float, total: float) -> float:
    return part / total if total else 0.0


def _handoff(args: argparse.Namespace) -> int:
    import journeykit as jk  # noqa: PLC0415

    journeys = _read(args)
    result = _fit(args, journeys) if args.model else None
    handoff = jk.analytics.handoff(journeys, result)
    measures = ["by_touches", "by_time", *(["by_credit"] if result is not None else [])]
    rows: list[dict[str, Any]]
    if args.by:
        rows = [
            {"group": label, "measure": measure, **summary}
            for measure in measures
            for label, summary in handoff.by(args.by, measure).items()
        ]
    else:
        rows = [{"measure": m, **handoff.summary(m)} for m in measures]
    meta = _meta(args)
    if result is not None:
        meta = {"model": result.name, "params": _params_of(result.model), **meta}
    meta["with_sales_contact"] = int(handoff.sales_contact.sum())
    _emit_rows(args, rows, meta=meta)
    return 0


def _funnel(args: argparse.Namespace) -> int:
    import journeykit as jk  # noqa: PLC0415
    from journeykit.analytics.funnel import STAGES  # noqa: PLC0415

    funnel = jk.analytics.funnel(_records(args), by=args.by, engaged_touches=args.engaged_touches)
    rows = []
    for label, group in funnel.groups.items():
        for i, (stage, count) in enumerate(zip(STAGES, group.counts, strict=True)):
            last = i == len(group.counts) - 1
            rows.append(
                {
                    "group": label,
                    "stage": stage,
                    "count": count,
                    "rate_to_next": float("nan") if last else group.rates[i],
                    "drop_off": 0 if last else group.drop_off[i],
                    "days_to_next": float("nan") if last else group.days_in_stage[i],
                }
            )
    _emit_rows(args, rows, meta={**_meta(args), "by": args.by})
    return 0


def _diagnose(args: argparse.Namespace) -> int:
    import journeykit as jk  # noqa: PLC0415

    diagnosis = jk.analytics.diagnose(
        _records(args),
        by=args.by,
        tolerance=args.tolerance,
        level=args.level,
        engaged_touches=args.engaged_touches,
    )
    rows = []
    for finding in diagnosis.findings.values():
        row: dict[str, Any] = {
            "group": finding.group,
            "verdict": finding.verdict,
            "stage": finding.stage,
        }
        for name, rate in finding.rates.items():
            row[name] = rate.estimate
            row[f"{name}_low"] = rate.low
            row[f"{name}_high"] = rate.high
            row[f"{name}_benchmark"] = finding.benchmarks[name]
        row["explanation"] = finding.explanation
        rows.append(row)
    if args.format == "table":  # sentences, not a 23-column table
        _out("\n".join(f.explanation for f in diagnosis.findings.values()))
        return 0
    _emit_rows(args, rows, meta={**_meta(args), "by": args.by, "level": args.level})
    return 0


def _paths(args: argparse.Namespace) -> int:
    import numpy as np  # noqa: PLC0415

    journeys = _read(args)
    channel = journeys.columns["channel"]
    offsets = journeys.offsets
    # one key per journey: its channel codes; equal paths share an index for the bincounts below
    codes = channel.codes
    if args.collapse:  # a > a > b is a > b: drop a touch on the same channel as the one before
        keep = np.ones(codes.size, dtype=np.bool_)
        keep[1:] = codes[1:] != codes[:-1]
        keep[offsets[:-1][offsets[:-1] < codes.size]] = True  # every journey keeps its first
        kept = np.concatenate([[0], np.cumsum(keep)])
        codes, offsets = codes[keep], kept[offsets]
    parts = np.split(codes, offsets[1:-1])
    keys = [tuple(part[-args.last :].tolist() if args.last else part.tolist()) for part in parts]
    index: dict[tuple[int, ...], int] = {}
    which = np.fromiter(
        (index.setdefault(k, len(index)) for k in keys), dtype=np.intp, count=len(keys)
    )
    conversions = np.bincount(which, weights=journeys.conversions, minlength=len(index))
    nulls = np.bincount(which, weights=journeys.nulls, minlength=len(index))
    value = np.bincount(which, weights=journeys.value, minlength=len(index))
    total = float(conversions.sum())
    order = np.lexsort((-(conversions + nulls), -conversions))[: args.top]
    paths = list(index)
    rows = [
        {
            "path": f" {args.sep} ".join(
                channel.labels[c] if c >= 0 else "(none)" for c in paths[i]
            ),
            "journeys": float(conversions[i] + nulls[i]),
            "conversions": float(conversions[i]),
            "conversion_rate": _share(float(conversions[i]), float(conversions[i] + nulls[i])),
            "share_of_conversions": _share(float(conversions[i]), total),
            "value": float(value[i]),
        }
        for i in order.tolist()
    ]
    meta = {**_meta(args), "distinct_paths": len(paths), "conversions": total}
    _emit_rows(args, rows, meta=meta)
    return 0


def _models(args: argparse.Namespace) -> int:
    import attrs  # noqa: PLC0415

    import journeykit as jk  # noqa: PLC0415

    rows = []
    for name in jk.models.available():
        cls = jk.models.model_class(name)
        summary = (cls.__doc__ or "").strip().splitlines()[0] if cls.__doc__ else ""
        fields = attrs.fields(cls) if attrs.has(cls) else ()
        params = [f for f in fields if f.init and not f.name.startswith("_")]
        if not params:
            rows.append({"model": name, "parameter": "", "default": "", "summary": summary})
        for field in params:
            rows.append(
                {
                    "model": name,
                    "parameter": field.name,
                    "default": _default_text(field.default),
                    "summary": summary,
                }
            )
            summary = ""  # said once per model
    _emit_rows(args, rows, meta=_meta(args))
    return 0


def _default_text(default: Any) -> str:
    """A parameter's default as the command line spells it: durations as ``7d``."""
    import attrs  # noqa: PLC0415

    if default is attrs.NOTHING:
        return "(required)"
    if isinstance(default, attrs.Factory):  # type: ignore[arg-type]
        default = default.factory()
    if isinstance(default, timedelta):
        seconds = default.total_seconds()
        for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
            if seconds % size == 0:
                return f"{int(seconds // size)}{unit}"
        return f"{seconds:g}s"
    if isinstance(default, frozenset | set | tuple | list):
        return ",".join(sorted(map(str, default)))
    return "" if default is None else str(default)


def _emit_rows(
    args: argparse.Namespace, rows: Sequence[Mapping[str, Any]], meta: dict[str, Any]
) -> None:
    """Print rows of named cells as a table, CSV (``--delimiter``) or JSON (with ``meta``)."""
    columns = list(rows[0]) if rows else []
    if args.format == "json":
        _out(
            json.dumps(
                {**meta, "rows": [dict(r) for r in rows]}, indent=2, default=str, allow_nan=True
            )
        )
        return
    if args.format == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer, delimiter=args.delimiter, lineterminator="\n")
        writer.writerow(columns)
        writer.writerows([_csv_cell(row[c]) for c in columns] for row in rows)
        _out(buffer.getvalue(), end="")
        return
    cells = [[_cell(row[c]) for c in columns] for row in rows]
    widths = [max([len(c), *(len(r[i]) for r in cells)]) for i, c in enumerate(columns)]
    numeric = [all(isinstance(row[c], int | float) for row in rows) for c in columns]

    def line(values: Sequence[str]) -> str:
        return "  ".join(
            v.rjust(w) if right else v.ljust(w)
            for v, w, right in zip(values, widths, numeric, strict=True)
        ).rstrip()

    _out("\n".join([line(columns), *(line(r) for r in cells)]))


def _cell(value: Any) -> str:
    if isinstance(value, bool) or value is None:
        return "" if value is None else str(value)
    if isinstance(value, float):
        return "" if math.isnan(value) else _number(value)  # NaN: nothing to say
    return str(value)


def _number(x: float) -> str:
    """Six significant digits, but money in millions whole (1,220,730, not 1.22073e+06)."""
    return f"{x:,.0f}" if abs(x) >= 1e6 else f"{x:,.6g}"


def _csv_cell(value: Any) -> str:
    if value is None:
        return ""
    return repr(value) if isinstance(value, float) else str(value)


def _out(text: str, end: str = "\n") -> None:
    sys.stdout.write(text + end)


# -- graph ------------------------------------------------------------------------------------


def _graph(args: argparse.Namespace) -> int:
    import networkx as nx  # noqa: PLC0415

    import journeykit as jk  # noqa: PLC0415

    graph: Any
    source = _source(args)
    if _is_records(source):
        graph = jk.journey_graph(source)
    else:
        graph = jk.transition_graph(_read(args), order=args.order)
    out = Path(args.out)
    if out.suffix.lower() == ".graphml":
        _check_xml_text(graph)
        _write_atomically(out, "\n".join(nx.generate_graphml(graph)) + "\n")
    elif out.suffix.lower() == ".json":
        data = nx.node_link_data(graph, edges="edges")
        _write_atomically(out, json.dumps(data, default=str))
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


class _Help(argparse.RawDescriptionHelpFormatter):
    """Examples kept as written, descriptions wrapped, every option's default after its help."""

    def _fill_text(self, text: str, width: int, indent: str) -> str:
        if "\n" in text:  # the epilogs' example lines, kept as written
            return super()._fill_text(text, width, indent)
        return argparse.HelpFormatter._fill_text(self, text, width, indent)  # descriptions wrap

    def _get_help_string(self, action: argparse.Action) -> str | None:
        text = action.help or ""
        default = action.default
        shown = default not in (None, False, "", argparse.SUPPRESS) and not isinstance(
            default, list
        )
        if shown and action.option_strings and "default" not in text:
            text += " (default: %(default)s)"
        return text


def _file_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "file",
        type=Path,
        help="records document (.json), events or paths (.csv, .parquet, .jsonl); - for stdin",
    )
    parser.add_argument(
        "--input",
        choices=("auto", "events", "paths"),
        default="auto",
        help="table kind (auto: a 'path' column means a path table)",
    )
    parser.add_argument("--tz", help="time zone of naive event times, e.g. UTC or Europe/Paris")
    parser.add_argument(
        "--delimiter",
        default=",",
        metavar="CHAR",
        help="field separator of CSV input and output, e.g. ';'",
    )
    records = parser.add_argument_group("records documents (how deals become journeys)")
    records.add_argument(
        "--goal", default="won", help="what converts: won, opportunity, lead or a stage name"
    )
    records.add_argument(
        "--rollup",
        choices=("account", "buyers", "primary"),
        default="account",
        help="whose touches make a deal's journey",
    )
    records.add_argument(
        "--lookback", metavar="DURATION", help="keep touches at most this long before the goal: 90d"
    )
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


def _records_options(parser: argparse.ArgumentParser) -> None:
    """For the analyses of records only (funnel, diagnose)."""
    parser.add_argument("file", type=Path, help="records document (.json); - for stdin")
    parser.add_argument(
        "--delimiter", default=",", metavar="CHAR", help="field separator of CSV output"
    )
    parser.add_argument(
        "--engaged-touches",
        type=int,
        default=2,
        metavar="N",
        help="touches that make a unit engaged (a one-to-one touch always does)",
    )


def _model_options(parser: argparse.ArgumentParser, default: str) -> None:
    parser.add_argument(
        "--model", default=default, help="a model name (journeykit models lists them)"
    )
    parser.add_argument(
        "--param",
        action="append",
        metavar="NAME=VALUE",
        help="model parameter (repeatable); durations as 7d, 12h, 30m, 90s",
    )


def _format_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--format", choices=("table", "csv", "json"), default="table", help="output format"
    )
    parser.add_argument(
        "-o",
        "--output",
        type=Path,
        metavar="FILE",
        help="write to FILE (atomically: all or nothing) instead of standard output",
    )


def _output_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--by",
        action="append",
        metavar="COLUMN",
        help="roll credit up by a column or a period of touch or conversion time (week, month, "
        "quarter, year, conversion_month, ...; repeatable; 'month,team' for pairs; "
        "default: channel)",
    )
    _format_option(parser)


def _parser() -> argparse.ArgumentParser:
    raw = _Help
    parser = argparse.ArgumentParser(
        prog="journeykit",
        description="Typed buyer journeys and exact marketing + sales attribution.",
        epilog="examples:\n  journeykit demo --out report/\n"
        "  journeykit attribute records.json --goal won --rollup account --lookback 90d\n"
        "  journeykit attribute events.csv --model markov --by channel --by team\n"
        "  journeykit compare paths.csv --models last_touch,markov,shapley\n"
        "  journeykit diagnose records.json --by segment\n"
        "Errors in arguments or files exit with status 2, an interrupted run (Ctrl-C) with 130;\n"
        "an internal error (a bug) prints its traceback and exits with status 70.",
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
    demo.add_argument(
        "-o", "--output", type=Path, metavar="FILE", help="write the summary to FILE (atomically)"
    )
    demo.set_defaults(run=_demo)
    _attribution_commands(commands)
    _analysis_commands(commands)

    from journeykit._cli_experiment import add_parser  # noqa: PLC0415

    add_parser(commands)
    return parser


def _attribution_commands(commands: Any) -> None:
    raw = _Help
    attribute = commands.add_parser(
        "attribute",
        help="attribute a records document, events or paths file with one model",
        description="Credit each channel (or any column) with the conversions and value. A "
        "records document (jk.io.dumps(records)) is assembled into journeys first (--goal, "
        "--rollup, --lookback); an events or paths table is read as it is.",
        epilog="examples:\n"
        "  journeykit attribute records.json --goal won --rollup account --lookback 90d\n"
        "  journeykit attribute events.csv --model linear\n"
        "  journeykit attribute records.json --by conversion_month --by quarter,team\n"
        "  journeykit attribute events.parquet --model markov --param order=2 --by channel "
        "--by team,channel --format csv\n"
        "  journeykit attribute paths.csv --model shapley --format json -o credit.json\n"
        "  journeykit attribute export.csv --delimiter ';' --tz Europe/Paris\n"
        "  cat events.jsonl | journeykit attribute - --model time_decay --param half_life=7d\n"
        "  journeykit attribute big.csv --model markov --memory 1GB   # out of core",
        formatter_class=raw,
    )
    _file_options(attribute)
    _model_options(attribute, "linear")
    attribute.add_argument(
        "--chunk-rows",
        type=_positive,
        metavar="N",
        help="stream the file N rows at a time (journeys must be contiguous); --memory "
        "chooses N for you",
    )
    attribute.add_argument(
        "--memory",
        type=_memory,
        metavar="SIZE",
        help="stream the file in chunks sized to keep the process within SIZE (e.g. 1GB, "
        "512MiB; journeys must be contiguous)",
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
    compare.add_argument(
        "--measure", choices=("conversions", "value"), default="conversions", help="what to credit"
    )
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


def _analysis_commands(commands: Any) -> None:
    raw = _Help
    split = commands.add_parser(
        "split",
        help="marketing vs sales: credit by team, by reach and by content",
        description="The credit of one model, split three ways: by the team that made each "
        "touch, by reach (one-to-many or one-to-one) and by content influence.",
        epilog="examples:\n  journeykit split records.json --model markov\n"
        "  journeykit split events.csv --team team --model linear --measure conversions",
        formatter_class=raw,
    )
    _file_options(split)
    _model_options(split, "markov")
    split.add_argument(
        "--measure", choices=("conversions", "value"), default="value", help="what to credit"
    )
    _format_option(split)
    split.set_defaults(run=_split)

    handoff = commands.add_parser(
        "handoff",
        help="how far along won journeys were before the first sales contact",
        description="Per converting journey, the share of touches (and of time, and of a "
        "model's credit with --model) before its first one-to-one sales contact: mean and "
        "quantiles, overall or per label of a column.",
        epilog="examples:\n  journeykit handoff records.json\n"
        "  journeykit handoff records.json --model markov --by persona",
        formatter_class=raw,
    )
    _file_options(handoff)
    _model_options(handoff, "")
    handoff.add_argument("--by", metavar="COLUMN", help="one summary per label of this column")
    _format_option(handoff)
    handoff.set_defaults(run=_handoff)

    funnel = commands.add_parser(
        "funnel",
        help="stage counts, rates and drop-off of a records document",
        description="Accounts (and buyers without one) through reached, engaged, lead, "
        "opportunity and won: counts, stage-to-stage rates, drop-off and days to the next stage.",
        epilog="examples:\n  journeykit funnel records.json\n"
        "  journeykit funnel records.json --by segment --format csv",
        formatter_class=raw,
    )
    _records_options(funnel)
    funnel.add_argument("--by", help="group by segment, industry, region, persona, channel, ...")
    _format_option(funnel)
    funnel.set_defaults(run=_funnel)

    diagnose = commands.add_parser(
        "diagnose",
        help="is each group's shortfall a marketing or a sales problem?",
        description="Names, per group, the funnel stage whose rate falls short beyond chance "
        "(Wilson intervals) and the team that owns it. The table format prints sentences; CSV and "
        "JSON carry every rate with its interval and benchmark.",
        epilog="examples:\n  journeykit diagnose records.json --by segment\n"
        "  journeykit diagnose records.json --by persona --format json -o diagnosis.json",
        formatter_class=raw,
    )
    _records_options(diagnose)
    diagnose.add_argument("--by", default="persona", help="the grouping, as for funnel")
    diagnose.add_argument(
        "--level", type=float, default=0.95, help="confidence level of the intervals"
    )
    diagnose.add_argument(
        "--tolerance", type=float, default=1.0, help="how far below the benchmark counts"
    )
    _format_option(diagnose)
    diagnose.set_defaults(run=_diagnose)

    paths = commands.add_parser(
        "paths",
        help="the top conversion paths with counts and rates",
        description="Journeys grouped by their sequence of channels: how many journeys took each "
        "path, how many converted, the conversion rate, the share of all conversions and the "
        "value; the most converting first.",
        epilog="examples:\n  journeykit paths records.json --top 20\n"
        "  journeykit paths records.json --collapse --last 3\n"
        "  journeykit paths events.csv --format csv -o paths.csv",
        formatter_class=raw,
    )
    _file_options(paths)
    paths.add_argument("--top", type=int, default=10, metavar="N", help="how many paths to show")
    paths.add_argument("--join", dest="sep", default=">", help="written between channels")
    paths.add_argument(
        "--collapse",
        action="store_true",
        help="merge repeated touches on one channel: a > a > b is a > b",
    )
    paths.add_argument(
        "--last", type=int, metavar="N", help="only the last N touches of each journey"
    )
    _format_option(paths)
    paths.set_defaults(run=_paths)

    models = commands.add_parser(
        "models",
        help="the attribution models, with their parameters and defaults",
        description="Every registered model (built-in and from entry points), each parameter "
        "and its default; set parameters with --param NAME=VALUE.",
        epilog="examples:\n  journeykit models\n  journeykit models --format json",
        formatter_class=raw,
    )
    models.add_argument(
        "--delimiter", default=",", metavar="CHAR", help="field separator of CSV output"
    )
    _format_option(models)
    models.set_defaults(run=_models)


_ROW = re.compile(r"\brow (\d+)\b")
_KEYWORD = re.compile(r"\b(tz|goal|lookback|rollup|sep)=(?:'([^']*)'|(?=[\s,;)]|$))")


def _explain(args: argparse.Namespace, message: str) -> str:
    """The library's message in the command's words: option names, 1-based file lines."""
    message = _KEYWORD.sub(
        lambda m: f"--{m.group(1)}" + (f" {m.group(2)}" if m.group(2) else ""), message
    )
    file = getattr(args, "file", None)
    if isinstance(getattr(args, "_source", None), dict | list):  # a table read here: name it
        name = "standard input" if str(file) == "-" else str(file)
        message = message.replace("table: ", f"{name}: ")
    if "is a missing column" in message and getattr(args, "delimiter", ",") == ",":
        header = re.search(r"\(columns: '([^']*)'\)", message)
        if header is not None and (used := [d for d in ";\t|" if d in header.group(1)]):
            message += f"\n(the header is one column: try --delimiter {used[0]!r})"
    if file is None or not _ROW.search(message):
        return message
    from journeykit.io.files import SUFFIXES  # noqa: PLC0415

    source = getattr(args, "_source", None)
    fmt = "csv" if isinstance(source, dict) else SUFFIXES.get(Path(file).suffix.lower())
    if isinstance(source, list) or fmt == "jsonl":
        lines = _json_line_numbers(args, source)
        return _ROW.sub(
            lambda m: (
                f"line {lines[int(m.group(1))]}" if int(m.group(1)) < len(lines) else m.group(0)
            ),
            message,
        )
    if fmt == "csv":  # row 0 is the line after the header (line 1)
        return _ROW.sub(lambda m: f"line {int(m.group(1)) + 2}", message)
    return _ROW.sub(lambda m: f"row {int(m.group(1)) + 1}", message)  # Parquet: 1-based rows


def _json_line_numbers(args: argparse.Namespace, source: Any) -> list[int]:
    """The 1-based line of each row of a JSON lines file (rows skip blank lines)."""
    if isinstance(source, list):  # standard input: its lines were counted as it was read
        lines: list[int] = getattr(args, "_lines", [])
        return lines
    try:
        text = Path(args.file).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return []
    return [n for n, line in enumerate(text.splitlines(), start=1) if line.strip()]


_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _check_xml_text(graph: Any) -> None:
    """GraphML is XML 1.0, which cannot hold control characters even escaped: say which name."""
    texts = [(n, n) for n in graph.nodes]
    texts += [(n, v) for n, attributes in graph.nodes(data=True) for v in attributes.values()]
    for node, text in texts:
        found = _NOT_XML.search(text) if isinstance(text, str) else None
        if found is not None:
            raise CommandError(
                f"GraphML (XML 1.0) cannot hold the control character U+{ord(found.group()):04X} "
                f"of node {str(node)!r}; write node-link JSON instead (--out graph.json)"
            )


def _positive(text: str) -> int:
    """A whole number >= 1 (``--chunk-rows 0`` must not silently turn streaming off)."""
    try:
        number = int(text)
    except ValueError:
        number = 0
    if number < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number >= 1, got {text!r}")
    return number


def _memory(text: str) -> str:
    """A memory budget (``1GB``), checked here so a bad one fails before any reading."""
    from journeykit.errors import ParameterError  # noqa: PLC0415
    from journeykit.streaming import rows_for_memory  # noqa: PLC0415

    try:
        rows_for_memory(text)
    except ParameterError as exc:
        raise argparse.ArgumentTypeError(str(exc).replace("memory=", "")) from None
    return text


def _write_atomically(target: Path, text: str) -> None:
    """All or nothing: a temporary file beside ``target``, renamed over it when complete."""
    handle, temporary = tempfile.mkstemp(
        dir=target.parent, prefix=f".{target.name}.", suffix=".part"
    )
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as stream:
            stream.write(text)
            stream.flush()
            os.fsync(stream.fileno())
        Path(temporary).replace(target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _error(args: argparse.Namespace, message: str) -> int:
    command = getattr(args, "command", None) or ""
    print(f"journeykit {command}: error: {message}".replace("  error", " error"), file=sys.stderr)
    return 2


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``journeykit`` command; returns the exit status.

    0 on success, 2 for bad arguments or files (a :class:`~journeykit.errors.JourneykitError` or an
    ``OSError``, shown in one line), 130 when interrupted (Ctrl-C), 70 for anything else: a bug,
    shown with its traceback. Output is written whole at the end, so a failed or interrupted run
    writes none of it.
    """
    args = _parser().parse_args(argv)
    run: Callable[[argparse.Namespace], int] = args.run
    target: Path | None = getattr(args, "output", None)
    if target is None and sys.stdout is None:  # started with standard output closed (>&-)
        return _error(args, "standard output is closed; write to a file with -o FILE")
    buffer = io.StringIO()
    real = sys.stdout
    try:
        sys.stdout = buffer
        try:
            status = run(args)
        finally:
            sys.stdout = real
        if target is not None:
            _write_atomically(target, buffer.getvalue())
        else:
            _deliver(buffer.getvalue())
    except KeyboardInterrupt:
        print(f"journeykit {args.command}: interrupted; nothing was written", file=sys.stderr)
        return 128 + signal.SIGINT
    except _StdoutError as exc:
        return _error(args, f"cannot write to standard output: {exc}")
    except (JourneykitError, OSError) as exc:
        # What journeykit rejects on purpose, and files it cannot read: the user's to fix.
        return _error(args, _explain(args, str(exc)))
    except Exception:  # anything else is a bug: show it whole, ask for a report
        traceback.print_exc()
        print(
            f"journeykit {args.command}: internal error in journeykit {__version__}; this is a "
            "bug: please report it to the journeykit maintainers with the traceback above",
            file=sys.stderr,
        )
        return _BUG_STATUS
    return status


class _StdoutError(Exception):
    """Standard output refused the result (full disk, closed pipe)."""


def _deliver(text: str) -> None:
    """Write the result to standard output; a reader that went away is not an error."""
    try:
        sys.stdout.write(text)
        sys.stdout.flush()
    except BrokenPipeError:
        # the reader went away (``journeykit demo | head``): stop quietly, as Unix tools do
        _silence_stdout()
        raise SystemExit(1) from None
    except OSError as exc:
        _silence_stdout()  # or the interpreter fails again flushing it at exit
        raise _StdoutError(exc.strerror or str(exc)) from None


def _silence_stdout() -> None:
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
