"""`auralink doctor`: named checks from the config file to the database, each with a hint on failure.

The list of checks is fixed (same names, same order) so that `-o json` is stable; a check that
cannot run because an earlier one failed is reported as failed with "skipped: …". Exit 0 when
all pass, 1 otherwise.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING

import typer

from auralink_cli import output
from auralink_cli.exit_codes import UNEXPECTED, CliError
from auralink_cli.profiles import (
    Config,
    GlobalOptions,
    Settings,
    config_path,
    load_config,
    resolve_settings,
    unix_socket_path,
)
from auralink_cli.render.doctor import doctor_table

if TYPE_CHECKING:
    from auralink.v1 import system_pb2
    from auralink_cli.client import Client

CHECK_NAMES = ("config", "address", "token", "daemon", "auth", "database", "migrations", "redis", "clock")
MAX_CLOCK_SKEW_S = 5.0


@dataclass
class Check:
    name: str
    ok: bool
    detail: str
    hint: str = ""


def register(app: typer.Typer) -> None:
    app.command()(doctor)


def doctor(ctx: typer.Context) -> None:
    """Check config, address, token, daemon, auth, database, migrations, Redis and clock skew.

    Exit 0 when every check passes, 1 otherwise. JSON: {"ok": bool, "checks": [{name, ok, detail, hint}]}.
    """
    opts = ctx.ensure_object(GlobalOptions)
    checks, settings = run_checks(opts)
    ok = all(c.ok for c in checks)
    data = {"ok": ok, "checks": [asdict(c) for c in checks]}
    output.emit(data, settings.output, table=doctor_table, no_color=settings.no_color)
    raise typer.Exit(0 if ok else UNEXPECTED)


def run_checks(opts: GlobalOptions) -> tuple[list[Check], Settings]:
    """The checks, and the settings they used (an unreadable config file counts as empty)."""
    checks: list[Check] = []
    path = config_path()
    try:
        config = load_config(path)
        exists = "found" if path.exists() else "not present (defaults apply)"
        checks.append(Check("config", True, f"{path}: {exists}"))
    except CliError as exc:
        config = Config(path=path)
        checks.append(Check("config", False, exc.message, "fix or remove the file; `auralink config set` rewrites it"))
    settings = resolve_settings(opts, config=config)
    checks.append(_check_address(settings.address))
    if settings.token:
        checks.append(Check("token", True, f"from {settings.sources.get('token', '?')}"))
    else:
        checks.append(
            Check(
                "token",
                False,
                "no token found",
                "pass --token, set AURALINK_TOKEN, `auralink config set token …`, or run where "
                "the daemon's admin.token is readable",
            )
        )
    checks.extend(_daemon_checks(settings))
    return checks, settings


def _check_address(address: str) -> Check:
    sock = unix_socket_path(address)
    if sock is not None:
        if sock.is_socket():
            return Check("address", True, f"{address}: socket exists")
        what = "is not a socket" if sock.exists() else "does not exist"
        return Check(
            "address",
            False,
            f"{sock} {what}",
            "start the daemon (auralinkd), or point --address / AURALINK_ADDRESS at its socket",
        )
    import socket

    from auralink_cli.client import grpc_target

    target, _ = grpc_target(address)
    host, _, port = target.removeprefix("dns:///").rpartition(":")
    try:
        socket.getaddrinfo(host.strip("[]") or "localhost", int(port))
    except (OSError, ValueError) as exc:
        return Check("address", False, f"{address}: {exc}", "use host:port, unix:///path or tls://host:port")
    return Check("address", True, f"{address}: resolves")


def _daemon_checks(settings: Settings) -> list[Check]:
    from auralink_cli.client import Client

    try:
        with Client(settings) as client:
            return _reachable_checks(client)
    except CliError as exc:
        return [
            Check("daemon", False, exc.message, "is auralinkd running? `auralinkd` starts it"),
            *_skipped(CHECK_NAMES[4:], "daemon unreachable"),
        ]


def _reachable_checks(client: Client) -> list[Check]:
    from auralink.v1 import system_pb2

    checks = []
    try:
        health = client.health()
        checks.append(
            Check(
                "daemon",
                health == "SERVING",
                f"health: {health}",
                "" if health == "SERVING" else "see `auralink status` for the reasons",
            )
        )
    except CliError as exc:
        return [
            Check("daemon", False, exc.message, "is auralinkd running? `auralinkd` starts it"),
            *_skipped(CHECK_NAMES[4:], "daemon unreachable"),
        ]
    try:
        resp = client.system.GetStatus(system_pb2.GetStatusRequest())
    except CliError as exc:
        return [
            *checks,
            Check("auth", False, exc.message, "check the token (--token, AURALINK_TOKEN, profile)"),
            *_skipped(CHECK_NAMES[5:], "GetStatus failed"),
        ]
    checks.append(Check("auth", True, f"GetStatus ok, daemon {resp.version}"))
    checks.extend(_status_checks(resp))
    checks.append(_clock_check(client))
    return checks


def _status_checks(resp: system_pb2.GetStatusResponse) -> list[Check]:
    db, redis = resp.database, resp.redis
    if db.reachable:
        kind = "embedded" if db.embedded else "external"
        database = Check("database", True, f"PostgreSQL {db.server_version} ({kind})")
        pending = db.migrations_pending
        migrations = Check(
            "migrations",
            pending == 0,
            f"level {db.migration_level}, {pending} pending",
            "" if pending == 0 else "restart the daemon to apply them (it migrates on start)",
        )
    else:
        database = Check(
            "database",
            False,
            db.error or "unreachable",
            "check the database URL in the daemon's config, or that PostgreSQL runs",
        )
        migrations = Check("migrations", False, "skipped: database unreachable")
    if not redis.configured:
        redis_check = Check("redis", True, "not configured (in-process cache and bus)")
    elif redis.up:
        redis_check = Check("redis", True, f"up, breaker {redis.breaker_state or 'closed'}")
    else:
        redis_check = Check(
            "redis",
            False,
            f"down: {redis.reason or 'no detail'}",
            "check redis_url in the daemon's config and that Redis runs",
        )
    return [database, migrations, redis_check]


def _clock_check(client: Client) -> Check:
    from auralink.v1 import system_pb2

    try:
        before = time.time()
        resp = client.system.Ping(system_pb2.PingRequest())
        after = time.time()
    except CliError as exc:
        return Check("clock", False, f"Ping failed: {exc.message}")
    if not resp.HasField("server_time"):
        return Check("clock", False, "the daemon sent no server_time")
    server = resp.server_time.seconds + resp.server_time.nanos / 1e9
    skew = server - (before + after) / 2
    ok = abs(skew) <= MAX_CLOCK_SKEW_S
    return Check(
        "clock",
        ok,
        f"skew {skew:+.2f}s (round trip {after - before:.3f}s)",
        "" if ok else f"more than {MAX_CLOCK_SKEW_S:g}s: sync clocks (NTP); tokens and events use time",
    )


def _skipped(names: tuple[str, ...], why: str) -> list[Check]:
    return [Check(name, False, f"skipped: {why}") for name in names]
