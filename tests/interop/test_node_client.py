"""The Node.js media-server client (tests/interop/node/client.js) against a real daemon.

The client is what a WebRTC media server runs: @grpc/grpc-js with @grpc/proto-loader loading protos/
directly. Each command prints one JSON line; this file starts the daemon, issues tokens, runs the client
and judges its results (PESQ-WB is scored here, from the PCM the client wrote). The figures each test
measured are printed (`pytest -s` shows them); the timing ones are reports, not asserts (the CI machine is
shared), except for bounds that only a broken daemon misses.
"""

from __future__ import annotations

import json
import secrets
import shutil
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from auralink.v1 import access_pb2, access_pb2_grpc
from bench.corpus import quality, speech
from tests.support import Daemon, EmbeddedServer, bearer, daemon_env, daemon_on_new_database, short_tempdir

NODE_DIR = Path(__file__).parent / "node"
NODE = shutil.which("node")
RATE = 16000

if NODE is None:  # loud: the media server's client is not optional where node exists (CI installs it)
    print("\n!!! tests/interop: node is not installed; the Node.js interop client is SKIPPED !!!\n")
    pytestmark = pytest.mark.skip(reason="NODE.JS IS NOT INSTALLED: the media-server interop client did not run")
elif not (NODE_DIR / "node_modules" / "@grpc" / "grpc-js").exists():
    pytestmark = pytest.mark.skip(
        reason="tests/interop/node/node_modules is missing: run `npm ci --prefix tests/interop/node` (.ci/run does)"
    )


GRACE_S = 2.0  # the daemons' shutdown grace period here (10 s by default)
JWT_SECRET = secrets.token_urlsafe(48)  # shared by the two replicas of the rolling restart


@pytest.fixture(scope="module")
def daemon(pg16_server: EmbeddedServer) -> Iterator[Daemon]:
    with daemon_on_new_database(pg16_server.dsn, shutdown_grace_s=str(GRACE_S), jwt_secret=JWT_SECRET) as handle:
        yield handle


