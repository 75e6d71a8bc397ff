"""Workflows: definitions (validated by their engine, versioned by name) and runs of them.

A run is an asyncio task on the replica that started it, holding a lease on its row (renewed while it
runs). Each thing it does is an event: stored in PostgreSQL with the run's next seq, under the run
owner's tenant, and published on the bus (`workflows.run.<id>`) so a watcher on any replica sees it.
LLM tokens go on the bus only. Those events carry no organization, so only WatchRun (which checks the
caller may see the run) shows them. Each change of a run's state is also announced, with the run's
organization, on `workflows.runs.<change>` (started, resumed, interrupted, completed, failed, cancelled):
the org's WatchEvents sees that a run changed, never its inputs, output or error.

A daemon that dies mid-run leaves its lease to lapse; the next daemon that starts adopts the run and its
engine resumes it from the last checkpoint.

A step's events and checkpoints commit without waiting for their WAL flush (synchronous_commit off; the
flush of each was most of a step's cost): committed, they are in PostgreSQL for every replica and survive
the daemon's death. Only a crash of PostgreSQL itself may lose the last moments of them (never reorder
them), and any flushed commit after them (the run's end, a lease renewal, the next checkpoint of another
table) flushes them too; a run that lost its last checkpoint that way repeats that step.

CancelRun marks the run cancelled and asks, on the bus, the replica that drives it to stop its task.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import re
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from uuid import UUID

import yaml

from auralinkd.access.principal import ORG_ADMIN_PERMISSION, Caller, Principal
from auralinkd.audit.service import AuditLog
from auralinkd.bus import EventBus
from auralinkd.db.database import Database
from auralinkd.errors import AuralinkError, FailedPrecondition, InvalidArgument, NotFound
from auralinkd.paging import decode_cursor, decode_time_id, encode_cursor, page_of, page_size
from auralinkd.workflows import store
from auralinkd.workflows.engines import ENGINES, Outcome, RunContext, Services, engine
from auralinkd.workflows.engines.langgraph import Checkpoints

log = logging.getLogger(__name__)

TOPIC = "workflows.run."
CANCEL_TOPIC = "workflows.cancel"
RUNS_TOPIC = "workflows.runs."
# Event kinds that change a run's state: the change's name on RUNS_TOPIC, and the state the run is in after it.
LIFECYCLE = {
    "run_started": ("started", "running"), "run_resumed": ("resumed", "running"),
    "interrupted": ("interrupted", "waiting_input"), "run_completed": ("completed", "completed"),
    "run_failed": ("failed", "failed"), "run_cancelled": ("cancelled", "cancelled"),
}  # fmt: skip
TERMINAL = ("completed", "failed", "cancelled")
# Events after which WatchRun ends: the run is over, or waits for someone to answer it.
FINAL_KINDS = ("run_completed", "run_failed", "run_cancelled", "interrupted")
MAX_SOURCE = 256 * 1024
MAX_INPUTS = 64
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$")


@dataclass(frozen=True)
class Workflow:
    id: UUID
    name: str
    engine: str
    version: int
    description: str
    definition: dict[str, Any]
    created_by: UUID | None
    created_at: datetime


@dataclass(frozen=True)
class Run:
    id: UUID
    workflow_id: UUID
    workflow_name: str
    workflow_version: int
    engine: str
    status: str
    inputs: dict[str, str]
    output: Any
    error: str
    current_step: str
    waiting_prompt: str
    created_by: UUID
    created_at: datetime
    started_at: datetime | None
    completed_at: datetime | None
    schedule_id: UUID | None = None
    prefect_flow_run_id: UUID | None = None


@dataclass(frozen=True)
class RunEvent:
    run_id: UUID
    seq: int
    kind: str
    step: str
    data: dict[str, Any]
    time: datetime


@dataclass
class _Live:
    task: asyncio.Task[None]
    cancelled: bool = False
    # One event at a time per run: an engine may emit from concurrent tasks (AutoGen's agents and its runtime),
    # and the append's next-seq subquery reads a snapshot taken before it waits for the run row's lock.
    emitting: asyncio.Lock = field(default_factory=asyncio.Lock)


def _error_text(exc: BaseException) -> str:
    if isinstance(exc, AuralinkError):
        code = re.sub(r"(?<!^)(?=[A-Z])", "_", type(exc).__name__).upper()
        return f"{code}: {exc}"
    return f"INTERNAL: {type(exc).__name__}: {exc}"


def _json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


def _workflow(row: dict[str, Any]) -> Workflow:
    return Workflow(
        id=row["id"], name=row["name"], engine=row["engine"], version=row["version"],
        description=row["description"] or "", definition=_json(row["definition"]), created_by=row["created_by"],
        created_at=row["created_at"],
    )  # fmt: skip


def _run(row: dict[str, Any]) -> Run:
    return Run(
        id=row["id"], workflow_id=row["workflow_id"], workflow_name=row["workflow_name"],
        workflow_version=row["workflow_version"], engine=row["engine"], status=row["status"],
        inputs=_json(row["inputs"]) or {}, output=_json(row["output"]), error=row["error"] or "",
        current_step=row["current_step"] or "", waiting_prompt=row["waiting_prompt"] or "",
        created_by=row["user_id"], created_at=row["created_at"], started_at=row["started_at"],
        completed_at=row["completed_at"], schedule_id=row.get("schedule_id"),
        prefect_flow_run_id=row.get("prefect_flow_run_id"),
    )  # fmt: skip


def _uuid(field_name: str, value: str) -> UUID:
    if not value.strip():
        raise InvalidArgument.for_field(field_name, "is required")
    try:
        return UUID(value.strip())
    except ValueError:
        raise NotFound(f"no run {value.strip()!r}") from None


def parse_definition(source: str) -> dict[str, Any]:
    """YAML or JSON text (JSON is YAML) as a mapping, or INVALID_ARGUMENT."""
    if not source.strip():
        raise InvalidArgument.for_field("definition", "is required (YAML or JSON)")
    if len(source) > MAX_SOURCE:
        raise InvalidArgument.for_field("definition", f"must be at most {MAX_SOURCE} bytes")
    try:
        value = yaml.safe_load(source)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise InvalidArgument.for_field("definition", f"is not valid YAML or JSON{where}") from None
    if not isinstance(value, dict):
        raise InvalidArgument.for_field("definition", "must be a mapping (nodes, edges, ...)")
    return value


def check_inputs(inputs: dict[str, str]) -> None:
    if len(inputs) > MAX_INPUTS:
        raise InvalidArgument.for_field("inputs", f"at most {MAX_INPUTS} inputs")
    for key, value in inputs.items():
        if not re.match(r"^[A-Za-z_][A-Za-z0-9_]{0,63}$", key):
            raise InvalidArgument.for_field(f"inputs.{key}", "names must be letters, digits and _")
        if len(value) > 100_000:
            raise InvalidArgument.for_field(f"inputs.{key}", "must be at most 100000 characters")


class WorkflowService:
    def __init__(
        self, database: Database, audit: AuditLog, bus: EventBus, completions: Any, memory: Any, replica_id: str,
        dsn: Callable[[], str], *, lease_s: float = 15.0, mcp: Any = None,
    ) -> None:  # fmt: skip
        self._database = database
        self._audit = audit
        self._bus = bus
        self._replica_id = replica_id
        self._lease_s = lease_s
        self._checkpoints = Checkpoints(dsn)
        self._services = Services(completions=completions, memory=memory, checkpoints=None, mcp=mcp)
        self._live: dict[UUID, _Live] = {}
        self.on_state: Callable[[str], None] | None = None  # metrics hook: a run entered this state
        # ScheduleService: removes the Prefect deployments of schedules deleted with their workflow.
        self.on_schedules_deleted: Callable[[list[UUID]], Awaitable[None]] | None = None

    # -- definitions ------------------------------------------------------------------------------

    async def create(
        self, caller: Caller, name: str, engine_name: str, source: str, timeout_s: float | None = None
    ) -> Workflow:
        name = name.strip()
        if not _NAME.match(name):
            raise InvalidArgument.for_field("name", "must be 1 to 100 letters, digits, '.', '_' or '-'")
        raw = parse_definition(source)
        declared = raw.pop("engine", None)
        engine_name = (engine_name or declared or "").strip()
        if not engine_name:
            raise InvalidArgument.for_field("engine", f"is required: one of {', '.join(ENGINES)}")
        if declared is not None and declared != engine_name:
            raise InvalidArgument.for_field(
                "definition.engine", f"says {declared!r} but the request says {engine_name!r}"
            )
        definition = engine(engine_name).validate(raw)
        values = {
            "name": name, "engine": engine_name, "description": definition.get("description", ""),
            "definition": definition, "source": source,
        }  # fmt: skip
        p = caller.principal
        async with self._database.tenant(caller.tenant, timeout_s=timeout_s) as conn:
            row = await store.insert_definition(conn, p.org_id, p.user_id, values)
            await self._audit.record(
                conn, caller, "WorkflowService/CreateWorkflow", "workflow", str(row["id"]),
                metadata={"name": name, "engine": engine_name, "version": row["version"]},
            )  # fmt: skip
        return _workflow(row)

    async def get(self, caller: Caller, ref: str, version: int = 0, timeout_s: float | None = None) -> Workflow:
        async with self._database.tenant(caller.tenant, timeout_s=timeout_s) as conn:
            return _workflow(await self._find(conn, ref, version))

    async def find(self, conn: Any, ref: str, version: int) -> dict[str, Any]:
        """The definition row (its `definition` parsed) named by id or name, or NOT_FOUND."""
        row = await self._find(conn, ref, version)
        return row | {"definition": _json(row["definition"])}

    async def _find(self, conn: Any, ref: str, version: int) -> dict[str, Any]:
        ref = ref.strip()
        if not ref:
            raise InvalidArgument.for_field("workflow", "is required (an id or a name)")
        if version < 0:
            raise InvalidArgument.for_field("version", "must be >= 0")
        try:
            ident: UUID | None = UUID(ref)
        except ValueError:
            ident = None
        row = await store.get_definition(conn, ident, ref, version)
        if row is None:
            raise NotFound(f"no workflow {ref!r}" + (f" version {version}" if version else ""))
        return row

    async def list(
        self, caller: Caller, requested: int, token: str, timeout_s: float | None = None
    ) -> tuple[list[Workflow], str]:
        size = page_size(requested)
        cursor = decode_cursor(token)
        after = None
        if cursor is not None:
            after = cursor.get("n") if isinstance(cursor, dict) else None
            if not isinstance(after, str):
                raise InvalidArgument.for_field("page_token", "is not a token this server issued")
        async with self._database.tenant(caller.tenant, timeout_s=timeout_s) as conn:
            rows = await store.list_latest(conn, after, size + 1)
        more = len(rows) > size
        rows = rows[:size]
        return [_workflow(r) for r in rows], encode_cursor({"n": rows[-1]["name"]}) if more and rows else ""

    async def delete(self, caller: Caller, ref: str, timeout_s: float | None = None) -> int:
        async with self._database.tenant(caller.tenant, timeout_s=timeout_s) as conn:
            row = await self._find(conn, ref, 0)
            if row["created_by"] != caller.principal.user_id and not caller.principal.is_org_admin:
                from auralinkd.errors import PermissionDenied

                raise PermissionDenied("only the workflow's creator or an org admin may delete it")
            # Every member's schedules of it go too (the rows by cascade): their Prefect deployments after commit.
            async with self._database.system() as system:
                deployments = await store.schedule_deployments_of(system, caller.principal.org_id, row["name"])
            count = await store.delete_definitions(conn, row["name"])
            await self._audit.record(
                conn, caller, "WorkflowService/DeleteWorkflow", "workflow", str(row["id"]),
                metadata={"name": row["name"], "versions": count},
            )  # fmt: skip
        if deployments and self.on_schedules_deleted is not None:
            await self.on_schedules_deleted(deployments)
        return count

    # -- runs -------------------------------------------------------------------------------------

    async def start_run(
        self, caller: Caller, ref: str, version: int, inputs: dict[str, str], timeout_s: float | None = None
    ) -> Run:
        check_inputs(inputs)
        p = caller.principal
        async with self._database.tenant(caller.tenant, timeout_s=timeout_s) as conn:
            definition = await self._find(conn, ref, version)
            wanted = [k for k in _json(definition["definition"]).get("inputs", []) if k not in inputs]
            if wanted:
                raise InvalidArgument.for_field(f"inputs.{wanted[0]}", "is required by this workflow")
            run_id = await store.insert_run(
                conn, p.org_id, p.user_id, p.is_org_admin, definition["id"], inputs, self._replica_id, self._lease_s
            )
            await self._audit.record(
                conn, caller, "WorkflowService/StartRun", "workflow_run", str(run_id),
                metadata={"workflow": definition["name"], "version": definition["version"]},
            )  # fmt: skip
            row = await store.get_run(conn, run_id)
        assert row is not None
        self._launch(row, None, fresh=True)
        return _run(row)

    async def start_scheduled(self, schedule: dict[str, Any], flow_run_id: UUID) -> Run:
        """A run of the schedule's workflow for a flow run Prefect started, owned by the schedule's creator (their
        budgets, usage and memory scope), recording the schedule and the flow run."""
        caller = schedule_owner(schedule)
        p = caller.principal
        inputs = {str(k): str(v) for k, v in (_json(schedule["inputs"]) or {}).items()}
        async with self._database.tenant(caller.tenant) as conn:
            definition = await store.get_definition(conn, schedule["workflow_id"], "", 0)
            if definition is None:
                raise NotFound(f"no workflow {schedule['workflow_id']} (deleted since it was scheduled)")
            wanted = [k for k in _json(definition["definition"]).get("inputs", []) if k not in inputs]
            if wanted:
                raise InvalidArgument.for_field(f"inputs.{wanted[0]}", "is required by this workflow")
            run_id = await store.insert_run(
                conn, p.org_id, p.user_id, p.is_org_admin, definition["id"], inputs, self._replica_id, self._lease_s,
                schedule_id=schedule["id"], flow_run_id=flow_run_id,
            )  # fmt: skip
            await self._audit.record(
                conn, caller, "WorkflowService/StartRun", "workflow_run", str(run_id),
                metadata={"workflow": definition["name"], "version": definition["version"],
                          "schedule": str(schedule["id"]), "prefect_flow_run_id": str(flow_run_id)},
            )  # fmt: skip
            row = await store.get_run(conn, run_id)
        assert row is not None
        self._launch(row, None, fresh=True)
        return _run(row)

    async def wait_run(self, caller: Caller, ident: UUID, poll_s: float = 1.0) -> Run:
        """The run once it has ended (driven here, or by the replica that adopted it)."""
        while True:
            live = self._live.get(ident)
            if live is not None:
                await asyncio.wait({live.task})
            async with self._database.tenant(caller.tenant) as conn:
                row = await store.get_run(conn, ident)
            if row is None or row["status"] in TERMINAL:
                return _run(row) if row is not None else await self.get_run(caller, str(ident))
            await asyncio.sleep(poll_s)

    async def time_out(self, caller: Caller, ident: UUID, error: str) -> None:
        """Ends a run that overran its schedule's timeout: FAILED with `error`, its task stopped (any replica)."""
        live = self._live.get(ident)
        if live is not None:
            live.cancelled = True
        await self._finish(caller, ident, "failed", "run_failed", {"error": error}, error=error)
        self._stop_local(ident)
        await self._bus.publish(CANCEL_TOPIC, {"run_id": str(ident)})

    async def get_run(self, caller: Caller, run_id: str, timeout_s: float | None = None) -> Run:
        async with self._database.tenant(caller.tenant, timeout_s=timeout_s) as conn:
            return _run(await self._find_run(conn, run_id))

    async def _find_run(self, conn: Any, run_id: str, *, lock: bool = False) -> dict[str, Any]:
        row = await store.get_run(conn, _uuid("run_id", run_id), lock=lock)
        if row is None:
            raise NotFound(f"no run {run_id.strip()}")
        return row

    async def list_runs(
        self, caller: Caller, requested: int, token: str, workflow: str, timeout_s: float | None = None
    ) -> tuple[list[Run], str]:
        size = page_size(requested)
        after = decode_time_id(token)
        async with self._database.tenant(caller.tenant, timeout_s=timeout_s) as conn:
            name = None
            if workflow.strip():
                name = (await self._find(conn, workflow, 0))["name"]
            rows = await store.list_runs(conn, after, size + 1, name)
        rows, token = page_of(rows, size)
        return [_run(r) for r in rows], token

    async def cancel_run(self, caller: Caller, run_id: str, timeout_s: float | None = None) -> Run:
        async with self._database.tenant(caller.tenant, timeout_s=timeout_s) as conn:
            row = await self._find_run(conn, run_id, lock=True)
            if row["status"] in TERMINAL:
                return _run(row)  # cancelling an ended run changes nothing
            await store.update_run(conn, row["id"], status="cancelled", error="CANCELLED: cancelled by its owner")
            seq, at = await store.insert_event(conn, row, "run_cancelled", row["current_step"] or "", {})
            await self._audit.record(conn, caller, "WorkflowService/CancelRun", "workflow_run", str(row["id"]))
            row = await store.get_run(conn, row["id"])
        assert row is not None
        self._note_state("cancelled")
        await self._publish(row["id"], seq, "run_cancelled", row["current_step"] or "", {}, at)
        await self._announce(row, "run_cancelled", row["current_step"] or "")
        self._stop_local(row["id"])
        await self._bus.publish(CANCEL_TOPIC, {"run_id": str(row["id"])})
        return _run(row)

    async def resume_run(self, caller: Caller, run_id: str, answer: str, timeout_s: float | None = None) -> Run:
        if len(answer) > 100_000:
            raise InvalidArgument.for_field("input", "must be at most 100000 characters")
        async with self._database.tenant(caller.tenant, timeout_s=timeout_s) as conn:
            row = await self._find_run(conn, run_id, lock=True)
            if row["status"] != "waiting_input":
                raise FailedPrecondition(f"run {row['id']} is {row['status']}, not waiting for input")
            await store.update_run(conn, row["id"], status="running", waiting_prompt=None)
            await store.take_lease(conn, row["id"], self._replica_id, self._lease_s)
            row = await store.get_run(conn, row["id"])
        assert row is not None
        self._launch(row, answer, fresh=False)
        return _run(row)

    async def watch(self, caller: Caller, run_id: str, after_seq: int) -> AsyncIterator[RunEvent]:
        """Stored events after `after_seq`, then live ones (tokens included), until the run ends or waits;
        EOFError once the event bus has closed (the daemon is stopping)."""
        ident = _uuid("run_id", run_id)
        # Subscribed before the first read, so no event falls between the table and the bus. The first read
        # is also the look-up: another user's run (or none) has no events and is NOT_FOUND.
        subscription = self._bus.subscribe([f"{TOPIC}{ident}"])
        last = max(after_seq, 0)
        try:
            while True:
                async with self._database.tenant(caller.tenant) as conn:
                    stored = await store.events_after(conn, ident, last)
                    status = (await self._find_run(conn, str(ident)))["status"]
                for i, e in enumerate(stored):
                    last = e["seq"]
                    yield RunEvent(ident, e["seq"], e["kind"], e["step"], _json(e["data"]), e["created_at"])
                    # An interrupt ends the watch only while the run still waits on it (not one answered since).
                    waiting = status == "waiting_input" and i == len(stored) - 1
                    if e["kind"] in FINAL_KINDS and (e["kind"] != "interrupted" or waiting):
                        return
                if status in TERMINAL:
                    return
                # Live events until one is missing (then the table says what happened), or 2 s of quiet.
                while True:
                    event = await subscription.next(2.0)
                    if event is None:
                        break
                    seq = int(event.data.get("seq", 0))
                    if seq == 0:
                        yield RunEvent(ident, 0, event.data["kind"], event.data["step"], event.data["data"], event.time)
                        continue
                    if seq != last + 1:
                        break  # read the gap from the table
                    last = seq
                    kind = event.data["kind"]
                    yield RunEvent(ident, seq, kind, event.data["step"], event.data["data"], event.time)
                    if kind in FINAL_KINDS:
                        return
        finally:
            self._bus.unsubscribe(subscription)

    # -- driving runs -----------------------------------------------------------------------------

    def _launch(self, row: dict[str, Any], answer: str | None, *, fresh: bool) -> None:
        ident = row["id"]
        task = asyncio.create_task(self._drive(row, answer, fresh), name=f"workflow-run-{ident}")
        self._live[ident] = _Live(task)
        task.add_done_callback(lambda _t: self._live.pop(ident, None))

    def _stop_local(self, ident: UUID) -> None:
        live = self._live.get(ident)
        if live is not None:
            live.cancelled = True
            live.task.cancel()

    async def _drive(self, row: dict[str, Any], answer: str | None, fresh: bool) -> None:
        ident = row["id"]
        caller = _owner(row)
        context = RunContext(
            run_id=ident, caller=caller, definition=_json(row["definition"]), inputs=_json(row["inputs"]) or {},
            services=self._services, emit=lambda k, s, d: self._emit(caller, ident, k, s, d),
            live=lambda k, s, d: self._publish(ident, 0, k, s, d),
            checkpoint=_RunCheckpoint(self._database, caller, ident),
        )  # fmt: skip
        try:
            runner = engine(row["engine"])
            if runner.name == "langgraph":
                self._services.checkpoints = await self._checkpoints.saver()
            if fresh:
                self._note_state("running")
                await self._emit(caller, ident, "run_started", "", {"inputs": context.inputs})
                await self._announce(row, "run_started", "")
                outcome: Outcome = await runner.start(context)
            else:
                await self._emit(caller, ident, "run_resumed", "", {"after_crash": answer is None})
                await self._announce(row, "run_resumed", "")
                outcome = await runner.resume(context, answer)
        except asyncio.CancelledError:
            live = self._live.get(ident)
            if live is not None and live.cancelled:
                return  # CancelRun wrote the outcome
            raise  # the daemon is stopping: the run stays 'running'; its lease lapses and a daemon adopts it
        except Exception as exc:  # noqa: BLE001 - any failure ends the run FAILED with the reason
            if not isinstance(exc, AuralinkError):
                log.exception("workflow run %s failed", ident)
            await self._finish(
                caller, ident, "failed", "run_failed", {"error": _error_text(exc)}, error=_error_text(exc)
            )
            return
        if outcome.waiting_prompt is not None:
            await self._finish(
                caller, ident, "waiting_input", "interrupted", {"prompt": outcome.waiting_prompt},
                step=outcome.waiting_step, waiting_prompt=outcome.waiting_prompt, current_step=outcome.waiting_step,
            )  # fmt: skip
        else:
            await self._finish(
                caller, ident, "completed", "run_completed", {"output": outcome.output}, output=outcome.output
            )

    async def _finish(
        self, caller: Caller, ident: UUID, status: str, kind: str, data: dict[str, Any], step: str = "", **values: Any
    ) -> None:
        with contextlib.suppress(asyncio.CancelledError):
            async with self._database.tenant(caller.tenant) as conn:
                row = await store.get_run(conn, ident, lock=True)
                if row is None or row["status"] in TERMINAL:
                    return  # cancelled (or deleted) meanwhile
                await store.update_run(conn, ident, status=status, **values)
                seq, at = await store.insert_event(conn, row, kind, step, data)
            self._note_state(status)
            await self._publish(ident, seq, kind, step, data, at)
            await self._announce(row, kind, step or row["current_step"] or "")

    async def _emit(self, caller: Caller, ident: UUID, kind: str, step: str, data: dict[str, Any]) -> None:
        live = self._live.get(ident)
        async with live.emitting if live is not None else contextlib.nullcontext():
            await self._append(caller, ident, kind, step, data)

    async def _append(self, caller: Caller, ident: UUID, kind: str, step: str, data: dict[str, Any]) -> None:
        async with self._database.tenant(caller.tenant, flush_wait=False) as conn:
            # One round trip: lock the run, note the step, append the event (none if the run ended meanwhile).
            appended = await store.append_event(conn, ident, kind, step, data, kind == "step_started")
            if appended is None:
                raise asyncio.CancelledError  # cancelled or deleted under us: stop here
            seq, at = appended
        await self._publish(ident, seq, kind, step, data, at)

    async def _publish(
        self, ident: UUID, seq: int, kind: str, step: str, data: dict[str, Any], at: datetime | None = None
    ) -> None:
        await self._bus.publish(f"{TOPIC}{ident}", {"seq": seq, "kind": kind, "step": step, "data": data})

    async def _announce(self, row: dict[str, Any], kind: str, step: str) -> None:
        """Tell the run's organization (WatchEvents) that the run changed state: names and ids only."""
        change, state = LIFECYCLE[kind]
        data = {
            "run_id": str(row["id"]), "workflow": row["workflow_name"], "version": row["workflow_version"],
            "engine": row["engine"], "state": state, "step": step, "user_id": str(row["user_id"]),
        }  # fmt: skip
        await self._bus.publish(f"{RUNS_TOPIC}{change}", data, org=row["organization_id"])

    def _note_state(self, state: str) -> None:
        if self.on_state is not None:
            self.on_state(state)

    # -- background: leases, adoption, cancellations from other replicas -----------------------------

    async def run(self) -> None:
        """Renews this replica's leases, adopts runs whose daemon died, and stops runs cancelled elsewhere."""
        subscription = self._bus.subscribe([CANCEL_TOPIC])
        try:
            await self._adopt()
            interval = max(self._lease_s / 3, 0.2)
            while True:
                try:
                    event = await subscription.next(interval)
                except EOFError:
                    return
                if event is not None:
                    with contextlib.suppress(KeyError, ValueError):
                        self._stop_local(UUID(event.data["run_id"]))
                    continue
                try:
                    if self._live:
                        async with self._database.system() as conn:
                            await store.renew_leases(conn, self._replica_id, list(self._live), self._lease_s)
                    await self._adopt()
                except AuralinkError as exc:
                    log.warning("workflow leases: %s", exc)
        finally:
            self._bus.unsubscribe(subscription)

    async def _adopt(self) -> None:
        async with self._database.system() as conn:
            orphans = await store.adopt_orphans(conn, self._replica_id, self._lease_s, 20, list(self._live))
        for orphan in orphans:
            if orphan["id"] in self._live:
                continue
            caller = _owner(orphan)
            async with self._database.tenant(caller.tenant) as conn:
                row = await store.get_run(conn, orphan["id"])
            if row is not None:
                log.info("resuming workflow run %s from its last checkpoint", row["id"])
                self._launch(row, None, fresh=False)

    async def close(self) -> None:
        tasks = [live.task for live in self._live.values()]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await self._checkpoints.close()


