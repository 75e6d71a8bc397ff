"""Voice agents: user audio in, the agent's spoken reply out (STT -> agent chat -> TTS), with barge-in.

A turn is one user utterance: a whole audio file (FILE input), or a segment that voice activity cut from
live 20 ms frames. Its final transcript goes to `AgentService.chat` (memory, tools, budgets and usage as
for a typed chat); the reply is spoken offline sentence by sentence while the model still streams, in
pieces of at most 250 ms. With live frames, a user who starts speaking while a reply is still going out
cancels the rest of it (the LLM call and the speech not yet sent): `interrupted`, then the new turn.

An interrupted reply is not written to the conversation (AgentService writes a turn once it completes),
so the stream keeps the conversation id of the last completed turn.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import AsyncIterator, Coroutine
from dataclasses import dataclass, field
from typing import Any

from auralinkd.access.principal import Caller
from auralinkd.agents.memory import FactOutcome
from auralinkd.agents.service import Agent, AgentService
from auralinkd.agents.tools import ToolCall
from auralinkd.errors import FailedPrecondition, InvalidArgument
from auralinkd.providers.gateway import Completion
from auralinkd.speech import audio
from auralinkd.speech.service import MAX_SPEED, MIN_SPEED, SpeechService, StreamConfig
from auralinkd.speech.stt import MODEL as STT_MODEL
from auralinkd.speech.tts import MODEL as TTS_MODEL

INPUTS = ("file", "pcm", "opus")
PIECE_S = 0.25  # reply audio goes out in pieces of at most this much
PACE_LEAD_S = 0.5  # with pace_audio: how far ahead of real time the reply's audio may be sent
MAX_SENTENCE_CHARS = 300  # a reply without punctuation is still spoken in pieces
_SENTENCE_END = re.compile(r"(?<=[.!?;:])\s+|\n+")
LOCAL_TTS = ("", "local", "espeak-ng", "local/espeak-ng")


@dataclass(frozen=True)
class VoiceConfig:
    agent: str
    conversation_id: str = ""
    input: str = "file"  # "file", "pcm" or "opus"
    voice: str = ""
    speed: float = 0.0
    max_tokens: int = 0
    pace_audio: bool = False
    partial_interval_ms: int = 1000


@dataclass
class VoiceEvent:
    """What VoiceChat yields; `kind` says which of the fields matter."""

    kind: str  # transcript | delta | audio | interrupted | done | error | tool_call
    turn: int = 0
    conversation_id: str = ""
    sequence: int = 0
    text: str = ""
    final: bool = False
    start_s: float = 0.0
    end_s: float = 0.0
    confidence: float = 0.0
    pcm: bytes = b""
    sample_rate: int = 0
    seconds: float = 0.0  # interrupted: audio sent; done: the reply's audio in all
    first_audio_latency_s: float = 0.0
    completion: Completion | None = None
    outcomes: list[FactOutcome] = field(default_factory=list)
    tool_call: ToolCall | None = None


class _Failed:
    def __init__(self, error: BaseException) -> None:
        self.error = error


def split_sentences(text: str) -> tuple[list[str], str]:
    """(complete sentences, the rest still being written)."""
    parts = _SENTENCE_END.split(text)
    done, rest = [p.strip() for p in parts[:-1] if p.strip()], parts[-1]
    while len(rest) > MAX_SENTENCE_CHARS:
        cut = rest.rfind(" ", 0, MAX_SENTENCE_CHARS)
        cut = cut if cut > 0 else MAX_SENTENCE_CHARS
        done.append(rest[:cut].strip())
        rest = rest[cut:].lstrip()
    return done, rest


class VoiceChat:
    def __init__(self, agents: AgentService, speech: SpeechService) -> None:
        self._agents = agents
        self._speech = speech

    async def open(self, caller: Caller, config: VoiceConfig) -> tuple[Agent, str]:
        """(the agent, the voice it speaks with), or the refusal: before any audio is read."""
        if config.input not in INPUTS:
            raise InvalidArgument.for_field("config.input", f"must be one of {', '.join(INPUTS)}")
        if config.speed and not MIN_SPEED <= config.speed <= MAX_SPEED:
            raise InvalidArgument.for_field(
                "config.speed", f"must be between {MIN_SPEED} and {MAX_SPEED}, got {config.speed:g}"
            )
        if not 0 <= config.max_tokens <= 32768:
            raise InvalidArgument.for_field(
                "config.max_tokens", f"must be between 0 and 32768, got {config.max_tokens}"
            )
        if config.input != "file":
            self._speech.check_stream_config(
                caller, StreamConfig(config.input, partial_interval_ms=config.partial_interval_ms)
            )
        agent = await self._agents.get(caller, config.agent)
        if not agent.voice_enabled:
            raise FailedPrecondition(
                f"agent {agent.name!r} has voice off: turn it on with `auralink agents update {agent.name} --voice`"
            )
        wanted = config.voice or (agent.tts_voice_id if agent.tts_provider in LOCAL_TTS else "")
        return agent, await self._speech.check_voice(wanted)

    async def spoken(self, caller: Caller, agent: Agent, voice: str, text: str) -> bytes:
        """A typed chat's reply spoken (Chat with speak): a WAV; empty when the reply is."""
        if not text.strip():
            return b""
        pcm, rate = await self._speech.speak(text, voice)
        await self._speech.record_usage(caller, "tts", TTS_MODEL, {"characters": len(text)}, agent.id)
        return audio.wav_bytes(pcm, rate)

    def run(
        self,
        caller: Caller,
        config: VoiceConfig,
        agent: Agent,
        voice: str,
        turns: AsyncIterator[bytes] | None = None,
        frames: AsyncIterator[tuple[int, bytes | None, str]] | None = None,
    ) -> AsyncIterator[VoiceEvent]:
        return _Conversation(self._agents, self._speech, caller, config, agent, voice).run(turns, frames)


