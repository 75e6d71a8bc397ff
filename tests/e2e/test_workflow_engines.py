"""The engines other than LangGraph against a real daemon, the real frameworks and our real services, with the
local OpenAI-wire server standing in for the remote provider (a model per agent, so each reply is scripted).

AutoGen:
- the shipped example through the CLI (`runs start --watch`): a round-robin team until the critic approves;
  each agent's turn is a step, its tokens stream live, every LLM call is a usage row carrying the run id, the
  writer's memory recall and the remembered answer go through MemoryService as the run's owner;
- a selector team whose agent calls MCP tools through MCPService (one fails: the failure goes back to the
  model, as AutoGen does, and is an event), the selector's own calls through the gateway;

CrewAI: the shipped example through the CLI (tasks as steps, task context, usage rows with the run id, memory);
an agent's MCP tool (the real mcp-server-time) called from CrewAI's ReAct loop through MCPService.

Prefect: the shipped example through the CLI (a flow run on the daemon's local Prefect server, offline).

Every engine on the offline local model (SmolLM2): structure only.

Cancellation and budget exhaustion mid-run run on every engine in test_workflows.py.
"""

from __future__ import annotations

import asyncio
import json
import socket
from pathlib import Path
from typing import Any
from uuid import UUID

import yaml

from auralink.v1 import workflows_pb2, workflows_pb2_grpc
from tests.e2e.test_workflows import add_fake_provider, as_json, connect_fake_tools, json_lines, ok, usage_run_ids
from tests.fakes.openai_server import FakeOpenAI
from tests.support import Daemon, bearer

REPO = Path(__file__).resolve().parents[2]
AUTOGEN_EXAMPLE = REPO / "examples" / "workflows" / "autogen-review.yaml"


def _pinned(path: Path, models: dict[str, str]) -> str:
    value = yaml.safe_load(path.read_text())
    for agent in value["agents"]:
        agent["model"] = models[agent["name"]]
    return yaml.safe_dump(value)


SELECTOR_TOOLS = """engine: autogen
inputs: [a]
task: "Add {a} and 3, then check it."
team: selector
selector: {model: fake/chooser}
agents:
  - {name: calc, description: Does arithmetic with tools., model: fake/calc, tools: [fakes/add, fakes/fail]}
  - {name: idle, description: Does nothing., model: fake/idle}
termination: {max_messages: 2}
"""


