"""The AutoGen engine (AgentChat, the `pyautogen` 0.10 stack): a team of assistant agents in a round-robin or
selector group chat, until a termination condition.

Definition (YAML or JSON):

    description: optional text
    inputs: [topic]                      # names StartRun must give
    task: "Write a brief about {topic}." # the team's task ({name}: an input)
    team: round_robin                    # or selector: a model picks who speaks next
    selector: {model: provider/model, prompt: "...", allow_repeated_speaker: false}   # selector teams only
    agents:
      - name: writer                     # a Python identifier, unique
        system: "You write briefs."      # the agent's system message ({name}: an input)
        description: "Writes the brief." # what the selector reads about it
        model: provider/model            # optional: the gateway chooses without it
        agent: <AuraLink agent uuid>     # optional: its keys, budgets and settings apply
        max_tokens: 256
        temperature: 0.2
        tools: [CONNECTION/TOOL]         # MCP tools, called through MCPService as the run's owner
        memory: {query: "{topic}", limit: 3}  # the owner's memories for this query, in the agent's context
    termination: {max_messages: 6, text: TERMINATE, timeout_s: 300}   # any one ends the run
    max_turns: 10                        # default when no termination is given
    remember: {tags: [brief]}            # optional: the final answer is stored in the owner's memory

The extension points are AutoGen's own: every LLM call (the agents' and the selector's) goes through
`GatewayClient`, a `ChatCompletionClient` over our CompletionService (budgets, failover, BYOK keys, a usage row
with the run id); tools are a `Workbench` over MCPService; memory is a `Memory` over MemoryService, as the run's
owner. Events: memory_read, step_started when an agent's model is first called in its turn, tool_call and
tool_result, and step_finished with its reply and the turn's tokens and cost.

Checkpoints: the conversation (AutoGen's own `dump()` of each chat message, the task's first) is stored after
each agent's message, before the next agent's model is called. A run resumed after a crash gives a new team
the stored conversation as its task (`run_stream(task=[...], output_task_messages=False)`): every agent reads
it, the termination conditions count it, a round-robin team starts at the agent after the last stored turn
and has the turns left, and a checkpoint_restored event names that agent and the turns done. A team's own
`save_state()` is not the checkpoint: taken while the team runs (AutoGen's docs warn) it can hold a message
that the group chat manager and the other agents have not received yet. Not kept across a crash: a
selector's last pick (a resumed selector team picks again), a timeout condition's clock, the agents' tool
call events (their model context restarts from the conversation).

AutoGen is imported only inside `_team` and the run functions, so validating a definition does not load it.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
from dataclasses import dataclass, field
from typing import Any

from auralinkd.errors import AuralinkError
from auralinkd.workflows.engines import Outcome, RunContext, common
from auralinkd.workflows.engines.common import bad, fill, text

TEAMS = ("round_robin", "selector")
MAX_AGENTS = 20
MAX_TOOL_ITERATIONS = 5
_TOP = {"engine", "description", "inputs", "task", "team", "selector", "agents", "termination", "max_turns",
        "remember", "output"}  # fmt: skip
_AGENT = {"name", "system", "description", "model", "agent", "max_tokens", "temperature", "tools", "memory"}
_RESERVED = ("user", "selector")


class AutoGenEngine(common.Resumable):
    name = "autogen"

    # -- validation (no framework import) ---------------------------------------------------------

    def validate(self, definition: dict[str, Any]) -> dict[str, Any]:
        inputs = common.inputs_of(definition, _TOP, "an autogen definition")
        task = text(definition, "task", "definition", required=True)
        team = definition.get("team", "round_robin")
        if team not in TEAMS:
            raise bad("team", f"must be one of {', '.join(TEAMS)}")
        agents = definition.get("agents")
        if not isinstance(agents, list) or not agents:
            raise bad("agents", "must be a non-empty list")
        if len(agents) > MAX_AGENTS:
            raise bad("agents", f"at most {MAX_AGENTS} agents")
        clean_agents: list[dict[str, Any]] = []
        for i, agent in enumerate(agents):
            clean_agents.append(self._agent(agent, f"agents[{i}]", [a["name"] for a in clean_agents]))
        selector: dict[str, Any] = {}
        if "selector" in definition:
            if team != "selector":
                raise bad("selector", "is only for team: selector")
            raw = definition["selector"]
            if not isinstance(raw, dict) or set(raw) - {"model", "prompt", "allow_repeated_speaker"}:
                raise bad("selector", "must be a mapping of model, prompt, allow_repeated_speaker")
            selector["model"] = text(raw, "model", "selector", required=False, limit=300)
            selector["prompt"] = text(raw, "prompt", "selector", required=False)
            if "allow_repeated_speaker" in raw:
                if not isinstance(raw["allow_repeated_speaker"], bool):
                    raise bad("selector.allow_repeated_speaker", "must be true or false")
                selector["allow_repeated_speaker"] = raw["allow_repeated_speaker"]
        if team == "selector" and len(clean_agents) < 2:
            raise bad("agents", "a selector team needs at least two agents")
        termination: dict[str, Any] = {}
        raw_t = definition.get("termination", {})
        if not isinstance(raw_t, dict) or set(raw_t) - {"max_messages", "text", "timeout_s"}:
            raise bad("termination", "must be a mapping of max_messages, text, timeout_s")
        if "max_messages" in raw_t:
            termination["max_messages"] = common.number(raw_t, "max_messages", "termination", 1, 1000, integer=True)
        if "text" in raw_t:
            termination["text"] = text(raw_t, "text", "termination", required=True, limit=200)
        if "timeout_s" in raw_t:
            termination["timeout_s"] = common.number(raw_t, "timeout_s", "termination", 1, 86400)
        max_turns = definition.get("max_turns")
        if max_turns is not None:
            max_turns = common.number(definition, "max_turns", "definition", 1, 1000, integer=True)
        elif not termination:
            max_turns = 10
        remember = common.remember_of(definition)
        templates = [("task", task)] + [(f"agents[{i}].system", a["system"]) for i, a in enumerate(clean_agents)]
        common.check_templates(templates, inputs)
        if "output" in definition:
            raise bad("output", "an autogen run's output is its final answer, its messages and why it stopped")
        return {
            "description": str(definition.get("description", ""))[:2000], "inputs": inputs, "task": task,
            "team": team, "selector": selector, "agents": clean_agents, "termination": termination,
            "max_turns": max_turns, "remember": remember,
        }  # fmt: skip

    def _agent(self, agent: Any, path: str, earlier: list[str]) -> dict[str, Any]:
        name = common.named_entry(agent, path, _AGENT, earlier, "an autogen agent", key="name")
        if name in _RESERVED:
            raise bad(f"{path}.name", "must not be user or selector (AutoGen's own names)")
        clean: dict[str, Any] = {
            "name": name, "system": text(agent, "system", path, required=False),
            "description": text(agent, "description", path, required=False, limit=2000),
            "model": text(agent, "model", path, required=False, limit=300),
            "tools": common.tool_refs(agent, path),
        }  # fmt: skip
        return clean | common.agent_options(agent, path)

    # -- running ----------------------------------------------------------------------------------

    async def drive(self, run: RunContext, *, resumed: bool) -> Outcome:
        from autogen_core import CancellationToken

        saved = await run.checkpoint.get(_KEY) if resumed else None
        progress = _Progress(run, list(saved["thread"]), list(saved["messages"])) if saved else _Progress(run, [], [])
        done = progress.turns()
        errors: list[BaseException] = []
        team, clients, first = _team(run, errors, progress, done)
        if saved:
            await common.restored(run, first, done)
        if team is None:  # the conversation had used up its turns before the crash
            messages = progress.messages
            answer = next((m["content"] for m in reversed(messages) if m["source"] != "selector"), "")
            return await _finish(run, {"answer": answer, "messages": messages, "stop_reason": "max_turns"})
        token = CancellationToken()
        # The team runs in its own task: when ours is cancelled (CancelRun, the daemon stopping), the token
        # cancels the model and tool calls in flight first, so AutoGen's runtime goes idle and stops at once.
        consume = asyncio.ensure_future(_consume(run, team, clients, token, progress))
        try:
            result = await asyncio.shield(consume)
        except asyncio.CancelledError:
            token.cancel()
            consume.cancel()
            with contextlib.suppress(BaseException):
                await asyncio.wait_for(consume, 10)
            raise
        except Exception as exc:
            # AutoGen reports an agent's failure as a RuntimeError with the text; the gateway's own error
            # (RESOURCE_EXHAUSTED for a spent budget, ...) says why, with its status.
            original = next((e for e in errors if isinstance(e, AuralinkError)), None)
            if original is not None:
                raise original from exc
            raise
        return await _finish(run, result)


async def _finish(run: RunContext, result: dict[str, Any]) -> Outcome:
    answer = result["answer"]
    if run.definition.get("remember") and answer:
        result["memory_id"] = await common.store(run, "remember", answer, run.definition["remember"]["tags"])
    return Outcome(output=result)


_KEY = "conversation"
# The chat messages an AutoGen team may hold, by the `type` their dump() writes.
_CHAT_TYPES = ("TextMessage", "ToolCallSummaryMessage", "StopMessage", "HandoffMessage", "MultiModalMessage")


@dataclass
class _Progress:
    """The conversation as checkpointed (`conversation`): AutoGen's own dumps of its chat messages (the task's
    first) and the run's output messages, stored as each agent's message comes. An agent's turn does not call
    its model until every earlier turn's message is stored, so a crash mid-turn loses only that turn."""

    run: RunContext
    thread: list[dict[str, Any]]
    messages: list[dict[str, Any]]
    started: int = 0  # agent turns that called their model (each ends in one chat message)
    saved: int = 0  # agent turns whose message is stored
    changed: asyncio.Event = field(default_factory=asyncio.Event)

    def __post_init__(self) -> None:
        self.started = self.saved = len(self.turns())

    def turns(self) -> list[str]:
        """The agents whose turns the stored thread holds, in order."""
        return [m["source"] for m in self.thread if m.get("source") not in ("user", "")]

    async def turn_starts(self, agent: bool) -> None:
        """Before the first model call of a turn (an agent's, or the selector's pick): the earlier turns'
        messages are stored first. Turns do not overlap in a group chat."""
        while self.saved < self.started:
            self.changed.clear()
            try:
                await asyncio.wait_for(self.changed.wait(), 30)
            except TimeoutError:
                break  # not expected (each turn's message reaches the stream); never hold a run up for it
        self.started += agent

    async def save(self, message: Any, agent: bool) -> None:
        self.thread.append(dict(message.dump()))
        if agent:
            self.messages.append({"source": message.source, "content": message.to_text()})
            await self.run.checkpoint.put(_KEY, {"thread": self.thread, "messages": self.messages})
            self.saved += 1
            self.changed.set()

    def task(self) -> list[Any]:
        """The stored thread as AutoGen chat messages: a resumed team's task."""
        from autogen_agentchat import messages

        return [getattr(messages, m["type"]).load(m) for m in self.thread if m.get("type") in _CHAT_TYPES]


