"""ListSessions (paging, who sees what, end and eviction) and the per frame type and mode metrics."""

from __future__ import annotations

import uuid

import pytest
from google.protobuf import duration_pb2

from auralink.v1 import compression_pb2 as pb
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
    Mode,
)
from auralinkd.compression.metrics import MetricsRegistry
from auralinkd.compression.userconfig import UserConfigs
from auralinkd.errors import InvalidArgument

ORG, OTHER_ORG = uuid.uuid4(), uuid.uuid4()
ME, COLLEAGUE, STRANGER = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
AUDIO16 = pb.StreamFormat(
    audio=pb.AudioFormat(sample_rate=16000, channels=1, frame_duration=duration_pb2.Duration(nanos=20_000_000))
)


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _as(user: uuid.UUID, org: uuid.UUID = ORG, *extra: str) -> None:
    call_context.set_caller(Caller(Principal(user, org, frozenset({"compression:*", *extra}), "test"), "req"))


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def servicer(clock: Clock) -> AICCompressionServicer:
    service = CompressionService(CalibrationTable.load(), idle_timeout_s=60, clock=clock)
    return AICCompressionServicer(service, UserConfigs(CompressionConfig()), stopping=lambda: False)


async def _start(servicer: AICCompressionServicer, clock: Clock, kind: str = "data", mode: int = 0) -> str:
    clock.now += 0.001  # distinct creation times; ties are ordered by id anyway
    config = pb.CompressionConfig(mode=mode) if mode else None
    if kind == "audio":
        request = pb.StartSessionRequest(frame_type=pb.FRAME_TYPE_AUDIO, format=AUDIO16, config=config)
    else:
        request = pb.StartSessionRequest(
            frame_type=pb.FRAME_TYPE_DATA, format=pb.StreamFormat(data=pb.DataFormat()), config=config
        )
    return (await servicer.StartSession(request, None)).session_id


async def _all_pages(servicer: AICCompressionServicer, page_size: int, **filters: str) -> list[list[str]]:
    pages, token = [], ""
    while True:
        resp = await servicer.ListSessions(
            pb.ListSessionsRequest(page_size=page_size, page_token=token, **filters), None
        )
        pages.append([s.session_id for s in resp.sessions])
        token = resp.next_page_token
        if not token:
            return pages


async def test_list_sessions_pages_through_the_callers_sessions_oldest_first(servicer, clock) -> None:
    _as(ME)
    mine = [await _start(servicer, clock) for _ in range(5)]
    pages = await _all_pages(servicer, 2)
    assert pages == [mine[0:2], mine[2:4], mine[4:5]]
    # A session started between pages is seen once, in its place; an ended one is gone.
    first = await servicer.ListSessions(pb.ListSessionsRequest(page_size=2), None)
    await servicer.EndSession(pb.EndSessionRequest(session_id=mine[2]), None)
    newest = await _start(servicer, clock)
    rest = await servicer.ListSessions(pb.ListSessionsRequest(page_size=10, page_token=first.next_page_token), None)
    assert [s.session_id for s in rest.sessions] == [mine[3], mine[4], newest] and not rest.next_page_token


async def test_list_sessions_describes_each_session_and_its_traffic(servicer, clock) -> None:
    _as(ME)
    sid = await _start(servicer, clock, "audio", pb.COMPRESSION_MODE_AGGRESSIVE)
    before = (await servicer.ListSessions(pb.ListSessionsRequest(), None)).sessions[0]
    assert before.compression_ratio == 0.0 and before.frames_in == 0
    frame = bytes(640)
    c = await servicer.CompressFrame(pb.CompressFrameRequest(session_id=sid, sequence=0, payload=frame), None)
    await servicer.DecompressFrame(pb.DecompressFrameRequest(session_id=sid, sequence=0, data=c.data), None)
    s = (await servicer.ListSessions(pb.ListSessionsRequest(), None)).sessions[0]
    assert (s.session_id, s.user_id, s.frame_type, s.mode) == (
        sid, str(ME), pb.FRAME_TYPE_AUDIO, pb.COMPRESSION_MODE_AGGRESSIVE,
    )  # fmt: skip
    assert (s.codec, s.model_type, s.postfilter) == ("opus", "auto", False)
    assert s.format.audio.sample_rate == 16000 and s.format.audio.frame_duration.ToMilliseconds() == 20
    assert (s.frames_in, s.frames_out, s.bytes_in, s.bytes_out) == (1, 1, 640, len(c.data))
    assert s.compression_ratio == pytest.approx(640 / len(c.data)) and s.fallback_count == 0
    assert s.create_time.seconds > 1_600_000_000 and s.last_activity_time.ToDatetime() >= s.create_time.ToDatetime()


