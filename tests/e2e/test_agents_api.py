"""Agents, providers and translation over gRPC against a running daemon.

The first test is the issue's acceptance check: a real chat with the offline local model (loaded once, a
few tokens) with memory on; a fact stored by the first chat is recalled into the prompt of the second.
"""

from __future__ import annotations

import queue
import threading

import grpc
import pytest
from google.protobuf import field_mask_pb2

from auralink.v1 import agents_pb2, agents_pb2_grpc, providers_pb2, providers_pb2_grpc
from tests.fakes.openai_server import FakeOpenAI
from tests.support import Daemon, bearer, create_room

KEY = "sk-e2e-never-shown-1234abcd"


def agents(channel: grpc.Channel) -> agents_pb2_grpc.AgentServiceStub:
    return agents_pb2_grpc.AgentServiceStub(channel)


def chat(daemon: Daemon, request: agents_pb2.ChatRequest) -> list[agents_pb2.ChatResponse]:
    with daemon.channel() as channel:
        return list(agents(channel).Chat(request, metadata=bearer(daemon.token), timeout=600))


def test_chat_on_the_local_model_recalls_a_fact_stored_earlier(daemon: Daemon) -> None:
    with daemon.channel() as channel:
        agent = agents(channel).CreateAgent(
            agents_pb2.CreateAgentRequest(
                agent=agents_pb2.Agent(
                    name="helper",
                    model="local/smollm2-135m",
                    temperature=0,
                    memory_enabled=True,
                    system_prompt="You are a helpful assistant.",
                    personality=agents_pb2.Personality(traits=["friendly"], style="brief"),
                )
            ),
            metadata=bearer(daemon.token),
            timeout=120,
        )
    first = chat(
        daemon, agents_pb2.ChatRequest(agent="helper", message="My name is Priya. I live in Lisbon.", max_tokens=6)
    )
    assert first[-1].done and first[-1].usage.model == "local/smollm2-135m"
    assert "".join(r.delta for r in first) == "".join(r.delta for r in first if r.delta)
    assert first[-1].usage.completion_tokens >= 1
    stored = {o.fact: o.kind for o in first[-1].memory_outcomes}
    assert stored["I live in Lisbon."] == agents_pb2.MEMORY_OUTCOME_KIND_STORED

    second = chat(
        daemon, agents_pb2.ChatRequest(agent=agent.id, message="Where do I live?", max_tokens=6, include_prompt=True)
    )
    assert second[0].conversation_id != first[0].conversation_id
    assert "I live in Lisbon." in second[0].recalled_memories
    system = second[0].prompt[0]
    assert system.role == "system" and "- I live in Lisbon." in system.content and "friendly" in system.content
    assert second[0].prompt[-1].content == "Where do I live?"
    assert second[-1].done and "".join(r.delta for r in second).strip()

    with daemon.channel() as channel:
        history = agents(channel).GetConversation(
            agents_pb2.GetConversationRequest(id=first[0].conversation_id), metadata=bearer(daemon.token), timeout=10
        )
    assert [m.role for m in history.messages] == ["user", "assistant"]
    assert history.messages[0].content == "My name is Priya. I live in Lisbon."


