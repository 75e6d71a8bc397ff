"""Workflows benchmark: our overhead per step against each framework driven directly, and the cold first run.

For each engine both paths run STEPS LLM steps in a row against the same local OpenAI-wire server (its own
process, fixed reply), interleaved run by run so machine load hits both alike. LangGraph:
  (ours)   StartRun through the daemon, WatchRun until run_completed: gRPC, the guard, the run row and an
           event per step in PostgreSQL (and on the bus), a PostgresSaver checkpoint per step
           (durability=sync), and each step's LLM call through CompletionService (keys, budget check,
           usage row with the run id) then litellm;
  (direct) the same StateGraph in this process, nodes calling `litellm.acompletion` on the same server,
           with LangGraph's InMemorySaver.
AutoGen: a round-robin team of STEPS assistant agents (ours: through StartRun/WatchRun, each model call a
GatewayClient over CompletionService; direct: the same team in this process with a ChatCompletionClient calling
`litellm.acompletion`). CrewAI: a sequential crew of STEPS tasks (ours: through the daemon, GatewayLLM; direct:
the same crew with CrewAI's own `LLM` on the same server). Prefect: a flow of STEPS tasks (ours: the daemon's
flow on its temporary Prefect server; direct: the same flow calling litellm, on this process's own one).
Reported per engine: median per-step time of each, their difference (target: at most 10% of the direct step
or 5 ms, whichever is larger), the cold first run (the framework's import and set-up) against a warm run, and
the daemon's RSS after each engine's first run (cumulative, in the order LangGraph, AutoGen, CrewAI, Prefect).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import grpc

from bench.common import start_daemon, stop_daemon, write_results
from bench.llm_gateway import load_average, progress, rss_mb, start_fake

AREA = "workflows"
MODEL = "gpt-4o-mini"
KEY = "sk-bench-0000"
STEPS = 5


def definition(engine: str) -> str:
    if engine == "prefect":
        steps = "\n".join(
            f"  - {{id: s{i}, prompt: 'step {i}: {{s{i - 1}}}', model: bench/{MODEL}, max_tokens: 8}}"
            if i
            else f"  - {{id: s0, prompt: 'step 0', model: bench/{MODEL}, max_tokens: 8}}"
            for i in range(STEPS)
        )
        return f"engine: prefect\nsteps:\n{steps}\n"
    if engine == "autogen":
        agents = "\n".join(f"  - {{name: a{i}, model: bench/{MODEL}, max_tokens: 8}}" for i in range(STEPS))
        return f"engine: autogen\ntask: 'step 0'\nagents:\n{agents}\ntermination: {{max_messages: {STEPS + 1}}}\n"
    if engine == "crewai":
        agents = f"  - {{id: a, role: Worker, goal: answer, model: bench/{MODEL}, max_tokens: 8}}"
        tasks = "\n".join(
            f"  - {{id: t{i}, description: 'step {i}', expected_output: a word, agent: a"
            + (f", context: [t{i - 1}]}}" if i else "}")
            for i in range(STEPS)
        )
        return f"engine: crewai\nagents:\n{agents}\ntasks:\n{tasks}\n"
    nodes = "\n".join(
        f"  - {{id: s{i}, type: agent, prompt: 'step {i}: {{s{i - 1}}}', model: bench/{MODEL}, max_tokens: 8}}"
        if i
        else f"  - {{id: s0, type: agent, prompt: 'step 0', model: bench/{MODEL}, max_tokens: 8}}"
        for i in range(STEPS)
    )
    edges = ", ".join(f"[s{i}, s{i + 1}]" for i in range(STEPS - 1))
    return f"engine: langgraph\nnodes:\n{nodes}\nedges: [{edges}]\n"


def ours(stub: Any, pb: Any, md: list[tuple[str, str]], engine: str) -> float:
    started = time.perf_counter()
    run = stub.StartRun(pb.StartRunRequest(workflow=f"bench-{engine}"), metadata=md, timeout=60)
    last = ""
    for event in stub.WatchRun(pb.WatchRunRequest(run_id=run.id), metadata=md, timeout=120):
        last = event.kind
    elapsed = time.perf_counter() - started
    if last != "run_completed":
        raise RuntimeError(f"run {run.id} ended with {last}")
    return elapsed


class DirectLangGraph:
    """LangGraph driven directly: the same graph, litellm to the same server, an in-memory checkpointer."""

    def __init__(self, base_url: str) -> None:
        from typing import TypedDict

        os.environ["LITELLM_LOCAL_MODEL_COST_MAP"] = "True"  # as the daemon does: offline, no fetch at import

        import litellm
        from langgraph.checkpoint.memory import InMemorySaver
        from langgraph.graph import END, START, StateGraph

        state = TypedDict("S", {f"s{i}": str for i in range(STEPS)}, total=False)  # type: ignore[misc]
        builder = StateGraph(state)

        def node(i: int) -> Any:
            async def step(s: dict[str, Any]) -> dict[str, str]:
                prompt = f"step {i}: {s.get(f's{i - 1}', '')}" if i else "step 0"
                reply = await litellm.acompletion(
                    model=f"openai/{MODEL}", api_base=base_url, api_key=KEY, max_tokens=8,
                    messages=[{"role": "user", "content": prompt}],
                )  # fmt: skip
                return {f"s{i}": reply.choices[0].message.content}

            return step

        for i in range(STEPS):
            builder.add_node(f"s{i}", node(i))
        builder.add_edge(START, "s0")
        for i in range(STEPS - 1):
            builder.add_edge(f"s{i}", f"s{i + 1}")
        builder.add_edge(f"s{STEPS - 1}", END)
        self.graph = builder.compile(checkpointer=InMemorySaver())
        self.runs = 0

    async def run(self) -> float:
        self.runs += 1
        started = time.perf_counter()
        await self.graph.ainvoke({}, {"configurable": {"thread_id": f"t{self.runs}"}})
        return time.perf_counter() - started


class DirectAutoGen:
    """AutoGen driven directly: the same round-robin team, a ChatCompletionClient calling litellm on the same server."""

    def __init__(self, base_url: str) -> None:
        os.environ["LITELLM_LOCAL_MODEL_COST_MAP"] = "True"

        import litellm
        from autogen_core.models import ChatCompletionClient, CreateResult, ModelFamily, ModelInfo, RequestUsage

        class LiteLLMClient(ChatCompletionClient):
            model_info = ModelInfo(
                vision=False, function_calling=False, json_output=False, family=ModelFamily.UNKNOWN,
                structured_output=False,
            )  # fmt: skip
            capabilities = {"vision": False, "function_calling": False, "json_output": False}

            async def create(self, messages: Any, **kwargs: Any) -> Any:
                chat = [
                    {"role": "system" if m.type == "SystemMessage" else "assistant" if m.type == "AssistantMessage"
                     else "user", "content": str(m.content)}
                    for m in messages
                ]  # fmt: skip
                reply = await litellm.acompletion(
                    model=f"openai/{MODEL}", api_base=base_url, api_key=KEY, max_tokens=8, messages=chat
                )
                usage = RequestUsage(reply.usage.prompt_tokens, reply.usage.completion_tokens)
                return CreateResult(
                    finish_reason="stop", content=reply.choices[0].message.content, usage=usage, cached=False
                )

            async def create_stream(self, messages: Any, **kwargs: Any) -> Any:
                yield await self.create(messages)

            async def close(self) -> None:
                return None

            def actual_usage(self) -> Any:
                return RequestUsage(0, 0)

            total_usage = actual_usage

            def count_tokens(self, messages: Any, **kwargs: Any) -> int:
                return 0

            def remaining_tokens(self, messages: Any, **kwargs: Any) -> int:
                return 100_000

        self.client = LiteLLMClient()

    async def run(self) -> float:
        from autogen_agentchat.agents import AssistantAgent
        from autogen_agentchat.conditions import MaxMessageTermination
        from autogen_agentchat.teams import RoundRobinGroupChat

        started = time.perf_counter()
        agents = [AssistantAgent(f"a{i}", self.client) for i in range(STEPS)]
        team = RoundRobinGroupChat(agents, termination_condition=MaxMessageTermination(STEPS + 1))
        await team.run(task="step 0")
        return time.perf_counter() - started


class DirectCrewAI:
    """CrewAI driven directly: the same sequential crew, CrewAI's own LLM on the same server."""

    def __init__(self, base_url: str) -> None:
        os.environ.update(
            CREWAI_DISABLE_TELEMETRY="true", CREWAI_DISABLE_TRACKING="true", CREWAI_TRACING_ENABLED="false"
        )
        from crewai import LLM

        self.llm = LLM(model=f"openai/{MODEL}", base_url=base_url, api_key=KEY, max_tokens=8)

    async def run(self) -> float:
        from crewai import Agent, Crew, Task

        started = time.perf_counter()
        agent = Agent(role="Worker", goal="answer", backstory="Worker", llm=self.llm, verbose=False, max_iter=10)
        tasks: list[Any] = []
        for i in range(STEPS):
            tasks.append(
                Task(description=f"step {i}", expected_output="a word", agent=agent, context=tasks[-1:] or None)
            )
        await Crew(agents=[agent], tasks=tasks, verbose=False, tracing=False).akickoff()
        return time.perf_counter() - started


