"""LLM gateway benchmark: overhead per completion and where it goes, memory after many calls, local model speed.

- Overhead, each path against the same local OpenAI-wire server (a separate process), in two interleaved
  loops so machine load hits the paths of a loop alike: the client's view (a, d, e: what a caller of the
  daemon runs) and the attribution loop (a, a', b, b1, c, d, b0: the in-process paths, and d again):
  (a)  a direct httpx call (sync; the issue's baseline), and (a') the same with httpx.AsyncClient;
  (b)  litellm as the gateway calls it for a unary OpenAI-wire completion: its provider layer directly
       (auralinkd/providers/openai_wire.py: litellm's OpenAI config, HTTP handler and exception mapping);
  (b1) `litellm.acompletion` as the gateway calls it for streams and other providers (configured as the daemon
       does: success bookkeeping skipped, litellm's own HTTP handler, request building on the event loop);
  (b0) `litellm.acompletion` as shipped (bookkeeping on, the openai SDK underneath, a worker thread per call),
       to show what the daemon's configuration saves;
  (c)  `CompletionService.complete` in this process (key and config lookup, budget check, breaker, usage);
  (d)  `AIProviderService/Complete` through the daemon (gRPC, auth guard, then (c));
  (e)  `SystemService/Ping` through the daemon: gRPC plus the guard, no completion;
  (f)  a bare grpc.aio Complete in its own process (bench/bare_gateway.py): the same HTTP call with httpx and
       nothing else, the floor of any gRPC service in front of the provider. d - f is what AuraLink adds
       beyond that floor (auth, validation, key and budget look-ups, litellm's provider layer, usage).
  Reported: median and p99 of each, the added milliseconds d - a (target: <= 2 ms median), and the shares
  b - a' (litellm), c - b (our domain path) and d - c (gRPC, guard and the daemon's process), the last three
  from the attribution loop, where d - a is reported as well.
- CPU per call (machine load inflates it far less than wall time): a', b and c in this process, and the
  daemon's process per Complete against the bare gateway's process per Complete (d vs f).
- Leak check: the daemon's RSS after 100 Complete calls versus after 10,000 (--quick: 50 vs 500).
- Local model (skipped with --quick): tokens/s of local/smollm2-135m in this process and streamed through
  the daemon's StreamComplete, after a load that is reported separately.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import grpc
import httpx

from bench.common import REPO_ROOT, _cpu_seconds, start_daemon, stop_daemon, write_results

AREA = "llm_gateway"
MODEL = "gpt-4o-mini"
KEY = "sk-bench-0000"
PROMPT = "ping"
MAX_TOKENS = 4
BUDGET_USD = 1000.0  # a budget that is never reached: the check runs on every call, as in production


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def load_average() -> float:
    return float(Path("/proc/loadavg").read_text().split()[0])


def progress(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def start_fake() -> tuple[subprocess.Popen[bytes], str]:
    """The fake provider in its own process: in this one it would compete with (a)-(c) for the GIL."""
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.fakes.openai_server"], cwd=REPO_ROOT, stdout=subprocess.PIPE
    )
    assert process.stdout is not None
    return process, process.stdout.readline().decode().strip()


class InProcess:
    """The daemon's completion path without gRPC: its own embedded PostgreSQL, services wired as runtime.py does."""

    def __init__(self, directory: Path) -> None:
        from auralinkd.db.embedded import EmbeddedPostgres

        self.directory = directory
        self.postgres = EmbeddedPostgres(directory / "pg")

    async def start(self, base_url: str) -> None:
        from auralinkd.access.principal import Caller, Principal
        from auralinkd.audit.service import AuditLog
        from auralinkd.db import migrate
        from auralinkd.db.database import Database
        from auralinkd.providers.completions import CompletionService
        from auralinkd.providers.gateway import Gateway
        from auralinkd.providers.local import LocalModel
        from auralinkd.providers.service import ProviderConfig, ProviderService
        from auralinkd.providers.vault import KeyVault

        dsn = await asyncio.to_thread(self.postgres.start)
        self.db = Database(embedded=True, min_size=1, max_size=4, statement_timeout_s=10)
        await self.db.connect(dsn, attempts=3, migrations=migrate.discover())
        async with self.db.system() as conn:
            org = await conn.fetchval(
                "INSERT INTO organizations (name, slug) VALUES ('bench org', 'bench-org') RETURNING id"
            )
            user = await conn.fetchval(
                "INSERT INTO users (organization_id, email, username, role) "
                "VALUES ($1, 'bench@example.test', 'bench', 'admin') RETURNING id",
                org,
            )
        self.caller = Caller(Principal(user, org, frozenset({"*", "org:admin"}), "bench"), uuid.uuid4().hex, "bench")
        vault = KeyVault.from_config(None, (), self.directory, production=False)
        self.providers = ProviderService(self.db, AuditLog(self.db), vault, "smollm2-135m")
        self.local = LocalModel(None, cache_dir=self.directory / "models")
        gateway = Gateway(self.local, "smollm2-135m", breaker_failures=5, breaker_reset_s=30)
        self.completions = CompletionService(self.db, self.providers, gateway, 64)
        config = ProviderConfig(name="bench", type="openai_compatible", base_url=base_url, models=(MODEL,))
        await self.providers.create_provider(self.caller, config)
        await self.providers.set_key(self.caller, "bench", KEY, "user", "")
        await self.providers.set_budget(self.caller, "user", str(user), "month", BUDGET_USD)

    async def stop(self) -> None:
        await self.completions.close()
        await self.db.close()
        await asyncio.to_thread(self.postgres.stop)