def test_autogen_example_and_tools(pg16_server: Any, migrated_templates: Any, tmp_path: Path) -> None:
    from tests.e2e.mcp_support import mcp_daemon_on

    with mcp_daemon_on(pg16_server, migrated_templates) as daemon, FakeOpenAI() as fake:
        fake.behave("writer", reply="Sea otters hold hands while they sleep.", prompt_tokens=30, completion_tokens=9)
        fake.behave("critic", reply="APPROVED: accurate and clear.", prompt_tokens=40, completion_tokens=5)
        add_fake_provider(daemon, fake, ["writer", "critic", "chooser", "calc", "idle"])
        source = tmp_path / "autogen-review.yaml"
        source.write_text(_pinned(AUTOGEN_EXAMPLE, {"writer": "fake/writer", "critic": "fake/critic"}))
        created = as_json(daemon, "workflows", "create", "-f", str(source))
        assert created["engine"] == "autogen" and created["name"] == "autogen-review"

        started = daemon.cli(
            "-o", "json", "runs", "start", "autogen-review", "--input", "topic=sea otters", "--watch", timeout_s=180
        )
        assert started.returncode == 0, (started.stderr, daemon.logs()[-3000:])
        events = json_lines(started.stdout)
        run_id = events[0]["run_id"]
        steps = [(e["kind"], e["step"]) for e in events if e["kind"] in ("step_started", "step_finished")]
        assert steps == [
            ("step_started", "writer"), ("step_finished", "writer"),
            ("step_started", "critic"), ("step_finished", "critic"),
        ], steps  # fmt: skip
        kinds = [e["kind"] for e in events if e["kind"] != "llm_token"]
        assert kinds[0] == "run_started" and kinds[-1] == "run_completed" and "memory_read" in kinds, kinds
        assert "memory_write" in kinds
        writer = next(e for e in events if (e["kind"], e["step"]) == ("step_finished", "writer"))
        assert writer["data"]["output"] == "Sea otters hold hands while they sleep."
        assert writer["data"]["model"] == "fake/writer" and writer["data"]["prompt_tokens"] == 30
        tokens = "".join(e["data"]["text"] for e in events if e["kind"] == "llm_token" and e["step"] == "critic")
        assert tokens == "APPROVED: accurate and clear."

        done = as_json(daemon, "runs", "show", run_id)
        assert done["state"] == "COMPLETED" and done["engine"] == "autogen"
        output = json.loads(done["output"])
        assert output["answer"] == "APPROVED: accurate and clear."
        assert [m["source"] for m in output["messages"]] == ["writer", "critic"]
        assert "APPROVED" in output["stop_reason"]
        UUID(output["memory_id"])
        # The critic's system message got the input; the writer's context got no memories (none yet).
        critic_body = next(r.body for r in fake.received if r.model == "critic")
        assert "briefs about sea otters" in critic_body["messages"][0]["content"]
        assert fake.models_called() == ["writer", "critic"]
        ok(daemon.cli("usage", timeout_s=60))  # flushes queued usage records
        assert asyncio.run(usage_run_ids(daemon.env["AURALINK_DATABASE_URL"])) == [run_id, run_id]

        # A second run: the writer's memory step finds the remembered answer and puts it in its context.
        fake.clear()
        again = daemon.cli("-o", "json", "runs", "start", "autogen-review", "--input", "topic=sea otters", "--watch")
        assert again.returncode == 0, again.stderr
        read = next(e for e in json_lines(again.stdout) if e["kind"] == "memory_read")
        assert output["memory_id"] in read["data"]["ids"]
        writer_body = next(r.body for r in fake.received if r.model == "writer")
        assert any("APPROVED: accurate and clear." in m["content"] for m in writer_body["messages"])

        # A selector team; its agent calls two MCP tools (one fails) through MCPService.
        meta = bearer(daemon.token)
        with daemon.channel() as channel:
            connect_fake_tools(channel, meta)
            fake.behave("chooser", reply="calc")
            fake.behave(
                "calc", reply="the last tool said: {tool_result}",
                tool_calls=[{"name": "fakes__add", "arguments": {"a": 4, "b": 3}},
                            {"name": "fakes__fail", "arguments": {"message": "checked: no"}}],
            )  # fmt: skip
            stub = workflows_pb2_grpc.WorkflowServiceStub(channel)
            stub.CreateWorkflow(
                workflows_pb2.CreateWorkflowRequest(name="calc", definition=SELECTOR_TOOLS), metadata=meta, timeout=10
            )
            run = stub.StartRun(
                workflows_pb2.StartRunRequest(workflow="calc", inputs={"a": "4"}), metadata=meta, timeout=10
            )
            events = list(stub.WatchRun(workflows_pb2.WatchRunRequest(run_id=run.id), metadata=meta, timeout=120))
            assert events[-1].kind == "run_completed", [(e.kind, e.step, e.data) for e in events][-5:]
            results = [json.loads(e.data) for e in events if e.kind == "tool_result"]
            assert [(r["tool"], r["is_error"]) for r in results] == [("add", False), ("fail", True)]
            assert results[0]["output"] == "7" and "checked: no" in results[1]["output"]
            assert [e.step for e in events if e.kind == "tool_call"] == ["calc", "calc"]
            assert [e.step for e in events if e.kind == "step_finished"] == ["selector", "calc"]
            final = stub.GetRun(workflows_pb2.GetRunRequest(run_id=run.id), metadata=meta, timeout=10)
            assert json.loads(final.output)["answer"].startswith("the last tool said:")
            assert "checked: no" in json.loads(final.output)["answer"]


CREWAI_EXAMPLE = REPO / "examples" / "workflows" / "crewai-brief.yaml"


