"""One session's path for a frame: validate, choose the setting, encode (or take a safe path), pack.

The encoder side and the decoder side keep separate state and separate locks, so one session can
compress and decompress at the same time from different threads. A hybrid session also has a
post-filter on the decoder side: its state follows the decoded Opus stream, so it starts afresh
whenever that stream breaks (a frame by the zstd/raw path, or a gap in the wire sequence).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Protocol

from auralinkd.compression import container
from auralinkd.compression.abr import AbrDecision
from auralinkd.compression.codecs.base import Codec, CodecError, CodecSettings, Encoded
from auralinkd.compression.codecs.raw import RawCodec
from auralinkd.compression.codecs.zstd import ZstdCodec
from auralinkd.compression.container import CodecId, Flag
from auralinkd.compression.fallback import DEGRADE_STEPS, FallbackPolicy, FallbackReason, LoadSignal, QualityPlan
from auralinkd.compression.formats import (
    AudioFormat,
    DataFormat,
    FrameType,
    ImageFormat,
    StreamFormat,
    check_raw_frame,
    check_size_limit,
)
from auralinkd.compression.modes import ModeSettings
from auralinkd.errors import FailedPrecondition, InvalidArgument, Unavailable

SAFE_ZSTD_LEVEL = 1
STEPPED_CODECS = frozenset({CodecId.OPUS, CodecId.VP8})  # codecs with cheaper settings (CodecSettings.speed)
MAX_SETTING = {FrameType.AUDIO: 256_000.0, FrameType.VIDEO: 1.0, FrameType.SCREEN: 100.0}
EXACT_SCORE = {"pesq_wb": 4.64, "pesq_nb": 4.55, "ssim": 1.0, "lossless": 1.0}
ALLOWED_CODECS = {
    FrameType.AUDIO: {CodecId.OPUS, CodecId.ZSTD, CodecId.RAW},
    FrameType.VIDEO: {CodecId.VP8, CodecId.ZSTD, CodecId.RAW},
    FrameType.SCREEN: {CodecId.WEBP, CodecId.AVIF, CodecId.ZSTD, CodecId.RAW},
    FrameType.DATA: {CodecId.ZSTD, CodecId.RAW},
}


class DecodeFilter(Protocol):
    """A per-session filter of decoded frames (postfilter.SessionFilter)."""

    def process(self, pcm: bytes, packet: bytes) -> bytes: ...

    def reset(self) -> None: ...


@dataclass(frozen=True)
class EncodedFrame:
    data: bytes
    codec: CodecId
    flags: Flag
    quality: float | None
    quality_source: str  # "predicted" (calibration), "exact" (lossless) or "none"
    fallback_reason: FallbackReason
    encode_ms: float
    bitrate_bps: int
    load: LoadSignal = LoadSignal.NONE


@dataclass(frozen=True)
class DecodedFrame:
    payload: bytes
    codec: CodecId
    flags: Flag
    wire_sequence: int


def make_codec(codec: CodecId, frame_type: FrameType, fmt: StreamFormat) -> Codec:
    frame_bytes = None if isinstance(fmt, DataFormat) else fmt.frame_bytes
    if codec is CodecId.RAW:
        return RawCodec(frame_bytes)
    if codec is CodecId.ZSTD:
        return ZstdCodec(3, frame_bytes)
    if codec is CodecId.OPUS:
        from auralinkd.compression.codecs.opus import OpusCodec

        assert isinstance(fmt, AudioFormat)
        return OpusCodec(fmt)
    if codec is CodecId.VP8:
        from auralinkd.compression.codecs.vp8 import Vp8Codec

        assert isinstance(fmt, ImageFormat)
        return Vp8Codec(fmt)
    from auralinkd.compression.codecs.image import ImageCodec

    assert isinstance(fmt, ImageFormat)
    return ImageCodec(fmt, codec)


class FramePipeline:
    def __init__(
        self,
        frame_type: FrameType,
        fmt: StreamFormat,
        codec: CodecId,
        mode: ModeSettings,
        policy: FallbackPolicy,
        metric: str,
        timer: Callable[[], float] = time.perf_counter,
        postfilter: DecodeFilter | None = None,
    ) -> None:
        self.frame_type = frame_type
        # Encode times drive the latency fallback; tests inject a timer so that decision never
        # depends on how loaded the machine running them is.
        self.timer = timer
        self.fmt = fmt
        self.codec_id = codec
        self.mode = mode
        self.policy = policy
        self.metric = metric
        self.decision = AbrDecision(0)
        self.encode_lock = threading.Lock()
        self.decode_lock = threading.Lock()
        self._encoder: Codec | None = None
        self._safe = ZstdCodec(SAFE_ZSTD_LEVEL)
        self._lossless_codec = ZstdCodec(3)
        self._decoders: dict[CodecId, Codec] = {}
        self._fps_credit = 0.0
        self._force_key = False
        self._last_decoded: bytes | None = None
        self.postfilter = postfilter
        self.postfilter_resets = 0
        self._last_wire: int | None = None  # the last decoded frame's 16-bit wire sequence

    # -- compress ---------------------------------------------------------------------------------

    def compress(self, sequence: int, payload: bytes) -> EncodedFrame:
        check_raw_frame(self.fmt, payload)
        with self.encode_lock:
            if self._skip_for_frame_rate():
                return self._pack(
                    sequence, CodecId.RAW, Flag.SKIPPED, Encoded(b""), None, "none", FallbackReason.NONE, 0.0
                )
            if self.codec_id is CodecId.RAW:
                return self._pack(
                    sequence,
                    CodecId.RAW,
                    Flag.RAW,
                    Encoded(payload, lossless=True),
                    *self._exact(),
                    FallbackReason.NONE,
                    0.0,
                )
            if self.frame_type is FrameType.DATA:
                return self._lossless(sequence, payload, FallbackReason.NONE, self._data_codec())
            if self.codec_id not in STEPPED_CODECS and self.policy.in_latency_cooldown():
                return self._lossless(sequence, payload, FallbackReason.LATENCY, self._safe)
            if self.frame_type is FrameType.SCREEN and self._text_heavy(payload):
                return self._lossless(sequence, payload, FallbackReason.NONE, self._data_codec())
            return self._encode(sequence, payload)

    def _encode(self, sequence: int, payload: bytes) -> EncodedFrame:
        plan = self.policy.plan_quality(self.mode, self._setting(), MAX_SETTING[self.frame_type])
        audio = self.codec_id is CodecId.OPUS
        if plan.lossless and audio:  # no setting meets min_quality_score: Opus at its best, still Opus
            best = MAX_SETTING[self.frame_type]
            plan = QualityPlan(best, self.mode.predict(best), FallbackReason.QUALITY)
        elif plan.lossless:
            return self._lossless(sequence, payload, FallbackReason.QUALITY, self._safe)
        stepped = self.codec_id in STEPPED_CODECS
        degrade = self.policy.degrade if stepped else None
        setting = plan.setting * degrade.bitrate_scale if degrade else plan.setting
        encoder = self._get_encoder()
        t0 = self.timer()
        try:
            encoder.configure(self._codec_settings(setting, degrade.speed if degrade else 0))
            t0 = self.timer()
            enc = encoder.encode(payload, keyframe=self._force_key)
        except CodecError as exc:
            self._force_key = True
            if audio:  # every audio frame a peer receives is Opus: this one is lost, in its own slot
                self.policy.record(FallbackReason.CODEC_ERROR, str(exc))
                raise Unavailable(
                    f"the Opus encoder failed on this frame ({exc}); the next frame re-opens it"
                ) from None
            return self._lossless(sequence, payload, FallbackReason.CODEC_ERROR, self._safe, str(exc))
        elapsed = (self.timer() - t0) * 1000
        self._force_key = False
        load = LoadSignal.NONE
        if stepped:
            load = self.policy.observe_stepped(elapsed)
        elif self.policy.observe_encode(elapsed):
            self.policy.record(FallbackReason.LATENCY, f"encode took {elapsed:.1f} ms")
        flags = Flag.KEYFRAME if enc.keyframe else Flag.NONE
        if self.decision.fec and audio:
            flags |= Flag.FEC
        reason = plan.reason
        if reason is not FallbackReason.NONE:
            flags |= Flag.FALLBACK
            self.policy.record(reason, f"predicted {self.metric} below min_quality_score")
        elif degrade is not None and degrade != DEGRADE_STEPS[0]:  # sent at a cheaper setting
            reason = FallbackReason.LATENCY
            flags |= Flag.FALLBACK
            self.policy.record(reason, self.policy.describe())
        predicted = plan.predicted if setting == plan.setting else self.mode.predict(setting)
        quality = predicted if not enc.lossless else EXACT_SCORE[self.metric]
        # The calibration measured the codec alone; the post-filter's effect is not in the prediction.
        source = "exact" if enc.lossless else ("predicted_codec_only" if self.postfilter else "predicted")
        frame = self._pack(
            sequence, self.codec_id, flags, enc, quality, source, reason, elapsed, self._bitrate(setting)
        )
        return frame if load is LoadSignal.NONE else replace(frame, load=load)

    def _lossless(
        self, sequence: int, payload: bytes, reason: FallbackReason, codec: Codec, detail: str = ""
    ) -> EncodedFrame:
        """zstd when it is smaller, else raw: never larger than the payload plus the header."""
        t0 = self.timer()
        enc = codec.encode(payload)
        elapsed = (self.timer() - t0) * 1000
        codec_id, flags = CodecId.ZSTD, Flag.NONE
        if len(enc.payload) >= len(payload):
            codec_id, flags, enc = CodecId.RAW, Flag.RAW, Encoded(payload, lossless=True)
        if reason is not FallbackReason.NONE:
            flags |= Flag.FALLBACK
            self.policy.record(reason, detail or reason.value)
        return self._pack(sequence, codec_id, flags, enc, *self._exact(), reason, elapsed)

    def _pack(
        self,
        sequence: int,
        codec: CodecId,
        flags: Flag,
        enc: Encoded,
        quality: float | None,
        source: str,
        reason: FallbackReason,
        elapsed: float,
        bitrate: int = 0,
    ) -> EncodedFrame:
        data = container.pack(codec, flags, sequence, enc.payload, data_session=self.frame_type is FrameType.DATA)
        return EncodedFrame(data, codec, flags, quality, source, reason, elapsed, bitrate)

    def _exact(self) -> tuple[float, str]:
        return EXACT_SCORE[self.metric], "exact"

    def _skip_for_frame_rate(self) -> bool:
        if self.frame_type is not FrameType.VIDEO or not self.decision.frame_rate:
            return False
        assert isinstance(self.fmt, ImageFormat)
        self._fps_credit += self.decision.frame_rate / self.fmt.frame_rate
        if self._fps_credit >= 1.0:
            self._fps_credit -= 1.0
            return False
        return True

    def _text_heavy(self, payload: bytes) -> bool:
        from auralinkd.compression.codecs.image import is_text_heavy

        assert isinstance(self.fmt, ImageFormat)
        return is_text_heavy(self.fmt, payload)

    def _data_codec(self) -> Codec:
        level = int(self.mode.floor) if self.frame_type is FrameType.DATA else 3
        self._lossless_codec.configure(CodecSettings(level=level))
        return self._lossless_codec

    def _get_encoder(self) -> Codec:
        if self._encoder is None:
            self._encoder = make_codec(self.codec_id, self.frame_type, self.fmt)
        return self._encoder

    def _setting(self) -> float:
        return self.decision.setting or self.mode.floor

    def _bitrate(self, setting: float) -> int:
        if self.frame_type is FrameType.AUDIO:
            return int(setting)
        if self.frame_type is FrameType.VIDEO:
            assert isinstance(self.fmt, ImageFormat)
            scale, fps = self.decision.scale, self.decision.frame_rate or self.fmt.frame_rate
            return int(setting * self.fmt.width * scale * self.fmt.height * scale * fps)
        return 0

    def _codec_settings(self, setting: float, speed: int = 0) -> CodecSettings:
        d = self.decision
        if self.frame_type is FrameType.SCREEN:
            return CodecSettings(quality=int(round(setting)))
        return CodecSettings(
            bitrate_bps=self._bitrate(setting), fec=d.fec, packet_loss_pct=d.packet_loss_pct, scale=d.scale,
            speed=speed,
        )  # fmt: skip

    # -- decompress -------------------------------------------------------------------------------

    def decompress(self, data: bytes) -> DecodedFrame:
        check_size_limit(data, "data")
        header, payload = container.unpack(data, data_session=self.frame_type is FrameType.DATA)
        if header.codec not in ALLOWED_CODECS[self.frame_type]:
            raise InvalidArgument.for_field(
                "data", f"a {header.codec.name} frame cannot belong to a {self.frame_type.name} session"
            )
        with self.decode_lock:
            if header.flags & Flag.SKIPPED:
                out = self._last_decoded if self._last_decoded is not None else bytes(self._frame_size())
            else:
                out = self._decode(header.codec, payload)
                if self.postfilter is not None:
                    out = self._filter(header.codec, header.sequence, payload, out)
            if self.frame_type in (FrameType.VIDEO, FrameType.SCREEN):
                self._last_decoded = out
        return DecodedFrame(out, header.codec, header.flags, header.sequence)

    def decode_opus(self, packet: bytes, wire_sequence: int) -> DecodedFrame:
        """Opus in: a bare Opus packet (no frame header), decoded and post-filtered like a frame of ours;
        `wire_sequence` (the RTP sequence) lets the post-filter see loss."""
        if self.frame_type is not FrameType.AUDIO:
            raise FailedPrecondition(f"Opus packets go to AUDIO sessions; this is a {self.frame_type.name} session")
        check_size_limit(packet, "data")
        if not packet:
            raise InvalidArgument.for_field("data", "is empty: an Opus packet is at least one byte (a lost one: lost)")
        with self.decode_lock:
            out = self._decode(CodecId.OPUS, packet)
            if self.postfilter is not None:
                out = self._filter(CodecId.OPUS, wire_sequence & 0xFFFF, packet, out)
        return DecodedFrame(out, CodecId.OPUS, Flag(0), wire_sequence & 0xFFFF)

    def conceal(self, next_data: bytes = b"") -> tuple[DecodedFrame, str]:
        """Audio for a lost frame (audio sessions): the Opus decoder's FEC from `next_data`, the frame
        received after the lost one, when it carries FEC, else its packet-loss concealment. Returns the
        frame and "fec" or "plc". The next frame is decoded as usual afterwards."""
        if self.frame_type is not FrameType.AUDIO:
            raise FailedPrecondition(
                f"lost frames are concealed in AUDIO sessions only; this is {self.frame_type.name}"
            )
        payload: bytes | None = None
        if next_data:
            check_size_limit(next_data, "data")
            header, payload = container.unpack(next_data)
            if header.codec is not CodecId.OPUS:
                payload = None  # a fallback frame carries no FEC: conceal
        with self.decode_lock:
            codec = self._decoders.get(CodecId.OPUS)
            if codec is None:
                codec = self._decoders[CodecId.OPUS] = make_codec(CodecId.OPUS, self.frame_type, self.fmt)
            try:
                out, how = codec.conceal(payload)  # type: ignore[attr-defined]
            except CodecError as exc:
                raise InvalidArgument.for_field("data", f"cannot conceal the lost frame: {exc}") from None
            if self.postfilter is not None:
                self._reset_filter()  # its state followed the lost frame's neighbours, not the concealment
        return DecodedFrame(out, CodecId.OPUS, Flag(0), 0), how

    def _decode(self, codec_id: CodecId, payload: bytes) -> bytes:
        codec = self._decoders.get(codec_id)
        if codec is None:
            codec = self._decoders[codec_id] = make_codec(codec_id, self.frame_type, self.fmt)
        try:
            out = codec.decode(payload)
        except CodecError as exc:
            raise InvalidArgument.for_field("data", f"cannot decode the {codec_id.name} frame: {exc}") from None
        if self.frame_type is not FrameType.DATA and len(out) != self._frame_size():
            raise InvalidArgument.for_field(
                "data", f"decodes to {len(out)} bytes, the session's frame is {self._frame_size()}"
            )
        return out

    def _filter(self, codec: CodecId, wire_sequence: int, packet: bytes, pcm: bytes) -> bytes:
        """Post-filter an Opus frame; any other frame, or a lost one before it, resets the filter's state."""
        assert self.postfilter is not None
        lost = self._last_wire is not None and wire_sequence != (self._last_wire + 1) & 0xFFFF
        self._last_wire = wire_sequence
        if codec is not CodecId.OPUS:
            self._reset_filter()
            return pcm
        if lost:
            self._reset_filter()
        return self.postfilter.process(pcm, packet)

    def _reset_filter(self) -> None:
        assert self.postfilter is not None
        self.postfilter.reset()
        self.postfilter_resets += 1

    def _frame_size(self) -> int:
        return 0 if isinstance(self.fmt, DataFormat) else self.fmt.frame_bytes

    def close(self) -> None:
        for codec in (self._encoder, *self._decoders.values()):
            if codec is not None:
                codec.close()
