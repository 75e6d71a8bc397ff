"""Agents: CRUD with versions, streaming Chat with memory, conversations, and room assignments (with a live feed)."""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import asyncpg

from auralinkd.access.principal import Caller
from auralinkd.agents import store
from auralinkd.agents.memory import FactOutcome, MemoryPort
from auralinkd.agents.prompt import Personality, PromptParts, assemble, estimate_tokens, salient_facts
from auralinkd.agents.tools import AgentTools, ToolCall, validate_tools
from auralinkd.audit.service import AuditLog
from auralinkd.bus import EventBus
from auralinkd.db.database import Database
from auralinkd.errors import (
    Aborted,
    AlreadyExists,
    FailedPrecondition,
    InvalidArgument,
    NotFound,
    PermissionDenied,
)
from auralinkd.paging import decode_cursor, encode_cursor, page_size
from auralinkd.providers.catalog import split_ref
from auralinkd.providers.completions import CompletionRequest, CompletionService
from auralinkd.providers.config import LOCAL_PROVIDER
from auralinkd.providers.gateway import Completion, Delta
from auralinkd.streams import events

log = logging.getLogger(__name__)

AGENT_FIELDS = (
    "name",
    "description",
    "model",
    "temperature",
    "system_prompt",
    "memory_enabled",
    "voice_enabled",
    "tts_provider",
    "tts_voice_id",
    "personality",
    "max_tokens",
    "tools",
)
ROOM_ROLES = ("assistant", "participant", "moderator", "transcriber", "translator")
ROOMS_TOPIC = "agents.rooms."
RECALL_K = 5
MAX_MESSAGE_CHARS = 32_000
HEARTBEAT_S = 10.0  # WatchRoomAssignments' keep-alive


@dataclass(frozen=True)
class Agent:
    name: str
    model: str  # "<provider>/<model>"
    id: UUID | None = None
    description: str = ""
    temperature: float = 0.7
    system_prompt: str = ""
    memory_enabled: bool = True
    voice_enabled: bool = False
    tts_provider: str = ""
    tts_voice_id: str = ""
    personality: Personality = Personality()
    max_tokens: int = 0
    tools: tuple[str, ...] = ()  # "CONNECTION/TOOL" of MCP tools it may call
    version: int = 0
    created_by: UUID | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None

    @property
    def etag(self) -> str:
        return f"v{self.version}"


@dataclass(frozen=True, slots=True)
class Message:
    """One message of a conversation or of the prompt sent to the model."""

    role: str  # system, user or assistant
    content: str


def messages_of(items: list[dict[str, Any]]) -> list[Message]:
    """Chat messages in the model's (and the stored) form, {"role": ..., "content": ...}, as Message values."""
    return [Message(str(m.get("role", "")), str(m.get("content", ""))) for m in items]


@dataclass
class ChatEvent:
    conversation_id: UUID
    delta: str = ""
    recalled: list[str] = field(default_factory=list)
    prompt: list[Message] = field(default_factory=list)
    done: bool = False
    completion: Completion | None = None
    outcomes: list[FactOutcome] = field(default_factory=list)
    tool_call: ToolCall | None = None


@dataclass(frozen=True)
class Conversation:
    id: UUID
    agent_id: UUID
    user_id: UUID
    title: str
    message_count: int
    prompt_tokens: int
    completion_tokens: int
    created_at: datetime
    last_message_at: datetime | None
    messages: list[Message] = field(default_factory=list)

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> Conversation:
        return cls(**{**row, "messages": messages_of(row.get("messages") or [])})


@dataclass(frozen=True)
class RoomAssignment:
    id: UUID
    agent_id: UUID
    agent_name: str
    room_id: UUID
    role: str
    auto_join: bool
    assigned_by: UUID | None
    created_at: datetime
    updated_at: datetime


