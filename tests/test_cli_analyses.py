"""The command for people who do not write Python: records input, the analyses, pipelines."""

from __future__ import annotations

import csv
import json
import os
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

import journeykit as jk
from helpers import run_command as run
from journeykit import cli
from journeykit.io import SCHEMA_VERSION, dumps


@pytest.fixture(scope="module")
def records_json(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("records") / "records.json"
    path.write_text(dumps(jk.datasets.example_records()))
    return path


def _json(*args: str) -> Any:
    result = run(*args, "--format", "json")
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    assert document["schema_version"] == SCHEMA_VERSION
    return document


def test_attribute_reads_a_records_document_with_goal_rollup_and_lookback(
    records_json: Path,
) -> None:
    document = _json(
        "attribute", str(records_json), "--model", "time_decay", "--param", "half_life=3d",
        "--goal", "opportunity", "--rollup", "buyers", "--lookback", "30d",
    )  # fmt: skip
    journeys = jk.assemble(
        jk.datasets.example_records(),
        goal="opportunity",
        rollup="buyers",
        lookback=timedelta(days=30),
    )
    want = jk.attribute(journeys, "time_decay", half_life=timedelta(days=3))
    rows = document["by"]["channel"]
    got = {row["label"]: row["value"] for row in rows}
    assert got == pytest.approx(dict(want.by("channel", measure="value")), rel=1e-12)
    assert document["params"] == {"half_life": 3 * 86400.0}
    assert (document["goal"], document["rollup"], document["lookback"]) == (
        "opportunity", "buyers", "30d",
    )  # fmt: skip


def test_standard_input_and_semicolon_csv_in_and_out(tmp_path: Path) -> None:
    text = (
        "journey_id;timestamp;channel;converted;value\n"
        "j1;2024-01-01T09:00:00;search;false;\n"
        "j1;2024-01-02T09:00:00;demo;true;1000,5\n"
    ).replace("1000,5", "1000.5")
    result = subprocess.run(
        [sys.executable, "-m", "journeykit", "attribute", "-", "--delimiter", ";",
         "--tz", "UTC", "--format", "csv"],
        input=text, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    rows = list(csv.DictReader(result.stdout.splitlines(), delimiter=";"))
    assert {r["label"]: float(r["value"]) for r in rows} == {"search": 500.25, "demo": 500.25}
    (tmp_path / "export.csv").write_text(text)
    missed = run("attribute", str(tmp_path / "export.csv"), "--tz", "UTC")
    assert missed.returncode == 2
    assert "try --delimiter ';'" in missed.stderr


def test_messages_use_option_names_and_one_based_lines(tmp_path: Path) -> None:
    path = tmp_path / "events.csv"
    path.write_text(
        "journey_id,timestamp,channel,converted,value\n"
        "j1,2024-01-01T00:00:00,a,false,\n"
        "j1,never,a,false,\n"
        "j1,2024-01-03T00:00:00,b,true,5\n"
        "j2,later,a,true,1\n"
    )
    result = run("attribute", str(path))
    assert result.returncode == 2
    assert "line 3: timestamp" in result.stderr
    assert "line 5: timestamp" in result.stderr  # every problem, not only the first
    path.write_text(
        "journey_id,timestamp,channel,converted,value\nj1,2024-01-01T00:00:00,a,true,1\n"
    )
    naive = run("attribute", str(path))
    assert "--tz UTC" in naive.stderr
    assert "tz=" not in naive.stderr


def test_output_is_written_whole_or_not_at_all(records_json: Path, tmp_path: Path) -> None:
    target = tmp_path / "credit.json"
    result = run("attribute", str(records_json), "--format", "json", "-o", str(target))
    assert result.returncode == 0, result.stderr
    assert result.stdout == ""
    assert json.loads(target.read_text())["model"] == "linear"
    failed = run("attribute", str(records_json), "--model", "markov", "--param", "order=0",
                 "-o", str(target))  # fmt: skip
    assert failed.returncode == 2
    assert json.loads(target.read_text())["model"] == "linear"  # the old file stands
    assert sorted(p.name for p in tmp_path.iterdir()) == ["credit.json"]  # no temporary left


def test_split_handoff_funnel_and_paths_match_the_library(records_json: Path) -> None:
    records = jk.datasets.example_records()
    journeys = jk.assemble(records)
    result = jk.attribute(journeys, "linear")
    split = _json("split", str(records_json), "--model", "linear")
    want = jk.analytics.split(result, measure="value")
    teams = {r["label"]: r["value"] for r in split["rows"] if r["view"] == "team"}
    assert teams == pytest.approx(want.by_team)
    assert split["params"] == {"per": "touch", "role_weights": []}

    handoff = _json("handoff", str(records_json))
    summary = jk.analytics.handoff(journeys).summary("by_time")
    row = next(r for r in handoff["rows"] if r["measure"] == "by_time")
    assert row["p50"] == pytest.approx(summary["p50"])

    funnel = _json("funnel", str(records_json))
    counts = [r["count"] for r in funnel["rows"]]
    assert counts == list(jk.analytics.funnel(records).groups["all"].counts)

    paths = _json("paths", str(records_json), "--top", "1")
    top = paths["rows"][0]
    assert top["conversions"] == 1.0
    assert top["conversion_rate"] == 1.0
    assert paths["distinct_paths"] == journeys.n_journeys  # three accounts, three paths


def test_paths_counts_journeys_and_conversions_per_path(tmp_path: Path) -> None:
    path = tmp_path / "paths.csv"
    path.write_text(
        "path,total_conversions,total_conversion_value,total_null\n"
        "a > b,3,300,1\nc,1,10,9\na > b,1,100,3\n"
    )
    document = _json("paths", str(path))
    rows = {r["path"]: r for r in document["rows"]}
    assert list(rows) == ["a > b", "c"]  # most conversions first
    assert rows["a > b"]["journeys"] == 8.0
    assert rows["a > b"]["conversion_rate"] == 0.5
    assert rows["a > b"]["share_of_conversions"] == 0.8
    assert rows["c"]["value"] == 10.0
    path.write_text(
        "path,total_conversions,total_conversion_value,total_null\n"
        "a > b,3,300,1\na > a > b,1,50,0\nc > b,1,10,9\n"
    )
    collapsed = {r["path"]: r for r in _json("paths", str(path), "--collapse")["rows"]}
    assert collapsed["a > b"]["conversions"] == 4.0  # a > a > b is a > b
    last = {r["path"]: r for r in _json("paths", str(path), "--last", "1")["rows"]}
    assert list(last) == ["b"]
    assert last["b"]["journeys"] == 15.0


def test_diagnose_speaks_in_sentences_and_json_carries_intervals(records_json: Path) -> None:
    text = run("diagnose", str(records_json), "--by", "segment")
    assert text.returncode == 0, text.stderr
    findings = jk.analytics.diagnose(jk.datasets.example_records(), by="segment").findings
    assert text.stdout.splitlines() == [f.explanation for f in findings.values()]
    document = _json("diagnose", str(records_json), "--by", "segment")
    first = document["rows"][0]
    assert first["win_low"] <= first["win"] <= first["win_high"]
    events = run("funnel", str(Path(__file__)))
    assert events.returncode == 2


def test_models_lists_parameters_and_defaults() -> None:
    document = _json("models")
    rows = document["rows"]
    names = {r["model"] for r in rows}
    assert names == set(jk.models.available())
    defaults = {(r["model"], r["parameter"]): r["default"] for r in rows}
    assert defaults["time_decay", "half_life"] == "7d"
    assert defaults["markov", "order"] == "1"
    assert defaults["last_non_direct", "excluded"] == "direct"


def test_help_shows_defaults() -> None:
    text = " ".join(run("attribute", "--help").stdout.split())  # lines wrap anywhere
    assert "lists them) (default: linear)" in text
    assert "a deal's journey (default: account)" in text


def test_an_impossible_duration_is_a_clear_error(records_json: Path) -> None:
    result = run("attribute", str(records_json), "--model", "time_decay",
                 "--param", "half_life=99999999999d")  # fmt: skip
    assert result.returncode == 2
    assert result.stderr.startswith("journeykit attribute: error: --param half_life:")
    assert "Traceback" not in result.stderr
    bad = run("attribute", str(records_json), "--lookback", "ninety days")
    assert "--lookback takes a duration" in bad.stderr


def test_demo_checks_the_model_before_any_work(monkeypatch: pytest.MonkeyPatch) -> None:
    def loaded() -> None:
        pytest.fail("the demo world was loaded before --model was checked")

    monkeypatch.setattr(jk.datasets, "load_demo", loaded)
    assert cli.main(["demo", "--model", "no_such_model"]) == 2


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX shells and signals")
def test_closed_and_full_standard_output_are_one_line(records_json: Path) -> None:
    command = f"{sys.executable} -m journeykit attribute {records_json}"
    for redirect, words in ((">&-", "standard output is closed"), ("> /dev/full", "No space")):
        if redirect.endswith("full") and not Path("/dev/full").exists():
            continue
        result = subprocess.run(
            f"{command} {redirect}", shell=True, capture_output=True, text=True, check=False
        )
        assert result.returncode == 2
        assert len(result.stderr.splitlines()) == 1, result.stderr
        assert words in result.stderr


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
def test_interrupt_exits_130_and_writes_nothing(tmp_path: Path) -> None:
    target = tmp_path / "out.csv"
    process = subprocess.Popen(
        [sys.executable, "-m", "journeykit", "attribute", "-", "-o", str(target)],
        stdin=subprocess.PIPE,  # never closed: the command waits for its input
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    time.sleep(1.5)  # past the imports, blocked reading standard input
    process.send_signal(signal.SIGINT)
    _, err = process.communicate(timeout=30)
    assert process.returncode == 130
    assert err == "journeykit attribute: interrupted; nothing was written\n"
    assert list(tmp_path.iterdir()) == []


def test_json_lines_on_standard_input_name_their_lines() -> None:
    good = '{"journey_id": "j1", "timestamp": "2024-01-01T00:00:00Z", "channel": "a", '
    good += '"converted": false, "value": null}'
    bad = good.replace("2024-01-01T00:00:00Z", "nope")
    result = subprocess.run(
        [sys.executable, "-m", "journeykit", "attribute", "-"],
        input=f"{good}\n\n{bad}\n",  # a blank line still counts as a line
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 2
    assert "line 3: timestamp is not a time" in result.stderr


def test_chunk_rows_must_be_at_least_one(tmp_path: Path) -> None:
    paths = tmp_path / "p.csv"
    paths.write_text("path,total_conversions,total_null\na > b,1,1\n")
    result = run("attribute", str(paths), "--chunk-rows", "0")
    assert result.returncode == 2
    assert "--chunk-rows: expected a whole number >= 1, got '0'" in result.stderr
    assert result.stdout == ""


def test_graphml_refuses_control_characters_and_writes_nothing(tmp_path: Path) -> None:
    events = tmp_path / "e.csv"
    events.write_text(
        "journey_id,timestamp,channel,converted,value\na,2024-01-01T00:00:00Z,x\x01y,true,1\n"
    )
    out = tmp_path / "g.graphml"
    result = run("graph", str(events), "--out", str(out))
    assert result.returncode == 2
    assert "cannot hold the control character U+0001 of node 'x\\x01y'" in result.stderr
    assert not out.exists()
    fine = tmp_path / "g.json"
    assert run("graph", str(events), "--out", str(fine)).returncode == 0
    assert "x\\u0001y" in fine.read_text()
