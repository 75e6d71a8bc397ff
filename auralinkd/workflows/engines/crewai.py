"""The CrewAI engine: agents (role, goal, backstory) and tasks (description, expected output, agent, context)
in a sequential or hierarchical crew.

Definition (YAML or JSON):

    description: optional text
    inputs: [topic]                      # names StartRun must give; {name} in any text is its value
    process: sequential                  # or hierarchical: a manager agent delegates (manager_model)
    manager_model: provider/model        # hierarchical only (optional: the gateway chooses)
    agents:
      - id: researcher                   # a name, unique
        role: Researcher
        goal: Find the facts about {topic}.
        backstory: You check every claim.
        model: provider/model            # optional: the gateway chooses without it
        agent: <AuraLink agent uuid>     # optional: its keys, budgets and settings apply
        max_tokens: 256
        temperature: 0.2
        tools: [CONNECTION/TOOL]         # MCP tools, called through MCPService as the run's owner
        memory: {query: "{topic}", limit: 3}   # the owner's memories for this query, in the backstory
    tasks:
      - id: research
        description: List three facts about {topic}.
        expected_output: Three facts.
        agent: researcher                # sequential: required; hierarchical: optional
        context: []                      # earlier tasks whose output this one reads
    remember: {tags: [brief]}            # optional: the crew's final answer is stored in the owner's memory

The extension point is CrewAI's own `BaseLLM`: every LLM call (agents' and the manager's) goes through
`GatewayLLM`, whose `acall` calls our CompletionService (budgets, failover, BYOK keys, a usage row with the
run id); tools are CrewAI tools whose `_arun` calls MCPService. The crew runs with `akickoff` on the daemon's
event loop. Each task is a step (step_started at its first LLM call, step_finished with its output and its
tokens and cost). CrewAI's telemetry and tracing are off (CREWAI_DISABLE_TELEMETRY, CREWAI_TRACING_ENABLED).

Checkpoints: each task's callback (CrewAI's own, awaited by `akickoff`) stores its output (`task:<id>`) before
its step_finished. A run resumed after a crash kicks off a crew of the unfinished tasks only; a finished task
keeps its stored output (CrewAI reads it as context through `Task.output`), and a checkpoint_restored event
names the task it continues at. CrewAI's `Crew.replay` does not fit: its task-output store is one SQLite file
of the machine's latest kickoff (kept under <data_dir>/crewai), not a store per run.

CrewAI is imported only inside `_crew` and the run functions, so validating a definition does not load it.
"""

from __future__ import annotations

import asyncio
import functools
import os
from dataclasses import dataclass, field
from typing import Any

from auralinkd.errors import AuralinkError
from auralinkd.workflows import engines
from auralinkd.workflows.engines import Outcome, RunContext, common
from auralinkd.workflows.engines.common import bad, fill, text

PROCESSES = ("sequential", "hierarchical")
MAX_AGENTS = 20
MAX_TASKS = 50
_TOP = {"engine", "description", "inputs", "process", "manager_model", "agents", "tasks", "remember", "output"}
_AGENT = {"id", "role", "goal", "backstory", "model", "agent", "max_tokens", "temperature", "tools", "memory"}
_TASK = {"id", "description", "expected_output", "agent", "context"}


def _quiet_framework() -> None:
    """Before CrewAI's import: offline machines, so no telemetry or tracing; litellm (if CrewAI loads it)
    with its local price map, as the gateway loads it. CrewAI's own files (the latest kickoff's task outputs,
    written with every crew) go under <data_dir>/crewai, not the user's ~/.local/share: CrewAI takes
    CREWAI_STORAGE_DIR as its storage directory's name under the platform data dir, and an absolute one is
    that directory itself."""
    os.environ["CREWAI_STORAGE_DIR"] = str(engines.data_dir() / "crewai")
    os.environ["CREWAI_DISABLE_TELEMETRY"] = "true"
    os.environ["CREWAI_DISABLE_TRACKING"] = "true"
    os.environ["CREWAI_TRACING_ENABLED"] = "false"
    os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")


