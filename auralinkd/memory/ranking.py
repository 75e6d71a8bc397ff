"""Hybrid ranking, as pure functions: fusion of the semantic and keyword lists, recency, importance, forgetting.

w_id     = keyword * identifier_boost
fused    = semantic / (k + rank_sem) + keyword * (kw_score / best_kw_score) / (k + 1)
           + w_id * identifier / (k + 1)                                           (a missing entry adds 0)
relevance = fused / ((semantic + keyword + w_id) / (k + 1))                        (1.0 = first everywhere)
score    = relevance * (1 - w_rec - w_imp + w_rec * recency + w_imp * importance)

The semantic list counts by rank (reciprocal-rank fusion); the keyword list by its BM25 score relative to
the best match. `identifier` says how strongly the query's exact identifiers (OPS-4821, db-prod-03, a name
inside the question) single the memory out among the candidates (recall.identifier_evidence): OPS-4821 names
one memory and lifts it over its near-neighbour OPS-4822, which shares only "ops"; a name or a city that many
candidates mention barely counts and cannot reorder them. A score over the whole query went wrong there:
ordinary names behaved like codes, and a short memory that happened to name Clara beat the one that answered.
Paraphrased questions keep the plain keyword weight small (0.05): their words rarely match.
Defaults (keyword 0.05, identifier_boost 80, k = 5, importance 0.02) were chosen by `python -m bench memory
--tune` on the dev halves of bench/data/memory_qa*.jsonl, as the best mean MRR among the settings that lose to
plain vector search on no set; the test halves are what the benchmark reports. Relevance dominates; recency
and importance re-weight it. Every component is in [0, 1], so the TUI can show them side by side.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from auralinkd.errors import InvalidArgument

DAY_S = 86400.0


@dataclass(frozen=True)
class Weights:
    semantic: float = 1.0
    keyword: float = 0.05
    recency: float = 0.1
    importance: float = 0.02  # a tie-break: 0.1 reordered close candidates by a cheap lexical estimate
    recency_half_life_s: float = 30 * DAY_S
    rrf_k: int = 5
    identifier_boost: float = 80.0  # the identifier evidence's weight, as a multiple of the keyword weight
    keyword_by_score: bool = True  # the keyword list by its score relative to the best (False: by rank)

    def validate(self) -> Weights:
        for name in ("semantic", "keyword", "recency", "importance"):
            value = getattr(self, name)
            if not (0.0 <= value <= 1.0) or math.isnan(value):
                raise InvalidArgument.for_field(f"weights.{name}", f"must be between 0 and 1, got {value}")
        if self.semantic + self.keyword <= 0:
            raise InvalidArgument.for_field("weights", "semantic and keyword weights cannot both be 0")
        if self.recency + self.importance > 1.0 + 1e-9:
            raise InvalidArgument.for_field(
                "weights", f"recency + importance must be at most 1, got {self.recency + self.importance:g}"
            )
        if not (self.recency_half_life_s > 0) or math.isinf(self.recency_half_life_s):
            raise InvalidArgument.for_field(
                "weights.recency_half_life", f"must be positive, got {self.recency_half_life_s:g}s"
            )
        if not (1.0 <= self.identifier_boost <= 100.0):
            raise InvalidArgument.for_field(
                "weights.identifier_boost", f"must be between 1 and 100, got {self.identifier_boost:g}"
            )
        if not (1 <= self.rrf_k <= 1000):
            raise InvalidArgument.for_field("weights.rrf_k", f"must be between 1 and 1000, got {self.rrf_k}")
        return self


@dataclass(frozen=True)
class Candidate:
    """What ranking needs of one memory."""

    id: UUID
    created_at: datetime
    last_accessed_at: datetime | None
    importance: float
    semantic: float = 0.0  # cosine similarity, clamped to [0, 1]
    keyword: float = 0.0  # ts_rank_cd, squashed to [0, 1]
    semantic_rank: int = 0  # 1-based; 0 = not a semantic candidate
    keyword_rank: int = 0
    identifier: float = 0.0  # how strongly the query's identifiers single this memory out, [0, 1]


@dataclass(frozen=True)
class Scored:
    candidate: Candidate
    score: float
    relevance: float
    recency: float


def recency(created_at: datetime, last_accessed_at: datetime | None, now: datetime, half_life_s: float) -> float:
    """0.5 ** (age / half_life), the age counted from the last access when there was one."""
    anchor = max(created_at, last_accessed_at) if last_accessed_at else created_at
    age = max(0.0, (now - anchor).total_seconds())
    return 0.5 ** (age / half_life_s)


def squash_keyword(rank: float) -> float:
    """The BM25-style keyword score is unbounded; map it monotonically into [0, 1)."""
    return rank / (rank + 5.0) if rank > 0 else 0.0


def fuse(candidates: Sequence[Candidate], weights: Weights, now: datetime) -> list[Scored]:
    """Scored candidates, best first (ties: newer first, then id, so the order is stable)."""
    k = weights.rrf_k
    w_kw = weights.keyword
    # Identifier evidence counts only when the query named one that some candidate names.
    w_id = weights.keyword * weights.identifier_boost if any(c.identifier > 0 for c in candidates) else 0.0
    best = (weights.semantic + w_kw + w_id) / (k + 1)
    top_keyword = max((c.keyword for c in candidates), default=0.0)
    scored: list[Scored] = []
    for c in candidates:
        fused = w_id * c.identifier / (k + 1)
        if c.semantic_rank:
            fused += weights.semantic / (k + c.semantic_rank)
        if c.keyword_rank and weights.keyword_by_score and top_keyword > 0:
            fused += w_kw * (c.keyword / top_keyword) / (k + 1)
        elif c.keyword_rank:
            fused += w_kw / (k + c.keyword_rank)
        relevance = fused / best if best else 0.0
        rec = recency(c.created_at, c.last_accessed_at, now, weights.recency_half_life_s)
        factor = 1 - weights.recency - weights.importance + weights.recency * rec + weights.importance * c.importance
        scored.append(Scored(c, relevance * factor, relevance, rec))
    scored.sort(key=lambda s: (-s.score, -s.candidate.created_at.timestamp(), str(s.candidate.id)))
    return scored


def decayed_importance(
    importance: float,
    created_at: datetime,
    last_accessed_at: datetime | None,
    access_count: int,
    now: datetime,
    half_life_s: float,
) -> float:
    """importance * 0.5 ** (age / half_life'), where an access resets the age and each access lengthens
    the half-life (half_life' = half_life * (1 + ln(1 + accesses))): used memories fade slower."""
    anchor = max(created_at, last_accessed_at) if last_accessed_at else created_at
    age = max(0.0, (now - anchor).total_seconds())
    effective = half_life_s * (1.0 + math.log1p(max(0, access_count)))
    return importance * 0.5 ** (age / effective)
