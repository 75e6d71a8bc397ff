"""`python -m bench memory [--quick]`: the memory service on the embedded PostgreSQL 16 with pgvector.

Figures, each against a baseline measured in the same run:
- ingest throughput (memories/s, batches of 64) vs the bare embedding of the same texts (target: at most
  25% overhead);
- recall latency p50/p95 end to end (query embedding included, no query cache) at 10k real memories and at
  100k (90k of them synthetic: real vectors plus noise, inserted directly, said so in the results), vs the
  bare query embedding;
- HNSW recall@10 vs exact search on the same data (target >= 0.95), with the ef_search used;
- retrieval quality on bench/data/memory_qa.jsonl: recall@5 and MRR for hybrid vs vector-only vs keyword-only.
`--quick` shrinks everything (400 memories, 60 questions, no 100k) to finish in about a minute.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import shutil
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import numpy as np

from bench.common import write_results

DATA = Path(__file__).resolve().parent / "data" / "memory_qa.jsonl"
PERMS = frozenset({"memories:read", "memories:write", "memories:delete", "memories:evolve"})
WORDS = (
    "project meeting budget garden recipe flight doctor invoice school concert lunch train hotel report design "
    "release guitar river market museum laptop printer holiday birthday dentist insurance mortgage football "
    "coffee bakery library ticket contract server backup deadline festival beach mountain kitchen neighbour"
).split()


def _percentile(values: list[float], q: float) -> float:
    return float(np.percentile(np.array(values) * 1000.0, q))


def load_dataset() -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    rows = [json.loads(line) for line in DATA.read_text().splitlines() if line.strip()]
    return [r for r in rows if r["kind"] == "fact"], [r for r in rows if r["kind"] == "question"]


def synthetic_texts(facts: list[dict[str, Any]], n: int, seed: int) -> list[str]:
    """Distinct, realistic-looking notes: a fact, a second fact's clause and a few topic words."""
    rng = random.Random(seed)
    out = []
    for i in range(n):
        a, b = rng.sample(facts, 2)
        extra = " ".join(rng.sample(WORDS, 3))
        out.append(f"{a['content']} Also: {b['content'].lower()} ({extra}, note {i})")
    return out


async def _setup(dsn: str) -> tuple[Any, Any, Any]:
    from auralinkd.access.principal import Caller, Principal
    from auralinkd.db import migrate
    from auralinkd.db.database import Database

    db = Database(embedded=True, min_size=1, max_size=4, statement_timeout_s=120)
    await db.connect(dsn, attempts=5, migrations=migrate.discover())
    async with db.system() as conn:  # bench bookkeeping: an org and a user to act as
        org = await conn.fetchval("INSERT INTO organizations (name, slug) VALUES ('bench', 'bench') RETURNING id")
        user = await conn.fetchval(
            "INSERT INTO users (organization_id, email, username) VALUES ($1, 'b@bench.example', 'bench') RETURNING id",
            org,
        )
    return db, Caller(Principal(user, org, PERMS, "bench"), "bench"), (org, user)


def _service(db: Any, model: Any) -> Any:
    from auralinkd.audit.service import AuditLog
    from auralinkd.memory.access import AccessRecorder
    from auralinkd.memory.embeddings import Embedders
    from auralinkd.memory.service import MemoryService

    return MemoryService(db, AuditLog(db), Embedders(model), AccessRecorder(db))


async def quality(
    svc: Any, caller: Any, facts: list[dict[str, Any]], questions: list[dict[str, Any]]
) -> dict[str, Any]:
    from auralinkd.memory.models import MemoryInput
    from auralinkd.memory.ranking import Weights

    results = await svc.store_batch(caller, [MemoryInput(f["content"], importance=0.5) for f in facts])
    ids = {r.memory_id: f["id"] for r, f in zip(results, facts, strict=True)}
    modes = {
        "hybrid": Weights(),
        "vector": Weights(keyword=0.0),
        "keyword": Weights(semantic=0.0, keyword=1.0),
    }
    out: dict[str, Any] = {}
    for mode, weights in modes.items():
        hits5 = 0
        rr = 0.0
        for q in questions:
            found = await svc.recall(caller, q["question"], limit=10, weights=weights)
            ranked = [ids.get(r.memory.id) for r in found.results]
            if q["gold"] in ranked:
                rank = ranked.index(q["gold"]) + 1
                rr += 1.0 / rank
                hits5 += rank <= 5
        out[mode] = {"recall_at_5": hits5 / len(questions), "mrr": rr / len(questions)}
    await svc.access.flush()
    return out


