"""Workflows benchmark: our overhead per step against LangGraph driven directly, and the cold first run.

Both paths run the same linear graph of STEPS agent steps against the same local OpenAI-wire server (its
own process, fixed reply), interleaved run by run so machine load hits both alike:
  (ours)   StartRun through the daemon, WatchRun until run_completed: gRPC, the guard, the run row and an
           event per step in PostgreSQL (and on the bus), a PostgresSaver checkpoint per step
           (durability=sync), and each step's LLM call through CompletionService (keys, budget check,
           usage row with the run id) then litellm;
  (direct) the same StateGraph in this process, nodes calling `litellm.acompletion` on the same server,
           with LangGraph's InMemorySaver.
Reported: median per-step time of each, their difference (target: at most 10% of the direct step or 5 ms,
whichever is larger), the cold first run (LangGraph's import, the checkpointer's setup) against a warm
run, and the daemon's RSS before any run and with the LangGraph engine loaded.
Engines other than LangGraph are not built yet, so they have no figures.
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


def definition() -> str:
    nodes = "\n".join(
        f"  - {{id: s{i}, type: agent, prompt: 'step {i}: {{s{i - 1}}}', model: bench/{MODEL}, max_tokens: 8}}"
        if i
        else f"  - {{id: s0, type: agent, prompt: 'step 0', model: bench/{MODEL}, max_tokens: 8}}"
        for i in range(STEPS)
    )
    edges = ", ".join(f"[s{i}, s{i + 1}]" for i in range(STEPS - 1))
    return f"engine: langgraph\nnodes:\n{nodes}\nedges: [{edges}]\n"


def ours(stub: Any, pb: Any, md: list[tuple[str, str]]) -> float:
    started = time.perf_counter()
    run = stub.StartRun(pb.StartRunRequest(workflow="bench"), metadata=md, timeout=60)
    last = ""
    for event in stub.WatchRun(pb.WatchRunRequest(run_id=run.id), metadata=md, timeout=120):
        last = event.kind
    elapsed = time.perf_counter() - started
    if last != "run_completed":
        raise RuntimeError(f"run {run.id} ended with {last}")
    return elapsed


class Direct:
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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench workflows")
    parser.add_argument("--quick", action="store_true")
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
                    stub.CreateWorkflow(
                        pb.CreateWorkflowRequest(name="bench", definition=definition()), metadata=md, timeout=60
                    )
                    progress("cold first run (LangGraph's import and the checkpointer's setup in the daemon)")
                    cold = ours(stub, pb, md)
                    rss_loaded = rss_mb(process.pid)
                    progress("direct LangGraph: import and first run in this process")
                    started = time.perf_counter()
                    direct = Direct(base_url)
                    loop.run_until_complete(direct.run())
                    direct_cold = time.perf_counter() - started
                    ours(stub, pb, md)  # warm both once more
                    loop.run_until_complete(direct.run())
                    progress(f"{runs} interleaved runs of each path ({STEPS} steps per run)")
                    mine, theirs = [], []
                    for _ in range(runs):
                        mine.append(ours(stub, pb, md))
                        theirs.append(loop.run_until_complete(direct.run()))
                    load["during"] = load_average()
            finally:
                stop_daemon(process)
    finally:
        loop.close()
        fake.terminate()
        fake.wait()
    ours_step = statistics.median(mine) / STEPS * 1000
    direct_step = statistics.median(theirs) / STEPS * 1000
    target = max(0.10 * direct_step, 5.0)
    warm = statistics.median(mine)
    figures += [
        {"name": "langgraph_step_ms", "value": ours_step, "baseline": direct_step, "unit": "ms",
         "note": "median run / steps; baseline: LangGraph driven directly (litellm, InMemorySaver)"},
        {"name": "langgraph_overhead_ms_per_step", "value": ours_step - direct_step, "baseline": target,
         "unit": "ms", "note": "ours - direct; baseline: the target, max(10% of the direct step, 5 ms)"},
        {"name": "langgraph_cold_first_run_s", "value": cold, "baseline": warm, "unit": "s",
         "note": f"first run in a fresh daemon; baseline: a warm run; direct LangGraph import+first run: "
                 f"{direct_cold:.2f} s"},
        {"name": "daemon_rss_mb_langgraph_loaded", "value": rss_loaded, "baseline": rss_start, "unit": "MiB",
         "note": "after the first LangGraph run; baseline: the daemon before any run"},
    ]  # fmt: skip
    meta = {"quick": args.quick, "runs": runs, "steps": STEPS, "load_average_1m": load, "cpu_count": os.cpu_count()}
    path = write_results(AREA, figures, meta=meta)
    print(f"{'figure':36} {'value':>10} {'baseline':>10} {'ratio':>7}")
    for f in figures:
        print(f"{f['name']:36} {f['value']:10.2f} {f['baseline']:10.2f} {f['value'] / f['baseline']:7.2f}")
    print(f"load average (1 min): {load}")
    print(f"results: {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
