"""Finding candidates for a recall: semantic (HNSW, exact SQL, or numpy without pgvector) and keyword.

Filtered recall must return `limit` results whenever that many match. pgvector 0.6 applies filters after
the HNSW scan, so a selective filter (one user among many, a rare tag) can leave too few rows. The search
raises `hnsw.ef_search` with the candidate count, and when the index still comes back short it switches to
exact search over the filtered rows, which is cheap precisely because the filter is selective.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from uuid import UUID

import asyncpg
import numpy as np

from auralinkd.memory import store
from auralinkd.memory.models import Memory
from auralinkd.memory.store import HNSW_MODELS, Where

EF_SEARCH_MIN = 40
EF_SEARCH_MAX = 1000  # pgvector's limit


def candidates_for(limit: int) -> int:
    """How many candidates each list (semantic, keyword) gives the fusion for a recall of `limit`."""
    return min(300, max(3 * limit, 30))


def ef_search_for(limit: int) -> int:
    """The hnsw.ef_search of a semantic search for `limit` rows (the first try; a short answer widens it)."""
    return min(EF_SEARCH_MAX, max(EF_SEARCH_MIN, 2 * limit))


EXACT_CAP = 5000  # at most this many matching rows: exact search instead of a wider index scan

_STOPWORDS = frozenset(
    """a about above after again against all am an and any are as at be because been before being below between
    both but by can could did do does doing down during each few for from further had has have having he her here
    hers herself him himself his how i if in into is it its itself just me more most my myself no nor not now of
    off on once only or other our ours ourselves out over own same she should so some such than that the their
    theirs them themselves then there these they this those through to too under until up very was we were what
    when where which while who whom why will with would you your yours yourself yourselves s t don didn doesn isn
    wasn aren ll ve re d m o y also ever tell know remember recall please said say does did anything something
    thing things get got""".split()
)
_TOKEN = re.compile(r"[^\W_]+", re.UNICODE)
_SUFFIXES = ("ing", "ies", "ied", "es", "ed", "ly", "s")


def _stem(token: str) -> str:
    for suffix in _SUFFIXES:
        if token.endswith(suffix) and len(token) - len(suffix) >= 4:
            return token[: -len(suffix)]
    return token


_VARIANTS = ("", "s", "es", "ed", "ing", "y", "ies", "ied", "ly")


def keyword_terms(text: str, max_terms: int = 16) -> list[str]:
    """The query's content words as to_tsquery('simple', …) terms: a word of four letters or more stands for
    its inflections (an OR of exact lexemes, not a prefix: the planner can estimate those, and the GIN
    index serves them), a word with digits or a short one for itself.

    Only letters and digits reach a term, so no input can inject tsquery operators.
    """
    terms: list[str] = []
    for raw in _TOKEN.findall(text.lower()):
        if raw in _STOPWORDS or len(raw) < 2:
            continue
        stem = _stem(raw)
        if len(stem) >= 4 and not any(c.isdigit() for c in stem):
            term = " | ".join(dict.fromkeys([raw, *(stem + v for v in _VARIANTS)]))
        else:
            term = raw
        if term not in terms:
            terms.append(term)
        if len(terms) >= max_terms:
            break
    return terms


# A token that names something exactly: has a digit (OPS-4821, db-prod-03, v2.1), joins parts with - _ . # /,
# is all capitals (ORCA, SKU), or is capitalised inside the question (Clara, Acme, Lisbon).
_IDENTIFIER = re.compile(r"\d|\w[-_.#/]\w|^[A-Z][A-Z0-9]+$")


def identifier_terms(text: str) -> list[str]:
    """The keyword terms that come from identifier-like tokens of the query (see _IDENTIFIER)."""
    out: list[str] = []
    for position, raw in enumerate(text.split()):
        token = raw.strip("?!.,;:()[]\"'")
        token = token[:-2] if token.endswith(("'s", "’s")) else token
        if len(token) < 2:
            continue
        proper = position > 0 and token[0].isupper()
        if proper or _IDENTIFIER.search(token):
            out.extend(t for t in keyword_terms(token) if t not in out)
    return out


def keyword_query(text: str) -> str:
    """The terms OR-ed into one tsquery text."""
    return " | ".join(f"({t})" for t in keyword_terms(text))


@dataclass(frozen=True)
class SemanticHits:
    hits: list[tuple[UUID, float]]  # (memory id, cosine similarity), best first
    strategy: str
    memories: dict[UUID, Memory] = field(default_factory=dict)  # rows already read with the hits (`fetch`)


async def semantic(
    conn: asyncpg.Connection,
    *,
    model: str,
    dims: int,
    query: np.ndarray,
    where: Where,
    limit: int,
    pgvector: bool,
    ef_preset: int | None = None,
    fetch: Sequence[UUID] | None = None,
) -> SemanticHits:
    """`ef_preset`: the hnsw.ef_search the transaction already has (set with its scope, one round trip less).
    `fetch`: read the memories found, and these, with the index search (one round trip less for a recall);
    in `memories` of the result, which holds what the search read (the caller reads any others itself)."""
    if not pgvector:
        ids, vectors = await store.scope_vectors(conn, model, where)
        if not ids:
            return SemanticHits([], "numpy")
        sims = vectors @ query.astype(np.float32)
        top = np.argsort(-sims, kind="stable")[:limit]
        return SemanticHits([(ids[i], float(sims[i])) for i in top], "numpy")
    if model not in HNSW_MODELS:
        return SemanticHits(await store.semantic_exact(conn, model, query, where, limit), "exact")
    user_id = where.params[0]  # scope_where's first clause: the user
    candidates = ef_search_for(limit)
    if ef_preset != candidates:
        await store.set_ef_search(conn, candidates)
    memories: dict[UUID, Memory] = {}
    if fetch is None:
        hits = await store.semantic_hnsw(conn, model, dims, query, user_id, where, candidates, limit)
    else:
        hits, memories = await store.semantic_hnsw_memories(
            conn, model, dims, query, user_id, where, candidates, limit, fetch
        )
    if len(hits) >= limit:
        return SemanticHits(hits, "hnsw", memories)
    # Short: either fewer rows match, or the filters discarded most of what the index returned.
    matching = await store.count_matching(conn, model, where, EXACT_CAP)
    if matching <= len(hits):
        return SemanticHits(hits, "hnsw", memories)
    if matching < EXACT_CAP:  # selective: exact search over the few matching rows is cheap
        return SemanticHits(await store.semantic_exact(conn, model, query, where, limit), "hnsw+exact", memories)
    await store.set_ef_search(conn, EF_SEARCH_MAX)  # broad filter: over-fetch as far as the index goes
    hits = await store.semantic_hnsw(conn, model, dims, query, user_id, where, EF_SEARCH_MAX, limit)
    if len(hits) >= limit:
        return SemanticHits(hits, "hnsw", memories)
    return SemanticHits(await store.semantic_exact(conn, model, query, where, limit), "hnsw+exact", memories)


@dataclass(frozen=True)
class KeywordHits:
    hits: list[tuple[UUID, float]]  # (memory id, BM25-style score), best first
    identifiers: tuple[str, ...] = ()  # the query's identifier terms that some matching memory contains


async def keyword(conn: asyncpg.Connection, text: str, where: Where, limit: int) -> KeywordHits:
    terms = keyword_terms(text)
    if not terms:
        return KeywordHits([])
    user_id = where.params[0]  # scope_where's first clause: the user
    hits, present = await store.keyword_search(conn, terms, user_id, where, limit)
    return KeywordHits(hits, tuple(t for t in identifier_terms(text) if t in present))


def identifier_evidence(contents: dict[UUID, str], terms: tuple[str, ...]) -> dict[UUID, float]:
    """How strongly each memory is singled out by the query's identifiers (keyword_terms' "word | variant"
    strings), in [0, 1]: the mean over the terms of 1 / n² for the terms the memory names, where n is how many
    of these memories name the term. OPS-4821 names one memory and picks it out; "ops", or a city that six
    memories mention (1/36), is a topic and barely counts, so a name that candidates share cannot lift them
    over the memory that answers (1 / n let "Lisbon" in a question bury the answer that did not say Lisbon).
    """
    if not terms:
        return {}
    named = {mid: set(_TOKEN.findall(text.lower())) for mid, text in contents.items()}
    holders = [[mid for mid, words in named.items() if any(v in words for v in t.split(" | "))] for t in terms]
    evidence = dict.fromkeys(contents, 0.0)
    for found in holders:
        for mid in found:
            evidence[mid] += 1.0 / len(found) ** 2 / len(terms)
    return evidence
