"""`auralink workflows …` and `auralink runs …` (WorkflowService): definitions, and runs of them.

`runs start --watch` and `runs watch` print one line per event (JSON lines with -o json) until the run
ends or waits for input; LLM tokens are shown as they come. The exit status says how the run ended:
0 completed, 12 failed or cancelled, 13 waiting for input (`auralink runs resume RUN --input ...`).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from auralink_cli import exit_codes, output
from auralink_cli.commands import _access as common
from auralink_cli.exit_codes import CliError
from auralink_cli.render.workflows import (
    event_text,
    run_table,
    runs_table,
    schedule_table,
    schedules_table,
    workflow_table,
    workflows_table,
)

if TYPE_CHECKING:
    from auralink_cli.client import Client

workflows_app = typer.Typer(
    name="workflows", help="Workflow definitions (LangGraph, AutoGen, CrewAI, Prefect).", no_args_is_help=True
)
runs_app = typer.Typer(name="runs", help="Runs of workflows: start, watch, cancel, resume.", no_args_is_help=True)
schedules_app = typer.Typer(
    name="schedules", help="Cron schedules of workflows (Prefect deployments): list, rm.", no_args_is_help=True
)
workflows_app.add_typer(schedules_app, name="schedules")
RunArg = Annotated[str, typer.Argument(help="A run id.")]
WorkflowArg = Annotated[str, typer.Argument(help="A workflow name or id.")]
RUN_FAILED = exit_codes.RUN_FAILED
RUN_WAITING = exit_codes.RUN_WAITING


def register(app: typer.Typer) -> None:
    app.add_typer(workflows_app, name="workflows")
    app.add_typer(runs_app, name="runs")


def _call(ctx: typer.Context, use: Callable[[Client], Any]) -> dict[str, Any]:
    """`use(client)` on a fresh channel; its response as a dict."""
    return common.to_dict(common.connected(common.settings_of(ctx), use))


# -- workflows ------------------------------------------------------------------------------------


@workflows_app.command("create")
def create(
    ctx: typer.Context,
    file: Annotated[Path, typer.Option("--file", "-f", help="The definition (YAML or JSON; '-' for stdin).")],
    name: Annotated[str, typer.Option("--name", "-n", help="Default: the file's `name`, else its stem.")] = "",
    engine: Annotated[str, typer.Option("--engine", "-e", help="Default: the file's `engine`.")] = "",
) -> None:
    """Create a workflow, or a new version of one with the same name (validated by its engine)."""
    from auralink.v1 import workflows_pb2

    try:
        source = sys.stdin.read() if str(file) == "-" else file.read_text()
    except OSError as exc:
        raise CliError(exit_codes.USAGE, f"--file: cannot read {file}: {exc.strerror}") from None
    if not name:
        name = _declared_name(source) or (file.stem if str(file) != "-" else "")
    if not name:
        raise CliError(exit_codes.USAGE, "--name is needed (the definition has no `name`)")
    request = workflows_pb2.CreateWorkflowRequest(name=name, engine=engine, definition=_without_name(source))
    common.emit(common.settings_of(ctx), _call(ctx, lambda c: c.workflows.CreateWorkflow(request)), workflow_table)


def _declared_name(source: str) -> str:
    import yaml

    try:
        value = yaml.safe_load(source)
    except yaml.YAMLError:
        return ""
    return str(value.get("name", "")) if isinstance(value, dict) else ""


def _without_name(source: str) -> str:
    """The definition without its top-level `name` (the request carries it), else unchanged."""
    import yaml

    try:
        value = yaml.safe_load(source)
    except yaml.YAMLError:
        return source  # the daemon says where it is broken
    if isinstance(value, dict) and "name" in value:
        value.pop("name")
        return json.dumps(value)
    return source


@workflows_app.command("list")
@common.watchable
def list_workflows(
    ctx: typer.Context,
    limit: Annotated[int, common.LimitOption] = common.DEFAULT_LIMIT,
    page_token: Annotated[str, common.PageTokenOption] = "",
) -> None:
    """The organization's workflows (latest version of each), by name."""
    from auralink.v1 import workflows_pb2

    settings = common.settings_of(ctx)
    data = common.listed(
        settings,
        lambda c, size, token: c.workflows.ListWorkflows(
            workflows_pb2.ListWorkflowsRequest(page_size=size, page_token=token)
        ),
        "workflows", limit, page_token,
    )  # fmt: skip
    common.emit(settings, data, workflows_table, wide=True)