async def _consume(
    run: RunContext, team: Any, clients: dict[str, GatewayClientBase], token: Any, progress: _Progress
) -> dict[str, Any]:
    from autogen_agentchat.base import TaskResult
    from autogen_agentchat.messages import BaseChatMessage

    # A resumed team's task is the stored conversation: every agent reads it, the termination conditions
    # count it, and the first to speak is the one after the last stored turn.
    task: Any = progress.task() if progress.thread else fill(run.definition["task"], run.inputs)
    stop_reason = ""
    stream = team.run_stream(task=task, cancellation_token=token, output_task_messages=not progress.thread)
    async for item in stream:
        if isinstance(item, TaskResult):
            stop_reason = item.stop_reason or ""
            continue
        if not isinstance(item, BaseChatMessage):
            continue
        if item.source == "user":
            progress.thread.append(dict(item.dump()))
            continue
        content = item.to_text()
        client = clients.get(item.source)
        if client is not None and client.turn_open():
            # A turn that ended without a reply of the model's own (its last tool round's summary).
            data = {"type": "agent", "output": content, "message": type(item).__name__, **client.take_usage()}
            await progress.save(item, True)
            await run.emit("step_finished", item.source, data)
        elif client is not None and item.source != "selector":
            await progress.save(item, True)
        else:
            progress.messages.append({"source": item.source, "content": content})
    messages = progress.messages
    answer = next((m["content"] for m in reversed(messages) if m["source"] != "selector"), "")
    return {"answer": answer, "messages": messages, "stop_reason": stop_reason}


