"""Evolve (the spec's evolve_memories()): consolidate near-duplicates and forget what has decayed.

Planning is pure (numpy over the scope's vectors, union-find over pairs above the threshold); applying
runs in the caller's tenant transaction. Consolidation merges a cluster into one new memory linked to each
original by `derived_from`; originals are archived, never deleted. Forgetting archives memories whose
decayed importance fell under the floor. Only a retention policy (or an explicit delete) deletes for good.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

import numpy as np

from auralinkd.memory.ranking import decayed_importance

BLOCK = 1024


@dataclass(frozen=True)
class Item:
    id: UUID
    scope_key: tuple[str, str, str]  # (agent, room, session) ids or ""
    importance: float
    access_count: int
    created_at: datetime
    last_accessed_at: datetime | None


@dataclass(frozen=True)
class Plan:
    clusters: list[list[UUID]]  # each: representative first, then the rest
    forget: list[tuple[UUID, float]]  # (id, decayed importance)


class _UnionFind:
    def __init__(self, n: int) -> None:
        self.parent = list(range(n))

    def find(self, i: int) -> int:
        while self.parent[i] != i:
            self.parent[i] = self.parent[self.parent[i]]
            i = self.parent[i]
        return i

    def union(self, a: int, b: int) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)


def clusters(items: Sequence[Item], vectors: np.ndarray, threshold: float) -> list[list[UUID]]:
    """Groups (size >= 2) of one scope linked by cosine >= threshold (single linkage), representative first."""
    by_scope: dict[tuple[str, str, str], list[int]] = defaultdict(list)
    for index, item in enumerate(items):
        by_scope[item.scope_key].append(index)
    found: list[list[UUID]] = []
    for indices in by_scope.values():
        if len(indices) < 2:
            continue
        sub = vectors[indices]
        uf = _UnionFind(len(indices))
        for start in range(0, len(indices), BLOCK):
            sims = sub[start : start + BLOCK] @ sub.T
            rows, cols = np.nonzero(sims >= threshold)
            for r, c in zip(rows.tolist(), cols.tolist(), strict=True):
                if start + r < c:
                    uf.union(start + r, c)
        groups: dict[int, list[int]] = defaultdict(list)
        for local in range(len(indices)):
            groups[uf.find(local)].append(indices[local])
        for members in groups.values():
            if len(members) >= 2:
                ranked = sorted(members, key=lambda i: _representative_key(items[i]))
                found.append([items[i].id for i in ranked])
    found.sort(key=lambda c: str(c[0]))
    return found


def _representative_key(item: Item) -> tuple[float, int, float, str]:
    """Most important first, then most used, then newest: its content speaks for the cluster."""
    return (-item.importance, -item.access_count, -item.created_at.timestamp(), str(item.id))


def forgotten(
    items: Sequence[Item], skip: set[UUID], now: datetime, half_life_s: float, floor: float
) -> list[tuple[UUID, float]]:
    out = []
    for item in items:
        if item.id in skip:
            continue
        value = decayed_importance(
            item.importance, item.created_at, item.last_accessed_at, item.access_count, now, half_life_s
        )
        if value < floor:
            out.append((item.id, value))
    return out


def plan(
    items: Sequence[Item],
    vectors: np.ndarray | None,
    *,
    consolidate: bool,
    forget: bool,
    threshold: float,
    now: datetime,
    half_life_s: float,
    floor: float,
) -> Plan:
    groups = clusters(items, vectors, threshold) if consolidate and vectors is not None and len(items) else []
    merged = {i for group in groups for i in group}
    fading = forgotten(items, merged, now, half_life_s, floor) if forget else []
    return Plan(groups, fading)
