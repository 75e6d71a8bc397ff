"""The Prefect engine: a definition's steps run as Prefect tasks of a Prefect flow, with retries and timeouts.

Definition (YAML or JSON):

    description: optional text
    inputs: [topic]                  # names StartRun must give
    retries: 0                       # each step's default retries (Prefect task retries)
    timeout_s: 300                   # each step's default timeout (Prefect task timeout)
    steps:                           # run in order; {name}: an input or an earlier step's output
      - {id: draft, prompt: "Write about {topic}.", system: "...", model: provider/model, max_tokens: 256,
         retries: 1, timeout_s: 60}
      - {id: polish, prompt: "Polish this: {draft}"}

Each step is a Prefect task whose LLM call goes through our CompletionService (budgets, failover, BYOK keys, a
usage row with the run id); the flow run is recorded by Prefect (its id is in the run's output). The flows report
to the Prefect server of `prefect_server.api_url()`: the daemon's local one (its database under the data dir)
or AURALINK_PREFECT_API_URL's.

Checkpoints are Prefect's own result persistence and caching: each step's task persists its result (JSON) under
the cache key `<run id>-<step id>`, in `RunResults`, a Prefect result storage (`WritableFileSystem`) over the
run's checkpoints in our database (not a file of one replica's data dir). A run resumed after a crash runs the
flow again: a finished step's task finds its result under its key and returns it without running (no second
LLM call, usage row or step events), and a checkpoint_restored event names the step it continues at.

Schedules (any engine's workflow): `register` makes a deployment of the flow SCHEDULE_FLOW with a cron schedule
and the inputs as its parameters; `serve` is this daemon acting as a Prefect runner for those deployments: it
polls the server for their scheduled flow runs, claims each by proposing Pending (the server's orchestration
rules let one claimant win, so replicas can all serve), and runs it in this process with Prefect's flow engine
(the schedule's retries and timeout as the flow's), its body starting an AuraLink run through `fire`.

Prefect is imported only inside these functions, so validating a definition does not load it.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import os
from collections.abc import Awaitable, Callable, Iterator
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from auralinkd.errors import AuralinkError, InvalidArgument, Unavailable
from auralinkd.workflows import prefect_server
from auralinkd.workflows.engines import Outcome, RunContext, common
from auralinkd.workflows.engines.common import bad, fill, text

_TOP = {"engine", "description", "inputs", "retries", "timeout_s", "steps", "output"}
_STEP = {"id", "prompt", "system", "model", "agent", "max_tokens", "temperature", "retries", "timeout_s"}
MAX_STEPS = 100


log = logging.getLogger(__name__)

SCHEDULE_FLOW = "auralink-schedule"


async def _configure() -> None:
    """Before Prefect's import: the API of our Prefect server (the local one started now if need be), its home
    in the data dir, no analytics (offline machines), Prefect's logs to the daemon's at WARNING."""
    try:
        os.environ["PREFECT_API_URL"] = await asyncio.to_thread(prefect_server.api_url)
    except (OSError, RuntimeError) as exc:
        raise Unavailable(f"no Prefect server: {exc}") from exc
    os.environ["PREFECT_HOME"] = str(prefect_server.home())
    os.environ["PREFECT_SERVER_ANALYTICS_ENABLED"] = "false"
    os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")


class PrefectEngine(common.Resumable):
    name = "prefect"

    def validate(self, definition: dict[str, Any]) -> dict[str, Any]:
        inputs = common.inputs_of(definition, _TOP, "a prefect definition")
        defaults = {"retries": 0, "timeout_s": 300}
        for key, high in (("retries", 10), ("timeout_s", 86400)):
            if key in definition:
                defaults[key] = common.number(definition, key, "definition", 0 if key == "retries" else 1, high)
        steps = definition.get("steps")
        if not isinstance(steps, list) or not steps or len(steps) > MAX_STEPS:
            raise bad("steps", f"must be a list of 1 to {MAX_STEPS} steps")
        clean: list[dict[str, Any]] = []
        known = list(inputs)
        for i, step in enumerate(steps):
            path = f"steps[{i}]"
            ident = common.named_entry(step, path, _STEP, [s["id"] for s in clean], "a prefect step")
            entry: dict[str, Any] = {
                "id": ident, "prompt": text(step, "prompt", path, required=True),
                "system": text(step, "system", path, required=False),
                "model": text(step, "model", path, required=False, limit=300),
                "retries": common.number(step, "retries", path, 0, 10, integer=True) if "retries" in step
                else defaults["retries"],
                "timeout_s": common.number(step, "timeout_s", path, 1, 86400) if "timeout_s" in step
                else defaults["timeout_s"],
            } | common.agent_options(step, path)  # fmt: skip
            entry.pop("memory", None)
            common.check_templates([(f"{path}.prompt", entry["prompt"]), (f"{path}.system", entry["system"])], known)
            known.append(ident)
            clean.append(entry)
        if "output" in definition:
            raise bad("output", "a prefect run's output is each step's output and the flow run's id")
        return {"description": str(definition.get("description", ""))[:2000], "inputs": inputs, "steps": clean}

    async def drive(self, run: RunContext, *, resumed: bool) -> Outcome:
        await _configure()
        from prefect import flow, task
        from prefect.cache_policies import CacheKeyFnPolicy
        from prefect.runtime import flow_run

        steps = [s["id"] for s in run.definition["steps"]]
        stored: dict[str, Any] = {}
        if resumed:
            stored = await run.checkpoint.all(_PREFIX)
            done = [s for s in steps if f"{_PREFIX}{_cache_key(run, s)}" in stored]
            if done:
                left = [s for s in steps if s not in done]
                await common.restored(run, left[0] if left else "", done)
        with _server_errors():
            storage = await _storage(run, stored)

        refused: list[AuralinkError] = []

        async def call(step: dict[str, Any], state: dict[str, Any]) -> str:
            await run.emit("step_started", step["id"], {"type": "task"})
            messages = [{"role": "system", "content": fill(step["system"], state)}] if step["system"] else []
            messages.append({"role": "user", "content": fill(step["prompt"], state)})
            try:
                completion, usage = await common.complete(
                    run, step["id"], messages, model=step["model"], agent=step.get("agent", ""),
                    max_tokens=int(step.get("max_tokens", 0)), temperature=step.get("temperature"),
                )  # fmt: skip
            except AuralinkError as exc:
                refused.append(exc)
                raise
            await run.emit("step_finished", step["id"], {"type": "task", "output": completion.text, **usage})
            return str(completion.text)

        def no_retry_when_refused(*_: Any) -> bool:
            return not refused  # the gateway refused (budget, permission): trying again cannot help

        tasks = {
            s["id"]: task(
                call,
                name=s["id"],
                retries=s["retries"],
                timeout_seconds=s["timeout_s"],
                retry_condition_fn=no_retry_when_refused,
                persist_result=True,
                result_storage=storage,
                result_serializer="json",
                cache_policy=CacheKeyFnPolicy(cache_key_fn=functools.partial(_step_key, run, s["id"])),
            )  # fmt: skip
            for s in run.definition["steps"]
        }

        @flow(name=f"auralink-{run.run_id}", log_prints=False, validate_parameters=False)
        async def workflow(inputs: dict[str, str]) -> dict[str, Any]:
            state: dict[str, Any] = dict(inputs)
            for step in run.definition["steps"]:
                state[step["id"]] = await tasks[step["id"]](step, state)
            return {"steps": {s["id"]: state[s["id"]] for s in run.definition["steps"]}, "flow_run_id": flow_run.id}

        try:
            with _server_errors():
                output = await workflow(dict(run.inputs))
        except Exception as exc:
            if refused:
                raise refused[0] from exc
            raise
        return Outcome(output=common.jsonable(output))


@contextlib.contextmanager
def _server_errors() -> Iterator[None]:
    """Prefect's API calls within: an HTTP error (the server refused, or did not answer in time, as a local
    server still starting its services on a loaded machine may not) is UNAVAILABLE naming the Prefect server,
    as a server that did not start is; never INTERNAL. A step's own failure is not one: the gateway's errors
    are ours."""
    import httpx

    try:
        yield
    except Exception as exc:
        cause: BaseException | None = exc  # Prefect says "Failed to reach API" as a RuntimeError from the HTTP one
        while cause is not None and not isinstance(cause, httpx.HTTPError | AuralinkError):
            cause = cause.__cause__
        if not isinstance(cause, httpx.HTTPError):
            raise
        raise Unavailable(f"the Prefect server refused or did not answer: {type(exc).__name__}: {exc}") from exc


_PREFIX = "result:"


def _cache_key(run: RunContext, step: str) -> str:
    return f"{run.run_id}-{step}"


def _step_key(run: RunContext, step: str, *_: Any) -> str:
    """A step's cache key (Prefect's cache_key_fn): the run and the step, so a re-run of the flow finds it."""
    return _cache_key(run, step)


_saved: dict[str, Any] = {}  # Prefect API URL -> RunResults saved there


async def _storage(run: RunContext, stored: dict[str, Any]) -> Any:
    """The run's RunResults over the result checkpoints `stored` when the drive began. Prefect takes only a
    result storage saved on its server: the block document (it holds no data; the run is a private
    attribute) is saved once per server, and each run's is a copy of it."""
    url = os.environ.get("PREFECT_API_URL", "")
    if url not in _saved:
        saved = _storage_type()()
        await saved.asave("auralink-run-results", overwrite=True)
        _saved[url] = saved
    storage = _saved[url].model_copy()
    storage._run = run
    storage._known = dict(stored)
    return storage


