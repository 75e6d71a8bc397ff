"""The servicer translates proto <-> domain and raises domain errors; streams report per-frame errors.

Handlers are called directly with the caller set as the guard would set it (the guard itself and the
status mapping are tested with the real daemon in tests/e2e/test_compression_api.py).
"""

from __future__ import annotations

import asyncio
import json
import uuid

import numpy as np
import pytest
from google.protobuf import duration_pb2, field_mask_pb2

from auralink.v1 import compression_pb2 as pb
from auralinkd.access.principal import Caller, Principal
from auralinkd.api import context as call_context
from auralinkd.api.compression import AICCompressionServicer
from auralinkd.api.permissions import collect
from auralinkd.compression import CalibrationTable, CompressionConfig, CompressionService
from auralinkd.compression.benchmark import BenchmarkResult, BenchmarkRow
from auralinkd.compression.benchmark.runner import BenchmarkRunner
from auralinkd.compression.formats import MAX_PAYLOAD_BYTES, FrameType
from auralinkd.compression.modes import Mode
from auralinkd.compression.userconfig import UserConfigs
from auralinkd.errors import Aborted, InvalidArgument, NotFound, ResourceExhausted, Unavailable
from auralinkd.streams import Streams

USER, ORG = uuid.uuid4(), uuid.uuid4()
AUDIO16 = pb.StreamFormat(
    audio=pb.AudioFormat(sample_rate=16000, channels=1, frame_duration=duration_pb2.Duration(nanos=20_000_000))
)


class _Stopping:
    def __init__(self) -> None:
        self.value = False

    def __call__(self) -> bool:
        return self.value


@pytest.fixture
def stopping() -> _Stopping:
    return _Stopping()


@pytest.fixture
def servicer(stopping: _Stopping) -> AICCompressionServicer:
    call_context.set_caller(Caller(Principal(USER, ORG, frozenset({"compression:*"}), "test"), "req-1"))
    service = CompressionService(CalibrationTable.load())
    return AICCompressionServicer(service, UserConfigs(CompressionConfig()), stopping=stopping)


async def _aiter(items):
    for item in items:
        yield item


async def _audio_session(servicer: AICCompressionServicer, **config) -> str:
    request = pb.StartSessionRequest(
        frame_type=pb.FRAME_TYPE_AUDIO, format=AUDIO16, config=pb.CompressionConfig(**config)
    )
    return (await servicer.StartSession(request, None)).session_id


def test_every_rpc_declares_a_compression_permission(servicer):
    table = collect([(servicer, pb.DESCRIPTOR.services_by_name["AICCompressionService"])])
    assert len(table) == 15
    assert {p.split(":")[0] for p in table.values()} == {"compression"}
    assert table["/auralink.v1.AICCompressionService/RunBenchmark"] == "compression:bench"
    assert table["/auralink.v1.AICCompressionService/GetCompressionMetrics"] == "compression:read"


async def test_unary_frames_round_trip_with_quality_named(servicer):
    sid = await _audio_session(servicer)
    frame = (np.sin(np.arange(320) / 7) * 6000).astype(np.int16).tobytes()
    c = await servicer.CompressFrame(pb.CompressFrameRequest(session_id=sid, sequence=7, payload=frame), None)
    assert c.sequence == 7 and c.codec == "opus" and c.quality.metric == "pesq_wb" and c.output_bytes < 640
    d = await servicer.DecompressFrame(pb.DecompressFrameRequest(session_id=sid, sequence=7, data=c.data), None)
    assert len(d.payload) == 640 and d.codec == "opus"


async def test_a_bad_frame_in_a_stream_is_reported_in_its_response_and_the_stream_goes_on(servicer):
    sid = await _audio_session(servicer)
    requests = [
        pb.CompressFrameRequest(session_id=sid, sequence=0, payload=bytes(640)),
        pb.CompressFrameRequest(session_id=sid, sequence=1, payload=bytes(641)),
        pb.CompressFrameRequest(session_id="nope", sequence=2, payload=bytes(640)),
        pb.CompressFrameRequest(session_id=sid, sequence=3, payload=bytes(MAX_PAYLOAD_BYTES + 1)),
        pb.CompressFrameRequest(session_id=sid, sequence=4, payload=bytes(640)),
    ]
    out = [r async for r in servicer.CompressStream(_aiter(requests), None)]
    assert [r.sequence for r in out] == [0, 1, 2, 3, 4]
    assert [r.error.code for r in out] == ["", "INVALID_ARGUMENT", "NOT_FOUND", "RESOURCE_EXHAUSTED", ""]
    assert out[1].error.field == "payload"
    assert out[4].codec == "opus" and out[4].data

    corrupt = bytearray(out[0].data)
    corrupt[-1] ^= 0xFF
    decoded = [
        r
        async for r in servicer.DecompressStream(
            _aiter(
                [
                    pb.DecompressFrameRequest(session_id=sid, sequence=0, data=bytes(corrupt)),
                    pb.DecompressFrameRequest(session_id=sid, sequence=4, data=out[4].data),
                ]
            ),
            None,
        )
    ]
    assert decoded[0].error.code == "INVALID_ARGUMENT" and len(decoded[1].payload) == 640