class CrewAIEngine(common.Resumable):
    name = "crewai"

    # -- validation (no framework import) ---------------------------------------------------------

    def validate(self, definition: dict[str, Any]) -> dict[str, Any]:
        inputs = common.inputs_of(definition, _TOP, "a crewai definition")
        process = definition.get("process", "sequential")
        if process not in PROCESSES:
            raise bad("process", f"must be one of {', '.join(PROCESSES)}")
        manager_model = text(definition, "manager_model", "definition", required=False, limit=300)
        if manager_model and process != "hierarchical":
            raise bad("manager_model", "is only for process: hierarchical")
        agents = definition.get("agents")
        if not isinstance(agents, list) or not agents or len(agents) > MAX_AGENTS:
            raise bad("agents", f"must be a list of 1 to {MAX_AGENTS} agents")
        clean_agents: list[dict[str, Any]] = []
        for i, agent in enumerate(agents):
            clean_agents.append(self._agent(agent, f"agents[{i}]", {a["id"] for a in clean_agents}))
        tasks = definition.get("tasks")
        if not isinstance(tasks, list) or not tasks or len(tasks) > MAX_TASKS:
            raise bad("tasks", f"must be a list of 1 to {MAX_TASKS} tasks")
        known_agents = {a["id"] for a in clean_agents}
        clean_tasks: list[dict[str, Any]] = []
        for i, task in enumerate(tasks):
            clean_tasks.append(self._task(task, f"tasks[{i}]", known_agents, [t["id"] for t in clean_tasks], process))
        remember = common.remember_of(definition)
        if "output" in definition:
            raise bad("output", "a crewai run's output is the crew's answer and each task's output")
        templates = [
            (f"agents[{i}].{k}", a[k]) for i, a in enumerate(clean_agents) for k in ("role", "goal", "backstory")
        ]
        templates += [
            (f"tasks[{i}].{k}", t[k]) for i, t in enumerate(clean_tasks) for k in ("description", "expected_output")
        ]
        common.check_templates(templates, inputs)
        return {
            "description": str(definition.get("description", ""))[:2000], "inputs": inputs, "process": process,
            "manager_model": manager_model, "agents": clean_agents, "tasks": clean_tasks, "remember": remember,
        }  # fmt: skip

    def _agent(self, agent: Any, path: str, earlier: set[str]) -> dict[str, Any]:
        ident = common.named_entry(agent, path, _AGENT, earlier, "a crewai agent")
        clean: dict[str, Any] = {
            "id": ident, "role": text(agent, "role", path, required=True, limit=500),
            "goal": text(agent, "goal", path, required=True),
            "backstory": text(agent, "backstory", path, required=False),
            "model": text(agent, "model", path, required=False, limit=300), "tools": common.tool_refs(agent, path),
        }  # fmt: skip
        return clean | common.agent_options(agent, path)

    def _task(self, task: Any, path: str, agents: set[str], earlier: list[str], process: str) -> dict[str, Any]:
        ident = common.named_entry(task, path, _TASK, earlier, "a crewai task")
        clean: dict[str, Any] = {
            "id": ident, "description": text(task, "description", path, required=True),
            "expected_output": text(task, "expected_output", path, required=True),
        }  # fmt: skip
        agent = task.get("agent")
        if agent is None and process == "sequential":
            raise bad(f"{path}.agent", "is required in a sequential crew")
        if agent is not None and agent not in agents:
            raise bad(f"{path}.agent", f"names no agent: {agent!r}")
        clean["agent"] = agent or ""
        context = task.get("context", [])
        if not isinstance(context, list):
            raise bad(f"{path}.context", "must be a list of earlier task ids")
        for j, name in enumerate(context):
            if name not in earlier:
                raise bad(f"{path}.context[{j}]", f"names no earlier task: {name!r}")
        clean["context"] = list(context)
        return clean

    # -- running ----------------------------------------------------------------------------------

    async def drive(self, run: RunContext, *, resumed: bool) -> Outcome:
        done = {}
        if resumed:
            done = {k.removeprefix("task:"): v["output"] for k, v in (await run.checkpoint.all("task:")).items()}
        steps = _Steps(run)
        crew, tasks = await _crew(run, steps, done)
        left = [t["id"] for t in run.definition["tasks"] if t["id"] not in done]
        if done:
            await common.restored(run, left[0] if left else "", [t for t in tasks if t in done])
        if crew is None:  # every task had finished: the crew's answer is the last one's
            answer = tasks[run.definition["tasks"][-1]["id"]].output.raw
        else:
            try:
                answer = (await crew.akickoff()).raw
            except Exception as exc:
                if steps.error is not None:  # the gateway's refusal says why, with its status
                    raise steps.error from exc
                raise
            await steps.finish_open(tasks)
        outputs = {ident: (task.output.raw if task.output is not None else "") for ident, task in tasks.items()}
        output: dict[str, Any] = {"answer": answer, "tasks": outputs}
        if run.definition.get("remember") and answer:
            output["memory_id"] = await common.store(run, "remember", answer, run.definition["remember"]["tags"])
        return Outcome(output=output)