@functools.cache
def _storage_type() -> Any:
    """`RunResults`: Prefect result storage over a run's checkpoints (defined on first use, after Prefect's import)."""
    from prefect.filesystems import WritableFileSystem
    from pydantic import PrivateAttr

    class RunResults(WritableFileSystem):
        """A run's Prefect result records, each a checkpoint `result:<key>` of the run (as its owner, RLS)."""

        _block_type_name = "AuraLink run results"
        _run: Any = PrivateAttr(default=None)
        # The run's result checkpoints: those stored when the drive began, then each one written. Only the
        # run's driver writes them, so Prefect's look-up before each step (a miss on a fresh run) reads
        # this instead of the database.
        _known: dict[str, Any] = PrivateAttr(default_factory=dict)

        def _resolve_path(self, path: str) -> None:
            return None  # keys are names, not paths under a base directory

        async def aread_path(self, path: str) -> bytes:
            stored = self._known.get(f"{_PREFIX}{path}")
            if stored is None:
                raise FileNotFoundError(path)
            return str(stored["record"]).encode()

        async def awrite_path(self, path: str, content: bytes) -> str:
            value = {"record": content.decode()}
            await self._run.checkpoint.put(f"{_PREFIX}{path}", value)
            self._known[f"{_PREFIX}{path}"] = value
            return path

        def read_path(self, path: str) -> bytes:
            raise RuntimeError("RunResults is read by Prefect's async task engine only")

        def write_path(self, path: str, content: bytes) -> str:
            raise RuntimeError("RunResults is written by Prefect's async task engine only")

    return RunResults


