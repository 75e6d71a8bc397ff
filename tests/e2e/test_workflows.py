"""Workflows against a real daemon, the real LangGraph and our real services, with the local OpenAI-wire
server standing in for the remote provider (a model per step, so each step's reply is scripted).

- the shipped example through the CLI: create, list, show, `runs start --watch` to its human step,
  `runs resume --watch` to the end; the draft came from the gateway, the usage rows carry the run id,
  the approved brief is in the owner's memory;
- a bad definition is INVALID_ARGUMENT naming the path; another org's workflow and run read as missing;
- cancellation mid-step; budget exhaustion mid-run (FAILED with RESOURCE_EXHAUSTED);
- `auralinkd serve` itself (under -X importtime) imports no workflow framework up to serving and stopping;
- each run's state changes reach its organization's WatchEvents (names and ids only), and no other org's.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any
from uuid import UUID

import asyncpg
import grpc
import pytest
import yaml

from auralink.v1 import (
    providers_pb2,
    providers_pb2_grpc,
    system_pb2,
    system_pb2_grpc,
    workflows_pb2,
    workflows_pb2_grpc,
)
from auralinkd.access.tokens import TokenService
from tests.fakes.openai_server import FakeOpenAI
from tests.support import WORKFLOW_FRAMEWORKS, Daemon, bearer

REPO = Path(__file__).resolve().parents[2]

EXAMPLE = REPO / "examples" / "workflows" / "research-brief.yaml"


def ok(result: subprocess.CompletedProcess[str]) -> subprocess.CompletedProcess[str]:
    assert result.returncode == 0, f"exit {result.returncode}: {result.stderr}\n{result.stdout}"
    return result


def as_json(daemon: Daemon, *args: str) -> Any:
    result = daemon.cli("-o", "json", *args, timeout_s=120)
    assert result.returncode == 0, f"{args}: exit {result.returncode}: {result.stderr}\n{daemon.logs()[-4000:]}"
    return json.loads(result.stdout)


def json_lines(text: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def add_fake_provider(daemon: Daemon, fake: FakeOpenAI, models: list[str]) -> None:
    with daemon.channel() as channel:
        stub = providers_pb2_grpc.AIProviderServiceStub(channel)
        stub.CreateProvider(
            providers_pb2.CreateProviderRequest(
                provider=providers_pb2.Provider(
                    name="fake", type=providers_pb2.PROVIDER_TYPE_OPENAI_COMPATIBLE, base_url=fake.base_url,
                    models=models,
                )
            ),
            metadata=bearer(daemon.token), timeout=10,
        )  # fmt: skip
        stub.SetProviderKey(
            providers_pb2.SetProviderKeyRequest(provider="fake", api_key="sk-test", scope=providers_pb2.KEY_SCOPE_ORG),
            metadata=bearer(daemon.token),
            timeout=10,
        )


def definition_with_model(path: Path, model: str) -> str:
    """The example with its agent steps pinned to `model` (the gateway would otherwise pick the local one)."""
    value = yaml.safe_load(path.read_text())
    for node in value["nodes"]:
        if node["type"] == "agent":
            node["model"] = model
    return yaml.safe_dump(value)


async def usage_run_ids(dsn: str) -> list[str]:
    conn = await asyncpg.connect(dsn)
    try:
        rows = await conn.fetch("SELECT metadata->>'workflow_run_id' AS run FROM usage_records WHERE success")
        return [r["run"] for r in rows]
    finally:
        await conn.close()


def wait_state(stub: Any, daemon: Daemon, run_id: str, states: set[int], timeout_s: float = 60, token: str = "") -> Any:
    deadline = time.monotonic() + timeout_s
    while True:
        run = stub.GetRun(
            workflows_pb2.GetRunRequest(run_id=run_id), metadata=bearer(token or daemon.token), timeout=10
        )
        if run.state in states or time.monotonic() > deadline:
            return run
        time.sleep(0.2)


def test_example_workflow_through_the_cli(daemon: Daemon, pg16_fresh_dsn: str, tmp_path: Path) -> None:
    with FakeOpenAI() as fake:
        fake.behave("drafter", reply="Sea otters hold hands while they sleep.", prompt_tokens=20, completion_tokens=9)
        add_fake_provider(daemon, fake, ["drafter"])
        source = tmp_path / "research-brief.yaml"
        source.write_text(definition_with_model(EXAMPLE, "fake/drafter"))

        created = as_json(daemon, "workflows", "create", "-f", str(source))
        assert created["name"] == "research-brief" and created["engine"] == "langgraph" and created["version"] == 1
        again = as_json(daemon, "workflows", "create", "-f", str(source))
        assert again["version"] == 2 and again["id"] != created["id"]
        listed = as_json(daemon, "workflows", "list")["workflows"]
        assert [(w["name"], w["version"]) for w in listed] == [("research-brief", 2)]
        shown = as_json(daemon, "workflows", "show", "research-brief", "--version", "1")
        assert shown["id"] == created["id"]

        started = daemon.cli(
            "-o", "json", "runs", "start", "research-brief", "--input", "topic=sea otters", "--watch", timeout_s=180
        )
        assert started.returncode == 13, started.stderr  # waiting for input
        events = json_lines(started.stdout)
        kinds = [e["kind"] for e in events]
        assert kinds[0] == "run_started" and kinds[-1] == "interrupted", kinds
        assert ["step_started", "memory_read"] == kinds[1:3]
        tokens = "".join(e["data"]["text"] for e in events if e["kind"] == "llm_token")
        assert tokens == "Sea otters hold hands while they sleep."
        run_id = events[0]["run_id"]
        assert "Keep this brief about sea otters?" in events[-1]["data"]["prompt"]
        seqs = [e["seq"] for e in events if e["kind"] != "llm_token"]
        assert seqs == list(range(1, len(seqs) + 1))

        waiting = as_json(daemon, "runs", "show", run_id)
        assert waiting["state"] == "WAITING_INPUT" and waiting["current_step"] == "approve"

        resumed = daemon.cli("-o", "json", "runs", "resume", run_id, "--input", "yes", "--watch", timeout_s=180)
        assert resumed.returncode == 0, resumed.stderr
        tail = json_lines(resumed.stdout)
        assert tail[-1]["kind"] == "run_completed"
        assert "memory_write" in [e["kind"] for e in tail]
        done = as_json(daemon, "runs", "show", run_id)
        assert done["state"] == "COMPLETED"
        output = json.loads(done["output"])
        assert output["draft"] == "Sea otters hold hands while they sleep." and output["approve"] == "yes"
        UUID(output["remember"])  # the stored memory's id

        # The LLM call went through the gateway: one usage row, carrying the run id.
        assert fake.models_called() == ["drafter"]
        ok(daemon.cli("usage", timeout_s=60))  # flushes queued usage records before reporting
        assert asyncio.run(usage_run_ids(pg16_fresh_dsn)) == [run_id]
        # `usage --run RUN`: that run's calls only; a run without calls (or another org's) has none.
        of_run = as_json(daemon, "usage", "--run", run_id)
        assert [(r["model"], int(r["calls"]), int(r["prompt_tokens"])) for r in of_run["rows"]] == [
            ("drafter", 1, 20)
        ], of_run
        assert as_json(daemon, "usage", "--run", "00000000-0000-0000-0000-000000000000")["rows"] == []
        refused = daemon.cli("usage", "--run", "not-a-run")
        assert refused.returncode == 2 and "workflow_run_id" in refused.stderr, refused.stderr
        # The approved brief is in the owner's memory, found by the next run's recall step.
        second = daemon.cli(
            "-o", "json", "runs", "start", "research-brief", "--input", "topic=sea otters", "--watch", timeout_s=180
        )
        recall = next(e for e in json_lines(second.stdout) if e["kind"] == "memory_read")
        assert output["remember"] in recall["data"]["ids"]

        runs = as_json(daemon, "runs", "list")["runs"]
        assert {r["id"] for r in runs} >= {run_id} and len(runs) == 2
        cancelled = as_json(daemon, "runs", "cancel", json_lines(second.stdout)[0]["run_id"])
        assert cancelled["state"] == "CANCELLED"

        ok(daemon.cli("workflows", "rm", "research-brief", "--yes"))
        gone = daemon.cli("runs", "show", run_id)
        assert gone.returncode == 5, gone.stderr


def test_bad_definitions_and_other_orgs(daemon: Daemon, tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "engine: langgraph\nnodes:\n  - {id: a, type: agent, prompt: hi}\n  - {id: b, type: human, prompt: ok}\n"
        "  - {id: c, type: agent, prompt: x, agent: not-an-id}\n"
    )
    refused = daemon.cli("workflows", "create", "-f", str(bad), "--name", "bad")
    assert refused.returncode == 2 and "nodes[2].agent" in refused.stderr, refused.stderr
    edge = tmp_path / "edge.yaml"
    edge.write_text("nodes: [{id: a, type: agent, prompt: hi}]\nedges: [[a, nowhere]]\n")
    refused = daemon.cli("workflows", "create", "-f", str(edge), "--engine", "langgraph")
    assert refused.returncode == 2 and "edges[0].to" in refused.stderr, refused.stderr
    unknown = daemon.cli("workflows", "create", "-f", str(edge), "--engine", "airflow")
    assert unknown.returncode == 2 and "engine" in unknown.stderr
    broken = tmp_path / "broken.yaml"
    broken.write_text("nodes: [unclosed\n")
    refused = daemon.cli("workflows", "create", "-f", str(broken), "--engine", "langgraph")
    assert refused.returncode == 2 and "definition" in refused.stderr

    good = tmp_path / "good.yaml"
    good.write_text("engine: langgraph\nnodes: [{id: ask, type: human, prompt: 'name?'}]\n")
    created = as_json(daemon, "workflows", "create", "-f", str(good), "--name", "mine")
    run = as_json(daemon, "runs", "start", "mine")
    missing_input = daemon.cli("runs", "start", "mine", "--input", "bad key=1")
    assert missing_input.returncode == 2

    # Another org: the workflow and the run read exactly like missing ones.
    other = _other_org_token(daemon)
    env = {**daemon.env, "AURALINK_TOKEN": other}
    for args in (("workflows", "show", created["id"]), ("runs", "show", run["id"]), ("runs", "cancel", run["id"])):
        foreign = daemon.cli(*args, env=env)
        missing = daemon.cli(*args[:-1], "00000000-0000-0000-0000-000000000000", env=env)
        assert foreign.returncode == missing.returncode == 5, (foreign.stderr, missing.stderr)
    assert as_json(daemon, "runs", "show", run["id"])["state"] in ("RUNNING", "WAITING_INPUT")


def _other_org_token(daemon: Daemon) -> str:
    as_json(daemon, "orgs", "create", "Elsewhere", "--slug", "elsewhere")
    user = as_json(
        daemon, "users", "create", "--email", "eve@elsewhere.test", "--username", "eve", "--org", "elsewhere"
    )
    tokens = TokenService((daemon.data_dir / "jwt.secret").read_text().strip().encode())
    token, _ = tokens.issue(UUID(user["id"]), UUID(user["organization_id"]), None, ttl_s=600)
    return token


TWO_STEPS = """engine: langgraph
nodes:
  - {id: first, type: agent, prompt: "one", model: fake/gpt-4o-mini}
  - {id: second, type: agent, prompt: "two {first}", model: fake/gpt-4o}
