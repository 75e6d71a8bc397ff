"""Forward-only SQL migrations: applied in order, each in its own transaction, under an advisory lock.

Each applied file is recorded in `schema_migrations` with its sha256. A file that changed after it was
applied, or an applied migration this build does not have, stops start-up: the schema would be a guess.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import asyncpg

MIGRATIONS_DIR = Path(__file__).resolve().parents[2] / "migrations"
_FILE_NAME = re.compile(r"^(\d{3})_([a-z0-9_]+)\.sql$")
# Any constant works; it only has to be the same in every replica ("auralink" in ASCII).
_ADVISORY_LOCK_KEY = 0x617572616C696E6B

_CREATE_TABLE = """
CREATE TABLE IF NOT EXISTS schema_migrations (
    version    integer PRIMARY KEY,
    name       text        NOT NULL,
    checksum   text        NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now()
)
"""


class MigrationError(Exception):
    """The migrations on disk and in the database disagree; start-up must not continue."""


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    sql: str

    @property
    def checksum(self) -> str:
        return hashlib.sha256(self.sql.encode()).hexdigest()

    @property
    def file_name(self) -> str:
        return f"{self.version:03d}_{self.name}.sql"


@dataclass(frozen=True)
class AppliedMigration:
    version: int
    name: str
    checksum: str
    applied_at: datetime


@dataclass(frozen=True)
class MigrationStatus:
    applied: list[AppliedMigration]
    pending: list[Migration]

    @property
    def level(self) -> int:
        return max((m.version for m in self.applied), default=0)


def discover(directory: Path = MIGRATIONS_DIR) -> list[Migration]:
    migrations: list[Migration] = []
    for path in sorted(directory.glob("*.sql")):
        match = _FILE_NAME.match(path.name)
        if match is None:
            raise MigrationError(f"{path.name}: migration files must be named NNN_lowercase_name.sql")
        migrations.append(Migration(int(match[1]), match[2], path.read_text()))
    versions = [m.version for m in migrations]
    if versions != list(range(1, len(versions) + 1)):
        raise MigrationError(f"migration numbers must run 1..N without gaps or repeats, found {versions}")
    return migrations


async def status(conn: asyncpg.Connection, migrations: list[Migration]) -> MigrationStatus:
    """Compare disk and database; raises MigrationError on a changed or unknown applied migration."""
    exists = await conn.fetchval("SELECT to_regclass('schema_migrations') IS NOT NULL")
    rows = await conn.fetch("SELECT * FROM schema_migrations ORDER BY version") if exists else []
    applied = [AppliedMigration(r["version"], r["name"], r["checksum"], r["applied_at"]) for r in rows]
    on_disk = {m.version: m for m in migrations}
    for record in applied:
        migration = on_disk.get(record.version)
        if migration is None:
            raise MigrationError(
                f"database has migration {record.version:03d}_{record.name} that this build does not know; "
                "run a newer auralinkd"
            )
        if migration.checksum != record.checksum:
            raise MigrationError(
                f"{migration.file_name} changed after it was applied (sha256 {record.checksum[:12]}… in the "
                f"database, {migration.checksum[:12]}… on disk); migrations are forward-only: add a new file"
            )
    done = {r.version for r in applied}
    return MigrationStatus(applied, [m for m in migrations if m.version not in done])


async def apply(conn: asyncpg.Connection, migrations: list[Migration]) -> list[Migration]:
    """Apply what is pending; safe to run from several replicas at once."""
    await conn.execute("SELECT pg_advisory_lock($1)", _ADVISORY_LOCK_KEY)
    try:
        await conn.execute(_CREATE_TABLE)
        pending = (await status(conn, migrations)).pending
        for migration in pending:
            try:
                async with conn.transaction():
                    await conn.execute(migration.sql)
                    await conn.execute(
                        "INSERT INTO schema_migrations (version, name, checksum) VALUES ($1, $2, $3)",
                        migration.version,
                        migration.name,
                        migration.checksum,
                    )
            except asyncpg.PostgresError as exc:
                raise MigrationError(f"{migration.file_name} failed and was rolled back: {exc}") from exc
        return pending
    finally:
        await conn.execute("SELECT pg_advisory_unlock($1)", _ADVISORY_LOCK_KEY)