async def test_members_see_their_own_sessions_org_admins_their_orgs_platform_admins_all(servicer, clock) -> None:
    owners = {}
    for user, org in ((ME, ORG), (COLLEAGUE, ORG), (STRANGER, OTHER_ORG)):
        _as(user, org)
        owners[user] = await _start(servicer, clock)

    async def seen(*filters: str, **kw: str) -> set[str]:
        return {sid for page in await _all_pages(servicer, 50, **kw) for sid in page}

    _as(ME)
    assert await seen() == {owners[ME]}
    assert await seen(user_id=str(COLLEAGUE)) == set()  # a filter never widens what a member sees
    _as(ME, ORG, "org:admin")
    assert await seen() == {owners[ME], owners[COLLEAGUE]}
    assert await seen(user_id=str(COLLEAGUE)) == {owners[COLLEAGUE]}
    _as(ME, ORG, "platform:admin")
    assert await seen() == set(owners.values())


async def test_evicted_sessions_leave_the_list(servicer, clock) -> None:
    _as(ME)
    old = await _start(servicer, clock)
    clock.now += 45
    fresh = await _start(servicer, clock)
    clock.now += 30  # `old` idle 75 s > 60 s; `fresh` 30 s
    assert await _all_pages(servicer, 50) == [[fresh]]
    assert servicer._service.sessions.peek(old) is None


@pytest.mark.parametrize("token", ["garbage!", "e30", "W10", "eyJjIjoieCIsImlkIjoxfQ"])
async def test_a_bad_page_token_or_size_is_invalid_argument(servicer, token) -> None:
    _as(ME)
    with pytest.raises(InvalidArgument, match="page_token"):
        await servicer.ListSessions(pb.ListSessionsRequest(page_token=token), None)
    with pytest.raises(InvalidArgument, match="page_size"):
        await servicer.ListSessions(pb.ListSessionsRequest(page_size=-1), None)


# -- per frame type and mode ------------------------------------------------------------------------


def _frame(reg: MetricsRegistry, sid: str, user: str, ft: FrameType, mode: Mode, **kw: object) -> None:
    figures = {"bytes_in": 1000, "bytes_out": 100, "quality": 3.0, "metric": "pesq_wb", "latency_ms": 1.0}
    figures.update(kw)
    figures.setdefault("fallback", False)
    reg.record_frame(sid, user, frame_type=ft, mode=mode, **figures)  # type: ignore[arg-type]


def test_mode_breakdown_aggregates_per_frame_type_and_mode_in_order() -> None:
    reg = MetricsRegistry()
    _frame(reg, "a", "u1", FrameType.AUDIO, Mode.ADAPTIVE, latency_ms=1.0, quality=3.0)
    _frame(reg, "b", "u1", FrameType.AUDIO, Mode.ADAPTIVE, latency_ms=3.0, quality=4.0, bytes_out=400)
    _frame(reg, "c", "u2", FrameType.DATA, Mode.OFF, metric="lossless", quality=1.0, bytes_out=1000)
    _frame(reg, "d", "u2", FrameType.AUDIO, Mode.CONSERVATIVE, latency_ms=9.0)
    reg.record_below_floor("a", "u1")
    report = reg.snapshot()
    assert list(report.per_mode) == [
        (FrameType.AUDIO, Mode.CONSERVATIVE), (FrameType.AUDIO, Mode.ADAPTIVE), (FrameType.DATA, Mode.OFF),
    ]  # fmt: skip
    adaptive = report.per_mode[(FrameType.AUDIO, Mode.ADAPTIVE)]
    assert (adaptive.frames, adaptive.bytes_in, adaptive.bytes_out) == (2, 2000, 500)
    assert adaptive.compression_ratio == 4.0 and adaptive.bandwidth_saved_bytes == 1500
    assert adaptive.quality == {"pesq_wb": 3.5} and adaptive.below_floor_count == 1
    assert adaptive.latency_p50_ms in (1.0, 3.0) and adaptive.latency_p99_ms == 3.0
    assert report.per_mode[(FrameType.DATA, Mode.OFF)].quality == {"lossless": 1.0}
    assert sum(s.frames for s in report.per_mode.values()) == report.global_.frames


