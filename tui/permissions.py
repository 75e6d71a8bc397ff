"""What the TUI's credential may do, checked before an action is offered (never after the click).

Granted names may be wildcards ("*", "roles:*"), exactly as WhoAmI returns them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

# Every mutation the TUI offers, with the permission its RPC declares (auralinkd/api/*.py).
ACTION_PERMISSIONS: dict[str, str] = {
    "role.grant": "roles:update",
    "role.revoke": "roles:update",
    "role.assign": "roles:assign",
    "role.unassign": "roles:assign",
    "audit.verify": "audit:verify",
    "mesh.route": "mesh:route",
    "reputation.explain": "reputation:read",
    "reputation.quarantine": "reputation:manage",
    "reputation.release": "reputation:manage",
    "compression.bench": "compression:bench",
    "agents.create": "agents:create",
    "agents.update": "agents:update",
    "agents.delete": "agents:delete",
    "agents.assign": "agents:assign",
    "agents.chat": "chat:send",
    "memory.read": "memories:read",
    "mcp.tools": "mcp:read",
    "mcp.test": "mcp:read",
    "runs.start": "workflows:run",
    "runs.resume": "workflows:run",
    "runs.cancel": "workflows:run",
    "memory.evolve": "memories:evolve",
}

MUTATIONS = frozenset(
    {
        "role.grant",
        "role.revoke",
        "role.assign",
        "role.unassign",
        "reputation.quarantine",
        "reputation.release",
        "compression.bench",
        "agents.create",
        "agents.update",
        "agents.delete",
        "agents.assign",
        "memory.evolve",
        "runs.start",
        "runs.resume",
        "runs.cancel",
    }
)


def grants(granted: Iterable[str], needed: str) -> bool:
    """True when `needed` ("resource:action") is covered by one of `granted`."""
    resource = needed.split(":", 1)[0]
    for name in granted:
        if name in ("*", needed) or name == f"{resource}:*":
            return True
    return False


@dataclass(frozen=True)
class Permissions:
    """The caller's effective permissions; `known` is False until WhoAmI has answered."""

    granted: frozenset[str] = field(default_factory=frozenset)
    known: bool = False

    def can(self, action: str) -> bool:
        needed = ACTION_PERMISSIONS.get(action, action)
        return self.known and grants(self.granted, needed)

    def why_not(self, action: str) -> str:
        """The explanation shown on a greyed-out action."""
        needed = ACTION_PERMISSIONS.get(action, action)
        if not self.known:
            return f"checking permissions… ({needed})"
        return f"PERMISSION_DENIED: your credential lacks {needed}"
