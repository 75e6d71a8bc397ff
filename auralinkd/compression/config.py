"""The spec's aic_configs fields, validated, and which model types this build can serve honestly."""

from __future__ import annotations

import enum
from dataclasses import dataclass

from auralinkd.compression.container import CodecId
from auralinkd.compression.formats import FrameType
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
    HYBRID = "hybrid"  # codec plus the neural post-filter
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
}
_UNSERVABLE = {
    ModelType.HYBRID: "the neural post-filter is not trained in this build",
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
    use_gpu: bool = False  # only the post-filter could use it, and it is not in this build
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


def resolve_codec(frame_type: FrameType, config: CompressionConfig) -> CodecId:
    """The codec a session of this type and config uses, or a clear refusal."""
    available = AVAILABLE[frame_type]
    names = ", ".join(m.value for m in available)
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
