"""The authenticated caller, as every service sees it."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from uuid import UUID

from auralinkd.db.database import Tenant

ORG_ADMIN_PERMISSION = "org:admin"
PLATFORM_ADMIN_PERMISSION = "platform:admin"


def grants(held: Iterable[str], needed: str) -> bool:
    """True when `held` covers `needed`: exact, `resource:*`, or `*`.

    `needed` may itself be a wildcard ("memories:*"): only "memories:*" or "*" cover it.
    """
    if needed in held or "*" in held:  # the common case, O(1) on a frozenset
        return True
    resource = needed.split(":", 1)[0]
    return any(p == needed or p == "*" or p == f"{resource}:*" for p in held)


@dataclass(frozen=True)
class Principal:
    """A user acting through one credential.

    `permissions` come from the user's roles (resolved per call, cached); `scopes`, when not None,
    narrow them to what the token or API key was issued for.
    """

    user_id: UUID
    org_id: UUID
    permissions: frozenset[str]
    credential_id: str
    credential_type: str = "token"  # "token" or "api_key"
    scopes: frozenset[str] | None = None
    # A mesh node's credential acts only as that node (heartbeats, reports).
    node_id: str | None = None

    def can(self, permission: str) -> bool:
        if not grants(self.permissions, permission):
            return False
        return self.scopes is None or grants(self.scopes, permission)

    @property
    def is_org_admin(self) -> bool:
        return self.can(ORG_ADMIN_PERMISSION)

    @property
    def is_platform_admin(self) -> bool:
        return self.can(PLATFORM_ADMIN_PERMISSION)

    @property
    def tenant(self) -> Tenant:
        return Tenant(self.user_id, self.org_id, self.is_org_admin)


@dataclass(frozen=True)
class Caller:
    """Who calls, through which request, from where: what services need for checks and the audit log."""

    principal: Principal
    request_id: str
    peer: str = ""

    @property
    def tenant(self) -> Tenant:
        return self.principal.tenant
