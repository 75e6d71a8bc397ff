"""Lost frames on the decode side: Opus packet-loss concealment, or the next frame's in-band FEC."""

from __future__ import annotations

import numpy as np
import pytest

from auralinkd.compression import AudioFormat, CompressionConfig, DataFormat, FrameType, Mode
from auralinkd.compression.abr import NetworkConditions
from auralinkd.errors import FailedPrecondition
from bench.corpus import quality

FMT = AudioFormat(16000, 1, 20)
LOSS = 0.10


def _lost(n: int) -> list[bool]:
    """A fixed 10% loss pattern (never the first frame)."""
    rng = np.random.default_rng(7)
    lost = list(rng.random(n) < LOSS)
    lost[0] = False
    return lost


def _run(service, speech16k, *, fec: bool, how: str) -> tuple[float, dict[str, int]]:  # type: ignore[no-untyped-def]
    """PESQ-WB of speech through a 10% loss, the lost frames handled by `how`: "silence" (no
    concealment: the player fills the gap with zeros), "plc" (a lost request with no data) or "next"
    (a lost request carrying the next frame, for its FEC)."""
    s = service.start_session("u1", FrameType.AUDIO, FMT, CompressionConfig(mode=Mode.ADAPTIVE, max_latency_ms=1000))
    if fec:
        service.update_network_conditions(s.session_id, NetworkConditions(bandwidth_kbps=64, loss_pct=10))
    n = FMT.samples_per_frame
    frames = [speech16k[i : i + n].tobytes() for i in range(0, len(speech16k) - n + 1, n)]
    packets = [service.compress(s.session_id, seq, f).data for seq, f in enumerate(frames)]
    lost = _lost(len(packets))
    out, counts = [], {"fec": 0, "plc": 0}
    for seq, packet in enumerate(packets):
        if not lost[seq]:
            out.append(service.decompress(s.session_id, seq, packet).payload)
        elif how == "silence":
            out.append(bytes(FMT.frame_bytes))
        else:
            following = packets[seq + 1] if how == "next" and seq + 1 < len(packets) and not lost[seq + 1] else b""
            r = service.decompress(s.session_id, seq, following, lost=True)
            assert len(r.payload) == FMT.frame_bytes and r.codec == "opus"
            counts[r.concealment] += 1
            out.append(r.payload)
    ref = np.concatenate([np.frombuffer(f, np.int16) for f in frames])
    deg = np.frombuffer(b"".join(out), np.int16)
    return quality.pesq_score(*quality.align(ref, deg, 320), 16000)[0], counts


def test_ten_percent_loss_concealed_by_plc_and_fec_beats_silence(service, speech16k) -> None:  # type: ignore[no-untyped-def]
    silence, _ = _run(service, speech16k, fec=False, how="silence")
    plc, plc_counts = _run(service, speech16k, fec=False, how="plc")
    fec, fec_counts = _run(service, speech16k, fec=True, how="next")
    print(f"\nPESQ-WB at 10% loss: silence {silence:.2f}, PLC {plc:.2f}, FEC {fec:.2f} ({fec_counts})")
    assert plc_counts["fec"] == 0 and plc_counts["plc"] > 0
    assert fec_counts["fec"] > 0  # the encoder put FEC in once the network reported loss
    assert plc > silence + 0.1
    assert fec > silence + 0.1


def test_a_lost_frame_in_a_data_session_is_a_failed_precondition(service) -> None:  # type: ignore[no-untyped-def]
    s = service.start_session("u1", FrameType.DATA, DataFormat(), CompressionConfig(mode=Mode.ADAPTIVE))
    with pytest.raises(FailedPrecondition):
        service.decompress(s.session_id, 0, b"", lost=True)


def test_plc_before_any_frame_gives_a_frame_of_the_session_size(service) -> None:  # type: ignore[no-untyped-def]
    s = service.start_session("u1", FrameType.AUDIO, FMT, CompressionConfig(mode=Mode.ADAPTIVE))
    r = service.decompress(s.session_id, 0, b"", lost=True)
    assert r.concealment == "plc" and len(r.payload) == FMT.frame_bytes
