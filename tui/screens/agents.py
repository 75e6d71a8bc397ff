"""Agents: a filterable table, a detail pane, a chat pane that streams the reply (tool calls included),
modal forms, and the organization's MCP connections with their health and tools.

Against a daemon without AgentService the screen says so, with the gRPC code, instead of failing:
what an operator sees against an older daemon.
"""

from __future__ import annotations

from typing import Any

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import DataTable, Input, Static

from tui import messages as m
from tui.screens.base import DataScreen, disable_for, refill, unavailable_text
from tui.widgets.agents import mcp as mcp_render
from tui.widgets.agents.form import AgentForm, agent_detail, agent_row, chat_view
from tui.widgets.common.gated import GatedButton
from tui.widgets.common.modals import ConfirmModal, InputModal


class AgentsScreen(DataScreen):
    AREA = "agents"

    DEFAULT_CSS = """
    AgentsScreen #agents-body { height: 1fr; }
    AgentsScreen #agents-main { width: 3fr; }
    AgentsScreen #agents { height: 1fr; }
    AgentsScreen #mcp { height: auto; max-height: 9; }
    AgentsScreen #mcp-tools { height: 9; }
    AgentsScreen #agent-side { width: 2fr; }
    AgentsScreen #agent-detail { height: auto; min-height: 5; }
    AgentsScreen #chat { height: 1fr; }
    AgentsScreen .buttons { height: auto; }
    AgentsScreen .buttons Button { margin-right: 1; }
    """

    def compose_body(self) -> ComposeResult:
        yield Input(placeholder="filter agents", id="filter")
        yield Static(id="agents-notice", classes="notice")
        with Horizontal(classes="buttons"):
            yield GatedButton("New agent…", "agents.create", id="agent-create", variant="primary")
            yield GatedButton("Edit…", "agents.update", id="agent-edit")
            yield GatedButton("Delete", "agents.delete", id="agent-delete", variant="error")
            yield GatedButton("Assign to room…", "agents.assign", id="agent-room")
            yield GatedButton("Test MCP", "mcp.test", id="mcp-test")
        with Horizontal(id="agents-body"):
            with Vertical(id="agents-main"):
                table: DataTable[object] = DataTable(id="agents", cursor_type="row", zebra_stripes=True)
                table.border_title = "Agents"
                table.add_class("panel")
                yield table
                mcp: DataTable[object] = DataTable(id="mcp", cursor_type="row", zebra_stripes=True)
                mcp.border_title = "MCP connections"
                mcp.add_class("panel")
                yield mcp
                tools = VerticalScroll(Static(id="mcp-tools-view"), id="mcp-tools", classes="panel")
                tools.border_title = "Connection and tools"
                yield tools
            with Vertical(id="agent-side"):
                detail = Static(id="agent-detail", classes="panel")
                detail.border_title = "Detail"
                yield detail
                chat = VerticalScroll(Static(id="chat-view"), id="chat", classes="panel")
                chat.border_title = "Chat"
                yield chat
                yield Input(placeholder="message the selected agent (Enter sends)", id="chat-input")

    def on_mount(self) -> None:
        self.query_one("#agents", DataTable).add_columns("Name", "Model", "Provider", "Temp", "Memory")
        self.query_one("#mcp", DataTable).add_columns("Connection", "Transport", "State", "Tools", "Reason")
        super().on_mount()

    def on_screen_resume(self) -> None:
        super().on_screen_resume()
        if self.state.connection == "connected" and "agents" not in self.state.unavailable:
            self.request(self.source.agents.load_agents())
        if self.state.connection == "connected" and "mcp" not in self.state.unavailable:
            self.request(self.source.mcp.load_connections())

    def show(self, message: m.DataMessage | None) -> None:
        notice = disable_for(self, "agents", "#agents-notice", "Agents")
        self.query_one("#chat-input", Input).disabled = notice is not None
        if message is None or isinstance(message, m.AgentsLoaded):
            self._show_agents()
        if message is None or isinstance(message, (m.McpConnectionsLoaded, m.McpToolsLoaded, m.ServiceUnavailable)):
            self._show_mcp()
        if message is None or isinstance(message, (m.AgentReplyChunk, m.AgentToolCall)):
            self.query_one("#chat-view", Static).update(chat_view(self.state.chat))
            self.query_one("#chat", VerticalScroll).scroll_end(animate=False)

    def _show_agents(self) -> None:
        wanted = self.filter_text
        rows = [
            (agent.id, agent_row(agent))
            for agent in self.state.agents
            if not wanted or wanted in f"{agent.name} {agent.model} {agent.provider}".lower()
        ]
        refill(self.query_one("#agents", DataTable), rows)
        self._show_detail()

    def _show_mcp(self) -> None:
        table = self.query_one("#mcp", DataTable)
        notice = unavailable_text(self.state, "mcp")
        table.border_subtitle = f"MCP: {notice.plain}" if notice is not None else ""
        refill(table, [(c.id, mcp_render.connection_row(c)) for c in self.state.mcp_connections])
        self._show_tools()

    def _show_tools(self) -> None:
        connection = self.selected_connection()
        tools = self.state.mcp_tools.get(connection.name) if connection is not None else None
        self.query_one("#mcp-tools-view", Static).update(mcp_render.tools_view(connection, tools))

    def selected_connection(self) -> Any:
        table = self.query_one("#mcp", DataTable)
        if not table.row_count:
            return None
        key = table.coordinate_to_cell_key((table.cursor_row, 0)).row_key.value
        return next((c for c in self.state.mcp_connections if c.id == key), None)

    @on(DataTable.RowHighlighted, "#mcp")
    def _mcp_moved(self) -> None:
        self._show_tools()

    @on(DataTable.RowSelected, "#mcp")
    def _mcp_chosen(self) -> None:
        connection = self.selected_connection()
        if connection is not None and self.state.permissions.can("mcp.tools"):
            self.request(self.source.mcp.load_tools(connection.name))

    @on(GatedButton.Pressed, "#mcp-test")
    def test_mcp(self) -> None:
        connection = self.selected_connection()
        if not self.refuse(self.query_one("#mcp-test", GatedButton)) and connection is not None:
            self.request(self.source.mcp.test_connection(connection.name))

    def _show_detail(self) -> None:
        agent = self.selected()
        rooms = [a for a in self.state.room_assignments if agent is not None and a.agent_id == agent.id]
        self.query_one("#agent-detail", Static).update(agent_detail(agent, rooms))

    def selected(self) -> Any:
        table = self.query_one("#agents", DataTable)
        if not table.row_count:
            return None
        key = table.coordinate_to_cell_key((table.cursor_row, 0)).row_key.value
        return next((a for a in self.state.agents if a.id == key), None)

    @on(DataTable.RowHighlighted, "#agents")
    def _moved(self) -> None:
        self._show_detail()

    @on(GatedButton.Pressed, "#agent-create")
    def create(self) -> None:
        if not self.refuse(self.query_one("#agent-create", GatedButton)):
            self.app.push_screen(
                AgentForm(), lambda fields: fields and self.request(self.source.agents.save_agent(fields))
            )

    @on(GatedButton.Pressed, "#agent-edit")
    def edit(self) -> None:
        agent = self.selected()
        if not self.refuse(self.query_one("#agent-edit", GatedButton)) and agent is not None:
            self.app.push_screen(
                AgentForm(agent),
                lambda fields: fields and self.request(self.source.agents.save_agent(fields, agent=agent)),
            )

    @on(GatedButton.Pressed, "#agent-delete")
    def delete(self) -> None:
        agent = self.selected()
        if self.refuse(self.query_one("#agent-delete", GatedButton)) or agent is None:
            return
        self.app.push_screen(
            ConfirmModal(f"Delete agent {agent.name}?", "Delete"),
            lambda ok: ok and self.request(self.source.agents.delete_agent(agent.id, agent.name)),
        )

    @on(GatedButton.Pressed, "#agent-room")
    def assign_room(self) -> None:
        agent = self.selected()
        if self.refuse(self.query_one("#agent-room", GatedButton)) or agent is None:
            return

        def chosen(room: str | None) -> None:
            if room:
                self.app.push_screen(
                    ConfirmModal(f"Assign agent {agent.name} to room {room}?", "Assign"),
                    lambda ok: ok and self.request(self.source.agents.assign_room(agent.id, room, agent.name)),
                )

        self.app.push_screen(InputModal(f"Assign {agent.name} to a room", "room id", "Next"), chosen)

    @on(Input.Submitted, "#chat-input")
    def send(self, event: Input.Submitted) -> None:
        agent = self.selected()
        text = event.value.strip()
        if agent is None or not text:
            return
        if not self.state.permissions.can("agents.chat"):
            self.notify(self.state.permissions.why_not("agents.chat"), severity="warning")
            return
        self.state.chat.append(("you", text))
        event.input.value = ""
        self.show(m.AgentReplyChunk(agent.name, ""))
        self.request(self.source.agents.chat(agent.name, text))
