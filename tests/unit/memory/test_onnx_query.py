"""Recall queries on ONNX Runtime: the exported MiniLM graph gives torch's vectors, and is exported once."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from auralinkd.memory.embeddings import LocalMiniLM

TEXTS = [
    "When does Priya's flight to Lisbon leave?",
    "the staging cluster k8s-stg-2 ran out of inodes",
    "Tom is allergic to peanuts and shellfish",
    "ok",
]


def test_query_vectors_on_onnx_runtime_match_torch_and_the_graph_is_exported_once(tmp_path: Path) -> None:
    model = LocalMiniLM(cache_dir=tmp_path / "models")
    model.load()
    assert model.onnx_settled.wait(300)
    assert model.query_backend == "onnxruntime"
    onnx = model.encode_query(TEXTS)
    torch = model.encode(TEXTS)  # the batch path stays on torch
    assert onnx.shape == torch.shape == (len(TEXTS), 384)
    assert np.allclose(np.linalg.norm(onnx, axis=1), 1.0, atol=1e-5)
    assert float((onnx * torch).sum(1).min()) >= 0.999
    (graph,) = (tmp_path / "models").glob("all-MiniLM-L6-v2-*.onnx")
    exported_at = graph.stat().st_mtime_ns

    later = LocalMiniLM(cache_dir=tmp_path / "models")  # a restart: the cached graph, not a new export
    later.load()
    assert later.onnx_settled.wait(120)
    assert later.query_backend == "onnxruntime" and graph.stat().st_mtime_ns == exported_at
    assert float((later.encode_query(TEXTS[:1]) * onnx[:1]).sum()) >= 0.99999


def test_without_a_cache_dir_queries_stay_on_torch() -> None:
    model = LocalMiniLM()
    model.load()
    assert model.onnx_settled.is_set() and model.query_backend == "torch"
    assert np.allclose(model.encode_query(TEXTS[:2]), model.encode(TEXTS[:2]), atol=1e-6)