@dataclass
class _RunCheckpoint:
    """An engine's checkpoints of one run, read and written as the run's owner (RLS applies)."""

    database: Database
    caller: Caller
    run_id: UUID

    async def put(self, key: str, value: Any) -> None:
        async with self.database.tenant(self.caller.tenant, flush_wait=False) as conn:
            if not await store.put_checkpoint(conn, self.run_id, key, value):
                raise asyncio.CancelledError  # the run ended (cancelled) or is gone: stop here, as _append does

    async def get(self, key: str) -> Any:
        async with self.database.tenant(self.caller.tenant) as conn:
            return await store.get_checkpoint(conn, self.run_id, key)

    async def all(self, prefix: str = "") -> dict[str, Any]:
        async with self.database.tenant(self.caller.tenant) as conn:
            return await store.checkpoints(conn, self.run_id, prefix)


def _owner(row: dict[str, Any]) -> Caller:
    """The run's owner as a caller: their tenant (budgets, usage, memory scope), not a credential."""
    principal = Principal(
        user_id=row["user_id"], org_id=row["organization_id"],
        permissions=frozenset({ORG_ADMIN_PERMISSION}) if row["owner_is_admin"] else frozenset(),
        credential_id=f"workflow-run:{row['id']}",
    )  # fmt: skip
    return Caller(principal, request_id=f"run-{row['id']}")


def schedule_owner(row: dict[str, Any]) -> Caller:
    """A schedule's creator as a caller, for what Prefect starts from it: their tenant, not a credential."""
    principal = Principal(
        user_id=row["user_id"], org_id=row["organization_id"],
        permissions=frozenset({ORG_ADMIN_PERMISSION}) if row["owner_is_admin"] else frozenset(),
        credential_id=f"workflow-schedule:{row['id']}",
    )  # fmt: skip
    return Caller(principal, request_id=f"schedule-{row['id']}")
