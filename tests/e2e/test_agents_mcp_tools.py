"""Agents use MCP tools: the local OpenAI-wire server asks for a tool (tool_calls), the real mcp-server-time runs
it through the daemon, and its result goes back to the model; the chat streams the call as an event."""

from __future__ import annotations

import json
from collections.abc import Iterator

import grpc
import pytest

from auralink.v1 import agents_pb2, agents_pb2_grpc, mcp_pb2, mcp_pb2_grpc, providers_pb2, providers_pb2_grpc
from tests.conftest import MigratedTemplates
from tests.e2e.mcp_support import TIME, mcp_daemon_on
from tests.fakes.openai_server import FakeOpenAI
from tests.support import Daemon, EmbeddedServer, bearer

pytestmark = pytest.mark.timeout(240)
ARGUMENTS = {"source_timezone": "UTC", "time": "12:00", "target_timezone": "Asia/Kolkata"}


@pytest.fixture(scope="module")
def mcp_daemon(pg16_server: EmbeddedServer, migrated_templates: MigratedTemplates) -> Iterator[Daemon]:
    with mcp_daemon_on(pg16_server, migrated_templates) as daemon:
        yield daemon


def test_an_agent_calls_the_real_time_tool_and_answers_with_its_result(mcp_daemon: Daemon) -> None:
    md = bearer(mcp_daemon.token)
    with FakeOpenAI() as fake, mcp_daemon.channel() as channel:
        fake.behave(
            "gpt-4o-mini",
            tool_calls=[{"name": "time__convert_time", "arguments": ARGUMENTS}],
            reply="In Kolkata: {tool_result}",
        )
        providers = providers_pb2_grpc.AIProviderServiceStub(channel)
        providers.CreateProvider(
            providers_pb2.CreateProviderRequest(
                provider=providers_pb2.Provider(
                    name="fake", type=providers_pb2.PROVIDER_TYPE_OPENAI_COMPATIBLE, base_url=fake.base_url,
                    models=["gpt-4o-mini"],
                )
            ),
            metadata=md,
        )  # fmt: skip
        providers.SetProviderKey(
            providers_pb2.SetProviderKeyRequest(
                provider="fake", api_key="sk-tools-1234", scope=providers_pb2.KEY_SCOPE_USER
            ),
            metadata=md,
        )
        mcp_pb2_grpc.MCPServiceStub(channel).CreateConnection(
            mcp_pb2.CreateConnectionRequest(
                connection=mcp_pb2.MCPConnection(name="time", transport=mcp_pb2.MCP_TRANSPORT_STDIO, command=TIME)
            ),
            metadata=md,
        )
        agents = agents_pb2_grpc.AgentServiceStub(channel)
        agent = agents.CreateAgent(
            agents_pb2.CreateAgentRequest(
                agent=agents_pb2.Agent(
                    name="clock", model="fake/gpt-4o-mini", memory_enabled=False, tools=["time/convert_time"]
                )
            ),
            metadata=md,
        )
        assert list(agent.tools) == ["time/convert_time"]
        responses = list(
            agents.Chat(
                agents_pb2.ChatRequest(agent="clock", message="12:00 UTC in Kolkata?"), metadata=md, timeout=120
            )
        )
        calls = [r.tool_call for r in responses if r.HasField("tool_call")]
        assert [(c.step, c.connection, c.tool, c.is_error) for c in calls] == [(1, "time", "convert_time", False)]
        assert "Asia/Kolkata" in calls[0].result and "T17:30:00" in calls[0].result
        reply = "".join(r.delta for r in responses)
        assert reply.startswith("In Kolkata: ") and "T17:30:00" in reply
        done = responses[-1]
        assert done.done and done.usage.prompt_tokens == 24 and done.usage.completion_tokens == 14

        chat_requests = [r.body for r in fake.received if r.path.endswith("/chat/completions")]
        assert len(chat_requests) == 2
        assert chat_requests[0]["tools"][0]["function"]["name"] == "time__convert_time"
        tool_message = chat_requests[1]["messages"][-1]
        assert tool_message["role"] == "tool" and "T17:30:00" in tool_message["content"]

        # The same from the CLI: give the agent its tools, chat, see the call.
        updated = mcp_daemon.cli("-o", "json", "agents", "update", "clock", "--tool", "time/convert_time")
        assert updated.returncode == 0 and json.loads(updated.stdout)["tools"] == ["time/convert_time"]
        chat = mcp_daemon.cli("-o", "json", "agents", "chat", "clock", "-m", "12:00 UTC in Kolkata?", timeout_s=120)
        assert chat.returncode == 0, chat.stderr
        result = json.loads(chat.stdout)
        assert [(c["connection"], c["tool"]) for c in result["tool_calls"]] == [("time", "convert_time")]
        assert "T17:30:00" in result["reply"]


def test_the_local_model_with_tools_is_failed_precondition(mcp_daemon: Daemon) -> None:
    md = bearer(mcp_daemon.token)
    with mcp_daemon.channel() as channel:
        agents = agents_pb2_grpc.AgentServiceStub(channel)
        agents.CreateAgent(
            agents_pb2.CreateAgentRequest(
                agent=agents_pb2.Agent(
                    name="tiny", model="local/smollm2-135m", memory_enabled=False, tools=["time/convert_time"]
                )
            ),
            metadata=md,
        )
        with pytest.raises(grpc.RpcError) as caught:
            list(agents.Chat(agents_pb2.ChatRequest(agent="tiny", message="time?"), metadata=md, timeout=60))
    assert caught.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert "cannot call tools" in caught.value.details()
    bad = agents_pb2.Agent(name="bad", model="local/smollm2-135m", tools=["no-slash"])
    with mcp_daemon.channel() as channel, pytest.raises(grpc.RpcError) as invalid:
        agents_pb2_grpc.AgentServiceStub(channel).CreateAgent(agents_pb2.CreateAgentRequest(agent=bad), metadata=md)
    assert invalid.value.code() == grpc.StatusCode.INVALID_ARGUMENT
