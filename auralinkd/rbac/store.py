"""SQL of the RBAC domain."""

from __future__ import annotations

import json
from uuid import UUID

import asyncpg

from auralinkd.rbac.catalogue import SystemRole

# -- effective permissions (the hot path's cache fill) ------------------------------------------

_PRINCIPAL_STATE = """
SELECT u.role, u.is_active AND u.deleted_at IS NULL AS user_active, o.is_active AND o.deleted_at IS NULL AS org_active
FROM users u JOIN organizations o ON o.id = u.organization_id
WHERE u.id = $1 AND ($2::uuid IS NULL OR u.organization_id = $2)
"""

_ROLE_PERMISSIONS = """
SELECT r.name, r.permissions FROM rbac_roles r
WHERE r.organization_id IS NULL AND r.name = $2
UNION ALL
SELECT r.name, r.permissions
FROM rbac_role_assignments a JOIN rbac_roles r ON r.id = a.role_id
WHERE a.user_id = $1 AND (a.expires_at IS NULL OR a.expires_at > now())
"""


async def load_effective(
    conn: asyncpg.Connection, user_id: UUID, org_id: UUID | None = None
) -> tuple[bool, list[str], set[str]] | None:
    """(active, role names, permissions) of a user, or None when the user is not visible/does not exist.

    With `org_id`, also None when the user is not a member of that organization (a token's org claim
    must be the user's own org; RLS hides other orgs' users too, this does not depend on it).
    """
    state = await conn.fetchrow(_PRINCIPAL_STATE, user_id, org_id)
    if state is None:
        return None
    rows = await conn.fetch(_ROLE_PERMISSIONS, user_id, state["role"])
    permissions: set[str] = set()
    for row in rows:
        permissions.update(json.loads(row["permissions"]))
    active = bool(state["user_active"] and state["org_active"])
    return active, [row["name"] for row in rows], permissions


# -- system roles, synchronised from the catalogue at start-up ------------------------------------


async def sync_system_roles(conn: asyncpg.Connection, roles: list[SystemRole]) -> None:
    for role in roles:
        await conn.execute(
            """
            INSERT INTO rbac_roles (organization_id, name, description, permissions, is_system_role)
            VALUES (NULL, $1, $2, $3::jsonb, true)
            ON CONFLICT (organization_id, name) DO UPDATE
               SET description = EXCLUDED.description, permissions = EXCLUDED.permissions, updated_at = now()
             WHERE rbac_roles.permissions IS DISTINCT FROM EXCLUDED.permissions
                OR rbac_roles.description IS DISTINCT FROM EXCLUDED.description
            """,
            role.name,
            role.description,
            json.dumps(list(role.permissions)),
        )


async def sync_permission_catalogue(conn: asyncpg.Connection, permissions: list[tuple[str, str]]) -> None:
    """Mirror the catalogue into rbac_permissions (reference data for SQL users and reports)."""
    await conn.executemany(
        """
        INSERT INTO rbac_permissions (name, resource, action, description) VALUES ($1, $2, $3, $4)
        ON CONFLICT (name) DO UPDATE SET description = EXCLUDED.description
        """,
        [(name, *name.split(":", 1), description) for name, description in permissions],
    )
    await conn.execute("DELETE FROM rbac_permissions WHERE NOT (name = ANY($1::text[]))", [n for n, _ in permissions])


async def assign_system_role(conn: asyncpg.Connection, user_id: UUID, org_id: UUID, role_name: str) -> None:
    await conn.execute(
        """
        INSERT INTO rbac_role_assignments (organization_id, user_id, role_id)
        SELECT $2, $1, id FROM rbac_roles WHERE organization_id IS NULL AND name = $3
        ON CONFLICT (user_id, role_id) DO NOTHING
        """,
        user_id,
        org_id,
        role_name,
    )


# -- roles and assignments (RoleService) ----------------------------------------------------------
# Every query below runs in a tenant transaction: RLS shows system roles plus the caller's org's own
# roles, assignments and users, so another org's ids simply find nothing.

_ROLE_COLUMNS = "id, organization_id, name, description, permissions, is_system_role, created_at, updated_at"


async def find_role(
    conn: asyncpg.Connection, org_id: UUID, *, role_id: UUID | None = None, name: str | None = None
) -> asyncpg.Record | None:
    """A role by id, or by name: the org's custom role first, then the system role of that name."""
    if role_id is not None:
        return await conn.fetchrow(f"SELECT {_ROLE_COLUMNS} FROM rbac_roles WHERE id = $1", role_id)
    return await conn.fetchrow(
        f"""
        SELECT {_ROLE_COLUMNS} FROM rbac_roles
        WHERE name = $2 AND (organization_id = $1 OR organization_id IS NULL)
        ORDER BY organization_id NULLS LAST LIMIT 1
        """,
        org_id,
        name,
    )


async def lock_custom_role(conn: asyncpg.Connection, role_id: UUID) -> asyncpg.Record | None:
    """Re-read a custom role and hold its row lock until the transaction ends."""
    return await conn.fetchrow(
        f"SELECT {_ROLE_COLUMNS} FROM rbac_roles WHERE id = $1 AND NOT is_system_role FOR UPDATE", role_id
    )


