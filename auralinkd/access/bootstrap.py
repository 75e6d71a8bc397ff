"""First start: the JWT secret (development), the admin user and org, and the local admin token file.

The token file is the local operator's credential (like a kubeconfig): 0600 in the data directory.
Its path is logged, never its contents.
"""

from __future__ import annotations

import logging
import os
import secrets
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from auralinkd.access import store
from auralinkd.access.tokens import TokenService
from auralinkd.config import Settings
from auralinkd.db.database import Database
from auralinkd.errors import Unauthenticated
from auralinkd.rbac import store as rbac_store
from auralinkd.rbac.catalogue import PLATFORM_ADMIN_ROLE

log = logging.getLogger(__name__)

SECRET_FILE = "jwt.secret"
ADMIN_TOKEN_FILE = "admin.token"
_RENEW_WHEN_LEFT_S = 7 * 24 * 3600


def write_private(path: Path, content: str) -> None:
    """Atomically write a file only the owner can read."""
    tmp = path.with_name(f".{path.name}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(content)
    os.chmod(tmp, 0o600)
    os.replace(tmp, path)


def jwt_secret(settings: Settings) -> bytes:
    if settings.jwt_secret is not None:
        return settings.jwt_secret.get_secret_value().encode()
    path = settings.data_dir / SECRET_FILE
    if path.is_file():
        return path.read_text().strip().encode()
    value = secrets.token_urlsafe(48)
    write_private(path, value + "\n")
    log.info("generated a development JWT secret in %s", path)
    return value.encode()


async def ensure_admin_token(
    settings: Settings, database: Database, tokens: TokenService, revoked: Callable[[str], bool]
) -> Path:
    """The first org and its admin (a platform admin), and a token file for the local operator."""
    async with database.system() as conn:
        user_id, org_id = await store.ensure_admin(conn)
        await rbac_store.assign_system_role(conn, user_id, org_id, PLATFORM_ADMIN_ROLE)
    path = settings.data_dir / ADMIN_TOKEN_FILE
    if not _still_good(path, tokens, user_id, revoked):
        token, claims = tokens.issue(user_id, org_id, None, settings.admin_token_ttl_s)
        async with database.system() as conn:
            await store.record_token(
                conn, org_id=org_id, user_id=user_id, token_id=claims.token_id, scopes=None,
                description="local admin token (admin.token)",
                issued_at=datetime.fromtimestamp(claims.issued_at, UTC),
                expires_at=datetime.fromtimestamp(claims.expires_at, UTC),
            )  # fmt: skip
        write_private(path, token + "\n")
        log.info("wrote a new admin token to %s", path)
    return path


def _still_good(path: Path, tokens: TokenService, user_id: object, revoked: Callable[[str], bool]) -> bool:
    """Keep a valid token across restarts so scripts holding it keep working."""
    if not path.is_file():
        return False
    try:
        claims = tokens.verify(path.read_text().strip())
    except Unauthenticated:
        return False
    if revoked(claims.token_id):
        return False
    return claims.user_id == user_id and claims.expires_at - time.time() > _RENEW_WHEN_LEFT_S