ENGINE = PrefectEngine()


# -- schedules ------------------------------------------------------------------------------------


async def check_schedule(cron: str, timezone: str) -> None:
    """INVALID_ARGUMENT naming `cron` or `timezone` when Prefect's CronSchedule would refuse them."""
    await _configure()
    from prefect.client.schemas.schedules import CronSchedule
    from pydantic import ValidationError

    try:
        CronSchedule(cron=cron, timezone=timezone)
    except ValidationError as exc:
        error = exc.errors()[0]
        name = str(error["loc"][0]) if error.get("loc") else "cron"
        name = name if name in ("cron", "timezone") else "cron"
        detail = str(error.get("msg", "is not valid")).removeprefix("Value error, ")
        raise InvalidArgument.for_field(name, f"{detail} (got {cron if name == 'cron' else timezone!r})") from None


async def register(schedule_id: UUID, workflow: str, cron: str, timezone: str, inputs: dict[str, str]) -> UUID:
    """A deployment of SCHEDULE_FLOW named after the schedule, with the cron schedule; its id."""
    await _configure()
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.actions import DeploymentScheduleCreate
    from prefect.client.schemas.schedules import CronSchedule

    try:
        async with get_client() as client:
            flow_id = await client.create_flow_from_name(SCHEDULE_FLOW)
            return await client.create_deployment(
                flow_id, name=str(schedule_id), description=f"AuraLink workflow {workflow}",
                schedules=[DeploymentScheduleCreate(schedule=CronSchedule(cron=cron, timezone=timezone), active=True)],
                parameters={"inputs": dict(inputs)}, tags=["auralink", f"workflow:{workflow}"],
                enforce_parameter_schema=False,
            )  # fmt: skip
    except Exception as exc:  # noqa: BLE001 - the server's own error, said as unavailable
        raise Unavailable(f"the Prefect server refused or did not answer: {type(exc).__name__}: {exc}") from exc


