"""The bundled demo world: a simulated B2B world, with its ground truth, shipped as JSON."""

from __future__ import annotations

import gzip
import json
from importlib import resources
from pathlib import Path
from typing import Any, Final

from journeykit.datasets.simulation import (
    DEFAULT_CHANNELS,
    Effect,
    GroundTruth,
    Simulation,
    simulate,
)
from journeykit.records import Records

__all__ = ["BUNDLED", "DEMO_ACCOUNTS", "DEMO_SEED", "load_demo", "write_demo"]

DEMO_ACCOUNTS: Final = 800
DEMO_SEED: Final = 2024
_FILE: Final = "demo.json.gz"
BUNDLED: Final = Path(__file__).with_name(_FILE)
"""Where the bundled demo lives in a source checkout."""


def load_demo() -> Simulation:
    """The bundled demo: ``simulate(n_accounts=800, seed=2024)``, records and ground truth.

    It is read from a compressed JSON document inside the package (the same format CRMs use with
    :mod:`journeykit.io`), so it loads the same whatever version of numpy is installed.

    Examples
    --------
    >>> from journeykit.datasets import load_demo
    >>> demo = load_demo()
    >>> demo.records
    Records(personas=3, assets=20, accounts=800, buyers=1675, touchpoints=17440, deals=390)
    >>> demo.truth.channels["display"]
    Effect(won=0, value=0.0)
    """
    from journeykit.io.serde import structure  # noqa: PLC0415  # cattrs loads with the demo only

    raw = resources.files("journeykit.datasets").joinpath(_FILE).read_bytes()
    document = json.loads(gzip.decompress(raw))
    truth = document["truth"]
    return Simulation(
        records=structure(document["records"], Records),
        truth=GroundTruth(
            won=truth["won"],
            value=truth["value"],
            channels={k: Effect(*v) for k, v in truth["channels"].items()},
            assets={k: Effect(*v) for k, v in truth["assets"].items()},
        ),
        channels=DEFAULT_CHANNELS,
        asset_multipliers=document["asset_multipliers"],
        seed=document["seed"],
    )


def write_demo(path: str | Path) -> Path:
    """Simulate the demo world and write it where :func:`load_demo` reads it from.

    Maintainers run ``python -c "import journeykit.datasets.demo as d; d.write_demo(d.BUNDLED)"``
    after changing the simulator; a test checks the bundled file still equals a fresh simulation.
    """
    from journeykit.io.serde import unstructure  # noqa: PLC0415

    world = simulate(n_accounts=DEMO_ACCOUNTS, seed=DEMO_SEED)
    document: dict[str, Any] = {
        "seed": world.seed,
        "n_accounts": DEMO_ACCOUNTS,
        "asset_multipliers": dict(world.asset_multipliers),
        "truth": {
            "won": world.truth.won,
            "value": world.truth.value,
            "channels": {k: [e.won, e.value] for k, e in world.truth.channels.items()},
            "assets": {k: [e.won, e.value] for k, e in world.truth.assets.items()},
        },
        "records": unstructure(world.records),
    }
    text = json.dumps(document, separators=(",", ":"), sort_keys=True).encode()
    target = Path(path)
    target.write_bytes(gzip.compress(text, compresslevel=9, mtime=0))
    return target
