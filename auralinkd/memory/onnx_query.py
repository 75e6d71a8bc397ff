"""Query embeddings of the local MiniLM on ONNX Runtime: the same vectors as torch, in a fraction of the time.

A recall embeds one short text; torch spends most of that time in per-operator dispatch, which ONNX Runtime's
fused graph does not have. The graph is exported once from the packaged weights into the model cache
(`<data_dir>/models`, keyed by the weights' hash and the library versions), in a thread of its own with its
own copy of the model, so the first start serves queries with torch meanwhile. Before it is used, its
vectors are checked against torch's on probe sentences (cosine >= MIN_COSINE each), so stored vectors, the
dedupe threshold and the HNSW index stay valid; a graph that fails the check is not used (logged).
Imports (torch, onnx, onnxruntime) happen inside the functions: the CLI never loads this module's weight.
"""

from __future__ import annotations

import hashlib
import logging
import os
import warnings
from pathlib import Path
from typing import Any

import numpy as np

log = logging.getLogger(__name__)

MIN_COSINE = 0.999
INPUTS = ("input_ids", "attention_mask", "token_type_ids")
PROBES = (
    "What time is Clara's dentist appointment on Thursday?",
    "db-prod-03 disk alert OPS-4821 was resolved by rotating the logs",
    "I prefer green tea in the morning and coffee after lunch.",
    "remind me",
)


def graph_path(model_dir: Path, cache_dir: Path) -> Path:
    """The exported graph's file for these weights and library versions."""
    import onnx
    import torch
    import transformers

    digest = hashlib.sha256()
    for name in sorted(p.name for p in model_dir.iterdir() if p.suffix in (".safetensors", ".bin", ".json")):
        digest.update(name.encode())
        digest.update((model_dir / name).read_bytes())
    digest.update(f"{torch.__version__}|{transformers.__version__}|{onnx.__version__}".encode())
    return cache_dir / f"all-MiniLM-L6-v2-{digest.hexdigest()[:16]}.onnx"


def export(model_dir: Path, path: Path) -> None:
    """Export the packaged model's encoder (last hidden state) to `path`, atomically."""
    import torch
    from transformers import AutoModel, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(str(model_dir), local_files_only=True)
    model = AutoModel.from_pretrained(str(model_dir), local_files_only=True).eval()

    class Encoder(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.model = model

        def forward(self, input_ids: Any, attention_mask: Any, token_type_ids: Any) -> Any:
            return self.model(
                input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
            ).last_hidden_state

    sample = tokenizer([PROBES[0]], return_tensors="pt")
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    partial = path.with_suffix(f".{os.getpid()}.partial")
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the tracer's notes on shape checks that are constant for an encoder
        torch.onnx.export(
            Encoder(), tuple(sample[name] for name in INPUTS), str(partial), input_names=list(INPUTS),
            output_names=["last_hidden_state"], opset_version=17, dynamo=False,
            dynamic_axes={name: {0: "batch", 1: "tokens"} for name in (*INPUTS, "last_hidden_state")},
        )  # fmt: skip
    os.replace(partial, path)


def session(path: Path) -> Any:
    """An ONNX Runtime session on one thread (a recall's query runs beside PostgreSQL on the same cores)."""
    import onnxruntime

    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    return onnxruntime.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


def pooled(sess: Any, tokenizer: Any, texts: list[str], max_tokens: int) -> np.ndarray:
    """Mean-pooled (not yet normalised) vectors of `texts`, as LocalMiniLM.encode pools torch's output."""
    encoded = tokenizer(texts, padding=True, truncation=True, max_length=max_tokens, return_tensors="np")
    feeds = {name: encoded[name].astype(np.int64) for name in INPUTS}
    hidden = sess.run(None, feeds)[0]
    mask = encoded["attention_mask"][..., None].astype(np.float32)
    return (hidden * mask).sum(1) / np.maximum(mask.sum(1), 1e-9)


def agreement(vectors: np.ndarray, reference: np.ndarray) -> float:
    """The lowest cosine between matching rows."""
    a = vectors / np.linalg.norm(vectors, axis=1, keepdims=True)
    b = reference / np.linalg.norm(reference, axis=1, keepdims=True)
    return float((a * b).sum(1).min())
