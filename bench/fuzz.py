"""`python -m bench fuzz`: the long fuzz run over every RPC (the CI test runs a few examples per RPC).

Starts its own PostgreSQL (pgserver) and daemon, then for each RPC runs hypothesis with random seeds
and `--examples` examples, going on past failures so one run reports every RPC that answered INTERNAL
or UNKNOWN, hung past its deadline or wrote when it refused. Prints status codes per RPC and writes
bench/results/fuzz.json; the "baseline" of each figure is the number of calls made.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import tempfile
import time
from collections import Counter
from pathlib import Path

from hypothesis import HealthCheck, given, settings

from bench.common import start_daemon, stop_daemon, write_results
from bench.fuzzing import Case, Fuzzer, Method, cases, known_names, methods


def _run_one(fuzzer: Fuzzer, method: Method, examples: int) -> str | None:
    """The first failure hypothesis found (shrunk) for `method`, or None."""

    @settings(max_examples=examples, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    @given(case=cases(method, fuzzer.known))
    def call(case: Case) -> None:
        fuzzer.check(method, case)

    try:
        call()
        fuzzer.ping()
    except Exception as exc:  # noqa: BLE001 - AssertionError, or hypothesis' Flaky/ExceptionGroup wrapping one
        while isinstance(exc, BaseExceptionGroup) and exc.exceptions:
            exc = exc.exceptions[0]  # type: ignore[assignment]
        return f"{type(exc).__name__}: {str(exc).splitlines()[0][:400] if str(exc) else ''}"
    return None


def _parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench fuzz", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="5 examples per RPC")
    parser.add_argument("--examples", type=int, default=100, help="examples per RPC (default 100)")
    parser.add_argument("--only", default="", help="only RPCs whose path contains this text")
    parser.add_argument("--results-dir", default=None)
    return parser.parse_args(argv)


def main(argv: list[str]) -> int:
    args = _parse(argv)
    examples = 5 if args.quick else args.examples
    import pgserver

    tmp = Path(tempfile.mkdtemp(prefix="alfz", dir="/tmp"))
    server = pgserver.get_server(tmp / "pg", cleanup_mode="stop")
    dsn = server.get_uri()
    process, address, token = start_daemon(
        tmp, {"AURALINK_DATABASE_URL": dsn, "AURALINK_WARM_MODELS_ON_START": "false", "AURALINK_SHUTDOWN_GRACE_S": "1"}
    )
    failures: dict[str, str] = {}
    per_method: dict[str, Counter[str]] = {}
    started = time.monotonic()
    try:
        fuzzer = Fuzzer(address, token, dsn, known_names(address, token))
        for method in methods():
            if args.only not in method.path:
                continue
            before = Counter(fuzzer.codes)
            failure = _run_one(fuzzer, method, examples)
            per_method[method.path] = fuzzer.codes - before
            codes = ", ".join(f"{k}={v}" for k, v in sorted(per_method[method.path].items()))
            print(f"{'FAIL' if failure else 'ok  '} {method.path:70s} {codes}", flush=True)
            if failure:
                failures[method.path] = failure
                print(f"     {failure}", flush=True)
        fuzzer.close()
    finally:
        stop_daemon(process)
        server.cleanup()
        log = (tmp / "auralinkd.log").read_text(errors="replace")
        tracebacks = log.count("Traceback")
        raised = sorted(set(re.findall(r"^[A-Za-z_][\w.]*(?:Error|Exception|Exit)\b.*$", log, re.M)))
        if tracebacks or failures:
            kept = Path(tempfile.mkdtemp(prefix="alfz-log-", dir="/tmp")) / "auralinkd.log"
            kept.write_text(log)
            print(f"daemon log kept at {kept}")
        shutil.rmtree(tmp, ignore_errors=True)
    calls = sum(fuzzer.codes.values())
    print(f"\n{calls} calls in {time.monotonic() - started:.0f} s; codes: {dict(fuzzer.codes)}")
    print(f"{len(failures)} RPCs failed; {tracebacks} tracebacks in the daemon log")
    for line in raised[:20]:
        print(f"  raised: {line[:300]}")
    write_results(
        "fuzz",
        [
            {"name": "rpcs_failing", "value": len(failures), "baseline": len(per_method), "pass": not failures},
            {
                "name": "calls_internal_or_unknown",
                "value": sum(fuzzer.codes[c] for c in ("INTERNAL", "UNKNOWN")),
                "baseline": calls,
                "pass": not (fuzzer.codes["INTERNAL"] or fuzzer.codes["UNKNOWN"]),
            },
            {"name": "daemon_log_tracebacks", "value": tracebacks, "baseline": calls, "pass": tracebacks == 0},
        ],  # fmt: skip
        meta={
            "examples_per_rpc": examples,
            "codes": dict(fuzzer.codes),
            "failures": failures,
            "raised_in_daemon": raised[:20],
            "cpus": os.cpu_count(),
        },
        directory=args.results_dir,
    )
    return 1 if failures else 0
