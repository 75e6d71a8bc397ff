"""LLM gateway benchmark: overhead per completion, memory after many calls, and the local model's tokens/s.

- Overhead: `AIProviderService/Complete` through the daemon (gRPC, auth, key decryption, budget check, litellm,
  usage record) against the local OpenAI-wire server, versus a direct httpx call to the same server in the
  same run. Reported: median and p99 of each, and the added milliseconds (target: <= 2 ms median added).
- Leak check: the daemon's RSS after 100 calls versus after 10,000 (--quick: 50 vs 500).
- Local model: tokens/s of local/smollm2-135m streamed through the daemon (skipped with --quick: loading
  the model alone takes longer than a quick run may).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import grpc
import httpx

from bench.common import start_daemon, stop_daemon, write_results

AREA = "llm_gateway"


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench llm_gateway")
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args(argv)
    from auralink.v1 import providers_pb2 as pb
    from auralink.v1 import providers_pb2_grpc as pb_grpc
    from tests.fakes.openai_server import FakeOpenAI

    samples = 200 if args.quick else 1000
    leak_small, leak_large = (50, 500) if args.quick else (100, 10_000)
    figures: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="auralink-bench-llm-") as tmp, FakeOpenAI() as fake:
        fake.behave("gpt-4o-mini", reply="ok")
        process, address, token = start_daemon(tmp)
        md = [("authorization", f"Bearer {token}")]
        try:
            with grpc.insecure_channel(address) as channel:
                stub = pb_grpc.AIProviderServiceStub(channel)
                stub.CreateProvider(
                    pb.CreateProviderRequest(
                        provider=pb.Provider(
                            name="bench",
                            type=pb.PROVIDER_TYPE_OPENAI_COMPATIBLE,
                            base_url=fake.base_url,
                            models=["gpt-4o-mini"],
                        )
                    ),
                    metadata=md,
                    timeout=30,
                )
                stub.SetProviderKey(
                    pb.SetProviderKeyRequest(provider="bench", api_key="sk-bench-0000", scope=pb.KEY_SCOPE_USER),
                    metadata=md,
                    timeout=30,
                )
                request = pb.CompleteRequest(
                    messages=[pb.ChatMessage(role="user", content="ping")], models=["bench/gpt-4o-mini"], max_tokens=4
                )

                def rpc() -> None:
                    stub.Complete(request, metadata=md, timeout=60)

                body = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "ping"}], "max_tokens": 4}
                with httpx.Client(base_url=fake.base_url) as client:

                    def direct() -> None:
                        client.post("/chat/completions", json=body, headers={"Authorization": "Bearer sk-bench-0000"})

                    for _ in range(30):  # warm both paths (litellm's import happens on the first call)
                        rpc()
                        direct()
                    rpc_ms, direct_ms = [], []
                    for _ in range(samples):  # interleaved, so load on the machine hits both alike
                        started = time.perf_counter()
                        rpc()
                        rpc_ms.append((time.perf_counter() - started) * 1000)
                        started = time.perf_counter()
                        direct()
                        direct_ms.append((time.perf_counter() - started) * 1000)
                added_median = statistics.median(rpc_ms) - statistics.median(direct_ms)
                added_p99 = percentile(rpc_ms, 0.99) - percentile(direct_ms, 0.99)
                figures += [
                    {
                        "name": "completion_median_ms",
                        "value": statistics.median(rpc_ms),
                        "baseline": statistics.median(direct_ms),
                        "unit": "ms",
                    },
                    {
                        "name": "completion_p99_ms",
                        "value": percentile(rpc_ms, 0.99),
                        "baseline": percentile(direct_ms, 0.99),
                        "unit": "ms",
                    },
                    {
                        "name": "added_median_ms",
                        "value": added_median,
                        "baseline": 3.25,
                        "unit": "ms",
                        "note": "baseline: LiteLLM's published median proxy overhead; target <= 2 ms",
                    },
                    {"name": "added_p99_ms", "value": added_p99, "baseline": None, "unit": "ms"},
                ]

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
                        "note": f"baseline: after {leak_small} calls",
                    }
                )

                if not args.quick:
                    local = pb.CompleteRequest(
                        messages=[pb.ChatMessage(role="user", content="Tell me about the sea.")],
                        models=["local/smollm2-135m"],
                        max_tokens=8,
                    )
                    started = time.perf_counter()
                    stub.Complete(local, metadata=md, timeout=600)  # loads the model once
                    figures.append(
                        {
                            "name": "local_model_first_call_s",
                            "value": time.perf_counter() - started,
                            "baseline": None,
                            "unit": "s",
                            "note": "load (tokenizer + GGUF conversion) plus 8 tokens",
                        }
                    )
                    local.max_tokens = 64
                    rates = []
                    for _ in range(3):
                        result = stub.Complete(local, metadata=md, timeout=600)
                        seconds = result.usage.latency.ToTimedelta().total_seconds()
                        rates.append(result.usage.completion_tokens / seconds if seconds else 0.0)
                    figures.append(
                        {
                            "name": "local_model_tokens_per_s",
                            "value": statistics.median(rates),
                            "baseline": None,
                            "unit": "tokens/s",
                            "note": "SmolLM2-135M Q4_1 GGUF, transformers, CPU, 64 new tokens, threads = cores // 2",
                        }
                    )
        finally:
            stop_daemon(process)
    path = write_results(AREA, figures, meta={"quick": args.quick, "samples": samples})
    print(f"{'figure':32} {'value':>12} {'baseline':>12}")
    for f in figures:
        baseline = "-" if f["baseline"] is None else f"{f['baseline']:.2f}"
        print(f"{f['name']:32} {f['value']:12.2f} {baseline:>12}")
    print(f"results: {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
