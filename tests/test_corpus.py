"""The bad-input corpus (tests/corpus/) against every reader, the JSON boundary and the command."""

from __future__ import annotations

import contextlib
import io
import json
from pathlib import Path
from typing import Any

import pytest

import journeykit as jk
from journeykit import cli, errors
from journeykit.io import serde
from journeykit.io._csv import csv_columns
from journeykit.io.files import read_journeys
from journeykit.streaming import attribute_file

CORPUS = Path(__file__).parent / "corpus"
CASES: dict[str, dict[str, Any]] = json.loads((CORPUS / "cases.json").read_text(encoding="utf-8"))
TABLES = sorted(name for name in CASES if name.endswith(".csv"))
DOCUMENTS = sorted(name for name in CASES if name.endswith(".json"))


def _whole(path: Path, tz: str | None) -> tuple[int, float]:
    journeys = read_journeys(path, tz=tz)
    return journeys.n_journeys, journeys.total_value


def _chunked(path: Path, tz: str | None) -> tuple[int, float]:
    result = attribute_file(path, "linear", chunk_rows=1, tz=tz)
    return result.n_journeys, result.total_value


def _plain(path: Path, tz: str | None) -> tuple[int, float]:
    columns = csv_columns(path)  # the reader used without pyarrow
    journeys = jk.read_paths(columns) if "path" in columns else jk.from_events(columns, tz=tz)
    return journeys.n_journeys, journeys.total_value


def _expect(case: dict[str, Any], read: Any) -> None:
    if "error" not in case:
        assert read() == (case["journeys"], case["value"])
        return
    with pytest.raises(getattr(errors, case["error"])) as info:
        read()
    message = str(info.value)
    assert case["fragment"] in message
    assert case["location"] in message


def test_every_corpus_file_has_a_case_and_every_case_a_file() -> None:
    files = {p.name for p in CORPUS.iterdir()} - {"cases.json", "README.md"}
    assert files == set(CASES)


@pytest.mark.parametrize("read", [_whole, _chunked, _plain], ids=lambda r: r.__name__)
@pytest.mark.parametrize("name", TABLES)
def test_tables(name: str, read: Any) -> None:
    case = CASES[name]
    if case.get("file_only") and read is _plain:
        pytest.skip("a rule about files (a table in memory may have no rows)")
    path = CORPUS / name
    _expect(case, lambda: read(path, case.get("tz")))


@pytest.mark.parametrize("name", DOCUMENTS)
def test_documents(name: str) -> None:
    _expect(CASES[name], lambda: serde.loads((CORPUS / name).read_bytes()))


@pytest.mark.parametrize("name", TABLES)
def test_the_command(name: str) -> None:
    case = CASES[name]
    argv = ["attribute", str(CORPUS / name), "--model", "linear"]
    if case.get("tz"):
        argv += ["--tz", case["tz"]]
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = cli.main(argv)
    assert "Traceback" not in err.getvalue()
    if "error" in case:
        assert code != 0
        assert case["fragment"] in err.getvalue()
    else:
        assert code == 0
