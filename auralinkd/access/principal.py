"""The authenticated caller, as every service sees it."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from uuid import UUID

from auralinkd.db.database import Tenant

ORG_ADMIN_PERMISSION = "org:admin"


def grants(held: Iterable[str], needed: str) -> bool:
    """True when `held` covers `needed`: exact, `resource:*`, or `*`."""
    resource = needed.split(":", 1)[0]
    return any(p == needed or p == "*" or p == f"{resource}:*" for p in held)


@dataclass(frozen=True)
class Principal:
    user_id: UUID
    org_id: UUID
    permissions: frozenset[str]
    token_id: str

    def can(self, permission: str) -> bool:
        return grants(self.permissions, permission)

    @property
    def is_org_admin(self) -> bool:
        return self.can(ORG_ADMIN_PERMISSION)

    @property
    def tenant(self) -> Tenant:
        return Tenant(self.user_id, self.org_id, self.is_org_admin)
