"""`compress file` at 22.05 and 44.1 kHz (resampled for the codec, which says at what rate it ran), and
`compress metrics` latency across the recorder's flush (the last full window, or "no data yet")."""

from __future__ import annotations

import asyncio
import json
import shutil
import subprocess
import time
import wave
from pathlib import Path
from typing import Any

import asyncpg
import numpy as np

from auralinkd.compression.benchmark.corpus.speech import synthetic_voiced
from tests.support import Daemon

SENTENCE = "The quick brown fox jumps over the lazy dog near the quiet river bank."


def write_wav(path: Path, pcm: np.ndarray, rate: int) -> Path:
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(pcm.astype("<i2").tobytes())
    return path


def speech_22k(path: Path) -> Path:
    """espeak-ng's own output (22.05 kHz mono) where it is installed (CI), else a synthetic voice at that rate."""
    if shutil.which("espeak-ng"):
        subprocess.run(["espeak-ng", "-w", str(path), SENTENCE], check=True, capture_output=True, timeout=60)
        return path
    return write_wav(path, synthetic_voiced(2.0, 22050, seed=1), 22050)


def read_wav(path: Path) -> tuple[int, np.ndarray]:
    with wave.open(str(path), "rb") as w:
        return w.getframerate(), np.frombuffer(w.readframes(w.getnframes()), dtype="<i2")


def compress_file(daemon: Daemon, path: Path, out: Path) -> dict[str, Any]:
    result = daemon.cli("-o", "json", "--timeout", "60", "compress", "file", str(path), "--out", str(out))
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def metrics(daemon: Daemon) -> dict[str, Any]:
    result = daemon.cli("-o", "json", "compress", "metrics")
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)["global"]


def flushed_rows(daemon: Daemon) -> int:
    async def count() -> int:
        conn = await asyncpg.connect(daemon.env["AURALINK_DATABASE_URL"])
        try:
            return int(await conn.fetchval("SELECT count(*) FROM aic_compression_metrics"))
        finally:
            await conn.close()

    return asyncio.run(count())


def test_22k_and_44k_wavs_are_resampled_and_latency_survives_the_recorders_flush(
    daemon: Daemon, tmp_path: Path
) -> None:
    empty = metrics(daemon)
    assert empty["frames"] == 0 and empty["latency_p50"] is None and empty["latency_p99"] is None
    table = daemon.cli("compress", "metrics")
    assert table.returncode == 0 and "no data yet" in table.stdout

    espeak = speech_22k(tmp_path / "espeak.wav")
    rate, pcm = read_wav(espeak)
    assert rate == 22050
    cd = write_wav(tmp_path / "cd.wav", np.repeat(pcm, 2), 44100)  # the same speech at CD audio's rate

    for path, file_rate, codec_rate in ((espeak, 22050, 24000), (cd, 44100, 48000)):
        out = tmp_path / f"{path.stem}-decoded.wav"
        result = compress_file(daemon, path, out)
        assert (result["sample_rate"], result["codec_sample_rate"]) == (file_rate, codec_rate)
        assert result["codec"] == "opus" and result["frames"] >= 50 and result["output_bytes"] < result["input_bytes"]
        assert result["snr_db"] > 0  # the speech came back, not silence or noise
        back_rate, back = read_wav(out)
        assert back_rate == file_rate and len(back) == len(read_wav(path)[1])
    shown = daemon.cli("compress", "file", str(espeak))
    assert shown.returncode == 0 and "22050 Hz resampled to 24000 Hz" in shown.stderr

    deadline = time.monotonic() + 40  # the recorder flushes every 10 s, and restarts the latency window
    while flushed_rows(daemon) == 0 and time.monotonic() < deadline:
        time.sleep(0.5)
    assert flushed_rows(daemon) > 0, "the recorder never flushed"
    after = metrics(daemon)
    assert after["frames"] > 0 and after["latency_p50"] > 0 and after["latency_p99"] >= after["latency_p50"]
    assert "no data yet" not in daemon.cli("compress", "metrics").stdout
