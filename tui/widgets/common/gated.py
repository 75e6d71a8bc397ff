"""Buttons for actions that need a permission: greyed out with the reason, or hidden when read-only."""

from __future__ import annotations

from textual.widgets import Button

from tui.permissions import MUTATIONS, Permissions


class GatedButton(Button):
    """A Button bound to an action name of tui.permissions.ACTION_PERMISSIONS."""

    def __init__(self, label: str, action_name: str, *, id: str | None = None, variant: str = "default") -> None:
        super().__init__(label, id=id, variant=variant)  # type: ignore[arg-type]
        self.action_name = action_name
        self.reason = ""

    def apply(self, permissions: Permissions, read_only: bool) -> None:
        """Read-only hides mutations; a missing permission disables the button and says why."""
        self.display = not (read_only and self.action_name in MUTATIONS)
        allowed = permissions.can(self.action_name)
        self.disabled = not allowed
        self.reason = "" if allowed else permissions.why_not(self.action_name)
        self.tooltip = self.reason or None
