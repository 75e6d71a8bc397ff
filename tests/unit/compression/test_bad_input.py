"""The issue's bad-input table, row by row: a clear error, and the session stays usable."""

from __future__ import annotations

import numpy as np
import pytest

from auralinkd.compression import (
    AudioFormat,
    CompressionConfig,
    DataFormat,
    FrameType,
    ImageFormat,
    ModelType,
    PixelFormat,
)
from auralinkd.compression.formats import MAX_PAYLOAD_BYTES
from auralinkd.errors import FailedPrecondition, InvalidArgument, NotFound, ResourceExhausted

PCM16 = AudioFormat(16000, 1, 20)


def _audio(service):
    return service.start_session("u1", FrameType.AUDIO, PCM16).session_id


def test_odd_byte_pcm_is_invalid_argument_and_session_still_works(service):
    sid = _audio(service)
    with pytest.raises(InvalidArgument) as exc:
        service.compress(sid, 0, bytes(641))
    assert exc.value.violations[0].field == "payload"
    assert service.compress(sid, 1, bytes(640)).codec == "opus"


def test_wrong_frame_duration_is_invalid_argument_naming_the_durations(service):
    sid = _audio(service)
    with pytest.raises(InvalidArgument, match="40 ms"):
        service.compress(sid, 0, bytes(1280))


def test_rgb_payload_not_w_h_3_is_invalid_argument(service):
    sid = service.start_session("u1", FrameType.SCREEN, ImageFormat(32, 32, PixelFormat.RGB24)).session_id
    with pytest.raises(InvalidArgument, match="3072"):
        service.compress(sid, 0, bytes(32 * 32 * 3 - 1))
    assert service.compress(sid, 1, bytes(32 * 32 * 3)).output_bytes > 0


def test_unsupported_sample_rate_lists_the_supported_rates(service):
    with pytest.raises(InvalidArgument) as exc:
        service.start_session("u1", FrameType.AUDIO, AudioFormat(44100, 1, 20))
    assert "8000, 16000, 24000, 48000" in exc.value.message
    assert exc.value.violations[0].field == "format.audio.sample_rate"


def test_payload_over_8_mib_is_resource_exhausted(service):
    sid = service.start_session("u1", FrameType.DATA, DataFormat()).session_id
    with pytest.raises(ResourceExhausted):
        service.compress(sid, 0, bytes(MAX_PAYLOAD_BYTES + 1))
    with pytest.raises(ResourceExhausted):
        service.decompress(sid, 0, bytes(MAX_PAYLOAD_BYTES + 1))


def test_a_format_larger_than_the_payload_limit_is_refused_at_start(service):
    with pytest.raises(ResourceExhausted):
        service.start_session("u1", FrameType.VIDEO, ImageFormat(4096, 4096, PixelFormat.RGB24))


def test_unknown_session_is_not_found(service):
    with pytest.raises(NotFound):
        service.compress("no-such-session", 0, b"")


def test_another_users_session_is_not_found(service):
    sid = _audio(service)
    with pytest.raises(NotFound):
        service.compress(sid, 0, bytes(640), user_id="someone-else")


def test_corrupt_frame_is_invalid_argument_and_the_next_valid_frame_decodes(service, speech16k):
    sid = _audio(service)
    frames = [service.compress(sid, i, speech16k[i * 320 : (i + 1) * 320].tobytes()).data for i in range(3)]
    damaged = bytearray(frames[1])
    damaged[-1] ^= 0xFF
    service.decompress(sid, 0, frames[0])
    for bad in (bytes(damaged), frames[1][:3], b"\xff" * 40):
        with pytest.raises(InvalidArgument):
            service.decompress(sid, 1, bad)
    assert len(service.decompress(sid, 2, frames[2]).payload) == 640


def test_unspecified_mode_is_invalid_argument(service):
    with pytest.raises(InvalidArgument, match="mode"):
        service.start_session("u1", FrameType.DATA, DataFormat(), CompressionConfig(mode=None))  # type: ignore[arg-type]


@pytest.mark.parametrize("model", [ModelType.LYRA, ModelType.MAXINE, ModelType.ENCODEC])
def test_model_types_we_cannot_serve_are_failed_precondition_naming_what_is_available(service, model):
    with pytest.raises(FailedPrecondition, match="available for AUDIO: opus, raw, hybrid"):
        service.start_session("u1", FrameType.AUDIO, PCM16, CompressionConfig(model_type=model))


@pytest.mark.parametrize(
    "fmt", [AudioFormat(48000, 1, 20), AudioFormat(8000, 1, 20), AudioFormat(16000, 2, 20), AudioFormat(16000, 1, 10)]
)
def test_hybrid_outside_16khz_mono_20ms_is_failed_precondition_naming_what_it_serves(service, fmt):
    with pytest.raises(FailedPrecondition, match="hybrid serves only 16000 Hz, mono, 20 ms"):
        service.start_session("u1", FrameType.AUDIO, fmt, CompressionConfig(model_type=ModelType.HYBRID))


def test_hybrid_carries_only_audio(service):
    with pytest.raises(InvalidArgument, match="hybrid cannot carry VIDEO"):
        service.start_session(
            "u1", FrameType.VIDEO, ImageFormat(32, 32, PixelFormat.I420), CompressionConfig(model_type=ModelType.HYBRID)
        )


def test_codec_for_the_wrong_frame_type_is_invalid_argument(service):
    with pytest.raises(InvalidArgument, match="available"):
        service.start_session("u1", FrameType.AUDIO, PCM16, CompressionConfig(model_type=ModelType.VP8))


def test_odd_i420_dimensions_are_invalid_argument(service):
    with pytest.raises(InvalidArgument, match="even"):
        service.start_session("u1", FrameType.VIDEO, ImageFormat(33, 32, PixelFormat.I420))


def test_negative_sequence_is_invalid_argument(service):
    sid = _audio(service)
    with pytest.raises(InvalidArgument):
        service.compress(sid, -1, bytes(640))
    assert np.frombuffer(service.compress(sid, 0, bytes(640)).data, np.uint8).size > 0
