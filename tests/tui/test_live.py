"""Pilot tests against a real daemon: keys in, widget contents out, and a daemon restart survived."""

from __future__ import annotations

import asyncio
import contextlib
import sys
from collections.abc import Callable

from textual.pilot import Pilot
from textual.widgets import DataTable, Input

from auralink.v1 import (
    access_pb2,
    access_pb2_grpc,
    agents_pb2,
    agents_pb2_grpc,
    mcp_pb2,
    mcp_pb2_grpc,
    memory_pb2,
    memory_pb2_grpc,
    workflows_pb2,
    workflows_pb2_grpc,
)
from auralink_cli.profiles import GlobalOptions, resolve_settings
from tests.e2e.mcp_support import TIME, mcp_daemon_on
from tests.support import Daemon, bearer, create_room
from tests.tui.screen_text import log_text, table_column, text_of
from tests.tui.seed import seed_mesh
from tui import messages as m
from tui.app import AuraLinkApp
from tui.sources import DataSource
from tui.sources.agents import SAVE_AGENT_TIMEOUT_S
from tui.widgets.common.gated import GatedButton

SIZE = (140, 42)
SAVE_WAIT_S = SAVE_AGENT_TIMEOUT_S + 15


def live_app(daemon: Daemon, *, read_only: bool = False) -> AuraLinkApp:
    options = GlobalOptions(address=daemon.address)

    def settings():  # the token is re-read from the data dir, as for a local `auralink tui`
        return resolve_settings(options, env=daemon.env)

    source = ObservedSource(settings(), reload_settings=settings, status_interval_s=0.3, mesh_interval_s=0.5)
    return AuraLinkApp(source, read_only=read_only)


class ObservedSource(DataSource):
    """The live DataSource, which also tells the test each time it has posted something to the app."""

    arrived: asyncio.Event

    def start(self, sink: Callable[[m.DataMessage], object]) -> None:
        self.arrived = asyncio.Event()

        def observed(message: m.DataMessage) -> None:
            sink(message)
            self.arrived.set()

        super().start(observed)  # type: ignore[arg-type]