async def unregister(deployment_id: UUID) -> None:
    """Deletes the deployment (its scheduled flow runs go with it); one already gone is fine."""
    await _configure()
    from prefect.client.orchestration import get_client
    from prefect.exceptions import ObjectNotFound

    try:
        async with get_client() as client:
            await client.delete_deployment(deployment_id)
    except ObjectNotFound:
        pass
    except Exception as exc:  # noqa: BLE001
        raise Unavailable(f"the Prefect server refused or did not answer: {type(exc).__name__}: {exc}") from exc


# fire(schedule, flow_run_id): starts the AuraLink run and waits for its end; raises when it did not complete.
Fire = Callable[[dict[str, Any], UUID], Awaitable[dict[str, Any]]]
# settle(flow_run_id): for a flow run left Pending/Running by a daemon that died: "completed" or "failed" (its
# AuraLink run ended a while ago), "again" (no run was started for it), None (leave it: still going, or too recent).
Settle = Callable[[UUID, datetime], Awaitable[str | None]]
SETTLE_EVERY = 20  # polls


async def serve(
    schedules: Callable[[], Awaitable[list[dict[str, Any]]]], fire: Fire, poll_s: float, on_stop: Callable[[], None],
    settle: Settle | None = None,
) -> None:  # fmt: skip
    """Runs the scheduled flow runs of our deployments as they come due, until cancelled (`on_stop` is called
    before the flow runs still going are cancelled)."""
    await _configure()
    from prefect.client.orchestration import get_client

    running: dict[UUID, asyncio.Task[None]] = {}
    async with get_client() as client:
        try:
            polls = 0
            while True:
                try:
                    await _poll(client, schedules, fire, running)
                    if settle is not None and polls % SETTLE_EVERY == 0:
                        await _settle(client, await schedules(), settle, running)
                except Exception as exc:  # noqa: BLE001 - the server may be restarting: try again next poll
                    log.warning("prefect schedules: %s: %s", type(exc).__name__, exc)
                polls += 1
                await asyncio.sleep(poll_s)
        except asyncio.CancelledError:
            on_stop()
            for task in list(running.values()):
                task.cancel()
            await asyncio.gather(*running.values(), return_exceptions=True)
            raise


