"""The ``journeykit`` command, run for real in a subprocess on files written here."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import networkx as nx
import pytest

import journeykit as jk
from helpers import run_command as run
from journeykit.cli import _param

EVENTS = [
    # journey, timestamp, channel, converted, value, team
    ("j1", "2024-01-01T09:00:00+00:00", "search", "false", "", "marketing"),
    ("j1", "2024-01-03T09:00:00+00:00", "email", "false", "", "marketing"),
    ("j1", "2024-01-05T09:00:00+00:00", "demo", "true", "300", "sales"),
    ("j2", "2024-01-02T09:00:00+00:00", "email", "false", "", "marketing"),
    ("j2", "2024-01-04T09:00:00+00:00", "demo", "true", "100", "sales"),
    ("j3", "2024-01-02T09:00:00+00:00", "search", "false", "", "marketing"),
]
HEADER = ("journey_id", "timestamp", "channel", "converted", "value", "team")


@pytest.fixture
def events_csv(tmp_path: Path) -> Path:
    path = tmp_path / "events.csv"
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        writer.writerows(EVENTS)
    return path


@pytest.fixture
def paths_csv(tmp_path: Path) -> Path:
    path = tmp_path / "paths.csv"
    path.write_text(
        "path,total_conversions,total_conversion_value,total_null\n"
        "search > email,3,300,2\ndirect,2,50,1\nsearch,0,0,4\n"
    )
    return path


def _in_memory() -> jk.Journeys:
    rows = [dict(zip(HEADER, row, strict=True)) for row in EVENTS]
    return jk.from_events(rows, team="team")


def test_attribute_events_csv_as_a_table(events_csv: Path) -> None:
    result = run("attribute", str(events_csv), "--model", "linear")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["channel", "conversions", "value"]
    want = jk.attribute(_in_memory(), "linear").by("channel", measure="value")
    assert [line.split()[0] for line in lines[1:]] == list(want)
    assert float(lines[1].split()[2].replace(",", "")) == pytest.approx(next(iter(want.values())))
    assert result.stderr == ""  # no progress line in a pipe


def test_attribute_csv_and_json_formats_carry_exact_numbers(events_csv: Path) -> None:
    want = jk.attribute(_in_memory(), "markov")
    result = run(
        "attribute", str(events_csv), "--model", "markov", "--by", "channel",
        "--by", "team,channel", "--team", "team", "--format", "csv",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    rows = list(csv.DictReader(result.stdout.splitlines()))
    channel = {r["label"]: float(r["value"]) for r in rows if r["dimension"] == "channel"}
    assert channel == pytest.approx(dict(want.by("channel", measure="value")), rel=1e-15)
    pairs = {r["label"] for r in rows if r["dimension"] == "team,channel"}
    assert pairs == {"marketing,search", "marketing,email", "sales,demo"}

    result = run("attribute", str(events_csv), "--model", "markov", "--format", "json")
    document = json.loads(result.stdout)
    assert document["model"] == "markov"
    got = {row["label"]: row["conversions"] for row in document["by"]["channel"]}
    assert got == pytest.approx(dict(want.by("channel")), rel=1e-15)


def test_parquet_and_json_lines_give_the_same_answer(events_csv: Path, tmp_path: Path) -> None:
    pq = pytest.importorskip("pyarrow.parquet")
    pacsv = pytest.importorskip("pyarrow.csv")
    pq.write_table(pacsv.read_csv(events_csv), tmp_path / "events.parquet")
    with (tmp_path / "events.jsonl").open("w") as handle:
        for row in EVENTS:
            record: dict[str, object] = dict(zip(HEADER, row, strict=True))
            record["converted"] = record["converted"] == "true"
            record["value"] = float(str(record["value"])) if record["value"] else None
            handle.write(json.dumps(record) + "\n")
    outputs = {
        name: run("attribute", str(tmp_path / name), "--model", "shapley", "--format", "json")
        for name in ("events.csv", "events.parquet", "events.jsonl")
    }
    for name, result in outputs.items():
        assert result.returncode == 0, (name, result.stderr)
    documents = [json.loads(r.stdout)["by"] for r in outputs.values()]
    assert documents[0] == documents[1] == documents[2]


def test_path_files_are_detected_and_streamed(paths_csv: Path) -> None:
    whole = run("attribute", str(paths_csv), "--model", "markov", "--format", "json")
    chunked = run(
        "attribute", str(paths_csv), "--model", "markov", "--chunk-rows", "1", "--format", "json"
    )
    assert whole.returncode == chunked.returncode == 0, whole.stderr + chunked.stderr
    want = jk.attribute(jk.read_paths(paths_csv), "markov").by("channel")
    for result in (whole, chunked):
        got = {r["label"]: r["conversions"] for r in json.loads(result.stdout)["by"]["channel"]}
        assert got == pytest.approx(dict(want), rel=1e-12)


def test_model_parameters(events_csv: Path) -> None:
    assert _param("order=2") == ("order", 2)
    assert _param("first=0.3") == ("first", 0.3)
    assert _param("half_life=7d") == ("half_life", jk.models.get("time_decay").half_life)
    assert _param("name=text") == ("name", "text")
    result = run(
        "attribute", str(events_csv), "--model", "position_based",
        "--param", "first=0.2", "--param", "last=0.8", "--format", "json",
    )  # fmt: skip
    want = jk.attribute(_in_memory(), "position_based", first=0.2, last=0.8).by("channel")
    got = {r["label"]: r["conversions"] for r in json.loads(result.stdout)["by"]["channel"]}
    assert got == pytest.approx(dict(want))


def test_compare(paths_csv: Path) -> None:
    result = run(
        "compare", str(paths_csv), "--models", "first_touch,markov", "--measure", "value",
        "--format", "csv",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    rows = list(csv.DictReader(result.stdout.splitlines()))
    assert set(rows[0]) == {"dimension", "label", "first_touch", "markov"}
    first = {r["label"]: float(r["first_touch"]) for r in rows}
    assert first == {"search": 300.0, "direct": 50.0, "email": 0.0}
    table = run("compare", str(paths_csv), "--models", "first_touch, last_touch")
    assert table.stdout.splitlines()[0].split() == ["channel", "first_touch", "last_touch"]


def test_graph_from_records_and_from_events(events_csv: Path, tmp_path: Path) -> None:
    records = tmp_path / "records.json"
    records.write_text(jk.io.dumps(jk.datasets.example_records()))
    result = run("graph", str(records), "--out", str(tmp_path / "world.graphml"))
    assert result.returncode == 0, result.stderr
    graph = nx.read_graphml(tmp_path / "world.graphml")
    assert graph.number_of_nodes() == nx.number_of_nodes(
        jk.journey_graph(jk.datasets.example_records())
    )
    result = run("graph", str(events_csv), "--out", str(tmp_path / "chain.json"))
    assert result.returncode == 0, result.stderr
    data = json.loads((tmp_path / "chain.json").read_text())
    assert {n["id"] for n in data["nodes"]} >= {"START", "CONVERSION", "NULL", "demo"}
    result = run("graph", str(events_csv), "--order", "2", "--out", str(tmp_path / "c.graphml"))
    assert result.returncode == 0, result.stderr
    assert "search>email" in nx.read_graphml(tmp_path / "c.graphml")


@pytest.mark.parametrize(
    ("content", "args", "message"),
    [
        (None, ["--model", "linear"], "does not exist"),
        ("journey_id,timestamp,channel,converted,value\nj1,not a time,a,true,1\n",
         ["--model", "linear"], "timestamp"),
        ("journey_id,timestamp,channel,converted,value\nj1,2024-01-01T00:00:00,a,true,1\n",
         ["--model", "linear"], "timezone"),
        ("journey_id,timestamp,channel,converted,value\nj1,2024-01-01T00:00:00Z,a,true,-5\n",
         ["--model", "linear"], "value"),
        ("journey_id,timestamp,channel,converted,value\nj1,2024-01-01T00:00:00Z,a\n",
         ["--model", "linear"], "line 2: has 3 fields but the header has 5"),
        ("path,total_conversions\na > > b,1\n", ["--model", "linear"], "empty step"),
        ("path,total_conversions\na,1\n", ["--model", "no_such_model"], "no_such_model"),
        ("path,total_conversions\na,1\n", ["--model", "linear", "--journey", "id"],
         "--journey do not apply to a file of paths"),
        ("path,total_conversions\na,1\n", ["--model", "markov", "--param", "order"],
         "NAME=VALUE"),
        ("path,total_conversions\na,1\n", ["--model", "markov", "--param", "order=0"], "order"),
    ],
)  # fmt: skip
def test_bad_files_and_arguments_exit_2_naming_the_problem(
    tmp_path: Path, content: str | None, args: list[str], message: str
) -> None:
    path = tmp_path / "input.csv"
    if content is not None:
        path.write_text(content)
    result = run("attribute", str(path), *args)
    assert result.returncode == 2, result.stdout + result.stderr
    assert message in result.stderr
    assert "Traceback" not in result.stderr
    assert result.stderr.startswith("journeykit attribute: error:")


def test_row_numbers_are_explained_in_terms_of_file_lines(tmp_path: Path) -> None:
    path = tmp_path / "events.csv"
    path.write_text(
        "journey_id,timestamp,channel,converted,value\n"
        "j1,2024-01-01T00:00:00Z,a,false,\n"
        "j1,not a time,a,true,1\n"
    )
    result = run("attribute", str(path), "--model", "linear")
    assert result.returncode == 2
    assert "line 3: timestamp" in result.stderr  # 1-based, counting the header
    assert "row" not in result.stderr


def test_json_lines_cannot_be_streamed(tmp_path: Path) -> None:
    path = tmp_path / "events.jsonl"
    path.write_text('{"journey_id": "j1"}\n')
    result = run("attribute", str(path), "--model", "linear", "--chunk-rows", "10")
    assert result.returncode == 2
    assert "streams CSV and Parquet only" in result.stderr


def test_bad_json_lines_name_the_line(tmp_path: Path) -> None:
    path = tmp_path / "events.jsonl"
    path.write_text('{"journey_id": "j1"}\n[1, 2]\n{oops\n')
    result = run("attribute", str(path), "--model", "linear")
    assert result.returncode == 2
    assert "line 2" in result.stderr
    assert "line 3" in result.stderr


def test_unknown_suffix_and_bad_arguments(tmp_path: Path) -> None:
    path = tmp_path / "events.xlsx"
    path.write_text("x")
    result = run("attribute", str(path), "--model", "linear")
    assert result.returncode == 2
    assert "unknown suffix" in result.stderr
    result = run("nonsense")
    assert result.returncode == 2
    assert "invalid choice" in result.stderr
    result = run("attribute")
    assert result.returncode == 2
    assert "file" in result.stderr


def test_a_closed_pipe_stops_quietly() -> None:
    shell = f"{sys.executable} -m journeykit demo | head -n 2"
    result = subprocess.run(shell, shell=True, capture_output=True, text=True, check=False)
    assert len(result.stdout.splitlines()) == 2
    assert result.stderr == ""


COMMANDS = ["demo", "attribute", "compare", "graph", "split", "handoff", "funnel", "diagnose"]


@pytest.mark.parametrize("command", [*COMMANDS, "paths", "models"])
def test_every_command_has_help_with_examples(command: str) -> None:
    result = run(command, "--help")
    assert result.returncode == 0
    assert "examples:" in result.stdout
    assert f"journeykit {command}" in result.stdout


def test_demo_prints_comparison_split_handoff_and_diagnosis() -> None:
    result = run("demo")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "Records(personas=3, assets=20, accounts=800" in out
    header = next(line for line in out.splitlines() if line.startswith("channel"))
    assert header.split() == ["channel", "first_touch", "last_touch", "linear", "time_decay",
                              "position_based", "w_shaped", "markov", "shapley", "hazard", "truth"]  # fmt: skip
    display = next(line for line in out.splitlines() if line.startswith("display"))
    assert display.split()[-1] == "0.0%"  # the channel without effect
    for part in ("mean absolute error", "Split(value", "Handoff(journeys=", "Diagnosis(by="):
        assert part in out


def test_demo_splits_by_the_model_asked_for() -> None:
    result = run("demo", "--model", "full_path")
    assert result.returncode == 0, result.stderr
    assert "Marketing vs sales (full_path)" in result.stdout
    result = run("demo", "--model", "no_such_model")
    assert result.returncode == 2
    assert "no_such_model" in result.stderr


@pytest.mark.slow
def test_demo_writes_figures_and_a_self_contained_report(tmp_path: Path) -> None:
    pytest.importorskip("matplotlib")
    result = run("demo", "--out", str(tmp_path / "report"))
    assert result.returncode == 0, result.stderr
    folder = tmp_path / "report"
    pngs = sorted(p.name for p in folder.glob("*.png"))
    assert pngs == ["credit_by_channel.png", "funnel.png", "handoff.png", "marketing_vs_sales.png"]
    page = (folder / "report.html").read_text()
    assert page.count("data:image/png;base64,") == 4
    assert 'src="http' not in page  # nothing fetched from elsewhere
    assert "<strong>smb</strong>: a marketing problem at the lead stage" in page
    assert "95% interval" in page  # the diagnosis in sentences, not reprs
    assert "Split(" not in page


@pytest.mark.slow
@pytest.mark.skipif(sys.platform == "win32", reason="needs a pseudo-terminal")
def test_progress_shows_on_a_terminal_only(paths_csv: Path) -> None:
    import pty  # noqa: PLC0415

    # a slow enough step: the Markov fit of the bundled demo is well over 0.1 s on a terminal
    leader, follower = pty.openpty()
    process = subprocess.Popen(
        [sys.executable, "-m", "journeykit", "demo"],
        stdout=subprocess.DEVNULL,
        stderr=follower,
        env={**os.environ, "COLUMNS": "80"},
    )
    os.close(follower)
    seen = b""
    while True:
        try:
            chunk = os.read(leader, 1024)
        except OSError:
            break
        if not chunk:
            break
        seen += chunk
    assert process.wait() == 0
    os.close(leader)
    assert b"loading the demo world" in seen
    piped = run("attribute", str(paths_csv), "--model", "markov")
    assert piped.stderr == ""


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_draws_a_bar_once_the_fraction_is_known() -> None:
    from journeykit._progress import Progress, progress  # noqa: PLC0415

    state = Progress()
    assert state.render("reading", "|", 1.25).startswith("| reading")
    state.update(0.5)
    assert state.render("reading", "|", 1.25) == f"[{'#' * 12}{'-' * 12}]  50% reading   1.2s"
    state.update(7.0)
    assert state.fraction == 1.0
    screen = _Terminal()
    with progress("crediting", stream=screen, every=0.01) as shown:
        shown.update(0.25)
        time.sleep(0.1)
    assert "[######------------------]  25% crediting" in screen.getvalue()
    assert screen.getvalue().endswith("\r")  # the line is erased at the end
    piped = io.StringIO()
    with progress("crediting", stream=piped) as shown:
        shown.update(0.5)
    assert piped.getvalue() == ""


def test_an_internal_error_shows_its_traceback_and_asks_for_a_report(
    events_csv: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from journeykit import cli  # noqa: PLC0415

    def broken(*args: object, **kwargs: object) -> None:
        # A plain ValueError is a bug, not a user error: only journeykit's own errors are.
        msg = "boom inside the library"
        raise ValueError(msg)

    monkeypatch.setattr(jk, "attribute", broken)
    status = cli.main(["attribute", str(events_csv), "--model", "linear"])
    err = capsys.readouterr().err
    assert status == 70
    assert "Traceback (most recent call last)" in err
    assert "ValueError: boom inside the library" in err
    assert "this is a bug: please report it" in err
    assert "error: boom" not in err


def test_attribute_by_journey_rolls_up_once_per_measure(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from journeykit import cli  # noqa: PLC0415

    path = tmp_path / "events.csv"
    rows = [(f"j{i}", "2024-01-01T09:00:00+00:00", "ad", "true", "1") for i in range(50)]
    path.write_text(
        "journey_id,timestamp,channel,converted,value\n" + "\n".join(map(",".join, rows)) + "\n"
    )
    calls: list[object] = []
    by = jk.Attribution.by

    def counted(self: jk.Attribution, key: object = "channel", **kwargs: object) -> object:
        calls.append(key)
        return by(self, key, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(jk.Attribution, "by", counted)
    status = cli.main(
        ["attribute", str(path), "--model", "linear", "--by", "journey", "--format", "csv"]
    )
    assert status == 0
    assert len(capsys.readouterr().out.splitlines()) == 51  # header and one line per journey
    assert calls == ["journey", "journey"]  # conversions and value, not one per journey
