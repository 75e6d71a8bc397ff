"""What every engine's steps share, with no framework import: templates, validation helpers, the gateway call
(tokens streamed to watchers, the run id on the usage row), memory recall and store as the run's owner, and
MCP tool specs and calls through MCPService."""

from __future__ import annotations

import re
from typing import Any
from uuid import UUID

from auralinkd.errors import FailedPrecondition, InvalidArgument
from auralinkd.workflows.engines import Outcome, RunContext

ID = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")
_FIELD = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")


def bad(path: str, why: str) -> InvalidArgument:
    return InvalidArgument.for_field(path, why)


def text(node: dict[str, Any], key: str, path: str, *, required: bool, limit: int = 20_000) -> str:
    value = node.get(key)
    if value is None:
        if required:
            raise bad(f"{path}.{key}", "is required")
        return ""
    if not isinstance(value, str) or (required and not value.strip()):
        raise bad(f"{path}.{key}", "must be non-empty text")
    if len(value) > limit:
        raise bad(f"{path}.{key}", f"must be at most {limit} characters")
    return value


def number(node: dict[str, Any], key: str, path: str, low: float, high: float, *, integer: bool = False) -> Any:
    value = node[key]
    kinds = int if integer else int | float
    if isinstance(value, bool) or not isinstance(value, kinds) or not low <= value <= high:
        raise bad(f"{path}.{key}", f"must be {'an integer' if integer else 'a number'} from {low:g} to {high:g}")
    return value


def agent_id(node: dict[str, Any], path: str) -> str:
    try:
        return str(UUID(str(node["agent"])))
    except ValueError:
        raise bad(f"{path}.agent", "must be an AuraLink agent id (a UUID)") from None


def tool_refs(node: dict[str, Any], path: str) -> list[str]:
    """`tools: [CONNECTION/TOOL, ...]`: MCP tools an agent may call."""
    refs = node.get("tools", [])
    if not isinstance(refs, list) or len(refs) > 32:
        raise bad(f"{path}.tools", "must be a list of at most 32 CONNECTION/TOOL names")
    for j, ref in enumerate(refs):
        connection, sep, tool = ref.partition("/") if isinstance(ref, str) else ("", "", "")
        if not sep or not connection.strip() or not tool.strip():
            raise bad(f"{path}.tools[{j}]", f"expected CONNECTION/TOOL, got {ref!r}")
    return list(dict.fromkeys(r.strip() for r in refs))


def inputs_of(definition: dict[str, Any], allowed: set[str], what: str) -> list[str]:
    """The definition's input names, after refusing keys that are not `allowed`."""
    unknown = set(definition) - allowed
    if unknown:
        raise bad(sorted(unknown)[0], f"is not a key of {what}")
    inputs = definition.get("inputs", [])
    if not isinstance(inputs, list) or not all(isinstance(i, str) and ID.match(i) for i in inputs):
        raise bad("inputs", "must be a list of names (letters, digits, _)")
    return inputs


def remember_of(definition: dict[str, Any]) -> dict[str, Any] | None:
    """`remember: {tags: [...]}`: store the run's final answer in the owner's memory."""
    if "remember" not in definition:
        return None
    raw = definition["remember"]
    tags = raw.get("tags", []) if isinstance(raw, dict) else None
    if not isinstance(tags, list) or set(raw) - {"tags"} or not all(isinstance(t, str) and t for t in tags):
        raise bad("remember", "must be {tags: [TAG, ...]}")
    return {"tags": tags}


def check_templates(templates: list[tuple[str, str]], inputs: list[str]) -> None:
    """Each `{name}` in each (path, text) must be an input."""
    for path, value in templates:
        for name in _FIELD.findall(value):
            if name not in inputs:
                raise bad(path, f"names {{{name}}}, which is not among the inputs ({', '.join(inputs) or 'none'})")


class Resumable:
    """An engine whose checkpoints are kept through `RunContext.checkpoint`: `start` runs from the inputs;
    `resume` (after a crash: the next daemon adopted the run) continues after the last finished step."""

    async def start(self, run: RunContext) -> Outcome:
        missing = [k for k in run.definition["inputs"] if k not in run.inputs]
        if missing:
            raise bad(f"inputs.{missing[0]}", "is required by this workflow")
        return await self.drive(run, resumed=False)

    async def resume(self, run: RunContext, answer: str | None) -> Outcome:
        return await self.drive(run, resumed=True)

    async def drive(self, run: RunContext, *, resumed: bool) -> Outcome:
        raise NotImplementedError


async def restored(run: RunContext, step: str, completed: list[str]) -> None:
    """The event that says a resumed run continues at `step`, after the `completed` steps (not run again,
    their usage not counted again)."""
    await run.emit("checkpoint_restored", step, {"completed": completed})


def agent_options(agent: dict[str, Any], path: str) -> dict[str, Any]:
    """An agent's optional AuraLink agent id, max_tokens, temperature and memory ({query, limit}), checked."""
    clean: dict[str, Any] = {}
    if "agent" in agent:
        clean["agent"] = agent_id(agent, path)
    if "max_tokens" in agent:
        clean["max_tokens"] = number(agent, "max_tokens", path, 1, 32768, integer=True)
    if "temperature" in agent:
        clean["temperature"] = number(agent, "temperature", path, 0, 2)
    if "memory" in agent:
        memory = agent["memory"]
        if not isinstance(memory, dict) or set(memory) - {"query", "limit"}:
            raise bad(f"{path}.memory", "must be {query: TEMPLATE, limit: N}")
        limit = memory.get("limit", 5)
        if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= 50:
            raise bad(f"{path}.memory.limit", "must be an integer from 1 to 50")
        clean["memory"] = {"query": text(memory, "query", f"{path}.memory", required=True), "limit": limit}
    return clean


