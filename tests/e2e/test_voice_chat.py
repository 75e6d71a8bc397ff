"""AgentService.VoiceChat against a running daemon: real espeak-ng speech in, Whisper tiny.en, the agent's chat
through the OpenAI-wire fake as its provider, espeak-ng speech out; barge-in; refusals; the CLI turn.

One daemon serves the module (the speech model loads once).
"""

from __future__ import annotations

import json
import queue
import re
import shutil
import subprocess
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import grpc
import numpy as np
import pytest

from auralink.v1 import (
    access_pb2,
    access_pb2_grpc,
    agents_pb2,
    agents_pb2_grpc,
    providers_pb2,
    providers_pb2_grpc,
    speech_pb2,
    speech_pb2_grpc,
)
from auralinkd.access.tokens import TokenService
from auralinkd.speech.audio import decode_file, wav_bytes
from tests.fakes.openai_server import FakeOpenAI
from tests.support import BIN, Daemon, bearer, daemon_on_new_database

pytestmark = pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="espeak-ng is not installed")

QUESTION = "What is the capital of France?"
SPOKEN = "Please open the window and close the door."  # live frames (captions decode short windows)
INTERRUPTION = "Hold on, what time is it?"
ANSWER_SENTENCES = ["Please open the window and close the door.", "We will meet again next week."]
ANSWER = " ".join(ANSWER_SENTENCES)
LONG_ANSWER = " ".join(
    ["France has many fine cities to visit.", "Lyon is known for its food.", "Marseille is a port on the sea.",
     "Bordeaux makes famous wine.", "Nice has a long beach.", "Lille is close to Belgium."] * 2
)  # fmt: skip
MODEL = "voice-llm"


@pytest.fixture(scope="module")
def voice(pg16_server) -> Iterator[tuple[Daemon, FakeOpenAI]]:  # type: ignore[no-untyped-def]
    with daemon_on_new_database(pg16_server.dsn) as daemon, FakeOpenAI() as fake:
        fake.behave(MODEL, reply=ANSWER)
        md = bearer(daemon.token)
        with daemon.channel() as channel:
            providers = providers_pb2_grpc.AIProviderServiceStub(channel)
            provider = providers_pb2.Provider(
                name="fake", type=providers_pb2.PROVIDER_TYPE_OPENAI_COMPATIBLE, base_url=fake.base_url, models=[MODEL]
            )
            providers.CreateProvider(providers_pb2.CreateProviderRequest(provider=provider), metadata=md, timeout=10)
            providers.SetProviderKey(
                providers_pb2.SetProviderKeyRequest(
                    provider="fake", api_key="sk-voice-test-1234", scope=providers_pb2.KEY_SCOPE_USER
                ),
                metadata=md,
                timeout=10,
            )
            stub = agents_pb2_grpc.AgentServiceStub(channel)
            for name, voice_on in (("talker", True), ("mute", False)):
                stub.CreateAgent(
                    agents_pb2.CreateAgentRequest(
                        agent=agents_pb2.Agent(
                            name=name, model=f"fake/{MODEL}", voice_enabled=voice_on, memory_enabled=False,
                            tts_voice_id="en-gb",
                        )
                    ),
                    metadata=md,
                    timeout=30,
                )  # fmt: skip
        yield daemon, fake


def words(text: str) -> list[str]:
    return re.findall(r"[a-z']+", text.lower())


def espeak_wav(text: str) -> bytes:
    return subprocess.run(["espeak-ng", "-v", "en-us", "--stdout", text], capture_output=True, check=True).stdout


def frames_of(text: str) -> list[bytes]:
    samples = decode_file(espeak_wav(text)).samples
    pcm = (np.clip(samples, -1, 1) * 32767).astype("<i2").tobytes()
    pcm += b"\0" * (-len(pcm) % 640)
    return [pcm[i : i + 640] for i in range(0, len(pcm), 640)]


def transcribe(daemon: Daemon, audio: bytes) -> str:
    with daemon.channel() as channel:
        return (
            speech_pb2_grpc.SpeechServiceStub(channel)
            .Transcribe(speech_pb2.TranscribeRequest(audio=audio), metadata=bearer(daemon.token), timeout=120)
            .text
        )


def voice_chat(
    daemon: Daemon, requests: Iterator[agents_pb2.VoiceChatRequest], token: str | None = None
) -> list[agents_pb2.VoiceChatResponse]:
    with daemon.channel() as channel:
        stub = agents_pb2_grpc.AgentServiceStub(channel)
        return list(stub.VoiceChat(requests, metadata=bearer(token or daemon.token), timeout=180))