def agent_from_row(row: dict[str, Any]) -> Agent:
    personality = (row["settings"] or {}).get("personality") or {}
    return Agent(
        id=row["id"],
        name=row["name"],
        model=f"{row['provider']}/{row['model']}",
        description=row["description"] or "",
        temperature=row["temperature"],
        system_prompt=row["system_prompt"],
        memory_enabled=row["memory_enabled"],
        voice_enabled=row["voice_enabled"],
        tts_provider=row["tts_provider"] or "",
        tts_voice_id=row["tts_voice_id"] or "",
        personality=Personality(tuple(personality.get("traits") or ()), personality.get("style") or ""),
        max_tokens=row["max_tokens"] or 0,
        tools=tuple((row["settings"] or {}).get("tools") or ()),
        version=row["version"],
        created_by=row["created_by"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
    )


def _row_values(agent: Agent) -> dict[str, Any]:
    provider, model = split_ref(agent.model)
    return {
        "name": agent.name.strip(),
        "description": agent.description or None,
        "model": model,
        "provider": provider,
        "system_prompt": agent.system_prompt,
        "temperature": agent.temperature,
        "max_tokens": agent.max_tokens or None,
        "memory_enabled": agent.memory_enabled,
        "voice_enabled": agent.voice_enabled,
        "tts_provider": agent.tts_provider or None,
        "tts_voice_id": agent.tts_voice_id or None,
        "settings": {
            "personality": {"traits": list(agent.personality.traits), "style": agent.personality.style},
            "tools": list(agent.tools),
        },
    }


def validate_agent(agent: Agent) -> None:
    name = agent.name.strip()
    if not 1 <= len(name) <= 100:
        raise InvalidArgument.for_field("name", "must be 1 to 100 characters")
    try:
        UUID(name)
        raise InvalidArgument.for_field("name", "must not look like an id (agents are addressed by id or name)")
    except ValueError:
        pass
    if not 0 <= agent.temperature <= 2:
        raise InvalidArgument.for_field("temperature", f"must be between 0 and 2, got {agent.temperature:g}")
    if not 0 <= agent.max_tokens <= 32768:
        raise InvalidArgument.for_field("max_tokens", f"must be between 0 and 32768, got {agent.max_tokens}")
    if len(agent.system_prompt) > 20_000:
        raise InvalidArgument.for_field("system_prompt", "must be at most 20000 characters")
    if len(agent.personality.traits) > 20 or any(len(t) > 60 for t in agent.personality.traits):
        raise InvalidArgument.for_field("personality.traits", "at most 20 traits of at most 60 characters")
    split_ref(agent.model)
    validate_tools(agent.tools)


def _assignment(row: dict[str, Any]) -> RoomAssignment:
    return RoomAssignment(
        row["id"],
        row["agent_id"],
        row["agent_name"],
        row["room_id"],
        row["role"],
        row["auto_join"],
        row["assigned_by"],
        row["created_at"],
        row["updated_at"],
    )


def _event_data(org_id: UUID, a: RoomAssignment) -> dict[str, Any]:
    return {
        "organization_id": str(org_id),
        "id": str(a.id),
        "agent_id": str(a.agent_id),
        "agent_name": a.agent_name,
        "room_id": str(a.room_id),
        "role": a.role,
        "auto_join": a.auto_join,
        "assigned_by": str(a.assigned_by or ""),
        "created_at": a.created_at.isoformat(),
        "updated_at": a.updated_at.isoformat(),
    }


def assignment_from_event(data: dict[str, Any]) -> RoomAssignment:
    return RoomAssignment(
        UUID(data["id"]),
        UUID(data["agent_id"]),
        data["agent_name"],
        UUID(data["room_id"]),
        data["role"],
        bool(data["auto_join"]),
        UUID(data["assigned_by"]) if data["assigned_by"] else None,
        datetime.fromisoformat(data["created_at"]),
        datetime.fromisoformat(data["updated_at"]),
    )


def _uuid(field_name: str, value: str) -> UUID:
    try:
        return UUID(value)
    except (ValueError, TypeError):
        raise InvalidArgument.for_field(field_name, f"must be a UUID, got {value!r}") from None


class AgentService:
    def __init__(
        self,
        database: Database,
        audit: AuditLog,
        bus: EventBus,
        completions: CompletionService,
        memory: MemoryPort | None,
        context_tokens: Callable[[str], int] | None = None,
        tools: AgentTools | None = None,
    ) -> None:
        self._database = database
        self._audit = audit
        self._bus = bus
        self._completions = completions
        self.memory = memory
        self._context_tokens = context_tokens or (lambda ref: 8192)
        self._tools = tools

    # -- CRUD -----------------------------------------------------------------------------------

    async def create(self, caller: Caller, agent: Agent, timeout_s: float | None = None) -> Agent:
        validate_agent(agent)
        await self._completions.check_model(caller, agent.model)
        async with self._database.tenant(caller.tenant, timeout_s=timeout_s) as conn:
            row = await store.insert_agent(conn, caller.principal.org_id, caller.principal.user_id, _row_values(agent))
            if row is None:
                raise AlreadyExists(f"an agent named {agent.name.strip()!r} already exists")
            await self._audit.record(
                conn,
                caller,
                "AgentService/CreateAgent",
                "ai_agent",
                str(row["id"]),
                metadata={"name": row["name"], "model": agent.model},
            )
        return agent_from_row(row)

    async def get(self, caller: Caller, ref: str) -> Agent:
        async with self._database.tenant(caller.tenant) as conn:
            return agent_from_row(await self._find(conn, ref))

    async def _find(self, conn: asyncpg.Connection, ref: str) -> dict[str, Any]:
        if not ref.strip():
            raise InvalidArgument.for_field("agent", "an agent id or name is needed")
        row = await store.get_agent(conn, ref.strip())
        if row is None:
            raise NotFound(f"no agent {ref!r}")
        return row

    async def _require_manager(self, caller: Caller, row: dict[str, Any], action: str) -> None:
        """Changing, deleting or placing an agent: its creator or an org admin; members may read and chat.

        The database's ai_agents policies (migration 013) hold the same rule.
        """
        if row["created_by"] == caller.principal.user_id or caller.principal.is_org_admin:
            return
        message = f"agent {row['name']!r} can be changed only by its creator or an org admin"
        await self._audit.record_denied(caller, action, message)
        raise PermissionDenied(message)

    async def list(self, caller: Caller, requested: int, token: str) -> tuple[list[Agent], str]:
        size = page_size(requested)
        cursor = decode_cursor(token)
        async with self._database.tenant(caller.tenant) as conn:
            rows = await store.list_agents(conn, str(cursor["n"]) if cursor else None, size + 1)
        more = len(rows) > size
        rows = rows[:size]
        return [agent_from_row(r) for r in rows], encode_cursor({"n": rows[-1]["name"]}) if more and rows else ""

    async def update(
        self, caller: Caller, ref: str, changes: Agent, paths: list[str], etag: str, version: int
    ) -> Agent:
        unknown = [p for p in paths if p not in AGENT_FIELDS and not p.startswith("personality.")]
        if unknown:
            raise InvalidArgument.for_field("update_mask", f"unknown field(s) {', '.join(unknown)}")
        fields = {("personality" if p.startswith("personality.") else p) for p in (paths or AGENT_FIELDS)}
        async with self._database.tenant(caller.tenant) as conn:
            row = await self._find(conn, ref)
            await self._require_manager(caller, row, "AgentService/UpdateAgent")
            current = agent_from_row(row)
            if (etag and etag != current.etag) or (version and version != current.version):
                raise Aborted(
                    f"agent {current.name!r} changed since it was read (now version {current.version}); read it again"
                )
            updated = replace(current, **{f: getattr(changes, f) for f in fields})
            validate_agent(updated)
            if "model" in fields:
                await self._completions.check_model(caller, updated.model)
            if updated.name.strip() != current.name and await store.name_taken(conn, updated.name.strip(), current.id):  # type: ignore[arg-type]
                raise AlreadyExists(f"an agent named {updated.name.strip()!r} already exists")
            new_row = await store.update_agent(conn, current.id, current.version, _row_values(updated))  # type: ignore[arg-type]
            if new_row is None:
                raise Aborted(f"agent {current.name!r} changed concurrently; read it again")
            await self._audit.record(
                conn,
                caller,
                "AgentService/UpdateAgent",
                "ai_agent",
                str(current.id),
                metadata={"fields": sorted(fields), "version": new_row["version"]},
            )
        return agent_from_row(new_row)

    async def delete(self, caller: Caller, ref: str) -> None:
        async with self._database.tenant(caller.tenant) as conn:
            row = await self._find(conn, ref)
            await self._require_manager(caller, row, "AgentService/DeleteAgent")
            assignments = await store.list_assignments(conn, row["id"], None)
            await store.delete_agent(conn, row["id"])
            await self._audit.record(
                conn, caller, "AgentService/DeleteAgent", "ai_agent", str(row["id"]), metadata={"name": row["name"]}
            )
        for a in assignments:  # the WebRTC server must see the agent leave its rooms
            await self._bus.publish(
                ROOMS_TOPIC + "unassigned",
                _event_data(caller.principal.org_id, _assignment(a)),
                org=caller.principal.org_id,
            )

    # -- chat -----------------------------------------------------------------------------------

    async def chat(
        self,
        caller: Caller,
        ref: str,
        message: str,
        conversation_id: str,
        max_tokens: int,
        timeout_s: float | None,
    ) -> AsyncIterator[ChatEvent]:
        if not message.strip():
            raise InvalidArgument.for_field("message", "must not be empty")
        if len(message) > MAX_MESSAGE_CHARS:
            raise InvalidArgument.for_field("message", f"must be at most {MAX_MESSAGE_CHARS} characters")
        if not 0 <= max_tokens <= 32768:
            raise InvalidArgument.for_field("max_tokens", f"must be between 0 and 32768, got {max_tokens}")
        deadline = None if timeout_s is None else time.monotonic() + timeout_s
        async with self._database.tenant(caller.tenant, timeout_s=timeout_s) as conn:
            agent = agent_from_row(await self._find(conn, ref))
            history: list[dict[str, Any]] = []
            if conversation_id:
                found = await store.get_conversation(conn, _uuid("conversation_id", conversation_id), True)
                if found is None or found["agent_id"] != agent.id:
                    raise NotFound(f"no conversation {conversation_id} with agent {agent.name!r}")
                history = found["messages"]
        assert agent.id is not None
        if agent.tools and split_ref(agent.model)[0] == LOCAL_PROVIDER:
            raise FailedPrecondition(
                f"agent {agent.name!r} has MCP tools, but {agent.model} cannot call tools: "
                "give it a model with tool calling (agents update --model) or remove its tools"
            )
        if agent.tools and self._tools is None:
            raise FailedPrecondition("this daemon has no MCP service for the agent's tools")
        conversation = UUID(conversation_id) if conversation_id else uuid.uuid4()
        recalled, outcomes = await self._recall(caller, agent, message, deadline)
        reply_tokens = max_tokens or agent.max_tokens or 256
        budget = max(256, self._context_tokens(agent.model) - reply_tokens)
        parts = PromptParts(agent.system_prompt, agent.personality, recalled, history, message)
        prompt = assemble(parts, budget, estimate_tokens)
        yield ChatEvent(conversation, recalled=recalled, prompt=messages_of(prompt))

        completion: Completion | None = None
        request = CompletionRequest(
            messages=prompt,
            models=[agent.model],
            max_tokens=reply_tokens,
            temperature=agent.temperature,
            agent_id=agent.id,
            operation="chat",
        )
        remaining = None if deadline is None else max(0.001, deadline - time.monotonic())
        if agent.tools:
            assert self._tools is not None
            async for step in self._tools.loop(caller, self._completions, request, agent.tools, deadline):
                if isinstance(step, ToolCall):
                    yield ChatEvent(conversation, tool_call=step)
                else:
                    completion = step
                    yield ChatEvent(conversation, delta=step.text)
        else:
            async for item in self._completions.stream(caller, request, remaining):
                if isinstance(item, Delta):
                    yield ChatEvent(conversation, delta=item.text)
                else:
                    completion = item
        assert completion is not None
        now = datetime.now(UTC).isoformat()
        turns = [
            {"role": "user", "content": message, "ts": now},
            {"role": "assistant", "content": completion.text, "ts": now},
        ]
        async with self._database.tenant(caller.tenant) as conn:
            await store.append_turns(
                conn,
                conversation,
                caller.principal.org_id,
                caller.principal.user_id,
                agent.id,
                message[:80],
                turns,
                completion.prompt_tokens,
                completion.completion_tokens,
            )
        outcomes.extend(await self._remember(caller, agent, message, conversation))
        yield ChatEvent(conversation, done=True, completion=completion, outcomes=outcomes)

    async def _recall(
        self, caller: Caller, agent: Agent, message: str, deadline: float | None
    ) -> tuple[list[str], list[FactOutcome]]:
        if not agent.memory_enabled:
            return [], []
        if self.memory is None:
            return [], [FactOutcome("", "skipped", detail="recall: the memory service is not available")]
        remaining = None if deadline is None else max(0.001, deadline - time.monotonic())
        try:
            return await self.memory.recall(
                caller,
                message,
                agent_id=agent.id,
                limit=RECALL_K,  # type: ignore[arg-type]
                timeout_s=remaining,
            ), []
        except Exception as exc:  # noqa: BLE001 - chat goes on without memories, and says so
            log.warning("recall failed for agent %s: %s", agent.id, type(exc).__name__)
            return [], [FactOutcome("", "failed", detail=f"recall failed: {type(exc).__name__}")]

    async def _remember(self, caller: Caller, agent: Agent, message: str, conversation: UUID) -> list[FactOutcome]:
        if not agent.memory_enabled:
            return []
        facts = salient_facts(message)
        if not facts:
            return []
        if self.memory is None:
            return [FactOutcome(f, "skipped", detail="the memory service is not available") for f in facts]
        return await self.memory.store_facts(caller, facts, agent_id=agent.id, conversation_id=conversation)  # type: ignore[arg-type]

    # -- conversations --------------------------------------------------------------------------

    async def list_conversations(
        self, caller: Caller, agent_ref: str, requested: int, token: str
    ) -> tuple[list[Conversation], str]:
        size = page_size(requested)
        cursor = decode_cursor(token)
        async with self._database.tenant(caller.tenant) as conn:
            agent_id = (await self._find(conn, agent_ref))["id"] if agent_ref else None
            after = (cursor["t"], cursor["i"]) if cursor else None
            rows = await store.list_conversations(conn, agent_id, after, size + 1)
        more = len(rows) > size
        rows = rows[:size]
        token = (
            encode_cursor({"t": rows[-1]["created_at"].isoformat(), "i": str(rows[-1]["id"])}) if more and rows else ""
        )
        return [Conversation.from_row(r) for r in rows], token

    async def get_conversation(self, caller: Caller, conversation_id: str) -> Conversation:
        async with self._database.tenant(caller.tenant) as conn:
            row = await store.get_conversation(conn, _uuid("id", conversation_id), True)
        if row is None:
            raise NotFound(f"no conversation {conversation_id}")
        return Conversation.from_row(row)

    async def delete_conversation(self, caller: Caller, conversation_id: str) -> None:
        ident = _uuid("id", conversation_id)
        async with self._database.tenant(caller.tenant) as conn:
            if not await store.delete_conversation(conn, ident):
                raise NotFound(f"no conversation {conversation_id}")
            await self._audit.record(conn, caller, "AgentService/DeleteConversation", "agent_conversation", str(ident))

    # -- rooms ----------------------------------------------------------------------------------

    async def assign_room(
        self, caller: Caller, agent_ref: str, room_id: str, role: str, auto_join: bool
    ) -> RoomAssignment:
        room = _uuid("room_id", room_id)
        role = role or "assistant"
        if role not in ROOM_ROLES:
            raise InvalidArgument.for_field("role", f"must be one of {', '.join(ROOM_ROLES)}, got {role!r}")
        async with self._database.tenant(caller.tenant) as conn:
            agent = await self._find(conn, agent_ref)
            await self._require_manager(caller, agent, "AgentService/AssignRoom")
            status = await store.room_status(conn, room)
            if status is None:
                raise NotFound(f"no room {room_id}")
            if status != "active":
                raise FailedPrecondition(f"room {room_id} is {status}; assign agents to an active room")
            row = await store.upsert_assignment(
                conn, caller.principal.org_id, agent["id"], room, role, auto_join, caller.principal.user_id
            )
            await self._audit.record(
                conn,
                caller,
                "AgentService/AssignRoom",
                "agent_room_assignment",
                str(row["id"]),
                metadata={"agent_id": str(agent["id"]), "room_id": room_id},
            )
        assignment = _assignment(row)
        await self._bus.publish(
            ROOMS_TOPIC + "assigned", _event_data(caller.principal.org_id, assignment), org=caller.principal.org_id
        )
        return assignment

    async def unassign_room(self, caller: Caller, agent_ref: str, room_id: str) -> None:
        room = _uuid("room_id", room_id)
        async with self._database.tenant(caller.tenant) as conn:
            agent = await self._find(conn, agent_ref)
            await self._require_manager(caller, agent, "AgentService/UnassignRoom")
            row = await store.delete_assignment(conn, agent["id"], room)
            if row is None:
                raise NotFound(f"agent {agent['name']!r} is not assigned to room {room_id}")
            await self._audit.record(
                conn,
                caller,
                "AgentService/UnassignRoom",
                "agent_room_assignment",
                str(row["id"]),
                metadata={"agent_id": str(agent["id"]), "room_id": room_id},
            )
        await self._bus.publish(
            ROOMS_TOPIC + "unassigned",
            _event_data(caller.principal.org_id, _assignment(row)),
            org=caller.principal.org_id,
        )

    async def list_assignments(self, caller: Caller, agent_ref: str, room_id: str) -> list[RoomAssignment]:
        room = _uuid("room_id", room_id) if room_id else None
        async with self._database.tenant(caller.tenant) as conn:
            agent_id = (await self._find(conn, agent_ref))["id"] if agent_ref else None
            return [_assignment(r) for r in await store.list_assignments(conn, agent_id, room)]

    async def watch_assignments(self, caller: Caller, room_id: str) -> AsyncIterator[tuple[str, RoomAssignment | None]]:
        """("existing", a)… then ("snapshot_done", None), then ("assigned"|"unassigned", a) as they happen; raises
        EOFError once the bus closes. Keep-alive and shutdown: streams.Streams.keep_alive."""
        room = _uuid("room_id", room_id) if room_id else None
        org = str(caller.principal.org_id)
        subscription = self._bus.subscribe([ROOMS_TOPIC])  # before the snapshot: nothing falls in between
        try:
            for assignment in await self.list_assignments(caller, "", room_id):
                yield "existing", assignment
            yield "snapshot_done", None
            async for event in events(subscription):
                if event.data.get("organization_id") == org:
                    assignment = assignment_from_event(event.data)
                    if room is None or assignment.room_id == room:
                        yield event.topic.removeprefix(ROOMS_TOPIC), assignment
        finally:
            self._bus.unsubscribe(subscription)