@pytest.fixture(scope="module")
def speech_pcm(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """10 s of espeak-ng speech, 16 kHz mono s16le."""
    signal = speech.corpus(RATE, speech.HELD_OUT_VOICES[:2], sentences=4)
    signal = np.tile(signal, int(np.ceil(10 * RATE / len(signal))))[: 10 * RATE]
    path = tmp_path_factory.mktemp("interop") / "speech.pcm"
    path.write_bytes(signal.astype(np.int16).tobytes())
    return path


def node(command: str, daemon: Daemon, *args: str, timeout_s: float = 120) -> dict[str, Any]:
    run = subprocess.run(
        [str(NODE), str(NODE_DIR / "client.js"), command, "--addr", daemon.address, "--token", daemon.token, *args],
        capture_output=True,
        text=True,
        timeout=timeout_s,
    )
    assert run.returncode == 0, f"node client.js {command} failed:\n{run.stderr}\n{run.stdout}"
    result: dict[str, Any] = json.loads(run.stdout.strip().splitlines()[-1])
    print(f"\nnode client.js {command}: {json.dumps(result)}")
    return result


def pesq_wb(source: Path, decoded: Path) -> float:
    ref = np.frombuffer(source.read_bytes(), np.int16)
    deg = np.frombuffer(decoded.read_bytes(), np.int16)
    ref, deg = quality.align(ref, deg, 400)  # Opus adds about 6.5 ms of delay
    return quality.pesq_score(ref, deg, RATE)[0]


def test_node_streams_speech_through_compress_and_decompress_streams(
    daemon: Daemon, speech_pcm: Path, tmp_path: Path
) -> None:
    out = tmp_path / "decoded.pcm"
    r = node("roundtrip", daemon, "--in", str(speech_pcm), "--out", str(out))
    assert r["frames_in"] == r["compressed"] == r["decoded"] == 500
    assert r["errors"] == [] and r["decode_errors"] == []
    assert r["codecs"] == ["opus"]
    assert 6_000 <= r["bitrate_bps"] <= 64_000  # Opus speech, not raw (256 kbit/s) nor a fallback
    score = pesq_wb(speech_pcm, out)
    print(f"PESQ-WB of the Node round trip: {score:.2f} at {r['bitrate_bps'] / 1000:.1f} kbit/s")
    assert score >= 3.0


def test_node_ten_percent_loss_concealed_by_fec_and_plc_beats_silence(
    daemon: Daemon, speech_pcm: Path, tmp_path: Path
) -> None:
    """The media server tells the daemon the network loses 10% (FEC on), drops the same 10% of frames,
    and asks for each lost one: with the next packet (FEC) or without (PLC); the baseline plays silence."""
    scores = {}
    for how in ("none", "plc", "fec"):
        out = tmp_path / f"{how}.pcm"
        r = node(
            "roundtrip", daemon, "--in", str(speech_pcm), "--out", str(out), "--loss", "0.1", "--conceal", how, "--fec"
        )
        assert r["compressed"] == 500 and r["decode_errors"] == []
        assert 30 <= r["lost"] <= 70
        if how == "none":
            assert r["decoded"] == 500 - r["lost"]
        else:
            assert r["decoded"] == 500 and sum(r["concealed"].values()) == r["lost"]
        scores[how] = pesq_wb(speech_pcm, out)
    print(f"PESQ-WB at 10% loss: silence {scores['none']:.2f}, PLC {scores['plc']:.2f}, FEC {scores['fec']:.2f}")
    assert scores["plc"] > scores["none"] and scores["fec"] > scores["plc"]


def test_node_sends_browser_opus_with_rtp_metadata_in_order(daemon: Daemon, speech_pcm: Path, tmp_path: Path) -> None:
    """Opus in: the SFU forwards a browser's Opus packets (here from PyAV's libopus at 48 kHz, not our
    encoder) with their RTP sequence, timestamp and SSRC; a duplicate and a backward one are refused."""
    from tests.unit.compression.test_opus_in import browser_opus

    speech = np.frombuffer(speech_pcm.read_bytes(), np.int16)[: 5 * RATE]
    packets = browser_opus(speech)
    blob = tmp_path / "opus.bin"
    blob.write_bytes(b"".join(len(p).to_bytes(2, "big") + p for p in packets))
    out = tmp_path / "opusin.pcm"
    r = node("opusin", daemon, "--in", str(blob), "--out", str(out))
    assert r["packets"] == r["decoded"] == r["rtp_echoed"] == len(packets) and r["errors"] == []
    assert r["duplicate"] == "OUT_OF_RANGE" and r["backward"] == "OUT_OF_RANGE"
    deg = np.frombuffer(out.read_bytes(), np.int16)
    score = quality.pesq_score(*quality.align(speech[: len(deg)], deg, 640), RATE)[0]
    print(f"PESQ-WB of browser Opus in, through the Node client: {score:.2f}")
    assert score > 3.0


def test_node_batch_stream_of_25_sessions_paced_in_real_time(daemon: Daemon) -> None:
    r = node("batch", daemon, "--sessions", "25", "--seconds", "4", "--bad-tick", "50", "--bad-slot", "3", "--compact")
    assert r["replies"] == r["ticks"] == 200
    assert r["wrong_slots"] == 0  # every slot answers its own session (by handle) and sequence, in order
    assert 25 <= r["slots_with_codec"] < 200 * 25 / 2  # compact: the codec on a session's first slot and on change
    # The one bad frame is an error in its own slot only.
    assert r["slot_errors"] == [{"tick": 50, "slot": 3, "code": "INVALID_ARGUMENT", "field": "payload"}]
    assert 6_000 <= r["bitrate_bps_per_session"] <= 64_000
    # Late ticks (reply after 20 ms) are reported, not asserted: the machine is shared. A daemon that
    # queued without bound would have the whole run in flight; paced ticks keep it to a few.
    print(f"late ticks {r['late_ticks']}/{r['ticks']}, reply p50 {r['reply_ms_p50']} ms p99 {r['reply_ms_p99']} ms")
    assert r["max_in_flight"] < r["ticks"]


def test_node_overload_with_a_staleness_bound_drops_frames_instead_of_queueing(daemon: Daemon) -> None:
    """#23.1 as the media server sees it: more sessions than this machine codes in real time, each tick
    bounded at 60 ms. Frames past the bound come back DEADLINE_EXCEEDED in their slots instead of
    waiting in a queue, so the replies keep pace with the ticks."""
    r = node("batch", daemon, "--sessions", "120", "--seconds", "3", "--bad-tick", "-1", "--max-age-ms", "60")
    assert r["replies"] == r["ticks"] == 150 and r["wrong_slots"] == 0 and r["slot_errors"] == []
    print(
        f"120 sessions, 60 ms bound: stale slots {r['stale_slots']}/{150 * 120}, late ticks {r['late_ticks']}/150, "
        f"reply p50 {r['reply_ms_p50']} ms, last second p50 {r['last_second_reply_ms_p50']} ms, "
        f"max ticks in flight {r['max_in_flight']}"
    )
    # Without shedding, a tick the daemon cannot code in 20 ms leaves the next one later still: the
    # replies of the last second would trail by seconds. Dropped frames keep the queue short.
    assert r["stale_slots"] > 0 or r["late_ticks"] < 15
    assert r["max_in_flight"] < 75  # never half the run queued


def _second_user_token(daemon: Daemon) -> str:
    with daemon.channel() as channel:
        operator = bearer(daemon.token)
        users = access_pb2_grpc.UserServiceStub(channel)
        user = users.CreateUser(
            access_pb2.CreateUserRequest(
                user=access_pb2.User(email="sfu2@interop.test", username="sfu2", base_role=access_pb2.BASE_ROLE_USER)
            ),
            metadata=operator,
            timeout=10,
        )
        issued = access_pb2_grpc.CredentialServiceStub(channel).IssueToken(
            access_pb2.IssueTokenRequest(user=user.id, scopes=["*"], ttl_seconds=3600), metadata=operator, timeout=10
        )
    return str(issued.token)


def test_node_bad_input_gets_its_documented_status(daemon: Daemon) -> None:
    r = node("badinput", daemon, "--token2", _second_user_token(daemon))
    assert r["odd_bytes"] == "INVALID_ARGUMENT"
    assert r["wrong_frame_size"] == "INVALID_ARGUMENT"
    assert r["unknown_session"] == "NOT_FOUND"
    assert r["other_users_session"] == "NOT_FOUND"  # never PERMISSION_DENIED: another user's ids are not revealed
    assert r["batch_1025"] == "INVALID_ARGUMENT"
    assert r["batch_1024_errors"] == 0
    assert r["backward_sequences"] == ["OK", "OK", "OK"]  # PCM in: the sequence is the caller's label
    assert r["after_all"] == "OK"


class Resume:
    """`node client.js resume` running in the background while the test restarts daemons."""

    def __init__(self, daemon: Daemon, speech_pcm: Path, *args: str) -> None:
        self.proc = subprocess.Popen(
            [str(NODE), str(NODE_DIR / "client.js"), "resume", "--addr", daemon.address, "--token", daemon.token,
             "--in", str(speech_pcm), *args],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
        assert self.proc.stderr is not None
        assert self.proc.stderr.readline().strip() == "streaming"
        self.stderr: list[str] = []
        threading.Thread(target=lambda: self.stderr.extend(self.proc.stderr), daemon=True).start()  # type: ignore[arg-type]

    def result(self) -> dict[str, Any]:
        out, _ = self.proc.communicate(timeout=120)
        assert self.proc.returncode == 0, "".join(self.stderr)
        r: dict[str, Any] = json.loads(out.strip().splitlines()[-1])
        print(f"\nnode client.js resume: {json.dumps(r)}")
        return r


def test_node_rolling_restart_moves_streams_on_the_drain_notice_and_a_cut_stream_resumes(
    daemon: Daemon, speech_pcm: Path
) -> None:
    """Two replicas on one database: SIGTERM on the one serving the streams, restart it, then SIGTERM on
    the other. Two clients stream meanwhile:
    - `moving` moves on the drain notice, so its audio gap is the time to open a session on the other
      replica (issue #23's target: under 1 s), not the grace period plus a restart;
    - `staying` ignores the notice (and has no other replica): its stream is cut with UNAVAILABLE when
      the grace period ends, and a new session opens as soon as the restarted daemon answers.
    Last in the module: it restarts the module's daemon."""
    root = short_tempdir()
    other = Daemon(
        root / "b",
        daemon_env(
            root / "b", database_url=daemon.env["AURALINK_DATABASE_URL"], shutdown_grace_s=str(GRACE_S),
            jwt_secret=JWT_SECRET,
        ),
    )  # fmt: skip
    other.start()
    try:
        moving = Resume(daemon, speech_pcm, "--seconds", "120", "--addr2", other.address, "--sessions-max", "3")
        staying = Resume(daemon, speech_pcm, "--seconds", "120", "--ignore-drain", "--sessions-max", "2")
        time.sleep(1.0)
        daemon.stop()  # the moving stream leaves at once; the staying one is cut after the grace period
        daemon.start()
        time.sleep(1.0)
        other.stop()
        r, s = moving.result(), staying.result()
    finally:
        other.stop()
        shutil.rmtree(root, ignore_errors=True)
    drains = [e["replica"] for e in r["events"] if e["event"] == "drain_notice"]
    sessions = [e["replica"] for e in r["events"] if e["event"] == "session"]
    assert drains == [0, 1]
    assert sessions == [0, 1, 0]
    assert all(e["status"] == "OK" for e in r["events"] if e["event"] == "stream_end")  # none was cut
    print(f"audio gap in a rolling restart of two replicas: {r['max_gap_ms']} ms (target < 1000 ms)")
    assert r["max_gap_ms"] < GRACE_S * 1000  # moved on the notice, not cut at the end of the grace period

    ends = [e for e in s["events"] if e["event"] == "stream_end"]
    assert ends[0]["status"] == "UNAVAILABLE" and ends[0]["drained"]  # told, then cut after the grace period
    opened = [e for e in s["events"] if e["event"] == "session"]
    assert len(opened) == 2 and opened[1]["from_frame"] > opened[0]["from_frame"]
    assert ends[-1]["status"] == "OK" and s["coded"] > opened[0]["from_frame"] + 25
    print(f"audio gap for a client that waits for the cut (grace {GRACE_S:g} s, then a restart): {s['max_gap_ms']} ms")
