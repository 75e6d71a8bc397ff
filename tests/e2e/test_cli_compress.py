"""`auralink compress sessions` (ListSessions) and `compress metrics` against a real daemon: stable JSON."""

from __future__ import annotations

import json

import grpc
from google.protobuf import duration_pb2

from auralink.v1 import compression_pb2 as pb
from auralink.v1 import compression_pb2_grpc
from tests.support import Daemon, bearer

SESSION_KEYS = {
    "session_id", "user_id", "frame_type", "mode", "codec", "model_type", "format", "create_time",
    "last_activity_time", "frames_in", "frames_out", "bytes_in", "bytes_out", "compression_ratio",
    "fallback_count", "postfilter", "stale_dropped", "degrade_step",
}  # fmt: skip
AUDIO16 = pb.StreamFormat(
    audio=pb.AudioFormat(sample_rate=16000, channels=1, frame_duration=duration_pb2.Duration(nanos=20_000_000))
)


def _json(daemon: Daemon, *args: str) -> dict:  # type: ignore[type-arg]
    proc = daemon.cli("compress", *args, "-o", "json")
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def test_compress_sessions_lists_via_list_sessions_with_paging_and_metrics_break_down_per_mode(daemon: Daemon) -> None:
    md = bearer(daemon.token)
    with daemon.channel() as channel:
        stub = compression_pb2_grpc.AICCompressionServiceStub(channel)
        config = pb.CompressionConfig(mode=pb.COMPRESSION_MODE_AGGRESSIVE, max_latency=duration_pb2.Duration(seconds=1))
        audio = stub.StartSession(
            pb.StartSessionRequest(frame_type=pb.FRAME_TYPE_AUDIO, format=AUDIO16, config=config), metadata=md
        ).session_id
        data = stub.StartSession(
            pb.StartSessionRequest(frame_type=pb.FRAME_TYPE_DATA, format=pb.StreamFormat(data=pb.DataFormat())),
            metadata=md,
        ).session_id
        stub.CompressFrame(pb.CompressFrameRequest(session_id=audio, payload=bytes(640)), metadata=md)
        stub.CompressFrame(pb.CompressFrameRequest(session_id=data, payload=b"abc" * 200), metadata=md)

        listed = _json(daemon, "sessions")
        assert set(listed) == {"sessions", "next_page_token"} and listed["next_page_token"] == ""
        assert [s["session_id"] for s in listed["sessions"]] == [audio, data]  # oldest first
        first = listed["sessions"][0]
        assert set(first) == SESSION_KEYS
        assert (first["frame_type"], first["mode"], first["codec"], first["model_type"]) == (
            "AUDIO", "AGGRESSIVE", "opus", "auto",
        )  # fmt: skip
        assert first["format"]["audio"] == {"sample_rate": 16000, "channels": 1, "frame_duration": 0.02}
        assert first["frames_in"] == 1 and first["bytes_in"] == 640 and first["compression_ratio"] > 1
        assert first["stale_dropped"] == 0 and first["degrade_step"] == 0  # one frame on an idle daemon
        assert first["create_time"].endswith("Z") and first["postfilter"] is False

        page = _json(daemon, "sessions", "--limit", "1")
        assert [s["session_id"] for s in page["sessions"]] == [audio] and page["next_page_token"]
        rest = _json(daemon, "sessions", "--page-token", page["next_page_token"])
        assert [s["session_id"] for s in rest["sessions"]] == [data] and rest["next_page_token"] == ""

        table = daemon.cli("compress", "sessions")
        assert table.returncode == 0 and audio in table.stdout and "aggressive" in table.stdout

        metrics = _json(daemon, "metrics")
        assert [(r["frame_type"], r["mode"], r["figures"]["frames"]) for r in metrics["per_mode"]] == [
            ("AUDIO", "AGGRESSIVE", 1), ("DATA", "ADAPTIVE", 1),
        ]  # fmt: skip
        shown = daemon.cli("compress", "metrics")
        assert (
            shown.returncode == 0 and "Per frame type and mode" in shown.stdout and "audio aggressive" in shown.stdout
        )

        stub.EndSession(pb.EndSessionRequest(session_id=audio), metadata=md)
        assert [s["session_id"] for s in _json(daemon, "sessions")["sessions"]] == [data]

        bad = daemon.cli("compress", "sessions", "--page-token", "not-a-token")
        assert bad.returncode != 0 and "page_token" in bad.stderr
        try:
            stub.ListSessions(pb.ListSessionsRequest(page_size=-1), metadata=md)
        except grpc.RpcError as exc:
            assert exc.code() is grpc.StatusCode.INVALID_ARGUMENT
