"""`auralinkd migrate [--status]`: apply pending migrations, or show where they stand, then exit."""

from __future__ import annotations

import asyncio

import asyncpg

from auralinkd.config import Settings
from auralinkd.db import migrate
from auralinkd.db.connect import with_retry
from auralinkd.db.embedded import EmbeddedPostgres


async def run_migrate(settings: Settings, *, status_only: bool) -> int:
    embedded = EmbeddedPostgres(settings.data_dir / "pg") if settings.embedded_database else None
    try:
        if embedded is not None:
            settings.data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
            dsn = await asyncio.to_thread(embedded.start)
        else:
            assert settings.database_url is not None
            dsn = settings.database_url.get_secret_value()
        conn = await with_retry(lambda: asyncpg.connect(dsn, timeout=5), attempts=settings.db_connect_attempts)
        try:
            migrations = migrate.discover(settings.migrations_dir or migrate.MIGRATIONS_DIR)
            if not status_only:
                for migration in await migrate.apply(conn, migrations):
                    print(f"applied  {migration.file_name}")
            state = await migrate.status(conn, migrations)
        finally:
            await conn.close()
    except migrate.MigrationError as exc:
        print(f"auralinkd migrate: {exc}")
        return 1
    finally:
        if embedded is not None:
            await asyncio.to_thread(embedded.stop)
    for record in state.applied:
        print(f"applied  {record.version:03d}_{record.name}.sql  {record.applied_at:%Y-%m-%d %H:%M:%S%z}")
    for migration in state.pending:
        print(f"pending  {migration.file_name}")
    print(f"level {state.level}, {len(state.pending)} pending")
    return 1 if status_only and state.pending else 0