def test_crewai_example_through_the_cli(daemon: Daemon, tmp_path: Path) -> None:
    """The shipped CrewAI example: two sequential tasks, each a step; the writer's task reads the researcher's
    output (its context); every LLM call is a usage row carrying the run id; no telemetry leaves the daemon
    (the machine is offline: a telemetry call would fail the run or hang it). CrewAI's own files are in the
    data dir, none in the user's data home (XDG_DATA_HOME: ~/.local/share's place, here an empty folder)."""
    share = tmp_path / "share"
    daemon.stop()
    daemon.env["XDG_DATA_HOME"] = str(share)
    daemon.start()
    with FakeOpenAI() as fake:
        fake.behave("researcher", reply="Final Answer: Otters hold hands.", prompt_tokens=30, completion_tokens=6)
        fake.behave("writer", reply="Final Answer: Sea otters hold hands while they sleep.")
        add_fake_provider(daemon, fake, ["researcher", "writer"])
        value = yaml.safe_load(CREWAI_EXAMPLE.read_text())
        for agent in value["agents"]:
            agent["model"] = f"fake/{agent['id']}"
        source = tmp_path / "crewai-brief.yaml"
        source.write_text(yaml.safe_dump(value))
        created = as_json(daemon, "workflows", "create", "-f", str(source))
        assert created["engine"] == "crewai"

        started = daemon.cli(
            "-o", "json", "runs", "start", "crewai-brief", "--input", "topic=sea otters", "--watch", timeout_s=240
        )
        assert started.returncode == 0, (started.stdout[-2000:], daemon.logs()[-3000:])
        events = json_lines(started.stdout)
        run_id = events[0]["run_id"]
        steps = [(e["kind"], e["step"]) for e in events if e["kind"] in ("step_started", "step_finished")]
        assert steps == [
            ("step_started", "research"), ("step_finished", "research"),
            ("step_started", "brief"), ("step_finished", "brief"),
        ], steps  # fmt: skip
        research = next(e for e in events if (e["kind"], e["step"]) == ("step_finished", "research"))
        assert research["data"]["output"] == "Otters hold hands." and research["data"]["model"] == "fake/researcher"
        kinds = [e["kind"] for e in events if e["kind"] != "llm_token"]
        assert "memory_read" in kinds and "memory_write" in kinds and kinds[-1] == "run_completed"
        output = json.loads(as_json(daemon, "runs", "show", run_id)["output"])
        assert output["answer"] == "Sea otters hold hands while they sleep."
        assert output["tasks"] == {"research": "Otters hold hands.", "brief": "Sea otters hold hands while they sleep."}
        # The writer's prompt carries the research task's output (CrewAI's task context) and the input.
        writer = json.dumps(next(r.body for r in fake.received if r.model == "writer")["messages"])
        assert "Otters hold hands." in writer and "sea otters" in writer
        assert fake.models_called() == ["researcher", "writer"]
        ok(daemon.cli("usage", timeout_s=60))
        assert asyncio.run(usage_run_ids(daemon.env["AURALINK_DATABASE_URL"])) == [run_id, run_id]
    assert (daemon.data_dir / "crewai" / "latest_kickoff_task_outputs.db").is_file()
    assert not share.exists() or not any(share.iterdir()), sorted(str(p) for p in share.rglob("*"))


