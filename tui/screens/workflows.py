"""Workflows: workflows and their runs, one run followed live (WatchRun) with a step graph and token and
cost counters, and the run actions: start, resume a run waiting for a person, cancel.

Against a daemon without WorkflowService the screen says so, with the gRPC code, instead of failing.
"""

from __future__ import annotations

from typing import Any

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import DataTable, Input, RichLog, Static

from tui import messages as m
from tui.screens.base import DataScreen, disable_for, panel_table, refill
from tui.widgets.common.gated import GatedButton
from tui.widgets.common.modals import ConfirmModal, InputModal
from tui.widgets.workflows import render

RUN_MESSAGES = (m.RunsLoaded, m.RunUpdated)


class WorkflowsScreen(DataScreen):
    AREA = "workflows"
    _shown_events = 0

    DEFAULT_CSS = """
    WorkflowsScreen #wf-body { height: 1fr; }
    WorkflowsScreen #wf-left { width: 1fr; }
    WorkflowsScreen #wf-right { width: 1fr; }
    WorkflowsScreen #workflows { height: 9; }
    WorkflowsScreen #runs { height: 1fr; }
    WorkflowsScreen #run-detail { height: auto; min-height: 6; }
    WorkflowsScreen #run-graph { height: auto; min-height: 3; max-height: 12; }
    WorkflowsScreen #run-events { height: 1fr; min-height: 4; }
    WorkflowsScreen .buttons { height: auto; }
    WorkflowsScreen .buttons Button { margin-right: 1; }
    """

    def compose_body(self) -> ComposeResult:
        yield Input(placeholder="filter workflows and runs", id="filter")
        yield Static(id="workflows-notice", classes="notice")
        with Horizontal(classes="buttons"):
            yield GatedButton("Start run…", "runs.start", id="run-start", variant="primary")
            yield GatedButton("Resume…", "runs.resume", id="run-resume")
            yield GatedButton("Cancel run", "runs.cancel", id="run-cancel", variant="error")
        with Horizontal(id="wf-body"):
            with Vertical(id="wf-left"):
                yield panel_table("workflows", "Workflows")
                yield panel_table("runs", "Runs")
            with Vertical(id="wf-right"):
                detail = Static(id="run-detail", classes="panel")
                detail.border_title = "Run"
                yield detail
                graph = Static(id="run-graph", classes="panel")
                graph.border_title = "Steps"
                yield graph
                log = RichLog(id="run-events", max_lines=500, wrap=False, markup=False)
                log.border_title = "Events (WatchRun)"
                log.add_class("panel")
                yield log

    def on_mount(self) -> None:
        self.query_one("#workflows", DataTable).add_columns("Workflow", "Engine", "Version")
        self.query_one("#runs", DataTable).add_columns("Run", "Workflow", "State", "Step", "Started")
        super().on_mount()

    def on_screen_resume(self) -> None:
        super().on_screen_resume()
        if self.state.connection == "connected" and "workflows" not in self.state.unavailable:
            self.request(self.source.workflows.load_workflows())
            self.request(self.source.workflows.load_runs())

    def show(self, message: m.DataMessage | None) -> None:
        disable_for(self, "workflows", "#workflows-notice", "Workflows")
        if message is None or isinstance(message, m.WorkflowsLoaded):
            self._show_workflows()
        if message is None or isinstance(message, RUN_MESSAGES):
            self._show_runs()
        if message is None or isinstance(message, (*RUN_MESSAGES, m.RunWatched, m.RunEventReceived)):
            self._show_run()

    def _matches(self, *values: str) -> bool:
        wanted = self.filter_text
        return not wanted or wanted in " ".join(values).lower()

    def _show_workflows(self) -> None:
        rows = [(w.id, render.workflow_row(w)) for w in self.state.workflows if self._matches(w.name, w.engine)]
        refill(self.query_one("#workflows", DataTable), rows)

    def _show_runs(self) -> None:
        table = self.query_one("#runs", DataTable)
        watched = self.state.run.id if self.state.run is not None else None
        table.clear()
        for run in self.state.runs:
            if self._matches(run.id, run.workflow_name, render.state_name(run)):
                table.add_row(*render.run_row(run), key=run.id)
        rows = [table.coordinate_to_cell_key((i, 0)).row_key.value for i in range(table.row_count)]
        if watched in rows:
            table.move_cursor(row=rows.index(watched))

    def _show_run(self) -> None:
        state = self.state
        self.query_one("#run-detail", Static).update(
            render.run_detail(state.run, state.run_tokens, state.run_cost_usd, state.run_live)
        )
        self.query_one("#run-graph", Static).update(render.step_graph(self._workflow_of(state.run), state.run_events))
        log = self.query_one("#run-events", RichLog)
        if len(state.run_events) < self._shown_events:  # another run is followed now
            log.clear()
            self._shown_events = 0
        for event in state.run_events[self._shown_events :]:
            log.write(render.event_line(event))
        self._shown_events = len(state.run_events)
        run = state.run
        waiting = run is not None and render.state_name(run) == "WAITING_INPUT"
        live = run is not None and render.state_name(run) in ("PENDING", "RUNNING", "WAITING_INPUT")
        if "workflows" not in state.unavailable:
            self.query_one("#run-resume", GatedButton).display = waiting and not self.aura.read_only
            self.query_one("#run-cancel", GatedButton).display = live and not self.aura.read_only

    def apply_gates(self) -> None:
        super().apply_gates()
        if self.is_mounted:
            self._show_run()

    def _workflow_of(self, run: Any) -> Any:
        if run is None:
            return None
        return next((w for w in self.state.workflows if w.id == run.workflow_id), None)

    def selected_workflow(self) -> Any:
        table = self.query_one("#workflows", DataTable)
        if not table.row_count:
            return None
        key = table.coordinate_to_cell_key((table.cursor_row, 0)).row_key.value
        return next((w for w in self.state.workflows if w.id == key), None)

    @on(DataTable.RowSelected, "#runs")
    def _run_chosen(self, event: DataTable.RowSelected) -> None:
        """Follow the run chosen (Enter or a click): its events replay from the first."""
        run_id = event.row_key.value
        if run_id and (self.state.run is None or self.state.run.id != run_id):
            self.request(self.source.workflows.watch_run(run_id))

    @on(GatedButton.Pressed, "#run-start")
    def start(self) -> None:
        workflow = self.selected_workflow()
        if self.refuse(self.query_one("#run-start", GatedButton)) or workflow is None:
            return

        def chosen(value: str | None) -> None:
            if value is None:
                return
            inputs = dict(pair.split("=", 1) for pair in value.split() if "=" in pair)
            self.request(self.source.workflows.start_run(workflow.name, inputs))

        self.app.push_screen(
            InputModal(f"Start {workflow.name}: inputs", "key=value key=value", "Start", allow_empty=True), chosen
        )

    @on(GatedButton.Pressed, "#run-resume")
    def resume(self) -> None:
        run = self.state.run
        if self.refuse(self.query_one("#run-resume", GatedButton)) or run is None:
            return

        def answered(value: str | None) -> None:
            if value is not None:
                self.request(self.source.workflows.resume_run(run.id, value))

        self.app.push_screen(
            InputModal(run.waiting_prompt or "Answer the run", "your answer", "Resume", allow_empty=True), answered
        )

    @on(GatedButton.Pressed, "#run-cancel")
    def cancel(self) -> None:
        run = self.state.run
        if self.refuse(self.query_one("#run-cancel", GatedButton)) or run is None:
            return
        self.app.push_screen(
            ConfirmModal(f"Cancel run {run.id[:8]} of {run.workflow_name}?", "Cancel run"),
            lambda ok: ok and self.request(self.source.workflows.cancel_run(run.id)),
        )
