"""The LangGraph engine: a declarative graph compiled to a `StateGraph`, checkpointed in PostgreSQL.

Definition (YAML or JSON):

    description: optional text
    inputs: [topic]                  # names StartRun must give
    entry: draft                     # optional: the first node (default: the first listed)
    nodes:
      - {id: facts, type: memory_recall, query: "{topic}", limit: 5}        # -> state.facts (text)
      - {id: draft, type: agent, prompt: "Write about {topic}. {facts}",    # -> state.draft
         system: "...", model: "provider/model", agent: "<agent uuid>", max_tokens: 256}
      - {id: approve, type: human, prompt: "Publish {draft}? yes/no"}       # interrupt; the answer -> state.approve
      - {id: gate, type: router, routes: [{when: {key: approve, equals: "yes"}, to: save}], default: END}
      - {id: save, type: memory_store, content: "{draft}", tags: [blog]}
      - {id: lookup, type: tool, connection: time, tool: get_current_time, arguments: {timezone: UTC}}
    edges: [[facts, draft], [draft, approve], [approve, gate]]   # or {from: a, to: b}
    output: [draft]                  # optional: the state keys the run returns (default: every node's)

`{name}` in a template is the state value (inputs and earlier nodes' outputs). A node without an edge out
ends the run. Agent steps call our CompletionService (budgets, usage rows with the run id, failover,
BYOK); memory steps call MemoryService as the run's owner. Human steps are LangGraph interrupts.
Tool steps (`{type: tool, connection: NAME, tool: NAME, arguments: {k: "{template}" | number}}`) call
MCPService as the run's owner; a tool's error result fails the run with its text.

LangGraph is imported only inside `_build` and the run functions, so validating a definition on create
does not load it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from auralinkd.workflows.engines import Outcome, RunContext, common
from auralinkd.workflows.engines.common import ID as _ID
from auralinkd.workflows.engines.common import bad as _bad
from auralinkd.workflows.engines.common import fill
from auralinkd.workflows.engines.common import jsonable as _jsonable
from auralinkd.workflows.engines.common import text as _text

NODE_TYPES = ("agent", "memory_recall", "memory_store", "router", "human", "tool")
END_NAMES = ("END", "__end__")
MAX_NODES = 100
_ALLOWED = {
    "agent": {"id", "type", "prompt", "system", "model", "agent", "max_tokens", "temperature", "output"},
    "memory_recall": {"id", "type", "query", "limit", "output"},
    "memory_store": {"id", "type", "content", "tags", "output"},
    "router": {"id", "type", "routes", "default"},
    "human": {"id", "type", "prompt", "output"},
    "tool": {"id", "type", "connection", "tool", "arguments", "output"},
}
_CONDITIONS = ("equals", "not_equals", "contains")


class LangGraphEngine:
    name = "langgraph"

    # -- validation (no framework import) ---------------------------------------------------------

    def validate(self, definition: dict[str, Any]) -> dict[str, Any]:
        unknown = set(definition) - {"engine", "description", "inputs", "entry", "nodes", "edges", "output"}
        if unknown:
            raise _bad(sorted(unknown)[0], "is not a key of a langgraph definition")
        inputs = definition.get("inputs", [])
        if not isinstance(inputs, list) or not all(isinstance(i, str) and _ID.match(i) for i in inputs):
            raise _bad("inputs", "must be a list of names (letters, digits, _)")
        nodes = definition.get("nodes")
        if not isinstance(nodes, list) or not nodes:
            raise _bad("nodes", "must be a non-empty list")
        if len(nodes) > MAX_NODES:
            raise _bad("nodes", f"at most {MAX_NODES} nodes")
        ids: list[str] = []
        clean_nodes = []
        for i, node in enumerate(nodes):
            path = f"nodes[{i}]"
            if not isinstance(node, dict):
                raise _bad(path, "must be a mapping")
            ident = node.get("id")
            if not isinstance(ident, str) or not _ID.match(ident) or ident in END_NAMES or ident == "START":
                raise _bad(f"{path}.id", "must be a name (letters, digits, _; not START or END)")
            if ident in ids:
                raise _bad(f"{path}.id", f"{ident!r} is used by an earlier node")
            ids.append(ident)
            kind = node.get("type")
            if kind not in NODE_TYPES:
                raise _bad(f"{path}.type", f"must be one of {', '.join(NODE_TYPES)}")
            extra = set(node) - _ALLOWED[kind]
            if extra:
                raise _bad(f"{path}.{sorted(extra)[0]}", f"is not a key of a {kind} node")
            clean_nodes.append(self._node(node, kind, path))
        known = set(ids)
        routers = {n["id"] for n in clean_nodes if n["type"] == "router"}
        for i, node in enumerate(clean_nodes):
            if node["type"] == "router":
                for j, route in enumerate(node["routes"]):
                    if route["to"] not in known and route["to"] not in END_NAMES:
                        raise _bad(f"nodes[{i}].routes[{j}].to", f"names no node: {route['to']!r}")
                if node["default"] not in known and node["default"] not in END_NAMES:
                    raise _bad(f"nodes[{i}].default", f"names no node: {node['default']!r}")
        edges = []
        for j, edge in enumerate(definition.get("edges", []) or []):
            path = f"edges[{j}]"
            if isinstance(edge, dict) and set(edge) == {"from", "to"}:
                source, target = edge["from"], edge["to"]
            elif isinstance(edge, list) and len(edge) == 2:
                source, target = edge
            else:
                raise _bad(path, "must be [from, to] or {from: .., to: ..}")
            if source not in known:
                raise _bad(f"{path}.from", f"names no node: {source!r}")
            if source in routers:
                raise _bad(f"{path}.from", f"{source!r} is a router: its routes say where it goes")
            if target not in known and target not in END_NAMES:
                raise _bad(f"{path}.to", f"names no node: {target!r}")
            edges.append([source, "END" if target in END_NAMES else target])
        entry = definition.get("entry", ids[0])
        if entry not in known:
            raise _bad("entry", f"names no node: {entry!r}")
        keys = set(inputs) | {n.get("output", n["id"]) for n in clean_nodes if n["type"] != "router"}
        output = definition.get("output", [])
        if isinstance(output, str):
            output = [output]
        if not isinstance(output, list) or not all(isinstance(k, str) and k in keys for k in output):
            raise _bad("output", f"must list state keys among {', '.join(sorted(keys))}")
        return {
            "description": str(definition.get("description", ""))[:2000], "inputs": inputs, "entry": entry,
            "nodes": clean_nodes, "edges": edges, "output": output,
        }  # fmt: skip

    def _node(self, node: dict[str, Any], kind: str, path: str) -> dict[str, Any]:
        clean: dict[str, Any] = {"id": node["id"], "type": kind}
        if "output" in node:
            out = node["output"]
            if not isinstance(out, str) or not _ID.match(out):
                raise _bad(f"{path}.output", "must be a state key name")
            clean["output"] = out
        if kind == "agent":
            clean["prompt"] = _text(node, "prompt", path, required=True)
            clean["system"] = _text(node, "system", path, required=False)
            clean["model"] = _text(node, "model", path, required=False, limit=300)
            if "agent" in node:
                try:
                    clean["agent"] = str(UUID(str(node["agent"])))
                except ValueError:
                    raise _bad(f"{path}.agent", "must be an AuraLink agent id (a UUID)") from None
            for key, low, high in (("max_tokens", 1, 32768), ("temperature", 0, 2)):
                if key in node:
                    value = node[key]
                    if isinstance(value, bool) or not isinstance(value, int | float) or not low <= value <= high:
                        raise _bad(f"{path}.{key}", f"must be a number from {low} to {high}")
                    clean[key] = value
        elif kind == "memory_recall":
            clean["query"] = _text(node, "query", path, required=True)
            limit = node.get("limit", 5)
            if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= 50:
                raise _bad(f"{path}.limit", "must be an integer from 1 to 50")
            clean["limit"] = limit
        elif kind == "memory_store":
            clean["content"] = _text(node, "content", path, required=True)
            tags = node.get("tags", [])
            if not isinstance(tags, list) or not all(isinstance(t, str) and t for t in tags):
                raise _bad(f"{path}.tags", "must be a list of tags")
            clean["tags"] = tags
        elif kind == "human":
            clean["prompt"] = _text(node, "prompt", path, required=True)
        elif kind == "router":
            routes = node.get("routes")
            if not isinstance(routes, list) or not routes:
                raise _bad(f"{path}.routes", "must be a non-empty list of {when: {key, equals|contains|...}, to}")
            clean["routes"] = []
            for j, route in enumerate(routes):
                rpath = f"{path}.routes[{j}]"
                if not isinstance(route, dict) or set(route) != {"when", "to"}:
                    raise _bad(rpath, "must be {when: {...}, to: NODE}")
                when = route["when"]
                if not isinstance(when, dict) or not isinstance(when.get("key"), str):
                    raise _bad(f"{rpath}.when.key", "is required (a state key)")
                ops = [c for c in _CONDITIONS if c in when]
                if len(ops) != 1 or set(when) != {"key", ops[0]}:
                    raise _bad(f"{rpath}.when", f"needs a key and exactly one of {', '.join(_CONDITIONS)}")
                clean["routes"].append(
                    {"key": when["key"], "op": ops[0], "value": str(when[ops[0]]), "to": str(route["to"])}
                )
            clean["default"] = str(node.get("default", "END"))
        elif kind == "tool":
            clean["connection"] = _text(node, "connection", path, required=True, limit=200)
            clean["tool"] = _text(node, "tool", path, required=True, limit=200)
            arguments = node.get("arguments", {})
            if not isinstance(arguments, dict) or not all(isinstance(k, str) for k in arguments):
                raise _bad(f"{path}.arguments", "must be a mapping of argument names to values")
            for key, value in arguments.items():
                if isinstance(value, dict | list):
                    raise _bad(f"{path}.arguments.{key}", "must be text (a template), a number or a boolean")
            clean["arguments"] = arguments
        return clean

    # -- running ----------------------------------------------------------------------------------

    async def start(self, run: RunContext) -> Outcome:
        state = {k: v for k, v in run.inputs.items()}
        missing = [k for k in run.definition["inputs"] if k not in state]
        if missing:
            raise _bad(f"inputs.{missing[0]}", "is required by this workflow")
        return await self._drive(run, state)

    async def resume(self, run: RunContext, answer: str | None) -> Outcome:
        from langgraph.types import Command

        return await self._drive(run, Command(resume=answer) if answer is not None else None)

    async def _drive(self, run: RunContext, payload: Any) -> Outcome:
        graph = _build(run)
        config = {"configurable": {"thread_id": str(run.run_id)}, "recursion_limit": 100}
        # durability="sync": each step's checkpoint is written before the next step starts, so a daemon killed
        # mid-step resumes after the last finished step (with "async", LangGraph's default, it may not be).
        # Each step's own events say what it wrote; the whole state is snapshotted where the run stops.
        async for _update in graph.astream(payload, config, stream_mode="updates", durability="sync"):
            pass
        snapshot = await graph.aget_state(config)
        for task in snapshot.tasks:
            for pending in getattr(task, "interrupts", ()):
                value = pending.value if isinstance(pending.value, dict) else {"prompt": str(pending.value)}
                await run.emit("state", task.name, {"values": _jsonable(dict(snapshot.values))})
                return Outcome(waiting_prompt=str(value.get("prompt", "")), waiting_step=task.name)
        values = dict(snapshot.values)
        keys = run.definition["output"] or [
            n.get("output", n["id"]) for n in run.definition["nodes"] if n["type"] != "router"
        ]
        return Outcome(output={k: _jsonable(values.get(k)) for k in keys if k in values})


def _build(run: RunContext) -> Any:
    """The definition as a compiled StateGraph with the run's step functions and the checkpointer."""
    from typing import TypedDict

    from langgraph.graph import END, START, StateGraph

    definition = run.definition
    keys = set(definition["inputs"]) | set(run.inputs)
    for node in definition["nodes"]:
        if node["type"] != "router":
            keys.add(node.get("output", node["id"]))
    state_type = TypedDict("RunState", {k: Any for k in sorted(keys)}, total=False)  # type: ignore[misc]
    builder = StateGraph(state_type)
    for node in definition["nodes"]:
        builder.add_node(node["id"], _step(run, node))
    builder.add_edge(START, definition["entry"])
    has_edge = set()
    for source, target in definition["edges"]:
        builder.add_edge(source, END if target == "END" else target)
        has_edge.add(source)
    for node in definition["nodes"]:
        if node["type"] == "router":
            targets = {r["to"] for r in node["routes"]} | {node["default"]}
            builder.add_conditional_edges(
                node["id"], _route(node), {t: (END if t in END_NAMES else t) for t in targets}
            )
        elif node["id"] not in has_edge:
            builder.add_edge(node["id"], END)
    return builder.compile(checkpointer=run.services.checkpoints)


