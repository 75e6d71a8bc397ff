"""AIC compression engine: per-session codecs for audio, video, screen and data frames.

Domain code only: no gRPC here. `CompressionService` is the entry point; see service.py.
"""

from __future__ import annotations

from auralinkd.compression.abr import AbrDecision, NetworkConditions
from auralinkd.compression.config import CompressionConfig, ModelType
from auralinkd.compression.formats import AudioFormat, DataFormat, FrameType, ImageFormat, PixelFormat
from auralinkd.compression.modes import CalibrationTable, Mode
from auralinkd.compression.service import CompressionService, CompressResult, DecompressResult, SessionStarted

__all__ = [
    "AbrDecision",
    "AudioFormat",
    "CalibrationTable",
    "CompressResult",
    "CompressionConfig",
    "CompressionService",
    "DataFormat",
    "DecompressResult",
    "FrameType",
    "ImageFormat",
    "Mode",
    "ModelType",
    "NetworkConditions",
    "PixelFormat",
    "SessionStarted",
]