def _team(
    run: RunContext, errors: list[BaseException], progress: _Progress, done: list[str]
) -> tuple[Any, dict[str, GatewayClientBase], str]:
    """The definition as an AutoGen team, each agent with its GatewayClient, MCP workbench and memory, and the
    agent that speaks first (a selector team's: chosen by its model). After the `done` turns of a resumed run,
    a round-robin team starts at the agent after the last one and has the turns left (None: none are)."""
    from autogen_agentchat.agents import AssistantAgent
    from autogen_agentchat.conditions import MaxMessageTermination, TextMentionTermination, TimeoutTermination
    from autogen_agentchat.teams import RoundRobinGroupChat, SelectorGroupChat

    definition = run.definition
    client_type = gateway_client_type()
    clients: dict[str, Any] = {}
    agents = []
    for spec in definition["agents"]:
        client = client_type(run, spec["name"], spec, errors, progress)
        clients[spec["name"]] = client
        agents.append(
            AssistantAgent(
                spec["name"],
                client,
                description=spec["description"] or f"The {spec['name']} agent.",
                system_message=fill(spec["system"], run.inputs) or None,
                workbench=_workbench(run, spec["name"], spec["tools"]) if spec["tools"] else None,
                memory=[_memory(run, spec["name"], spec["memory"])] if spec.get("memory") else None,
                max_tool_iterations=MAX_TOOL_ITERATIONS,
                reflect_on_tool_use=False,
            )  # fmt: skip
        )
    conditions: list[Any] = []
    termination = definition["termination"]
    if "max_messages" in termination:
        conditions.append(MaxMessageTermination(termination["max_messages"]))
    if "text" in termination:
        conditions.append(TextMentionTermination(termination["text"]))
    if "timeout_s" in termination:
        conditions.append(TimeoutTermination(termination["timeout_s"]))
    condition = None
    for c in conditions:
        condition = c if condition is None else condition | c
    max_turns = definition["max_turns"]
    if max_turns is not None and done:
        max_turns -= len(done)
        if max_turns <= 0:
            return None, clients, ""
    if definition["team"] == "selector":
        selector = definition["selector"]
        client = client_type(run, "selector", {"model": selector.get("model", "")}, errors, progress, own_step=True)
        extra: dict[str, Any] = {"selector_prompt": selector["prompt"]} if selector.get("prompt") else {}
        team = SelectorGroupChat(
            agents, client, termination_condition=condition, max_turns=max_turns,
            allow_repeated_speaker=selector.get("allow_repeated_speaker", False), **extra,
        )  # fmt: skip
        return team, clients, ""
    if done:
        after = [a.name for a in agents].index(done[-1]) + 1
        agents = agents[after:] + agents[:after]
    team = RoundRobinGroupChat(agents, termination_condition=condition, max_turns=max_turns)
    return team, clients, agents[0].name


