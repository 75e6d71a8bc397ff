"""Access: roles and their permissions, a user's assignments, and the live audit stream.

Every mutation (grant, revoke, assign, unassign) asks for confirmation in a modal; the buttons
are greyed out with the reason when WhoAmI says the credential lacks the permission.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import DataTable, Input, RichLog, Static

from tui import messages as m
from tui.screens.base import DataScreen, panel_table, refill
from tui.widgets.access import render
from tui.widgets.common.gated import GatedButton
from tui.widgets.common.modals import ConfirmModal, InputModal


class AccessScreen(DataScreen):
    AREA = "access"
    _shown_audit = 0

    DEFAULT_CSS = """
    AccessScreen #access-body { height: 1fr; }
    AccessScreen #access-left { width: 3fr; }
    AccessScreen #access-right { width: 2fr; }
    AccessScreen #roles { height: 1fr; min-height: 6; }
    AccessScreen #role-permissions { height: 1fr; min-height: 5; }
    AccessScreen .buttons { height: auto; }
    AccessScreen .buttons Button { margin-right: 1; min-width: 12; }
    AccessScreen #assignments { height: auto; max-height: 10; }
    AccessScreen #chain { height: auto; }
    AccessScreen #audit { height: 1fr; }
    """

    def compose_body(self) -> ComposeResult:
        yield Input(placeholder="filter roles and audit entries", id="filter")
        with Horizontal(id="access-body"):
            with Vertical(id="access-left"):
                yield panel_table("roles", "Roles")
                yield panel_table("role-permissions", "Permissions of the role")
                with Horizontal(classes="buttons"):
                    yield GatedButton("Grant…", "role.grant", id="grant")
                    yield GatedButton("Revoke", "role.revoke", id="revoke", variant="error")
                    yield GatedButton("Assign to user", "role.assign", id="assign")
                    yield GatedButton("Unassign", "role.unassign", id="unassign", variant="error")
                yield Input(placeholder="user (id or email), Enter: show assignments", id="user")
                yield panel_table("assignments", "Assignments")
            with Vertical(id="access-right"):
                with Horizontal(classes="buttons"):
                    yield Static(id="chain")
                    yield GatedButton("Verify", "audit.verify", id="verify")
                log = RichLog(id="audit", max_lines=500, markup=False)
                log.border_title = "Audit (WatchAudit)"
                log.add_class("panel")
                yield log

    def on_mount(self) -> None:
        self.query_one("#roles", DataTable).add_columns("Role", "Kind", "Perms", "Description")
        self.query_one("#role-permissions", DataTable).add_columns("Permission", "Description")
        self.query_one("#assignments", DataTable).add_columns("Role", "How", "Granted by", "Since")
        super().on_mount()

    def on_screen_resume(self) -> None:
        super().on_screen_resume()
        if self.state.connection == "connected":  # roles change from other clients: refresh on entry
            self.request(self.source.access.load_roles())

    # --- rendering -------------------------------------------------------------------------

    def show(self, message: m.DataMessage | None) -> None:
        everything = message is None
        if everything or isinstance(message, m.RolesLoaded | m.PermissionCatalogue):
            self._show_roles()
        if everything or isinstance(message, m.AssignmentsLoaded):
            self._show_assignments()
        if everything or isinstance(message, m.AuditChainVerified | m.AuditEntryReceived):
            self.query_one("#chain", Static).update(render.chain_view(self.state.chain, len(self.state.audit)))
        if everything:
            self.query_one("#audit", RichLog).clear()
            self._shown_audit = 0
        if everything or isinstance(message, m.AuditEntryReceived):
            self._append_audit()

    def _show_roles(self) -> None:
        wanted = self.filter_text
        rows = [
            (role.name, render.role_row(role))
            for role in self.state.roles
            if not wanted or wanted in f"{role.name} {role.description}".lower()
        ]
        refill(self.query_one("#roles", DataTable), rows)
        self._show_role_permissions()

    def selected_role(self) -> Any:
        table = self.query_one("#roles", DataTable)
        if not table.row_count:
            return None
        name = table.coordinate_to_cell_key((table.cursor_row, 0)).row_key.value
        return next((r for r in self.state.roles if r.name == name), None)

    def _show_role_permissions(self) -> None:
        table = self.query_one("#role-permissions", DataTable)
        table.clear()
        role = self.selected_role()
        table.border_title = f"Permissions of {role.name}" if role is not None else "Permissions of the role"
        if role is None:
            return
        described = {p.name: p.description for p in self.state.catalogue}
        for name in role.permissions:
            table.add_row(name, described.get(name, "wildcard" if "*" in name else ""), key=name)

    def _show_assignments(self) -> None:
        table = self.query_one("#assignments", DataTable)
        table.clear()
        loaded = self.state.assignments
        if loaded is None:
            return
        table.border_title = f"Assignments of {loaded.user or 'you'}"
        for assignment in loaded.effective.assignments:
            table.add_row(*render.assignment_row(assignment), key=assignment.role_name or assignment.role_id)

    def _append_audit(self) -> None:
        log = self.query_one("#audit", RichLog)
        wanted = self.filter_text
        for entry in self.state.audit:
            if entry.id <= self._shown_audit:
                continue
            line = render.audit_line(entry)
            if not wanted or wanted in line.plain.lower():
                log.write(line)
        if self.state.audit:
            self._shown_audit = max(self._shown_audit, self.state.audit[-1].id)

    @on(DataTable.RowHighlighted, "#roles")
    def _role_moved(self) -> None:
        self._show_role_permissions()

    # --- actions ---------------------------------------------------------------------------

    def _confirm(self, question: str, label: str, then: Callable[[], None]) -> None:
        def done(ok: bool | None) -> None:
            if ok:
                then()

        self.app.push_screen(ConfirmModal(question, label), done)

    @on(Input.Submitted, "#user")
    def load_user(self, event: Input.Submitted) -> None:
        if event.value.strip():
            self.request(self.source.access.load_assignments(event.value.strip()))

    @on(GatedButton.Pressed, "#grant")
    def grant(self) -> None:
        role = self.selected_role()
        if self.refuse(self.query_one("#grant", GatedButton)) or role is None:
            return
        names = [p.name for p in self.state.catalogue if p.name not in role.permissions]

        def chosen(permission: str | None) -> None:
            if permission:
                self._confirm(
                    f"Grant {permission} to role {role.name}?",
                    "Grant",
                    lambda: self.request(
                        self.source.access.change_role("role.grant", role.name, permissions=[permission])
                    ),
                )

        self.app.push_screen(
            InputModal(f"Grant a permission to role {role.name}", "resource:action", "Next", names), chosen
        )

    @on(GatedButton.Pressed, "#revoke")
    def revoke(self) -> None:
        role = self.selected_role()
        table = self.query_one("#role-permissions", DataTable)
        if self.refuse(self.query_one("#revoke", GatedButton)) or role is None or not table.row_count:
            return
        permission = table.coordinate_to_cell_key((table.cursor_row, 0)).row_key.value or ""
        self._confirm(
            f"Revoke {permission} from role {role.name}?",
            "Revoke",
            lambda: self.request(self.source.access.change_role("role.revoke", role.name, permissions=[permission])),
        )

    @on(GatedButton.Pressed, "#assign")
    def assign(self) -> None:
        role = self.selected_role()
        user = self.query_one("#user", Input).value.strip()
        if self.refuse(self.query_one("#assign", GatedButton)) or role is None:
            return
        if not user:
            self.notify("type the user (id or email) in the user box first", severity="warning")
            self.query_one("#user", Input).focus()
            return
        self._confirm(
            f"Assign role {role.name} to user {user}?",
            "Assign",
            lambda: self.request(self.source.access.change_role("role.assign", role.name, user=user)),
        )

    @on(GatedButton.Pressed, "#unassign")
    def unassign(self) -> None:
        table = self.query_one("#assignments", DataTable)
        loaded = self.state.assignments
        if self.refuse(self.query_one("#unassign", GatedButton)) or loaded is None or not table.row_count:
            return
        role = table.coordinate_to_cell_key((table.cursor_row, 0)).row_key.value or ""
        user = loaded.user or loaded.effective.user_id
        self._confirm(
            f"Unassign role {role} from user {user}?",
            "Unassign",
            lambda: self.request(self.source.access.change_role("role.unassign", role, user=user)),
        )

    @on(GatedButton.Pressed, "#verify")
    def verify(self) -> None:
        if not self.refuse(self.query_one("#verify", GatedButton)):
            self.request(self.source.access.verify_audit())
