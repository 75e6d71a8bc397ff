"""Evolve (the spec's evolve_memories()): consolidate near-duplicates and forget what has decayed.

Planning is pure (numpy over the scope's vectors, union-find over pairs above the threshold); applying
runs in the caller's tenant transaction. Consolidation merges a cluster into one new memory linked to each
original by `derived_from`; originals are archived, never deleted. Forgetting archives memories whose
decayed importance fell under the floor. Only a retention policy (or an explicit delete) deletes for good.
"""

from __future__ import annotations

import math
import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

import asyncpg
import numpy as np

from auralinkd.errors import InvalidArgument
from auralinkd.memory import store
from auralinkd.memory.models import EvolveAction, EvolveOptions, EvolveRun, Scope
from auralinkd.memory.ranking import decayed_importance

BLOCK = 1024
EVOLVE_CAP = 20_000  # memories examined per run and user (bounded memory; the next run continues)
RUN_COUNTS = ("trigger", "examined", "clusters", "consolidated", "forgotten", "purged")


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


# -- applying, in the caller's tenant transaction ------------------------------------------------------


def checked(opts: EvolveOptions) -> EvolveOptions:
    if math.isnan(opts.consolidate_threshold) or not 0.5 <= opts.consolidate_threshold <= 1.0:
        raise InvalidArgument.for_field(
            "consolidate_threshold", f"must be between 0.5 and 1, got {opts.consolidate_threshold}"
        )
    if math.isnan(opts.forget_floor) or not 0.0 <= opts.forget_floor <= 1.0:
        raise InvalidArgument.for_field("forget_floor", f"must be between 0 and 1, got {opts.forget_floor}")
    if not opts.half_life_s > 0 or math.isinf(opts.half_life_s):
        raise InvalidArgument.for_field("half_life", "must be positive")
    return opts


async def apply(
    conn: asyncpg.Connection,
    opts: EvolveOptions,
    scope: Scope,
    user_id: UUID,
    model: str,
    started: datetime,
    trigger: str,
) -> tuple[dict[str, Any], list[EvolveAction]]:
    """Plan and (unless dry) apply one run over the user's scope: the evolve_runs row's values and the actions."""
    actions: list[EvolveAction] = []
    rows = await store.evolve_candidates(conn, store.scope_where(scope, user_id), EVOLVE_CAP)
    items = [
        Item(
            r["id"], (str(r["agent_id"] or ""), str(r["room_id"] or ""), str(r["session_id"] or "")),
            float(r["importance_score"]), r["access_count"], r["created_at"], r["last_accessed_at"],
        )
        for r in rows
    ]  # fmt: skip
    vectors = None
    if opts.consolidate and items:
        found = await store.vectors_of(conn, [i.id for i in items], model)
        items = [i for i in items if i.id in found] + [i for i in items if i.id not in found]
        with_vectors = [i for i in items if i.id in found]
        vectors = np.stack([found[i.id] for i in with_vectors]) if with_vectors else None
        plan_items = with_vectors
    else:
        plan_items = items
    planned = plan(
        plan_items, vectors, consolidate=opts.consolidate, forget=False,
        threshold=opts.consolidate_threshold, now=started, half_life_s=opts.half_life_s,
        floor=opts.forget_floor,
    )  # fmt: skip
    merged = {m for group in planned.clusters for m in group}
    fading = forgotten(items, merged, started, opts.half_life_s, opts.forget_floor) if opts.forget else []
    for group in planned.clusters:
        result_id = None if opts.dry_run else await consolidate(conn, group)
        actions.append(EvolveAction("consolidate", tuple(group), result_id, f"{len(group)} memories merged"))
    if fading:
        ids = [i for i, _ in fading]
        if not opts.dry_run:
            await store.archive(conn, ids, "forgotten")
        for mid, value in fading:
            actions.append(EvolveAction("forget", (mid,), None, f"decayed importance {value:.3f}"))
    purged = await retention(conn, user_id, opts.dry_run, actions)
    counts = {
        "trigger": trigger, "dry_run": opts.dry_run, "examined": len(items), "clusters": len(planned.clusters),
        "consolidated": len(merged), "forgotten": len(fading), "purged": purged, "started_at": started,
        "parameters": {
            "consolidate": opts.consolidate, "forget": opts.forget,
            "consolidate_threshold": str(opts.consolidate_threshold), "half_life_s": int(opts.half_life_s),
            "forget_floor": str(opts.forget_floor),
        },
    }  # fmt: skip
    return counts, actions


async def consolidate(conn: asyncpg.Connection, group: list[UUID]) -> UUID:
    members = await store.get_memories(conn, group)
    rep = members[group[0]]
    metadata: dict[str, Any] = {}
    for mid in reversed(group):  # the representative's keys win
        metadata.update(members[mid].metadata)
    metadata["consolidated_from"] = [str(m) for m in group]
    tags = sorted({t for m in members.values() for t in m.tags})
    new_id = uuid.uuid4()
    row = store.NewMemory(
        id=new_id, org_id=(await store.organization_of(conn, rep.id)),
        user_id=rep.user_id, agent_id=rep.agent_id, room_id=rep.room_id, session_id=rep.session_id,
        content=rep.content, metadata=metadata, tags=tags,
        importance=max(m.importance for m in members.values()), modality=rep.modality, source="evolve",
        created_at=max(m.created_at for m in members.values()),
    )  # fmt: skip
    await store.insert_memories(conn, [row])
    await store.copy_vectors(conn, rep.id, new_id)
    await store.set_access_count(conn, new_id, sum(m.access_count for m in members.values()))
    await store.link_many(conn, new_id, group, "derived_from")
    await store.archive(conn, group, "consolidated")
    return new_id


async def retention(conn: asyncpg.Connection, user_id: UUID, dry_run: bool, actions: list[EvolveAction]) -> int:
    """The org's retention policy for memories: the only automatic hard delete ('archive' archives)."""
    policy = await store.retention_policy(conn)
    if policy is None or policy["legal_hold"]:
        return 0
    ids = await store.expired(conn, user_id, policy["retention_days"])
    if not ids:
        return 0
    if policy["action"] == "archive":
        if not dry_run:
            await store.archive(conn, ids, "retention")
        actions.append(
            EvolveAction("retention_archive", tuple(ids), None, f"older than {policy['retention_days']} days")
        )
        return 0
    if not dry_run:  # 'delete' and 'anonymize' (a memory has no anonymous form): gone for good
        await store.hard_delete(conn, ids)
    actions.append(EvolveAction("purge", tuple(ids), None, f"older than {policy['retention_days']} days"))
    return len(ids)


def run_of(row: asyncpg.Record) -> EvolveRun:
    return EvolveRun(
        row["id"], row["dry_run"], row["trigger"], row["examined"], row["clusters"], row["consolidated"],
        row["forgotten"], row["purged"], row["started_at"], row["finished_at"],
    )  # fmt: skip
