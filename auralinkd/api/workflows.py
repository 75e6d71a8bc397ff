"""WorkflowService servicer: definitions, runs and schedules, proto <-> domain."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

from auralink.v1 import workflows_pb2 as pb
from auralink.v1 import workflows_pb2_grpc as pb_grpc
from auralinkd.api.context import current_caller
from auralinkd.api.convert import timestamp
from auralinkd.api.permissions import requires
from auralinkd.streams import Streams
from auralinkd.workflows.schedules import Schedule, ScheduleService
from auralinkd.workflows.service import Run, Workflow, WorkflowService

_STATES = {
    "pending": pb.RUN_STATE_PENDING, "running": pb.RUN_STATE_RUNNING, "waiting_input": pb.RUN_STATE_WAITING_INPUT,
    "completed": pb.RUN_STATE_COMPLETED, "failed": pb.RUN_STATE_FAILED, "cancelled": pb.RUN_STATE_CANCELLED,
}  # fmt: skip


def workflow_to_proto(w: Workflow) -> pb.Workflow:
    return pb.Workflow(
        id=str(w.id), name=w.name, engine=w.engine, version=w.version, description=w.description,
        definition=json.dumps(w.definition, sort_keys=True), created_by=str(w.created_by or ""),
        create_time=timestamp(w.created_at),
    )  # fmt: skip


def run_to_proto(r: Run) -> pb.Run:
    return pb.Run(
        id=str(r.id), workflow_id=str(r.workflow_id), workflow_name=r.workflow_name,
        workflow_version=r.workflow_version, engine=r.engine, state=_STATES.get(r.status, pb.RUN_STATE_UNSPECIFIED),
        inputs={str(k): str(v) for k, v in r.inputs.items()},
        output=json.dumps(r.output, sort_keys=True) if r.output is not None else "", error=r.error,
        current_step=r.current_step, waiting_prompt=r.waiting_prompt, created_by=str(r.created_by),
        create_time=timestamp(r.created_at), start_time=timestamp(r.started_at), end_time=timestamp(r.completed_at),
        schedule_id=str(r.schedule_id or ""), prefect_flow_run_id=str(r.prefect_flow_run_id or ""),
    )  # fmt: skip


def schedule_to_proto(s: Schedule) -> pb.Schedule:
    return pb.Schedule(
        id=str(s.id), workflow_id=str(s.workflow_id), workflow_name=s.workflow_name,
        workflow_version=s.workflow_version, cron=s.cron, timezone=s.timezone,
        inputs={str(k): str(v) for k, v in s.inputs.items()}, retries=s.retries, timeout_s=s.timeout_s,
        prefect_deployment_id=str(s.prefect_deployment_id), created_by=str(s.created_by),
        create_time=timestamp(s.created_at),
    )  # fmt: skip


class WorkflowServicer(pb_grpc.WorkflowServiceServicer):
    def __init__(self, workflows: WorkflowService, streams: Streams, schedules: ScheduleService) -> None:
        self._workflows = workflows
        self._streams = streams
        self._schedules = schedules

    @requires("workflows:create")
    async def CreateWorkflow(self, request: pb.CreateWorkflowRequest, context: Any) -> pb.Workflow:
        created = await self._workflows.create(
            current_caller(), request.name, request.engine, request.definition, context.time_remaining()
        )
        return workflow_to_proto(created)

    @requires("workflows:read")
    async def GetWorkflow(self, request: pb.GetWorkflowRequest, context: Any) -> pb.Workflow:
        found = await self._workflows.get(current_caller(), request.workflow, request.version, context.time_remaining())
        return workflow_to_proto(found)

    @requires("workflows:read")
    async def ListWorkflows(self, request: pb.ListWorkflowsRequest, context: Any) -> pb.ListWorkflowsResponse:
        items, token = await self._workflows.list(
            current_caller(), request.page_size, request.page_token, context.time_remaining()
        )
        return pb.ListWorkflowsResponse(workflows=[workflow_to_proto(w) for w in items], next_page_token=token)

    @requires("workflows:delete")
    async def DeleteWorkflow(self, request: pb.DeleteWorkflowRequest, context: Any) -> pb.DeleteWorkflowResponse:
        count = await self._workflows.delete(current_caller(), request.workflow, context.time_remaining())
        return pb.DeleteWorkflowResponse(versions_deleted=count)

    @requires("workflows:run")
    async def StartRun(self, request: pb.StartRunRequest, context: Any) -> pb.Run:
        run = await self._workflows.start_run(
            current_caller(), request.workflow, request.version, dict(request.inputs), context.time_remaining()
        )
        return run_to_proto(run)

    @requires("workflows:read")
    async def GetRun(self, request: pb.GetRunRequest, context: Any) -> pb.Run:
        return run_to_proto(await self._workflows.get_run(current_caller(), request.run_id, context.time_remaining()))

    @requires("workflows:read")
    async def ListRuns(self, request: pb.ListRunsRequest, context: Any) -> pb.ListRunsResponse:
        items, token = await self._workflows.list_runs(
            current_caller(), request.page_size, request.page_token, request.workflow, context.time_remaining()
        )
        return pb.ListRunsResponse(runs=[run_to_proto(r) for r in items], next_page_token=token)

    @requires("workflows:run")
    async def CancelRun(self, request: pb.CancelRunRequest, context: Any) -> pb.Run:
        return run_to_proto(
            await self._workflows.cancel_run(current_caller(), request.run_id, context.time_remaining())
        )

    @requires("workflows:watch")
    async def WatchRun(self, request: pb.WatchRunRequest, context: Any) -> AsyncIterator[pb.RunEvent]:
        async def events() -> AsyncIterator[pb.RunEvent]:
            async for e in self._workflows.watch(current_caller(), request.run_id, request.after_seq):
                yield pb.RunEvent(
                    run_id=str(e.run_id), seq=e.seq, kind=e.kind, step=e.step,
                    data=json.dumps(e.data, sort_keys=True), time=timestamp(e.time),
                )  # fmt: skip

        def heartbeat() -> pb.RunEvent:
            return pb.RunEvent(run_id=request.run_id, heartbeat=True, time=timestamp(datetime.now(UTC)))

        async for message in self._streams.keep_alive(events(), heartbeat):
            yield message

    @requires("workflows:run")
    async def ResumeRun(self, request: pb.ResumeRunRequest, context: Any) -> pb.Run:
        run = await self._workflows.resume_run(
            current_caller(), request.run_id, request.input, context.time_remaining()
        )
        return run_to_proto(run)

    @requires("workflows:run")
    async def CreateSchedule(self, request: pb.CreateScheduleRequest, context: Any) -> pb.Schedule:
        created = await self._schedules.create(
            current_caller(), request.workflow, request.cron, request.timezone, dict(request.inputs), request.retries,
            request.timeout_s,
        )  # fmt: skip
        return schedule_to_proto(created)

    @requires("workflows:read")
    async def ListSchedules(self, request: pb.ListSchedulesRequest, context: Any) -> pb.ListSchedulesResponse:
        items, token = await self._schedules.list(
            current_caller(), request.page_size, request.page_token, request.workflow
        )
        return pb.ListSchedulesResponse(schedules=[schedule_to_proto(s) for s in items], next_page_token=token)

    @requires("workflows:run")
    async def DeleteSchedule(self, request: pb.DeleteScheduleRequest, context: Any) -> pb.DeleteScheduleResponse:
        await self._schedules.delete(current_caller(), request.schedule_id)
        return pb.DeleteScheduleResponse()
