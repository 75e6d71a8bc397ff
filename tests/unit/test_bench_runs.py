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


def _bench(*args: str, timeout: int = 240) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AURALINK_")}
    return subprocess.run(
        [sys.executable, "-m", "bench", *args], cwd=REPO, env=env, capture_output=True, text=True, timeout=timeout
    )


def test_compression_quick_prints_each_mode_against_its_baseline_and_the_headline(tmp_path: Path) -> None:
    out = tmp_path / "compression.json"
    done = _bench("compression", "--quick", "--type", "screen", "--type", "data", "--results", str(out))
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-4000:]
    assert "JPEG at equal SSIM" in done.stdout and "zlib level 6" in done.stdout
    assert "headline screen  BD-rate vs JPEG at equal SSIM" in done.stdout

    report = json.loads(out.read_text())
    rows = {(r["type"], r["mode"]): r for r in report["rows"]}
    for kind in ("screen", "data"):
        for mode in ("conservative", "adaptive", "aggressive", "off"):
            row = rows[(kind, mode)]
            assert row["codec"] and row["latency_p99_ms"] >= row["latency_p50_ms"] >= 0
            if kind == "screen" and mode != "off":
                assert row["baseline"]["bytes_per_frame"] > 0 and row["bitrate_vs_baseline_at_equal_quality"] > 0
    assert set(report["headline"]) == {"screen", "data"}


def test_compress_capacity_quick_measures_streams_against_the_opus_anchor(tmp_path: Path) -> None:
    done = _bench("compress_capacity", "--quick", "--results-dir", str(tmp_path), timeout=280)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-4000:]
    results = json.loads((tmp_path / "compress_capacity.json").read_text())
    assert results["meta"]["anchor_ms_per_frame"] > 0 and results["meta"]["load_average_at_start"]
    streams = next(f for f in results["figures"] if f["name"].startswith("audio streams at p99 < 20 ms"))
    assert streams["value"] >= 0 and streams["baseline"] > 0  # no timing assertion: the figure exists
    assert results["meta"]["runs"]["auto"]["trials"]
    # Both gRPC floors, and the ceilings they put on capacity: below the anchor whatever the machine's load.
    for rpc in ("CompressStream", "CompressBatchStream"):
        ceiling = next(f for f in results["figures"] if f["name"].startswith(f"{rpc} ceiling"))
        assert 0 < ceiling["value"] < ceiling["baseline"]
