"""SQL of the access domain: the first admin, issued tokens, the revocation list and API keys."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

import asyncpg

DEFAULT_ORG_SLUG = "default"
ADMIN_USERNAME = "admin"
ADMIN_EMAIL = "admin@auralink.local"


async def ensure_admin(conn: asyncpg.Connection) -> tuple[UUID, UUID]:
    """The first org and its admin user, created once; returns (user_id, org_id)."""
    org_id = await conn.fetchval(
        """
        INSERT INTO organizations (name, slug) VALUES ('Default organization', $1)
        ON CONFLICT (slug) DO UPDATE SET slug = EXCLUDED.slug
        RETURNING id
        """,
        DEFAULT_ORG_SLUG,
    )
    user_id = await conn.fetchval(
        "SELECT id FROM users WHERE organization_id = $1 AND username = $2", org_id, ADMIN_USERNAME
    )
    if user_id is None:
        user_id = await conn.fetchval(
            """
            INSERT INTO users (organization_id, email, username, display_name, role, email_verified)
            VALUES ($1, $2, $3, 'Administrator', 'admin', true)
            RETURNING id
            """,
            org_id,
            ADMIN_EMAIL,
            ADMIN_USERNAME,
        )
    return user_id, org_id


# -- issued tokens --------------------------------------------------------------------------------


async def record_token(
    conn: asyncpg.Connection,
    *,
    org_id: UUID,
    user_id: UUID,
    token_id: str,
    scopes: list[str] | None,
    description: str,
    issued_at: datetime,
    expires_at: datetime,
    api_key_id: UUID | None = None,
) -> None:
    await conn.execute(
        """
        INSERT INTO sessions (organization_id, user_id, jti, scopes, description, created_at, expires_at, api_key_id)
        VALUES ($1, $2, $3, $4, NULLIF($5, ''), $6, $7, $8)
        """,
        org_id,
        user_id,
        token_id,
        scopes,
        description,
        issued_at,
        expires_at,
        api_key_id,
    )


async def origin_api_key(conn: asyncpg.Connection, credential_type: str, credential_id: str) -> UUID | None:
    """The API key a credential was obtained with: the key itself, or the one a token was derived from."""
    if credential_type == "api_key":
        return await conn.fetchval("SELECT id FROM api_keys WHERE prefix = $1", credential_id)  # type: ignore[no-any-return]
    return await conn.fetchval("SELECT api_key_id FROM sessions WHERE jti = $1", credential_id)  # type: ignore[no-any-return]


async def live_tokens_of_api_key(conn: asyncpg.Connection, key_id: UUID) -> list[asyncpg.Record]:
    return await conn.fetch(
        """
        SELECT jti, organization_id, user_id, expires_at FROM sessions
        WHERE api_key_id = $1 AND revoked_at IS NULL AND expires_at > now()
        """,
        key_id,
    )


async def user_organization(conn: asyncpg.Connection, user_id: UUID) -> UUID | None:
    """The organization of a user visible on `conn` (RLS applies on a tenant connection)."""
    return await conn.fetchval(  # type: ignore[no-any-return]
        "SELECT organization_id FROM users WHERE id = $1 AND deleted_at IS NULL", user_id
    )


async def list_tokens(
    conn: asyncpg.Connection, user_id: UUID, include_revoked: bool, before: tuple[datetime, str] | None, limit: int
) -> list[asyncpg.Record]:
    return await conn.fetch(
        """
        SELECT jti, user_id, scopes, description, created_at, expires_at, revoked_at FROM sessions
        WHERE user_id = $1 AND ($2 OR revoked_at IS NULL)
          AND ($3::timestamptz IS NULL OR (created_at, jti) < ($3, $4))
        ORDER BY created_at DESC, jti DESC
        LIMIT $5
        """,
        user_id,
        include_revoked,
        before[0] if before else None,
        before[1] if before else "",
        limit,
    )


async def find_token(conn: asyncpg.Connection, token_id: str) -> asyncpg.Record | None:
    return await conn.fetchrow(
        "SELECT jti, organization_id, user_id, expires_at, revoked_at FROM sessions WHERE jti = $1", token_id
    )


async def revoke_token(
    conn: asyncpg.Connection, *, token_id: str, org_id: UUID, user_id: UUID, expires_at: datetime, reason: str
) -> None:
    await conn.execute("UPDATE sessions SET revoked_at = now() WHERE jti = $1 AND revoked_at IS NULL", token_id)
    await conn.execute(
        """
        INSERT INTO revoked_tokens (jti, organization_id, user_id, reason, expires_at)
        VALUES ($1, $2, $3, NULLIF($4, ''), $5)
        ON CONFLICT (jti) DO NOTHING
        """,
        token_id,
        org_id,
        user_id,
        reason,
        expires_at,
    )


async def live_revocations(conn: asyncpg.Connection) -> list[str]:
    """Every revoked, not yet expired token id, across orgs (the daemon's own bookkeeping)."""
    rows = await conn.fetch("SELECT jti FROM revoked_tokens WHERE expires_at > now() - interval '1 minute'")
    return [row["jti"] for row in rows]


# -- API keys -------------------------------------------------------------------------------------

_API_KEY_COLUMNS = "id, name, prefix, user_id, scopes, created_at, expires_at, last_used_at, revoked_at"


async def insert_api_key(
    conn: asyncpg.Connection,
    *,
    org_id: UUID,
    user_id: UUID,
    name: str,
    prefix: str,
    key_hash: str,
    scopes: list[str],
    expires_at: datetime | None,
) -> asyncpg.Record:
    return await conn.fetchrow(
        f"""
        INSERT INTO api_keys (organization_id, user_id, name, prefix, key_hash, scopes, expires_at)
        VALUES ($1, $2, $3, $4, $5, $6, $7)
        RETURNING {_API_KEY_COLUMNS}
        """,
        org_id,
        user_id,
        name,
        prefix,
        key_hash,
        scopes,
        expires_at,
    )


async def list_api_keys(
    conn: asyncpg.Connection, include_revoked: bool, before: tuple[datetime, UUID] | None, limit: int
) -> list[asyncpg.Record]:
    return await conn.fetch(
        f"""
        SELECT {_API_KEY_COLUMNS} FROM api_keys
        WHERE user_id = app_current_user_id() AND ($1 OR revoked_at IS NULL)
          AND ($2::timestamptz IS NULL OR (created_at, id) < ($2, $3))
        ORDER BY created_at DESC, id DESC
        LIMIT $4
        """,
        include_revoked,
        before[0] if before else None,
        before[1] if before else None,
        limit,
    )


async def revoke_api_key(conn: asyncpg.Connection, key: str) -> asyncpg.Record | None:
    """Revoke by id or prefix; returns the key, or None when it is not visible to the caller."""
    key_id: UUID | None
    try:
        key_id = UUID(key)
    except ValueError:
        key_id = None
    return await conn.fetchrow(
        f"""
        UPDATE api_keys SET revoked_at = coalesce(revoked_at, now())
        WHERE (id = $1 OR prefix = $2)
        RETURNING {_API_KEY_COLUMNS}
        """,
        key_id,
        key,
    )


async def find_api_key(conn: asyncpg.Connection, prefix: str) -> asyncpg.Record | None:
    """Pre-login look-up through the SECURITY DEFINER function (no tenant is known yet)."""
    return await conn.fetchrow("SELECT * FROM auth_find_api_key($1)", prefix)


async def touch_api_key(conn: asyncpg.Connection, key_id: UUID) -> None:
    await conn.execute(
        "UPDATE api_keys SET last_used_at = now() WHERE id = $1 AND (last_used_at IS NULL "
        "OR last_used_at < now() - interval '1 minute')",
        key_id,
    )
