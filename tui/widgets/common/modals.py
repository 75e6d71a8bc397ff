"""Modal screens: a confirmation for every mutation, a one-field form, and the help page."""

from __future__ import annotations

from collections.abc import Sequence

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.suggester import SuggestFromList
from textual.widgets import Button, Input, Label, Markdown

MODAL_CSS = """
{name} {{ align: center middle; }}
{name} > Vertical {{ width: 64; height: auto; border: thick $primary; background: $surface; padding: 1 2; }}
{name} Horizontal {{ height: auto; margin-top: 1; align-horizontal: right; }}
{name} Button {{ margin-left: 2; }}
"""


class ConfirmModal(ModalScreen[bool]):
    """Yes or no for one mutation; Enter/y confirms, Escape/n cancels."""

    DEFAULT_CSS = MODAL_CSS.format(name="ConfirmModal")
    BINDINGS = [Binding("escape,n", "cancel", "Cancel"), Binding("y", "confirm", "Confirm")]

    def __init__(self, question: str, confirm_label: str = "Confirm") -> None:
        super().__init__()
        self.question = question
        self.confirm_label = confirm_label

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(self.question, id="question")
            with Horizontal():
                yield Button("Cancel", id="cancel")
                yield Button(self.confirm_label, id="confirm", variant="warning")

    def on_mount(self) -> None:
        self.query_one("#confirm", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "confirm")

    def action_confirm(self) -> None:
        self.dismiss(True)

    def action_cancel(self) -> None:
        self.dismiss(False)


class InputModal(ModalScreen[str | None]):
    """One value (a permission, a user), with completion from known values; the button confirms."""

    DEFAULT_CSS = MODAL_CSS.format(name="InputModal")
    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(
        self,
        title: str,
        placeholder: str,
        confirm_label: str,
        suggestions: Sequence[str] = (),
        *,
        allow_empty: bool = False,
    ) -> None:
        """With allow_empty, confirming an empty box answers "" (cancelling is None)."""
        super().__init__()
        self.allow_empty = allow_empty
        self.title_text = title
        self.placeholder = placeholder
        self.confirm_label = confirm_label
        self.suggestions = list(suggestions)

    def compose(self) -> ComposeResult:
        suggester = SuggestFromList(self.suggestions, case_sensitive=False) if self.suggestions else None
        with Vertical():
            yield Label(self.title_text)
            yield Input(placeholder=self.placeholder, suggester=suggester, id="value")
            with Horizontal():
                yield Button("Cancel", id="cancel")
                yield Button(self.confirm_label, id="confirm", variant="warning")

    def _answer(self, value: str) -> str | None:
        return value.strip() if value.strip() or self.allow_empty else None

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.dismiss(self._answer(event.value))

    def on_button_pressed(self, event: Button.Pressed) -> None:
        value = self.query_one("#value", Input).value
        self.dismiss(self._answer(value) if event.button.id == "confirm" else None)

    def action_cancel(self) -> None:
        self.dismiss(None)


HELP = """\
# AuraLink dashboard

| key | does |
| --- | --- |
| `1`–`7` | Overview, Agents, Memory, Mesh, Access, Compression, Workflows |
| `/` | filter the screen's main table or log; `esc` clears it |
| `?` | this help |
| `ctrl+p` | command palette (screens, theme, actions) |
| `t` | light / dark theme |
| `tab` / `shift+tab` | move between widgets (the mouse works too) |
| `q` | quit |

Greyed-out actions need a permission your credential lacks: hover or focus them to see which.
`--read-only` hides every mutation. When the daemon restarts, the status bar says
"reconnecting…" and every stream resumes on its own.
"""


class HelpScreen(ModalScreen[None]):
    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen > Vertical { width: 80; height: auto; max-height: 90%; border: thick $primary; background: $surface; }
    """
    BINDINGS = [Binding("escape,q,question_mark", "close", "Close")]

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Markdown(HELP)

    def action_close(self) -> None:
        self.dismiss(None)
