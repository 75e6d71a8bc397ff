"""SQL of the directory: organizations, users and the AuraID registry. Parameters only, never built strings."""

from __future__ import annotations

import json
from uuid import UUID

import asyncpg

from auralinkd.db.database import Tenant
from auralinkd.directory.models import AuraIdentity, AuraIdSettings, Organization, ResolvedAuraId, User

# -- scope ----------------------------------------------------------------------------------------


async def enter_actor_scope(conn: asyncpg.Connection, tenant: Tenant) -> None:
    """On a system transaction: the actor's settings, which the per-org audit chain reads (no role change)."""
    await conn.execute(
        """
        SELECT set_config('app.current_user_id', $1, true),
               set_config('app.current_org_id', $2, true),
               set_config('app.org_admin', $3, true)
        """,
        str(tenant.user_id),
        str(tenant.org_id),
        "on" if tenant.org_admin else "off",
    )


# -- organizations ----------------------------------------------------------------------------------

_ORG_COLUMNS = "id, name, slug, is_active AND deleted_at IS NULL AS active, created_at, updated_at"


def _org(row: asyncpg.Record | None) -> Organization | None:
    if row is None:
        return None
    return Organization(row["id"], row["name"], row["slug"], row["active"], row["created_at"], row["updated_at"])


async def insert_org(conn: asyncpg.Connection, name: str, slug: str) -> Organization:
    row = await conn.fetchrow(
        f"INSERT INTO organizations (name, slug) VALUES ($1, $2) RETURNING {_ORG_COLUMNS}", name, slug
    )
    org = _org(row)
    assert org is not None
    return org


async def find_org(
    conn: asyncpg.Connection, org_id: UUID | None, slug: str, *, lock: bool = False
) -> Organization | None:
    """By id when given, else by slug; soft-deleted orgs do not exist."""
    suffix = " FOR UPDATE" if lock else ""
    if org_id is not None:
        sql = f"SELECT {_ORG_COLUMNS} FROM organizations WHERE id = $1 AND deleted_at IS NULL{suffix}"
        return _org(await conn.fetchrow(sql, org_id))
    sql = f"SELECT {_ORG_COLUMNS} FROM organizations WHERE slug = $1 AND deleted_at IS NULL{suffix}"
    return _org(await conn.fetchrow(sql, slug))


async def list_orgs(
    conn: asyncpg.Connection, after_slug: str | None, limit: int, include_inactive: bool
) -> list[Organization]:
    rows = await conn.fetch(
        f"""
        SELECT {_ORG_COLUMNS} FROM organizations
        WHERE deleted_at IS NULL
          AND ($1::text IS NULL OR slug > $1)
          AND ($2 OR is_active)
        ORDER BY slug
        LIMIT $3
        """,
        after_slug,
        include_inactive,
        limit,
    )
    return [org for org in map(_org, rows) if org is not None]


async def update_org(conn: asyncpg.Connection, org_id: UUID, name: str, active: bool) -> Organization | None:
    row = await conn.fetchrow(
        f"UPDATE organizations SET name = $2, is_active = $3 WHERE id = $1 RETURNING {_ORG_COLUMNS}",
        org_id,
        name,
        active,
    )
    return _org(row)


# -- users ------------------------------------------------------------------------------------------

_USER_SELECT = """
SELECT u.id, u.organization_id, u.email, u.username, coalesce(u.display_name, '') AS display_name, u.role,
       u.is_active AS active, u.created_at, u.updated_at,
       r.aura_id, r.privacy_level, r.allow_cross_app_calls, r.federated_domains, r.is_verified,
       r.updated_at AS aura_updated_at
FROM users u LEFT JOIN aura_id_registry r ON r.user_id = u.id
WHERE u.deleted_at IS NULL
"""


def _user(row: asyncpg.Record | None) -> User | None:
    if row is None:
        return None
    aura = None
    if row["aura_id"] is not None:
        aura = AuraIdentity(
            row["aura_id"],
            row["privacy_level"],
            row["allow_cross_app_calls"],
            tuple(row["federated_domains"]),
            row["is_verified"],
            row["aura_updated_at"],
        )
    return User(
        row["id"],
        row["organization_id"],
        row["email"],
        row["username"],
        row["display_name"],
        row["role"],
        row["active"],
        aura,
        row["created_at"],
        row["updated_at"],
    )


async def find_user(
    conn: asyncpg.Connection, org_id: UUID, *, user_id: UUID | None = None, email: str = "", username: str = ""
) -> User | None:
    """By id or email anywhere the connection can see; by username inside `org_id`."""
    if user_id is not None:
        return _user(await conn.fetchrow(_USER_SELECT + " AND u.id = $1", user_id))
    if email:
        return _user(await conn.fetchrow(_USER_SELECT + " AND lower(u.email) = lower($1)", email))
    return _user(
        await conn.fetchrow(_USER_SELECT + " AND u.organization_id = $1 AND u.username = $2", org_id, username)
    )


async def lock_user(conn: asyncpg.Connection, user_id: UUID) -> bool:
    return await conn.fetchval("SELECT true FROM users WHERE id = $1 FOR UPDATE", user_id) is not None


