"""`auralink usage [--since 7d]`: cost, tokens and speech by agent, user, model and operation;
`auralink usage budget …` sets limits."""

from __future__ import annotations

from typing import Annotated

import typer

from auralink_cli.commands import _access as common
from auralink_cli.render.usage import budgets_table, usage_table

usage_app = typer.Typer(name="usage", help="LLM cost and tokens, and budgets.", invoke_without_command=True)
SCOPES = ("user", "org", "agent")
PERIODS = ("day", "week", "month", "total")


def register(app: typer.Typer) -> None:
    app.add_typer(usage_app, name="usage")


@usage_app.callback()
def usage(
    ctx: typer.Context,
    since: Annotated[str, typer.Option("--since", help="A duration ago (7d) or an ISO time.")] = "",
    until: Annotated[str, typer.Option("--until")] = "",
    run: Annotated[str, typer.Option("--run", help="Only the calls of this workflow run (its id).")] = "",
) -> None:
    """Cost and tokens by agent, user and model (yours; the whole org's for org admins)."""
    if ctx.invoked_subcommand is not None:
        return
    from auralink.v1 import providers_pb2

    settings = common.settings_of(ctx)
    request = providers_pb2.GetUsageRequest(workflow_run_id=run)
    if since:
        request.start_time.CopyFrom(common.timestamp(common.parse_time(since, "--since")))
    if until:
        request.end_time.CopyFrom(common.timestamp(common.parse_time(until, "--until")))
    common.emit(
        settings,
        common.to_dict(common.connected(settings, lambda c: c.providers.GetUsage(request))),
        usage_table,
        wide=True,
    )


@usage_app.command("budget")
def budget(
    ctx: typer.Context,
    scope: Annotated[str, typer.Argument(help="user, org or agent.")],
    limit_usd: Annotated[float, typer.Argument(help="The limit in USD per period.")],
    subject: Annotated[
        str, typer.Option("--subject", help="The user (id, email or username) or agent (id or name); not for org.")
    ] = "",
    period: Annotated[str, typer.Option("--period", help="day, week, month or total.")] = "month",
) -> None:
    """Set a spending limit; calls over it get RESOURCE_EXHAUSTED before any provider is called."""
    from auralink.v1 import providers_pb2
    from auralink_cli.client import Client

    settings = common.settings_of(ctx)
    scope_name = common.choice(scope, SCOPES, "SCOPE")
    period_name = common.choice(period, PERIODS, "--period")
    b = providers_pb2.Budget(
        scope=providers_pb2.BudgetScope.Value(f"BUDGET_SCOPE_{scope_name.upper()}"),  # type: ignore[union-attr]
        period=providers_pb2.BudgetPeriod.Value(f"BUDGET_PERIOD_{period_name.upper()}"),  # type: ignore[union-attr]
        subject_id=subject,
        limit_usd=limit_usd,
    )
    with Client(settings) as client:
        if scope_name == "user":
            b.subject_id = common.user_id(client, subject)
        elif scope_name == "agent":
            b.subject_id = common.agent_id(client, subject)
        common.emit(settings, common.to_dict(client.providers.SetBudget(providers_pb2.SetBudgetRequest(budget=b))))


@usage_app.command("budgets")
@common.watchable
def budgets(ctx: typer.Context) -> None:
    """The budgets of your organization and what has been spent in each period."""
    from auralink.v1 import providers_pb2

    settings = common.settings_of(ctx)
    data = common.to_dict(
        common.connected(settings, lambda c: c.providers.ListBudgets(providers_pb2.ListBudgetsRequest()))
    )
    common.emit(settings, data, budgets_table, wide=True)
