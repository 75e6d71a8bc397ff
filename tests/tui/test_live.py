"""Pilot tests against a real daemon: keys in, widget contents out, and a daemon restart survived."""

from __future__ import annotations

import asyncio
import io
from collections.abc import Callable

from rich.console import Console
from textual.pilot import Pilot
from textual.widgets import DataTable, Input, RichLog, Static

from auralink.v1 import access_pb2, access_pb2_grpc
from auralink_cli.profiles import GlobalOptions, resolve_settings
from tests.support import Daemon, bearer
from tests.tui.seed import seed_mesh
from tui.app import AuraLinkApp
from tui.datasource import DataSource
from tui.widgets.common.gated import GatedButton

SIZE = (140, 42)


def live_app(daemon: Daemon, *, read_only: bool = False) -> AuraLinkApp:
    options = GlobalOptions(address=daemon.address)

    def settings():  # the token is re-read from the data dir, as for a local `auralink tui`
        return resolve_settings(options, env=daemon.env)

    source = DataSource(settings(), reload_settings=settings, status_interval_s=0.3, mesh_interval_s=0.5)
    return AuraLinkApp(source, read_only=read_only)


async def wait_for(pilot: Pilot, check: Callable[[], object], what: str, timeout_s: float = 30) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout_s
    while loop.time() < deadline:
        if check():
            return
        await pilot.pause(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def text_of(app: AuraLinkApp, selector: str) -> str:
    """The plain text of a Static, whatever it holds (a string, rich Text or a rich Table)."""
    content = app.screen.query_one(selector, Static).content
    if isinstance(content, str):
        return content
    console = Console(width=200, color_system=None, record=True, file=io.StringIO())
    console.print(content)
    return console.export_text()


def log_text(app: AuraLinkApp, selector: str) -> str:
    return "\n".join(strip.text for strip in app.screen.query_one(selector, RichLog).lines)


def table_column(app: AuraLinkApp, selector: str, column: int = 0) -> list[str]:
    table = app.screen.query_one(selector, DataTable)
    return [str(table.get_row_at(i)[column]) for i in range(table.row_count)]


async def test_overview_shows_the_live_daemon_and_its_events(daemon: Daemon) -> None:
    app = live_app(daemon)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: "SERVING" in text_of(app, "#daemon"), "the daemon panel")
        assert "0.1.0" in text_of(app, "#daemon") or "Version" in text_of(app, "#daemon")
        assert "PostgreSQL 16" in text_of(app, "#database")
        assert "pgvector" in text_of(app, "#database")
        services = table_column(app, "#services")
        assert "SystemService" in services and "MeshRoutingService" in services
        await wait_for(pilot, lambda: "system.started" in log_text(app, "#events"), "the replayed start event")
        with daemon.channel() as channel:  # something happens elsewhere: the log moves
            seed_mesh(channel, daemon.token)
        await wait_for(pilot, lambda: "mesh.node.registered" in log_text(app, "#events"), "a live mesh event")
        await wait_for(pilot, lambda: len(app.store.rpc_rate) >= 2, "an RPC rate")
        status = text_of(app, "StatusBar")
        assert "connected" in status and "admin" in status


async def test_mesh_finds_a_route_hop_by_hop(daemon: Daemon) -> None:
    with daemon.channel() as channel:
        seed_mesh(channel, daemon.token)
    app = live_app(daemon)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("4")
        await wait_for(pilot, lambda: len(table_column(app, "#nodes")) == 4, "four nodes")
        assert table_column(app, "#nodes", 1) == ["ALIVE"] * 4
        await wait_for(pilot, lambda: not app.screen.query_one("#route-find", GatedButton).disabled, "WhoAmI")
        await pilot.click("#route-src")
        await pilot.press(*"alpha", "tab", *"charlie")
        await pilot.click("#route-find")
        await wait_for(pilot, lambda: "primary" in text_of(app, "#route-view"), "a route")
        route = text_of(app, "#route-view")
        assert "alpha → bravo → charlie" in route
        assert "alternative 1" in route
        await wait_for(pilot, lambda: "no partition" in text_of(app, "#network"), "the network status")


async def test_access_grants_with_confirmation_and_streams_the_audit(daemon: Daemon) -> None:
    with daemon.channel() as channel:
        roles = access_pb2_grpc.RoleServiceStub(channel)
        role = access_pb2.Role(name="operators", description="mesh operators", permissions=["mesh:read"])
        roles.CreateRole(access_pb2.CreateRoleRequest(role=role), metadata=bearer(daemon.token), timeout=10)
    app = live_app(daemon)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("5")
        await wait_for(pilot, lambda: "operators" in table_column(app, "#roles"), "the roles")
        await wait_for(pilot, lambda: not app.screen.query_one("#grant", GatedButton).disabled, "WhoAmI")
        table = app.screen.query_one("#roles", DataTable)
        table.focus()
        table.move_cursor(row=table_column(app, "#roles").index("operators"))
        await pilot.pause()
        assert table_column(app, "#role-permissions") == ["mesh:read"]
        await pilot.click("#grant")
        await pilot.pause()
        await pilot.press(*"mesh:route", "enter")  # the permission, then the confirmation modal
        await wait_for(pilot, lambda: app.screen.query("#question"), "the confirmation")
        assert "Grant mesh:route to role operators?" in text_of(app, "#question")
        await pilot.press("y")
        await wait_for(pilot, lambda: "mesh:route" in table_column(app, "#role-permissions"), "the granted permission")
        await wait_for(pilot, lambda: "GrantPermissions" in log_text(app, "#audit"), "the audit entry")
        assert "hash chain intact" in text_of(app, "#chain")
        await pilot.press("slash", *"grant")  # `/` filters the audit and roles
        await pilot.pause()
        assert "CreateRole" not in log_text(app, "#audit")


async def test_daemon_restart_shows_reconnecting_then_recovers(daemon: Daemon) -> None:
    app = live_app(daemon)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.store.connection == "connected", "the first connection")
        first_replica = app.store.status.replica_id
        daemon.stop()
        await wait_for(pilot, lambda: "reconnecting…" in text_of(app, "StatusBar"), "reconnecting")
        await pilot.press("4", "1")  # nothing crashes while the daemon is away
        daemon.start()  # a new daemon on the same data directory
        await wait_for(pilot, lambda: app.store.connection == "connected", "the reconnection", timeout_s=60)
        await wait_for(pilot, lambda: app.store.status.replica_id != first_replica, "the new replica's status")
        # WatchEvents resumed on its own: the new daemon's start event reaches the log.
        await wait_for(pilot, lambda: log_text(app, "#events").count("system.started") >= 2, "the resumed event stream")
        assert "connected" in text_of(app, "StatusBar")
        assert isinstance(app.screen.query_one("#filter", Input), Input)
