"""Random payloads against every entry point: only auralinkd.errors types, never anything else."""

from __future__ import annotations

import asyncio
import base64
import uuid

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from auralink.v1 import compression_pb2 as pb
from auralinkd import paging
from auralinkd.access.principal import Caller, Principal
from auralinkd.api import context as call_context
from auralinkd.api.compression import AICCompressionServicer
from auralinkd.compression import (
    AudioFormat,
    CalibrationTable,
    CompressionConfig,
    CompressionService,
    DataFormat,
    FrameType,
    ImageFormat,
    ModelType,
    NetworkConditions,
    PixelFormat,
)
from auralinkd.compression.container import CodecId, Flag, pack
from auralinkd.compression.userconfig import UserConfigs
from auralinkd.errors import AuralinkError

SVC = CompressionService(CalibrationTable.load())
SESSIONS = {
    FrameType.AUDIO: SVC.start_session("f", FrameType.AUDIO, AudioFormat(16000, 1, 20), None).session_id,
    FrameType.VIDEO: SVC.start_session("f", FrameType.VIDEO, ImageFormat(32, 32, PixelFormat.I420)).session_id,
    FrameType.SCREEN: SVC.start_session("f", FrameType.SCREEN, ImageFormat(32, 32)).session_id,
    FrameType.DATA: SVC.start_session("f", FrameType.DATA, DataFormat()).session_id,
}
# Frames with a valid header and checksum (of a DATA session or a media one) but random codec payloads reach
# the decoders themselves.
framed = st.builds(
    lambda c, f, s, p, d: pack(c, Flag(f), s, p, data_session=d),
    st.sampled_from(list(CodecId)),
    st.integers(0, 31),
    st.integers(0, 2**16 - 1),
    st.binary(max_size=400),
    st.booleans(),
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    ft=st.sampled_from(list(FrameType)), payload=st.one_of(st.binary(max_size=4000), framed), seq=st.integers(-5, 2**64)
)
def test_random_bytes_raise_only_domain_errors(ft, payload, seq):
    sid = SESSIONS[ft]
    for call in (SVC.compress, SVC.decompress):
        try:
            call(sid, seq, payload)
        except AuralinkError:
            pass


HYBRID = SVC.start_session(
    "f", FrameType.AUDIO, AudioFormat(16000, 1, 20), CompressionConfig(model_type=ModelType.HYBRID)
).session_id
opus_framed = st.builds(
    lambda f, s, p: pack(CodecId.OPUS, Flag(f), s, p),
    st.integers(0, 31),
    st.integers(0, 2**16 - 1),
    st.binary(max_size=400),
)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.one_of(opus_framed, framed, st.binary(max_size=700)), seq=st.integers(0, 2**16))
def test_random_frames_through_the_post_filter_raise_only_domain_errors(data, seq):
    for call in (SVC.decompress, SVC.compress):
        try:
            out = call(HYBRID, seq, data)
        except AuralinkError:
            continue
        if call == SVC.decompress:
            assert len(out.payload) == 640


@settings(max_examples=100, deadline=None)
@given(bw=st.floats(allow_nan=True), loss=st.floats(allow_nan=True), rtt=st.floats(allow_nan=True))
def test_random_network_conditions_raise_only_domain_errors(bw, loss, rtt):
    try:
        SVC.update_network_conditions(SESSIONS[FrameType.AUDIO], NetworkConditions(bw, loss, rtt))
    except AuralinkError:
        pass


LISTER = AICCompressionServicer(SVC, UserConfigs(CompressionConfig()), stopping=lambda: False)
tokens = st.one_of(
    st.text(max_size=60),
    st.binary(max_size=60).map(lambda b: base64.urlsafe_b64encode(b).decode()),
    st.dictionaries(
        st.sampled_from(["c", "id", "x"]),
        st.one_of(st.integers(), st.floats(), st.text(max_size=10), st.none(), st.booleans(), st.lists(st.integers())),
    ).map(paging.encode_cursor),
    st.recursive(st.integers() | st.text(max_size=5), lambda c: st.lists(c, max_size=3)).map(paging.encode_cursor),
)


@settings(max_examples=300, deadline=None)
@given(token=tokens, size=st.integers(-(2**31), 2**31 - 1), user=st.text(max_size=40), admin=st.booleans())
def test_random_list_sessions_requests_raise_only_domain_errors(token, size, user, admin):
    extra = {"platform:admin"} if admin else set()
    principal = Principal(uuid.uuid4(), uuid.uuid4(), frozenset({"compression:*", *extra}), "fuzz")
    call_context.set_caller(Caller(principal, "req-fuzz"))
    request = pb.ListSessionsRequest(page_size=size, page_token=token, user_id=user)
    try:
        asyncio.run(LISTER.ListSessions(request, None))
    except AuralinkError:
        pass


BATCHER = Principal(uuid.uuid4(), uuid.uuid4(), frozenset({"compression:*"}), "fuzz")
BATCH_SESSIONS = [
    SVC.start_session(str(BATCHER.user_id), ft, fmt).session_id
    for ft, fmt in ((FrameType.AUDIO, AudioFormat(16000, 1, 20)), (FrameType.DATA, DataFormat()))
] + [HYBRID, "no-such-session", ""]


async def _one(items):  # type: ignore[no-untyped-def]
    yield items


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    frames=st.lists(
        st.tuples(
            st.sampled_from(BATCH_SESSIONS), st.integers(0, 2**64 - 1), st.one_of(st.binary(max_size=900), framed)
        ),
        max_size=20,
    )
)
def test_random_ticks_through_the_batch_streams_answer_every_slot_with_a_frame_or_a_domain_error(frames):
    call_context.set_caller(Caller(BATCHER, "req-fuzz"))
    compress = pb.CompressBatchRequest(
        frames=[pb.CompressFrameRequest(session_id=s, sequence=q, payload=p) for s, q, p in frames]
    )
    decompress = pb.DecompressBatchRequest(
        frames=[pb.DecompressFrameRequest(session_id=s, sequence=q, data=p) for s, q, p in frames]
    )

    async def run():  # type: ignore[no-untyped-def]
        c = [r async for r in LISTER.CompressBatchStream(_one(compress), None)]
        d = [r async for r in LISTER.DecompressBatchStream(_one(decompress), None)]
        return c[0].frames, d[0].frames

    for responses in asyncio.run(run()):
        assert [r.session_id for r in responses] == [s for s, _, _ in frames]
        assert all(
            r.error.code in ("", "INVALID_ARGUMENT", "NOT_FOUND", "DATA_LOSS", "OUT_OF_RANGE", "FAILED_PRECONDITION")
            for r in responses
        )