@dataclass
class _Steps:
    """Each task is a step: started at its first LLM call, finished (with its output, tokens and cost) when
    the next task's first call comes or the crew ends. The manager's calls count toward the task at hand."""

    run: RunContext
    current: str = ""
    usage: dict[str, Any] = field(default_factory=dict)
    error: AuralinkError | None = None
    task_ids: dict[int, str] = field(default_factory=dict)  # id(crewai Task) -> our task id

    async def enter(self, task: Any, tasks: dict[str, Any]) -> str:
        step = self.task_ids.get(id(task), "") if task is not None else ""
        step = step or self.current or "crew"
        if step != self.current:
            await self.finish_open(tasks)
            self.current = step
            await self.run.emit("step_started", step, {"type": "task"})
        return step

    def add(self, usage: dict[str, Any]) -> None:
        for key in ("prompt_tokens", "completion_tokens", "cost_usd"):
            self.usage[key] = round(self.usage.get(key, 0) + usage[key], 6)
        self.usage["model"] = usage["model"]

    async def finish_open(self, tasks: dict[str, Any]) -> None:
        if not self.current:
            return
        task = tasks.get(self.current)
        output = task.output.raw if task is not None and task.output is not None else ""
        step, usage, self.current, self.usage = self.current, self.usage, "", {}
        await self.run.emit("step_finished", step, {"type": "task", "output": output, **usage})

    async def finished(self, ident: str, output: str) -> None:
        """A task's callback: its output is the run's checkpoint first, then its step_finished event."""
        await self.run.checkpoint.put(f"task:{ident}", {"output": output})
        usage = self.usage if self.current == ident else {}
        self.current, self.usage = "", {}
        await self.run.emit("step_finished", ident, {"type": "task", "output": output, **usage})


class _Refused(RuntimeError):
    """The gateway refused a call (budget, permission, ...): raised with no exception chain, so CrewAI's
    rate-limit retry does not take RESOURCE_EXHAUSTED for a provider's throttle and try again."""


async def _crew(run: RunContext, steps: _Steps, done: dict[str, str]) -> tuple[Any, dict[str, Any]]:
    """The definition as a CrewAI Crew of the tasks not `done` (None when none is left), each agent with its
    GatewayLLM and MCP tools, and every task by id (a done one with its stored output)."""
    _quiet_framework()
    from crewai import Agent, Crew, Process, Task
    from crewai.tasks.task_output import TaskOutput

    definition = run.definition
    tasks: dict[str, Any] = {}
    llm_type = _llm_type()
    agents: dict[str, Any] = {}
    for spec in definition["agents"]:
        backstory = fill(spec["backstory"], run.inputs)
        if spec.get("memory"):
            found = await common.recall(
                run, spec["id"], fill(spec["memory"]["query"], run.inputs), spec["memory"]["limit"]
            )
            if found:
                backstory += "\n\nWhat you already know:\n" + "\n".join(f"- {m}" for m in found)
        tools = [_tool(run, steps, s, route) for s, route in zip(*await _specs(run, spec["tools"]), strict=True)]
        agents[spec["id"]] = Agent(
            role=fill(spec["role"], run.inputs), goal=fill(spec["goal"], run.inputs),
            backstory=backstory or fill(spec["role"], run.inputs),
            llm=llm_type.for_run(run, steps, tasks, spec), tools=tools, allow_delegation=False, verbose=False,
            max_iter=10,
        )  # fmt: skip
    for spec in definition["tasks"]:
        task = Task(
            name=spec["id"], description=fill(spec["description"], run.inputs),
            expected_output=fill(spec["expected_output"], run.inputs),
            agent=agents[spec["agent"]] if spec["agent"] else None, context=[tasks[c] for c in spec["context"]] or None,
            callback=functools.partial(_finished, steps, spec["id"]),
        )  # fmt: skip
        if spec["id"] in done:
            task.output = TaskOutput(
                description=task.description, name=spec["id"], raw=done[spec["id"]],
                agent=task.agent.role if task.agent is not None else "",
            )  # fmt: skip
        tasks[spec["id"]] = task
        steps.task_ids[id(task)] = spec["id"]
    left = [tasks[s["id"]] for s in definition["tasks"] if s["id"] not in done]
    if not left:
        return None, tasks
    extra: dict[str, Any] = {}
    if definition["process"] == "hierarchical":
        extra["manager_llm"] = llm_type.for_run(run, steps, tasks, {"model": definition["manager_model"]})
    crew = Crew(
        agents=list(agents.values()), tasks=left,
        process=Process.hierarchical if definition["process"] == "hierarchical" else Process.sequential,
        verbose=False, memory=False, tracing=False, **extra,
    )  # fmt: skip
    return crew, tasks


async def _finished(steps: _Steps, ident: str, output: Any) -> None:
    await steps.finished(ident, output.raw)


async def _specs(run: RunContext, refs: list[str]) -> tuple[list[dict[str, Any]], list[tuple[str, str]]]:
    if not refs:
        return [], []
    specs, routes = await common.tool_specs(run, refs)
    return specs, [routes[s["name"]] for s in specs]


