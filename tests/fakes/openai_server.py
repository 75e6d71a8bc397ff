"""A local HTTP server speaking the OpenAI chat-completions wire format: the only test double for remote providers.

It runs in a thread on 127.0.0.1 and answers `POST /v1/chat/completions` (JSON, or SSE when `stream` is
true), `POST /v1/embeddings` (deterministic hashed bag-of-words vectors, so texts that share words are
near), `POST /v1/audio/speech` (a short WAV tone), `POST /v1/audio/transcriptions` (the model's reply as
verbose_json) and `GET /v1/models`. Each model name can be given a behaviour: an HTTP status to fail with (429,
500, 401), a delay before answering, or a fixed reply. It records what it received (models, the
Authorization header, the request bodies) so tests can check failover order and that keys travel only
to the provider.
"""

from __future__ import annotations

import hashlib
import io
import json
import math
import re
import struct
import sys
import threading
import time
import uuid
import wave
from dataclasses import dataclass, field, replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Behaviour:
    status: int = 200
    delay_s: float = 0.0
    reply: str = "Hello from the fake provider."
    prompt_tokens: int = 12
    completion_tokens: int = 7
    # Tool calling: answer a request with tools by calling these ({"name", "arguments"}) until a tool result
    # comes back; then reply, with "{tool_result}" in `reply` replaced by the last tool message.
    tool_calls: list[dict[str, Any]] | None = None
    # Successive chat replies (the last one repeats), for text-protocol agents such as CrewAI's ReAct loop that
    # ask for a tool in one reply ("Action: ...") and answer in the next; `reply` when unset.
    replies: list[str] | None = None


@dataclass
class Received:
    path: str
    model: str
    authorization: str
    body: dict[str, Any]


