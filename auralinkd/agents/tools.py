"""An agent's tool loop: the model (through the gateway, litellm tool calling) asks for MCP tools, they run
through MCPService (validated, bounded, audited as any CallTool), their results go back, until it answers.

Each call is reported as it finishes; a tool's failure goes back to the model as that call's result (and is
reported with is_error), while the chat's own deadline, budgets and permissions stop the loop.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from typing import Any

from auralinkd.access.principal import Caller
from auralinkd.errors import AuralinkError, DeadlineExceeded, FailedPrecondition, InvalidArgument, PermissionDenied
from auralinkd.mcp.service import MCPService
from auralinkd.providers.completions import CompletionRequest, CompletionService
from auralinkd.providers.gateway import Completion

MAX_STEPS = 6  # model turns per chat message; past it, the last turn's text is the reply
MAX_TOOLS = 32
_FUNCTION = re.compile(r"[^A-Za-z0-9_-]")


@dataclass(frozen=True)
class ToolCall:
    step: int
    connection: str
    tool: str
    arguments_json: str
    result: str
    is_error: bool
    duration_s: float


def split_tool(ref: str, field: str = "tools") -> tuple[str, str]:
    connection, sep, tool = ref.strip().partition("/")
    if not sep or not connection or not tool:
        raise InvalidArgument.for_field(field, f"expected CONNECTION/TOOL, got {ref!r}")
    return connection, tool


def validate_tools(refs: tuple[str, ...]) -> tuple[str, ...]:
    if len(refs) > MAX_TOOLS:
        raise InvalidArgument.for_field("tools", f"at most {MAX_TOOLS} tools")
    for ref in refs:
        split_tool(ref)
    return tuple(dict.fromkeys(r.strip() for r in refs))


class AgentTools:
    def __init__(self, mcp: MCPService) -> None:
        self._mcp = mcp

    async def loop(
        self,
        caller: Caller,
        completions: CompletionService,
        request: CompletionRequest,
        refs: tuple[str, ...],
        deadline: float | None,
    ) -> AsyncIterator[ToolCall | Completion]:
        """ToolCalls as they finish, then the final Completion (tokens and cost summed over every turn)."""
        if not caller.principal.can("mcp:call"):
            raise PermissionDenied("this agent uses MCP tools: chatting with it needs permission 'mcp:call'")
        specs, routes = await self._specs(caller, refs, deadline)
        messages: list[dict[str, Any]] = list(request.messages)
        turns: list[Completion] = []
        for step in range(1, MAX_STEPS + 1):
            turn = replace(request, messages=messages, tools=specs)
            completion = await completions.complete(caller, turn, _remaining(deadline))
            turns.append(completion)
            if not completion.tool_calls or step == MAX_STEPS:
                break
            messages.append(
                {
                    "role": "assistant",
                    "content": completion.text or "",
                    "tool_calls": [
                        {
                            "id": c["id"],
                            "type": "function",
                            "function": {"name": c["name"], "arguments": c["arguments"]},
                        }
                        for c in completion.tool_calls
                    ],
                }
            )
            for call in completion.tool_calls:
                result = await self._run(caller, step, routes.get(call["name"]), call, deadline)
                yield result
                messages.append({"role": "tool", "tool_call_id": call["id"], "content": result.result})
        last = turns[-1]
        yield replace(
            last,
            prompt_tokens=sum(t.prompt_tokens for t in turns),
            completion_tokens=sum(t.completion_tokens for t in turns),
            cost_usd=sum(t.cost_usd for t in turns),
        )

    async def _specs(
        self, caller: Caller, refs: tuple[str, ...], deadline: float | None
    ) -> tuple[list[dict[str, Any]], dict[str, tuple[str, str]]]:
        """OpenAI function specs of the agent's tools, and function name -> (connection, tool)."""
        specs: list[dict[str, Any]] = []
        routes: dict[str, tuple[str, str]] = {}
        by_connection: dict[str, list[str]] = {}
        for ref in refs:
            connection, tool = split_tool(ref)
            by_connection.setdefault(connection, []).append(tool)
        for connection, wanted in by_connection.items():
            try:
                listed, _ = await self._mcp.list_tools(caller, connection, _remaining(deadline))
            except AuralinkError as exc:
                raise FailedPrecondition(
                    f"the agent's MCP connection {connection!r} is not usable: {exc.message}"
                ) from None
            found = {t.name: t for t in listed}
            for tool in wanted:
                spec = found.get(tool)
                if spec is None:
                    raise FailedPrecondition(f"the agent's tool {connection}/{tool} does not exist (any more)")
                name = _FUNCTION.sub("_", f"{connection}__{tool}")[:64]
                routes[name] = (connection, tool)
                specs.append(
                    {
                        "type": "function",
                        "function": {
                            "name": name,
                            "description": (spec.description or spec.title or tool)[:1024],
                            "parameters": spec.input_schema or {"type": "object", "properties": {}},
                        },
                    }
                )
        return specs, routes

    async def _run(
        self, caller: Caller, step: int, route: tuple[str, str] | None, call: dict[str, str], deadline: float | None
    ) -> ToolCall:
        started = time.monotonic()
        connection, tool = route or ("", call["name"])

        def failed(message: str) -> ToolCall:
            return ToolCall(step, connection, tool, call["arguments"], message, True, time.monotonic() - started)

        if route is None:
            return failed(f"error: there is no tool named {call['name']!r}")
        try:
            arguments = json.loads(call["arguments"] or "{}")
        except json.JSONDecodeError as exc:
            return failed(f"error: the arguments are not valid JSON: {exc}")
        if not isinstance(arguments, dict):
            return failed("error: the arguments must be a JSON object")
        try:
            result = await self._mcp.call_tool(caller, connection, tool, arguments, _remaining(deadline))
        except DeadlineExceeded:
            raise
        except AuralinkError as exc:
            return failed(f"error: {exc.message}")
        text = "\n".join(c.text if c.kind == "text" else f"[{c.kind} {c.mime_type or c.uri}]" for c in result.content)
        return ToolCall(step, connection, tool, call["arguments"], text, result.is_error, result.duration_s)


def _remaining(deadline: float | None) -> float | None:
    if deadline is None:
        return None
    left = deadline - time.monotonic()
    if left <= 0:
        raise DeadlineExceeded("the chat's deadline passed during its tool calls")
    return left
