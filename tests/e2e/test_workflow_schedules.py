"""Prefect-scheduled workflows against a real daemon, the real Prefect (the daemon's local Prefect server, its
database in the data dir) and our real services, with the local OpenAI-wire server standing in for the provider.

- `workflows schedule` registers a Prefect deployment with that cron, timezone and the inputs as parameters (read
  back with Prefect's own client); `workflows schedules list` / `rm` (the deployment goes too);
- a flow run of the deployment, created as Prefect's scheduler creates them, is claimed by the daemon and is a
  COMPLETED run in ListRuns (schedule and flow run recorded, owned by the schedule's creator), its steps' usage
  rows carrying the run id; Prefect's flow run ends COMPLETED;
- a failing workflow with retries=1: Prefect retries the flow run, each attempt one FAILED run; deleting the
  workflow deletes its schedule's deployment;
- a run still going at the schedule's timeout: Prefect's flow timeout; the run ends FAILED, DEADLINE_EXCEEDED;
- kill -9 of the daemon mid scheduled run: the next daemon stops the local Prefect server the dead one left,
  adopts and finishes the run, and settles the flow run Prefect still thought Running (COMPLETED);
- bad cron / timezone are INVALID_ARGUMENT naming the field; an unknown workflow or schedule is NOT_FOUND.

One daemon for the module: the Prefect server's first start (its migrations) is the slow part.
"""

from __future__ import annotations

import asyncio
import json
import shutil
import signal
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from uuid import UUID

import grpc
import pytest

from auralink.v1 import workflows_pb2, workflows_pb2_grpc
from auralink_cli import exit_codes as codes
from tests.e2e.test_workflows import add_fake_provider, as_json, ok, usage_run_ids
from tests.fakes.openai_server import FakeOpenAI
from tests.support import Daemon, EmbeddedServer, bearer, daemon_env, daemon_on_new_database, short_tempdir

MISSING = "00000000-0000-4000-8000-000000000000"
BRIEF = """engine: prefect
inputs: [topic]
steps:
  - {id: draft, prompt: "Three facts about {topic}.", model: fake/drafter}
  - {id: tighten, prompt: "Tighten: {draft}", model: fake/tightener}
"""
FLAKY = "engine: langgraph\nnodes: [{id: answer, type: agent, prompt: 'Say hi.', model: fake/flaky}]\n"
YEARLY = "0 9 1 1 *"  # never due while the test runs: flow runs are made by hand, as the scheduler makes them


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeOpenAI]:
    with FakeOpenAI() as server:
        yield server


@pytest.fixture(scope="module")
def daemon(pg16_server: EmbeddedServer, fake: FakeOpenAI) -> Iterator[Daemon]:
    with daemon_on_new_database(pg16_server.dsn, workflow_schedule_poll_s="0.5") as handle:
        add_fake_provider(handle, fake, ["drafter", "tightener", "flaky", "slow"])
        yield handle


def _prefect(daemon: Daemon, use: Any) -> Any:
    """`use(client)` with Prefect's own client on the daemon's local Prefect server."""
    from prefect.client.orchestration import PrefectClient

    url = (daemon.data_dir / "prefect" / "api_url").read_text().strip()

    async def main() -> Any:
        async with PrefectClient(url) as client:
            return await use(client)

    return asyncio.run(main())


def _runs_of(daemon: Daemon, flow_run_id: str, count: int, timeout_s: float = 240) -> list[dict[str, Any]]:
    """The runs Prefect's flow run started, once `count` of them have ended."""
    deadline = time.monotonic() + timeout_s
    while True:
        runs = [r for r in as_json(daemon, "runs", "list")["runs"] if r["prefect_flow_run_id"] == flow_run_id]
        ended = [r for r in runs if r["state"] in ("COMPLETED", "FAILED")]
        if len(ended) >= count or time.monotonic() > deadline:
            return runs
        time.sleep(0.5)


def _flow_run_state(daemon: Daemon, flow_run_id: str, final: set[str], timeout_s: float = 60) -> str:
    deadline = time.monotonic() + timeout_s
    while True:
        state = _prefect(daemon, lambda c: c.read_flow_run(UUID(flow_run_id))).state.type.value
        if state in final or time.monotonic() > deadline:
            return str(state)
        time.sleep(0.5)