async def _poll(
    client: Any, schedules: Callable[[], Awaitable[list[dict[str, Any]]]], fire: Fire,
    running: dict[UUID, asyncio.Task[None]],
) -> None:  # fmt: skip
    """Claims and starts each flow run of our deployments that is due now."""
    by_deployment = {s["prefect_deployment_id"]: s for s in await schedules()}
    if not by_deployment:
        return
    due = await client.get_scheduled_flow_runs_for_deployments(
        deployment_ids=list(by_deployment), scheduled_before=datetime.now(UTC)
    )
    for flow_run in due:
        schedule = by_deployment.get(flow_run.deployment_id)
        if schedule is None or flow_run.id in running or not await _claim(client, flow_run):
            continue
        task = asyncio.create_task(_execute(schedule, flow_run, fire), name=f"prefect-run-{flow_run.id}")
        running[flow_run.id] = task
        task.add_done_callback(lambda _t, ident=flow_run.id: running.pop(ident, None))


async def _settle(
    client: Any, schedules: list[dict[str, Any]], settle: Settle, running: dict[UUID, asyncio.Task[None]]
) -> None:
    """Flow runs of our deployments that Prefect still thinks Pending or Running but no daemon runs (the one that
    claimed them died): Completed/Failed as their AuraLink run ended (adopted and finished by another daemon), or
    Scheduled again when none was started."""
    from prefect.client.schemas.filters import (
        FlowRunFilter,
        FlowRunFilterDeploymentId,
        FlowRunFilterState,
        FlowRunFilterStateType,
    )
    from prefect.client.schemas.objects import StateType
    from prefect.states import Completed, Failed, Scheduled

    if not schedules:
        return
    stuck = await client.read_flow_runs(
        flow_run_filter=FlowRunFilter(
            deployment_id=FlowRunFilterDeploymentId(any_=[s["prefect_deployment_id"] for s in schedules]),
            state=FlowRunFilterState(type=FlowRunFilterStateType(any_=[StateType.PENDING, StateType.RUNNING])),
        ),
        limit=200,
    )
    for flow_run in stuck:
        if flow_run.id in running or flow_run.state is None:
            continue
        verdict = await settle(flow_run.id, flow_run.state.timestamp)
        if verdict is None:
            continue
        state = {"completed": Completed, "failed": Failed, "again": Scheduled}[verdict](
            message="settled by AuraLink: the daemon that ran it stopped"
        )
        log.info("prefect flow run %s left by a stopped daemon: %s", flow_run.id, state.name)
        await client.set_flow_run_state(flow_run.id, state, force=True)


async def _claim(client: Any, flow_run: Any) -> bool:
    """Pending, as Prefect's own runner proposes it: False when another runner (a replica) claimed it first."""
    from prefect.exceptions import Abort
    from prefect.states import Pending
    from prefect.utilities.engine import propose_state

    try:
        state = await propose_state(client, Pending(), flow_run_id=flow_run.id)
    except Abort:
        return False
    return bool(state.is_pending())


async def _execute(schedule: dict[str, Any], flow_run: Any, fire: Fire) -> None:
    """The claimed flow run through Prefect's flow engine: Running, then Completed or Failed (after the retries),
    or TimedOut; each attempt is one AuraLink run."""
    from prefect import flow
    from prefect.flow_engine import run_flow_async

    async def body(inputs: dict[str, str]) -> dict[str, Any]:
        return await fire(schedule | {"inputs": dict(inputs)}, flow_run.id)

    scheduled = flow(
        body, name=SCHEDULE_FLOW, retries=int(schedule["retries"]), timeout_seconds=float(schedule["timeout_s"]),
        validate_parameters=False, log_prints=False,
    )  # fmt: skip
    parameters = flow_run.parameters or {"inputs": _json(schedule["inputs"])}
    try:
        await run_flow_async(scheduled, flow_run=flow_run, parameters=parameters, return_type="state")
    except Exception as exc:  # noqa: BLE001 - Prefect recorded the failure on the flow run
        log.warning("scheduled flow run %s: %s: %s", flow_run.id, type(exc).__name__, exc)


def _json(value: Any) -> Any:
    import json

    return json.loads(value) if isinstance(value, str) else value
