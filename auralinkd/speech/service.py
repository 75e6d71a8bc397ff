"""SpeechService: synthesize (espeak-ng), list voices, transcribe files (Whisper tiny.en) and live captions.

Audio can be written to storage (`store_key`) and read from it (`storage_key`) with the caller's own
storage permissions; final live captions can be stored as memories of the call's room (opt-in).
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

from auralinkd.access.principal import Caller
from auralinkd.errors import InvalidArgument, PermissionDenied
from auralinkd.memory.models import MemoryInput, Scope
from auralinkd.memory.service import MemoryService
from auralinkd.speech import audio
from auralinkd.speech.providers import ProviderSpeech
from auralinkd.speech.streaming import Caption, CaptionStream, Segmenter, window_transcriber
from auralinkd.speech.stt import MODEL as STT_MODEL
from auralinkd.speech.stt import Transcript, Whisper, check_language
from auralinkd.speech.tts import MODEL as TTS_MODEL
from auralinkd.speech.tts import Espeak, VoiceInfo
from auralinkd.storage.service import PutHeader, StorageService

MAX_TEXT_CHARS = 5000
MIN_SPEED, MAX_SPEED = 0.25, 4.0
FORMATS = {"wav": "audio/wav", "ogg_opus": "audio/ogg"}


@dataclass(frozen=True)
class Synthesis:
    audio: bytes
    content_type: str
    sample_rate: int
    duration_s: float
    voice: str
    model: str
    stored_key: str = ""


@dataclass(frozen=True)
class StreamConfig:
    encoding: str  # "pcm" or "opus"
    language: str = "en"
    store_as_memory: bool = False
    room_id: uuid.UUID | None = None
    speaker: str = ""
    partial_interval_ms: int = 1000


class SpeechService:
    def __init__(
        self,
        espeak: Espeak,
        whisper: Whisper,
        storage: StorageService,
        memory: MemoryService | None = None,
        providers: ProviderSpeech | None = None,
    ) -> None:
        self._espeak = espeak
        self.whisper = whisper
        self._storage = storage
        self._memory = memory
        self._providers = providers

    async def voices(self, caller: Caller, language: str = "") -> list[VoiceInfo]:
        prefix = language.strip().lower()
        return [v for v in await self._espeak.voices() if v.language.startswith(prefix)]

    async def synthesize(
        self,
        caller: Caller,
        text: str,
        *,
        voice: str = "",
        speed: float = 0.0,
        fmt: str = "wav",
        store_key: str = "",
        models: list[str] | None = None,
    ) -> Synthesis:
        if not text.strip():
            raise InvalidArgument.for_field("text", "is empty: expected 1 to 5000 characters")
        if len(text) > MAX_TEXT_CHARS:
            raise InvalidArgument.for_field("text", f"is {len(text)} characters; the limit is {MAX_TEXT_CHARS}")
        speed = speed or 1.0
        if not MIN_SPEED <= speed <= MAX_SPEED:
            raise InvalidArgument.for_field("speed", f"must be between {MIN_SPEED} and {MAX_SPEED}, got {speed:g}")
        if fmt not in FORMATS:
            raise InvalidArgument.for_field("format", f"must be one of {', '.join(FORMATS)}, got {fmt!r}")
        if store_key:
            self._need(caller, "storage:write", "store_key")
        if models and self._providers is not None:
            data, model = await self._providers.synthesize(caller, models, text, voice, speed, fmt)
            rate, seconds = audio.probe(data)
        else:
            voice = await self._espeak.check_voice(voice)
            wav = await self._espeak.synthesize(text, voice, speed)
            pcm, rate = audio.read_wav_pcm16(wav)
            data = wav if fmt == "wav" else audio.ogg_opus_bytes(pcm, rate)
            seconds, model = len(pcm) / 2 / rate, TTS_MODEL
            await self.record_usage(caller, "tts", TTS_MODEL, {"characters": len(text)})
        stored = ""
        if store_key:
            stored = (await self._storage.put(caller, PutHeader(store_key, FORMATS[fmt]), _one(data))).key
        return Synthesis(data, FORMATS[fmt], rate, seconds, voice, model, stored)

    async def transcribe(
        self,
        caller: Caller,
        *,
        data: bytes | None,
        storage_key: str = "",
        encoding: str = "file",
        sample_rate: int = 0,
        language: str = "",
        models: list[str] | None = None,
    ) -> Transcript:
        if storage_key:
            self._need(caller, "storage:read", "storage_key")
            data = await self._read_object(caller, storage_key)
        if models and self._providers is not None:
            if encoding != "file":
                raise InvalidArgument.for_field("encoding", "providers take audio files: leave encoding unspecified")
            audio.decode_file(data or b"")  # the same checks as offline: not audio, empty, sample rate
            return await self._providers.transcribe(caller, models, data or b"", (language or "en").lower())
        language = check_language(language)
        if encoding == "pcm":
            decoded = audio.from_pcm16(data or b"", sample_rate)
        elif encoding == "file":
            decoded = audio.decode_file(data or b"")
        else:
            raise InvalidArgument.for_field("encoding", "must be unspecified (a file) or PCM_S16LE for Transcribe")
        found = await self.whisper.transcribe(decoded.samples, language)
        await self.record_usage(caller, "stt", STT_MODEL, {"audio_seconds": round(decoded.seconds, 3)})
        return found

    async def record_usage(
        self, caller: Caller, operation: str, model: str, used: dict[str, Any], agent_id: uuid.UUID | None = None
    ) -> None:
        """A usage row of offline speech ("stt": audio_seconds; "tts": characters), at no cost."""
        if self._providers is not None:
            await self._providers.record_offline(caller, operation, model, used, agent_id)

    async def _read_object(self, caller: Caller, key: str) -> bytes:
        found, chunks = await self._storage.get(caller, key)
        if found.size_bytes > audio.MAX_AUDIO_BYTES:
            raise InvalidArgument.for_field("storage_key", f"the object is over {audio.MAX_AUDIO_BYTES} bytes")
        return b"".join([chunk async for chunk in chunks])

    @staticmethod
    def _need(caller: Caller, permission: str, field: str) -> None:
        if not caller.principal.can(permission):
            raise PermissionDenied(f"{field} needs permission '{permission}'")

    async def check_voice(self, voice: str) -> str:
        """An offline voice id ("" is the default voice), or INVALID_ARGUMENT naming the voices there are."""
        return await self._espeak.check_voice(voice)

    async def speak(self, text: str, voice: str, speed: float = 1.0) -> tuple[bytes, int]:
        """(PCM s16le mono, sample rate) of `text` in an offline voice that check_voice accepted."""
        wav = await self._espeak.synthesize(text[:MAX_TEXT_CHARS], voice, speed or 1.0)
        return audio.read_wav_pcm16(wav)

    def captions(
        self,
        caller: Caller,
        config: StreamConfig,
        frames: AsyncIterator[tuple[int, bytes | None, str]],
        on_speech: Callable[[], None] | None = None,
        agent_id: uuid.UUID | None = None,
    ) -> AsyncIterator[Caption]:
        """Live captions of one speaker's frames (already decoded to 16 kHz PCM by the caller).

        `on_speech` is called as soon as a segment holds enough voiced frames to be speech, before its
        transcript (voice agents stop talking then).
        """

        remember = None
        if config.store_as_memory:
            memory = self._memory
            assert memory is not None and config.room_id is not None

            async def remember(text: str, start_s: float, end_s: float) -> str:
                item = MemoryInput(
                    text, scope=Scope(room_id=config.room_id), modality="audio_transcript", source="speech.stream",
                    metadata={"speaker": config.speaker, "start_s": round(start_s, 2), "end_s": round(end_s, 2)},
                )  # fmt: skip
                result = await memory.store(caller, item)
                return str(result.memory_id or "")

        transcribe = window_transcriber(self.whisper, config.language)
        stream = CaptionStream(frames, Segmenter(config.partial_interval_ms), transcribe, remember, on_speech)
        return self._metered_captions(caller, stream.run(), agent_id)

    async def _metered_captions(
        self, caller: Caller, captions: AsyncIterator[Caption], agent_id: uuid.UUID | None
    ) -> AsyncIterator[Caption]:
        """The captions, then one usage row for the stream: the seconds of speech it transcribed."""
        seconds = 0.0
        try:
            async for caption in captions:
                if caption.final:
                    seconds += caption.end_s - caption.start_s
                yield caption
        finally:
            if seconds:
                used = {"audio_seconds": round(seconds, 3), "stream": True}
                await self.record_usage(caller, "stt", STT_MODEL, used, agent_id)

    def check_stream_config(self, caller: Caller, config: StreamConfig) -> None:
        check_language(config.language)
        if config.store_as_memory:
            self._need(caller, "memories:write", "store_as_memory")
            if config.room_id is None:
                raise InvalidArgument.for_field("config.room_id", "is required with store_as_memory")
            if self._memory is None:
                raise InvalidArgument.for_field("config.store_as_memory", "memories are not available")
        if not 300 <= config.partial_interval_ms <= 60_000:
            raise InvalidArgument.for_field(
                "config.partial_interval_ms", f"must be between 300 and 60000, got {config.partial_interval_ms}"
            )


async def _one(data: bytes) -> AsyncIterator[bytes]:
    yield data