@functools.cache
def _llm_type() -> Any:
    """`GatewayLLM`: CrewAI's BaseLLM over our CompletionService (defined on first use, after CrewAI's import)."""
    from crewai.llms.base_llm import BaseLLM
    from pydantic import PrivateAttr

    class GatewayLLM(BaseLLM):
        """One agent's (or the manager's) model, called through our gateway as the run's owner."""

        llm_type: str = "auralink"
        _run: Any = PrivateAttr(default=None)
        _steps: Any = PrivateAttr(default=None)
        _tasks: Any = PrivateAttr(default=None)
        _spec: Any = PrivateAttr(default=None)
        _loop: Any = PrivateAttr(default=None)

        @classmethod
        def for_run(cls, run: RunContext, steps: _Steps, tasks: dict[str, Any], spec: dict[str, Any]) -> Any:
            llm = cls(model=spec.get("model") or "auralink/gateway", temperature=spec.get("temperature"))
            llm._run, llm._steps, llm._tasks, llm._spec = run, steps, tasks, spec
            llm._loop = asyncio.get_running_loop()
            return llm

        def supports_function_calling(self) -> bool:
            return False  # CrewAI's own ReAct loop calls the tools; the gateway only completes text

        def supports_stop_words(self) -> bool:
            return False

        def get_context_window_size(self) -> int:
            return 128_000

        async def acall(
            self, messages: Any, tools: Any = None, callbacks: Any = None, available_functions: Any = None,
            from_task: Any = None, from_agent: Any = None, response_model: Any = None,
        ) -> str:  # fmt: skip
            chat = [{"role": "user", "content": messages}] if isinstance(messages, str) else messages
            chat = [{"role": m["role"], "content": m.get("content") or ""} for m in chat]
            step = await self._steps.enter(from_task, self._tasks)
            refused: AuralinkError | None = None
            try:
                completion, usage = await common.complete(
                    self._run, step, chat, model=self._spec.get("model", ""), agent=self._spec.get("agent", ""),
                    max_tokens=int(self._spec.get("max_tokens", 0)), temperature=self._spec.get("temperature"),
                )  # fmt: skip
            except AuralinkError as exc:
                refused = exc
            if refused is not None:
                self._steps.error = refused
                raise _Refused(str(refused))
            self._steps.add(usage)
            return str(completion.text)

        def call(
            self, messages: Any, tools: Any = None, callbacks: Any = None, available_functions: Any = None,
            from_task: Any = None, from_agent: Any = None, response_model: Any = None,
        ) -> str:  # fmt: skip
            # CrewAI's synchronous paths (a worker thread): the same call, on the daemon's loop.
            coro = self.acall(messages, tools, callbacks, available_functions, from_task, from_agent, response_model)
            try:
                asyncio.get_running_loop()
            except RuntimeError:
                return asyncio.run_coroutine_threadsafe(coro, self._loop).result()
            coro.close()
            raise RuntimeError("GatewayLLM.call on the event loop: CrewAI must use acall here")

    return GatewayLLM


def _tool(run: RunContext, steps: _Steps, spec: dict[str, Any], route: tuple[str, str]) -> Any:
    """A CrewAI tool over MCPService: its arguments are the MCP tool's JSON schema's properties."""
    from crewai.tools import BaseTool
    from crewai.utilities.pydantic_schema_utils import create_model_from_schema

    connection, tool_name = route
    loop = asyncio.get_running_loop()
    schema = dict(spec["parameters"])
    schema.setdefault("title", f"{spec['name']}_arguments")

    class MCPServiceTool(BaseTool):
        name: str = spec["name"]
        description: str = spec.get("description") or tool_name
        args_schema: Any = create_model_from_schema(schema)

        def _run(self, **kwargs: Any) -> str:
            # CrewAI's async executor calls this (its CrewStructuredTool's func) in a worker thread: the same
            # call, on the daemon's loop.
            try:
                asyncio.get_running_loop()
            except RuntimeError:
                return asyncio.run_coroutine_threadsafe(self._arun(**kwargs), loop).result()
            raise RuntimeError("MCPServiceTool._run on the event loop: CrewAI must use _arun here")

        async def _arun(self, **kwargs: Any) -> str:
            arguments = {k: v for k, v in kwargs.items() if v is not None}
            step = steps.current or "crew"
            try:
                result = await common.call_tool(run, step, connection, tool_name, arguments)
                output, is_error = common.result_text(result), bool(result.is_error)
            except AuralinkError as exc:
                output, is_error = f"error: {exc.message}", True
            data = {"connection": connection, "tool": tool_name, "is_error": is_error, "output": output[:2000]}
            await run.emit("tool_result", step, data)
            return output

    return MCPServiceTool()


ENGINE = CrewAIEngine()
