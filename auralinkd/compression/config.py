"""The spec's aic_configs fields, validated, and which model types this build can serve honestly."""

from __future__ import annotations

import enum
from dataclasses import dataclass

from auralinkd.compression import postfilter
from auralinkd.compression.container import CodecId
from auralinkd.compression.formats import AudioFormat, FrameType, StreamFormat
from auralinkd.compression.modes import Mode
from auralinkd.errors import FailedPrecondition, InvalidArgument


class ModelType(enum.Enum):
    AUTO = "auto"  # the frame type's default codec
    OPUS = "opus"
    VP8 = "vp8"
    WEBP = "webp"
    AVIF = "avif"
    ZSTD = "zstd"
    RAW = "raw"
    HYBRID = "hybrid"  # Opus plus the neural post-filter on decode (16 kHz mono 20 ms only)
    LYRA = "lyra"
    MAXINE = "maxine"
    ENCODEC = "encodec"


# What each frame type can use, first entry the default.
AVAILABLE: dict[FrameType, tuple[ModelType, ...]] = {
    FrameType.AUDIO: (ModelType.OPUS, ModelType.RAW),
    FrameType.VIDEO: (ModelType.VP8, ModelType.RAW),
    FrameType.SCREEN: (ModelType.WEBP, ModelType.AVIF, ModelType.RAW),
    FrameType.DATA: (ModelType.ZSTD, ModelType.RAW),
}
CODEC_OF = {
    ModelType.OPUS: CodecId.OPUS,
    ModelType.VP8: CodecId.VP8,
    ModelType.WEBP: CodecId.WEBP,
    ModelType.AVIF: CodecId.AVIF,
    ModelType.ZSTD: CodecId.ZSTD,
    ModelType.RAW: CodecId.RAW,
    ModelType.HYBRID: CodecId.OPUS,
}
_UNSERVABLE = {
    ModelType.LYRA: "Lyra is not bundled",
    ModelType.MAXINE: "NVIDIA Maxine is not bundled",
    ModelType.ENCODEC: "EnCodec has no trained weights available offline and misses the real-time budget",
}
MAX_LATENCY_RANGE = (1.0, 1000.0)
MAX_QUALITY_SCORE = {FrameType.AUDIO: 4.64, FrameType.VIDEO: 1.0, FrameType.SCREEN: 1.0, FrameType.DATA: 1.0}


@dataclass(frozen=True)
class CompressionConfig:
    mode: Mode = Mode.ADAPTIVE
    target_compression_ratio: float = 0.0  # 0: no target; else reported as met or not per frame
    max_latency_ms: float = 20.0
    model_type: ModelType = ModelType.AUTO
    use_gpu: bool = False  # hybrid only: the post-filter on CUDA, batched across sessions
    # On the frame type's own scale: PESQ-WB (1-4.64) for audio, SSIM (0-1) for video and screen.
    min_quality_score: float = 0.0

    def validate(self) -> CompressionConfig:
        if not isinstance(self.mode, Mode):
            raise InvalidArgument.for_field(
                "mode", "must be one of " + ", ".join(m.name for m in Mode) + "; unspecified is not allowed"
            )
        if not isinstance(self.model_type, ModelType):
            raise InvalidArgument.for_field("model_type", "must be one of " + ", ".join(m.value for m in ModelType))
        lo, hi = MAX_LATENCY_RANGE
        if not lo <= self.max_latency_ms <= hi:
            raise InvalidArgument.for_field(
                "max_latency_ms", f"must be between {lo:g} and {hi:g}, got {self.max_latency_ms:g}"
            )
        if not 0 <= self.target_compression_ratio <= 10_000:
            raise InvalidArgument.for_field(
                "target_compression_ratio", f"must be between 0 and 10000, got {self.target_compression_ratio:g}"
            )
        if not 0 <= self.min_quality_score <= 4.64:
            raise InvalidArgument.for_field(
                "min_quality_score", f"must be between 0 and 4.64, got {self.min_quality_score:g}"
            )
        return self


def parse_model_type(value: str) -> ModelType:
    try:
        return ModelType((value or "auto").lower())
    except ValueError:
        raise InvalidArgument.for_field(
            "model_type", f"unknown model type {value!r}; known: " + ", ".join(m.value for m in ModelType)
        ) from None


def available_models(frame_type: FrameType) -> tuple[ModelType, ...]:
    """What this build serves for a frame type: AVAILABLE, plus hybrid for audio when the post-filter can run."""
    models = AVAILABLE[frame_type]
    if frame_type is FrameType.AUDIO and postfilter.unavailable_reason() is None:
        models = (*models, ModelType.HYBRID)
    return models


def wants_postfilter(frame_type: FrameType, config: CompressionConfig, codec: CodecId) -> bool:
    """Only hybrid sessions filter (postfilter.ON_BY_DEFAULT is False: no gain at 12 kbps)."""
    return (
        frame_type is FrameType.AUDIO
        and codec is CodecId.OPUS
        and (
            config.model_type is ModelType.HYBRID or (postfilter.ON_BY_DEFAULT and config.model_type is ModelType.AUTO)
        )
    )


def resolve_codec(frame_type: FrameType, config: CompressionConfig, fmt: StreamFormat | None = None) -> CodecId:
    """The codec a session of this type and config uses, or a clear refusal.

    hybrid is refused (FAILED_PRECONDITION) for audio formats the post-filter was not trained on, and
    when the post-filter cannot run here; `fmt` None skips the format check (config validation only).
    """
    available = available_models(frame_type)
    names = ", ".join(m.value for m in available)
    if config.model_type is ModelType.HYBRID and frame_type is FrameType.AUDIO:
        reason = postfilter.unavailable_reason()
        if reason is not None:
            raise FailedPrecondition(f"model_type hybrid is not available: {reason}; available for AUDIO: {names}")
        if isinstance(fmt, AudioFormat) and not postfilter.supports_format(fmt.sample_rate, fmt.channels, fmt.frame_ms):
            raise FailedPrecondition(
                f"model_type hybrid serves only {postfilter.SAMPLE_RATE} Hz, mono, {postfilter.FRAME_MS} ms "
                f"frames (what its post-filter was trained on), got {fmt.sample_rate} Hz, {fmt.channels} "
                f"channel(s), {fmt.frame_ms} ms; use opus for other formats"
            )
    if config.model_type in _UNSERVABLE:
        raise FailedPrecondition(
            f"model_type {config.model_type.value} is not available: {_UNSERVABLE[config.model_type]}; "
            f"available for {frame_type.name}: {names}"
        )
    if config.min_quality_score > MAX_QUALITY_SCORE[frame_type]:
        raise InvalidArgument.for_field(
            "min_quality_score",
            f"{frame_type.name} quality is measured on a 0-{MAX_QUALITY_SCORE[frame_type]:g} scale, "
            f"got {config.min_quality_score:g}",
        )
    if config.mode is Mode.OFF:
        return CodecId.RAW
    model = available[0] if config.model_type is ModelType.AUTO else config.model_type
    if model not in available:
        raise InvalidArgument.for_field(
            "model_type", f"{model.value} cannot carry {frame_type.name} frames; available: {names}"
        )
    return CODEC_OF[model]