def test_a_schedule_is_a_deployment_and_its_flow_runs_are_runs(
    daemon: Daemon, fake: FakeOpenAI, tmp_path: Path
) -> None:
    fake.behave("drafter", reply="Otters hold hands. They float.", prompt_tokens=20, completion_tokens=8)
    fake.behave("tightener", reply="Otters hold hands and float.", prompt_tokens=15, completion_tokens=6)
    source = tmp_path / "brief.yaml"
    source.write_text(BRIEF)
    ok(daemon.cli("workflows", "create", "-f", str(source), "--name", "brief"))
    created = as_json(
        daemon, "workflows", "schedule", "brief", "--cron", YEARLY, "--timezone", "Europe/Paris",
        "--input", "topic=sea otters", "--retries", "2", "--run-timeout", "600",
    )  # fmt: skip
    assert created["cron"] == YEARLY and created["timezone"] == "Europe/Paris" and created["retries"] == 2
    assert created["inputs"] == {"topic": "sea otters"} and created["workflow_name"] == "brief"
    deployment_id = created["prefect_deployment_id"]

    # Prefect's own record: the deployment with that cron schedule, the inputs as its parameters.
    deployment = _prefect(daemon, lambda c: c.read_deployment(UUID(deployment_id)))
    assert deployment.name == created["id"] and deployment.parameters == {"inputs": {"topic": "sea otters"}}
    assert [(s.schedule.cron, s.schedule.timezone, s.active) for s in deployment.schedules] == [
        (YEARLY, "Europe/Paris", True)
    ]
    listed = as_json(daemon, "workflows", "schedules", "list")["schedules"]
    assert [s["id"] for s in listed] == [created["id"]]

    # A flow run of the deployment, as Prefect's scheduler makes one when the cron time comes (Scheduled, due now).
    flow_run = _prefect(daemon, lambda c: c.create_flow_run_from_deployment(UUID(deployment_id)))
    runs = _runs_of(daemon, str(flow_run.id), 1)
    assert len(runs) == 1, (runs, daemon.logs()[-4000:])
    run = runs[0]
    assert run["state"] == "COMPLETED", (run, daemon.logs()[-4000:])
    assert run["schedule_id"] == created["id"] and run["workflow_name"] == "brief"
    assert run["created_by"] == created["created_by"] and run["inputs"] == {"topic": "sea otters"}
    output = json.loads(as_json(daemon, "runs", "show", run["id"])["output"])
    assert output["steps"] == {"draft": "Otters hold hands. They float.", "tighten": "Otters hold hands and float."}
    assert _flow_run_state(daemon, str(flow_run.id), {"COMPLETED", "FAILED", "CRASHED"}) == "COMPLETED"
    ok(daemon.cli("usage", timeout_s=60))  # flushes queued usage records
    assert asyncio.run(usage_run_ids(daemon.env["AURALINK_DATABASE_URL"])).count(run["id"]) == 2

    # rm: the schedule and its deployment go; the run stays.
    done = as_json(daemon, "workflows", "schedules", "rm", created["id"], "--yes")
    assert done == {"resource": "schedule", "id": created["id"], "deleted": True}
    assert as_json(daemon, "workflows", "schedules", "list")["schedules"] == []
    from prefect.exceptions import ObjectNotFound

    with pytest.raises(ObjectNotFound):
        _prefect(daemon, lambda c: c.read_deployment(UUID(deployment_id)))
    assert as_json(daemon, "runs", "show", run["id"])["state"] == "COMPLETED"


def test_prefect_retries_a_failed_run(daemon: Daemon, fake: FakeOpenAI, tmp_path: Path) -> None:
    fake.behave("flaky", status=400, reply="bad request")
    (tmp_path / "flaky.yaml").write_text(FLAKY)
    ok(daemon.cli("workflows", "create", "-f", str(tmp_path / "flaky.yaml"), "--name", "flaky"))
    created = as_json(daemon, "workflows", "schedule", "flaky", "--cron", YEARLY, "--retries", "1")
    flow_run = _prefect(daemon, lambda c: c.create_flow_run_from_deployment(UUID(created["prefect_deployment_id"])))
    runs = _runs_of(daemon, str(flow_run.id), 2)
    assert [r["state"] for r in runs] == ["FAILED", "FAILED"], (runs, daemon.logs()[-4000:])
    assert _flow_run_state(daemon, str(flow_run.id), {"COMPLETED", "FAILED", "CRASHED"}) == "FAILED"
    # Deleting the workflow deletes its schedules, and their deployments on the Prefect server.
    ok(daemon.cli("workflows", "rm", "flaky", "--yes"))
    assert as_json(daemon, "workflows", "schedules", "list")["schedules"] == []
    from prefect.exceptions import ObjectNotFound

    with pytest.raises(ObjectNotFound):
        _prefect(daemon, lambda c: c.read_deployment(UUID(created["prefect_deployment_id"])))


def test_a_run_past_the_schedules_timeout_fails_deadline_exceeded(
    daemon: Daemon, fake: FakeOpenAI, tmp_path: Path
) -> None:
    fake.behave("slow", delay_s=30, reply="too late")
    (tmp_path / "slow.yaml").write_text(FLAKY.replace("fake/flaky", "fake/slow"))
    ok(daemon.cli("workflows", "create", "-f", str(tmp_path / "slow.yaml"), "--name", "slow"))
    created = as_json(daemon, "workflows", "schedule", "slow", "--cron", YEARLY, "--run-timeout", "2")
    flow_run = _prefect(daemon, lambda c: c.create_flow_run_from_deployment(UUID(created["prefect_deployment_id"])))
    (run,) = _runs_of(daemon, str(flow_run.id), 1, timeout_s=120)
    assert run["state"] == "FAILED" and run["error"].startswith("DEADLINE_EXCEEDED:"), (run, daemon.logs()[-3000:])
    state = _prefect(daemon, lambda c: c.read_flow_run(flow_run.id)).state
    assert (state.type.value, state.name) == ("FAILED", "TimedOut"), state
    ok(daemon.cli("workflows", "schedules", "rm", created["id"], "--yes"))