@workflows_app.command("show")
def show(
    ctx: typer.Context,
    workflow: WorkflowArg,
    version: Annotated[int, typer.Option("--version", min=0, help="0: the latest.")] = 0,
) -> None:
    """One workflow version: its engine, nodes and inputs."""
    from auralink.v1 import workflows_pb2

    data = _call(
        ctx, lambda c: c.workflows.GetWorkflow(workflows_pb2.GetWorkflowRequest(workflow=workflow, version=version))
    )
    common.emit(common.settings_of(ctx), data, workflow_table)


@workflows_app.command("rm")
def remove(ctx: typer.Context, workflow: WorkflowArg, yes: Annotated[bool, common.YesOption] = False) -> None:
    """Delete a workflow: every version, and their runs (its creator or an org admin)."""
    from auralink.v1 import workflows_pb2

    common.require_confirmation(yes, f"Delete workflow {workflow}, every version and its runs?")
    data = _call(ctx, lambda c: c.workflows.DeleteWorkflow(workflows_pb2.DeleteWorkflowRequest(workflow=workflow)))
    common.deleted(common.settings_of(ctx), "workflow", workflow, f"deleted {workflow}", **data)


# -- schedules ------------------------------------------------------------------------------------

# Creating the first schedule may start the daemon's local Prefect server (its database migrated on first use).
SCHEDULE_TIMEOUT_S = 300.0


@workflows_app.command("schedule")
def schedule(
    ctx: typer.Context,
    workflow: WorkflowArg,
    cron: Annotated[str, typer.Option("--cron", help="Five cron fields, e.g. '*/5 * * * *'.")],
    input_: Annotated[list[str], typer.Option("--input", "-i", help="KEY=VALUE (repeatable).")] = [],  # noqa: B006
    timezone: Annotated[str, typer.Option("--timezone", help="IANA name the cron is read in.")] = "UTC",
    retries: Annotated[int, typer.Option("--retries", min=0, max=10, help="Prefect flow retries.")] = 0,
    timeout: Annotated[float, typer.Option("--run-timeout", min=0, help="Seconds a run may take (0: 3600).")] = 0.0,
) -> None:
    """Run a workflow on a cron schedule: a Prefect deployment; each flow run Prefect starts is a run of yours."""
    from auralink.v1 import workflows_pb2

    request = workflows_pb2.CreateScheduleRequest(
        workflow=workflow, cron=cron, timezone=timezone, inputs=_inputs(input_), retries=retries, timeout_s=timeout
    )
    wait = max(common.settings_of(ctx).timeout, SCHEDULE_TIMEOUT_S)
    data = _call(ctx, lambda c: c.workflows.CreateSchedule(request, timeout=wait))
    common.emit(common.settings_of(ctx), data, schedule_table)


@schedules_app.command("list")
@common.watchable
def list_schedules(
    ctx: typer.Context,
    workflow: Annotated[str, typer.Option("--workflow", help="Only this workflow's schedules.")] = "",
    limit: Annotated[int, common.LimitOption] = common.DEFAULT_LIMIT,
    page_token: Annotated[str, common.PageTokenOption] = "",
) -> None:
    """Your schedules (an org admin: the org's), newest first."""
    from auralink.v1 import workflows_pb2

    settings = common.settings_of(ctx)
    data = common.listed(
        settings,
        lambda c, size, token: c.workflows.ListSchedules(
            workflows_pb2.ListSchedulesRequest(page_size=size, page_token=token, workflow=workflow)
        ),
        "schedules", limit, page_token,
    )  # fmt: skip
    common.emit(settings, data, schedules_table, wide=True)


@schedules_app.command("rm")
def remove_schedule(
    ctx: typer.Context,
    schedule_id: Annotated[str, typer.Argument(help="A schedule id.")],
    yes: Annotated[bool, common.YesOption] = False,
) -> None:
    """Delete a schedule and its Prefect deployment (its runs stay)."""
    from auralink.v1 import workflows_pb2

    common.require_confirmation(yes, f"Delete schedule {schedule_id} and its Prefect deployment?")
    request = workflows_pb2.DeleteScheduleRequest(schedule_id=schedule_id)
    wait = max(common.settings_of(ctx).timeout, SCHEDULE_TIMEOUT_S)
    _call(ctx, lambda c: c.workflows.DeleteSchedule(request, timeout=wait))
    common.deleted(common.settings_of(ctx), "schedule", schedule_id, f"deleted schedule {schedule_id}")


# -- runs -----------------------------------------------------------------------------------------


def _inputs(pairs: list[str]) -> dict[str, str]:
    values: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise CliError(exit_codes.USAGE, f"--input: expected KEY=VALUE, got {pair!r}")
        values[key] = value
    return values