class GatewayClientBase:
    """The shape `_consume` relies on (the real class is built on first use, when AutoGen is imported)."""

    def take_usage(self) -> dict[str, Any]: ...

    def turn_open(self) -> bool: ...


@functools.cache
def gateway_client_type() -> Any:
    """`GatewayClient`: AutoGen's ChatCompletionClient over our CompletionService (defined on first use)."""
    from autogen_core import FunctionCall
    from autogen_core.models import ChatCompletionClient, CreateResult, ModelFamily, ModelInfo, RequestUsage

    class GatewayClient(ChatCompletionClient, GatewayClientBase):
        """One agent's (or the selector's) model, called through our gateway as the run's owner.

        Each call is one CompletionService call with the run id (a usage row each). The agent's turn is a
        step: step_started on its first call; the turn's tokens and cost go on its step_finished. The
        selector's calls (own_step) are each a step of their own."""

        def __init__(
            self, run: RunContext, step: str, spec: dict[str, Any], errors: list[BaseException], progress: _Progress,
            own_step: bool = False,
        ) -> None:  # fmt: skip
            self._run = run
            self._progress = progress
            self._step = step
            self._spec = spec
            self._errors = errors
            self._own_step = own_step
            self._open = False
            self._turn: dict[str, Any] = {}
            self._total = RequestUsage(prompt_tokens=0, completion_tokens=0)
            self._last = RequestUsage(prompt_tokens=0, completion_tokens=0)

        @property
        def model_info(self) -> ModelInfo:
            return ModelInfo(
                vision=False, function_calling=True, json_output=False, family=ModelFamily.UNKNOWN,
                structured_output=False, multiple_system_messages=True,
            )  # fmt: skip

        @property
        def capabilities(self) -> Any:  # the deprecated form of model_info, still read by some AutoGen paths
            return {"vision": False, "function_calling": True, "json_output": False}

        def take_usage(self) -> dict[str, Any]:
            usage, self._turn, self._open = self._turn, {}, False
            return usage

        def turn_open(self) -> bool:
            return self._open

        async def create(
            self, messages: Any, *, tools: Any = (), tool_choice: Any = "auto", json_output: Any = None,
            extra_create_args: Any = None, cancellation_token: Any = None,
        ) -> CreateResult:  # fmt: skip
            call = asyncio.ensure_future(self._call(list(messages), list(tools)))
            if cancellation_token is not None:
                cancellation_token.link_future(call)
            try:
                completion = await call
            except AuralinkError as exc:
                self._errors.append(exc)
                raise
            usage = RequestUsage(prompt_tokens=completion.prompt_tokens, completion_tokens=completion.completion_tokens)
            self._last = usage
            self._total = RequestUsage(
                prompt_tokens=self._total.prompt_tokens + usage.prompt_tokens,
                completion_tokens=self._total.completion_tokens + usage.completion_tokens,
            )
            if completion.tool_calls:
                calls = completion.tool_calls
                content: Any = [FunctionCall(id=c["id"], name=c["name"], arguments=c["arguments"]) for c in calls]
                finish = "function_calls"
            else:
                content = completion.text
                finish = completion.finish_reason if completion.finish_reason in ("stop", "length") else "stop"
            return CreateResult(
                finish_reason=finish, content=content, usage=usage, cached=False,
                thought=completion.text or None if completion.tool_calls else None,
            )  # fmt: skip

        async def create_stream(
            self, messages: Any, *, tools: Any = (), tool_choice: Any = "auto", json_output: Any = None,
            extra_create_args: Any = None, cancellation_token: Any = None,
        ) -> Any:  # fmt: skip
            # Tokens reach watchers as llm_token events from `complete` itself; AutoGen gets the whole result.
            yield await self.create(
                messages, tools=tools, tool_choice=tool_choice, json_output=json_output,
                cancellation_token=cancellation_token,
            )  # fmt: skip

        async def _call(self, messages: list[Any], tools: list[Any]) -> Any:
            if not self._open:
                await self._progress.turn_starts(not self._own_step)  # earlier turns' messages are stored first
                self._open = True
                await self._run.emit("step_started", self._step, {"type": "selector" if self._own_step else "agent"})
            specs = [_function_spec(t) for t in tools]
            completion, usage = await common.complete(
                self._run, self._step, _openai_messages(messages, bool(specs)), model=self._spec.get("model", ""),
                agent=self._spec.get("agent", ""), max_tokens=int(self._spec.get("max_tokens", 0)),
                temperature=self._spec.get("temperature"),
                tools=[{"type": "function", "function": s} for s in specs] or None,
            )  # fmt: skip
            for key in ("prompt_tokens", "completion_tokens", "cost_usd"):
                self._turn[key] = round(self._turn.get(key, 0) + usage[key], 6)
            self._turn["model"] = usage["model"]
            if self._own_step or not completion.tool_calls:
                # The model answered in words: the agent's turn ends with this reply (the selector's call is
                # a step of its own). Said here, before AutoGen hands the turn on, so steps never overlap.
                kind = "selector" if self._own_step else "agent"
                await self._run.emit(
                    "step_finished", self._step, {"type": kind, "output": completion.text, **self.take_usage()}
                )
            return completion

        async def close(self) -> None:
            return None

        def actual_usage(self) -> RequestUsage:
            return self._last

        def total_usage(self) -> RequestUsage:
            return self._total

        def count_tokens(self, messages: Any, *, tools: Any = ()) -> int:
            return sum(len(json.dumps(m, default=str)) for m in _openai_messages(list(messages), True)) // 3

        def remaining_tokens(self, messages: Any, *, tools: Any = ()) -> int:
            return max(0, 128_000 - self.count_tokens(messages, tools=tools))

    return GatewayClient


