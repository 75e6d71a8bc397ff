"""Adaptive bitrate: network conditions in, codec settings out, never below the mode's quality floor.

When the bandwidth cannot carry the floor, the decision stays at the floor's minimum and says so
(`below_floor`), so the session can count it instead of silently degrading further.
"""

from __future__ import annotations

from dataclasses import dataclass

from auralinkd.compression.formats import FrameType, ImageFormat, StreamFormat
from auralinkd.compression.modes import Mode, ModeSettings, video_bitrate
from auralinkd.errors import InvalidArgument

HEADROOM = 0.85  # share of the reported bandwidth the media may use
HIGH_RTT_MS = 300  # above this, leave more headroom: a congested path reports late
FEC_LOSS_PCT = 1.0  # turn Opus in-band FEC on from this loss rate
VIDEO_SCALES = (1.0, 0.75, 0.5, 0.375, 0.25)
MIN_VIDEO_FPS = 10


@dataclass(frozen=True)
class NetworkConditions:
    bandwidth_kbps: float
    loss_pct: float = 0.0
    rtt_ms: float = 0.0

    def validate(self) -> NetworkConditions:
        if not 0 < self.bandwidth_kbps <= 10_000_000:
            raise InvalidArgument.for_field(
                "bandwidth_kbps", f"must be above 0 and at most 10000000, got {self.bandwidth_kbps}"
            )
        if not 0 <= self.loss_pct <= 100:
            raise InvalidArgument.for_field("loss_pct", f"must be between 0 and 100, got {self.loss_pct}")
        if not 0 <= self.rtt_ms <= 60_000:
            raise InvalidArgument.for_field("rtt_ms", f"must be between 0 and 60000, got {self.rtt_ms}")
        return self


@dataclass(frozen=True)
class AbrDecision:
    bitrate_bps: int  # audio/video; 0 where the codec has no bitrate (screen, data)
    fec: bool = False
    packet_loss_pct: int = 0
    scale: float = 1.0
    frame_rate: int = 0  # video: frames per second to send (0: as declared)
    setting: float = 0.0  # the mode-table setting chosen (bps for audio, bits per pixel for video)
    below_floor: bool = False
    reason: str = ""


def initial_decision(frame_type: FrameType, mode: ModeSettings, fmt: StreamFormat) -> AbrDecision:
    """Before any network report: the mode's floor, at the declared resolution and frame rate."""
    if frame_type is FrameType.AUDIO:
        return AbrDecision(bitrate_bps=int(mode.floor), setting=mode.floor, reason="mode floor")
    if frame_type is FrameType.VIDEO:
        assert isinstance(fmt, ImageFormat)
        return AbrDecision(
            video_bitrate(fmt, mode.floor), frame_rate=fmt.frame_rate, setting=mode.floor, reason="mode floor"
        )
    return AbrDecision(bitrate_bps=0, setting=mode.floor, reason="mode setting")


def decide(
    frame_type: FrameType, mode: ModeSettings, fmt: StreamFormat, net: NetworkConditions, channels: int = 1
) -> AbrDecision:
    headroom = HEADROOM * (0.8 if net.rtt_ms > HIGH_RTT_MS else 1.0)
    budget = net.bandwidth_kbps * 1000 * headroom
    fec = net.loss_pct >= FEC_LOSS_PCT
    loss_hint = int(min(30, round(net.loss_pct)))
    if mode.mode is Mode.OFF or frame_type in (FrameType.SCREEN, FrameType.DATA):
        return AbrDecision(0, fec, loss_hint, setting=mode.floor, reason="no bitrate control for this type")
    if frame_type is FrameType.AUDIO:
        per_channel = budget / channels
        if fec:  # LBRR redundancy takes bits from the primary signal; pay for it when we can
            per_channel /= 1 + min(0.3, net.loss_pct / 50)
        chosen = max(mode.floor, min(mode.ceiling, per_channel))
        below = per_channel < mode.floor
        why = "bandwidth below the mode's quality floor" if below else "within mode range"
        return AbrDecision(int(chosen), fec, loss_hint, setting=chosen, below_floor=below, reason=why)
    assert isinstance(fmt, ImageFormat)
    return _decide_video(mode, fmt, budget, fec, loss_hint)


def _decide_video(mode: ModeSettings, fmt: ImageFormat, budget: float, fec: bool, loss_hint: int) -> AbrDecision:
    """Keep bits per pixel at or above the floor; give up frame rate first, then resolution."""
    rates = [fmt.frame_rate] + [r for r in (fmt.frame_rate // 2, MIN_VIDEO_FPS) if MIN_VIDEO_FPS <= r]
    rates = sorted(set(r for r in rates if r <= fmt.frame_rate), reverse=True)
    for scale in VIDEO_SCALES:
        if fmt.height * scale < 90 and scale != 1.0:
            break
        for fps in rates:
            need = video_bitrate(fmt, mode.floor, scale, fps)
            if need <= budget:
                ceiling = video_bitrate(fmt, mode.ceiling, scale, fps)
                bps = int(min(budget, ceiling))
                bpp = bps / (fmt.width * scale * fmt.height * scale * fps)
                return AbrDecision(bps, fec, loss_hint, scale, fps, bpp, reason="within mode range")
    scale = next(s for s in reversed(VIDEO_SCALES) if fmt.height * s >= 90 or s == 1.0)
    fps = rates[-1]
    bps = video_bitrate(fmt, mode.floor, scale, fps)
    return AbrDecision(bps, fec, loss_hint, scale, fps, mode.floor, True, "bandwidth below the mode's quality floor")