def litellm_hooks(litellm: Any, full: bool) -> None:
    """Puts litellm's success bookkeeping back (full=True) or skips it again, as the daemon configures it."""
    from auralinkd.providers.llm import _SKIPPED_HOOKS

    for name in _SKIPPED_HOOKS:
        current = getattr(litellm.utils, name)
        original = getattr(current, "__wrapped__", current)
        if full:
            setattr(litellm.utils, name, original)
    if not full:
        from auralinkd.providers.llm import skip_callback_bookkeeping

        skip_callback_bookkeeping(litellm)


async def interleaved(paths: dict[str, Callable[[], Awaitable[None]]], samples: int) -> dict[str, list[float]]:
    """Milliseconds per call of each path, the paths taking turns so machine load hits them alike."""
    for _ in range(30):  # warm every path (clients, caches, the first budget read)
        for path in paths.values():
            await path()
    times: dict[str, list[float]] = {name: [] for name in paths}
    for _ in range(samples):
        for name, path in paths.items():
            started = time.perf_counter()
            await path()
            times[name].append((time.perf_counter() - started) * 1000)
            await asyncio.sleep(0.001)  # background work a call leaves (usage writer, litellm's tasks), untimed
        await asyncio.sleep(0.01)
    return times


def start_bare(base_url: str, socket_path: Path) -> subprocess.Popen[bytes]:
    process = subprocess.Popen(
        [sys.executable, "-m", "bench.bare_gateway", base_url, str(socket_path)], cwd=REPO_ROOT, stdout=subprocess.PIPE
    )
    assert process.stdout is not None and process.stdout.readline().strip() == b"ready"
    return process


