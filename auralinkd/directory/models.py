"""Plain values the directory service takes and returns; nothing here knows gRPC or SQL."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Generic, TypeVar
from uuid import UUID

T = TypeVar("T")

BASE_ROLES = ("user", "admin", "moderator", "agent")
PRIVACY_LEVELS = ("public", "contacts", "private")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def etag_of(*stamps: datetime | None) -> str:
    """An opaque etag: the latest `updated_at`, in microseconds since the epoch, as hex."""
    latest = max(s for s in stamps if s is not None)
    return format((latest - _EPOCH) // timedelta(microseconds=1), "x")


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    next_page_token: str = ""


# -- organizations ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Organization:
    id: UUID
    name: str
    slug: str
    active: bool
    created_at: datetime
    updated_at: datetime

    @property
    def etag(self) -> str:
        return etag_of(self.updated_at)


@dataclass(frozen=True)
class NewOrganization:
    name: str
    slug: str


@dataclass(frozen=True)
class OrganizationPatch:
    """Values for UpdateOrganization; the update mask says which of them apply."""

    name: str = ""


# -- users and AuraIDs --------------------------------------------------------------------------


@dataclass(frozen=True)
class AuraIdSettings:
    """What a caller sets on a user's AuraID. `aura_id` may come with or without "@" and ".aura"."""

    aura_id: str
    privacy_level: str = ""  # "" means "private" (the least exposure)
    allow_cross_app_calls: bool = True
    federated_domains: tuple[str, ...] = ()


@dataclass(frozen=True)
class AuraIdentity:
    aura_id: str  # canonical "@username.aura"
    privacy_level: str
    allow_cross_app_calls: bool
    federated_domains: tuple[str, ...]
    verified: bool
    updated_at: datetime


@dataclass(frozen=True)
class User:
    id: UUID
    organization_id: UUID
    email: str
    username: str
    display_name: str
    base_role: str
    active: bool
    aura: AuraIdentity | None
    created_at: datetime
    updated_at: datetime

    @property
    def etag(self) -> str:
        return etag_of(self.updated_at, self.aura.updated_at if self.aura else None)


@dataclass(frozen=True)
class NewUser:
    email: str
    username: str
    display_name: str = ""
    base_role: str = ""  # "" means "user" (the least privileged base role)
    aura: AuraIdSettings | None = None


@dataclass(frozen=True)
class UserPatch:
    """Values for UpdateUser; the update mask says which apply. With `aura` None and "aura_id" in the
    mask, the user's AuraID is removed."""

    display_name: str = ""
    email: str = ""
    base_role: str = ""
    aura: AuraIdSettings | None = None


@dataclass(frozen=True)
class ResolvedAuraId:
    aura_id: str
    user_id: UUID
    organization_id: UUID
    display_name: str
    privacy_level: str
    allow_cross_app_calls: bool
    federated_domains: tuple[str, ...] = field(default_factory=tuple)
    verified: bool = False
