"""The few bytes in front of every compressed frame, so a decoder knows what it got.

Layout (6 bytes, big-endian):
  byte 0     version (high 3 bits) | flags (low 5 bits)
  byte 1     codec id
  bytes 2-3  sequence number modulo 65536 (RTP-style; the caller keeps the full number)
  bytes 4-5  CRC-16/CCITT over bytes 0-3 and the payload, so corruption is caught before a codec sees it
"""

from __future__ import annotations

import binascii
import enum
import struct
from dataclasses import dataclass

from auralinkd.errors import InvalidArgument

VERSION = 1
HEADER_SIZE = 6
_HEAD = struct.Struct(">BBH")
_CRC = struct.Struct(">H")


class CodecId(enum.IntEnum):
    RAW = 0
    OPUS = 1
    VP8 = 2
    WEBP = 3
    AVIF = 4
    ZSTD = 5


class Flag(enum.IntFlag):
    NONE = 0
    # The payload is the raw frame (or zstd-packed raw): no lossy codec touched it.
    RAW = 1
    # The frame went out by a safe path (higher bitrate, lossless or raw) instead of the normal one.
    FALLBACK = 2
    KEYFRAME = 4
    # Dropped by frame-rate control: no payload; the decoder repeats the previous frame.
    SKIPPED = 8
    # Opus in-band forward error correction was on for this frame.
    FEC = 16


@dataclass(frozen=True)
class FrameHeader:
    codec: CodecId
    flags: Flag
    sequence: int


# The checksum's seed: a DATA session's frames use their own, so that one never decodes in an audio,
# video or screen session (its zstd or raw payload could otherwise pass for a media frame), nor the
# other way round.
MEDIA_SEED = 0xFFFF
DATA_SEED = 0x0DA7


def _crc(head: bytes, payload: bytes, data_session: bool) -> int:
    return binascii.crc_hqx(payload, binascii.crc_hqx(head, DATA_SEED if data_session else MEDIA_SEED))


def pack(codec: CodecId, flags: Flag, sequence: int, payload: bytes, *, data_session: bool = False) -> bytes:
    head = _HEAD.pack((VERSION << 5) | int(flags), int(codec), sequence & 0xFFFF)
    return head + _CRC.pack(_crc(head, payload, data_session)) + payload


def unpack(data: bytes, *, data_session: bool = False) -> tuple[FrameHeader, bytes]:
    """Split and verify a frame of a DATA session (`data_session`) or of a media one; any damage, or a
    frame of the other kind, is InvalidArgument naming `data`."""
    if len(data) < HEADER_SIZE:
        raise InvalidArgument.for_field(
            "data", f"{len(data)} bytes is shorter than the {HEADER_SIZE}-byte frame header"
        )
    first, codec_byte, sequence = _HEAD.unpack_from(data)
    version = first >> 5
    if version != VERSION:
        raise InvalidArgument.for_field("data", f"unknown frame version {version}; this build reads {VERSION}")
    payload = bytes(data[HEADER_SIZE:])
    (crc,) = _CRC.unpack_from(data, 4)
    head = bytes(data[:4])
    if _crc(head, payload, data_session) != crc:
        if _crc(head, payload, not data_session) == crc:
            raise InvalidArgument.for_field(
                "data",
                "a DATA session's frame cannot be decoded in an audio, video or screen session"
                if not data_session
                else "an audio, video or screen session's frame cannot be decoded in a DATA session",
            )
        raise InvalidArgument.for_field("data", "checksum mismatch: the frame is corrupt or truncated")
    try:
        codec = CodecId(codec_byte)
    except ValueError:
        raise InvalidArgument.for_field("data", f"unknown codec id {codec_byte}") from None
    return FrameHeader(codec, Flag(first & 0x1F), sequence), payload