async def overhead(
    stub: Any,
    system_stub: Any,
    md: list[tuple[str, str]],
    base_url: str,
    world: InProcess,
    samples: int,
    bare_stub: Any,
    pids: tuple[int, int],
) -> tuple[list[dict[str, Any]], dict[str, list[float]], Callable[[], None]]:
    """`pids`: the daemon's and the bare gateway's processes (their CPU per call)."""
    from auralink.v1 import providers_pb2 as pb
    from auralink.v1 import system_pb2
    from auralinkd.providers.completions import CompletionRequest
    from auralinkd.providers.llm import inline_request_building, litellm_module
    from auralinkd.providers.openai_wire import OpenAIWire

    litellm = await asyncio.to_thread(litellm_module)
    messages = [{"role": "user", "content": PROMPT}]
    body = {"model": MODEL, "messages": messages, "max_tokens": MAX_TOKENS}
    headers = {"Authorization": f"Bearer {KEY}"}
    request = pb.CompleteRequest(
        messages=[pb.ChatMessage(role="user", content=PROMPT)], models=[f"bench/{MODEL}"], max_tokens=MAX_TOKENS
    )
    ping = system_pb2.PingRequest(payload=b"x" * 16)
    domain_request = CompletionRequest(messages, [f"bench/{MODEL}"], max_tokens=MAX_TOKENS)
    sync_client = httpx.Client(base_url=base_url)
    async_client = httpx.AsyncClient(base_url=base_url)

    def rpc() -> None:
        stub.Complete(request, metadata=md, timeout=60)

    async def a_sync() -> None:
        # Blocking on purpose: the baseline is a plain httpx call; nothing else runs meanwhile.
        sync_client.post("/chat/completions", json=body, headers=headers).raise_for_status()  # noqa: ASYNC212

    async def a_async() -> None:
        (await async_client.post("/chat/completions", json=body, headers=headers)).raise_for_status()

    wire = OpenAIWire.create(litellm)
    assert wire is not None, "this litellm lacks the provider-layer internals the gateway uses"

    async def b() -> None:
        await wire.complete(model=MODEL, messages=messages, max_tokens=MAX_TOKENS, temperature=None, timeout_s=30.0,
                            api_base=base_url, api_key=KEY)  # fmt: skip

    async def acompletion() -> None:
        await litellm.acompletion(
            model=f"openai/{MODEL}",
            messages=messages,
            max_tokens=MAX_TOKENS,
            timeout=30.0,
            num_retries=0,
            max_retries=0,
            api_base=base_url,
            api_key=KEY,
        )

    async def b1() -> None:
        with inline_request_building():
            await acompletion()

    async def b_full() -> None:
        litellm_hooks(litellm, full=True)
        os.environ["EXPERIMENTAL_OPENAI_BASE_LLM_HTTP_HANDLER"] = "False"  # litellm reads it on every call
        try:
            await acompletion()
        finally:
            os.environ["EXPERIMENTAL_OPENAI_BASE_LLM_HTTP_HANDLER"] = "True"
            litellm_hooks(litellm, full=False)

    async def c() -> None:
        await world.completions.complete(world.caller, domain_request, 60)

    async def d() -> None:
        rpc()

    async def e() -> None:
        system_stub.Ping(ping, metadata=md, timeout=60)

    async def f() -> None:
        bare_stub.Complete(request, metadata=md, timeout=60)

    # Two interleaved loops. The client's view first: only what a caller of the daemon would run (the
    # baseline, the RPC, a Ping), so the in-process paths' leftovers (litellm's tasks and threads, the
    # in-process pool and usage writer) do not land inside the RPC's window. Then the attribution loop with
    # the in-process paths; b0 goes last there, so the logging task it leaves runs in the pause after it.
    client_view = {"a_httpx": a_sync, "d_rpc": d, "e_ping_rpc": e, "f_bare_grpc_httpx": f}
    attribution = {
        "a_httpx": a_sync,
        "a_httpx_async": a_async,
        "b_litellm": b,
        "b1_litellm_acompletion": b1,
        "c_domain": c,
        "d_rpc": d,
        "b0_litellm_as_shipped": b_full,
    }
    view = await interleaved(client_view, samples)
    parts = await interleaved(attribution, samples)
    cpu = await cpu_per_call(
        {"a_httpx_async": a_async, "b_litellm": b, "c_domain": c}, {"d_rpc": (d, pids[0]), "f_bare": (f, pids[1])}
    )
    sync_client.close()  # noqa: ASYNC212
    await async_client.aclose()
    times = {**{f"{name}@attribution" if name in client_view else name: v for name, v in parts.items()}, **view}

    med = {name: statistics.median(v) for name, v in times.items()}
    p99 = {name: percentile(v, 0.99) for name, v in times.items()}
    figures: list[dict[str, Any]] = [
        {
            "name": f"{name}_median_ms",
            "value": med[name],
            "baseline": med["a_httpx" if name in client_view else "a_httpx@attribution"],
            "unit": "ms",
            "p99": p99[name],
            "loop": "client view" if name in client_view else "attribution",
        }
        for name in times
    ]
    figures += [
        {
            "name": "added_median_ms",
            "value": med["d_rpc"] - med["a_httpx"],
            "baseline": 3.25,
            "unit": "ms",
            "note": "d - a; baseline: LiteLLM's published median proxy overhead; target <= 2 ms",
        },
        {"name": "added_p99_ms", "value": p99["d_rpc"] - p99["a_httpx"], "baseline": None, "unit": "ms"},
        {
            "name": "added_beyond_bare_grpc_median_ms",
            "value": med["d_rpc"] - med["f_bare_grpc_httpx"],
            "baseline": med["f_bare_grpc_httpx"] - med["a_httpx"],
            "unit": "ms",
            "note": "d - f: what the daemon adds beyond a bare grpc.aio handler making the same HTTP call; "
            "baseline: f - a, what that bare gRPC hop itself adds (client view)",
        },
        {
            "name": "added_beyond_bare_grpc_p99_ms",
            "value": p99["d_rpc"] - p99["f_bare_grpc_httpx"],
            "baseline": p99["f_bare_grpc_httpx"] - p99["a_httpx"],
            "unit": "ms",
        },
        {
            "name": "added_median_ms@attribution",
            "value": med["d_rpc@attribution"] - med["a_httpx@attribution"],
            "baseline": 3.25,
            "unit": "ms",
            "note": "d - a in the attribution loop, where this process also runs litellm, its threads and a second "
            "PostgreSQL pool between the RPCs (shown for comparison; a caller of the daemon runs none of that)",
        },
        {
            "name": "share_litellm_median_ms",
            "value": med["b_litellm"] - med["a_httpx_async"],
            "baseline": med["b0_litellm_as_shipped"] - med["a_httpx_async"],
            "unit": "ms",
            "note": "b - a' (litellm's provider layer over a plain async HTTP call); baseline: b0 - a', "
            "acompletion as shipped",
        },
        {
            "name": "share_litellm_acompletion_median_ms",
            "value": med["b1_litellm_acompletion"] - med["a_httpx_async"],
            "baseline": med["b0_litellm_as_shipped"] - med["a_httpx_async"],
            "unit": "ms",
            "note": "b1 - a' (acompletion as configured: streams and non-OpenAI-wire providers); baseline: b0 - a'",
        },
        {
            "name": "share_domain_median_ms",
            "value": med["c_domain"] - med["b_litellm"],
            "baseline": None,
            "unit": "ms",
            "note": "c - b: key/config lookup, budget check, breaker, usage record",
        },
        {
            "name": "share_rpc_median_ms",
            "value": med["d_rpc@attribution"] - med["c_domain"],
            "baseline": med["e_ping_rpc"],
            "unit": "ms",
            "note": "d - c in the attribution loop: gRPC round trip, the guard and the daemon's process; baseline: "
            "a Ping through the same guard (client-view loop)",
        },
    ]
    return figures + cpu, times, rpc


