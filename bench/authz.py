"""Authentication + permission check per call (warm caches) against a trivial Ping; audit-write throughput.

Figures:
- auth_cost_vs_ping: the guard's per-call work (token verification from its cache, revocation check,
  effective permissions from the resolver cache, the permission test, request id, Caller) measured
  in process, divided by the median round trip of a Ping to a bare grpc.aio server measured in the
  same run. Target <= 0.15 (auth adds at most 15% to a trivial call).
- audit_rows_per_s: audit rows appended by 16 concurrent writers (each its own tenant transaction,
  HMAC-chained under the per-org lock, the org's anchored head moved in the same statement), against
  the same writers inserting a plain row into a table with no chain (the baseline); the chain is
  verified afterwards.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import grpc

from auralink.v1 import system_pb2, system_pb2_grpc
from bench.common import write_results
from bench.grpc_rps import start_bare

TARGET_AUTH_RATIO = 0.15
WRITERS = 16


class _Context:
    """The slice of grpc.aio.ServicerContext the guard reads."""

    def __init__(self, token: str) -> None:
        self._metadata = (("authorization", f"Bearer {token}"),)

    def invocation_metadata(self) -> tuple[tuple[str, str], ...]:
        return self._metadata

    def set_trailing_metadata(self, metadata: Any) -> None:
        pass

    def peer(self) -> str:
        return "unix:bench"


async def _ping_baseline(calls: int) -> float:
    """Median Ping round trip (s) to a bare grpc.aio server without interceptors."""
    with tempfile.TemporaryDirectory(prefix="alb", dir="/tmp") as tmp:
        from bench.common import free_tcp_port, stop_daemon

        process, address = start_bare(Path(tmp), free_tcp_port())
        try:
            async with grpc.aio.insecure_channel(address) as channel:
                stub = system_pb2_grpc.SystemServiceStub(channel)
                for _ in range(50):
                    await stub.Ping(system_pb2.PingRequest(), timeout=5)
                samples = []
                for _ in range(calls):
                    start = time.perf_counter()
                    await stub.Ping(system_pb2.PingRequest(), timeout=5)
                    samples.append(time.perf_counter() - start)
        finally:
            stop_daemon(process)
    return statistics.median(samples)


async def _auth_and_audit(calls: int, audit_rows: int) -> dict[str, float]:
    from auralinkd.access.authenticator import Authenticator
    from auralinkd.access.denylist import Denylist
    from auralinkd.access.principal import Caller
    from auralinkd.access.tokens import TokenService
    from auralinkd.api.guard import CallGuard, _Rule
    from auralinkd.audit.chain import ChainKeys
    from auralinkd.audit.service import AuditLog
    from auralinkd.bus import EventBus
    from auralinkd.db import migrate
    from auralinkd.db.database import Database
    from auralinkd.db.embedded import EmbeddedPostgres
    from auralinkd.rbac import store as rbac_store
    from auralinkd.rbac.resolver import PermissionResolver
    from auralinkd.runtime import build_catalogue
    from auralinkd.system.stats import CallStats

    with tempfile.TemporaryDirectory(prefix="alb", dir="/tmp") as tmp:
        embedded = EmbeddedPostgres(Path(tmp) / "pg")
        dsn = await asyncio.to_thread(embedded.start)
        database = Database(embedded=True, min_size=WRITERS, max_size=WRITERS + 2, statement_timeout_s=30)
        try:
            await database.connect(dsn, attempts=3, migrations=migrate.discover())
            catalogue = build_catalogue()
            async with database.system() as conn:
                await rbac_store.sync_system_roles(conn, catalogue.system_roles())
                org = await conn.fetchval("INSERT INTO organizations (name, slug) VALUES ('b', 'bench') RETURNING id")
                user = await conn.fetchval(
                    "INSERT INTO users (organization_id, email, username, role) "
                    "VALUES ($1, 'b@bench.test', 'bench', 'admin') RETURNING id",
                    org,
                )
            bus = EventBus("bench", None)
            resolver = PermissionResolver(database, bus, None)
            denylist = Denylist(database, bus, None)
            tokens = TokenService(b"s" * 48)
            audit = AuditLog(database, keys=ChainKeys([os.urandom(32)]))  # keyed and anchored, as served
            authenticator = Authenticator(tokens, resolver, denylist, database, bus)
            guard = CallGuard(
                {"/auralink.v1.SystemService/Ping": "system:ping"}, authenticator, audit,
                is_ready=lambda: True, not_ready_reason=lambda: "", available_while_starting=frozenset(),
                stats=CallStats(),
            )  # fmt: skip
            rule = _Rule("/auralink.v1.SystemService/Ping", "system:ping", True)
            token, _ = tokens.issue(user, org, None, 3600)
            context = _Context(token)
            for _ in range(200):  # warm every cache
                await guard.admit(context, rule)
            samples = []
            for _ in range(calls):
                start = time.perf_counter()
                await guard.admit(context, rule)
                samples.append(time.perf_counter() - start)

            caller = Caller((await authenticator.authenticate(token)), "bench")
            per_writer = max(1, audit_rows // WRITERS)

            async def audited(n: int) -> None:
                for i in range(per_writer):
                    async with database.tenant(caller.tenant) as conn:
                        await audit.record(conn, caller, "Bench/Write", "bench", f"{n}-{i}")

            async def plain(n: int) -> None:
                for i in range(per_writer):
                    async with database.tenant(caller.tenant) as conn:
                        await conn.execute(
                            "INSERT INTO contacts (organization_id, user_id, display_name, email) "
                            "VALUES ($1, $2, $3, $4)",
                            org, user, f"{n}-{i}", f"{uuid.uuid4().hex}@bench.test",
                        )  # fmt: skip

            start = time.perf_counter()
            await asyncio.gather(*(plain(n) for n in range(WRITERS)))
            plain_rate = per_writer * WRITERS / (time.perf_counter() - start)
            start = time.perf_counter()
            await asyncio.gather(*(audited(n) for n in range(WRITERS)))
            audit_rate = per_writer * WRITERS / (time.perf_counter() - start)
            verified = await audit.verify(caller)
        finally:
            await database.close()
            await asyncio.to_thread(embedded.stop)
    return {
        "auth_median_s": statistics.median(samples),
        "auth_p99_s": sorted(samples)[int(len(samples) * 0.99) - 1],
        "audit_rate": audit_rate,
        "plain_rate": plain_rate,
        "chain_ok": float(verified.ok),
        "chain_rows": float(verified.rows_checked),
    }


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench authz", description=__doc__)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--results-dir", default=None)
    args = parser.parse_args(argv)
    calls = 2000 if args.quick else 20000
    rows = 320 if args.quick else 3200
    measured = asyncio.run(_auth_and_audit(calls, rows))
    ping = asyncio.run(_ping_baseline(300 if args.quick else 2000))
    ratio = measured["auth_median_s"] / ping
    figures = [
        {"name": "auth_cost_vs_ping", "value": measured["auth_median_s"] * 1e6, "baseline": ping * 1e6,
         "unit": "us per call (median)", "target": f"ratio <= {TARGET_AUTH_RATIO}", "pass": ratio <= TARGET_AUTH_RATIO},
        {"name": "auth_p99_us", "value": measured["auth_p99_s"] * 1e6, "baseline": ping * 1e6, "unit": "us"},
        {"name": "audit_rows_per_s", "value": measured["audit_rate"], "baseline": measured["plain_rate"],
         "unit": f"rows/s, {WRITERS} concurrent writers (baseline: plain inserts)",
         "chain_verified": bool(measured["chain_ok"]), "rows_checked": int(measured["chain_rows"])},
    ]  # fmt: skip
    path = write_results("authz", figures, {"calls": calls, "writers": WRITERS}, args.results_dir)
    print(f"{'figure':<22}{'ours':>14}{'baseline':>14}{'ratio':>8}")
    for figure in figures:
        print(
            f"{figure['name']:<22}{figure['value']:>14.1f}{figure['baseline']:>14.1f}"
            f"{figure['value'] / figure['baseline']:>8.3f}"
        )
    verdict = "PASS" if ratio <= TARGET_AUTH_RATIO else "FAIL"
    print(f"auth adds {ratio:.1%} to a bare Ping round trip (target <= {TARGET_AUTH_RATIO:.0%}): {verdict}")
    print(f"audit chain verified after the run: {bool(measured['chain_ok'])} ({int(measured['chain_rows'])} rows)")
    print(f"results: {path}")
    return 0
