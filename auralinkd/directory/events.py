"""Events of organization, user and role changes: typed payloads, published once the change has committed.

Each event belongs to the changed resource's organization (`org=`), so a watcher sees its own org's only.
Payloads name what changed, never whole rows (no emails, no password hashes, no AuraID privacy settings):

| Topic | Payload |
|---|---|
| `org.created`, `org.updated`, `org.deactivated` | `OrganizationChanged` |
| `user.created`, `user.updated`, `user.deactivated`, `user.reactivated` | `UserChanged` |
| `role.created`, `role.updated`, `role.deleted`, `role.granted`, `role.revoked` | `RoleChanged` |
| `role.assigned`, `role.unassigned` | `RoleChanged` with `user_id` set |

`fields` lists what an update changed (the update mask, or the permissions granted or revoked);
`actor_user_id` is who made the change.
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass, field
from uuid import UUID

from auralinkd.access.principal import Caller
from auralinkd.bus import EventBus

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class OrganizationChanged:
    id: str
    slug: str
    name: str
    active: bool
    actor_user_id: str
    fields: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class UserChanged:
    id: str
    organization_id: str
    username: str
    base_role: str
    active: bool
    actor_user_id: str
    fields: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class RoleChanged:
    id: str
    name: str
    permissions: list[str]
    actor_user_id: str
    user_id: str = ""  # role.assigned / role.unassigned: whose assignment
    fields: list[str] = field(default_factory=list)


Payload = OrganizationChanged | UserChanged | RoleChanged


class DirectoryEvents:
    """Publishes the payloads above; without a bus (tests of the services alone) it does nothing."""

    def __init__(self, bus: EventBus | None) -> None:
        self._bus = bus

    async def publish(self, topic: str, payload: Payload, org: UUID | str) -> None:
        if self._bus is None:
            return
        try:
            await self._bus.publish(topic, asdict(payload), org=org)
        except Exception:  # noqa: BLE001 - the change has committed; a lost event must not fail the call
            log.warning("could not publish %s for %s", topic, payload.id, exc_info=True)


def actor(caller: Caller) -> str:
    return str(caller.principal.user_id)