def test_a_flow_run_left_by_a_killed_daemon_is_settled(pg16_fresh_dsn: str, tmp_path: Path) -> None:
    root = short_tempdir()
    env = daemon_env(root / "d", database_url=pg16_fresh_dsn, workflow_lease_s="2", workflow_schedule_poll_s="0.5")
    killed = Daemon(root / "d", env)
    try:
        killed.start()
        with FakeOpenAI() as fake:
            fake.behave("held", reply="late", delay_s=120)
            add_fake_provider(killed, fake, ["held"])
            (tmp_path / "held.yaml").write_text(FLAKY.replace("fake/flaky", "fake/held"))
            ok(killed.cli("workflows", "create", "-f", str(tmp_path / "held.yaml"), "--name", "held"))
            created = as_json(killed, "workflows", "schedule", "held", "--cron", YEARLY)
            deployment = UUID(created["prefect_deployment_id"])
            flow_run = _prefect(killed, lambda c: c.create_flow_run_from_deployment(deployment))
            deadline = time.monotonic() + 120
            while "held" not in fake.models_called() and time.monotonic() < deadline:
                time.sleep(0.2)  # the run's step waits on its model: kill the daemon mid-call
            assert fake.models_called() == ["held"], killed.logs()[-3000:]
            orphan = int((root / "d" / "prefect" / "server.pid").read_text())
            old_url = (root / "d" / "prefect" / "api_url").read_text()
            killed.stop(signal.SIGKILL)  # its local Prefect server lives on
            assert _flow_run_state(killed, str(flow_run.id), set(), timeout_s=0) == "RUNNING"
            fake.behave("held", reply="on time")
            killed.start()  # the same data dir and database: a new daemon
            (run,) = _runs_of(killed, str(flow_run.id), 1, timeout_s=180)
            assert run["state"] == "COMPLETED", (run, killed.logs()[-3000:])
            deadline = time.monotonic() + 180
            while (root / "d" / "prefect" / "api_url").read_text() == old_url and time.monotonic() < deadline:
                time.sleep(0.5)  # the new daemon's Prefect server is starting (the old one stopped first)
            assert (
                not Path(f"/proc/{orphan}").exists() or b"prefect" not in Path(f"/proc/{orphan}/cmdline").read_bytes()
            )
            # Prefect's view catches up once the run has been over a while (4 leases here).
            state = _flow_run_state(killed, str(flow_run.id), {"COMPLETED", "FAILED"}, timeout_s=90)
            assert state == "COMPLETED", killed.logs()[-3000:]
    finally:
        killed.stop()
        shutil.rmtree(root, ignore_errors=True)


def test_bad_schedules_are_refused_with_the_field(daemon: Daemon) -> None:
    meta = bearer(daemon.token)
    with daemon.channel() as channel:
        stub = workflows_pb2_grpc.WorkflowServiceStub(channel)
        stub.CreateWorkflow(
            workflows_pb2.CreateWorkflowRequest(name="plain", definition=FLAKY), metadata=meta, timeout=10
        )

        def refused(**fields: Any) -> grpc.RpcError:
            request = workflows_pb2.CreateScheduleRequest(**fields)
            with pytest.raises(grpc.RpcError) as err:
                stub.CreateSchedule(request, metadata=meta, timeout=300)
            return err.value

        bad_cron = refused(workflow="plain", cron="61 * * * *")
        assert bad_cron.code() == grpc.StatusCode.INVALID_ARGUMENT and bad_cron.details().startswith("cron:")
        bad_zone = refused(workflow="plain", cron="*/5 * * * *", timezone="Mars/Olympus")
        assert bad_zone.code() == grpc.StatusCode.INVALID_ARGUMENT and bad_zone.details().startswith("timezone:")
        empty = refused(workflow="plain", cron=" ")
        assert empty.code() == grpc.StatusCode.INVALID_ARGUMENT and empty.details().startswith("cron:")
        unknown = refused(workflow="no-such-workflow", cron="*/5 * * * *")
        assert unknown.code() == grpc.StatusCode.NOT_FOUND
        with pytest.raises(grpc.RpcError) as err:
            stub.DeleteSchedule(workflows_pb2.DeleteScheduleRequest(schedule_id=MISSING), metadata=meta, timeout=60)
        assert err.value.code() == grpc.StatusCode.NOT_FOUND
    through_cli = daemon.cli("workflows", "schedule", "plain", "--cron", "* * *")
    assert through_cli.returncode == codes.USAGE and "cron" in through_cli.stderr
    assert daemon.cli("workflows", "schedules", "rm", MISSING, "--yes").returncode == codes.NOT_FOUND
    assert as_json(daemon, "workflows", "schedules", "list")["schedules"] == []