def _function_spec(tool: Any) -> dict[str, Any]:
    schema = tool.schema if hasattr(tool, "schema") else tool
    spec = {"name": schema["name"], "parameters": schema.get("parameters") or {"type": "object", "properties": {}}}
    if schema.get("description"):
        spec["description"] = schema["description"]
    return spec


def _content(content: Any) -> str:
    if isinstance(content, str):
        return content
    return "\n".join(c if isinstance(c, str) else "[image]" for c in content)


def _openai_messages(messages: list[Any], with_tools: bool) -> list[dict[str, Any]]:
    """AutoGen's LLM messages as OpenAI chat messages. Without tools in the request, earlier tool calls and
    their results are written out as text (the gateway accepts tool turns only alongside tools)."""
    out: list[dict[str, Any]] = []
    for m in messages:
        kind = getattr(m, "type", "")
        if kind == "SystemMessage":
            out.append({"role": "system", "content": m.content})
        elif kind == "UserMessage":
            out.append({"role": "user", "content": _content(m.content)})
        elif kind == "AssistantMessage" and isinstance(m.content, str):
            out.append({"role": "assistant", "content": m.content})
        elif kind == "AssistantMessage":
            if with_tools:
                calls = [
                    {"id": c.id, "type": "function", "function": {"name": c.name, "arguments": c.arguments}}
                    for c in m.content
                ]
                out.append({"role": "assistant", "content": m.thought or "", "tool_calls": calls})
            else:
                called = "; ".join(f"{c.name}({c.arguments})" for c in m.content)
                out.append({"role": "assistant", "content": f"{m.thought or ''}\n[called {called}]".strip()})
        elif kind == "FunctionExecutionResultMessage":
            for r in m.content:
                if with_tools:
                    out.append({"role": "tool", "tool_call_id": r.call_id, "content": r.content})
                else:
                    out.append({"role": "user", "content": f"[{r.name} returned] {r.content}"})
    return out