def test_mode_breakdown_counts_fallbacks_and_covers_only_visible_users() -> None:
    reg = MetricsRegistry()
    _frame(reg, "a", "u1", FrameType.AUDIO, Mode.ADAPTIVE, fallback=True)
    _frame(reg, "b", "u2", FrameType.AUDIO, Mode.ADAPTIVE)
    _frame(reg, "c", "u2", FrameType.SCREEN, Mode.AGGRESSIVE, metric="ssim", quality=0.9)
    mine = reg.snapshot(visible_users={"u1"})
    assert list(mine.per_mode) == [(FrameType.AUDIO, Mode.ADAPTIVE)]
    assert mine.per_mode[(FrameType.AUDIO, Mode.ADAPTIVE)].frames == 1
    assert mine.per_mode[(FrameType.AUDIO, Mode.ADAPTIVE)].fallback_count == 1
    assert reg.snapshot(visible_users=set()).per_mode == {}
    everyone = reg.snapshot(reset_window=True)
    assert everyone.per_mode[(FrameType.AUDIO, Mode.ADAPTIVE)].frames == 2
    after = reg.snapshot().per_mode[(FrameType.AUDIO, Mode.ADAPTIVE)]
    # Totals stay; the latency window restarts, and until it fills the last full window is reported.
    assert (
        after.frames == 2 and after.latency_p99_ms == everyone.per_mode[(FrameType.AUDIO, Mode.ADAPTIVE)].latency_p99_ms
    )
    assert after.latency_samples == 2


async def test_metrics_response_carries_the_mode_breakdown_of_what_the_caller_may_see(servicer, clock) -> None:
    _as(STRANGER, OTHER_ORG)
    theirs = await _start(servicer, clock, "data")
    await servicer.CompressFrame(pb.CompressFrameRequest(session_id=theirs, payload=b"x" * 500), None)
    _as(ME)
    audio = await _start(servicer, clock, "audio", pb.COMPRESSION_MODE_CONSERVATIVE)
    data = await _start(servicer, clock, "data", pb.COMPRESSION_MODE_AGGRESSIVE)
    for sid, payload in ((audio, bytes(640)), (data, b"abc" * 300), (data, b"abd" * 300)):
        await servicer.CompressFrame(pb.CompressFrameRequest(session_id=sid, payload=payload), None)
    m = await servicer.GetCompressionMetrics(pb.GetCompressionMetricsRequest(), None)
    rows = [(r.frame_type, r.mode, r.figures.frames) for r in m.per_mode]
    assert rows == [
        (pb.FRAME_TYPE_AUDIO, pb.COMPRESSION_MODE_CONSERVATIVE, 1),
        (pb.FRAME_TYPE_DATA, pb.COMPRESSION_MODE_AGGRESSIVE, 2),
    ]
    assert m.per_mode[1].figures.bytes_in == 1800 and m.per_mode[1].figures.quality == {"lossless": 1.0}
    watched = await anext(servicer.WatchMetrics(pb.WatchMetricsRequest(), None))
    assert list(watched.metrics.per_mode) == list(m.per_mode)


def test_service_records_each_frame_under_its_sessions_type_and_mode() -> None:
    service = CompressionService(CalibrationTable.load())
    sid = service.start_session("u", FrameType.AUDIO, AudioFormat(16000, 1, 20), CompressionConfig(Mode.AGGRESSIVE))
    service.compress(sid.session_id, 0, bytes(640))
    other = service.start_session("u", FrameType.DATA, DataFormat(), CompressionConfig(Mode.OFF))
    service.compress(other.session_id, 0, b"z" * 100)
    modes = service.get_metrics().per_mode
    assert list(modes) == [(FrameType.AUDIO, Mode.AGGRESSIVE), (FrameType.DATA, Mode.OFF)]
    assert modes[(FrameType.DATA, Mode.OFF)].compression_ratio < 1.0  # raw plus the header: honest
