"""Access data: who the TUI acts as, roles and the permission catalogue, assignments, the audit log."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable
from typing import Any

from auralink.v1 import access_pb2 as pb
from tui import messages as m
from tui.sources.link import UNARY_TIMEOUT_S, Area


class AccessSource(Area):
    NAME = "access"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._last_audit_id = 0

    def background(self) -> list[Awaitable[Any]]:
        return [self.link.stream("audit", self._audit)]

    async def _audit(self) -> AsyncIterator[None]:
        audit = self.client.audit
        if self._last_audit_id == 0:  # first subscription: show the recent past too (newest first)
            recent = await audit.ListAuditLogs(
                pb.ListAuditLogsRequest(page_size=50), metadata=self.md(), timeout=UNARY_TIMEOUT_S
            )
            for entry in sorted(recent.entries, key=lambda e: e.id):
                self._last_audit_id = max(self._last_audit_id, entry.id)
                self.post(m.AuditEntryReceived(entry))
        request = pb.WatchAuditRequest(since_id=self._last_audit_id)
        async for entry in audit.WatchAudit(request, metadata=self.md()):
            if not entry.heartbeat:
                self._last_audit_id = max(self._last_audit_id, entry.id)
                self.post(m.AuditEntryReceived(entry))
            yield None

    async def load_identity(self) -> None:
        who = await self.link.act(
            "whoami",
            lambda: self.client.credentials.WhoAmI(pb.WhoAmIRequest(), metadata=self.md(), timeout=UNARY_TIMEOUT_S),
        )
        if who is not None:
            self.post(m.IdentityLoaded(who))

    async def load_roles(self) -> None:
        resp = await self.link.act(
            "roles.list",
            lambda: self.client.roles.ListRoles(
                pb.ListRolesRequest(page_size=200), metadata=self.md(), timeout=UNARY_TIMEOUT_S
            ),
        )
        if resp is not None:
            self.post(m.RolesLoaded(list(resp.roles)))

    async def load_catalogue(self) -> None:
        resp = await self.link.act(
            "permissions.list",
            lambda: self.client.roles.ListPermissions(
                pb.ListPermissionsRequest(), metadata=self.md(), timeout=UNARY_TIMEOUT_S
            ),
        )
        if resp is not None:
            self.post(m.PermissionCatalogue(list(resp.permissions)))

    async def load_assignments(self, user: str) -> None:
        request = pb.GetEffectivePermissionsRequest(user=user)
        resp = await self.link.act(
            "assignments",
            lambda: self.client.roles.GetEffectivePermissions(request, metadata=self.md(), timeout=UNARY_TIMEOUT_S),
        )
        if resp is not None:
            self.post(m.AssignmentsLoaded(user, resp))

    async def verify_audit(self) -> None:
        resp = await self.link.act(
            "audit.verify",
            lambda: self.client.audit.VerifyAuditChain(
                pb.VerifyAuditChainRequest(), metadata=self.md(), timeout=UNARY_TIMEOUT_S
            ),
        )
        if resp is not None:
            self.post(m.AuditChainVerified(resp))

    async def change_role(self, action: str, role: str, *, permissions: list[str] = (), user: str = "") -> None:  # type: ignore[assignment]
        """role.grant / role.revoke (permissions) or role.assign / role.unassign (user)."""
        roles, md, t = self.client.roles, self.md, UNARY_TIMEOUT_S
        calls = {
            "role.grant": lambda: roles.GrantPermissions(
                pb.GrantPermissionsRequest(role=role, permissions=permissions), metadata=md(), timeout=t
            ),
            "role.revoke": lambda: roles.RevokePermissions(
                pb.RevokePermissionsRequest(role=role, permissions=permissions), metadata=md(), timeout=t
            ),
            "role.assign": lambda: roles.AssignRole(
                pb.AssignRoleRequest(role=role, user=user), metadata=md(), timeout=t
            ),
            "role.unassign": lambda: roles.UnassignRole(
                pb.UnassignRoleRequest(role=role, user=user), metadata=md(), timeout=t
            ),
        }
        resp = await self.link.act(action, calls[action])
        if resp is None:
            return
        target = ", ".join(permissions) if permissions else user
        self.post(m.ActionDone(action, f"{action.split('.')[1]} {target} · role {role}"))
        await self.load_roles()
        if user:
            await self.load_assignments(user)
