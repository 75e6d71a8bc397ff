"""What Chat needs from the memory service, as a small port, and the adapter over the real MemoryService."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol
from uuid import UUID

from auralinkd.access.principal import Caller


@dataclass(frozen=True)
class FactOutcome:
    fact: str
    kind: str  # stored, duplicate, failed, skipped
    memory_id: str = ""
    detail: str = ""


class MemoryPort(Protocol):
    async def recall(
        self, caller: Caller, query: str, *, agent_id: UUID, limit: int, timeout_s: float | None
    ) -> list[str]: ...

    async def store_facts(
        self, caller: Caller, facts: list[str], *, agent_id: UUID, conversation_id: UUID
    ) -> list[FactOutcome]: ...


class MemoryServiceAdapter:
    """Recall top-k in the agent's scope (the caller's memories with this agent); store facts with outcomes."""

    def __init__(self, memory: Any) -> None:
        self._memory = memory

    async def recall(
        self, caller: Caller, query: str, *, agent_id: UUID, limit: int, timeout_s: float | None
    ) -> list[str]:
        from auralinkd.memory.models import Scope

        result = await self._memory.recall(
            caller, query, scope=Scope(agent_id=agent_id), limit=limit, timeout_s=timeout_s
        )
        return [r.memory.content for r in result.results]

    async def store_facts(
        self, caller: Caller, facts: list[str], *, agent_id: UUID, conversation_id: UUID
    ) -> list[FactOutcome]:
        from auralinkd.memory.models import MemoryInput, Outcome, Scope

        if not facts:
            return []
        items = [
            MemoryInput(
                content=fact,
                scope=Scope(agent_id=agent_id),
                source="agent-chat",
                tags=("chat",),
                metadata={"conversation_id": str(conversation_id)},
            )
            for fact in facts
        ]
        try:
            results = await self._memory.store_batch(caller, items)
        except Exception as exc:  # noqa: BLE001 - reported per fact, never swallowed
            return [FactOutcome(f, "failed", detail=f"{type(exc).__name__}: {exc}"[:300]) for f in facts]
        kinds = {Outcome.STORED: "stored", Outcome.DEDUPED: "duplicate", Outcome.REJECTED: "failed"}
        return [
            FactOutcome(fact, kinds.get(r.outcome, "failed"), str(r.memory_id or ""), r.reason)
            for fact, r in zip(facts, results, strict=True)
        ]
