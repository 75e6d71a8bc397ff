"""Opus in (#23.4): bare Opus packets with RTP metadata decode into an audio session, in RTP order."""

from __future__ import annotations

from fractions import Fraction

import av
import numpy as np
import pytest
from scipy.signal import resample_poly

from auralinkd.compression import AudioFormat, CompressionConfig, DataFormat, FrameType, Mode
from auralinkd.compression.rtp import RtpMeta
from auralinkd.errors import FailedPrecondition, InvalidArgument, OutOfRange
from bench.corpus import quality

FMT = AudioFormat(16000, 1, 20)


def browser_opus(speech16k: np.ndarray) -> list[bytes]:
    """What a browser sends: Opus at 48 kHz, 20 ms packets, from an encoder that is not ours."""
    pcm48 = np.clip(resample_poly(speech16k.astype(np.float64), 3, 1), -32768, 32767).astype(np.int16)
    enc = av.CodecContext.create("libopus", "w")
    enc.sample_rate, enc.layout, enc.format = 48000, "mono", "s16"
    enc.bit_rate, enc.time_base = 32000, Fraction(1, 48000)
    enc.options = {"application": "voip", "frame_duration": "20"}
    enc.open()
    packets = []
    for i in range(0, len(pcm48) - 959, 960):
        frame = av.AudioFrame.from_ndarray(pcm48[i : i + 960].reshape(1, -1), format="s16", layout="mono")
        frame.sample_rate, frame.pts = 48000, i
        packets += [bytes(p) for p in enc.encode(frame)]
    return packets


def test_browser_opus_with_rtp_metadata_decodes_into_the_session_in_order(service, speech16k) -> None:  # type: ignore[no-untyped-def]
    sid = service.start_session("u1", FrameType.AUDIO, FMT, CompressionConfig(mode=Mode.ADAPTIVE)).session_id
    packets = browser_opus(speech16k)
    out = []
    for k, packet in enumerate(packets):
        rtp = RtpMeta((65500 + k) & 0xFFFF, 960 * k, 0x1234)  # the sequence wraps around mid-stream
        r = service.decompress(sid, k, packet, rtp=rtp)
        assert r.rtp == rtp and r.codec == "opus" and len(r.payload) == FMT.frame_bytes
        out.append(r.payload)
    deg = np.frombuffer(b"".join(out), np.int16)
    score = quality.pesq_score(*quality.align(speech16k[: len(deg)], deg, 640), 16000)[0]
    print(f"\nPESQ-WB of browser Opus (32 kbit/s, 48 kHz) decoded into a 16 kHz session: {score:.2f}")
    assert score > 3.0

    last = (65500 + len(packets) - 1) & 0xFFFF
    with pytest.raises(OutOfRange, match="duplicate"):
        service.decompress(sid, 0, packets[0], rtp=RtpMeta(last, 0, 0x1234))
    with pytest.raises(OutOfRange, match="behind"):
        service.decompress(sid, 0, packets[0], rtp=RtpMeta((last - 5) & 0xFFFF, 0, 0x1234))
    service.decompress(sid, 0, packets[0], rtp=RtpMeta((last + 3) & 0xFFFF, 0, 0x1234))  # a gap is loss: fine
    service.decompress(sid, 0, packets[0], rtp=RtpMeta(7, 0, 0x9999))  # another SSRC has its own order
    with pytest.raises(InvalidArgument):
        service.decompress(sid, 0, packets[0], rtp=RtpMeta(70000, 0, 0x1234))


def test_opus_packets_go_to_audio_sessions_only(service, speech16k) -> None:  # type: ignore[no-untyped-def]
    sid = service.start_session("u1", FrameType.DATA, DataFormat(), CompressionConfig(mode=Mode.ADAPTIVE)).session_id
    packet = browser_opus(speech16k[:3200])[0]
    with pytest.raises(FailedPrecondition):
        service.decompress(sid, 0, packet, rtp=RtpMeta(1, 0, 1))


def test_a_refused_packet_does_not_move_the_order(service, speech16k) -> None:  # type: ignore[no-untyped-def]
    sid = service.start_session("u1", FrameType.AUDIO, FMT, CompressionConfig(mode=Mode.ADAPTIVE)).session_id
    good = browser_opus(speech16k[:3200])[0]
    service.decompress(sid, 0, good, rtp=RtpMeta(10, 0, 1))
    with pytest.raises(InvalidArgument):
        service.decompress(sid, 1, b"\xff\xff\xff", rtp=RtpMeta(11, 960, 1))  # corrupt
    service.decompress(sid, 1, good, rtp=RtpMeta(11, 960, 1))  # the retransmission is accepted


def test_a_data_sessions_frame_does_not_decode_in_an_audio_session(service) -> None:  # type: ignore[no-untyped-def]
    """#23.4: a DATA frame whose zstd or raw payload has the audio frame's size used to decode as audio."""
    audio = service.start_session("u1", FrameType.AUDIO, FMT, CompressionConfig(mode=Mode.OFF)).session_id
    data = service.start_session("u1", FrameType.DATA, DataFormat(), CompressionConfig(mode=Mode.ADAPTIVE)).session_id
    pcm = bytes(range(256)) * 2 + bytes(128)  # 640 bytes: one 20 ms frame at 16 kHz, hard to compress
    data_frame = service.compress(data, 0, pcm).data
    audio_frame = service.compress(audio, 0, pcm).data
    with pytest.raises(InvalidArgument, match="DATA session's frame"):
        service.decompress(audio, 0, data_frame)
    with pytest.raises(InvalidArgument, match="cannot be decoded in a DATA session"):
        service.decompress(data, 0, audio_frame)
    assert service.decompress(data, 0, data_frame).payload == pcm
    assert service.decompress(audio, 0, audio_frame).payload == pcm


def test_frames_to_encode_carry_rtp_metadata_in_order(service, speech16k) -> None:  # type: ignore[no-untyped-def]
    """Re-encoding an SFU's stream: the RTP metadata maps through, and its order is kept per SSRC."""
    sid = service.start_session("u1", FrameType.AUDIO, FMT, CompressionConfig(mode=Mode.ADAPTIVE)).session_id
    pcm = speech16k[: FMT.samples_per_frame].tobytes()
    for k in range(3):
        rtp = RtpMeta(65534 + k & 0xFFFF, 320 * k, 77)
        assert service.compress(sid, k, pcm, rtp=rtp).rtp == rtp
    with pytest.raises(OutOfRange, match="duplicate"):
        service.compress(sid, 3, pcm, rtp=RtpMeta(0, 0, 77))
    with pytest.raises(OutOfRange, match="behind"):
        service.compress(sid, 3, pcm, rtp=RtpMeta(65535, 0, 77))
    assert service.compress(sid, 3, pcm).rtp is None  # without metadata: no order kept