edges: [[first, second]]
"""


# The same two LLM steps on each engine: steps `first` (gpt-4o-mini) then `second` (gpt-4o).
TWO_STEPS_ON = {
    "langgraph": TWO_STEPS,
    "autogen": """engine: autogen
task: "one"
agents:
  - {name: first, model: fake/gpt-4o-mini}
  - {name: second, model: fake/gpt-4o}
termination: {max_messages: 3}
""",
    "crewai": """engine: crewai
agents:
  - {id: a, role: First, goal: one, model: fake/gpt-4o-mini}
  - {id: b, role: Second, goal: two, model: fake/gpt-4o}
tasks:
  - {id: first, description: one, expected_output: a word, agent: a}
  - {id: second, description: two, expected_output: a word, agent: b}
""",
    "prefect": """engine: prefect
steps:
  - {id: first, prompt: one, model: fake/gpt-4o-mini}
  - {id: second, prompt: "two {first}", model: fake/gpt-4o, retries: 2}
""",
}


@pytest.mark.parametrize("engine", sorted(TWO_STEPS_ON))
def test_cancel_mid_step_and_budget_exhaustion_mid_run(daemon: Daemon, engine: str) -> None:
    with FakeOpenAI() as fake, daemon.channel() as channel:
        # Priced models (litellm's table): 50k prompt tokens of gpt-4o-mini cost $0.0075.
        fake.behave("gpt-4o-mini", reply="fine", prompt_tokens=50_000, completion_tokens=10)
        fake.behave("gpt-4o", reply="slow", delay_s=20)
        add_fake_provider(daemon, fake, ["gpt-4o-mini", "gpt-4o"])
        stub = workflows_pb2_grpc.WorkflowServiceStub(channel)
        meta = bearer(daemon.token)
        stub.CreateWorkflow(
            workflows_pb2.CreateWorkflowRequest(name="two", definition=TWO_STEPS_ON[engine]), metadata=meta, timeout=10
        )

        # Cancel while the second step waits on its (slow) model: the watch ends with run_cancelled. The watch
        # may wait minutes: Prefect's first run starts the daemon's local Prefect server (a fresh database;
        # 58-59 s at load ~8, up to the daemon's 300 s limit), heartbeats meanwhile.
        run = stub.StartRun(workflows_pb2.StartRunRequest(workflow="two"), metadata=meta, timeout=10)
        seen = []
        started = time.monotonic()
        try:
            for event in stub.WatchRun(workflows_pb2.WatchRunRequest(run_id=run.id), metadata=meta, timeout=360):
                if not event.heartbeat:
                    seen.append((event.kind, event.step, round(time.monotonic() - started, 1)))
                if (event.kind, event.step) == ("step_started", "second"):
                    cancelled = stub.CancelRun(workflows_pb2.CancelRunRequest(run_id=run.id), metadata=meta, timeout=10)
                    assert cancelled.state == workflows_pb2.RUN_STATE_CANCELLED
        except grpc.RpcError as exc:
            seen.append((f"WatchRun {exc.code().name}", exc.details(), round(time.monotonic() - started, 1)))
        if seen[-1][0] != "run_cancelled":  # say why it ended otherwise (a run_failed names its error)
            ended = stub.GetRun(workflows_pb2.GetRunRequest(run_id=run.id), metadata=meta, timeout=10)
            server_log = daemon.data_dir / "prefect" / "server.log"
            prefect = server_log.read_text(errors="replace")[-3000:] if server_log.exists() else ""
            raise AssertionError(f"{seen}: {ended.state} {ended.error}\n{daemon.logs()[-6000:]}\n{prefect}")
        final = stub.GetRun(workflows_pb2.GetRunRequest(run_id=run.id), metadata=meta, timeout=10)
        assert final.state == workflows_pb2.RUN_STATE_CANCELLED and final.error.startswith("CANCELLED")

        # A budget the first step uses up: the second step is refused, the run FAILED with the reason.
        fake.behave("gpt-4o", reply="never")
        providers_pb2_grpc.AIProviderServiceStub(channel).SetBudget(
            providers_pb2.SetBudgetRequest(
                budget=providers_pb2.Budget(
                    scope=providers_pb2.BUDGET_SCOPE_ORG, period=providers_pb2.BUDGET_PERIOD_DAY, limit_usd=0.01
                )
            ),
            metadata=meta, timeout=10,
        )  # fmt: skip
        fake.clear()
        run = stub.StartRun(workflows_pb2.StartRunRequest(workflow="two"), metadata=meta, timeout=10)
        failed = wait_state(stub, daemon, run.id, {workflows_pb2.RUN_STATE_FAILED, workflows_pb2.RUN_STATE_COMPLETED})
        assert failed.state == workflows_pb2.RUN_STATE_FAILED, failed
        assert failed.error.startswith("RESOURCE_EXHAUSTED:") and "budget" in failed.error, failed.error
        assert failed.current_step == "second"
        # $0.0075 spent before (the cancelled run's first step) is under $0.01: the first step runs and
        # uses the budget up; the second is refused before it reaches the provider.
        assert fake.models_called() == ["gpt-4o-mini"]


def test_daemon_start_imports_no_workflow_framework(daemon: Daemon, tmp_path: Path) -> None:
    """The daemon as `make run` starts it (`python -m auralinkd serve`), under -X importtime so that every module
    it imports is a line on its stderr, on the same database: serving, answering a call, and stopped, it has
    imported no workflow framework (they load with a run of their engine)."""
    daemon.stop()
    log = tmp_path / "importtime.log"
    with log.open("wb") as out:
        daemon.proc = subprocess.Popen(
            [sys.executable, "-X", "importtime", "-m", "auralinkd", "serve"], env=daemon.env, stdout=out,
            stderr=out, cwd=REPO,
        )  # fmt: skip
    daemon.wait_health("SERVING", timeout_s=120)
    ok(daemon.cli("status", timeout_s=60))
    assert daemon.stop() == 0
    lines = [line for line in log.read_text(errors="replace").splitlines() if line.startswith("import time:")]
    loaded = {line.rsplit("|", 1)[-1].strip().split(".")[0] for line in lines}
    assert {"auralinkd", "grpc", "asyncpg"} <= loaded, sorted(loaded)[:50]  # it did start, and importtime saw it
    for framework in WORKFLOW_FRAMEWORKS:
        assert framework not in loaded, f"daemon start imported {framework}"
    daemon.start()


def test_a_run_resumes_from_its_last_checkpoint_after_kill_9(pg16_fresh_dsn: str) -> None:
    """kill -9 while the second step waits on its model: the next daemon adopts the run (its lease lapsed)
    and LangGraph continues from the checkpoint after the first step, which is not called again. While the
    step waits, WatchRun sends keep-alive heartbeats at the daemon's interval."""
    import shutil
    import signal

    from tests.support import daemon_env, short_tempdir

    root = short_tempdir()
    env = daemon_env(root / "d", database_url=pg16_fresh_dsn, workflow_lease_s="3", watch_heartbeat_s="0.5")
    daemon = Daemon(root / "d", env)
    try:
        daemon.start()
        with FakeOpenAI() as fake:
            fake.behave("gpt-4o-mini", reply="first done")
            fake.behave("gpt-4o", reply="second done", delay_s=60)
            add_fake_provider(daemon, fake, ["gpt-4o-mini", "gpt-4o"])
            with daemon.channel() as channel:
                stub = workflows_pb2_grpc.WorkflowServiceStub(channel)
                meta = bearer(daemon.token)
                stub.CreateWorkflow(
                    workflows_pb2.CreateWorkflowRequest(name="two", definition=TWO_STEPS), metadata=meta, timeout=10
                )
                run = stub.StartRun(workflows_pb2.StartRunRequest(workflow="two"), metadata=meta, timeout=10)
                second_started, beats = False, 0
                for event in stub.WatchRun(workflows_pb2.WatchRunRequest(run_id=run.id), metadata=meta, timeout=60):
                    second_started |= (event.kind, event.step) == ("step_started", "second")
                    # While the second step waits a minute on its model, the quiet watch keeps alive.
                    if second_started and event.heartbeat:
                        assert event.run_id == run.id and event.seq == 0 and not event.kind
                        beats += 1
                        if beats == 2:
                            break
                assert beats == 2
            deadline = time.monotonic() + 30
            while "gpt-4o" not in fake.models_called() and time.monotonic() < deadline:
                time.sleep(0.05)  # the second step's call has reached the provider: kill it mid-call
            assert fake.models_called() == ["gpt-4o-mini", "gpt-4o"]
            daemon.stop(signal.SIGKILL)
            fake.behave("gpt-4o", reply="second done")
            daemon.start()
            with daemon.channel() as channel:
                stub = workflows_pb2_grpc.WorkflowServiceStub(channel)
                meta = bearer(daemon.token)
                done = wait_state(
                    stub, daemon, run.id, {workflows_pb2.RUN_STATE_COMPLETED, workflows_pb2.RUN_STATE_FAILED}
                )
                assert done.state == workflows_pb2.RUN_STATE_COMPLETED, (done, daemon.logs()[-3000:])
                assert json.loads(done.output) == {"first": "first done", "second": "second done"}
                kinds = [
                    (e.kind, e.step)
                    for e in stub.WatchRun(workflows_pb2.WatchRunRequest(run_id=run.id), metadata=meta, timeout=30)
                ]
            assert ("run_resumed", "") in kinds
            assert fake.models_called() == ["gpt-4o-mini", "gpt-4o", "gpt-4o"]  # first once; second again
    finally:
        daemon.stop()
        shutil.rmtree(root, ignore_errors=True)