async def wait_for(pilot: Pilot, check: Callable[[], object], what: str, timeout_s: float = 30) -> None:
    """Check after each message from the daemon (and each key's redraw), until `check()` or the timeout."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout_s
    arrived: asyncio.Event = pilot.app.source.arrived  # type: ignore[attr-defined]
    while loop.time() < deadline:
        await pilot.pause()  # let the app route and draw what has arrived
        if check():
            return
        arrived.clear()
        # A message, or a short wait for what is drawn without one (a debounce timer, a worker).
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(arrived.wait(), timeout=min(0.5, max(0.0, deadline - loop.time())))
    notes = "; ".join(f"{n.title}: {n.message}" for n in pilot.app._notifications)
    raise AssertionError(
        f"timed out waiting for {what} (notifications: {notes or 'none'}; screen {pilot.app.screen!r})"
    )


async def test_overview_shows_the_live_daemon_and_its_events(daemon: Daemon) -> None:
    app = live_app(daemon)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: "SERVING" in text_of(app, "#daemon"), "the daemon panel")
        assert "0.1.0" in text_of(app, "#daemon") or "Version" in text_of(app, "#daemon")
        assert "PostgreSQL 16" in text_of(app, "#database")
        assert "pgvector" in text_of(app, "#database")
        services = table_column(app, "#services") + table_column(app, "#services", 2)
        assert len([s for s in services if s]) == len(app.state.status.services)
        assert app.screen.query_one("#services", DataTable).max_scroll_y == 0  # every service in view
        assert "SystemService" in services and "MeshRoutingService" in services
        await wait_for(pilot, lambda: "system.started" in log_text(app, "#events"), "the replayed start event")
        with daemon.channel() as channel:  # something happens elsewhere: the log moves
            seed_mesh(channel, daemon.token)
        await wait_for(pilot, lambda: "mesh.node.registered" in log_text(app, "#events"), "a live mesh event")
        await wait_for(pilot, lambda: len(app.state.rpc_rate) >= 2, "an RPC rate")
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
        await wait_for(pilot, lambda: app.state.connection == "connected", "the first connection")
        first_replica = app.state.status.replica_id
        # Stop and start in a thread: the app keeps running (and sees the daemon go) meanwhile.
        await asyncio.to_thread(daemon.stop)
        await wait_for(pilot, lambda: "reconnecting…" in text_of(app, "StatusBar"), "reconnecting")
        assert app.screen.has_class("-stale")  # the last known values are greyed out
        assert "unknown (last seen" in text_of(app, "#daemon")
        await pilot.press("4", "1")  # nothing crashes while the daemon is away
        await asyncio.to_thread(daemon.start)  # a new daemon on the same data directory
        await wait_for(pilot, lambda: app.state.connection == "connected", "the reconnection", timeout_s=60)
        await wait_for(pilot, lambda: app.state.status.replica_id != first_replica, "the new replica's status")
        # WatchEvents resumed on its own: the new daemon's start event reaches the log.
        await wait_for(pilot, lambda: log_text(app, "#events").count("system.started") >= 2, "the resumed event stream")
        assert "connected" in text_of(app, "StatusBar")
        assert not app.screen.has_class("-stale")
        assert isinstance(app.screen.query_one("#filter", Input), Input)


def notifications(app: AuraLinkApp) -> str:
    return "\n".join(f"{n.title}: {n.message}" for n in app._notifications)


async def memory_recalls_as_you_type_with_score_components_then_evolves(daemon: Daemon) -> None:
    md = bearer(daemon.token)
    with daemon.channel() as channel:
        stub = memory_pb2_grpc.MemoryServiceStub(channel)
        for content, importance in (
            ("I live in Lisbon, near the river.", 0.9),
            ("My favourite coffee is a flat white.", 0.4),
            ("The standup meeting is at nine every weekday.", 0.5),
        ):
            memory = memory_pb2.MemoryInput(content=content, importance=importance, tags=["tui"])
            resp = stub.StoreMemory(memory_pb2.StoreMemoryRequest(memory=memory), metadata=md, timeout=60)
            assert resp.result.outcome == memory_pb2.STORE_OUTCOME_STORED
    app = live_app(daemon)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("3")
        await wait_for(pilot, lambda: "Total 3" in text_of(app, "#memory-stats"), "the stats")
        # Before any search: the recent memories, newest first.
        await wait_for(pilot, lambda: len(table_column(app, "#memories")) == 3, "the recent memories")
        assert table_column(app, "#memories")[0].startswith("The standup meeting")
        assert "Recent memories" in str(app.screen.query_one("#memories", DataTable).border_title)
        assert "active 3" in text_of(app, "#memory-stats")
        await wait_for(pilot, lambda: not app.screen.query_one("#evolve", GatedButton).disabled, "WhoAmI")
        await pilot.press("slash", *"where do I live")  # `/` focuses the recall box; it recalls once typing pauses
        await wait_for(pilot, lambda: app.state.memory_query == "where do I live", "the debounced recall")
        rows = table_column(app, "#memories")
        assert len(rows) == 3 and rows[0].startswith("I live in Lisbon")
        header = [str(c.label) for c in app.screen.query_one("#memories", DataTable).columns.values()]
        assert header == ["Memory", "Score", "Semantic", "Keyword", "Recency", "Importance"]
        top = app.screen.query_one("#memories", DataTable).get_row_at(0)
        score, semantic, keyword, recency, importance = (float(v) for v in top[1:])
        assert 0 < score <= 1 and semantic > 0 and keyword > 0 and recency > 0
        assert importance == 0.9
        await pilot.click("#evolve")  # a dry run first, shown in a confirmation
        await wait_for(pilot, lambda: app.screen.query("#question"), "the dry-run preview")
        assert "Dry run examined 3 memories" in text_of(app, "#question")
        await pilot.press("y")
        await wait_for(pilot, lambda: "Last evolve" in text_of(app, "#memory-stats"), "the applied run in the stats")
        stats = text_of(app, "#memory-stats")
        assert "examined 3" in stats and "dry run" not in stats
        assert "evolved: examined 3" in notifications(app)


async def fill(pilot: Pilot, field: str, text: str) -> None:
    widget = pilot.app.screen.query_one(f"#field-{field}", Input)
    widget.focus()
    widget.value = ""
    await pilot.press(*text)


async def agents_create_edit_assign_and_delete_through_forms(daemon: Daemon) -> None:
    room = create_room(daemon)
    with daemon.channel() as channel:  # an agent made elsewhere (and the daemon's provider gateway loaded)
        stub = agents_pb2_grpc.AgentServiceStub(channel)
        agent = agents_pb2.Agent(name="scribe", model="local/smollm2-135m")
        stub.CreateAgent(agents_pb2.CreateAgentRequest(agent=agent), metadata=bearer(daemon.token), timeout=60)
    app = live_app(daemon)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("2")
        await wait_for(pilot, lambda: not app.screen.query_one("#agent-create", GatedButton).disabled, "WhoAmI")
        await pilot.click("#agent-create")
        await wait_for(pilot, lambda: app.screen.query("#field-name"), "the agent form")
        await fill(pilot, "name", "concierge")
        await fill(pilot, "description", "front desk")
        await fill(pilot, "model", "smollm2-135m")
        await fill(pilot, "provider", "local")
        await pilot.click("#save")
        # Saving checks the model with the provider gateway (SAVE_AGENT_TIMEOUT_S): wait longer than that,
        # so that a failure shows as its notification, not as a timeout here.
        await wait_for(pilot, lambda: "concierge" in table_column(app, "#agents"), "the new agent", SAVE_WAIT_S)
        assert "created agent concierge" in notifications(app)
        assert table_column(app, "#agents", 1) == ["smollm2-135m"] * 2
        assert table_column(app, "#agents", 2) == ["local"] * 2
        assert len(table_column(app, "#agents")) == 2
        await pilot.press("slash", *"conc")
        await wait_for(pilot, lambda: table_column(app, "#agents") == ["concierge"], "the filtered table")
        assert "local/smollm2-135m" in text_of(app, "#agent-detail")

        await pilot.click("#agent-edit")
        await wait_for(pilot, lambda: app.screen.query("#field-name"), "the edit form")
        assert app.screen.query_one("#field-description", Input).value == "front desk"
        await fill(pilot, "description", "lobby and bookings")
        await fill(pilot, "tools", "time/get_current_time")
        await pilot.click("#save")
        await wait_for(pilot, lambda: "lobby and bookings" in text_of(app, "#agent-detail"), "the edit", SAVE_WAIT_S)
        assert "v2" in text_of(app, "#agent-detail")
        assert "Tools  time/get_current_time" in text_of(app, "#agent-detail")
        # The local model cannot call tools: the chat is refused with the reason, never a silent no-op.
        app.screen.query_one("#chat-input", Input).focus()
        await pilot.press(*"hi", "enter")
        await wait_for(pilot, lambda: "agents.chat: FAILED_PRECONDITION" in notifications(app), "the refused chat")
        assert "cannot call tools" in notifications(app)

        await pilot.click("#agent-room")
        await wait_for(pilot, lambda: app.screen.query("#value"), "the room form")
        app.screen.query_one("#value", Input).value = room  # a UUID: pasted, as an operator would
        await pilot.press("enter")
        await wait_for(pilot, lambda: app.screen.query("#question"), "the assign confirmation")
        assert f"Assign agent concierge to room {room}?" in text_of(app, "#question")
        await pilot.press("y")
        await wait_for(pilot, lambda: "assigned to room" in notifications(app), "the assignment")
        with daemon.channel() as channel:
            stub = agents_pb2_grpc.AgentServiceStub(channel)
            found = stub.ListRoomAssignments(
                agents_pb2.ListRoomAssignmentsRequest(room_id=room), metadata=bearer(daemon.token), timeout=10
            )
        assert [(a.agent_name, a.role) for a in found.assignments] == [("concierge", "assistant")]
        await wait_for(pilot, lambda: f"{room} (assistant)" in text_of(app, "#agent-detail"), "the room in the detail")

        await pilot.click("#agent-delete")
        await wait_for(pilot, lambda: app.screen.query("#question"), "the delete confirmation")
        assert "Delete agent concierge?" in text_of(app, "#question")
        await pilot.press("y")
        await wait_for(pilot, lambda: "deleted agent concierge" in notifications(app), "the deletion")
        assert [a.name for a in app.state.agents] == ["scribe"]
        await pilot.press("escape")  # esc clears the filter: only scribe is left
        assert app.screen.query_one("#filter", Input).value == ""
        await wait_for(pilot, lambda: table_column(app, "#agents") == ["scribe"], "the table without concierge")


async def test_memory_and_agents_screens_on_one_daemon(daemon: Daemon) -> None:
    """Two flows on one daemon (each with its own app): a daemon start and stop is ~15 s of the budget."""
    await memory_recalls_as_you_type_with_score_components_then_evolves(daemon)
    await agents_create_edit_assign_and_delete_through_forms(daemon)


ASK = "engine: langgraph\nnodes: [{id: ask, type: human, prompt: 'Who is asking?'}]\n"


async def mcp_connections_with_their_health_and_tools(daemon: Daemon) -> None:
    md = bearer(daemon.token)
    with daemon.channel() as channel:
        stub = mcp_pb2_grpc.MCPServiceStub(channel)
        for name, command, args in (
            ("time", TIME, ["--local-timezone", "UTC"]),
            ("broken", sys.executable, ["-c", "import sys; sys.exit(3)"]),  # allow-listed, exits at once
        ):
            connection = mcp_pb2.MCPConnection(
                name=name, transport=mcp_pb2.MCP_TRANSPORT_STDIO, command=command, args=args
            )
            stub.CreateConnection(mcp_pb2.CreateConnectionRequest(connection=connection), metadata=md, timeout=10)
    app = live_app(daemon)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("2")
        await wait_for(pilot, lambda: sorted(table_column(app, "#mcp")) == ["broken", "time"], "the connections")
        assert set(table_column(app, "#mcp", 2)) == {"IDLE"}  # nothing started yet
        await wait_for(pilot, lambda: not app.screen.query_one("#mcp-test", GatedButton).disabled, "WhoAmI")

        async def test(name: str) -> None:
            table = app.screen.query_one("#mcp", DataTable)
            table.move_cursor(row=table_column(app, "#mcp").index(name))
            await pilot.pause()
            assert text_of(app, "#mcp-tools-view").startswith(name)
            app.screen.query_one("#mcp-test", GatedButton).press()

        await test("time")
        await wait_for(pilot, lambda: "time: " in notifications(app), "the test of time")
        row = table_column(app, "#mcp").index("time")
        await wait_for(pilot, lambda: table_column(app, "#mcp", 2)[row] == "CONNECTED", "CONNECTED")
        tools = text_of(app, "#mcp-tools-view")
        assert "get_current_time" in tools and "convert_time" in tools and "CONNECTED" in tools

        await test("broken")
        await wait_for(pilot, lambda: "mcp.test" in notifications(app), "the failed test")
        row = table_column(app, "#mcp").index("broken")
        await wait_for(pilot, lambda: table_column(app, "#mcp", 2)[row] == "FAILED", "FAILED")
        assert table_column(app, "#mcp", 4)[row]  # the reason
        assert "FAILED" in text_of(app, "#mcp-tools-view")


async def a_workflow_run_waits_is_resumed_and_another_is_cancelled(daemon: Daemon) -> None:
    with daemon.channel() as channel:
        workflows_pb2_grpc.WorkflowServiceStub(channel).CreateWorkflow(
            workflows_pb2.CreateWorkflowRequest(name="ask", definition=ASK), metadata=bearer(daemon.token), timeout=10
        )
    app = live_app(daemon)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("7")
        await wait_for(pilot, lambda: table_column(app, "#workflows") == ["ask"], "the workflow")
        await wait_for(pilot, lambda: not app.screen.query_one("#run-start", GatedButton).disabled, "WhoAmI")

        async def start() -> str:
            app.screen.query_one("#run-start", GatedButton).press()
            await wait_for(pilot, lambda: app.screen.query("#value"), "the inputs form")
            await pilot.press(*"who=me", "enter")
            await wait_for(pilot, lambda: "started run" in notifications(app), "the started run")
            await wait_for(pilot, lambda: "WAITING_INPUT" in text_of(app, "#run-detail"), "the run waiting", 90)
            return app.state.run.id

        first = await start()
        assert "Who is asking?" in text_of(app, "#run-detail")
        assert "? ask (human)" in text_of(app, "#run-graph")  # the step graph: waiting on a person
        assert "interrupted ask" in log_text(app, "#run-events")
        assert "who=me" in text_of(app, "#run-detail")
        assert app.screen.query_one("#run-resume", GatedButton).display

        app.screen.query_one("#run-resume", GatedButton).press()
        await wait_for(pilot, lambda: app.screen.query("#value"), "the answer form")
        await pilot.press(*"Ada", "enter")
        await wait_for(pilot, lambda: "COMPLETED" in text_of(app, "#run-detail"), "the completed run", 60)
        assert "run_completed" in log_text(app, "#run-events")
        assert "✓ ask (human)" in text_of(app, "#run-graph")
        assert "Ada" in app.state.run.output
        assert not app.screen.query_one("#run-resume", GatedButton).display

        second = await start()  # the new run is the one followed now
        assert second != first
        app.screen.query_one("#run-cancel", GatedButton).press()
        await wait_for(pilot, lambda: app.screen.query("#question"), "the cancel confirmation")
        assert f"Cancel run {second[:8]} of ask?" in text_of(app, "#question")
        await pilot.press("y")
        await wait_for(pilot, lambda: "CANCELLED" in text_of(app, "#run-detail"), "the cancelled run")
        await wait_for(pilot, lambda: len(table_column(app, "#runs")) == 2, "both runs listed")
        states = dict(zip(table_column(app, "#runs"), table_column(app, "#runs", 2), strict=True))
        assert states == {first[:8]: "COMPLETED", second[:8]: "CANCELLED"}

        table = app.screen.query_one("#runs", DataTable)  # Enter on a run follows it: its events replay
        table.focus()
        table.move_cursor(row=table_column(app, "#runs").index(first[:8]))
        await pilot.press("enter")
        await wait_for(pilot, lambda: app.state.run.id == first, "the first run followed again")
        await wait_for(pilot, lambda: "run_completed" in log_text(app, "#run-events"), "its replayed events")
        assert "run_cancelled" not in log_text(app, "#run-events")

        with daemon.channel() as channel:  # a run started elsewhere (the CLI, a schedule) appears as it starts
            third = workflows_pb2_grpc.WorkflowServiceStub(channel).StartRun(
                workflows_pb2.StartRunRequest(workflow="ask"), metadata=bearer(daemon.token), timeout=10
            )
        await wait_for(pilot, lambda: third.id[:8] in table_column(app, "#runs"), "the run started elsewhere")


def test_mcp_connections_and_workflow_runs_on_one_daemon(pg16_server, migrated_templates) -> None:
    """Issue 13's connections view and issue 14's workflows screen on one daemon (a start is ~15 s)."""
    with mcp_daemon_on(pg16_server, migrated_templates) as daemon:

        async def both() -> None:
            await mcp_connections_with_their_health_and_tools(daemon)
            await a_workflow_run_waits_is_resumed_and_another_is_cancelled(daemon)

        asyncio.run(both())