def named_entry(entry: Any, path: str, allowed: set[str], earlier: Any, what: str, key: str = "id") -> str:
    """A mapping with only `allowed` keys and a fresh name under `key`: the name, or INVALID_ARGUMENT."""
    if not isinstance(entry, dict):
        raise bad(path, "must be a mapping")
    extra = set(entry) - allowed
    if extra:
        raise bad(f"{path}.{sorted(extra)[0]}", f"is not a key of {what}")
    ident = entry.get(key)
    if not isinstance(ident, str) or not ID.match(ident):
        raise bad(f"{path}.{key}", "must be a name (letters, digits, _)")
    if ident in earlier:
        raise bad(f"{path}.{key}", f"{ident!r} is used by an earlier one")
    return ident


def jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)


def fill(template: str, state: dict[str, Any]) -> str:
    """`{name}` -> the state's value as text (missing: empty); other braces are left alone."""
    return _FIELD.sub(lambda m: "" if state.get(m[1]) is None else str(state.get(m[1])), template)


async def complete(
    run: RunContext,
    step: str,
    messages: list[dict[str, Any]],
    *,
    model: str = "",
    agent: str = "",
    max_tokens: int = 0,
    temperature: float | None = None,
    tools: list[dict[str, Any]] | None = None,
) -> tuple[Any, dict[str, Any]]:
    """One LLM call of a run through our CompletionService (budgets, failover, BYOK keys, a usage row with
    the run id), its tokens streamed to watchers as they come: the Completion and its model, tokens, cost."""
    from auralinkd.providers.completions import CompletionRequest
    from auralinkd.providers.gateway import Completion, Delta

    request = CompletionRequest(
        messages=messages, models=[model] if model else [], max_tokens=max_tokens, temperature=temperature,
        agent_id=UUID(agent) if agent else None, run_id=run.run_id, tools=tools or None,
    )  # fmt: skip
    completion = None
    async for item in run.services.completions.stream(run.caller, request, run.services.llm_timeout_s):
        if isinstance(item, Delta) and item.text:
            await run.live("llm_token", step, {"text": item.text})
        elif isinstance(item, Completion):
            completion = item
    if completion is None:
        raise FailedPrecondition(f"step {step!r}: the gateway returned no completion")
    return completion, usage_of(completion)


def usage_of(completion: Any) -> dict[str, Any]:
    return {
        "model": completion.ref, "prompt_tokens": completion.prompt_tokens,
        "completion_tokens": completion.completion_tokens, "cost_usd": round(completion.cost_usd, 6),
    }  # fmt: skip


async def recall(run: RunContext, step: str, query: str, limit: int) -> list[str]:
    """The run owner's memories for `query` (a memory_read event names them)."""
    result = await run.services.memory.recall(run.caller, query, limit=limit)
    await run.emit("memory_read", step, {"query": query, "ids": [str(r.memory.id) for r in result.results]})
    return [r.memory.content for r in result.results]


async def store(run: RunContext, step: str, content: str, tags: list[str]) -> str:
    """Stores `content` in the run owner's memory (a memory_write event); the memory's id."""
    from auralinkd.memory.models import MemoryInput

    item = MemoryInput(
        content=content, tags=tuple(tags), source=f"workflow:{run.run_id}",
        metadata={"workflow_run_id": str(run.run_id)},
    )  # fmt: skip
    stored = await run.services.memory.store(run.caller, item)
    ident = str(stored.memory_id or "")
    await run.emit("memory_write", step, {"id": ident, "outcome": str(getattr(stored.outcome, "name", ""))})
    return ident


async def tool_specs(run: RunContext, refs: list[str]) -> tuple[list[dict[str, Any]], dict[str, tuple[str, str]]]:
    """Function specs ({name, description, parameters}) of MCP tools (CONNECTION/TOOL) as MCPService lists them
    for the run's owner, named as agents' tools are, and function name -> (connection, tool)."""
    import time

    from auralinkd.agents.tools import AgentTools

    if run.services.mcp is None:
        raise FailedPrecondition("this daemon has no MCP service for tools")
    deadline = time.monotonic() + run.services.llm_timeout_s
    specs, routes = await AgentTools(run.services.mcp)._specs(run.caller, tuple(refs), deadline)
    return [s["function"] for s in specs], routes


async def call_tool(run: RunContext, step: str, connection: str, tool: str, arguments: dict[str, Any]) -> Any:
    """A tool of an MCP connection, called through MCPService as the run's owner (allow-lists, audit apply):
    its ToolResult. A tool_call event names it."""
    if run.services.mcp is None:
        raise FailedPrecondition("this daemon has no MCP service for tool steps")
    await run.emit("tool_call", step, {"connection": connection, "tool": tool})
    return await run.services.mcp.call_tool(run.caller, connection, tool, arguments, run.services.llm_timeout_s)


def result_text(result: Any) -> str:
    return "\n".join(c.text if c.kind == "text" else f"[{c.kind} {c.mime_type or c.uri}]" for c in result.content)