TOOLS = """engine: langgraph
inputs: [why]
nodes:
  - {id: sum, type: tool, connection: fakes, tool: add, arguments: {a: 2, b: 3}}
  - {id: boom, type: tool, connection: fakes, tool: fail, arguments: {message: "broken because {why}"}}
edges: [[sum, boom]]
"""


def connect_fake_tools(channel: Any, meta: Any) -> None:
    """The MCP connection `fakes`: tests/fakes/mcp_servers.py over stdio (its add and fail tools)."""
    from auralink.v1 import mcp_pb2, mcp_pb2_grpc
    from tests.e2e.mcp_support import FAKES

    mcp_pb2_grpc.MCPServiceStub(channel).CreateConnection(
        mcp_pb2.CreateConnectionRequest(
            connection=mcp_pb2.MCPConnection(
                name="fakes", transport=mcp_pb2.MCP_TRANSPORT_STDIO, command=sys.executable, args=[FAKES]
            )
        ),
        metadata=meta, timeout=20,
    )  # fmt: skip


def test_tool_steps_call_mcp_and_a_tool_failure_fails_the_run(pg16_server: Any, migrated_templates: Any) -> None:
    from tests.e2e.mcp_support import mcp_daemon_on

    with mcp_daemon_on(pg16_server, migrated_templates) as daemon, daemon.channel() as channel:
        meta = bearer(daemon.token)
        connect_fake_tools(channel, meta)
        stub = workflows_pb2_grpc.WorkflowServiceStub(channel)
        stub.CreateWorkflow(
            workflows_pb2.CreateWorkflowRequest(name="tools", definition=TOOLS), metadata=meta, timeout=10
        )
        run = stub.StartRun(
            workflows_pb2.StartRunRequest(workflow="tools", inputs={"why": "the test says so"}),
            metadata=meta,
            timeout=10,
        )
        events = list(stub.WatchRun(workflows_pb2.WatchRunRequest(run_id=run.id), metadata=meta, timeout=90))
        finished = [json.loads(e.data) for e in events if (e.kind, e.step) == ("step_finished", "sum")]
        assert finished == [{"type": "tool", "output": "5"}]
        assert [e.step for e in events if e.kind == "tool_call"] == ["sum", "boom"]
        assert events[-1].kind == "run_failed"
        failed = stub.GetRun(workflows_pb2.GetRunRequest(run_id=run.id), metadata=meta, timeout=10)
        assert failed.state == workflows_pb2.RUN_STATE_FAILED and failed.current_step == "boom"
        assert "'fail'" in failed.error and "broken because the test says so" in failed.error, failed.error