@dataclass
class FakeOpenAI:
    """Start with `with FakeOpenAI() as server:`; `server.base_url` ends in /v1."""

    behaviours: dict[str, Behaviour] = field(default_factory=dict)
    received: list[Received] = field(default_factory=list)
    required_key: str | None = None  # when set, other keys get 401
    _server: ThreadingHTTPServer | None = None
    _thread: threading.Thread | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _served: dict[str, int] = field(default_factory=dict)  # chat replies served per model (for `replies`)

    def behave(self, model: str, **kwargs: Any) -> None:
        self.behaviours[model] = Behaviour(**kwargs)

    def models_called(self) -> list[str]:
        with self._lock:
            return [r.model for r in self.received if r.path.endswith("/chat/completions")]

    def clear(self) -> None:
        with self._lock:
            self.received.clear()

    @property
    def port(self) -> int:
        assert self._server is not None
        return int(self._server.server_address[1])

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def start(self) -> FakeOpenAI:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True  # one small response must not wait for a delayed ACK

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - quiet
                pass

            def do_GET(self) -> None:  # noqa: N802
                if self.path.rstrip("/").endswith("/models"):
                    self._json(200, {"object": "list", "data": [{"id": m, "object": "model"} for m in fake.behaviours]})
                else:
                    self._json(404, {"error": {"message": "not found"}})

            def do_POST(self) -> None:  # noqa: N802
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length)
                audio_in = self.path.rstrip("/").endswith("/audio/transcriptions")
                body = _multipart_fields(raw) if audio_in else json.loads(raw or b"{}")
                model = str(body.get("model", ""))
                auth = self.headers.get("Authorization", "")
                with fake._lock:
                    fake.received.append(Received(self.path, model, auth, body))
                if audio_in or self.path.rstrip("/").endswith("/audio/speech"):
                    self._audio(model, auth, body, audio_in)
                    return
                if self.path.rstrip("/").endswith("/embeddings"):
                    behaviour = fake.behaviours.get(model, Behaviour())
                    if fake.required_key is not None and auth != f"Bearer {fake.required_key}":
                        self._error(401, "Incorrect API key provided", "invalid_api_key")
                    elif behaviour.status != 200:
                        self._error(behaviour.status, f"fake failure {behaviour.status}", "fake_error")
                    else:
                        self._json(200, _embeddings(model, body))
                    return
                if not self.path.rstrip("/").endswith("/chat/completions"):
                    self._json(404, {"error": {"message": "not found"}})
                    return
                behaviour = fake._next_reply(model)
                if behaviour.delay_s:
                    time.sleep(behaviour.delay_s)
                if fake.required_key is not None and auth != f"Bearer {fake.required_key}":
                    # Like real providers, echo the key back: the gateway must never pass this message on.
                    self._error(401, f"Incorrect API key provided: {auth.removeprefix('Bearer ')}", "invalid_api_key")
                    return
                if behaviour.status != 200:
                    self._error(behaviour.status, f"fake failure {behaviour.status}", "fake_error")
                    return
                if body.get("stream"):
                    self._stream(model, behaviour, body)
                else:
                    self._json(200, _completion(model, behaviour, body))

            def _audio(self, model: str, auth: str, body: dict[str, Any], transcription: bool) -> None:
                """/v1/audio/speech: a short WAV tone; /v1/audio/transcriptions: the model's reply as verbose_json."""
                behaviour = fake.behaviours.get(model, Behaviour())
                if fake.required_key is not None and auth != f"Bearer {fake.required_key}":
                    self._error(401, "Incorrect API key provided", "invalid_api_key")
                elif behaviour.status != 200:
                    self._error(behaviour.status, f"fake failure {behaviour.status}", "fake_error")
                elif transcription:
                    segment = {"id": 0, "start": 0.0, "end": 1.5, "text": behaviour.reply, "avg_logprob": -0.1,
                               "no_speech_prob": 0.01}  # fmt: skip
                    self._json(200, {"text": behaviour.reply, "language": "english", "duration": 1.5,
                                     "segments": [segment]})  # fmt: skip
                else:
                    raw = _tone_wav()
                    self.send_response(200)
                    self.send_header("Content-Type", "audio/wav")
                    self.send_header("Content-Length", str(len(raw)))
                    self.end_headers()
                    self.wfile.write(raw)

            def _error(self, status: int, message: str, code: str) -> None:
                self._json(status, {"error": {"message": message, "type": code, "code": code}})

            def _json(self, status: int, payload: dict[str, Any]) -> None:
                raw = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

            def _stream(self, model: str, behaviour: Behaviour, body: dict[str, Any]) -> None:
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.send_header("Cache-Control", "no-cache")
                self.send_header("Connection", "close")
                self.end_headers()
                ident = f"chatcmpl-{uuid.uuid4().hex[:12]}"
                words = behaviour.reply.split(" ")
                for index, word in enumerate(words):
                    piece = word if index == 0 else " " + word
                    self._event(_chunk(ident, model, {"content": piece}, None))
                final = _chunk(ident, model, {}, "stop")
                if (body.get("stream_options") or {}).get("include_usage"):
                    final["usage"] = _usage(behaviour)
                self._event(final)
                self.wfile.write(b"data: [DONE]\n\n")
                self.wfile.flush()
                self.close_connection = True

            def _event(self, payload: dict[str, Any]) -> None:
                self.wfile.write(b"data: " + json.dumps(payload).encode() + b"\n\n")
                self.wfile.flush()

        self._server = _Server(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, name="fake-openai", daemon=True)
        self._thread.start()
        return self

    def _next_reply(self, model: str) -> Behaviour:
        """The model's behaviour for its next chat call: with `replies`, the next of them as its reply."""
        behaviour = self.behaviours.get(model, Behaviour())
        if not behaviour.replies:
            return behaviour
        with self._lock:
            served = self._served.get(model, 0)
            self._served[model] = served + 1
        return replace(behaviour, reply=behaviour.replies[min(served, len(behaviour.replies) - 1)])

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> FakeOpenAI:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


class _Server(ThreadingHTTPServer):
    def handle_error(self, request: Any, client_address: Any) -> None:
        if isinstance(sys.exc_info()[1], BrokenPipeError | ConnectionResetError):
            return  # the client gave up (a deadline, a failover): expected in these tests
        super().handle_error(request, client_address)


