"""Conservation audit, in one place: every model and every reader credits exactly what came in.

For every registered model, over generated journeys and over the corpus' readable inputs read by
every reader: credited conversions equal the attributable conversions, credited value the
attributable value, and cents add up to each attributable journey's value in cents.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings

import journeykit as jk
from journeykit.io.files import read_journeys
from journeykit.streaming import attribute_file
from journeykit.testing import strategies

# Every registered model with its defaults; custom_positions has none (its weights are the point).
MODELS: list[str | jk.models.Model] = [
    *(m for m in jk.models.available() if m != "custom_positions"),
    jk.models.get("custom_positions", first=0.3, closed_won=0.3, middle=0.4),
]
CORPUS = Path(__file__).parent / "corpus"


def _audit(journeys: jk.Journeys, model: str | jk.models.Model) -> None:
    result = jk.attribute(journeys, model)
    attributable = journeys.converting & (journeys.lengths > 0)
    conversions = float(journeys.conversions[attributable].sum())
    value = float(journeys.value[attributable].sum())
    assert result.total == pytest.approx(conversions, rel=1e-9, abs=1e-9)
    assert result.total_value == pytest.approx(value, rel=1e-9, abs=1e-6)
    cents = result.to_cents()
    want = int(np.rint(journeys.value[attributable] * 100).astype(np.int64).sum())
    assert int(cents.sum()) == want
    assert sum(result.by("channel", measure="cents").values()) == want
    assert np.all(cents >= 0)
    assert sum(result.by("channel").values()) == pytest.approx(conversions, rel=1e-9, abs=1e-9)


@pytest.mark.parametrize("model", MODELS)
@settings(suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(journeys=strategies.journeys(channels=("a", "b", "c", "START", "a>b")))
def test_every_model_conserves_on_generated_journeys(
    model: str | jk.models.Model, journeys: jk.Journeys
) -> None:
    _audit(journeys, model)


@pytest.mark.parametrize("model", MODELS)
def test_every_reader_conserves_on_the_corpus(model: str | jk.models.Model, tmp_path: Path) -> None:
    path = CORPUS / "naive_time.csv"
    whole = read_journeys(path, tz="Europe/Berlin")
    _audit(whole, model)
    chunked = attribute_file(path, model, chunk_rows=1, tz="Europe/Berlin")
    assert chunked.total == pytest.approx(whole.total_conversions)
    assert chunked.total_value == pytest.approx(whole.total_value)
    events = tmp_path / "events.csv"
    rows = ["journey_id,timestamp,channel,converted,value"]
    for j in range(30):
        for t in range(j % 4 + 1):
            converted = t == j % 4 and j % 3 != 0
            value = f"{(j * 37.13) % 997:.2f}" if converted else ""
            rows.append(f"{j:03d},2024-01-{t + 1:02d}T00:00:00Z,c{(j + t) % 5},{converted},{value}")
    events.write_text("\n".join(rows) + "\n", encoding="utf-8")
    read = read_journeys(events)
    _audit(read, model)
    streamed = attribute_file(events, model, chunk_rows=7)
    assert streamed.n_journeys == read.n_journeys == 30
    assert streamed.total == pytest.approx(read.total_conversions)
    assert streamed.total_value == pytest.approx(read.total_value)