async def list_users(
    conn: asyncpg.Connection,
    org_id: UUID,
    after: tuple[str, UUID] | None,
    limit: int,
    include_inactive: bool,
    text: str,
) -> list[User]:
    rows = await conn.fetch(
        _USER_SELECT
        + """
          AND u.organization_id = $1
          AND ($2::text IS NULL OR (u.username, u.id) > ($2::text, $3::uuid))
          AND ($4 OR u.is_active)
          AND ($5 = '' OR strpos(lower(u.email), lower($5)) > 0 OR strpos(u.username, lower($5)) > 0
               OR strpos(lower(coalesce(u.display_name, '')), lower($5)) > 0)
        ORDER BY u.username, u.id
        LIMIT $6
        """,
        org_id,
        after[0] if after else None,
        after[1] if after else None,
        include_inactive,
        text,
        limit,
    )
    return [user for user in map(_user, rows) if user is not None]


async def insert_user(
    conn: asyncpg.Connection, org_id: UUID, email: str, username: str, display_name: str, role: str
) -> UUID:
    user_id: UUID = await conn.fetchval(
        """
        INSERT INTO users (organization_id, email, username, display_name, role)
        VALUES ($1, $2, $3, nullif($4, ''), $5)
        RETURNING id
        """,
        org_id,
        email,
        username,
        display_name,
        role,
    )
    return user_id


async def update_user(
    conn: asyncpg.Connection, user_id: UUID, email: str, display_name: str, role: str, active: bool
) -> bool:
    """Every column written, so `updated_at` (and the etag) moves even when only the AuraID changed."""
    status = await conn.execute(
        """
        UPDATE users SET email = $2, display_name = nullif($3, ''), role = $4, is_active = $5
        WHERE id = $1
        """,
        user_id,
        email,
        display_name,
        role,
        active,
    )
    return bool(status == "UPDATE 1")


# -- AuraIDs ------------------------------------------------------------------------------------------


async def put_aura(
    conn: asyncpg.Connection, org_id: UUID, user_id: UUID, aura: AuraIdSettings, display_name: str
) -> None:
    """Create or replace the user's AuraID (one per user); `aura` is already validated and canonical."""
    await conn.execute(
        """
        INSERT INTO aura_id_registry (organization_id, user_id, aura_id, display_name, privacy_level,
                                      allow_cross_app_calls, federated_domains)
        VALUES ($1, $2, $3, nullif($4, ''), $5, $6, $7)
        ON CONFLICT (user_id) DO UPDATE
           SET aura_id = EXCLUDED.aura_id, display_name = EXCLUDED.display_name,
               privacy_level = EXCLUDED.privacy_level, allow_cross_app_calls = EXCLUDED.allow_cross_app_calls,
               federated_domains = EXCLUDED.federated_domains,
               is_verified = aura_id_registry.is_verified AND aura_id_registry.aura_id = EXCLUDED.aura_id
        """,
        org_id,
        user_id,
        aura.aura_id,
        display_name,
        aura.privacy_level,
        aura.allow_cross_app_calls,
        list(aura.federated_domains),
    )


async def set_aura_display_name(conn: asyncpg.Connection, user_id: UUID, display_name: str) -> None:
    await conn.execute(
        "UPDATE aura_id_registry SET display_name = nullif($2, '') WHERE user_id = $1", user_id, display_name
    )


async def delete_aura(conn: asyncpg.Connection, user_id: UUID) -> None:
    await conn.execute("DELETE FROM aura_id_registry WHERE user_id = $1", user_id)


async def resolve_aura(conn: asyncpg.Connection, aura_id: str) -> ResolvedAuraId | None:
    """Through resolve_aura_id(): public entries of every org, and every entry of the caller's own org.

    The function does not return the privacy level. An entry of another org is public by construction;
    inside the org, RLS shows public and contacts entries to members, so an own-org entry the table
    hides from the caller is private.
    """
    row = await conn.fetchrow(
        """
        SELECT f.aura_id, f.user_id, f.organization_id, coalesce(f.display_name, '') AS display_name,
               f.is_verified, f.allow_cross_app_calls, f.federated_domains,
               CASE WHEN f.organization_id = app_current_org_id()
                    THEN coalesce((SELECT r.privacy_level FROM aura_id_registry r WHERE r.aura_id = f.aura_id),
                                  'private')
                    ELSE 'public' END AS privacy_level
        FROM resolve_aura_id($1) f
        """,
        aura_id,
    )
    if row is None:
        return None
    return ResolvedAuraId(
        row["aura_id"],
        row["user_id"],
        row["organization_id"],
        row["display_name"],
        row["privacy_level"],
        row["allow_cross_app_calls"],
        tuple(row["federated_domains"]),
        row["is_verified"],
    )


# -- base roles ---------------------------------------------------------------------------------------


async def base_role_permissions(conn: asyncpg.Connection, role: str) -> list[str] | None:
    """The permissions a base role carries (its system role), or None when the catalogue lacks it."""
    raw = await conn.fetchval(
        "SELECT permissions FROM rbac_roles WHERE organization_id IS NULL AND is_system_role AND name = $1", role
    )
    if raw is None:
        return None
    value = json.loads(raw) if isinstance(raw, str) else raw
    return [str(p) for p in value]