class _Conversation:
    def __init__(
        self, agents: AgentService, speech: SpeechService, caller: Caller, config: VoiceConfig, agent: Agent, voice: str
    ) -> None:
        self._agents = agents
        self._speech = speech
        self._caller = caller
        self._config = config
        self._agent = agent
        self._voice = voice
        self._conversation = config.conversation_id
        self._out: asyncio.Queue[VoiceEvent | _Failed | None] = asyncio.Queue()
        self._turn = 0
        self._sequence = 0
        self._reply: asyncio.Task[None] | None = None

    async def run(
        self, turns: AsyncIterator[bytes] | None, frames: AsyncIterator[tuple[int, bytes | None, str]] | None
    ) -> AsyncIterator[VoiceEvent]:
        listen = self._listen_files(turns) if turns is not None else self._listen_frames(frames)  # type: ignore[arg-type]
        listener = asyncio.create_task(self._guard(listen))
        try:
            while (event := await self._out.get()) is not None:
                if isinstance(event, _Failed):
                    raise event.error
                yield event
            await listener
        finally:
            for task in (listener, self._reply):
                if task is not None:
                    task.cancel()

    async def _guard(self, work: Coroutine[Any, Any, None]) -> None:
        try:
            await work
            if self._reply is not None:
                await self._reply
        except asyncio.CancelledError:
            raise
        except BaseException as exc:  # noqa: BLE001 - handed to the reader, which raises it
            await self._out.put(_Failed(exc))
        finally:
            await self._out.put(None)

    def _emit(self, kind: str, **fields: object) -> None:
        fields.setdefault("turn", self._turn)
        self._out.put_nowait(
            VoiceEvent(kind, conversation_id=self._conversation, sequence=self._sequence, **fields)  # type: ignore[arg-type]
        )

    # -- listening ------------------------------------------------------------------------------

    async def _listen_files(self, turns: AsyncIterator[bytes]) -> None:
        async for data in turns:
            arrived = time.monotonic()
            self._turn += 1
            try:
                decoded = audio.decode_file(data)
                heard = await self._speech.whisper.transcribe(decoded.samples, "en")
            except InvalidArgument as exc:
                self._emit("error", text=exc.message)
                continue
            used = {"audio_seconds": round(decoded.seconds, 3)}
            await self._speech.record_usage(self._caller, "stt", STT_MODEL, used, self._agent.id)
            self._emit("transcript", final=True, text=heard.text, end_s=decoded.seconds, confidence=heard.confidence)
            if not heard.text.strip():
                self._emit("error", text="no words were heard in this turn's audio")
                continue
            await self._answer(heard.text, arrived)  # one turn after the other

    async def _listen_frames(self, frames: AsyncIterator[tuple[int, bytes | None, str]]) -> None:
        config = StreamConfig(self._config.input, partial_interval_ms=self._config.partial_interval_ms)

        async def counted() -> AsyncIterator[tuple[int, bytes | None, str]]:
            async for sequence, pcm, error in frames:
                self._sequence = sequence
                yield sequence, pcm, error

        captions = self._speech.captions(
            self._caller, config, counted(), on_speech=self._barge_in, agent_id=self._agent.id
        )
        async for caption in captions:
            if caption.error:
                self._emit("error", text=caption.error)
                continue
            turn = self._turn + 1  # captions are of the turn being spoken
            self._emit(
                "transcript", turn=turn, final=caption.final, text=caption.text, start_s=caption.start_s,
                end_s=caption.end_s, confidence=caption.confidence,
            )  # fmt: skip
            if caption.final and caption.text.strip():
                self._barge_in()  # a short utterance can end before it counted as speech
                self._turn = turn
                ended = time.monotonic() - caption.latency_s  # when the last voiced frame arrived
                self._reply = asyncio.create_task(self._guarded_answer(caption.text, ended))

    def _barge_in(self) -> None:
        if self._reply is not None and not self._reply.done():
            self._reply.cancel()

    async def _guarded_answer(self, text: str, ended: float) -> None:
        try:
            await self._answer(text, ended)
        except asyncio.CancelledError:
            pass  # barge-in: _answer said so
        except BaseException as exc:  # noqa: BLE001 - the reader raises it: the stream ends with its status
            await self._out.put(_Failed(exc))

    # -- answering ------------------------------------------------------------------------------

    async def _answer(self, text: str, ended: float) -> None:
        turn = self._turn
        sentences: asyncio.Queue[str | None] = asyncio.Queue()
        finished: list[tuple[Completion, list[FactOutcome], str]] = []
        thinker = asyncio.create_task(self._think(turn, text, sentences, finished))
        sent_s, started, first_latency, characters = 0.0, 0.0, 0.0, 0
        try:
            while (sentence := await sentences.get()) is not None:
                pcm, rate = await self._speech.speak(sentence, self._voice, self._config.speed)
                characters += len(sentence)
                piece = int(rate * PIECE_S) * 2
                for offset in range(0, len(pcm), piece):
                    if not started:
                        started = time.monotonic()
                        first_latency = started - ended
                    elif self._config.pace_audio:
                        ahead = sent_s - (time.monotonic() - started)
                        if ahead > PACE_LEAD_S:
                            await asyncio.sleep(ahead - PACE_LEAD_S)
                    chunk = pcm[offset : offset + piece]
                    self._emit("audio", turn=turn, pcm=chunk, sample_rate=rate, text=sentence if offset == 0 else "")
                    sent_s += len(chunk) / 2 / rate
            await thinker  # its error, if any
        except asyncio.CancelledError:
            thinker.cancel()
            self._emit("interrupted", turn=turn, seconds=sent_s)
            raise
        finally:
            if characters:  # what was synthesized, sent or not
                used = {"characters": characters}
                await self._speech.record_usage(self._caller, "tts", TTS_MODEL, used, self._agent.id)
        completion, outcomes, conversation = finished[0]
        self._conversation = conversation
        self._emit(
            "done", turn=turn, text=completion.text, completion=completion, outcomes=outcomes, seconds=sent_s,
            first_audio_latency_s=first_latency,
        )  # fmt: skip

    async def _think(
        self,
        turn: int,
        text: str,
        sentences: asyncio.Queue[str | None],
        finished: list[tuple[Completion, list[FactOutcome], str]],
    ) -> None:
        """The agent's chat, its reply cut into sentences for the speaker as it streams."""
        pending = ""
        try:
            events = self._agents.chat(
                self._caller, str(self._agent.id), text, self._conversation, self._config.max_tokens, None
            )
            async for event in events:
                if event.tool_call is not None:
                    self._emit("tool_call", turn=turn, tool_call=event.tool_call)
                if event.delta:
                    self._emit("delta", turn=turn, text=event.delta)
                    done, pending = split_sentences(pending + event.delta)
                    for sentence in done:
                        sentences.put_nowait(sentence)
                if event.done:
                    assert event.completion is not None
                    finished.append((event.completion, event.outcomes, str(event.conversation_id)))
            if pending.strip():
                sentences.put_nowait(pending.strip())
        finally:
            sentences.put_nowait(None)