def test_a_prefect_run_whose_prefect_server_does_not_answer_fails_unavailable(daemon: Daemon) -> None:
    """AURALINK_PREFECT_API_URL on a port nothing listens on: the run ends FAILED with UNAVAILABLE naming the
    Prefect server (as one that is slow or refusing would), never INTERNAL, and WatchRun ends with run_failed."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    daemon.stop()
    daemon.env["AURALINK_PREFECT_API_URL"] = f"http://127.0.0.1:{port}/api"
    daemon.start()
    with daemon.channel() as channel:
        stub = workflows_pb2_grpc.WorkflowServiceStub(channel)
        meta = bearer(daemon.token)
        definition = "engine: prefect\nsteps: [{id: a, prompt: hi}]\n"
        stub.CreateWorkflow(
            workflows_pb2.CreateWorkflowRequest(name="one", definition=definition), metadata=meta, timeout=10
        )
        run = stub.StartRun(workflows_pb2.StartRunRequest(workflow="one"), metadata=meta, timeout=10)
        watch = stub.WatchRun(workflows_pb2.WatchRunRequest(run_id=run.id), metadata=meta, timeout=300)
        kinds = [e.kind for e in watch if not e.heartbeat]
        final = stub.GetRun(workflows_pb2.GetRunRequest(run_id=run.id), metadata=meta, timeout=10)
    assert kinds == ["run_started", "run_failed"], kinds
    assert final.state == workflows_pb2.RUN_STATE_FAILED
    assert final.error.startswith("UNAVAILABLE: the Prefect server refused or did not answer"), final.error


LOCAL_SMOKE = {
    "langgraph": "engine: langgraph\nnodes: [{id: answer, type: agent, prompt: 'Name a sea animal.', max_tokens: 8}]\n",
    "autogen": "engine: autogen\ntask: 'Name a sea animal.'\nagents: [{name: answer, max_tokens: 8}]\n"
    "termination: {max_messages: 2}\n",
    "crewai": "engine: crewai\nagents: [{id: a, role: Helper, goal: answer, max_tokens: 8}]\n"
    "tasks: [{id: answer, description: 'Name a sea animal.', expected_output: a word, agent: a}]\n",
    "prefect": "engine: prefect\nsteps: [{id: answer, prompt: 'Name a sea animal.', max_tokens: 8}]\n",
}


def test_each_engine_on_the_offline_local_model(daemon: Daemon) -> None:
    """Offline smoke: with no provider configured the gateway picks the local SmolLM2, for every engine. Only
    the structure is asserted (a completed run, the step, a usage row with the run id), not the wording."""
    meta = bearer(daemon.token)
    with daemon.channel() as channel:
        stub = workflows_pb2_grpc.WorkflowServiceStub(channel)
        runs = {}
        for engine, source in LOCAL_SMOKE.items():
            request = workflows_pb2.CreateWorkflowRequest(name=f"smoke-{engine}", definition=source)
            stub.CreateWorkflow(request, metadata=meta, timeout=10)
            run = stub.StartRun(workflows_pb2.StartRunRequest(workflow=f"smoke-{engine}"), metadata=meta, timeout=10)
            events = list(stub.WatchRun(workflows_pb2.WatchRunRequest(run_id=run.id), metadata=meta, timeout=240))
            assert events[-1].kind == "run_completed", (engine, [(e.kind, e.data[:300]) for e in events][-3:])
            finished = [json.loads(e.data) for e in events if (e.kind, e.step) == ("step_finished", "answer")]
            assert len(finished) == 1 and finished[0]["model"].startswith("local/"), (engine, finished)
            assert finished[0]["completion_tokens"] > 0
            runs[engine] = run.id
    ok(daemon.cli("usage", timeout_s=60))
    assert sorted(asyncio.run(usage_run_ids(daemon.env["AURALINK_DATABASE_URL"]))) == sorted(runs.values())


PREFECT_EXAMPLE = REPO / "examples" / "workflows" / "prefect-brief.yaml"


def test_prefect_example_through_the_cli(daemon: Daemon, tmp_path: Path) -> None:
    """The shipped Prefect example: each step a Prefect task of one flow run (its id in the output), on the daemon's
    local Prefect server with its database in the daemon's data dir; usage rows carry the run id."""
    with FakeOpenAI() as fake:
        fake.behave("drafter", reply="Otters hold hands. They float. They nap.")
        fake.behave("tightener", reply="Otters hold hands and nap.")
        add_fake_provider(daemon, fake, ["drafter", "tightener"])
        value = yaml.safe_load(PREFECT_EXAMPLE.read_text())
        value["steps"][0]["model"], value["steps"][1]["model"] = "fake/drafter", "fake/tightener"
        source = tmp_path / "prefect-brief.yaml"
        source.write_text(yaml.safe_dump(value))
        assert as_json(daemon, "workflows", "create", "-f", str(source))["engine"] == "prefect"
        started = daemon.cli(
            "-o", "json", "runs", "start", "prefect-brief", "--input", "topic=sea otters", "--watch", timeout_s=240
        )
        assert started.returncode == 0, (started.stdout[-2000:], daemon.logs()[-3000:])
        events = json_lines(started.stdout)
        run_id = events[0]["run_id"]
        steps = [(e["kind"], e["step"]) for e in events if e["kind"] in ("step_started", "step_finished")]
        assert steps == [
            ("step_started", "draft"), ("step_finished", "draft"),
            ("step_started", "tighten"), ("step_finished", "tighten"),
        ], steps  # fmt: skip
        output = json.loads(as_json(daemon, "runs", "show", run_id)["output"])
        assert output["steps"] == {
            "draft": "Otters hold hands. They float. They nap.",
            "tighten": "Otters hold hands and nap.",
        }
        UUID(output["flow_run_id"])
        tighten = json.dumps(next(r.body for r in fake.received if r.model == "tightener")["messages"])
        assert "They float." in tighten
        assert (daemon.data_dir / "prefect" / "prefect.db").exists()  # Prefect's own record of the flow run
        ok(daemon.cli("usage", timeout_s=60))
        assert asyncio.run(usage_run_ids(daemon.env["AURALINK_DATABASE_URL"])) == [run_id, run_id]