def _workbench(run: RunContext, step: str, refs: list[str]) -> Any:
    """An AutoGen Workbench over MCPService: the agent's MCP tools, listed and called as the run's owner."""
    from autogen_core.tools import TextResultContent, ToolResult, Workbench

    class MCPServiceWorkbench(Workbench):
        def __init__(self) -> None:
            self._routes: dict[str, tuple[str, str]] = {}
            self._specs: list[dict[str, Any]] | None = None

        async def list_tools(self) -> list[Any]:
            if self._specs is None:
                self._specs, self._routes = await common.tool_specs(run, refs)
            return list(self._specs)

        async def call_tool(
            self, name: str, arguments: Any = None, cancellation_token: Any = None, call_id: str | None = None
        ) -> Any:
            await self.list_tools()
            route = self._routes.get(name)
            if route is None:
                missing = [TextResultContent(content=f"error: there is no tool named {name!r}")]
                return ToolResult(name=name, result=missing, is_error=True)
            connection, tool = route
            try:
                result = await common.call_tool(run, step, connection, tool, dict(arguments or {}))
                output, is_error = common.result_text(result), bool(result.is_error)
            except AuralinkError as exc:
                if type(exc).__name__ in ("DeadlineExceeded", "PermissionDenied"):
                    raise
                output, is_error = f"error: {exc.message}", True
            data = {"connection": connection, "tool": tool, "is_error": is_error, "output": output[:2000]}
            await run.emit("tool_result", step, data)
            return ToolResult(name=name, result=[TextResultContent(content=output)], is_error=is_error)

        async def start(self) -> None:
            return None

        async def stop(self) -> None:
            return None

        async def reset(self) -> None:
            return None

        async def save_state(self) -> dict[str, Any]:
            return {}

        async def load_state(self, state: Any) -> None:
            return None

    return MCPServiceWorkbench()


def _memory(run: RunContext, step: str, spec: dict[str, Any]) -> Any:
    """An AutoGen Memory over MemoryService: before each of the agent's model calls, the run owner's memories
    for the query are put in its context (memory_read events say which). `add` stores as the owner."""
    from autogen_core.memory import Memory, MemoryContent, MemoryMimeType, MemoryQueryResult, UpdateContextResult
    from autogen_core.models import SystemMessage

    class OwnerMemory(Memory):
        async def update_context(self, model_context: Any) -> Any:
            found = await self.query(fill(spec["query"], run.inputs))
            if found.results:
                lines = "\n".join(f"{i}. {m.content}" for i, m in enumerate(found.results, 1))
                await model_context.add_message(SystemMessage(content=f"Relevant memories:\n{lines}"))
            return UpdateContextResult(memories=found)

        async def query(self, query: Any, cancellation_token: Any = None, **kwargs: Any) -> Any:
            text_query = query if isinstance(query, str) else str(query.content)
            found = await common.recall(run, step, text_query, spec["limit"])
            return MemoryQueryResult(results=[MemoryContent(content=c, mime_type=MemoryMimeType.TEXT) for c in found])

        async def add(self, content: Any, cancellation_token: Any = None) -> None:
            await common.store(run, step, str(content.content), [])

        async def clear(self) -> None:
            return None

        async def close(self) -> None:
            return None

    return OwnerMemory()


ENGINE = AutoGenEngine()
