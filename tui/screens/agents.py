"""Agents: a filterable table, a detail pane, a chat pane that streams the reply, and modal forms.

Against a daemon without AgentService the screen says so, with the gRPC code, instead of failing:
what an operator sees against an older daemon.
"""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import DataTable, Input, Static

from tui import messages as m
from tui.screens.base import DataScreen, unavailable_text
from tui.widgets.agents.form import AgentForm, agent_detail, agent_row, chat_view
from tui.widgets.common.gated import GatedButton
from tui.widgets.common.modals import ConfirmModal, InputModal


class AgentsScreen(DataScreen):
    AREA = "agents"

    DEFAULT_CSS = """
    AgentsScreen #agents-body { height: 1fr; }
    AgentsScreen #agents { width: 3fr; height: 1fr; }
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
        with Horizontal(id="agents-body"):
            table: DataTable[object] = DataTable(id="agents", cursor_type="row", zebra_stripes=True)
            table.border_title = "Agents"
            table.add_class("panel")
            yield table
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
        super().on_mount()

    def on_screen_resume(self) -> None:
        super().on_screen_resume()
        if self.store.connection == "connected" and "agents" not in self.store.unavailable:
            self.request(self.source.load_agents())

    def show(self, message: m.DataMessage | None) -> None:
        notice = unavailable_text(self.store, "agents")
        box = self.query_one("#agents-notice", Static)
        box.display = notice is not None
        self.query_one("#chat-input", Input).disabled = notice is not None
        if notice is not None:
            box.update(Text.assemble("Agents: ", notice))
            for button in self.query(GatedButton):
                button.disabled = True
                button.tooltip = notice.plain
        if message is None or isinstance(message, m.AgentsLoaded):
            self._show_agents()
        if message is None or isinstance(message, m.AgentReplyChunk):
            self.query_one("#chat-view", Static).update(chat_view(self.store.chat))
            self.query_one("#chat", VerticalScroll).scroll_end(animate=False)

    def _show_agents(self) -> None:
        table = self.query_one("#agents", DataTable)
        cursor = table.cursor_row
        table.clear()
        wanted = self.filter_text
        for agent in self.store.agents:
            if not wanted or wanted in f"{agent.name} {agent.model} {agent.provider}".lower():
                table.add_row(*agent_row(agent), key=agent.id)
        if table.row_count:
            table.move_cursor(row=min(cursor, table.row_count - 1))
        self._show_detail()

    def _show_detail(self) -> None:
        agent = self.selected()
        rooms = [a for a in self.store.room_assignments if agent is not None and a.agent_id == agent.id]
        self.query_one("#agent-detail", Static).update(agent_detail(agent, rooms))

    def selected(self) -> Any:
        table = self.query_one("#agents", DataTable)
        if not table.row_count:
            return None
        key = table.coordinate_to_cell_key((table.cursor_row, 0)).row_key.value
        return next((a for a in self.store.agents if a.id == key), None)

    @on(DataTable.RowHighlighted, "#agents")
    def _moved(self) -> None:
        self._show_detail()

    @on(GatedButton.Pressed, "#agent-create")
    def create(self) -> None:
        if not self.refuse(self.query_one("#agent-create", GatedButton)):
            self.app.push_screen(AgentForm(), lambda fields: fields and self.request(self.source.save_agent(fields)))

    @on(GatedButton.Pressed, "#agent-edit")
    def edit(self) -> None:
        agent = self.selected()
        if not self.refuse(self.query_one("#agent-edit", GatedButton)) and agent is not None:
            self.app.push_screen(
                AgentForm(agent), lambda fields: fields and self.request(self.source.save_agent(fields, agent=agent))
            )

    @on(GatedButton.Pressed, "#agent-delete")
    def delete(self) -> None:
        agent = self.selected()
        if self.refuse(self.query_one("#agent-delete", GatedButton)) or agent is None:
            return
        self.app.push_screen(
            ConfirmModal(f"Delete agent {agent.name}?", "Delete"),
            lambda ok: ok and self.request(self.source.delete_agent(agent.id, agent.name)),
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
                    lambda ok: ok and self.request(self.source.assign_room(agent.id, room, agent.name)),
                )

        self.app.push_screen(InputModal(f"Assign {agent.name} to a room", "room id", "Next"), chosen)

    @on(Input.Submitted, "#chat-input")
    def send(self, event: Input.Submitted) -> None:
        agent = self.selected()
        text = event.value.strip()
        if agent is None or not text:
            return
        if not self.store.permissions.can("agents.chat"):
            self.notify(self.store.permissions.why_not("agents.chat"), severity="warning")
            return
        self.store.chat.append(("you", text))
        event.input.value = ""
        self.show(m.AgentReplyChunk(agent.name, ""))
        self.request(self.source.chat(agent.name, text))