def _usage(behaviour: Behaviour) -> dict[str, int]:
    return {
        "prompt_tokens": behaviour.prompt_tokens,
        "completion_tokens": behaviour.completion_tokens,
        "total_tokens": behaviour.prompt_tokens + behaviour.completion_tokens,
    }


def _completion(model: str, behaviour: Behaviour, body: dict[str, Any] | None = None) -> dict[str, Any]:
    messages = (body or {}).get("messages") or []
    last = messages[-1] if messages else {}
    message: dict[str, Any] = {"role": "assistant", "content": behaviour.reply}
    finish = "stop"
    if behaviour.tool_calls and (body or {}).get("tools") and last.get("role") != "tool":
        calls = [
            {"id": f"call_{i}", "type": "function",
             "function": {"name": c["name"], "arguments": json.dumps(c["arguments"])}}
            for i, c in enumerate(behaviour.tool_calls)
        ]  # fmt: skip
        message, finish = {"role": "assistant", "content": None, "tool_calls": calls}, "tool_calls"
    elif last.get("role") == "tool":
        message["content"] = behaviour.reply.replace("{tool_result}", str(last.get("content", "")))
    return {
        "id": f"chatcmpl-{uuid.uuid4().hex[:12]}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [{"index": 0, "message": message, "finish_reason": finish}],
        "usage": _usage(behaviour),
    }


def _chunk(ident: str, model: str, delta: dict[str, Any], finish: str | None) -> dict[str, Any]:
    return {
        "id": ident,
        "object": "chat.completion.chunk",
        "created": int(time.time()),
        "model": model,
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
    }


EMBEDDING_DIMS = {"text-embedding-3-small": 1536, "text-embedding-3-large": 3072, "text-embedding-ada-002": 1536}


def _embedding(text: str, dims: int) -> list[float]:
    """Each lower-cased word adds +-1 at two hashed positions: shared words make vectors near, like a real model."""
    vector = [0.0] * dims
    for word in "".join(c if c.isalnum() else " " for c in text.lower()).split():
        digest = hashlib.blake2b(word.encode(), digest_size=8).digest()
        for part in (digest[:4], digest[4:]):
            value = int.from_bytes(part, "little")
            vector[value % dims] += 1.0 if value & 0x80000000 else -1.0
    return vector


def _embeddings(model: str, body: dict[str, Any]) -> dict[str, Any]:
    texts = body.get("input") or []
    texts = [texts] if isinstance(texts, str) else list(texts)
    dims = int(body.get("dimensions") or EMBEDDING_DIMS.get(model, 1536))
    return {
        "object": "list",
        "model": model,
        "data": [
            {"object": "embedding", "index": i, "embedding": _embedding(str(t), dims)} for i, t in enumerate(texts)
        ],
        "usage": {"prompt_tokens": sum(len(str(t).split()) for t in texts), "total_tokens": 0},
    }


def _multipart_fields(raw: bytes) -> dict[str, Any]:
    """The text fields of a multipart/form-data body (the audio file itself is left out)."""
    fields: dict[str, Any] = {}
    for part in raw.split(b"\r\n--"):
        head, _, value = part.partition(b"\r\n\r\n")
        name = re.search(rb'name="([^"]+)"', head)
        if name and b"filename=" not in head:
            fields[name.group(1).decode()] = value.removesuffix(b"\r\n").decode(errors="replace")
        elif name:
            fields["file_bytes"] = len(value)
    return fields


def _tone_wav(seconds: float = 0.5, rate: int = 24000) -> bytes:
    frames = b"".join(
        struct.pack("<h", int(8000 * math.sin(2 * math.pi * 440 * n / rate))) for n in range(int(seconds * rate))
    )
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(frames)
    return buffer.getvalue()


def main() -> None:
    """`python -m tests.fakes.openai_server`: serve until interrupted and print the base URL (for manual runs)."""
    with FakeOpenAI() as server:
        print(server.base_url, flush=True)
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            pass


if __name__ == "__main__":
    main()
