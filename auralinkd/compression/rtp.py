"""Opus in: RTP metadata of the packets an SFU holds, and their order per session.

An SFU (LiveKit, mediasoup, Janus) holds the browser's Opus RTP packets and does not transcode; it sends
the bare Opus payload with the packet's RTP sequence number, timestamp and SSRC. Per session and SSRC,
a packet must come after the last one accepted: a duplicate or backward sequence (16 bits, with
wrap-around: a step of 0x8000 or more is backward) is refused. A gap is loss, which the caller may
conceal first (lost-frame requests).
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass

from auralinkd.errors import InvalidArgument, OutOfRange

MAX_SSRCS = 16  # per session: a participant's stream, and the few a renegotiation adds


@dataclass(frozen=True)
class RtpMeta:
    sequence: int
    timestamp: int
    ssrc: int

    def validate(self) -> RtpMeta:
        if not 0 <= self.sequence <= 0xFFFF:
            raise InvalidArgument.for_field("rtp.sequence", f"is 16 bits (0 to 65535), got {self.sequence}")
        return self


class RtpOrder:
    """The last accepted sequence per SSRC of one session (at most MAX_SSRCS, the oldest forgotten)."""

    def __init__(self) -> None:
        self._last: OrderedDict[int, int] = OrderedDict()

    def check(self, rtp: RtpMeta) -> None:
        """OutOfRange when `rtp` is a duplicate of, or behind, the last packet accepted for its SSRC."""
        last = self._last.get(rtp.ssrc)
        if last is None:
            return
        step = (rtp.sequence - last) & 0xFFFF
        if step == 0:
            raise OutOfRange(f"RTP sequence {rtp.sequence} of SSRC {rtp.ssrc} is a duplicate")
        if step >= 0x8000:
            raise OutOfRange(f"RTP sequence {rtp.sequence} of SSRC {rtp.ssrc} is behind the last accepted, {last}")

    def accept(self, rtp: RtpMeta) -> None:
        self._last[rtp.ssrc] = rtp.sequence
        self._last.move_to_end(rtp.ssrc)
        while len(self._last) > MAX_SSRCS:
            self._last.popitem(last=False)
