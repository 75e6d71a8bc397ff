"""SQL of the access domain."""

from __future__ import annotations

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