@runs_app.command("start")
def start(
    ctx: typer.Context,
    workflow: WorkflowArg,
    input_: Annotated[list[str], typer.Option("--input", "-i", help="KEY=VALUE (repeatable).")] = [],  # noqa: B006
    version: Annotated[int, typer.Option("--version", min=0, help="0: the latest.")] = 0,
    watch_: Annotated[bool, typer.Option("--watch", "-w", help="Follow its events until it ends or waits.")] = False,
) -> None:
    """Start a run of a workflow; with --watch, follow it (exit 0 completed, 12 failed or cancelled, 13 waiting
    for input)."""
    from auralink.v1 import workflows_pb2

    request = workflows_pb2.StartRunRequest(workflow=workflow, version=version, inputs=_inputs(input_))
    data = _call(ctx, lambda c: c.workflows.StartRun(request))
    if not watch_:
        common.emit(common.settings_of(ctx), data, run_table)
        return
    settings = common.settings_of(ctx)
    if settings.output == "table":
        output.info(f"run {data['id']} of {data['workflow_name']} v{data['workflow_version']}")
    _follow(ctx, data["id"])


@runs_app.command("watch")
def watch(ctx: typer.Context, run: RunArg) -> None:
    """Follow a run's events (from the start) until it ends or waits for input."""
    _follow(ctx, run)


def _follow(ctx: typer.Context, run: str) -> None:
    from auralink.v1 import workflows_pb2

    settings = common.settings_of(ctx)
    request = workflows_pb2.WatchRunRequest(run_id=run)
    last: dict[str, Any] = {}
    streaming = False
    try:
        for event in common.streamed(settings, lambda c: c.workflows.WatchRun(request)):
            if event.heartbeat:
                continue
            data = common.to_dict(event)
            data["data"] = json.loads(data["data"] or "{}")
            if data["kind"] == "llm_token" and settings.output == "table":
                sys.stdout.write(data["data"].get("text", ""))
                sys.stdout.flush()
                streaming = True
                continue
            if streaming:
                sys.stdout.write("\n")
                streaming = False
            output.emit_line(data, event_text(data), settings.output, no_color=settings.no_color)
            last = data
    except KeyboardInterrupt:
        raise typer.Exit(exit_codes.OK) from None
    kind = last.get("kind", "")
    if kind == "run_completed":
        return
    if kind == "interrupted":
        raise typer.Exit(RUN_WAITING)
    raise typer.Exit(RUN_FAILED)


@runs_app.command("list")
@common.watchable
def list_runs(
    ctx: typer.Context,
    workflow: Annotated[str, typer.Option("--workflow", help="Only this workflow's runs.")] = "",
    limit: Annotated[int, common.LimitOption] = common.DEFAULT_LIMIT,
    page_token: Annotated[str, common.PageTokenOption] = "",
) -> None:
    """Your runs (an org admin: the org's), newest first."""
    from auralink.v1 import workflows_pb2

    settings = common.settings_of(ctx)
    data = common.listed(
        settings,
        lambda c, size, token: c.workflows.ListRuns(
            workflows_pb2.ListRunsRequest(page_size=size, page_token=token, workflow=workflow)
        ),
        "runs", limit, page_token,
    )  # fmt: skip
    common.emit(settings, data, runs_table, wide=True)


@runs_app.command("show")
def show_run(ctx: typer.Context, run: RunArg) -> None:
    """One run: its state, step, output or error."""
    from auralink.v1 import workflows_pb2

    common.emit(
        common.settings_of(ctx),
        _call(ctx, lambda c: c.workflows.GetRun(workflows_pb2.GetRunRequest(run_id=run))),
        run_table,
    )


@runs_app.command("cancel")
def cancel(ctx: typer.Context, run: RunArg) -> None:
    """Cancel a run (it stops at once; an ended run is left as it is)."""
    from auralink.v1 import workflows_pb2

    data = _call(ctx, lambda c: c.workflows.CancelRun(workflows_pb2.CancelRunRequest(run_id=run)))
    common.emit(common.settings_of(ctx), data, run_table)


@runs_app.command("resume")
def resume(
    ctx: typer.Context,
    run: RunArg,
    input_: Annotated[str, typer.Option("--input", "-i", help="The answer to what the run asks.")],
    watch_: Annotated[bool, typer.Option("--watch", "-w", help="Follow it until it ends or waits again.")] = False,
) -> None:
    """Answer a run that waits for input; it continues from its checkpoint."""
    from auralink.v1 import workflows_pb2

    data = _call(ctx, lambda c: c.workflows.ResumeRun(workflows_pb2.ResumeRunRequest(run_id=run, input=input_)))
    if not watch_:
        common.emit(common.settings_of(ctx), data, run_table)
        return
    _follow(ctx, run)  # from the start: the history, then what follows the answer
