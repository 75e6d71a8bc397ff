"""Agents data: agents and their room assignments, create/update/delete/assign, and a streamed chat."""

from __future__ import annotations

from typing import Any

from google.protobuf.field_mask_pb2 import FieldMask

from auralink.v1 import agents_pb2 as pb
from tui import messages as m
from tui.sources.link import UNARY_TIMEOUT_S, Area

SERVICE = "auralink.v1.AgentService"
# Saving an agent checks its model with the daemon's provider gateway, loaded on first use (~10 s).
SAVE_AGENT_TIMEOUT_S = 30.0


class AgentsSource(Area):
    NAME = "agents"

    async def on_connect(self) -> None:
        if self.link.unavailable_unless(self.NAME, SERVICE):
            await self.load_agents()

    async def load_agents(self) -> None:
        agents = self.client.agents
        resp = await self.link.act(
            "agents.list",
            lambda: agents.ListAgents(pb.ListAgentsRequest(page_size=200), metadata=self.md(), timeout=UNARY_TIMEOUT_S),
            self.NAME,
        )
        if resp is None:
            return
        rooms = await self.link.act(
            "agents.rooms",
            lambda: agents.ListRoomAssignments(
                pb.ListRoomAssignmentsRequest(), metadata=self.md(), timeout=UNARY_TIMEOUT_S
            ),
            self.NAME,
        )
        self.post(m.AgentsLoaded(list(resp.agents), list(rooms.assignments) if rooms is not None else []))

    async def save_agent(self, fields: dict[str, str], *, agent: Any = None) -> None:
        """Create an agent from `fields`, or update `agent` with them (a field mask of what changed)."""
        values: dict[str, Any] = dict(fields)
        if "tools" in values:  # the form's comma-separated CONNECTION/TOOL list
            values["tools"] = [t.strip() for t in values["tools"].split(",") if t.strip()]
        provider = values.pop("provider", "")
        model = values.pop("model", "")
        # The daemon keeps one "<provider>/<model>" reference; the form edits its two halves.
        if model or provider:
            values["model"] = model if "/" in model or not provider else f"{provider}/{model}"
        agents = self.client.agents
        if agent is None:
            action = "agents.create"
            create = pb.CreateAgentRequest(agent=pb.Agent(**values))  # type: ignore[arg-type]

            def call() -> Any:
                return agents.CreateAgent(create, metadata=self.md(), timeout=SAVE_AGENT_TIMEOUT_S)
        else:
            action = "agents.update"
            current = {k: list(getattr(agent, k)) if k == "tools" else getattr(agent, k) for k in values}
            changed = {k: v for k, v in values.items() if current[k] != v}
            update = pb.UpdateAgentRequest(
                agent=pb.Agent(id=agent.id, etag=agent.etag, **changed),  # type: ignore[arg-type]
                update_mask=FieldMask(paths=sorted(changed)),
            )

            def call() -> Any:
                return agents.UpdateAgent(update, metadata=self.md(), timeout=SAVE_AGENT_TIMEOUT_S)

        resp = await self.link.act(action, call, self.NAME)
        if resp is not None:
            self.post(m.ActionDone(action, f"{action.split('.')[1]}d agent {resp.name}"))
            await self.load_agents()

    async def delete_agent(self, agent: str, label: str = "") -> None:
        request = pb.DeleteAgentRequest(agent=agent)
        resp = await self.link.act(
            "agents.delete",
            lambda: self.client.agents.DeleteAgent(request, metadata=self.md(), timeout=UNARY_TIMEOUT_S),
            self.NAME,
        )
        if resp is not None:
            self.post(m.ActionDone("agents.delete", f"deleted agent {label or agent}"))
            await self.load_agents()

    async def assign_room(self, agent: str, room: str, label: str = "") -> None:
        request = pb.AssignRoomRequest(agent=agent, room_id=room)
        resp = await self.link.act(
            "agents.assign",
            lambda: self.client.agents.AssignRoom(request, metadata=self.md(), timeout=UNARY_TIMEOUT_S),
            self.NAME,
        )
        if resp is not None:
            self.post(m.ActionDone("agents.assign", f"agent {label or agent} assigned to room {room}"))
            await self.load_agents()

    async def chat(self, agent: str, message: str) -> None:
        """Stream the reply; each tool call of the agent's tool loop arrives as a message of its own."""

        async def consume() -> bool:
            request = pb.ChatRequest(agent=agent, message=message)
            async for chunk in self.client.agents.Chat(request, metadata=self.md()):
                if chunk.HasField("tool_call"):
                    self.post(m.AgentToolCall(agent, chunk.tool_call))
                if chunk.delta or chunk.done:
                    self.post(m.AgentReplyChunk(agent, chunk.delta, done=chunk.done))
            return True

        await self.link.act("agents.chat", consume, self.NAME)
