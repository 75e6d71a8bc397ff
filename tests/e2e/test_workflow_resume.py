"""Durability of the AutoGen, CrewAI and Prefect engines (LangGraph's is in test_workflows.py): a real daemon is
killed with SIGKILL while a run's second step waits on its model; the next daemon on the same database adopts
the run (its lease lapsed) and the engine continues from its checkpoint in our database. The first step's model
is not called again (the local OpenAI-wire server counts the calls), the second step reads the first's stored
output, the run completes with both outputs, and the events say where it resumed without a second
step_finished (or usage) for the first step.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import time
from typing import Any

import pytest

from auralink.v1 import workflows_pb2, workflows_pb2_grpc
from tests.e2e.test_workflows import add_fake_provider
from tests.fakes.openai_server import FakeOpenAI
from tests.support import Daemon, bearer, daemon_env, short_tempdir

# Step `first` (gpt-4o-mini, answers "first done") then `second` (gpt-4o), which reads the first's output.
TWO_STEPS = {
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
  - {id: second, description: two, expected_output: a word, agent: b, context: [first]}
""",
    "prefect": """engine: prefect
steps:
  - {id: first, prompt: one, model: fake/gpt-4o-mini}
  - {id: second, prompt: "two {first}", model: fake/gpt-4o}
""",
}


def _children(pid: int) -> list[int]:
    """The processes whose parent is `pid` (Linux /proc): the daemon's local Prefect server."""
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = open(f"/proc/{entry}/stat").read()  # noqa: SIM115 - read at once
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry))
    return found


def _kill_9(daemon: Daemon) -> None:
    """SIGKILL to the daemon and to its children (its local Prefect server), as when its container dies."""
    assert daemon.proc is not None
    children = _children(daemon.proc.pid)
    daemon.stop(signal.SIGKILL)
    for pid in children:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


def _wait_ended(stub: Any, meta: Any, run_id: str, timeout_s: float = 120) -> Any:
    """The run once it ended. Each call may wait long: the adopting daemon imports the framework first."""
    deadline = time.monotonic() + timeout_s
    ended = {workflows_pb2.RUN_STATE_COMPLETED, workflows_pb2.RUN_STATE_FAILED, workflows_pb2.RUN_STATE_CANCELLED}
    while True:
        run = stub.GetRun(workflows_pb2.GetRunRequest(run_id=run_id), metadata=meta, timeout=60)
        if run.state in ended or time.monotonic() > deadline:
            return run
        time.sleep(0.2)


def _final(engine: str, output: dict[str, Any]) -> dict[str, str]:
    """Each step's output as the engine's run output gives it."""
    if engine == "autogen":
        return {m["source"]: m["content"] for m in output["messages"]}
    if engine == "crewai":
        return dict(output["tasks"])
    return dict(output["steps"])


@pytest.mark.parametrize("engine", sorted(TWO_STEPS))
def test_a_run_resumes_after_its_last_finished_step_after_kill_9(pg16_fresh_dsn: str, engine: str) -> None:
    root = short_tempdir()
    daemon = Daemon(root / "d", daemon_env(root / "d", database_url=pg16_fresh_dsn, workflow_lease_s="2"))
    try:
        daemon.start()
        with FakeOpenAI() as fake:
            fake.behave("gpt-4o-mini", reply="first done")
            fake.behave("gpt-4o", reply="second done", delay_s=120)
            add_fake_provider(daemon, fake, ["gpt-4o-mini", "gpt-4o"])
            with daemon.channel() as channel:
                stub = workflows_pb2_grpc.WorkflowServiceStub(channel)
                meta = bearer(daemon.token)
                stub.CreateWorkflow(
                    workflows_pb2.CreateWorkflowRequest(name="two", definition=TWO_STEPS[engine]),
                    metadata=meta, timeout=30,
                )  # fmt: skip
                run = stub.StartRun(workflows_pb2.StartRunRequest(workflow="two"), metadata=meta, timeout=30)
            deadline = time.monotonic() + 90
            while "gpt-4o" not in fake.models_called() and time.monotonic() < deadline:
                time.sleep(0.05)  # the second step's call has reached the provider: kill the daemon mid-call
            assert fake.models_called() == ["gpt-4o-mini", "gpt-4o"], daemon.logs()[-3000:]
            _kill_9(daemon)
            fake.behave("gpt-4o", reply="second done")
            daemon.start()
            with daemon.channel() as channel:
                stub = workflows_pb2_grpc.WorkflowServiceStub(channel)
                meta = bearer(daemon.token)
                done = _wait_ended(stub, meta, run.id)
                assert done.state == workflows_pb2.RUN_STATE_COMPLETED, (done, daemon.logs()[-3000:])
                events = list(stub.WatchRun(workflows_pb2.WatchRunRequest(run_id=run.id), metadata=meta, timeout=60))
        assert fake.models_called() == ["gpt-4o-mini", "gpt-4o", "gpt-4o"]  # first once; second again
        outputs = _final(engine, json.loads(done.output))
        assert outputs["first"] == "first done" and outputs["second"] == "second done", outputs
        # The resumed second step read the first's output from the checkpoint.
        assert "first done" in json.dumps(fake.received[-1].body["messages"])
        kinds = [(e.kind, e.step) for e in events]
        restored = [e for e in events if e.kind == "checkpoint_restored"]
        assert len(restored) == 1 and restored[0].step == "second", kinds
        assert json.loads(restored[0].data)["completed"] == ["first"]
        assert kinds.count(("step_finished", "first")) == 1, kinds
        assert kinds.count(("step_finished", "second")) == 1, kinds
        assert kinds.index(("run_resumed", "")) < kinds.index(("checkpoint_restored", "second"))
        assert kinds[-1] == ("run_completed", "")
    finally:
        daemon.stop()
        shutil.rmtree(root, ignore_errors=True)
