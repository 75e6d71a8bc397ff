"""Schedules: a workflow (any engine) run on a cron schedule by Prefect.

A schedule is a row of ours (its creator owns it and every run it starts; RLS as for runs) and a Prefect
deployment with that cron schedule on our Prefect server (`prefect_server`). The daemon serves the deployments
(`engines.prefect.serve`): each flow run Prefect starts, at the cron time or by hand (`prefect deployment run`),
is claimed by one replica and becomes a run of the workflow through WorkflowService, so it is in ListRuns,
GetRun and WatchRun like any other, with its usage rows under the creator.

Nothing of Prefect is loaded while no schedule exists: `run` waits (a cheap query per poll) for the first one.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from uuid import UUID, uuid4

from auralinkd.access.principal import Caller
from auralinkd.audit.service import AuditLog
from auralinkd.db.database import Database
from auralinkd.errors import AuralinkError, InvalidArgument, NotFound
from auralinkd.paging import decode_time_id, page_of, page_size
from auralinkd.workflows import prefect_server, store
from auralinkd.workflows.service import WorkflowService, check_inputs, schedule_owner

log = logging.getLogger(__name__)

MAX_RETRIES = 10
DEFAULT_TIMEOUT_S = 3600.0
MAX_TIMEOUT_S = 86400.0


@dataclass(frozen=True)
class Schedule:
    id: UUID
    workflow_id: UUID
    workflow_name: str
    workflow_version: int
    cron: str
    timezone: str
    inputs: dict[str, str]
    retries: int
    timeout_s: float
    prefect_deployment_id: UUID
    created_by: UUID
    created_at: datetime


def _schedule(row: dict[str, Any]) -> Schedule:
    import json

    inputs = json.loads(row["inputs"]) if isinstance(row["inputs"], str) else row["inputs"]
    return Schedule(
        id=row["id"], workflow_id=row["workflow_id"], workflow_name=row["workflow_name"],
        workflow_version=row["workflow_version"], cron=row["cron"], timezone=row["timezone"], inputs=inputs or {},
        retries=row["retries"], timeout_s=row["timeout_s"], prefect_deployment_id=row["prefect_deployment_id"],
        created_by=row["user_id"], created_at=row["created_at"],
    )  # fmt: skip


def _prefect() -> Any:
    """The Prefect engine's module (it imports Prefect itself only inside its functions)."""
    from auralinkd.workflows.engines import prefect

    return prefect


