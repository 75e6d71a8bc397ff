"""Workflows data: workflows, runs, one run's live events (WatchRun), start, resume and cancel."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable
from typing import Any

import grpc

from auralink.v1 import system_pb2
from auralink.v1 import workflows_pb2 as pb
from tui import messages as m
from tui.sources.link import UNARY_TIMEOUT_S, Area, Link, backoff

SERVICE = "auralink.v1.WorkflowService"
RUNS_TOPIC = "workflows.runs."  # a run's state changed (auralinkd/workflows/service.py announces it)
ENDS = frozenset({"run_completed", "run_failed", "run_cancelled"})
# Events after which the run's row (state, step, prompt) has changed.
CHANGES = ENDS | {"run_started", "step_started", "interrupted", "resumed"}


class WorkflowsSource(Area):
    NAME = "workflows"
    _watch: asyncio.Task[None] | None = None

    def __init__(self, link: Link, *, interval_s: float = 60.0) -> None:
        super().__init__(link)
        self.interval_s = interval_s

    def background(self) -> list[Awaitable[Any]]:
        # Runs started or changed elsewhere (the CLI, a schedule, another replica) reach the list through the
        # org's WatchEvents (workflows.runs.*); the slow poll covers a daemon that does not announce them.
        return [
            self.link.stream("events", self._run_changes),  # a refusal here is the event log's, not this area's
            self.link.poll(self.interval_s, SERVICE, self.load_runs),
        ]

    async def _run_changes(self) -> AsyncIterator[None]:
        request = system_pb2.WatchEventsRequest(topics=[RUNS_TOPIC])
        async for event in self.client.system.WatchEvents(request, metadata=self.md()):
            if not event.heartbeat and SERVICE in self.link.services:
                await self.load_runs()
            yield None

    async def on_connect(self) -> None:
        if self.link.unavailable_unless(self.NAME, SERVICE):
            await self.load_workflows()
            await self.load_runs()

    async def load_workflows(self) -> None:
        resp = await self.link.act(
            "workflows.list",
            lambda: self.client.workflows.ListWorkflows(
                pb.ListWorkflowsRequest(page_size=200), metadata=self.md(), timeout=UNARY_TIMEOUT_S
            ),
            self.NAME,
        )
        if resp is not None:
            self.post(m.WorkflowsLoaded(list(resp.workflows)))

    async def load_runs(self) -> None:
        resp = await self.link.act(
            "runs.list",
            lambda: self.client.workflows.ListRuns(
                pb.ListRunsRequest(page_size=200), metadata=self.md(), timeout=UNARY_TIMEOUT_S
            ),
            self.NAME,
        )
        if resp is not None:
            self.post(m.RunsLoaded(list(resp.runs)))

    async def _get_run(self, run_id: str) -> None:
        resp = await self.link.act(
            "runs.show",
            lambda: self.client.workflows.GetRun(
                pb.GetRunRequest(run_id=run_id), metadata=self.md(), timeout=UNARY_TIMEOUT_S
            ),
            self.NAME,
        )
        if resp is not None:
            self.post(m.RunUpdated(resp))

    async def watch_run(self, run_id: str) -> None:
        """Follow one run (the one the screen shows): its stored events, then live ones, until it ends."""
        if self._watch is not None and not self._watch.done():
            self._watch.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._watch
        self.post(m.RunWatched(run_id))
        self._watch = self.link.spawn(self._follow(run_id))

    async def _follow(self, run_id: str) -> None:
        after, attempt = 0, 0
        await self._get_run(run_id)
        while True:
            await self.link.connected.wait()
            try:
                request = pb.WatchRunRequest(run_id=run_id, after_seq=after)
                async for event in self.client.workflows.WatchRun(request, metadata=self.md()):
                    attempt = 0
                    if event.heartbeat:
                        continue
                    after = max(after, event.seq)
                    self.post(m.RunEventReceived(event))
                    if event.kind in CHANGES:
                        await self._get_run(run_id)
                    if event.kind in ENDS:
                        await self.load_runs()
                        return
                return  # the daemon ended the stream: the run is over
            except grpc.RpcError as err:
                if err.code().name in ("NOT_FOUND", "PERMISSION_DENIED", "UNIMPLEMENTED", "INVALID_ARGUMENT"):
                    self.post(m.ActionFailed("runs.watch", err.code().name, err.details() or ""))
                    return
            attempt += 1
            await asyncio.sleep(backoff(attempt))

    async def start_run(self, workflow: str, inputs: dict[str, str]) -> None:
        request = pb.StartRunRequest(workflow=workflow, inputs=inputs)
        run = await self.link.act(
            "runs.start",
            lambda: self.client.workflows.StartRun(request, metadata=self.md(), timeout=UNARY_TIMEOUT_S),
            self.NAME,
        )
        if run is None:
            return
        self.post(m.ActionDone("runs.start", f"started run {run.id[:8]} of {run.workflow_name}"))
        self.post(m.RunUpdated(run))
        await self.watch_run(run.id)

    async def resume_run(self, run_id: str, answer: str) -> None:
        request = pb.ResumeRunRequest(run_id=run_id, input=answer)
        run = await self.link.act(
            "runs.resume",
            lambda: self.client.workflows.ResumeRun(request, metadata=self.md(), timeout=UNARY_TIMEOUT_S),
            self.NAME,
        )
        if run is not None:
            self.post(m.ActionDone("runs.resume", f"resumed run {run.id[:8]}"))
            self.post(m.RunUpdated(run))
            if self._watch is None or self._watch.done():
                await self.watch_run(run.id)

    async def cancel_run(self, run_id: str) -> None:
        request = pb.CancelRunRequest(run_id=run_id)
        run = await self.link.act(
            "runs.cancel",
            lambda: self.client.workflows.CancelRun(request, metadata=self.md(), timeout=UNARY_TIMEOUT_S),
            self.NAME,
        )
        if run is not None:
            self.post(m.ActionDone("runs.cancel", f"cancelled run {run.id[:8]}"))
            self.post(m.RunUpdated(run))
