"""The permission catalogue, generated from the `@requires` declarations beside the handlers.

It never drifts from the API: each RPC contributes its permission, plus the few permissions that
guard data rather than a method (org-wide visibility, platform operation). The built-in system roles
are defined here as rules over the catalogue, so a new RPC lands in the right roles automatically.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from auralinkd.access.principal import ORG_ADMIN_PERMISSION, PLATFORM_ADMIN_PERMISSION
from auralinkd.errors import FieldViolation, InvalidArgument

DATA_PERMISSIONS = {
    ORG_ADMIN_PERMISSION: "See and manage every member's data in the organization.",
    PLATFORM_ADMIN_PERMISSION: "Operate the deployment: every organization.",
}
# Granted only to platform operators, never by an org's admin role.
PLATFORM_ONLY = frozenset({PLATFORM_ADMIN_PERMISSION, "orgs:create"})
READ_ACTIONS = frozenset({"read", "watch", "resolve", "ping", "verify"})
# What every member may do for themselves (services check ownership where it matters).
MEMBER_PERMISSIONS = frozenset({
    "self:read", "system:read", "system:ping", "events:watch", "auraid:resolve", "users:read", "roles:read",
    "orgs:read", "tokens:create", "tokens:read", "tokens:revoke", "apikeys:create", "apikeys:read",
    "apikeys:revoke", "usage:read", "mcp:read", "mcp:call",
})  # fmt: skip
# Resources whose every action a member holds over their own data (RLS scopes it to them).
MEMBER_RESOURCES = frozenset(
    {"memories", "agents", "chat", "completions", "translation", "compression", "provider_keys", "rooms"}
    | {"storage", "speech", "workflows"}
)
AGENT_PERMISSIONS = frozenset({"self:read", "system:ping", "events:watch", "memories:read", "memories:write"})

PLATFORM_ADMIN_ROLE = "platform_admin"
BASE_ROLES = ("user", "admin", "moderator", "agent")


@dataclass(frozen=True)
class PermissionInfo:
    name: str
    description: str
    methods: tuple[str, ...]

    @property
    def resource(self) -> str:
        return self.name.split(":", 1)[0]

    @property
    def action(self) -> str:
        return self.name.split(":", 1)[1]


@dataclass(frozen=True)
class SystemRole:
    name: str
    description: str
    permissions: tuple[str, ...]


class Catalogue:
    def __init__(self, rpc_permissions: dict[str, str]) -> None:
        methods: dict[str, list[str]] = defaultdict(list)
        for method, permission in rpc_permissions.items():
            methods[permission].append(method)
        infos = {
            name: PermissionInfo(name, _describe(name, sorted(found)), tuple(sorted(found)))
            for name, found in methods.items()
        }
        for name, description in DATA_PERMISSIONS.items():
            infos.setdefault(name, PermissionInfo(name, description, ()))
        self._infos = dict(sorted(infos.items()))
        self.resources = frozenset(info.resource for info in self._infos.values())

    def all(self) -> list[PermissionInfo]:
        return list(self._infos.values())

    def names(self) -> list[str]:
        return list(self._infos)

    def is_known(self, permission: str) -> bool:
        if permission == "*" or permission in self._infos:
            return True
        resource, _, action = permission.partition(":")
        return action == "*" and resource in self.resources

    def validate(self, permissions: list[str], field: str = "permissions") -> list[str]:
        """Known, de-duplicated, sorted; unknown names are INVALID_ARGUMENT naming each one."""
        violations = [
            FieldViolation(field, f"unknown permission {p!r}: see `auralink roles permissions`")
            for p in permissions
            if not self.is_known(p)
        ]
        if violations:
            raise InvalidArgument("; ".join(v.description for v in violations), violations)
        return sorted(set(permissions))

    def system_roles(self) -> list[SystemRole]:
        names = self.names()
        org_wide = [n for n in names if n not in PLATFORM_ONLY]
        readers = [n for n in names if n.split(":", 1)[1] in READ_ACTIONS or n in MEMBER_PERMISSIONS]
        members = [n for n in names if n in MEMBER_PERMISSIONS or n.split(":", 1)[0] in MEMBER_RESOURCES]
        return [
            SystemRole(PLATFORM_ADMIN_ROLE, "Operates the deployment: every permission in every org.", ("*",)),
            SystemRole("admin", "Administers one organization: every permission there.", tuple(org_wide)),
            SystemRole("moderator", "Reads the organization's directory, roles and audit log; changes nothing.",
                       tuple(readers)),
            SystemRole("user", "A member: self-service and their own data.", tuple(members)),
            SystemRole("agent", "An AI agent's identity: its own memories and events.",
                       tuple(n for n in names if n in AGENT_PERMISSIONS)),
        ]  # fmt: skip


def _describe(name: str, methods: list[str]) -> str:
    rpcs = ", ".join(m.rsplit("/", 1)[-1] for m in methods)
    return f"Call {rpcs}"