class ScheduleService:
    def __init__(
        self, database: Database, audit: AuditLog, workflows: WorkflowService, poll_s: float = 5.0,
        settle_after_s: float = 60.0,
    ) -> None:  # fmt: skip
        self._database = database
        self._settle_after_s = settle_after_s
        self._audit = audit
        self._workflows = workflows
        self._poll_s = poll_s
        self._wake = asyncio.Event()
        self._stopping = False
        self._timeouts: set[asyncio.Task[None]] = set()
        workflows.on_schedules_deleted = self._unregister

    async def _unregister(self, deployments: list[UUID]) -> None:
        """The deployments of schedules deleted with their workflow (a failure is logged: rows are gone already)."""
        for deployment_id in deployments:
            try:
                await _prefect().unregister(deployment_id)
            except AuralinkError as exc:
                log.warning("prefect deployment %s of a deleted workflow stays: %s", deployment_id, exc)

    async def create(
        self, caller: Caller, workflow: str, cron: str, timezone: str, inputs: dict[str, str], retries: int,
        timeout_s: float,
    ) -> Schedule:  # fmt: skip
        cron, timezone = " ".join(cron.split()), timezone.strip() or "UTC"
        if not cron:
            raise InvalidArgument.for_field("cron", "is required (five fields, e.g. '*/5 * * * *')")
        if len(cron) > 200:
            raise InvalidArgument.for_field("cron", "must be at most 200 characters")
        if len(timezone) > 100:
            raise InvalidArgument.for_field("timezone", "must be an IANA name such as Europe/Paris")
        if not 0 <= retries <= MAX_RETRIES:
            raise InvalidArgument.for_field("retries", f"must be 0 to {MAX_RETRIES}")
        timeout_s = timeout_s or DEFAULT_TIMEOUT_S
        if not 0 < timeout_s <= MAX_TIMEOUT_S:
            raise InvalidArgument.for_field("timeout_s", f"must be more than 0 and at most {MAX_TIMEOUT_S:g}")
        check_inputs(inputs)
        async with self._database.tenant(caller.tenant) as conn:
            definition = await self._workflows.find(conn, workflow, 0)
        wanted = [k for k in definition["definition"].get("inputs", []) if k not in inputs]
        if wanted:
            raise InvalidArgument.for_field(f"inputs.{wanted[0]}", "is required by this workflow")
        prefect = _prefect()
        await prefect.check_schedule(cron, timezone)
        schedule_id = uuid4()
        deployment_id = await prefect.register(schedule_id, definition["name"], cron, timezone, inputs)
        values = {
            "workflow_id": definition["id"], "cron": cron, "timezone": timezone, "inputs": inputs,
            "retries": retries, "timeout_s": timeout_s, "deployment_id": deployment_id,
        }  # fmt: skip
        p = caller.principal
        try:
            async with self._database.tenant(caller.tenant) as conn:
                row = await store.insert_schedule(conn, schedule_id, p.org_id, p.user_id, p.is_org_admin, values)
                await self._audit.record(
                    conn, caller, "WorkflowService/CreateSchedule", "workflow_schedule", str(schedule_id),
                    metadata={"workflow": definition["name"], "cron": cron, "timezone": timezone,
                              "prefect_deployment_id": str(deployment_id)},
                )  # fmt: skip
        except BaseException:
            with contextlib.suppress(Exception):
                await prefect.unregister(deployment_id)
            raise
        self._wake.set()
        return _schedule(row)

    async def list(
        self, caller: Caller, requested: int, token: str, workflow: str
    ) -> tuple[list[Schedule], str]:  # fmt: skip
        size = page_size(requested)
        after = decode_time_id(token)
        async with self._database.tenant(caller.tenant) as conn:
            name = (await self._workflows.find(conn, workflow, 0))["name"] if workflow.strip() else None
            rows = await store.list_schedules(conn, after, size + 1, name)
        rows, token = page_of(rows, size)
        return [_schedule(r) for r in rows], token

    async def delete(self, caller: Caller, schedule_id: str) -> None:
        ident = _schedule_id(schedule_id)
        async with self._database.tenant(caller.tenant) as conn:
            row = await store.get_schedule(conn, ident)
        if row is None:
            raise NotFound(f"no schedule {schedule_id.strip()}")
        await _prefect().unregister(row["prefect_deployment_id"])
        async with self._database.tenant(caller.tenant) as conn:
            await store.delete_schedule(conn, ident)
            await self._audit.record(
                conn, caller, "WorkflowService/DeleteSchedule", "workflow_schedule", str(ident),
                metadata={"prefect_deployment_id": str(row["prefect_deployment_id"])},
            )  # fmt: skip

    # -- serving the deployments ------------------------------------------------------------------

    async def run(self) -> None:
        """Waits for the first schedule (any replica's), then serves every schedule's deployment until stopped."""
        while True:
            try:
                await self._until_a_schedule()
                await _prefect().serve(self._every, self._fire, self._poll_s, on_stop=self._stop, settle=self._settle)
            except asyncio.CancelledError:
                self._stopping = True
                raise
            except Exception as exc:  # noqa: BLE001 - e.g. the Prefect server did not start: try again later
                log.warning("serving workflow schedules: %s: %s", type(exc).__name__, exc)
                await asyncio.sleep(max(self._poll_s, 5.0))

    async def _until_a_schedule(self) -> None:
        while True:
            try:
                async with self._database.system() as conn:
                    if await store.any_schedule(conn):
                        return
            except AuralinkError as exc:
                log.warning("workflow schedules: %s", exc)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self._poll_s)
            self._wake.clear()

    async def _every(self) -> list[dict[str, Any]]:
        async with self._database.system() as conn:
            return await store.every_schedule(conn)

    async def _settle(self, flow_run_id: UUID, since: datetime) -> str | None:
        """What a flow run left Pending/Running by a stopped daemon became (see engines.prefect.Settle)."""
        async with self._database.system() as conn:
            run = await store.latest_run_of_flow_run(conn, flow_run_id, self._settle_after_s)
        if run is None:
            quiet = (datetime.now(UTC) - since).total_seconds() > self._settle_after_s
            return "again" if quiet else None
        if run["status"] not in ("completed", "failed", "cancelled") or not run["settled"]:
            return None  # still going (adopted by a daemon), or just ended: its daemon sets the state itself
        return "completed" if run["status"] == "completed" else "failed"

    def _stop(self) -> None:
        self._stopping = True

    async def _fire(self, schedule: dict[str, Any], flow_run_id: UUID) -> dict[str, Any]:
        """The body of a scheduled flow run: a run of the workflow, to its end; raises unless it COMPLETED (so
        Prefect retries it). Prefect's timeout cancels this wait: the run then ends FAILED, DEADLINE_EXCEEDED."""
        run = await self._workflows.start_scheduled(schedule, flow_run_id)
        caller = schedule_owner(schedule)
        try:
            ended = await self._workflows.wait_run(caller, run.id)
        except asyncio.CancelledError:
            if not self._stopping:  # Prefect's timeout (a stopping daemon leaves the run to be adopted)
                error = f"DEADLINE_EXCEEDED: the schedule's timeout ({schedule['timeout_s']:g} s) ran out"
                task = asyncio.create_task(self._workflows.time_out(caller, run.id, error))
                self._timeouts.add(task)
                task.add_done_callback(self._timeouts.discard)
            raise
        if ended.status != "completed":
            raise RuntimeError(f"AuraLink run {run.id} ended {ended.status}: {ended.error}")
        return {"run_id": str(run.id)}

    async def close(self) -> None:
        self._stopping = True
        await asyncio.gather(*self._timeouts, return_exceptions=True)
        await asyncio.to_thread(prefect_server.stop)


def _schedule_id(value: str) -> UUID:
    if not value.strip():
        raise InvalidArgument.for_field("schedule_id", "is required")
    try:
        return UUID(value.strip())
    except ValueError:
        raise NotFound(f"no schedule {value.strip()!r}") from None