async def cpu_per_call(
    in_process: dict[str, Callable[[], Awaitable[None]]],
    servers: dict[str, tuple[Callable[[], Awaitable[None]], int]],
    calls: int = 400,
) -> list[dict[str, Any]]:
    """CPU milliseconds per call, which machine load inflates far less than wall time: the in-process paths
    by this process's CPU time (the provider is another process), the RPCs by the serving process's, less
    what that process uses idle. Each path in turns of calls/4, a 0.2 s pause after each turn counted (the
    write-behind work a call leaves lands there)."""
    idle: dict[int, float] = {}
    for _, pid in servers.values():
        before = _cpu_seconds(pid) or 0.0
        await asyncio.sleep(2)
        idle[pid] = ((_cpu_seconds(pid) or 0.0) - before) / 2
    cpu = dict.fromkeys([*in_process, *servers], 0.0)
    for _ in range(4):
        for name, path in in_process.items():
            started = time.process_time()
            for _ in range(calls // 4):
                await path()
            await asyncio.sleep(0.2)
            cpu[name] += time.process_time() - started
        for name, (path, pid) in servers.items():
            before, wall = _cpu_seconds(pid) or 0.0, time.perf_counter()
            for _ in range(calls // 4):
                await path()
            await asyncio.sleep(0.2)
            cpu[name] += (_cpu_seconds(pid) or 0.0) - before - idle[pid] * (time.perf_counter() - wall)
    ms = {name: total / calls * 1000 for name, total in cpu.items()}
    return [
        {"name": "cpu_ms_per_call/b_litellm", "value": ms["b_litellm"], "baseline": ms["a_httpx_async"],
         "unit": "ms CPU", "note": "this process; baseline: a' (httpx.AsyncClient), the same HTTP call"},
        {"name": "cpu_ms_per_call/c_domain", "value": ms["c_domain"], "baseline": ms["b_litellm"], "unit": "ms CPU",
         "note": "this process; baseline: b (c - b: keys, configs, budget check, breaker, usage)"},
        {"name": "cpu_ms_per_call/d_rpc_daemon", "value": ms["d_rpc"], "baseline": ms["f_bare"], "unit": "ms CPU",
         "note": "the daemon process per Complete (idle use subtracted); baseline: the bare grpc.aio gateway "
         "process (bench/bare_gateway.py) per Complete"},
    ]  # fmt: skip


def cached_load(world: InProcess) -> float:
    """A second LocalModel on the same cache dir, once the first load's background save has finished."""
    from auralinkd.providers import weights_cache
    from auralinkd.providers.local import LocalModel, resolve_source

    source = resolve_source(None)
    entry = world.directory / "models" / weights_cache.entry_name(source.directory / str(source.gguf_file))
    deadline = time.monotonic() + 300
    while not weights_cache.complete(entry) and time.monotonic() < deadline:
        time.sleep(0.2)
    later = LocalModel(None, threads=world.local.threads, cache_dir=world.directory / "models")
    started = time.perf_counter()
    later._load()
    assert later.loaded_from == "cache", later.loaded_from
    return time.perf_counter() - started


def local_model(
    stub: Any, md: list[tuple[str, str]], world: InProcess, loop: asyncio.AbstractEventLoop
) -> list[dict[str, Any]]:
    from auralink.v1 import providers_pb2 as pb
    from auralinkd.providers.local import Generation

    figures: list[dict[str, Any]] = []
    messages = [{"role": "user", "content": "Tell me about the sea."}]
    new_tokens = 64

    async def standalone() -> tuple[float, list[float]]:
        started = time.perf_counter()
        await world.local.ensure_loaded()
        load_s = time.perf_counter() - started
        rates = []
        for _ in range(3):
            started = time.perf_counter()
            async for item in world.local.stream(messages, new_tokens, None):
                if isinstance(item, Generation):
                    rates.append(item.completion_tokens / (time.perf_counter() - started))
        return load_s, rates

    load_s, rates = loop.run_until_complete(standalone())
    cached_s = cached_load(world)
    conditions = f"{os.cpu_count()} cores, {world.local.threads} torch thread(s), {new_tokens} new tokens, greedy"
    figures += [
        {
            "name": "local_model_load_s",
            "value": load_s,
            "baseline": None,
            "unit": "s",
            "note": f"in this process, from the {world.local.loaded_from} (a first start converts the GGUF)",
        },
        {
            "name": "local_model_cached_load_s",
            "value": cached_s,
            "baseline": load_s,
            "unit": "s",
            "note": "a later start: the converted weights from the data dir's cache; baseline: the first load above",
        },
        {
            "name": "local_model_tokens_per_s",
            "value": statistics.median(rates),
            "baseline": None,
            "unit": "tokens/s",
            "note": f"SmolLM2-135M Q4_1 GGUF via transformers, in this process; {conditions}",
        },
    ]
    request = pb.CompleteRequest(
        messages=[pb.ChatMessage(role="user", content=messages[0]["content"])],
        models=["local/smollm2-135m"],
        max_tokens=8,
    )
    started = time.perf_counter()
    stub.Complete(request, metadata=md, timeout=600)  # loads the model in the daemon
    figures.append(
        {
            "name": "local_model_first_call_s",
            "value": time.perf_counter() - started,
            "baseline": None,
            "unit": "s",
            "note": "through the daemon: load (tokenizer + GGUF conversion) plus 8 tokens",
        }
    )
    request.max_tokens = new_tokens
    streamed = []
    for _ in range(3):
        started = time.perf_counter()
        tokens = 0
        for chunk in stub.StreamComplete(request, metadata=md, timeout=600):
            if chunk.done:
                tokens = chunk.usage.completion_tokens
        streamed.append(tokens / (time.perf_counter() - started))
    figures.append(
        {
            "name": "local_model_streamed_tokens_per_s",
            "value": statistics.median(streamed),
            "baseline": statistics.median(rates),
            "unit": "tokens/s",
            "note": "StreamComplete through the daemon, request to last chunk; baseline: in this process; "
            + conditions,
        }
    )
    return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench llm_gateway")
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--results-dir", default=None)
    args = parser.parse_args(argv)
    from auralink.v1 import providers_pb2 as pb
    from auralink.v1 import providers_pb2_grpc as pb_grpc
    from auralink.v1 import system_pb2_grpc

    samples = 200 if args.quick else 1000
    leak_small, leak_large = (50, 500) if args.quick else (100, 10_000)
    figures: list[dict[str, Any]] = []
    load = {"before": load_average()}
    fake, base_url = start_fake()
    loop = asyncio.new_event_loop()  # one loop for everything in this process: the pool is bound to it
    with tempfile.TemporaryDirectory(prefix="albl", dir="/tmp") as tmp:  # short: unix socket paths
        (Path(tmp) / "d").mkdir()
        world = InProcess(Path(tmp) / "p")
        started_world = False
        bare: subprocess.Popen[bytes] | None = None
        try:
            process, address, token = start_daemon(Path(tmp) / "d", {"AURALINK_WARM_MODELS_ON_START": "false"})
        except BaseException:
            fake.terminate()
            raise
        md = [("authorization", f"Bearer {token}")]
        try:
            rss_start = rss_mb(process.pid)
            progress("daemon ready; starting the in-process path")
            loop.run_until_complete(world.start(base_url))
            started_world = True
            bare = start_bare(base_url, Path(tmp) / "bare.sock")
            with grpc.insecure_channel(address) as channel, grpc.insecure_channel(f"unix://{tmp}/bare.sock") as bare_ch:
                stub = pb_grpc.AIProviderServiceStub(channel)
                bare_stub = pb_grpc.AIProviderServiceStub(bare_ch)
                system_stub = system_pb2_grpc.SystemServiceStub(channel)
                provider = pb.Provider(
                    name="bench", type=pb.PROVIDER_TYPE_OPENAI_COMPATIBLE, base_url=base_url, models=[MODEL]
                )
                stub.CreateProvider(pb.CreateProviderRequest(provider=provider), metadata=md, timeout=60)
                key = pb.SetProviderKeyRequest(provider="bench", api_key=KEY, scope=pb.KEY_SCOPE_USER)
                admin_id = stub.SetProviderKey(key, metadata=md, timeout=60).user_id
                budget = pb.Budget(
                    scope=pb.BUDGET_SCOPE_USER, subject_id=admin_id, period=pb.BUDGET_PERIOD_MONTH, limit_usd=BUDGET_USD
                )
                stub.SetBudget(pb.SetBudgetRequest(budget=budget), metadata=md, timeout=60)

                progress(f"measuring {samples} interleaved samples of each path")
                found, _, rpc = loop.run_until_complete(
                    overhead(stub, system_stub, md, base_url, world, samples, bare_stub, (process.pid, bare.pid))
                )
                figures += found
                load["during_overhead"] = load_average()

                progress(f"leak check: Complete calls up to {leak_large}")
                done = 30 + samples
                while done < leak_small:
                    rpc()
                    done += 1
                rss_small = rss_mb(process.pid)
                while done < leak_large:
                    rpc()
                    done += 1
                rss_large = rss_mb(process.pid)
                figures.append(
                    {
                        "name": f"rss_mb_after_{leak_large}_calls",
                        "value": rss_large,
                        "baseline": rss_small,
                        "unit": "MiB",
                        "note": f"baseline: after {leak_small} calls; at start (before litellm's import): "
                        f"{rss_start:.1f} MiB; warm_models_on_start=false",
                    }
                )
                load["during_leak"] = load_average()
                if not args.quick:
                    progress("local model")
                    figures += local_model(stub, md, world, loop)
                    load["during_local_model"] = load_average()
        finally:
            stop_daemon(process)
            if bare is not None:
                bare.terminate()
                bare.wait()
            if started_world:
                loop.run_until_complete(world.stop())
            loop.close()
            fake.terminate()
            fake.wait()
    meta = {"quick": args.quick, "samples": samples, "load_average_1m": load, "cpu_count": os.cpu_count()}
    path = write_results(AREA, figures, meta, args.results_dir)
    print(f"{'figure':36} {'value':>10} {'p99':>10} {'baseline':>10}")
    for f in figures:
        baseline = "-" if f["baseline"] is None else f"{f['baseline']:.2f}"
        p99 = f"{f['p99']:.2f}" if "p99" in f else "-"
        print(f"{f['name']:36} {f['value']:10.2f} {p99:>10} {baseline:>10}")
    print(f"load average (1 min): {load}")
    print(f"results: {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