async def test_unary_errors_are_domain_errors(servicer):
    sid = await _audio_session(servicer)
    with pytest.raises(ResourceExhausted):
        await servicer.CompressFrame(
            pb.CompressFrameRequest(session_id=sid, payload=bytes(MAX_PAYLOAD_BYTES + 1)), None
        )
    with pytest.raises(NotFound):
        await servicer.EndSession(pb.EndSessionRequest(session_id="gone"), None)
    with pytest.raises(InvalidArgument, match="frame_type"):
        await servicer.StartSession(pb.StartSessionRequest(format=AUDIO16), None)
    with pytest.raises(InvalidArgument, match="8000, 16000, 24000, 48000"):
        fmt = pb.StreamFormat(audio=pb.AudioFormat(sample_rate=44100, channels=1))
        await servicer.StartSession(pb.StartSessionRequest(frame_type=pb.FRAME_TYPE_AUDIO, format=fmt), None)
    with pytest.raises(InvalidArgument, match="sequence"):
        await servicer.CompressFrame(
            pb.CompressFrameRequest(session_id=sid, sequence=2**64 - 1, payload=bytes(640)), None
        )


async def test_start_session_fills_unset_fields_from_the_users_config(servicer):
    got = await servicer.GetConfig(pb.GetConfigRequest(), None)
    assert got.config.mode == pb.COMPRESSION_MODE_ADAPTIVE and got.available_model_types["audio"] == "opus,raw,hybrid"
    mask = field_mask_pb2.FieldMask(paths=["mode"])
    cfg = pb.CompressionConfig(mode=pb.COMPRESSION_MODE_CONSERVATIVE)
    updated = await servicer.UpdateConfig(pb.UpdateConfigRequest(config=cfg, update_mask=mask, etag=got.etag), None)
    assert updated.config.mode == pb.COMPRESSION_MODE_CONSERVATIVE and updated.etag != got.etag
    started = await servicer.StartSession(pb.StartSessionRequest(frame_type=pb.FRAME_TYPE_AUDIO, format=AUDIO16), None)
    assert started.quality_target == 4.0  # CONSERVATIVE's PESQ-WB target
    with pytest.raises(Aborted):
        await servicer.UpdateConfig(pb.UpdateConfigRequest(config=cfg, update_mask=mask, etag=got.etag), None)
    with pytest.raises(InvalidArgument, match="update_mask"):
        bad = field_mask_pb2.FieldMask(paths=["colour"])
        await servicer.UpdateConfig(pb.UpdateConfigRequest(config=cfg, update_mask=bad), None)


async def test_network_conditions_and_metrics(servicer):
    sid = await _audio_session(servicer)
    d = await servicer.UpdateNetworkConditions(
        pb.UpdateNetworkConditionsRequest(session_id=sid, bandwidth_kbps=100, loss_pct=5), None
    )
    assert d.fec and d.packet_loss_hint_pct == 5
    await servicer.CompressFrame(pb.CompressFrameRequest(session_id=sid, payload=bytes(640)), None)
    m = await servicer.GetCompressionMetrics(pb.GetCompressionMetricsRequest(), None)
    assert getattr(m, "global").frames == 1 and m.per_session[sid].frames == 1
    assert set(m.per_user) == {str(USER)}


async def test_metrics_show_only_the_callers_own_users(servicer):
    servicer._service.start_session("someone-else", FrameType.DATA, __import__("auralinkd").compression.DataFormat())
    other = servicer._service.list_sessions("someone-else")[0].id
    servicer._service.compress(other, 0, b"x" * 100)
    m = await servicer.GetCompressionMetrics(pb.GetCompressionMetricsRequest(), None)
    assert getattr(m, "global").frames == 0 and not m.per_user and not m.per_session
    with pytest.raises(NotFound):
        await servicer.GetCompressionMetrics(pb.GetCompressionMetricsRequest(session_id=other), None)


