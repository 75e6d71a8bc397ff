"""AICCompressionService servicer: proto <-> compression domain types, nothing more.

Where and when frames are coded (inline or in threads, a tick split by session, the staleness bound)
is the domain's FrameScheduler (compression/scheduler.py); RunBenchmark's orchestration is the
domain's BenchmarkRunner (compression/benchmark/runner.py).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable, Sequence
from datetime import UTC, datetime
from typing import Any

import grpc
from google.protobuf import duration_pb2, timestamp_pb2

from auralink.v1 import compression_pb2 as pb
from auralink.v1 import compression_pb2_grpc
from auralinkd import paging
from auralinkd.api.context import current_caller
from auralinkd.api.errors import status_code_for
from auralinkd.api.permissions import requires
from auralinkd.compression import abr
from auralinkd.compression.benchmark.runner import BenchmarkRunner, Progress
from auralinkd.compression.config import CompressionConfig, ModelType, available_models, parse_model_type
from auralinkd.compression.formats import (
    AudioFormat,
    DataFormat,
    FrameType,
    ImageFormat,
    PixelFormat,
    StreamFormat,
)
from auralinkd.compression.metrics import MetricsReport, MetricsSnapshot
from auralinkd.compression.modes import Mode
from auralinkd.compression.rtp import RtpMeta
from auralinkd.compression.scheduler import FrameIn, FrameScheduler
from auralinkd.compression.service import CompressionService, CompressResult, DecompressResult
from auralinkd.compression.session import Session, SessionCursor, SessionInfo
from auralinkd.compression.userconfig import UserConfigs
from auralinkd.errors import AuralinkError, FailedPrecondition, InvalidArgument, Unavailable
from auralinkd.streams import Streams

MIN_WATCH_INTERVAL_S = 1.0
MAX_WATCH_INTERVAL_S = 3600.0

FRAME_TYPES = {
    pb.FRAME_TYPE_AUDIO: FrameType.AUDIO,
    pb.FRAME_TYPE_VIDEO: FrameType.VIDEO,
    pb.FRAME_TYPE_SCREEN: FrameType.SCREEN,
    pb.FRAME_TYPE_DATA: FrameType.DATA,
}
FRAME_TYPE_PB = {v: k for k, v in FRAME_TYPES.items()}
MODES = {
    pb.COMPRESSION_MODE_CONSERVATIVE: Mode.CONSERVATIVE,
    pb.COMPRESSION_MODE_ADAPTIVE: Mode.ADAPTIVE,
    pb.COMPRESSION_MODE_AGGRESSIVE: Mode.AGGRESSIVE,
    pb.COMPRESSION_MODE_OFF: Mode.OFF,
}
MODE_PB = {v: k for k, v in MODES.items()}
PIXEL_FORMATS = {pb.PIXEL_FORMAT_I420: PixelFormat.I420, pb.PIXEL_FORMAT_RGB24: PixelFormat.RGB24}
PIXEL_FORMAT_PB = {v: k for k, v in PIXEL_FORMATS.items()}
CONFIG_FIELDS = ("mode", "target_compression_ratio", "max_latency", "model_type", "use_gpu", "min_quality_score")
MAX_BATCH_FRAMES = 1024  # one tick of a large media server; the message size limit applies too


class AICCompressionServicer(compression_pb2_grpc.AICCompressionServiceServicer):
    def __init__(
        self,
        service: CompressionService,
        configs: UserConfigs,
        *,
        stopping: Callable[[], bool],
        benchmark: BenchmarkRunner | None = None,
        scheduler: FrameScheduler | None = None,
        streams: Streams | None = None,
    ) -> None:
        """`benchmark`: RunBenchmark's runner (None: RunBenchmark is FAILED_PRECONDITION); `scheduler`:
        where frames are coded (default: FrameScheduler's "auto" policy); `streams`: the daemon's watch-stream
        pacing (default: API.md's heartbeat, ended when `stopping`)."""
        self._service = service
        self._configs = configs
        self._stopping = stopping
        self._benchmark = benchmark
        self._frames = scheduler or FrameScheduler(service)
        self._streams = streams or Streams(stopping)

    # -- sessions ---------------------------------------------------------------------------------

    @requires("compression:write")
    async def StartSession(self, request: pb.StartSessionRequest, context: grpc.aio.ServicerContext) -> Any:
        if self._stopping():  # draining: streams already open are served until the grace period ends
            raise Unavailable("the daemon is shutting down; start the session on another replica")
        caller = current_caller()
        frame_type = _frame_type(request.frame_type)
        base = (await self._configs.get(caller.tenant)).config
        config = _merge_config(base, request.config) if request.HasField("config") else base
        fmt = _format(frame_type, request.format)
        args = (str(caller.principal.user_id), frame_type, fmt, config)
        org = str(caller.principal.org_id)
        if config.model_type is ModelType.HYBRID:  # the first one loads torch and the weights: not on the loop
            started = await asyncio.to_thread(self._service.start_session, *args, org_id=org)
        else:
            started = self._service.start_session(*args, org_id=org)
        return pb.StartSessionResponse(
            session_id=started.session_id, codec=started.codec, quality_metric=started.quality_metric,
            quality_target=started.mode_target or 0.0, target_reachable=started.target_reachable,
            initial_bitrate_bps=started.bitrate_bps,
            idle_timeout=_duration_ms(self._service.sessions.idle_timeout_s * 1000), postfilter=started.postfilter,
        )  # fmt: skip

    @requires("compression:write")
    async def EndSession(self, request: pb.EndSessionRequest, context: grpc.aio.ServicerContext) -> Any:
        self._service.end_session(request.session_id, self._user())
        return pb.EndSessionResponse()

    # -- frames -----------------------------------------------------------------------------------

    @requires("compression:write")
    async def CompressFrame(self, request: pb.CompressFrameRequest, context: grpc.aio.ServicerContext) -> Any:
        return _compressed(await self._frames.compress(_frame_in(request, request.payload), self._user()))

    @requires("compression:write")
    async def DecompressFrame(self, request: pb.DecompressFrameRequest, context: grpc.aio.ServicerContext) -> Any:
        return _decompressed(await self._frames.decompress(_frame_in(request, request.data), self._user()))

    @requires("compression:write")
    async def CompressStream(
        self, request_iterator: AsyncIterator[pb.CompressFrameRequest], context: grpc.aio.ServicerContext
    ) -> AsyncIterator[pb.CompressFrameResponse]:
        user = self._user()
        async for request in request_iterator:
            try:
                response = _compressed(await self._frames.compress(_frame_in(request, request.payload), user))
            except AuralinkError as exc:  # this frame only; the stream goes on
                response = _failed(pb.CompressFrameResponse, request, exc)
            response.draining = self._stopping()
            yield response

    @requires("compression:write")
    async def DecompressStream(
        self, request_iterator: AsyncIterator[pb.DecompressFrameRequest], context: grpc.aio.ServicerContext
    ) -> AsyncIterator[pb.DecompressFrameResponse]:
        user = self._user()
        async for request in request_iterator:
            try:
                response = _decompressed(await self._frames.decompress(_frame_in(request, request.data), user))
            except AuralinkError as exc:
                response = _failed(pb.DecompressFrameResponse, request, exc)
            response.draining = self._stopping()
            yield response

    @requires("compression:write")
    async def CompressBatchStream(
        self, request_iterator: AsyncIterator[pb.CompressBatchRequest], context: grpc.aio.ServicerContext
    ) -> AsyncIterator[pb.CompressBatchResponse]:
        user = self._user()
        handles = _Handles()
        async for batch in request_iterator:
            _check_batch(batch.frames)
            handles.resolve(batch.frames)
            captured, max_age = _bound(batch)
            frames = [_frame_in(f, f.payload, captured, max_age) for f in batch.frames]
            results = await self._frames.compress_tick(frames, user)
            slots = handles.slots(batch, results, (CompressResult, _compressed, pb.CompressFrameResponse))
            yield pb.CompressBatchResponse(frames=slots, draining=self._stopping())

    @requires("compression:write")
    async def DecompressBatchStream(
        self, request_iterator: AsyncIterator[pb.DecompressBatchRequest], context: grpc.aio.ServicerContext
    ) -> AsyncIterator[pb.DecompressBatchResponse]:
        user = self._user()
        handles = _Handles()
        async for batch in request_iterator:
            _check_batch(batch.frames)
            handles.resolve(batch.frames)
            results = await self._frames.decompress_tick([_frame_in(f, f.data) for f in batch.frames], user)
            slots = handles.slots(batch, results, (DecompressResult, _decompressed, pb.DecompressFrameResponse))
            yield pb.DecompressBatchResponse(frames=slots, draining=self._stopping())

    # -- network, metrics -------------------------------------------------------------------------

    @requires("compression:write")
    async def UpdateNetworkConditions(
        self, request: pb.UpdateNetworkConditionsRequest, context: grpc.aio.ServicerContext
    ) -> Any:
        conditions = abr.NetworkConditions(
            request.bandwidth_kbps, request.loss_pct, request.rtt.ToMilliseconds() if request.HasField("rtt") else 0.0
        )
        d = self._service.update_network_conditions(request.session_id, conditions, self._user())
        return pb.UpdateNetworkConditionsResponse(
            bitrate_bps=d.bitrate_bps, fec=d.fec, packet_loss_hint_pct=d.packet_loss_pct, scale=d.scale,
            frame_rate=d.frame_rate, below_floor=d.below_floor, reason=d.reason,
        )  # fmt: skip

    @requires("compression:read")
    async def ListSessions(self, request: pb.ListSessionsRequest, context: grpc.aio.ServicerContext) -> Any:
        size = paging.page_size(request.page_size)
        after = _session_cursor(request.page_token)
        visible = self._visible_sessions()
        found = self._service.list_sessions(request.user_id or None, visible=visible, after=after, limit=size + 1)
        page, more = found[:size], len(found) > size
        token = paging.encode_cursor({"c": page[-1].created_at, "id": page[-1].id}) if more else ""
        return pb.ListSessionsResponse(sessions=[_session(i) for i in page], next_page_token=token)

    def _visible_sessions(self) -> Callable[[Session], bool] | None:
        """Whose sessions the caller may list: everyone's (platform admin), their org's (org admin), or their own."""
        principal = current_caller().principal
        if principal.is_platform_admin:
            return None
        own, org = str(principal.user_id), str(principal.org_id)
        if principal.is_org_admin:
            return lambda s: s.org_id == org or s.user_id == own
        return lambda s: s.user_id == own

    @requires("compression:read")
    async def GetCompressionMetrics(
        self, request: pb.GetCompressionMetricsRequest, context: grpc.aio.ServicerContext
    ) -> Any:
        return self._metrics(request.session_id, request.user_id)

    @requires("compression:read")
    async def WatchMetrics(
        self, request: pb.WatchMetricsRequest, context: grpc.aio.ServicerContext
    ) -> AsyncIterator[pb.WatchMetricsResponse]:
        interval = MIN_WATCH_INTERVAL_S
        if request.HasField("interval"):
            interval = request.interval.ToTimedelta().total_seconds()
            if not MIN_WATCH_INTERVAL_S <= interval <= MAX_WATCH_INTERVAL_S:
                raise InvalidArgument.for_field(
                    "interval",
                    f"must be between {MIN_WATCH_INTERVAL_S:g} and {MAX_WATCH_INTERVAL_S:g} s, got {interval:g}",
                )

        async def reports() -> AsyncIterator[pb.WatchMetricsResponse]:
            while True:
                yield pb.WatchMetricsResponse(metrics=self._metrics(request.session_id, ""))
                await asyncio.sleep(interval)

        def heartbeat() -> pb.WatchMetricsResponse:
            return pb.WatchMetricsResponse(heartbeat=_timestamp(datetime.now(UTC)))

        async for message in self._streams.keep_alive(reports(), heartbeat):
            yield message

    def _metrics(self, session_id: str, user_id: str) -> pb.GetCompressionMetricsResponse:
        principal = current_caller().principal
        own = str(principal.user_id)
        if principal.is_platform_admin:
            visible = None
        elif principal.is_org_admin:
            org = str(principal.org_id)
            visible = {own} | {s.user_id for s in self._service.sessions.live() if s.org_id == org}
        else:
            visible = {own}
        if user_id and visible is not None and user_id not in visible:
            visible = set()  # another tenant's user: nothing, as if unknown
        report = self._service.get_metrics(
            session_id=session_id or None,
            user_id=user_id or None,
            visible_users=visible,
            session_owner=None if visible is None else own,
        )
        return _metrics_response(report)

    # -- benchmark --------------------------------------------------------------------------------

    @requires("compression:bench")
    async def RunBenchmark(
        self, request: pb.RunBenchmarkRequest, context: grpc.aio.ServicerContext
    ) -> AsyncIterator[pb.RunBenchmarkResponse]:
        types = [_frame_type(t) for t in request.frame_types] or list(FrameType)
        modes = [_mode(m, "modes") for m in request.modes] or list(Mode)
        if self._benchmark is None:
            raise FailedPrecondition("this server runs no benchmarks")
        started = time.monotonic()
        async for event in self._benchmark.stream(types, modes, quick=request.quick, calibrate=request.calibrate):
            if isinstance(event, Progress):
                yield pb.RunBenchmarkResponse(progress=pb.BenchmarkProgress(fraction=event.fraction, step=event.step))
                continue
            for row in event.rows:
                yield pb.RunBenchmarkResponse(row=_benchmark_row(row))
            yield pb.RunBenchmarkResponse(
                done=pb.BenchmarkDone(
                    finished_at=_timestamp(datetime.now(UTC)),
                    wall_time=_duration_ms((time.monotonic() - started) * 1000),
                    git_commit=event.commit,
                )
            )

    # -- configuration ----------------------------------------------------------------------------

    @requires("compression:read")
    async def GetConfig(self, request: pb.GetConfigRequest, context: grpc.aio.ServicerContext) -> Any:
        found = await self._configs.get(current_caller().tenant)
        return pb.GetConfigResponse(
            config=_config_to_proto(found.config),
            available_model_types={t.value: ",".join(m.value for m in available_models(t)) for t in FrameType},
            etag=found.etag,
        )

    @requires("compression:write")
    async def UpdateConfig(self, request: pb.UpdateConfigRequest, context: grpc.aio.ServicerContext) -> Any:
        tenant = current_caller().tenant
        paths = list(request.update_mask.paths) if request.HasField("update_mask") else []
        unknown = [p for p in paths if p not in CONFIG_FIELDS]
        if unknown:
            raise InvalidArgument.for_field(
                "update_mask", f"unknown field(s) {', '.join(unknown)}; known: {', '.join(CONFIG_FIELDS)}"
            )
        current = (await self._configs.get(tenant)).config
        config = _apply_config(current, request.config, paths or list(CONFIG_FIELDS))
        updated = await self._configs.update(tenant, config, request.etag)
        return pb.UpdateConfigResponse(config=_config_to_proto(updated.config), etag=updated.etag)

    def _user(self) -> str:
        return str(current_caller().principal.user_id)


# -- conversions ------------------------------------------------------------------------------------


def _check_batch(frames: Sequence[Any]) -> None:
    if len(frames) > MAX_BATCH_FRAMES:
        raise InvalidArgument.for_field(
            "frames", f"{len(frames)} frames in one batch, over the limit of {MAX_BATCH_FRAMES}"
        )


def _bound(request: Any) -> tuple[float | None, float | None]:
    """A request's staleness bound: (capture time in seconds since the epoch, max age in ms), or Nones."""
    if not (request.HasField("capture_time") and request.HasField("max_age")):
        return None, None
    t = request.capture_time
    return t.seconds + t.nanos / 1e9, request.max_age.ToNanoseconds() / 1e6


def _frame_in(request: Any, data: bytes, captured: float | None = None, max_age: float | None = None) -> FrameIn:
    """A frame request as the domain's FrameIn; its own staleness bound wins over its tick's."""
    if isinstance(request, pb.CompressFrameRequest):
        own = _bound(request)
        if own[0] is not None:
            captured, max_age = own
    lost = isinstance(request, pb.DecompressFrameRequest) and request.lost
    rtp = RtpMeta(request.rtp.sequence, request.rtp.timestamp, request.rtp.ssrc) if request.HasField("rtp") else None
    return FrameIn(request.session_id, request.sequence, data, captured, max_age, lost, rtp)


# Compact batch responses (CompressBatchRequest.compact), per response type: the fields sent only on
# change, and the fields left out.
_COMPACT: dict[Any, tuple[tuple[str, ...], tuple[str, ...]]] = {
    pb.CompressFrameResponse: (
        ("codec", "quality", "bitrate_bps"),
        ("input_bytes", "output_bytes", "reduction_pct", "compression_ratio", "latency", "target_ratio_met"),
    ),
    pb.DecompressFrameResponse: (("codec",), ("latency",)),
}
MAX_HANDLE = 65535


class _Handles:
    """A batch stream's session handles (small integers the client picked) and, for compact responses,
    the descriptive fields last sent per session. Bounded: at most MAX_HANDLE handles, and the
    last-sent table is cleared when it holds more sessions than that (the next slots resend them)."""

    def __init__(self) -> None:
        self._sessions: dict[int, str] = {}
        self._sent: dict[int | str, tuple[bytes, ...]] = {}

    def resolve(self, frames: Sequence[Any]) -> None:
        """Name each frame's session: a frame with a handle and a session_id binds them; one with the
        handle alone takes its session (an unknown handle: a name no session has, NOT_FOUND in its slot)."""
        for f in frames:
            if not f.handle:
                continue
            if f.handle > MAX_HANDLE:
                f.session_id = f"handle {f.handle} (over {MAX_HANDLE})"
            elif f.session_id:
                self._sessions[f.handle] = f.session_id
            else:
                f.session_id = self._sessions.get(f.handle, f"handle {f.handle} (never bound on this stream)")

    def slots(self, batch: Any, results: Sequence[Any], kind: tuple[type, Callable[[Any], Any], Any]) -> list[Any]:
        """A tick's response slots: each frame's result as `to_pb` gives it, or its error; compacted when
        the batch asks for it. `kind`: (the result type, its conversion, the response message)."""
        done, to_pb, response = kind
        slots = [
            to_pb(r) if isinstance(r, done) else _failed(response, f, r)
            for f, r in zip(batch.frames, results, strict=True)
        ]
        if batch.compact:
            self._compact(batch.frames, slots, *_COMPACT[response])
        return slots

    def _compact(
        self, frames: Sequence[Any], slots: list[Any], changes: tuple[str, ...], dropped: tuple[str, ...]
    ) -> None:
        if len(self._sent) > MAX_HANDLE:
            self._sent.clear()
        for f, slot in zip(frames, slots, strict=True):
            key: int | str = f.handle or f.session_id
            if f.handle:
                slot.handle = f.handle
                slot.ClearField("session_id")
            if slot.HasField("error"):
                continue
            for name in dropped:
                slot.ClearField(name)
            sent = tuple(_field_bytes(slot, name) for name in changes)
            if self._sent.get(key) == sent:
                for name in changes:
                    slot.ClearField(name)
            else:
                self._sent[key] = sent


def _field_bytes(message: Any, name: str) -> bytes:
    value = getattr(message, name)
    return value.SerializeToString() if hasattr(value, "SerializeToString") else repr(value).encode()


def _failed(response: Callable[..., Any], request: Any, exc: AuralinkError) -> Any:
    return response(session_id=request.session_id, sequence=request.sequence, error=_frame_error(exc))


def _frame_type(value: int) -> FrameType:
    if value not in FRAME_TYPES:
        raise InvalidArgument.for_field(
            "frame_type", "must be one of " + ", ".join(pb.FrameType.Name(k) for k in FRAME_TYPES) + f", got {value}"
        )
    return FRAME_TYPES[value]


def _mode(value: int, field: str = "config.mode") -> Mode:
    if value not in MODES:
        raise InvalidArgument.for_field(
            field, "must be one of " + ", ".join(pb.CompressionMode.Name(k) for k in MODES) + f", got {value}"
        )
    return MODES[value]


def _format(frame_type: FrameType, message: pb.StreamFormat) -> StreamFormat:
    which = message.WhichOneof("format")
    if frame_type is FrameType.AUDIO:
        if which != "audio":
            raise InvalidArgument.for_field("format", "AUDIO sessions need format.audio (PCM s16le)")
        a = message.audio
        frame_ms = a.frame_duration.ToMilliseconds() if a.HasField("frame_duration") else 20
        return AudioFormat(a.sample_rate, a.channels, frame_ms)
    if frame_type is FrameType.DATA:
        if which not in (None, "data"):
            raise InvalidArgument.for_field("format", "DATA sessions take format.data or none")
        return DataFormat()
    if which != "image":
        raise InvalidArgument.for_field("format", f"{frame_type.name} sessions need format.image")
    i = message.image
    if i.pixel_format not in PIXEL_FORMATS:
        raise InvalidArgument.for_field("format.image.pixel_format", "must be PIXEL_FORMAT_I420 or PIXEL_FORMAT_RGB24")
    return ImageFormat(i.width, i.height, PIXEL_FORMATS[i.pixel_format], i.frame_rate or 30)


def _merge_config(base: CompressionConfig, c: pb.CompressionConfig) -> CompressionConfig:
    """StartSession: fields the request leaves at their zero value take the user's defaults."""
    fields = [f for f in CONFIG_FIELDS if _is_set(c, f)]
    return _apply_config(base, c, fields)


def _is_set(c: pb.CompressionConfig, name: str) -> bool:
    if name == "max_latency":
        return c.HasField("max_latency")
    return bool(getattr(c, name))


def _apply_config(base: CompressionConfig, c: pb.CompressionConfig, fields: list[str]) -> CompressionConfig:
    values: dict[str, Any] = {}
    for name in fields:
        if name == "mode":
            values["mode"] = _mode(c.mode)
        elif name == "max_latency":
            values["max_latency_ms"] = c.max_latency.ToNanoseconds() / 1e6 if c.HasField("max_latency") else 20.0
        elif name == "model_type":
            values["model_type"] = parse_model_type(c.model_type) if c.model_type else ModelType.AUTO
        else:
            values[name] = getattr(c, name)
    return CompressionConfig(**{**vars(base), **values}).validate()


def _config_to_proto(config: CompressionConfig) -> pb.CompressionConfig:
    return pb.CompressionConfig(
        mode=MODE_PB[config.mode], target_compression_ratio=config.target_compression_ratio,
        max_latency=_duration_ms(config.max_latency_ms), model_type=config.model_type.value, use_gpu=config.use_gpu,
        min_quality_score=config.min_quality_score,
    )  # fmt: skip


def _compressed(r: CompressResult) -> pb.CompressFrameResponse:
    response = pb.CompressFrameResponse(
        session_id=r.session_id, sequence=r.sequence, data=r.data, codec=r.codec, input_bytes=r.input_bytes,
        output_bytes=r.output_bytes, reduction_pct=r.reduction_pct, compression_ratio=r.compression_ratio,
        latency=_duration_ms(r.latency_ms), fallback=r.fallback,
        fallback_reason=r.fallback_reason if r.fallback else "", keyframe=r.keyframe, skipped=r.skipped,
        bitrate_bps=r.bitrate_bps,
    )  # fmt: skip
    if r.quality_score is not None:
        response.quality.CopyFrom(
            pb.FrameQuality(metric=r.quality_metric, score=r.quality_score, source=r.quality_source)
        )
    if r.target_ratio_met is not None:
        response.target_ratio_met = r.target_ratio_met
    if r.rtp is not None:
        response.rtp.CopyFrom(_rtp_info(r.rtp))
    return response


def _decompressed(r: DecompressResult) -> pb.DecompressFrameResponse:
    response = pb.DecompressFrameResponse(
        session_id=r.session_id, sequence=r.sequence, payload=r.payload, codec=r.codec, fallback=r.fallback,
        skipped=r.skipped, latency=_duration_ms(r.latency_ms), concealment=r.concealment,
    )  # fmt: skip
    if r.rtp is not None:
        response.rtp.CopyFrom(_rtp_info(r.rtp))
    return response


def _rtp_info(rtp: RtpMeta) -> pb.RtpInfo:
    return pb.RtpInfo(sequence=rtp.sequence, timestamp=rtp.timestamp, ssrc=rtp.ssrc)


def _frame_error(exc: AuralinkError) -> pb.FrameError:
    field = exc.violations[0].field if isinstance(exc, InvalidArgument) and exc.violations else ""
    return pb.FrameError(code=status_code_for(exc).name, message=exc.message, field=field)


def _figures(s: MetricsSnapshot) -> pb.CompressionFigures:
    """Latency percentiles stay unset (not 0 ms) when there is no latency data yet."""
    measured = s.latency_samples > 0
    return pb.CompressionFigures(
        frames=s.frames, bytes_in=s.bytes_in, bytes_out=s.bytes_out, compression_ratio=s.compression_ratio,
        reduction_pct=s.reduction_pct, bandwidth_saved_bytes=s.bandwidth_saved_bytes, quality=s.quality,
        latency_p50=_duration_ms(s.latency_p50_ms) if measured else None,
        latency_p99=_duration_ms(s.latency_p99_ms) if measured else None,
        fallback_count=s.fallback_count, below_floor_count=s.below_floor_count,
    )  # fmt: skip


def _metrics_response(report: MetricsReport) -> pb.GetCompressionMetricsResponse:
    return pb.GetCompressionMetricsResponse(
        **{"global": _figures(report.global_)},  # `global` is a Python keyword
        per_user={u: _figures(s) for u, s in report.per_user.items()},
        per_session={k: _figures(s) for k, s in report.per_session.items()},
        as_of=_timestamp(datetime.now(UTC)),
        per_mode=[
            pb.ModeFigures(frame_type=FRAME_TYPE_PB[t], mode=MODE_PB[m], figures=_figures(s))
            for (t, m), s in report.per_mode.items()
        ],
    )


def _session_cursor(token: str) -> SessionCursor | None:
    position = paging.decode_cursor(token)
    if position is None:
        return None
    created, sid = position.get("c"), position.get("id")
    try:
        if isinstance(created, bool) or not isinstance(sid, str):
            raise TypeError
        return SessionCursor(float(created), sid)  # type: ignore[arg-type]
    except (TypeError, ValueError, OverflowError):
        raise InvalidArgument.for_field("page_token", "is not a token this server issued") from None


def _stream_format(fmt: StreamFormat) -> pb.StreamFormat:
    if isinstance(fmt, AudioFormat):
        return pb.StreamFormat(
            audio=pb.AudioFormat(
                sample_rate=fmt.sample_rate, channels=fmt.channels, frame_duration=_duration_ms(fmt.frame_ms)
            )
        )
    if isinstance(fmt, ImageFormat):
        return pb.StreamFormat(
            image=pb.ImageFormat(
                width=fmt.width, height=fmt.height, pixel_format=PIXEL_FORMAT_PB[fmt.pixel_format],
                frame_rate=fmt.frame_rate,
            )
        )  # fmt: skip
    return pb.StreamFormat(data=pb.DataFormat())


def _wall(seconds: float) -> timestamp_pb2.Timestamp:
    return _timestamp(datetime.fromtimestamp(seconds, UTC))


def _session(i: SessionInfo) -> pb.CompressionSession:
    return pb.CompressionSession(
        session_id=i.id, user_id=i.user_id, frame_type=FRAME_TYPE_PB[i.frame_type], mode=MODE_PB[i.config.mode],
        codec=i.codec, model_type=i.config.model_type.value, format=_stream_format(i.fmt),
        create_time=_wall(i.created_wall), last_activity_time=_wall(i.last_used_wall), frames_in=i.frames_in,
        frames_out=i.frames_out, bytes_in=i.bytes_in, bytes_out=i.bytes_out,
        compression_ratio=i.bytes_in / i.bytes_out if i.bytes_out else 0.0, fallback_count=i.fallback_count,
        postfilter=i.postfilter, stale_dropped=i.stale_dropped, degrade_step=i.degrade_step,
    )  # fmt: skip


def _benchmark_row(row: Any) -> pb.BenchmarkRow:
    message = pb.BenchmarkRow(
        frame_type=FRAME_TYPE_PB[row.frame_type], mode=MODE_PB[row.mode], codec=row.codec, kbps=row.kbps,
        reduction_pct=row.reduction_pct, quality=row.quality, latency_p50=_duration_ms(row.latency_p50_ms),
        latency_p99=_duration_ms(row.latency_p99_ms), fallbacks=row.fallbacks,
        bitrate_vs_baseline=row.bitrate_vs_baseline or 0.0,
    )  # fmt: skip
    if row.baseline_name:
        message.baseline.CopyFrom(
            pb.BenchmarkBaseline(name=row.baseline_name, kbps=row.baseline_kbps, quality=row.baseline_quality)
        )
    return message


def _duration_ms(ms: float) -> duration_pb2.Duration:
    d = duration_pb2.Duration()
    d.FromNanoseconds(int(round(ms * 1e6)))
    return d


def _timestamp(value: datetime) -> timestamp_pb2.Timestamp:
    stamp = timestamp_pb2.Timestamp()
    stamp.FromDatetime(value)
    return stamp