def test_agents_providers_rooms_and_refusals_over_grpc(daemon: Daemon) -> None:
    md = bearer(daemon.token)
    with FakeOpenAI() as fake, daemon.channel() as channel:
        fake.behave("gpt-4o-mini", reply="bonjour le monde")
        providers = providers_pb2_grpc.AIProviderServiceStub(channel)
        stub = agents(channel)
        providers.CreateProvider(
            providers_pb2.CreateProviderRequest(
                provider=providers_pb2.Provider(
                    name="fake",
                    type=providers_pb2.PROVIDER_TYPE_OPENAI_COMPATIBLE,
                    base_url=fake.base_url,
                    models=["gpt-4o-mini"],
                )
            ),
            metadata=md,
            timeout=10,
        )

        # No key yet: FAILED_PRECONDITION with the hint.
        with pytest.raises(grpc.RpcError) as raised:
            providers.Complete(
                providers_pb2.CompleteRequest(
                    messages=[providers_pb2.ChatMessage(role="user", content="hi")], models=["fake/gpt-4o-mini"]
                ),
                metadata=md,
                timeout=120,
            )
        assert raised.value.code() == grpc.StatusCode.FAILED_PRECONDITION
        assert "auralink providers set-key fake" in raised.value.details()

        info = providers.SetProviderKey(
            providers_pb2.SetProviderKeyRequest(provider="fake", api_key=KEY, scope=providers_pb2.KEY_SCOPE_USER),
            metadata=md,
            timeout=10,
        )
        assert info.fingerprint.startswith("…abcd") and KEY not in str(info)
        listed = providers.ListProviderKeys(providers_pb2.ListProviderKeysRequest(), metadata=md, timeout=10)
        assert KEY not in str(listed)

        done = providers.Complete(
            providers_pb2.CompleteRequest(
                messages=[providers_pb2.ChatMessage(role="user", content="hi")], models=["fake/gpt-4o-mini"]
            ),
            metadata=md,
            timeout=30,
        )
        assert done.text == "bonjour le monde" and done.usage.cost_usd > 0
        assert fake.received[-1].authorization == f"Bearer {KEY}"

        translated = providers_pb2_grpc.TranslationServiceStub(channel).Translate(
            providers_pb2.TranslateRequest(text="hello world", target_language="fr", model="fake/gpt-4o-mini"),
            metadata=md,
            timeout=30,
        )
        assert translated.text == "bonjour le monde" and translated.target_language == "fr"
        with pytest.raises(grpc.RpcError) as raised:
            providers_pb2_grpc.TranslationServiceStub(channel).Translate(
                providers_pb2.TranslateRequest(text="hello", target_language="xx"), metadata=md, timeout=10
            )
        assert raised.value.code() == grpc.StatusCode.INVALID_ARGUMENT

        # Agents: create, stale update, bad temperature, unknown model.
        agent = stub.CreateAgent(
            agents_pb2.CreateAgentRequest(
                agent=agents_pb2.Agent(name="scribe", model="fake/gpt-4o-mini", temperature=0.3)
            ),
            metadata=md,
            timeout=30,
        )
        assert agent.version == 1
        update = agents_pb2.UpdateAgentRequest(
            agent=agents_pb2.Agent(id=agent.id, temperature=1.5, version=1),
            update_mask=field_mask_pb2.FieldMask(paths=["temperature"]),
        )
        assert stub.UpdateAgent(update, metadata=md, timeout=10).version == 2
        for bad, code in (
            (update, grpc.StatusCode.ABORTED),
            (
                agents_pb2.UpdateAgentRequest(
                    agent=agents_pb2.Agent(id=agent.id, temperature=3.5),
                    update_mask=field_mask_pb2.FieldMask(paths=["temperature"]),
                ),
                grpc.StatusCode.INVALID_ARGUMENT,
            ),
        ):
            with pytest.raises(grpc.RpcError) as raised:
                stub.UpdateAgent(bad, metadata=md, timeout=10)
            assert raised.value.code() == code
        with pytest.raises(grpc.RpcError) as raised:
            stub.CreateAgent(
                agents_pb2.CreateAgentRequest(agent=agents_pb2.Agent(name="x", model="nope/model")),
                metadata=md,
                timeout=10,
            )
        assert raised.value.code() == grpc.StatusCode.INVALID_ARGUMENT

        # Rooms: the watcher gets the snapshot, then the assignment within a second.
        room = create_room(daemon)
        events: queue.Queue[agents_pb2.RoomAssignmentEvent] = queue.Queue()
        watch = stub.WatchRoomAssignments(agents_pb2.WatchRoomAssignmentsRequest(), metadata=md)

        def follow() -> None:
            try:
                for event in watch:
                    events.put(event)
            except grpc.RpcError:
                pass

        threading.Thread(target=follow, daemon=True).start()
        assert events.get(timeout=10).kind == agents_pb2.ROOM_ASSIGNMENT_EVENT_KIND_SNAPSHOT_DONE
        stub.AssignRoom(agents_pb2.AssignRoomRequest(agent="scribe", room_id=room), metadata=md, timeout=10)
        event = events.get(timeout=5)
        assert event.kind == agents_pb2.ROOM_ASSIGNMENT_EVENT_KIND_ASSIGNED and event.assignment.room_id == room
        assert event.assignment.auto_join
        stub.UnassignRoom(agents_pb2.UnassignRoomRequest(agent="scribe", room_id=room), metadata=md, timeout=10)
        assert events.get(timeout=5).kind == agents_pb2.ROOM_ASSIGNMENT_EVENT_KIND_UNASSIGNED
        watch.cancel()
    assert KEY not in daemon.logs()