async def ingest(svc: Any, caller: Any, model: Any, texts: list[str]) -> dict[str, float]:
    from auralinkd.memory.models import MemoryInput, Outcome

    started = time.perf_counter()
    for i in range(0, len(texts), 64):
        await asyncio.to_thread(model.encode, texts[i : i + 64])
    embed_s = time.perf_counter() - started
    started = time.perf_counter()
    stored = 0
    for i in range(0, len(texts), 64):
        results = await svc.store_batch(caller, [MemoryInput(t, importance=0.5) for t in texts[i : i + 64]])
        stored += sum(r.outcome is Outcome.STORED for r in results)
    store_s = time.perf_counter() - started
    return {"n": len(texts), "stored": stored, "embed_s": embed_s, "store_s": store_s}


async def latency(svc: Any, caller: Any, model: Any, queries: list[str]) -> dict[str, float]:
    recall_s, embed_s, strategies = [], [], {}
    for q in queries:
        started = time.perf_counter()
        await asyncio.to_thread(model.encode, [q])
        embed_s.append(time.perf_counter() - started)
        svc._query_cache.clear()  # end to end: the query is embedded on every call
        started = time.perf_counter()
        found = await svc.recall(caller, q, limit=10)
        recall_s.append(time.perf_counter() - started)
        strategies[found.strategy] = strategies.get(found.strategy, 0) + 1
    svc.access._pending.clear()
    return {
        "recall_p50_ms": _percentile(recall_s, 50),
        "recall_p95_ms": _percentile(recall_s, 95),
        "embed_p50_ms": _percentile(embed_s, 50),
        "embed_p95_ms": _percentile(embed_s, 95),
        "strategies": strategies,
    }


async def hnsw_vs_exact(db: Any, caller: Any, model: Any, queries: list[str], ef: int) -> dict[str, float]:
    from auralinkd.memory import store
    from auralinkd.memory.models import Scope

    vectors = model.encode(queries)
    overlap, hnsw_s, exact_s = [], [], []
    async with db.tenant(caller.tenant) as conn:
        await store.set_ef_search(conn, ef)
        for v in vectors:
            where = store.scope_where(Scope(), caller.principal.user_id)
            started = time.perf_counter()
            approx = await store.semantic_hnsw(
                conn, "all-MiniLM-L6-v2", 384, v, caller.principal.user_id, where, ef, 10
            )
            hnsw_s.append(time.perf_counter() - started)
            started = time.perf_counter()
            exact = await store.semantic_exact(conn, "all-MiniLM-L6-v2", v, where, 10)
            exact_s.append(time.perf_counter() - started)
            overlap.append(len({i for i, _ in approx} & {i for i, _ in exact}) / 10)
    return {
        "recall_at_10": float(np.mean(overlap)),
        "ef_search": ef,
        "hnsw_p50_ms": _percentile(hnsw_s, 50),
        "exact_p50_ms": _percentile(exact_s, 50),
    }


async def add_synthetic(db: Any, ids: tuple[Any, Any], base: np.ndarray, texts: list[str], n: int, seed: int) -> None:
    """n memories whose vectors are real ones plus noise (cosine ~0.85 to their source), via COPY."""
    rng = np.random.default_rng(seed)
    org, user = ids
    src = rng.integers(0, len(base), n)
    noise = rng.standard_normal((n, base.shape[1])).astype(np.float32) * 0.035
    vecs = base[src] + noise
    vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
    mem_ids = [uuid.uuid4() for _ in range(n)]
    async with db.system() as conn:  # bench bookkeeping: bulk load as the owner, then let RLS apply to reads
        await conn.copy_records_to_table(
            "memories",
            columns=["id", "organization_id", "user_id", "content", "importance_score"],
            records=[
                (mid, org, user, f"{texts[s]} [synthetic {i}]", 0.5)
                for i, (mid, s) in enumerate(zip(mem_ids, src, strict=True))
            ],
        )
        await conn.copy_records_to_table(
            "memory_vectors",
            columns=["memory_id", "organization_id", "user_id", "model", "dims", "embedding"],
            records=[(mid, org, user, "all-MiniLM-L6-v2", 384, v) for mid, v in zip(mem_ids, vecs, strict=True)],
        )
        await conn.execute("ANALYZE memories; ANALYZE memory_vectors")


