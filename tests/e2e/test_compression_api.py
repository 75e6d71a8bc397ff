"""AICCompressionService end to end: the real daemon, its guard and error mapping, over the unix socket."""

from __future__ import annotations

import json

import grpc
import numpy as np
import pytest
from google.protobuf import duration_pb2
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from auralink.v1 import compression_pb2 as pb
from auralink.v1 import compression_pb2_grpc
from bench.corpus import speech
from tests.support import Daemon, bearer

MIB = 1024 * 1024


def _audio_format(rate: int = 16000, ms: int = 20) -> pb.StreamFormat:
    return pb.StreamFormat(
        audio=pb.AudioFormat(sample_rate=rate, channels=1, frame_duration=duration_pb2.Duration(nanos=ms * 1_000_000))
    )


@pytest.fixture
def api(daemon: Daemon):  # type: ignore[no-untyped-def]
    channel = grpc.insecure_channel(
        daemon.address,
        options=[("grpc.max_send_message_length", 16 * MIB), ("grpc.max_receive_message_length", 16 * MIB)],
    )
    stub = compression_pb2_grpc.AICCompressionServiceStub(channel)
    md = bearer(daemon.token)
    yield stub, md
    channel.close()


def _start_audio(stub, md, rate: int = 16000) -> str:  # type: ignore[no-untyped-def]
    # The largest latency budget: a loaded CI machine must not send frames by the fallback path here.
    config = pb.CompressionConfig(max_latency=duration_pb2.Duration(seconds=1))
    request = pb.StartSessionRequest(frame_type=pb.FRAME_TYPE_AUDIO, format=_audio_format(rate), config=config)
    return stub.StartSession(request, metadata=md, timeout=10).session_id


def _code(call, *args, **kwargs) -> grpc.StatusCode:  # type: ignore[no-untyped-def]
    try:
        call(*args, **kwargs)
    except grpc.RpcError as exc:
        return exc.code()
    return grpc.StatusCode.OK