class DirectPrefect:
    """Prefect driven directly: the same flow of STEPS tasks calling litellm, on a temporary local server."""

    def __init__(self, base_url: str) -> None:
        os.environ["LITELLM_LOCAL_MODEL_COST_MAP"] = "True"
        os.environ.setdefault("PREFECT_HOME", tempfile.mkdtemp(prefix="albw-prefect", dir="/tmp"))
        os.environ["PREFECT_SERVER_ANALYTICS_ENABLED"] = "false"
        os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
        import litellm
        from prefect import flow, task

        @task
        async def step(prompt: str) -> str:
            reply = await litellm.acompletion(
                model=f"openai/{MODEL}", api_base=base_url, api_key=KEY, max_tokens=8,
                messages=[{"role": "user", "content": prompt}],
            )  # fmt: skip
            return str(reply.choices[0].message.content)

        @flow(name="bench-direct")
        async def steps() -> str:
            last = ""
            for i in range(STEPS):
                last = await step(f"step {i}: {last}" if i else "step 0")
            return last

        self.flow = steps

    async def run(self) -> float:
        started = time.perf_counter()
        await self.flow()
        return time.perf_counter() - started


DIRECT = {"langgraph": DirectLangGraph, "autogen": DirectAutoGen, "crewai": DirectCrewAI, "prefect": DirectPrefect}


