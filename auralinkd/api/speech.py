"""SpeechService servicer: proto <-> speech domain values; Opus frames are decoded here into PCM."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

import grpc
from google.protobuf import duration_pb2

from auralink.v1 import speech_pb2 as pb
from auralink.v1 import speech_pb2_grpc
from auralinkd.api.context import current_caller
from auralinkd.api.permissions import requires
from auralinkd.errors import InvalidArgument
from auralinkd.speech.service import SpeechService, StreamConfig
from auralinkd.speech.streaming import FRAME_BYTES
from auralinkd.speech.stt import Transcript

_FORMATS = {
    pb.SPEECH_AUDIO_FORMAT_UNSPECIFIED: "wav",
    pb.SPEECH_AUDIO_FORMAT_WAV: "wav",
    pb.SPEECH_AUDIO_FORMAT_OGG_OPUS: "ogg_opus",
}
_ENCODINGS = {
    pb.AUDIO_ENCODING_UNSPECIFIED: "file",
    pb.AUDIO_ENCODING_PCM_S16LE: "pcm",
    pb.AUDIO_ENCODING_OPUS: "opus",
}


def seconds(value: float) -> duration_pb2.Duration:
    d = duration_pb2.Duration()
    d.FromNanoseconds(int(value * 1e9))
    return d


def transcript_to_proto(t: Transcript) -> pb.TranscribeResponse:
    return pb.TranscribeResponse(
        text=t.text,
        segments=[
            pb.TranscriptSegment(start=seconds(s.start_s), end=seconds(s.end_s), text=s.text, confidence=s.confidence)
            for s in t.segments
        ],
        language=t.language,
        language_probability=t.language_probability,
        audio_duration=seconds(t.duration_s),
        model=t.model,
        confidence=t.confidence,
    )


def stream_config(message: pb.StreamTranscribeConfig) -> StreamConfig:
    encoding = _ENCODINGS.get(message.encoding)
    if encoding not in ("pcm", "opus"):
        raise InvalidArgument.for_field("config.encoding", "must be AUDIO_ENCODING_PCM_S16LE or AUDIO_ENCODING_OPUS")
    if message.sample_rate != 16000:
        raise InvalidArgument.for_field(
            "config.sample_rate", f"must be 16000 (20 ms frames of 16 kHz mono), got {message.sample_rate}"
        )
    room = None
    if message.room_id:
        try:
            room = uuid.UUID(message.room_id)
        except ValueError:
            raise InvalidArgument.for_field("config.room_id", "must be a UUID") from None
    return StreamConfig(
        encoding=encoding,
        language=message.language or "en",
        store_as_memory=message.store_as_memory,
        room_id=room,
        speaker=message.speaker[:200],
        partial_interval_ms=message.partial_interval_ms or 1000,
    )


async def decoded_frames(requests: AsyncIterator[Any], encoding: str) -> AsyncIterator[tuple[int, bytes | None, str]]:
    """(sequence, 16 kHz PCM or None, error) for each `frame` of a stream whose first message was its
    `config` (StreamTranscribe, VoiceChat); Opus packets decoded on the way."""
    decoder = None
    if encoding == "opus":
        from auralinkd.compression.codecs.base import CodecError
        from auralinkd.compression.codecs.opus import OpusCodec
        from auralinkd.compression.formats import AudioFormat

        decoder = OpusCodec(AudioFormat(16000, 1, 20))
    async for request in requests:
        part = request.WhichOneof("part")
        if part != "frame":
            raise InvalidArgument.for_field(part or "frame", "after the first message (the config), only frames")
        frame = request.frame
        if decoder is not None:
            try:
                yield frame.sequence, decoder.decode(frame.data), ""
            except CodecError as exc:
                yield frame.sequence, None, f"frame {frame.sequence}: not a 20 ms Opus packet at 16 kHz ({exc})"
        elif len(frame.data) != FRAME_BYTES:
            yield (
                frame.sequence,
                None,
                (
                    f"frame {frame.sequence}: expected {FRAME_BYTES} bytes (20 ms of 16 kHz s16le mono), "
                    f"got {len(frame.data)}"
                ),
            )
        else:
            yield frame.sequence, frame.data, ""


class SpeechServicer(speech_pb2_grpc.SpeechServiceServicer):
    def __init__(self, speech: SpeechService) -> None:
        self._speech = speech

    @requires("speech:synthesize")
    async def Synthesize(
        self, request: pb.SynthesizeRequest, context: grpc.aio.ServicerContext
    ) -> pb.SynthesizeResponse:
        fmt = _FORMATS.get(request.format)
        if fmt is None:
            raise InvalidArgument.for_field("format", "must be SPEECH_AUDIO_FORMAT_WAV or SPEECH_AUDIO_FORMAT_OGG_OPUS")
        result = await self._speech.synthesize(
            current_caller(), request.text, voice=request.voice, speed=request.speed, fmt=fmt,
            store_key=request.store_key, models=list(request.models),
        )  # fmt: skip
        return pb.SynthesizeResponse(
            audio=result.audio, content_type=result.content_type, sample_rate=result.sample_rate,
            duration=seconds(result.duration_s), voice=result.voice, model=result.model, stored_key=result.stored_key,
        )  # fmt: skip

    @requires("speech:read")
    async def ListVoices(
        self, request: pb.ListVoicesRequest, context: grpc.aio.ServicerContext
    ) -> pb.ListVoicesResponse:
        voices = await self._speech.voices(current_caller(), request.language)
        return pb.ListVoicesResponse(
            voices=[pb.Voice(id=v.id, name=v.name, language=v.language, gender=v.gender, model=v.model) for v in voices]
        )

    @requires("speech:transcribe")
    async def Transcribe(
        self, request: pb.TranscribeRequest, context: grpc.aio.ServicerContext
    ) -> pb.TranscribeResponse:
        encoding = _ENCODINGS.get(request.encoding, "")
        source = request.WhichOneof("source")
        result = await self._speech.transcribe(
            current_caller(),
            data=request.audio if source == "audio" else None,
            storage_key=request.storage_key if source == "storage_key" else "",
            encoding=encoding,
            sample_rate=request.sample_rate,
            language=request.language,
            models=list(request.models),
        )
        return transcript_to_proto(result)

    @requires("speech:transcribe")
    async def StreamTranscribe(
        self, requests: AsyncIterator[pb.StreamTranscribeRequest], context: grpc.aio.ServicerContext
    ) -> AsyncIterator[pb.StreamTranscribeResponse]:
        first = await anext(aiter(requests), None)
        if first is None or first.WhichOneof("part") != "config":
            raise InvalidArgument.for_field("config", "the first message must carry the config")
        caller = current_caller()
        config = stream_config(first.config)
        self._speech.check_stream_config(caller, config)
        async for caption in self._speech.captions(caller, config, decoded_frames(requests, config.encoding)):
            if caption.error:
                yield pb.StreamTranscribeResponse(sequence=caption.sequence, error=caption.error)
                continue
            yield pb.StreamTranscribeResponse(
                sequence=caption.sequence,
                transcript=pb.StreamTranscript(
                    final=caption.final, text=caption.text, start=seconds(caption.start_s), end=seconds(caption.end_s),
                    confidence=caption.confidence, memory_id=caption.memory_id,
                    latency=seconds(caption.latency_s) if caption.final else None,
                ),
            )  # fmt: skip
