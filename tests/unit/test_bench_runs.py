"""The benchmarks still run: `python -m bench grpc_rps --quick` exits 0 and writes a complete results file.

Never a timing assertion: the numbers only have to exist and be positive.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from bench.__main__ import candidates, load

REPO = Path(__file__).resolve().parents[2]


def test_bench_finds_grpc_rps_as_an_area_with_a_main_function() -> None:
    assert "grpc_rps" in candidates()
    assert "common" not in candidates()
    assert callable(load("grpc_rps"))


def test_grpc_rps_quick_runs_and_writes_every_figure_with_its_baseline(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AURALINK_")}
    done = subprocess.run(
        [sys.executable, "-m", "bench", "grpc_rps", "--quick", "--results-dir", str(tmp_path)],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-4000:]
    assert "ratio" in done.stdout  # the table

    results = json.loads((tmp_path / "grpc_rps.json").read_text())
    assert {"area", "date", "commit", "machine", "meta", "figures"} <= results.keys()
    assert results["area"] == "grpc_rps"
    assert results["machine"]["cores"] >= 1 and results["machine"]["python"]
    assert results["commit"]

    figures = {f["name"]: f for f in results["figures"]}
    for transport in ("unix", "tcp"):
        for concurrency in (1, 16, 64):
            rps = figures[f"ping_rps/{transport}/c{concurrency}"]
            assert rps["value"] > 0 and rps["baseline"] > 0 and rps["ratio"] > 0
            assert isinstance(rps["pass"], bool)
            for q in (50, 99):
                latency = figures[f"ping_p{q}_ms/{transport}/c{concurrency}"]
                assert latency["value"] > 0 and latency["baseline"] > 0
