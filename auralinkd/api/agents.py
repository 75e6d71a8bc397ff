"""AgentService servicer: agents, streaming chat, conversations and room assignments, proto <-> domain."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from auralink.v1 import agents_pb2 as pb
from auralink.v1 import agents_pb2_grpc as pb_grpc
from auralinkd.agents.prompt import Personality
from auralinkd.agents.service import HEARTBEAT_S, Agent, AgentService, ChatEvent, Conversation, RoomAssignment
from auralinkd.agents.voice import VoiceChat, VoiceConfig, VoiceEvent
from auralinkd.api.context import current_caller
from auralinkd.api.convert import timestamp
from auralinkd.api.mcp import duration
from auralinkd.api.permissions import requires
from auralinkd.api.speech import decoded_frames, seconds
from auralinkd.errors import FailedPrecondition, InvalidArgument, PermissionDenied
from auralinkd.streams import Streams

_OUTCOMES = {
    "stored": pb.MEMORY_OUTCOME_KIND_STORED,
    "duplicate": pb.MEMORY_OUTCOME_KIND_DUPLICATE,
    "failed": pb.MEMORY_OUTCOME_KIND_FAILED,
    "skipped": pb.MEMORY_OUTCOME_KIND_SKIPPED,
}
_EVENT_KINDS = {
    "existing": pb.ROOM_ASSIGNMENT_EVENT_KIND_EXISTING,
    "snapshot_done": pb.ROOM_ASSIGNMENT_EVENT_KIND_SNAPSHOT_DONE,
    "assigned": pb.ROOM_ASSIGNMENT_EVENT_KIND_ASSIGNED,
    "unassigned": pb.ROOM_ASSIGNMENT_EVENT_KIND_UNASSIGNED,
    "heartbeat": pb.ROOM_ASSIGNMENT_EVENT_KIND_HEARTBEAT,
}


def agent_to_proto(a: Agent) -> pb.Agent:
    return pb.Agent(
        id=str(a.id or ""),
        name=a.name,
        description=a.description,
        model=a.model,
        provider=a.model.split("/", 1)[0],
        temperature=a.temperature,
        system_prompt=a.system_prompt,
        memory_enabled=a.memory_enabled,
        voice_enabled=a.voice_enabled,
        tts_provider=a.tts_provider,
        tts_voice_id=a.tts_voice_id,
        personality=pb.Personality(traits=list(a.personality.traits), style=a.personality.style),
        max_tokens=a.max_tokens,
        tools=list(a.tools),
        version=a.version,
        etag=a.etag,
        created_by=str(a.created_by or ""),
        create_time=timestamp(a.created_at),
        update_time=timestamp(a.updated_at),
    )


def agent_from_proto(a: pb.Agent) -> Agent:
    model = a.model.strip()
    if a.provider and "/" not in model and model:
        model = f"{a.provider.strip()}/{model}"
    temperature = a.temperature
    return Agent(
        name=a.name,
        model=model,
        description=a.description,
        temperature=temperature,
        system_prompt=a.system_prompt,
        memory_enabled=a.memory_enabled,
        voice_enabled=a.voice_enabled,
        tts_provider=a.tts_provider,
        tts_voice_id=a.tts_voice_id,
        personality=Personality(tuple(t.strip() for t in a.personality.traits if t.strip()), a.personality.style),
        max_tokens=a.max_tokens,
        tools=tuple(t.strip() for t in a.tools if t.strip()),
    )


def conversation_to_proto(c: Conversation) -> pb.Conversation:
    return pb.Conversation(
        id=str(c.id),
        agent_id=str(c.agent_id),
        user_id=str(c.user_id),
        title=c.title or "",
        message_count=c.message_count,
        prompt_tokens=c.prompt_tokens,
        completion_tokens=c.completion_tokens,
        create_time=timestamp(c.created_at),
        last_message_time=timestamp(c.last_message_at),
        messages=[pb.ConversationMessage(role=m.role, content=m.content) for m in c.messages],
    )


def assignment_to_proto(a: RoomAssignment) -> pb.RoomAssignment:
    return pb.RoomAssignment(
        id=str(a.id),
        agent_id=str(a.agent_id),
        agent_name=a.agent_name,
        room_id=str(a.room_id),
        role=a.role,
        auto_join=a.auto_join,
        assigned_by=str(a.assigned_by or ""),
        create_time=timestamp(a.created_at),
        update_time=timestamp(a.updated_at),
    )


_VOICE_INPUTS = {
    pb.VOICE_INPUT_UNSPECIFIED: "file",
    pb.VOICE_INPUT_FILE: "file",
    pb.VOICE_INPUT_PCM_S16LE: "pcm",
    pb.VOICE_INPUT_OPUS: "opus",
}


def tool_call_to_proto(t: Any) -> pb.ChatToolCall:
    return pb.ChatToolCall(
        step=t.step, connection=t.connection, tool=t.tool, arguments_json=t.arguments_json, result=t.result,
        is_error=t.is_error, duration=duration(t.duration_s),
    )  # fmt: skip


def usage_to_proto(c: Any) -> pb.ChatUsage:
    return pb.ChatUsage(
        prompt_tokens=c.prompt_tokens, completion_tokens=c.completion_tokens, cost_usd=c.cost_usd, model=c.ref,
        failovers=c.failovers,
    )  # fmt: skip


def outcome_to_proto(o: Any) -> pb.MemoryOutcome:
    kind = _OUTCOMES.get(o.kind, pb.MEMORY_OUTCOME_KIND_UNSPECIFIED)
    return pb.MemoryOutcome(fact=o.fact, kind=kind, memory_id=o.memory_id, detail=o.detail)


def voice_config(message: pb.VoiceChatConfig) -> VoiceConfig:
    return VoiceConfig(
        agent=message.agent, conversation_id=message.conversation_id, input=_VOICE_INPUTS[message.input],
        voice=message.voice, speed=message.speed, max_tokens=message.max_tokens, pace_audio=message.pace_audio,
        partial_interval_ms=message.partial_interval_ms or 1000,
    )  # fmt: skip


def voice_to_proto(e: VoiceEvent) -> pb.VoiceChatResponse:
    response = pb.VoiceChatResponse(turn=e.turn, conversation_id=e.conversation_id, sequence=e.sequence)
    if e.kind == "transcript":
        response.transcript.CopyFrom(
            pb.VoiceTranscript(
                final=e.final, text=e.text, start=seconds(e.start_s), end=seconds(e.end_s), confidence=e.confidence
            )
        )
    elif e.kind == "delta":
        response.delta = e.text
    elif e.kind == "audio":
        response.audio.CopyFrom(pb.VoiceAudio(pcm=e.pcm, sample_rate=e.sample_rate, text=e.text))
    elif e.kind == "interrupted":
        response.interrupted.CopyFrom(pb.VoiceInterrupted(audio_sent=seconds(e.seconds)))
    elif e.kind == "tool_call":
        response.tool_call.CopyFrom(tool_call_to_proto(e.tool_call))
    elif e.kind == "done":
        assert e.completion is not None
        response.done.CopyFrom(
            pb.VoiceTurnDone(
                reply=e.text, usage=usage_to_proto(e.completion), finish_reason=e.completion.finish_reason,
                memory_outcomes=[outcome_to_proto(o) for o in e.outcomes], audio_duration=seconds(e.seconds),
                first_audio_latency=seconds(e.first_audio_latency_s),
            )
        )  # fmt: skip
    else:
        response.error = e.text
    return response


def chat_to_proto(event: ChatEvent, include_prompt: bool) -> pb.ChatResponse:
    response = pb.ChatResponse(
        conversation_id=str(event.conversation_id), delta=event.delta, recalled_memories=event.recalled, done=event.done
    )
    if event.tool_call is not None:
        response.tool_call.CopyFrom(tool_call_to_proto(event.tool_call))
    if include_prompt:
        response.prompt.extend(pb.PromptMessage(role=m.role, content=m.content) for m in event.prompt)
    if event.completion is not None:
        response.usage.CopyFrom(usage_to_proto(event.completion))
        response.finish_reason = event.completion.finish_reason
    response.memory_outcomes.extend(outcome_to_proto(o) for o in event.outcomes)
    return response


async def _turns(requests: AsyncIterator[pb.VoiceChatRequest]) -> AsyncIterator[bytes]:
    async for request in requests:
        if request.WhichOneof("part") != "audio":
            raise InvalidArgument.for_field(
                request.WhichOneof("part") or "audio", "with FILE input, each message after the config is `audio`"
            )
        yield request.audio


class AgentServicer(pb_grpc.AgentServiceServicer):
    def __init__(self, agents: AgentService, streams: Streams, voice: VoiceChat | None = None) -> None:
        self._agents = agents
        self._streams = streams
        self._voice = voice

    @requires("agents:create")
    async def CreateAgent(self, request: pb.CreateAgentRequest, context: Any) -> pb.Agent:
        agent = agent_from_proto(request.agent)
        return agent_to_proto(await self._agents.create(current_caller(), agent, context.time_remaining()))

    @requires("agents:read")
    async def GetAgent(self, request: pb.GetAgentRequest, context: Any) -> pb.Agent:
        return agent_to_proto(await self._agents.get(current_caller(), request.agent))

    @requires("agents:read")
    async def ListAgents(self, request: pb.ListAgentsRequest, context: Any) -> pb.ListAgentsResponse:
        agents, token = await self._agents.list(current_caller(), request.page_size, request.page_token)
        return pb.ListAgentsResponse(agents=[agent_to_proto(a) for a in agents], next_page_token=token)

    @requires("agents:update")
    async def UpdateAgent(self, request: pb.UpdateAgentRequest, context: Any) -> pb.Agent:
        a = request.agent
        updated = await self._agents.update(
            current_caller(), a.id or a.name, agent_from_proto(a), list(request.update_mask.paths), a.etag, a.version
        )
        return agent_to_proto(updated)

    @requires("agents:delete")
    async def DeleteAgent(self, request: pb.DeleteAgentRequest, context: Any) -> pb.DeleteAgentResponse:
        await self._agents.delete(current_caller(), request.agent)
        return pb.DeleteAgentResponse()

    @requires("chat:send")
    async def Chat(self, request: pb.ChatRequest, context: Any) -> AsyncIterator[pb.ChatResponse]:
        if request.max_tokens < 0:
            raise InvalidArgument.for_field("max_tokens", f"must be >= 0, got {request.max_tokens}")
        speaker = None
        if request.speak:
            caller = current_caller()
            if not caller.principal.can("chat:voice"):
                raise PermissionDenied("speak needs permission 'chat:voice'")
            if self._voice is None:
                raise FailedPrecondition("this daemon has no speech service to speak replies")
            speaker = await self._voice.open(caller, VoiceConfig(agent=request.agent))
        events = self._agents.chat(
            current_caller(),
            request.agent,
            request.message,
            request.conversation_id,
            request.max_tokens,
            context.time_remaining(),
        )
        async for event in events:
            response = chat_to_proto(event, request.include_prompt)
            if event.done and speaker is not None and event.completion is not None:
                assert self._voice is not None
                response.audio = await self._voice.spoken(current_caller(), *speaker, event.completion.text)
            yield response

    @requires("chat:voice")
    async def VoiceChat(
        self, requests: AsyncIterator[pb.VoiceChatRequest], context: Any
    ) -> AsyncIterator[pb.VoiceChatResponse]:
        first = await anext(aiter(requests), None)
        if first is None or first.WhichOneof("part") != "config":
            raise InvalidArgument.for_field("config", "the first message must carry the config")
        if self._voice is None:
            raise FailedPrecondition("this daemon has no speech service for voice chat")
        caller = current_caller()
        config = voice_config(first.config)
        agent, voice = await self._voice.open(caller, config)
        if config.input == "file":
            events = self._voice.run(caller, config, agent, voice, turns=_turns(requests))
        else:
            events = self._voice.run(caller, config, agent, voice, frames=decoded_frames(requests, config.input))
        async for event in events:
            yield voice_to_proto(event)

    @requires("chat:read")
    async def ListConversations(
        self, request: pb.ListConversationsRequest, context: Any
    ) -> pb.ListConversationsResponse:
        items, token = await self._agents.list_conversations(
            current_caller(), request.agent, request.page_size, request.page_token
        )
        return pb.ListConversationsResponse(
            conversations=[conversation_to_proto(c) for c in items], next_page_token=token
        )

    @requires("chat:read")
    async def GetConversation(self, request: pb.GetConversationRequest, context: Any) -> pb.Conversation:
        return conversation_to_proto(await self._agents.get_conversation(current_caller(), request.id))

    @requires("chat:delete")
    async def DeleteConversation(
        self, request: pb.DeleteConversationRequest, context: Any
    ) -> pb.DeleteConversationResponse:
        await self._agents.delete_conversation(current_caller(), request.id)
        return pb.DeleteConversationResponse()

    @requires("agents:assign")
    async def AssignRoom(self, request: pb.AssignRoomRequest, context: Any) -> pb.RoomAssignment:
        auto_join = request.auto_join if request.HasField("auto_join") else True
        assignment = await self._agents.assign_room(
            current_caller(), request.agent, request.room_id, request.role, auto_join
        )
        return assignment_to_proto(assignment)

    @requires("agents:assign")
    async def UnassignRoom(self, request: pb.UnassignRoomRequest, context: Any) -> pb.UnassignRoomResponse:
        await self._agents.unassign_room(current_caller(), request.agent, request.room_id)
        return pb.UnassignRoomResponse()

    @requires("agents:read")
    async def ListRoomAssignments(
        self, request: pb.ListRoomAssignmentsRequest, context: Any
    ) -> pb.ListRoomAssignmentsResponse:
        items = await self._agents.list_assignments(current_caller(), request.agent, request.room_id)
        return pb.ListRoomAssignmentsResponse(assignments=[assignment_to_proto(a) for a in items])

    @requires("agents:watch")
    async def WatchRoomAssignments(
        self, request: pb.WatchRoomAssignmentsRequest, context: Any
    ) -> AsyncIterator[pb.RoomAssignmentEvent]:
        feed = self._agents.watch_assignments(current_caller(), request.room_id)
        async for kind, assignment in self._streams.keep_alive(feed, lambda: ("heartbeat", None), HEARTBEAT_S):
            event = pb.RoomAssignmentEvent(kind=_EVENT_KINDS[kind])
            event.time.GetCurrentTime()
            if assignment is not None:
                event.assignment.CopyFrom(assignment_to_proto(assignment))
            yield event