def config(**fields: object) -> agents_pb2.VoiceChatRequest:
    return agents_pb2.VoiceChatRequest(config=agents_pb2.VoiceChatConfig(**fields))  # type: ignore[arg-type]


def test_a_voice_agent_answers_a_wav_with_speech_of_its_reply(voice: tuple[Daemon, FakeOpenAI]) -> None:
    daemon, fake = voice
    fake.clear()
    responses = voice_chat(
        daemon,
        iter([
            config(agent="talker", input=agents_pb2.VOICE_INPUT_FILE),
            agents_pb2.VoiceChatRequest(audio=b"this is not audio" * 40),
            agents_pb2.VoiceChatRequest(audio=espeak_wav(QUESTION)),
        ]),
    )  # fmt: skip
    kinds = [r.WhichOneof("event") for r in responses]
    assert kinds[0] == "error" and responses[0].turn == 1 and "WAV" in responses[0].error  # the stream goes on
    heard = [r.transcript for r in responses if r.WhichOneof("event") == "transcript"]
    assert len(heard) == 1 and heard[0].final and words(heard[0].text) == words(QUESTION)
    # the agent got the transcript as the user's message, through the provider with the caller's key
    sent = [r for r in fake.received if r.path.endswith("/chat/completions")]
    assert len(sent) == 1 and sent[0].authorization == "Bearer sk-voice-test-1234"
    assert words(sent[0].body["messages"][-1]["content"]) == words(QUESTION)

    deltas = "".join(r.delta for r in responses if r.WhichOneof("event") == "delta")
    audio = [r.audio for r in responses if r.WhichOneof("event") == "audio"]
    done = [r.done for r in responses if r.WhichOneof("event") == "done"]
    assert deltas == ANSWER and len(done) == 1 and done[0].reply == ANSWER
    assert done[0].usage.model == f"fake/{MODEL}" and done[0].usage.completion_tokens > 0
    assert all(r.turn == 2 for r in responses[1:]) and responses[-1].WhichOneof("event") == "done"
    assert responses[-1].conversation_id  # the completed turn's conversation
    # spoken sentence by sentence (the agent's voice, en-gb), in pieces of at most 250 ms
    assert [a.text for a in audio if a.text] == ANSWER_SENTENCES
    rate = audio[0].sample_rate
    assert all(a.sample_rate == rate and len(a.pcm) <= rate // 4 * 2 for a in audio)
    pcm = b"".join(a.pcm for a in audio)
    total = done[0].audio_duration.ToTimedelta().total_seconds()
    assert abs(total - len(pcm) / 2 / rate) < 0.01 and total > 2
    assert done[0].first_audio_latency.ToTimedelta().total_seconds() > 0
    assert words(transcribe(daemon, wav_bytes(pcm, rate))) == words(ANSWER)

    # a typed Chat with speak: the last message carries the reply as a WAV
    with daemon.channel() as channel:
        typed = list(
            agents_pb2_grpc.AgentServiceStub(channel).Chat(
                agents_pb2.ChatRequest(agent="talker", message="Where are we going?", speak=True),
                metadata=bearer(daemon.token), timeout=120,
            )
        )  # fmt: skip
    assert typed[-1].done and typed[-1].audio[:4] == b"RIFF" and not any(r.audio for r in typed[:-1])
    assert words(transcribe(daemon, typed[-1].audio)) == words(ANSWER)

    # usage, by the agent: the LLM call (priced), the seconds heard and the characters spoken (offline, free)
    with daemon.channel() as channel:
        usage = providers_pb2_grpc.AIProviderServiceStub(channel).GetUsage(
            providers_pb2.GetUsageRequest(), metadata=bearer(daemon.token), timeout=30
        )
        talker = agents_pb2_grpc.AgentServiceStub(channel).GetAgent(
            agents_pb2.GetAgentRequest(agent="talker"), metadata=bearer(daemon.token), timeout=10
        )
    mine = {r.operation: r for r in usage.rows if r.agent_id == talker.id}
    assert mine["chat"].model == MODEL and mine["chat"].completion_tokens > 0
    assert mine["stt"].model == "whisper-tiny.en" and mine["stt"].audio_seconds > 1
    assert mine["tts"].model == "espeak-ng" and mine["tts"].characters >= len(ANSWER) - 1


def test_new_speech_while_the_reply_is_spoken_cancels_the_rest_of_it(voice: tuple[Daemon, FakeOpenAI]) -> None:
    daemon, fake = voice
    fake.behave(MODEL, reply=LONG_ANSWER)
    silence = b"\0" * 640
    outbox: queue.Queue[agents_pb2.VoiceChatRequest | None] = queue.Queue()
    replying = threading.Event()

    def speak() -> None:
        sequence = 0

        def send(frame: bytes) -> None:
            nonlocal sequence
            outbox.put(agents_pb2.VoiceChatRequest(frame=speech_pb2.AudioFrame(sequence=sequence, data=frame)))
            sequence += 1

        outbox.put(config(agent="talker", input=agents_pb2.VOICE_INPUT_PCM_S16LE, pace_audio=True,
                          partial_interval_ms=400))  # fmt: skip
        for frame in [silence] * 10 + frames_of(SPOKEN) + [silence] * 30:
            send(frame)
        replying.wait(120)
        for frame in frames_of(INTERRUPTION) + [silence] * 30:  # in real time, as a caller speaks
            send(frame)
            time.sleep(0.02)
        outbox.put(None)

    def requests() -> Iterator[agents_pb2.VoiceChatRequest]:
        while (item := outbox.get()) is not None:
            yield item

    speaker = threading.Thread(target=speak, daemon=True)
    speaker.start()
    responses: list[agents_pb2.VoiceChatResponse] = []
    with daemon.channel() as channel:
        stub = agents_pb2_grpc.AgentServiceStub(channel)
        for response in stub.VoiceChat(requests(), metadata=bearer(daemon.token), timeout=180):
            responses.append(response)
            event = response.WhichOneof("event")
            if event == "audio" and response.turn == 1:
                replying.set()
            if event == "interrupted":
                fake.behave(MODEL, reply="It is ten.")  # the next turn's reply: short
    speaker.join(10)

    def of_turn(turn: int, kind: str) -> list[agents_pb2.VoiceChatResponse]:
        return [r for r in responses if r.turn == turn and r.WhichOneof("event") == kind]

    finals = [r.transcript.text for r in responses if r.WhichOneof("event") == "transcript" and r.transcript.final]
    assert [words(t) for t in finals] == [words(SPOKEN), words(INTERRUPTION)]
    assert any(not r.transcript.final for r in of_turn(2, "transcript"))  # partials while the user spoke
    interrupted = of_turn(1, "interrupted")
    assert len(interrupted) == 1 and not of_turn(1, "done")
    position = responses.index(interrupted[0])
    assert not [r for r in responses[position:] if r.turn == 1 and r.WhichOneof("event") == "audio"]
    sent = interrupted[0].interrupted.audio_sent.ToTimedelta().total_seconds()
    first = of_turn(1, "audio")[0].audio
    spoken = sum(len(r.audio.pcm) for r in of_turn(1, "audio")) / 2 / first.sample_rate
    assert abs(sent - spoken) < 0.01
    assert 0 < spoken < 6  # paced: the rest of a ~25 s reply was never sent
    # the interruption came before its own transcript was final: barge-in is on voice activity
    assert position < responses.index(next(r for r in of_turn(2, "transcript") if r.transcript.final))
    done = of_turn(2, "done")
    assert len(done) == 1 and done[0].done.reply == "It is ten." and responses[-1] == done[0]
    # the interrupted reply is not in the conversation; the second turn started it
    with daemon.channel() as channel:
        conversation = agents_pb2_grpc.AgentServiceStub(channel).GetConversation(
            agents_pb2.GetConversationRequest(id=done[0].conversation_id), metadata=bearer(daemon.token), timeout=10
        )
    assert [m.role for m in conversation.messages] == ["user", "assistant"]
    assert conversation.messages[1].content == "It is ten."
    fake.behave(MODEL, reply=ANSWER)


def _moderator_token(daemon: Daemon) -> str:
    name = f"m{uuid.uuid4().hex[:8]}"
    with daemon.channel() as channel:
        user = access_pb2_grpc.UserServiceStub(channel).CreateUser(
            access_pb2.CreateUserRequest(
                user=access_pb2.User(email=f"{name}@x.example", username=name, base_role=access_pb2.BASE_ROLE_MODERATOR)
            ),
            metadata=bearer(daemon.token),
            timeout=10,
        )
    tokens = TokenService((daemon.data_dir / "jwt.secret").read_text().strip().encode())
    return tokens.issue(uuid.UUID(user.id), uuid.UUID(user.organization_id), None, ttl_s=600)[0]


def test_voice_chat_refusals(voice: tuple[Daemon, FakeOpenAI]) -> None:
    daemon, _ = voice
    wav = espeak_wav("Hello.")
    cases = [
        ([config(agent="mute")], grpc.StatusCode.FAILED_PRECONDITION, "voice off"),
        ([config(agent="nobody")], grpc.StatusCode.NOT_FOUND, "nobody"),
        ([config(agent="talker", voice="klingon")], grpc.StatusCode.INVALID_ARGUMENT, "voice: unknown voice"),
        ([config(agent="talker", speed=9)], grpc.StatusCode.INVALID_ARGUMENT, "config.speed"),
        ([config(agent="talker", conversation_id="nope")], grpc.StatusCode.INVALID_ARGUMENT, "conversation_id"),
        ([agents_pb2.VoiceChatRequest(audio=wav)], grpc.StatusCode.INVALID_ARGUMENT, "config: the first message"),
        (
            [config(agent="talker", input=agents_pb2.VOICE_INPUT_PCM_S16LE), agents_pb2.VoiceChatRequest(audio=wav)],
            grpc.StatusCode.INVALID_ARGUMENT, "audio: after the first message",
        ),
        (
            [config(agent="talker"), config(agent="talker")],
            grpc.StatusCode.INVALID_ARGUMENT, "config: with FILE input",
        ),
    ]  # fmt: skip
    for requests, code, says in cases:
        with pytest.raises(grpc.RpcError) as caught:
            voice_chat(daemon, iter(requests))
        assert caught.value.code() is code, (says, caught.value.details())
        assert says in caught.value.details()
    with daemon.channel() as channel, pytest.raises(grpc.RpcError) as caught:
        list(
            agents_pb2_grpc.AgentServiceStub(channel).Chat(
                agents_pb2.ChatRequest(agent="mute", message="hi", speak=True), metadata=bearer(daemon.token),
                timeout=60,
            )
        )  # fmt: skip
    assert caught.value.code() is grpc.StatusCode.FAILED_PRECONDITION and "voice off" in caught.value.details()
    with pytest.raises(grpc.RpcError) as caught:
        voice_chat(
            daemon, iter([config(agent="talker"), agents_pb2.VoiceChatRequest(audio=wav)]), _moderator_token(daemon)
        )
    assert caught.value.code() is grpc.StatusCode.PERMISSION_DENIED and "chat:voice" in caught.value.details()


def test_cli_voice_turn_reads_a_wav_and_writes_the_spoken_reply(
    voice: tuple[Daemon, FakeOpenAI], tmp_path: Path
) -> None:
    daemon, _ = voice
    question = tmp_path / "q.wav"
    question.write_bytes(espeak_wav(QUESTION))
    reply = tmp_path / "reply.wav"
    done = daemon.cli("agents", "chat", "talker", "--voice", "--in", str(question), "--out", str(reply), "-o", "json",
                      timeout_s=300)  # fmt: skip
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert words(result["heard"]) == words(QUESTION) and result["reply"] == ANSWER and result["audio_seconds"] > 2
    assert words(transcribe(daemon, reply.read_bytes())) == words(ANSWER)

    # stdin in, and the conversation goes on
    again = subprocess.run(
        [str(BIN / "auralink"), "agents", "chat",
         "talker", "--voice", "--out", str(tmp_path / "r2.wav"), "--conversation", result["conversation_id"],
         "-o", "json"],
        input=question.read_bytes(), env=daemon.env, capture_output=True, timeout=300,
    )  # fmt: skip
    assert again.returncode == 0, again.stderr
    assert json.loads(again.stdout)["conversation_id"] == result["conversation_id"]
    muted = daemon.cli("agents", "chat", "mute", "--voice", "--in", str(question), "--out", str(tmp_path / "x.wav"))
    assert muted.returncode != 0 and "voice off" in muted.stderr and not (tmp_path / "x.wav").exists()
    spoken = tmp_path / "typed.wav"
    typed = daemon.cli("agents", "chat", "talker", "-m", "Where to?", "--speak-to", str(spoken), timeout_s=120)
    assert typed.returncode == 0 and words(typed.stdout) == words(ANSWER), typed.stderr
    assert words(transcribe(daemon, spoken.read_bytes())) == words(ANSWER)
    missing = daemon.cli("agents", "chat", "talker", "--voice", "--in", str(question))
    assert missing.returncode == 2 and "--out" in missing.stderr