def _route(node: dict[str, Any]) -> Any:
    def choose(state: dict[str, Any]) -> str:
        for route in node["routes"]:
            value = "" if state.get(route["key"]) is None else str(state.get(route["key"]))
            if route["op"] == "equals":
                hit = value.strip().lower() == route["value"].strip().lower()
            elif route["op"] == "not_equals":
                hit = value.strip().lower() != route["value"].strip().lower()
            else:
                hit = route["value"].lower() in value.lower()
            if hit:
                return str(route["to"])
        return str(node["default"])

    return choose


def _step(run: RunContext, node: dict[str, Any]) -> Any:
    kind, ident = node["type"], node["id"]
    out = node.get("output", ident)

    async def step(state: dict[str, Any]) -> dict[str, Any]:
        if kind == "router":
            return {}
        if kind == "human":
            from langgraph.types import interrupt

            prompt = fill(node["prompt"], state)
            # Before the interrupt: on resume LangGraph runs this node again from the top, and the
            # interrupt returns the answer instead of raising.
            answer = interrupt({"prompt": prompt})
            await run.emit("resumed", ident, {"input": str(answer)})
            return {out: str(answer)}
        await run.emit("step_started", ident, {"type": kind})
        usage: dict[str, Any] = {}
        if kind == "agent":
            result, usage = await _agent(run, node, state)
        elif kind == "memory_recall":
            result = await _recall(run, node, state)
        elif kind == "tool":
            result = await _tool(run, node, state)
        else:
            result = await _store(run, node, state)
        await run.emit("step_finished", ident, {"type": kind, "output": _jsonable(result), **usage})
        return {out: result}

    return step


