"""Speech through providers (OpenAI TTS and Whisper, and others litellm supports) with the caller's own keys.

Models resolve like completions (the caller's provider configs and keys, opened from the vault); the
gateway tries them in order with the same breakers, timeouts and error classification, so a provider
that is down fails over to the next, and when none answers the error names each one tried.
"""

from __future__ import annotations

import io
from typing import Any
from uuid import UUID

from auralinkd.access.principal import Caller
from auralinkd.errors import InvalidArgument
from auralinkd.providers.completions import CompletionService
from auralinkd.speech.stt import Segment, Transcript, confidence_of

_MAX_MODELS = 5
_NO_RETRIES = {"num_retries": 0, "max_retries": 0}  # failover is ours, as for completions


def _refs(models: list[str]) -> list[str]:
    refs = [m.strip() for m in models if m.strip()]
    if len(refs) > _MAX_MODELS:
        raise InvalidArgument.for_field("models", f"at most {_MAX_MODELS} models, got {len(refs)}")
    for ref in refs:
        if "/" not in ref:
            raise InvalidArgument.for_field("models", f"expected PROVIDER/MODEL, got {ref!r}")
    return refs


class ProviderSpeech:
    def __init__(self, completions: CompletionService) -> None:
        self._completions = completions

    async def synthesize(
        self, caller: Caller, models: list[str], text: str, voice: str, speed: float, fmt: str
    ) -> tuple[bytes, str]:
        """(audio, the model that answered); usage: the characters, priced per character."""

        async def attempt(litellm: Any, target: Any) -> bytes:
            response = await litellm.aspeech(
                model=target.litellm_model, input=text, voice=voice or "alloy", speed=speed,
                response_format="wav" if fmt == "wav" else "opus", api_base=target.api_base,
                api_key=target.api_key, timeout=target.timeout_s, **_NO_RETRIES,
            )  # fmt: skip
            return bytes(response.content)

        def measure(litellm: Any, target: Any, audio: bytes) -> tuple[float, dict[str, Any]]:
            price = _price(litellm, target, "input_cost_per_character")
            return len(text) * price, {"characters": len(text)}

        audio, target = await self._completions.metered(caller, _refs(models), "tts", attempt, measure)
        return audio, target.ref

    async def transcribe(self, caller: Caller, models: list[str], data: bytes, language: str) -> Transcript:
        """Usage: the seconds of audio transcribed, priced per second."""

        async def attempt(litellm: Any, target: Any) -> Any:
            upload = io.BytesIO(data)
            upload.name = "audio.wav"
            return await litellm.atranscription(
                model=target.litellm_model, file=upload, language=language, response_format="verbose_json",
                api_base=target.api_base, api_key=target.api_key, timeout=target.timeout_s, **_NO_RETRIES,
            )  # fmt: skip

        def measure(litellm: Any, target: Any, response: Any) -> tuple[float, dict[str, Any]]:
            seconds = _transcript(response, target.ref, language).duration_s
            return seconds * _price(litellm, target, "input_cost_per_second"), {"audio_seconds": round(seconds, 3)}

        response, target = await self._completions.metered(caller, _refs(models), "stt", attempt, measure)
        return _transcript(response, target.ref, language)

    async def record_offline(
        self, caller: Caller, operation: str, model: str, used: dict[str, Any], agent_id: UUID | None = None
    ) -> None:
        await self._completions.record_offline(caller, operation, model, used, agent_id)


def _price(litellm: Any, target: Any, name: str) -> float:
    """litellm's list price of the model (by its bare name, then with the provider prefix); 0 when unknown."""
    for key in (target.model, target.litellm_model):
        found = litellm.model_cost.get(key) or {}
        if found.get(name):
            return float(found[name])
    return 0.0


def _field(item: Any, name: str, default: Any = None) -> Any:
    return item.get(name, default) if isinstance(item, dict) else getattr(item, name, default)


def _transcript(response: Any, ref: str, language: str) -> Transcript:
    text = str(_field(response, "text", "") or "")
    raw_segments = _field(response, "segments") or []
    duration = float(_field(response, "duration", 0.0) or 0.0)
    segments = [
        Segment(
            float(_field(s, "start", 0.0)), float(_field(s, "end", 0.0)), str(_field(s, "text", "")).strip(),
            confidence_of(float(_field(s, "avg_logprob", 0.0)), float(_field(s, "no_speech_prob", 0.0))),
        )
        for s in raw_segments
    ] or [Segment(0.0, duration, text.strip(), 0.0)]  # fmt: skip
    return Transcript(segments, language, 1.0, duration or segments[-1].end_s, model=ref)