def test_real_speech_round_trips_through_compress_stream_within_the_latency_target(api) -> None:  # type: ignore[no-untyped-def]
    stub, md = api
    signal = speech.corpus(16000, speech.HELD_OUT_VOICES[:1], sentences=1)
    frames = [signal[i : i + 320].tobytes() for i in range(0, len(signal) - 319, 320)]
    sid = _start_audio(stub, md)
    requests = (pb.CompressFrameRequest(session_id=sid, sequence=i, payload=f) for i, f in enumerate(frames))
    compressed = list(stub.CompressStream(requests, metadata=md, timeout=120))
    assert [r.sequence for r in compressed] == list(range(len(frames)))
    assert all(not r.HasField("error") and r.codec == "opus" for r in compressed)
    assert sum(r.output_bytes for r in compressed) < 0.1 * sum(len(f) for f in frames)
    # Server-side encode time per frame, the figure the latency target is about (20 ms frames); the
    # median, so one scheduling hiccup on a loaded machine does not fail it (capacity is the bench's).
    latencies = sorted(r.latency.ToNanoseconds() / 1e6 for r in compressed)
    assert latencies[len(latencies) // 2] < 20
    back = (pb.DecompressFrameRequest(session_id=sid, sequence=r.sequence, data=r.data) for r in compressed)
    decoded = list(stub.DecompressStream(back, metadata=md, timeout=120))
    out = np.frombuffer(b"".join(d.payload for d in decoded), np.int16)
    assert len(out) == len(frames) * 320
    ref = np.frombuffer(b"".join(frames), np.int16).astype(np.float64)
    corr = max(
        np.corrcoef(ref[: len(ref) - lag], out[lag:].astype(np.float64))[0, 1] for lag in range(0, 400)
    )  # Opus adds ~6.5 ms of delay
    assert corr > 0.8  # it is the same speech (PESQ is measured in the unit tests and the bench)
    metrics = stub.GetCompressionMetrics(pb.GetCompressionMetricsRequest(session_id=sid), metadata=md, timeout=10)
    assert metrics.per_session[sid].frames == len(frames)


def test_a_media_servers_ticks_of_many_sessions_round_trip_through_the_batch_streams(api) -> None:  # type: ignore[no-untyped-def]
    stub, md = api
    signal = speech.corpus(16000, speech.HELD_OUT_VOICES[:1], sentences=1)
    frames = [signal[i : i + 320].tobytes() for i in range(0, len(signal) - 319, 320)]
    sids = [_start_audio(stub, md) for _ in range(5)]
    ticks = (
        pb.CompressBatchRequest(
            frames=[pb.CompressFrameRequest(session_id=sid, sequence=t, payload=frames[t]) for sid in sids]
        )
        for t in range(len(frames))
    )
    compressed = list(stub.CompressBatchStream(ticks, metadata=md, timeout=120))
    assert len(compressed) == len(frames)
    assert all([f.session_id for f in tick.frames] == sids and not any(f.HasField("error") for f in tick.frames)
               for tick in compressed)  # fmt: skip
    back = (
        pb.DecompressBatchRequest(
            frames=[
                pb.DecompressFrameRequest(session_id=f.session_id, sequence=f.sequence, data=f.data)
                for f in tick.frames
            ]
        )
        for tick in compressed
    )
    decoded = list(stub.DecompressBatchStream(back, metadata=md, timeout=120))
    for k, sid in enumerate(sids):
        assert all(tick.frames[k].session_id == sid and not tick.frames[k].HasField("error") for tick in decoded)
        out = np.frombuffer(b"".join(tick.frames[k].payload for tick in decoded), np.int16)
        assert len(out) == len(frames) * 320
    metrics = stub.GetCompressionMetrics(pb.GetCompressionMetricsRequest(), metadata=md, timeout=10)
    assert all(metrics.per_session[sid].frames == len(frames) for sid in sids)
    too_many = pb.CompressBatchRequest(
        frames=[pb.CompressFrameRequest(session_id=sids[0], sequence=0, payload=frames[0])] * 1025
    )
    assert _code(lambda: list(stub.CompressBatchStream(iter([too_many]), metadata=md, timeout=10))) is (
        grpc.StatusCode.INVALID_ARGUMENT
    )


def test_hybrid_streams_through_the_daemon_post_filtered_and_is_listed(api, capsys) -> None:  # type: ignore[no-untyped-def]
    stub, md = api
    signal = speech.corpus(16000, speech.HELD_OUT_VOICES[:1], sentences=1)
    frames = [signal[i : i + 320].tobytes() for i in range(0, len(signal) - 319, 320)]
    config = pb.CompressionConfig(model_type="hybrid", max_latency=duration_pb2.Duration(seconds=1))
    request = pb.StartSessionRequest(frame_type=pb.FRAME_TYPE_AUDIO, format=_audio_format(), config=config)
    hybrid = stub.StartSession(request, metadata=md, timeout=60)  # the first loads torch and the weights
    assert hybrid.codec == "opus" and hybrid.postfilter
    plain = _start_audio(stub, md)
    requests = (
        pb.CompressFrameRequest(session_id=hybrid.session_id, sequence=i, payload=f) for i, f in enumerate(frames)
    )
    compressed = list(stub.CompressStream(requests, metadata=md, timeout=120))
    assert all(not r.HasField("error") and r.quality.source == "predicted_codec_only" for r in compressed)

    def decode(sid: str) -> tuple[list[bytes], float]:
        back = (pb.DecompressFrameRequest(session_id=sid, sequence=r.sequence, data=r.data) for r in compressed)
        out = list(stub.DecompressStream(back, metadata=md, timeout=120))
        assert all(not d.HasField("error") for d in out)
        median = sorted(d.latency.ToNanoseconds() / 1e6 for d in out)[len(out) // 2]
        return [d.payload for d in out], median

    filtered, filtered_ms = decode(hybrid.session_id)
    reference, plain_ms = decode(plain)
    assert [len(f) for f in filtered] == [len(r) for r in reference] == [640] * len(frames)
    assert sum(f != r for f, r in zip(filtered, reference, strict=True)) > len(frames) // 2
    with capsys.disabled():  # reported, not asserted: the machine is shared
        print(f"\ndaemon decode median per frame: opus {plain_ms:.3f} ms, hybrid {filtered_ms:.3f} ms")
    listed = stub.ListSessions(pb.ListSessionsRequest(), metadata=md, timeout=10).sessions
    assert {(s.session_id, s.model_type, s.postfilter) for s in listed} >= {(hybrid.session_id, "hybrid", True)}
    for rate, model in ((48000, "hybrid"), (16000, "lyra"), (16000, "maxine")):
        config = pb.CompressionConfig(model_type=model)
        bad = pb.StartSessionRequest(frame_type=pb.FRAME_TYPE_AUDIO, format=_audio_format(rate), config=config)
        assert _code(stub.StartSession, bad, metadata=md, timeout=10) is grpc.StatusCode.FAILED_PRECONDITION


def test_each_bad_input_gets_its_status_and_the_session_stays_usable(api) -> None:  # type: ignore[no-untyped-def]
    stub, md = api
    sid = _start_audio(stub, md)
    good = pb.CompressFrameRequest(session_id=sid, sequence=1, payload=bytes(640))

    def compress(payload: bytes, session: str = sid) -> grpc.StatusCode:
        request = pb.CompressFrameRequest(session_id=session, sequence=0, payload=payload)
        return _code(stub.CompressFrame, request, metadata=md, timeout=30)

    assert compress(bytes(641)) is grpc.StatusCode.INVALID_ARGUMENT  # odd bytes
    assert compress(bytes(1280)) is grpc.StatusCode.INVALID_ARGUMENT  # 40 ms in a 20 ms session
    assert compress(bytes(8 * MIB + 1)) is grpc.StatusCode.RESOURCE_EXHAUSTED
    assert compress(bytes(640), "no-such-session") is grpc.StatusCode.NOT_FOUND
    start = pb.StartSessionRequest(frame_type=pb.FRAME_TYPE_AUDIO, format=_audio_format(44100))
    with pytest.raises(grpc.RpcError) as exc:
        stub.StartSession(start, metadata=md, timeout=10)
    assert exc.value.code() is grpc.StatusCode.INVALID_ARGUMENT and "8000, 16000, 24000, 48000" in exc.value.details()
    screen = pb.StartSessionRequest(
        frame_type=pb.FRAME_TYPE_SCREEN,
        format=pb.StreamFormat(image=pb.ImageFormat(width=32, height=32, pixel_format=pb.PIXEL_FORMAT_RGB24)),
    )
    screen_id = stub.StartSession(screen, metadata=md, timeout=10).session_id
    assert compress(bytes(32 * 32 * 3 - 1), screen_id) is grpc.StatusCode.INVALID_ARGUMENT
    frame = stub.CompressFrame(good, metadata=md, timeout=10)
    corrupt = bytearray(frame.data)
    corrupt[-1] ^= 0xFF
    bad = pb.DecompressFrameRequest(session_id=sid, sequence=1, data=bytes(corrupt))
    assert _code(stub.DecompressFrame, bad, metadata=md, timeout=10) in (
        grpc.StatusCode.INVALID_ARGUMENT,
        grpc.StatusCode.DATA_LOSS,
    )
    # The session still works after every one of them.
    again = stub.CompressFrame(good, metadata=md, timeout=10)
    ok = stub.DecompressFrame(pb.DecompressFrameRequest(session_id=sid, sequence=1, data=again.data), metadata=md)
    assert len(ok.payload) == 640
    stub.EndSession(pb.EndSessionRequest(session_id=sid), metadata=md, timeout=10)
    assert compress(bytes(640)) is grpc.StatusCode.NOT_FOUND


def test_calls_without_a_token_are_unauthenticated(api) -> None:  # type: ignore[no-untyped-def]
    stub, _ = api
    assert _code(stub.GetConfig, pb.GetConfigRequest(), timeout=10) is grpc.StatusCode.UNAUTHENTICATED


@pytest.fixture
def fuzz_target(api):  # type: ignore[no-untyped-def]
    stub, md = api
    sessions = [
        _start_audio(stub, md),
        stub.StartSession(
            pb.StartSessionRequest(frame_type=pb.FRAME_TYPE_DATA, format=pb.StreamFormat(data=pb.DataFormat())),
            metadata=md,
        ).session_id,
    ]
    return stub, md, sessions


ANY_SESSION = st.one_of(st.sampled_from(["", "x", "00000000-0000-0000-0000-000000000000"]), st.text(max_size=40))


def test_random_requests_to_every_rpc_never_get_internal(fuzz_target) -> None:  # type: ignore[no-untyped-def]
    stub, md, sessions = fuzz_target
    session = st.one_of(st.sampled_from(sessions), ANY_SESSION)

    @settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
    @given(
        which=st.integers(0, 8),
        sid=session,
        seq=st.integers(0, 2**64 - 1),
        blob=st.binary(max_size=3000),
        n=st.integers(-(2**31), 2**31 - 1),
        f=st.floats(allow_nan=True, allow_infinity=True),
    )
    def check(which, sid, seq, blob, n, f) -> None:  # type: ignore[no-untyped-def]
        calls = [
            lambda: stub.CompressFrame(
                pb.CompressFrameRequest(session_id=sid, sequence=seq, payload=blob), metadata=md
            ),
            lambda: stub.DecompressFrame(
                pb.DecompressFrameRequest(session_id=sid, sequence=seq, data=blob), metadata=md
            ),
            lambda: stub.StartSession(
                pb.StartSessionRequest(
                    frame_type=n % 6,
                    format=pb.StreamFormat(
                        image=pb.ImageFormat(
                            width=n % 5000, height=(n // 7) % 5000, pixel_format=n % 3, frame_rate=n % 90
                        )
                    ),
                    config=pb.CompressionConfig(
                        mode=n % 6, min_quality_score=f if f == f else 0, model_type=blob[:8].hex()
                    ),
                ),
                metadata=md,
            ),
            lambda: stub.UpdateNetworkConditions(
                pb.UpdateNetworkConditionsRequest(session_id=sid, bandwidth_kbps=f, loss_pct=f), metadata=md
            ),
            lambda: stub.GetCompressionMetrics(
                pb.GetCompressionMetricsRequest(session_id=sid, user_id=sid), metadata=md
            ),
            lambda: stub.EndSession(pb.EndSessionRequest(session_id=sid if sid not in sessions else "x"), metadata=md),
            lambda: list(
                stub.CompressStream(
                    iter([pb.CompressFrameRequest(session_id=sid, sequence=seq, payload=blob)]), metadata=md
                )
            ),
            lambda: stub.UpdateConfig(
                pb.UpdateConfigRequest(
                    config=pb.CompressionConfig(mode=n % 6, max_latency=duration_pb2.Duration(seconds=n % 3))
                ),
                metadata=md,
            ),
            lambda: stub.ListSessions(
                pb.ListSessionsRequest(page_size=n, page_token=sid + blob[:20].hex(), user_id=sid), metadata=md
            ),
        ]
        try:
            calls[which]()
        except grpc.RpcError as exc:
            assert exc.code() not in (grpc.StatusCode.INTERNAL, grpc.StatusCode.UNKNOWN), exc.details()

    check()


def test_run_benchmark_calibrate_stores_the_table_for_the_deployment_not_the_package(api, daemon: Daemon) -> None:  # type: ignore[no-untyped-def]
    """RunBenchmark(calibrate) on a real daemon: the work file is in its data dir, the new table goes to the
    database (the daemon uses it at once; other replicas pick it up), and the package's table is untouched."""
    from auralinkd.compression import CalibrationTable

    stub, md = api
    shipped = CalibrationTable.load().data
    request = pb.RunBenchmarkRequest(
        frame_types=[pb.FRAME_TYPE_DATA], modes=[pb.COMPRESSION_MODE_ADAPTIVE], calibrate=True
    )
    events = list(stub.RunBenchmark(request, metadata=md, timeout=300))
    assert events[-1].WhichOneof("event") == "done"
    work = daemon.data_dir / "compression" / "calibration.json"
    stored = json.loads(work.read_text())
    assert stored["meta"]["generated_by"].startswith("auralinkd.compression.benchmark")
    assert stored["audio"] == shipped["audio"]  # a data-only run keeps the other curves
    assert CalibrationTable.load().data == shipped
    log = daemon.log_path.read_text()
    assert "compression calibration table 1 stored" in log and "Traceback" not in log  # the database's row 1