async def test_watch_metrics_sends_a_snapshot_first_then_ends_unavailable_on_shutdown(servicer, stopping):
    stream = servicer.WatchMetrics(pb.WatchMetricsRequest(interval=duration_pb2.Duration(seconds=1)), None)
    first = await anext(stream)
    assert first.HasField("metrics")
    second = await asyncio.wait_for(anext(stream), 5)
    assert second.HasField("metrics")
    stopping.value = True
    with pytest.raises(Unavailable):
        await asyncio.wait_for(anext(stream), 5)


async def test_a_quiet_metrics_watch_sends_heartbeats_at_the_daemons_keep_alive_interval(stopping):
    call_context.set_caller(Caller(Principal(USER, ORG, frozenset({"compression:*"}), "test"), "req-1"))
    svc = AICCompressionServicer(
        CompressionService(CalibrationTable.load()), UserConfigs(CompressionConfig()),
        stopping=stopping, streams=Streams(stopping, heartbeat_s=0.2),
    )  # fmt: skip
    stream = svc.WatchMetrics(pb.WatchMetricsRequest(interval=duration_pb2.Duration(seconds=3600)), None)
    assert (await anext(stream)).HasField("metrics")
    beats = [await asyncio.wait_for(anext(stream), 5) for _ in range(3)]
    assert all(b.HasField("heartbeat") for b in beats)  # an hour's interval: only heartbeats come meanwhile
    stopping.value = True
    with pytest.raises(Unavailable):
        await asyncio.wait_for(anext(stream), 5)


async def test_watch_metrics_refuses_a_sub_second_interval(servicer):
    with pytest.raises(InvalidArgument, match="interval"):
        await anext(servicer.WatchMetrics(pb.WatchMetricsRequest(interval=duration_pb2.Duration(nanos=10)), None))


async def test_run_benchmark_streams_progress_then_rows_then_done(stopping, tmp_path):
    call_context.set_caller(Caller(Principal(USER, ORG, frozenset({"compression:*"}), "test"), "req-2"))
    seen: dict[str, object] = {}

    def fake_run(types, modes, *, quick, calibrate, progress, calibration_path=None):
        progress(0.5, "halfway")
        seen["calibration_path"] = calibration_path
        if calibration_path is not None:  # as the calibration does: start from the work file, rewrite it
            table = json.loads(calibration_path.read_text())
            table["meta"] = {"generated_by": "test"}
            calibration_path.write_text(json.dumps(table))
        row = BenchmarkRow(FrameType.DATA, Mode.ADAPTIVE, "zstd", 0.0, 60.0, {"lossless": 1.0}, 0.1, 0.2, 0,
                           "zlib level 6 per message", 0.0, {}, 0.9)  # fmt: skip
        return BenchmarkResult([row], "abc123", 0.1)

    service = CompressionService(CalibrationTable.load())
    saved: list[dict] = []

    async def save(table: dict) -> None:
        saved.append(table)
        service.use_calibration(CalibrationTable(table))

    runner = BenchmarkRunner(tmp_path / "compression", lambda: service.calibration.data, save, run=fake_run)
    svc = AICCompressionServicer(service, UserConfigs(CompressionConfig()), stopping=stopping, benchmark=runner)
    request = pb.RunBenchmarkRequest(frame_types=[pb.FRAME_TYPE_DATA], quick=True)
    events = [e async for e in svc.RunBenchmark(request, None)]
    kinds = [e.WhichOneof("event") for e in events]
    assert kinds == ["progress", "row", "done"]
    assert events[1].row.baseline.name == "zlib level 6 per message" and events[1].row.bitrate_vs_baseline == 0.9
    assert events[2].done.git_commit == "abc123"
    assert seen["calibration_path"] is None and saved == []  # no calibrate: nothing written anywhere

    # calibrate: the work file is in the deployment's dir (never the package), and the new table is saved
    events = [e async for e in svc.RunBenchmark(pb.RunBenchmarkRequest(quick=True, calibrate=True), None)]
    assert events[-1].WhichOneof("event") == "done"
    assert seen["calibration_path"] == tmp_path / "compression" / "calibration.json"
    assert saved and saved[0]["meta"] == {"generated_by": "test"} and "audio" in saved[0]
    assert service.calibration.data["meta"] == {"generated_by": "test"}
    assert CalibrationTable.load().data["meta"] != {"generated_by": "test"}  # the package's table is untouched