async def run(quick: bool, pgdir: Path) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    from auralinkd.db.embedded import EmbeddedPostgres
    from auralinkd.memory import store
    from auralinkd.memory.embeddings import LocalMiniLM

    facts, questions = load_dataset()
    pg = EmbeddedPostgres(pgdir)
    dsn = await asyncio.to_thread(pg.start)
    model = LocalMiniLM()
    started = time.perf_counter()
    await model.warm()
    load_s = time.perf_counter() - started
    figures: list[dict[str, Any]] = []
    meta: dict[str, Any] = {"quick": quick, "model_load_s": round(load_s, 2), "dataset": DATA.name,
                            "facts": len(facts), "questions": len(questions)}  # fmt: skip
    try:
        db, caller, ids = await _setup(dsn)
        svc = _service(db, model)
        q = await quality(svc, caller, facts, questions[:60] if quick else questions)
        for mode in ("hybrid", "vector", "keyword"):
            print(f"quality {mode:8s} recall@5 {q[mode]['recall_at_5']:.3f}  MRR {q[mode]['mrr']:.3f}")
        for metric in ("recall_at_5", "mrr"):
            for other in ("vector", "keyword"):
                figures.append({
                    "name": f"quality_{metric}/hybrid_vs_{other}", "value": q["hybrid"][metric],
                    "baseline": q[other][metric], "pass": q["hybrid"][metric] > q[other][metric],
                })  # fmt: skip
        meta["quality"] = q

        n_real = 400 if quick else 10000
        texts = synthetic_texts(facts, n_real - len(facts), seed=1)
        ing = await ingest(svc, caller, model, texts)
        rate, base_rate = ing["n"] / ing["store_s"], ing["n"] / ing["embed_s"]
        overhead = ing["store_s"] / ing["embed_s"] - 1
        print(f"ingest {rate:.1f}/s vs bare embedding {base_rate:.1f}/s: overhead {overhead:.1%} ({ing})")
        figures.append({"name": "ingest_per_s/batch64", "value": rate, "baseline": base_rate,
                        "overhead_pct": round(overhead * 100, 1), "pass": overhead <= 0.25})  # fmt: skip
        async with db.system() as conn:
            await conn.execute("ANALYZE memories; ANALYZE memory_vectors")
        qtexts = [x["question"] for x in questions]
        lat_queries = (qtexts * 2)[: 30 if quick else 300]
        lat_queries = [f"{t}" if i < len(qtexts) else f"{t} please" for i, t in enumerate(lat_queries)]
        sizes = [(n_real, "real")]
        if not quick:
            sizes.append((100_000, "real+synthetic"))
        for size, kind in sizes:
            if size > n_real:
                async with db.tenant(caller.tenant) as conn:
                    rows = await conn.fetch("SELECT embedding FROM memory_vectors")
                    base = np.stack([store.as_array(r["embedding"]) for r in rows])
                started = time.perf_counter()
                await add_synthetic(db, ids, base, texts, size - n_real, seed=2)
                meta["synthetic_load_s"] = round(time.perf_counter() - started, 1)
            lat = await latency(svc, caller, model, lat_queries)
            label = f"{size // 1000}k" if size >= 1000 else str(size)
            print(f"recall @{label} ({kind}): p50 {lat['recall_p50_ms']:.1f} ms p95 {lat['recall_p95_ms']:.1f} ms; "
                  f"query embedding p50 {lat['embed_p50_ms']:.1f} ms; strategies {lat['strategies']}")  # fmt: skip
            figures.append({"name": f"recall_p50_ms/{label}", "value": lat["recall_p50_ms"],
                            "baseline": lat["embed_p50_ms"], "data": kind})  # fmt: skip
            figures.append({"name": f"recall_p95_ms/{label}", "value": lat["recall_p95_ms"],
                            "baseline": lat["embed_p95_ms"], "data": kind,
                            "pass": lat["recall_p95_ms"] <= 50})  # fmt: skip
            acc = await hnsw_vs_exact(db, caller, model, qtexts[: 50 if quick else 152], ef=40)
            print(f"hnsw recall@10 vs exact @{label}: {acc['recall_at_10']:.3f} (ef_search {acc['ef_search']}); "
                  f"hnsw p50 {acc['hnsw_p50_ms']:.1f} ms vs exact p50 {acc['exact_p50_ms']:.1f} ms")  # fmt: skip
            figures.append({"name": f"hnsw_recall_at_10/{label}", "value": acc["recall_at_10"], "baseline": 1.0,
                            "ef_search": 40, "pass": acc["recall_at_10"] >= 0.95})  # fmt: skip
            figures.append({"name": f"search_p50_ms/{label}/hnsw_vs_exact", "value": acc["hnsw_p50_ms"],
                            "baseline": acc["exact_p50_ms"]})  # fmt: skip
        await db.close()
    finally:
        await asyncio.to_thread(pg.stop)
    return figures, meta


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench memory")
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--results-dir", default=None)
    args = parser.parse_args(argv)
    tmp = Path(tempfile.mkdtemp(prefix="almem"))
    try:
        figures, meta = asyncio.run(run(args.quick, tmp / "pg"))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    for f in figures:
        ratio = f["value"] / f["baseline"] if f["baseline"] else float("nan")
        print(f"{f['name']:42s} {f['value']:10.3f}  baseline {f['baseline']:10.3f}  ratio {ratio:6.2f}")
    path = write_results("memory", figures, meta, args.results_dir)
    print(f"results: {path}")
    return 0