async def find_system_role(conn: asyncpg.Connection, name: str) -> asyncpg.Record | None:
    return await conn.fetchrow(
        f"SELECT {_ROLE_COLUMNS} FROM rbac_roles WHERE organization_id IS NULL AND name = $1", name
    )


async def system_role_exists(conn: asyncpg.Connection, name: str) -> bool:
    found = await conn.fetchval("SELECT 1 FROM rbac_roles WHERE organization_id IS NULL AND name = $1", name)
    return found is not None


async def insert_role(
    conn: asyncpg.Connection, org_id: UUID, name: str, description: str, permissions: list[str]
) -> asyncpg.Record:
    """Raises asyncpg.UniqueViolationError when the org already has a role of that name."""
    return await conn.fetchrow(
        f"""
        INSERT INTO rbac_roles (organization_id, name, description, permissions, is_system_role)
        VALUES ($1, $2, $3, $4::jsonb, false)
        RETURNING {_ROLE_COLUMNS}
        """,
        org_id,
        name,
        description,
        json.dumps(permissions),
    )


async def update_role(
    conn: asyncpg.Connection, role_id: UUID, name: str, description: str, permissions: list[str]
) -> asyncpg.Record | None:
    """Raises asyncpg.UniqueViolationError on a name clash; never touches a system role."""
    return await conn.fetchrow(
        f"""
        UPDATE rbac_roles SET name = $2, description = $3, permissions = $4::jsonb
        WHERE id = $1 AND NOT is_system_role
        RETURNING {_ROLE_COLUMNS}
        """,
        role_id,
        name,
        description,
        json.dumps(permissions),
    )


async def delete_role(conn: asyncpg.Connection, role_id: UUID) -> int | None:
    """Delete a custom role (its assignments go with it); the number of assignments removed, or None."""
    assignments = await conn.fetchval("SELECT count(*) FROM rbac_role_assignments WHERE role_id = $1", role_id)
    deleted = await conn.fetchval("DELETE FROM rbac_roles WHERE id = $1 AND NOT is_system_role RETURNING id", role_id)
    return None if deleted is None else int(assignments)


async def list_roles(conn: asyncpg.Connection, after: tuple[str, UUID] | None, limit: int) -> list[asyncpg.Record]:
    """System roles and the org's roles, by (name, id), starting after a keyset position."""
    if after is None:
        return await conn.fetch(f"SELECT {_ROLE_COLUMNS} FROM rbac_roles ORDER BY name, id LIMIT $1", limit)
    return await conn.fetch(
        f"SELECT {_ROLE_COLUMNS} FROM rbac_roles WHERE (name, id) > ($1, $2) ORDER BY name, id LIMIT $3",
        after[0],
        after[1],
        limit,
    )


async def find_user(
    conn: asyncpg.Connection,
    org_id: UUID,
    *,
    user_id: UUID | None = None,
    username: str | None = None,
    email: str | None = None,
) -> asyncpg.Record | None:
    """A live user of the org (id, organization_id, role) by id, username or email."""
    if user_id is not None:
        where, value = "id = $2", user_id
    elif email is not None:
        where, value = "lower(email) = lower($2)", email
    else:
        where, value = "username = $2", username
    return await conn.fetchrow(
        f"SELECT id, organization_id, role FROM users WHERE organization_id = $1 AND deleted_at IS NULL AND {where}",
        org_id,
        value,
    )


_ASSIGNMENT_COLUMNS = "a.id, a.user_id, a.role_id, r.name AS role_name, a.granted_by, a.created_at"


async def insert_assignment(
    conn: asyncpg.Connection, org_id: UUID, user_id: UUID, role_id: UUID, granted_by: UUID
) -> asyncpg.Record | None:
    """The new assignment, or None when the user already holds the role."""
    return await conn.fetchrow(
        f"""
        WITH a AS (
            INSERT INTO rbac_role_assignments (organization_id, user_id, role_id, granted_by)
            VALUES ($1, $2, $3, $4)
            ON CONFLICT (user_id, role_id) DO NOTHING
            RETURNING *
        )
        SELECT {_ASSIGNMENT_COLUMNS} FROM a JOIN rbac_roles r ON r.id = a.role_id
        """,
        org_id,
        user_id,
        role_id,
        granted_by,
    )


async def delete_assignment(conn: asyncpg.Connection, user_id: UUID, role_id: UUID) -> bool:
    deleted = await conn.fetchval(
        "DELETE FROM rbac_role_assignments WHERE user_id = $1 AND role_id = $2 RETURNING id", user_id, role_id
    )
    return deleted is not None


async def list_assignments(conn: asyncpg.Connection, user_id: UUID) -> list[asyncpg.Record]:
    """A user's live (unexpired) assignments, by role name."""
    return await conn.fetch(
        f"""
        SELECT {_ASSIGNMENT_COLUMNS}
        FROM rbac_role_assignments a JOIN rbac_roles r ON r.id = a.role_id
        WHERE a.user_id = $1 AND (a.expires_at IS NULL OR a.expires_at > now())
        ORDER BY r.name, a.id
        """,
        user_id,
    )
