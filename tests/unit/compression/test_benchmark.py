"""The benchmark's domain side: the BD-rate headline, the rows RunBenchmark returns, and that an
installed daemon (no repository bench/ on its path) runs it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from auralinkd.compression.benchmark import row_from_report
from auralinkd.compression.benchmark.evaluation import bd_rate, headline
from auralinkd.compression.formats import FrameType
from auralinkd.compression.modes import Mode

BASE = [(8.0, 2.0), (16.0, 3.0), (32.0, 4.0)]


def test_bd_rate_is_zero_on_the_same_curve_and_minus_half_at_half_the_bits() -> None:
    assert bd_rate(BASE, BASE)[0] == pytest.approx(0.0)
    half = [(r / 2, q) for r, q in BASE]
    rate, lo, hi = bd_rate(half, BASE)
    assert rate == pytest.approx(-50.0)
    assert (lo, hi) == (2.0, 4.0)


def test_bd_rate_averages_only_over_the_shared_quality_range() -> None:
    ours = [(12.0, 3.0), (24.0, 3.5)]  # inside the baseline's range: 3.0-3.5 only
    rate, lo, hi = bd_rate(ours, BASE)
    assert (lo, hi) == (3.0, 3.5)
    assert -30 < rate < 0
    assert bd_rate([(1.0, 5.0)], BASE) is None  # a quality the baseline never reached


def test_one_mode_is_a_plain_ratio_at_its_quality() -> None:
    assert bd_rate([(8.0, 3.0)], BASE)[0] == pytest.approx(-50.0)


def _row(kind: str, mode: str, kbps: float, q: float, base_kbps: float) -> dict:
    return {
        "type": kind, "mode": mode, "codec": "vp8", "kbps": kbps, "reduction_pct": 99.0,
        "quality": {"ssim": q, "psnr_db": 30.0}, "latency_p50_ms": 1.0, "latency_p99_ms": 2.0, "fallbacks": 0,
        "bytes_out": 10, "baseline": {"name": "JPEG at equal SSIM (MJPEG)", "kbps": base_kbps, "bytes_per_frame": 100},
        "bitrate_vs_baseline_at_equal_quality": kbps / base_kbps,
    }  # fmt: skip


def test_headline_compares_each_type_with_its_baseline_at_the_modes_qualities() -> None:
    rows = [_row("video", "conservative", 400, 0.95, 4000), _row("video", "aggressive", 100, 0.85, 1000)]
    found = headline(rows, [])
    assert found["video"]["bd_rate_pct"] == pytest.approx(-90.0)
    assert found["video"]["quality_range"] == [0.85, 0.95]
    assert found["video"]["baseline"] == "JPEG at equal SSIM (MJPEG)"


def test_a_report_row_becomes_a_typed_benchmark_row() -> None:
    row = row_from_report(_row("video", "adaptive", 200, 0.9, 2000))
    assert (row.frame_type, row.mode, row.codec) == (FrameType.VIDEO, Mode.ADAPTIVE, "vp8")
    assert row.baseline_kbps == 2000 and row.bitrate_vs_baseline == pytest.approx(0.1)


def test_an_installed_daemon_runs_the_benchmark_without_the_repositorys_bench(tmp_path: Path) -> None:
    script = (
        "import importlib.util, json\n"
        "assert importlib.util.find_spec('bench') is None, 'bench/ is importable here'\n"
        "from auralinkd.compression import benchmark\n"
        "from auralinkd.compression.formats import FrameType\n"
        "from auralinkd.compression.modes import Mode\n"
        "steps = []\n"
        "r = benchmark.run([FrameType.DATA], [Mode.ADAPTIVE, Mode.OFF], quick=True, calibrate=False,\n"
        "                  progress=lambda f, s: steps.append((f, s)))\n"
        "print(json.dumps({'rows': [(x.frame_type.value, x.mode.value, x.codec, x.baseline_name) for x in r.rows],\n"
        "                  'steps': steps}))\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("AURALINK_") and k != "PYTHONPATH"}
    env["AURALINK_DATA_DIR"] = str(tmp_path / "data")
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=240
    )
    assert done.returncode == 0, done.stderr[-3000:]
    out = json.loads(done.stdout.strip().splitlines()[-1])
    assert out["rows"] == [
        ["data", "adaptive", "zstd", "zlib level 6 per message"],
        ["data", "off", "raw", "zlib level 6 per message"],
    ]
    assert out["steps"][0][0] == 0.0 and out["steps"][-1][0] == 1.0
    stored = json.loads((tmp_path / "data" / "bench" / "compression.json").read_text())
    assert stored["headline"]["data"]["baseline"] == "zlib level 6 per message"


def test_without_espeak_ng_the_speech_calibration_is_kept_and_the_corpus_says_synthetic(tmp_path: Path) -> None:
    table = tmp_path / "calibration.json"
    committed = json.loads((Path(__file__).parents[3] / "auralinkd/compression/calibration.json").read_text())
    table.write_text(json.dumps(committed))
    script = (
        "import json, sys\n"
        "from pathlib import Path\n"
        "from auralinkd.compression.benchmark import evaluation\n"
        "from auralinkd.compression.benchmark.corpus import speech\n"
        "steps = []\n"
        "evaluation._calibrate({'audio'}, True, speech.TRAIN_VOICES[:1], [], [], steps.append, Path(sys.argv[1]))\n"
        "print(json.dumps({'source': speech.speech_source(), 'steps': steps,\n"
        "                  'samples': int(len(speech.render('hello', 'en-us', 16000)))}))\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("AURALINK_")}
    env["PATH"] = str(Path(sys.executable).parent)  # the venv only: no espeak-ng on it
    done = subprocess.run(
        [sys.executable, "-c", script, str(table)], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr[-3000:]
    out = json.loads(done.stdout.strip().splitlines()[-1])
    assert out["source"] == "synthetic-voiced" and out["samples"] > 16000  # a stand-in voice, said so
    assert out["steps"] == ["kept the committed audio calibration: espeak-ng is not installed"]
    after = json.loads(table.read_text())
    assert after["audio"] == committed["audio"]
    assert after["meta"]["generated_by"].startswith("auralinkd.compression.benchmark")