class _Watch:
    """One WatchEvents stream read on a thread: its events (heartbeats left out) as they come."""

    def __init__(self, channel: Any, token: str) -> None:
        request = system_pb2.WatchEventsRequest(topics=["workflows."])
        request.heartbeat_interval.FromSeconds(1)
        self.events: list[Any] = []
        self._open = threading.Event()
        self._stream = system_pb2_grpc.SystemServiceStub(channel).WatchEvents(
            request, metadata=bearer(token), timeout=300
        )
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()
        assert self._open.wait(30), "WatchEvents sent no first heartbeat"

    def _read(self) -> None:
        with contextlib.suppress(grpc.RpcError):
            for event in self._stream:
                self._open.set()
                if not event.heartbeat:
                    self.events.append(event)

    def changes(self, run_id: str) -> list[str]:
        return [e.topic.removeprefix("workflows.runs.") for e in self.events if e.data["run_id"] == run_id]

    def close(self) -> None:
        self._stream.cancel()
        self._thread.join(10)


def test_run_state_changes_reach_the_orgs_watch_events_and_no_other_org(daemon: Daemon) -> None:
    other = _other_org_token(daemon)
    ask = "engine: langgraph\ninputs: [secret]\nnodes: [{id: ask, type: human, prompt: 'name?'}]\n"
    broken = "engine: langgraph\nnodes: [{id: a, type: agent, prompt: hi, model: nowhere/none}]\n"
    with daemon.channel() as channel:
        stub = workflows_pb2_grpc.WorkflowServiceStub(channel)
        mine, theirs = bearer(daemon.token), bearer(other)
        for name, source, meta in (("ask", ask, mine), ("broken", broken, mine), ("ask", ask, theirs)):
            stub.CreateWorkflow(workflows_pb2.CreateWorkflowRequest(name=name, definition=source), metadata=meta)
        watch_a, watch_b = _Watch(channel, daemon.token), _Watch(channel, other)
        try:
            waiting, done = {workflows_pb2.RUN_STATE_WAITING_INPUT}, {workflows_pb2.RUN_STATE_COMPLETED}

            def start(meta: Any, name: str = "ask") -> str:
                inputs = {"secret": "kept-out-of-events"} if name == "ask" else {}
                run_id = stub.StartRun(workflows_pb2.StartRunRequest(workflow=name, inputs=inputs), metadata=meta).id
                return str(run_id)

            answered = start(mine)
            assert wait_state(stub, daemon, answered, waiting).state in waiting
            stub.ResumeRun(workflows_pb2.ResumeRunRequest(run_id=answered, input="Ada"), metadata=mine)
            assert wait_state(stub, daemon, answered, done).state in done
            cancelled = start(mine)
            assert wait_state(stub, daemon, cancelled, waiting).state in waiting
            stub.CancelRun(workflows_pb2.CancelRunRequest(run_id=cancelled), metadata=mine)
            failed = start(mine, "broken")
            assert wait_state(stub, daemon, failed, {workflows_pb2.RUN_STATE_FAILED}).state
            foreign = start(theirs)
            assert wait_state(stub, daemon, foreign, waiting, token=other).state in waiting

            expected = {
                answered: ["started", "interrupted", "resumed", "completed"],
                cancelled: ["started", "interrupted", "cancelled"],
                failed: ["started", "failed"],
            }
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline and (
                any(watch_a.changes(r) != c for r, c in expected.items())
                or watch_b.changes(foreign) != ["started", "interrupted"]
            ):
                time.sleep(0.2)
        finally:
            watch_a.close()
            watch_b.close()
    assert {r: watch_a.changes(r) for r in expected} == expected
    assert watch_b.changes(foreign) == ["started", "interrupted"]
    # Each org saw its own runs and nothing of the other's; the per-run events (tokens, outputs) stay off it.
    org_a, org_b = {e.organization_id for e in watch_a.events}, {e.organization_id for e in watch_b.events}
    assert len(org_a) == len(org_b) == 1 and org_a != org_b
    assert {e.data["run_id"] for e in watch_a.events} == set(expected)
    assert {e.data["run_id"] for e in watch_b.events} == {foreign}
    for event in watch_a.events + watch_b.events:
        assert event.topic.startswith("workflows.runs."), event.topic
        assert "kept-out-of-events" not in str(event) and "Ada" not in str(event)
    last = watch_a.events[-1]
    assert (last.data["workflow"], last.data["engine"], last.data["state"]) == ("broken", "langgraph", "failed")
