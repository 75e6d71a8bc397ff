"""`auralink llm complete|select`: a completion through the gateway (optionally streamed), and why a model is chosen."""

from __future__ import annotations

import sys
from typing import Annotated, Any

import typer

from auralink_cli import output
from auralink_cli.commands import _access as common
from auralink_cli.render.llm import selection_table

llm_app = typer.Typer(name="llm", help="Completions and model selection.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(llm_app, name="llm")


def prompt_text(prompt: str | None) -> str:
    if prompt is None or prompt == "-":
        return sys.stdin.read()
    return prompt


def complete_request(
    prompt: str, models: list[str], max_tokens: int, temperature: float | None, system: str, task: str
) -> Any:
    from auralink.v1 import providers_pb2

    messages = [providers_pb2.ChatMessage(role="system", content=system)] if system else []
    messages.append(providers_pb2.ChatMessage(role="user", content=prompt))
    request = providers_pb2.CompleteRequest(messages=messages, models=models, max_tokens=max_tokens, task_type=task)
    if temperature is not None:
        request.temperature = temperature
    return request


@llm_app.command("complete")
def complete(
    ctx: typer.Context,
    prompt: Annotated[str | None, typer.Argument(help="The prompt ('-' or omitted: stdin).")] = None,
    model: Annotated[
        list[str] | None, typer.Option("--model", "-m", help="PROVIDER/MODEL; repeat for a failover chain.")
    ] = None,
    max_tokens: Annotated[int, typer.Option("--max-tokens")] = 256,
    temperature: Annotated[float | None, typer.Option("--temperature")] = None,
    system: Annotated[str, typer.Option("--system", help="A system message.")] = "",
    task: Annotated[str, typer.Option("--task", help="Task type for the selection: chat, code, math, ...")] = "",
    stream_: Annotated[bool, typer.Option("--stream", help="Print tokens as they come.")] = False,
) -> None:
    """One completion. Without --model the selection service picks (the local model when no keys are set)."""
    settings = common.settings_of(ctx)
    request = complete_request(prompt_text(prompt), model or [], max_tokens, temperature, system, task)
    if not stream_:
        data = common.to_dict(common.connected(settings, lambda c: c.providers.Complete(request)))
        if settings.output == "table":
            output.plain(data["text"])
            output.info(
                f"[{data['model']}, {data['usage']['prompt_tokens']}+{data['usage']['completion_tokens']} "
                f"tokens, ${data['usage']['cost_usd']:.6f}]"
            )
        else:
            common.emit(settings, data)
        return
    console = output.console(settings.no_color)
    for chunk in common.streamed(settings, lambda c: c.providers.StreamComplete(request, timeout=settings.timeout)):
        data = common.to_dict(chunk)
        if settings.output != "table":
            output.emit_line(data, "", settings.output)
        elif data["done"]:
            console.print("", markup=False)
            output.info(f"[{data['model']}, {data['usage']['completion_tokens']} tokens]")
        else:
            console.print(data["delta"], end="", markup=False, highlight=False, soft_wrap=True)


@llm_app.command("select")
def select(
    ctx: typer.Context,
    prompt: Annotated[str | None, typer.Argument(help="The prompt ('-' or omitted: stdin).")] = None,
    task: Annotated[str, typer.Option("--task")] = "",
    latency_ms: Annotated[int, typer.Option("--latency-ms", min=0, help="Latency target in ms (0: none).")] = 0,
) -> None:
    """Which model the selection would pick for this prompt, and why."""
    from google.protobuf.duration_pb2 import Duration

    from auralink.v1 import providers_pb2

    settings = common.settings_of(ctx)
    request = providers_pb2.SelectOptimalModelRequest(prompt=prompt_text(prompt), task_type=task)
    if latency_ms:
        request.latency_target.CopyFrom(Duration(seconds=latency_ms // 1000, nanos=(latency_ms % 1000) * 1_000_000))
    data = common.to_dict(common.connected(settings, lambda c: c.llm_selection.SelectOptimalModel(request)))

    common.emit(settings, data, selection_table)