def _figures(
    engine: str, mine: list[float], theirs: list[float], cold: float, direct_cold: float, rss: float, rss_start: float
) -> list[dict[str, Any]]:
    ours_step = statistics.median(mine) / STEPS * 1000
    direct_step = statistics.median(theirs) / STEPS * 1000
    target = max(0.10 * direct_step, 5.0)
    return [
        {"name": f"{engine}_step_ms", "value": ours_step, "baseline": direct_step, "unit": "ms",
         "note": f"median run / steps; baseline: {engine} driven directly on the same server"},
        {"name": f"{engine}_overhead_ms_per_step", "value": ours_step - direct_step, "baseline": target,
         "unit": "ms", "note": "ours - direct; baseline: the target, max(10% of the direct step, 5 ms)"},
        {"name": f"{engine}_cold_first_run_s", "value": cold, "baseline": statistics.median(mine), "unit": "s",
         "note": f"first run of the engine in the daemon; baseline: a warm run; direct import+first run: "
                 f"{direct_cold:.2f} s"},
        {"name": f"daemon_rss_mb_{engine}_loaded", "value": rss, "baseline": rss_start, "unit": "MiB",
         "note": "after the engine's first run (engines run in order, so cumulative); baseline: before any run"},
    ]  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench workflows")
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--engines", nargs="+", default=list(DIRECT), choices=list(DIRECT))
    args = parser.parse_args(argv)
    from auralink.v1 import providers_pb2 as ppb
    from auralink.v1 import providers_pb2_grpc as ppb_grpc
    from auralink.v1 import workflows_pb2 as pb
    from auralink.v1 import workflows_pb2_grpc as pb_grpc

    runs = 5 if args.quick else 30
    load = {"before": load_average()}
    fake, base_url = start_fake()
    loop = asyncio.new_event_loop()
    figures: list[dict[str, Any]] = []
    try:
        with tempfile.TemporaryDirectory(prefix="albw", dir="/tmp") as tmp:
            (Path(tmp) / "d").mkdir()
            process, address, token = start_daemon(Path(tmp) / "d", {"AURALINK_WARM_MODELS_ON_START": "false"})
            md = [("authorization", f"Bearer {token}")]
            try:
                rss_start = rss_mb(process.pid)
                with grpc.insecure_channel(address) as channel:
                    providers = ppb_grpc.AIProviderServiceStub(channel)
                    provider = ppb.Provider(
                        name="bench", type=ppb.PROVIDER_TYPE_OPENAI_COMPATIBLE, base_url=base_url, models=[MODEL]
                    )
                    providers.CreateProvider(ppb.CreateProviderRequest(provider=provider), metadata=md, timeout=60)
                    providers.SetProviderKey(
                        ppb.SetProviderKeyRequest(provider="bench", api_key=KEY, scope=ppb.KEY_SCOPE_ORG),
                        metadata=md, timeout=60,
                    )  # fmt: skip
                    stub = pb_grpc.WorkflowServiceStub(channel)
                    for engine in args.engines:
                        stub.CreateWorkflow(
                            pb.CreateWorkflowRequest(name=f"bench-{engine}", definition=definition(engine)),
                            metadata=md, timeout=60,
                        )  # fmt: skip
                        progress(f"{engine}: cold first run in the daemon (import and set-up)")
                        cold = ours(stub, pb, md, engine)
                        rss = rss_mb(process.pid)
                        progress(f"{engine}: direct, import and first run in this process")
                        started = time.perf_counter()
                        direct = DIRECT[engine](base_url)
                        loop.run_until_complete(direct.run())
                        direct_cold = time.perf_counter() - started
                        ours(stub, pb, md, engine)  # warm both once more
                        loop.run_until_complete(direct.run())
                        progress(f"{engine}: {runs} interleaved runs of each path ({STEPS} steps per run)")
                        mine, theirs = [], []
                        for _ in range(runs):
                            mine.append(ours(stub, pb, md, engine))
                            theirs.append(loop.run_until_complete(direct.run()))
                        figures += _figures(engine, mine, theirs, cold, direct_cold, rss, rss_start)
                    load["during"] = load_average()
            finally:
                stop_daemon(process)
    finally:
        loop.close()
        fake.terminate()
        fake.wait()
    meta = {
        "quick": args.quick,
        "engines": args.engines,
        "runs": runs,
        "steps": STEPS,
        "load_average_1m": load,
        "cpu_count": os.cpu_count(),
    }
    path = write_results(AREA, figures, meta=meta)
    print(f"{'figure':36} {'value':>10} {'baseline':>10} {'ratio':>7}")
    for f in figures:
        print(f"{f['name']:36} {f['value']:10.2f} {f['baseline']:10.2f} {f['value'] / f['baseline']:7.2f}")
    print(f"load average (1 min): {load}")
    print(f"results: {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