TIME_ARGUMENTS = {"source_timezone": "UTC", "time": "12:00", "target_timezone": "Asia/Kolkata"}
CREWAI_TOOLS = """engine: crewai
agents:
  - {id: clock, role: Clock, goal: "Tell times in other zones.", model: fake/clock, tools: [time/convert_time]}
tasks:
  - {id: convert, description: "What is 12:00 UTC in Kolkata?", expected_output: The time there., agent: clock}
"""


def test_crewai_agent_calls_a_real_mcp_tool(pg16_server: Any, migrated_templates: Any) -> None:
    """A CrewAI agent with a tool of an MCP connection (the real mcp-server-time over stdio): the scripted model
    asks for it in CrewAI's ReAct text, CrewAI calls it through MCPService, its result is an event, goes back to
    the model as CrewAI's observation, and the answer built on it is the run's output."""
    from auralink.v1 import mcp_pb2, mcp_pb2_grpc
    from tests.e2e.mcp_support import TIME, mcp_daemon_on

    # The tool as CrewAI names it to the model (its sanitised name of our `time__convert_time`).
    action = f"Thought: I convert it.\nAction: time_convert_time\nAction Input: {json.dumps(TIME_ARGUMENTS)}"
    with mcp_daemon_on(pg16_server, migrated_templates) as daemon, FakeOpenAI() as fake:
        fake.behave("clock", replies=[action, "Thought: I know it now.\nFinal Answer: 17:30 in Kolkata."])
        add_fake_provider(daemon, fake, ["clock"])
        meta = bearer(daemon.token)
        with daemon.channel() as channel:
            connection = mcp_pb2.MCPConnection(name="time", transport=mcp_pb2.MCP_TRANSPORT_STDIO, command=TIME)
            mcp_pb2_grpc.MCPServiceStub(channel).CreateConnection(
                mcp_pb2.CreateConnectionRequest(connection=connection), metadata=meta, timeout=30
            )
            stub = workflows_pb2_grpc.WorkflowServiceStub(channel)
            stub.CreateWorkflow(
                workflows_pb2.CreateWorkflowRequest(name="clock", definition=CREWAI_TOOLS), metadata=meta, timeout=10
            )
            run = stub.StartRun(workflows_pb2.StartRunRequest(workflow="clock"), metadata=meta, timeout=10)
            events = list(stub.WatchRun(workflows_pb2.WatchRunRequest(run_id=run.id), metadata=meta, timeout=180))
            assert events[-1].kind == "run_completed", [(e.kind, e.step, e.data[:300]) for e in events][-5:]
            calls = [(e.step, json.loads(e.data)) for e in events if e.kind == "tool_call"]
            assert calls == [("convert", {"connection": "time", "tool": "convert_time"})], calls
            results = [json.loads(e.data) for e in events if e.kind == "tool_result"]
            assert len(results) == 1 and not results[0]["is_error"], results
            # The real server's answer: 12:00 UTC is 17:30 in Kolkata (UTC+5:30), dated today.
            assert "Asia/Kolkata" in results[0]["output"] and "T17:30:00" in results[0]["output"]
            final = stub.GetRun(workflows_pb2.GetRunRequest(run_id=run.id), metadata=meta, timeout=10)
            assert json.loads(final.output)["answer"] == "17:30 in Kolkata."
        # CrewAI gave the tool's result back to the model as its observation, in the second (last) call.
        assert fake.models_called() == ["clock", "clock"]
        second = json.dumps(fake.received[-1].body["messages"])
        assert "T17:30:00" in second and "Observation" in second
