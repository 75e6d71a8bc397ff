"""The agent form (create and edit) and the renderers of the Agents screen."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label

from tui.widgets.common.modals import MODAL_CSS

FIELDS: tuple[tuple[str, str], ...] = (
    ("name", "name (unique in the organization)"),
    ("description", "description"),
    ("model", "model, e.g. gpt-4o-mini"),
    ("provider", "provider, e.g. openai"),
    ("system_prompt", "system prompt"),
    ("tools", "MCP tools it may call: CONNECTION/TOOL, comma-separated"),
)


class AgentForm(ModalScreen[dict[str, str] | None]):
    """Create (agent None) or edit an agent; Save is the confirmation."""

    DEFAULT_CSS = MODAL_CSS.format(name="AgentForm")
    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, agent: Any = None) -> None:
        super().__init__()
        self.agent = agent

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(f"Edit agent {self.agent.name}" if self.agent is not None else "New agent")
            for name, placeholder in FIELDS:
                value = form_value(self.agent, name) if self.agent is not None else ""
                yield Input(value=value, placeholder=placeholder, id=f"field-{name}")
            with Horizontal():
                yield Button("Cancel", id="cancel")
                yield Button("Save", id="save", variant="warning")

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id != "save":
            self.dismiss(None)
            return
        values = {name: self.query_one(f"#field-{name}", Input).value.strip() for name, _ in FIELDS}
        if not values["name"]:
            self.notify("a name is needed", severity="warning")
            return
        self.dismiss({k: v for k, v in values.items() if v or self.agent is not None})

    def action_cancel(self) -> None:
        self.dismiss(None)


def model_ref(agent: Any) -> str:
    """The "<provider>/<model>" reference (the daemon sends it whole in `model`)."""
    if "/" in agent.model or not agent.provider:
        return agent.model
    return f"{agent.provider}/{agent.model}"


def model_name(agent: Any) -> str:
    """The model without its provider prefix."""
    prefix = f"{agent.provider}/"
    return agent.model[len(prefix) :] if agent.provider and agent.model.startswith(prefix) else agent.model


def form_value(agent: Any, name: str) -> str:
    if name == "tools":
        return ", ".join(agent.tools)
    return model_name(agent) if name == "model" else str(getattr(agent, name))


def agent_row(agent: Any) -> tuple[str, ...]:
    return (
        agent.name,
        model_name(agent) or "–",
        agent.provider or "–",
        f"{agent.temperature:.1f}",
        "yes" if agent.memory_enabled else "no",
    )


def agent_detail(agent: Any, rooms: Sequence[Any] = ()) -> Text:
    if agent is None:
        return Text("no agent selected", style="dim")
    text = Text.assemble(
        (agent.name, "bold"),
        f"  v{agent.version}\n",
        (agent.description or "no description", "dim"),
        "\nModel  ",
        model_ref(agent),
        "\nPrompt ",
        (agent.system_prompt[:200] or "–", "italic"),
    )
    if agent.tools:
        text.append("\nTools  ")
        text.append(", ".join(agent.tools), style="yellow")
    if rooms:
        text.append("\nRooms  ")
        text.append(", ".join(f"{a.room_id} ({a.role})" for a in rooms))
    return text


def chat_view(lines: list[tuple[str, str]]) -> Text:
    text = Text()
    for who, said in lines:
        style = "bold cyan" if who == "you" else "bold yellow" if who.startswith("tool ") else "bold green"
        text.append(f"{who}: ", style=style)
        text.append(said + "\n")
    return text