async def _agent(run: RunContext, node: dict[str, Any], state: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """The reply (its tokens streamed to watchers as they come) and the call's model, tokens and cost."""
    messages = []
    if node.get("system"):
        messages.append({"role": "system", "content": fill(node["system"], state)})
    messages.append({"role": "user", "content": fill(node["prompt"], state)})
    completion, usage = await common.complete(
        run, node["id"], messages, model=node.get("model", ""), agent=node.get("agent", ""),
        max_tokens=int(node.get("max_tokens", 0)), temperature=node.get("temperature"),
    )  # fmt: skip
    return completion.text, usage


async def _tool(run: RunContext, node: dict[str, Any], state: dict[str, Any]) -> str:
    """A tool of an MCP connection, called through MCPService as the run's owner (allow-lists, audit apply)."""
    from auralinkd.errors import FailedPrecondition

    arguments = {k: fill(v, state) if isinstance(v, str) else v for k, v in node["arguments"].items()}
    result = await common.call_tool(run, node["id"], node["connection"], node["tool"], arguments)
    text = "\n".join(c.text for c in result.content if c.kind == "text")
    if result.is_error:
        raise FailedPrecondition(f"tool {node['tool']!r} of {node['connection']!r} failed: {text[:500]}")
    return text


async def _recall(run: RunContext, node: dict[str, Any], state: dict[str, Any]) -> str:
    return "\n".join(await common.recall(run, node["id"], fill(node["query"], state), node["limit"]))


async def _store(run: RunContext, node: dict[str, Any], state: dict[str, Any]) -> str:
    return await common.store(run, node["id"], fill(node["content"], state), node["tags"])


ENGINE = LangGraphEngine()


@dataclass
class Checkpoints:
    """LangGraph's PostgresSaver on one psycopg connection (schema workflow_checkpoints), opened on first use."""

    dsn: Callable[[], str]
    _saver: Any = None
    _conn: Any = None
    _lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    async def saver(self) -> Any:
        async with self._lock:
            if self._saver is None:
                from langgraph.checkpoint.postgres.aio import AsyncPostgresSaver
                from psycopg import AsyncConnection
                from psycopg.rows import dict_row

                self._conn = await AsyncConnection.connect(
                    self.dsn(), autocommit=True, prepare_threshold=0, row_factory=dict_row,
                    # Commits do not wait for their WAL flush: see the service's docstring.
                    options="-c search_path=workflow_checkpoints -c synchronous_commit=off",
                )  # fmt: skip
                saver = AsyncPostgresSaver(conn=self._conn)
                await saver.setup()
                self._saver = saver
            return self._saver

    async def close(self) -> None:
        if self._conn is not None:
            await self._conn.close()
            self._conn = self._saver = None
