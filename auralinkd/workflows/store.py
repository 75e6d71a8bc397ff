"""SQL of the workflows domain: definitions (versioned), runs, their events, engine checkpoints and schedules.
Parameters only.

Tenant queries run under RLS (migration 016): another org's definition, or another user's run, is not
there. The lease queries (which replica drives a run; adopting runs whose daemon died) run as the
daemon's own role through `Database.system()`.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any
from uuid import UUID

import asyncpg

_DEF = "d.id, d.name, d.engine, d.version, d.description, d.definition, d.created_by, d.created_at"
_RUN = """r.id, r.organization_id, r.user_id, r.owner_is_admin, r.workflow_id, r.status, r.inputs, r.output,
    r.error, r.current_step, r.waiting_prompt, r.started_at, r.completed_at, r.created_at, r.schedule_id,
    r.prefect_flow_run_id, d.name AS workflow_name, d.version AS workflow_version, d.engine, d.definition"""


def _dict(row: asyncpg.Record | None) -> dict[str, Any] | None:
    return dict(row) if row is not None else None


# -- definitions ----------------------------------------------------------------------------------


async def insert_definition(
    conn: asyncpg.Connection, org_id: UUID, user_id: UUID, values: dict[str, Any]
) -> dict[str, Any]:
    """The next version of `name` (1 for a new name); the name's rows are locked while numbering."""
    await conn.execute(
        "SELECT pg_advisory_xact_lock(hashtext('workflow:' || $1::uuid::text || ':' || $2::text))",
        org_id,
        values["name"],
    )
    version = await conn.fetchval(
        "SELECT coalesce(max(version), 0) + 1 FROM workflow_definitions WHERE name = $1", values["name"]
    )
    row = await conn.fetchrow(
        f"""INSERT INTO workflow_definitions AS d (organization_id, created_by, name, engine, version, description,
                                                 definition, source)
            VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb, $8) RETURNING {_DEF}""",
        org_id, user_id, values["name"], values["engine"], version, values["description"] or None,
        json.dumps(values["definition"]), values["source"],
    )  # fmt: skip
    return dict(row)


async def get_definition(
    conn: asyncpg.Connection, ident: UUID | None, name: str, version: int
) -> dict[str, Any] | None:
    if ident is not None:
        return _dict(await conn.fetchrow(f"SELECT {_DEF} FROM workflow_definitions d WHERE d.id = $1", ident))
    return _dict(
        await conn.fetchrow(
            f"""SELECT {_DEF} FROM workflow_definitions d WHERE d.name = $1 AND ($2 = 0 OR d.version = $2)
                ORDER BY d.version DESC LIMIT 1""",
            name,
            version,
        )
    )


async def list_latest(conn: asyncpg.Connection, after: str | None, limit: int) -> list[dict[str, Any]]:
    rows = await conn.fetch(
        f"""SELECT DISTINCT ON (d.name) {_DEF} FROM workflow_definitions d
            WHERE ($1::text IS NULL OR d.name > $1)
            ORDER BY d.name, d.version DESC LIMIT $2""",
        after,
        limit,
    )
    return [dict(r) for r in rows]


async def delete_definitions(conn: asyncpg.Connection, name: str) -> int:
    rows = await conn.fetch("DELETE FROM workflow_definitions WHERE name = $1 RETURNING id", name)
    return len(rows)


# -- runs -----------------------------------------------------------------------------------------


async def insert_run(
    conn: asyncpg.Connection, org_id: UUID, user_id: UUID, is_admin: bool, workflow_id: UUID, inputs: dict[str, str],
    replica_id: str, lease_s: float, schedule_id: UUID | None = None, flow_run_id: UUID | None = None,
) -> UUID:  # fmt: skip
    return await conn.fetchval(  # type: ignore[no-any-return]
        """INSERT INTO workflow_runs (organization_id, user_id, owner_is_admin, workflow_id, status, inputs,
                                      replica_id, lease_until, started_at, schedule_id, prefect_flow_run_id)
           VALUES ($1, $2, $3, $4, 'running', $5::jsonb, $6, now() + make_interval(secs => $7), now(), $8, $9)
           RETURNING id""",
        org_id, user_id, is_admin, workflow_id, json.dumps(inputs), replica_id, lease_s, schedule_id, flow_run_id,
    )  # fmt: skip


async def get_run(conn: asyncpg.Connection, run_id: UUID, *, lock: bool = False) -> dict[str, Any] | None:
    if lock and await conn.fetchval("SELECT id FROM workflow_runs WHERE id = $1 FOR UPDATE", run_id) is None:
        return None
    return _dict(
        await conn.fetchrow(
            f"SELECT {_RUN} FROM workflow_runs r JOIN workflow_definitions d ON d.id = r.workflow_id WHERE r.id = $1",
            run_id,
        )
    )


async def list_runs(
    conn: asyncpg.Connection, after: tuple[datetime, UUID] | None, limit: int, name: str | None
) -> list[dict[str, Any]]:
    rows = await conn.fetch(
        f"""SELECT {_RUN} FROM workflow_runs r JOIN workflow_definitions d ON d.id = r.workflow_id
            WHERE ($1::text IS NULL OR d.name = $1)
              AND ($2::timestamptz IS NULL OR (r.created_at, r.id) < ($2::timestamptz, $3::uuid))
            ORDER BY r.created_at DESC, r.id DESC LIMIT $4""",
        name, after[0] if after else None, after[1] if after else None, limit,
    )  # fmt: skip
    return [dict(r) for r in rows]


async def update_run(conn: asyncpg.Connection, run_id: UUID, **values: Any) -> None:
    """Sets the given columns (names from this module's callers only); `output` is JSON."""
    sets, args = [], [run_id]
    for column, value in values.items():
        args.append(json.dumps(value) if column == "output" else value)
        cast = "::jsonb" if column == "output" else ""
        sets.append(f"{column} = ${len(args)}{cast}")
    if values.get("status") in ("completed", "failed", "cancelled"):
        sets.append("completed_at = now()")
    await conn.execute(f"UPDATE workflow_runs SET {', '.join(sets)} WHERE id = $1", *args)


# -- events ---------------------------------------------------------------------------------------


async def insert_event(
    conn: asyncpg.Connection, run: dict[str, Any], kind: str, step: str, data: dict[str, Any]
) -> tuple[int, datetime]:
    """The run's next event (the caller holds the run row's lock, so seq has no gaps or races)."""
    row = await conn.fetchrow(
        """INSERT INTO workflow_run_events (run_id, seq, organization_id, user_id, kind, step, data)
           VALUES ($1, (SELECT coalesce(max(seq), 0) + 1 FROM workflow_run_events WHERE run_id = $1),
                   $2, $3, $4, $5, $6::jsonb)
           RETURNING seq, created_at""",
        run["id"], run["organization_id"], run["user_id"], kind, step, json.dumps(data),
    )  # fmt: skip
    return row["seq"], row["created_at"]


async def append_event(
    conn: asyncpg.Connection, run_id: UUID, kind: str, step: str, data: dict[str, Any], note_step: bool
) -> tuple[int, datetime] | None:
    """The run's next event, in one statement: locks the run row (so seq has no gaps or races), sets
    current_step when `note_step`, and appends nothing (None) when the run has ended or is gone."""
    row = await conn.fetchrow(
        """WITH run AS (
               SELECT id, organization_id, user_id FROM workflow_runs
               WHERE id = $1 AND status NOT IN ('completed', 'failed', 'cancelled') FOR UPDATE
           ), noted AS (
               UPDATE workflow_runs SET current_step = $3 WHERE $5 AND id = (SELECT id FROM run) RETURNING id
           )
           INSERT INTO workflow_run_events (run_id, seq, organization_id, user_id, kind, step, data)
           SELECT run.id, (SELECT coalesce(max(seq), 0) + 1 FROM workflow_run_events WHERE run_id = $1),
                  run.organization_id, run.user_id, $2, $3, $4::jsonb
           FROM run LEFT JOIN noted ON true
           RETURNING seq, created_at""",
        run_id, kind, step, json.dumps(data), note_step,
    )  # fmt: skip
    return (row["seq"], row["created_at"]) if row is not None else None


async def events_after(conn: asyncpg.Connection, run_id: UUID, after_seq: int) -> list[dict[str, Any]]:
    rows = await conn.fetch(
        """SELECT seq, kind, step, data, created_at FROM workflow_run_events
           WHERE run_id = $1 AND seq > $2 ORDER BY seq""",
        run_id,
        after_seq,
    )
    return [dict(r) for r in rows]


# -- checkpoints (migration 019) ------------------------------------------------------------------


async def put_checkpoint(conn: asyncpg.Connection, run_id: UUID, key: str, data: Any) -> bool:
    """Stores (or replaces) the run's checkpoint `key`; False when the run is not there (gone, or not the
    caller's) or has ended."""
    row = await conn.fetchrow(
        """INSERT INTO workflow_run_checkpoints AS c (run_id, key, organization_id, user_id, data)
           SELECT id, $2, organization_id, user_id, $3::jsonb FROM workflow_runs
           WHERE id = $1 AND status NOT IN ('completed', 'failed', 'cancelled')
           ON CONFLICT (run_id, key) DO UPDATE SET data = excluded.data
           RETURNING c.run_id""",
        run_id, key, json.dumps(data),
    )  # fmt: skip
    return row is not None


async def get_checkpoint(conn: asyncpg.Connection, run_id: UUID, key: str) -> Any:
    """The run's checkpoint `key` (None when there is none)."""
    value = await conn.fetchval("SELECT data FROM workflow_run_checkpoints WHERE run_id = $1 AND key = $2", run_id, key)
    return json.loads(value) if isinstance(value, str) else value


async def checkpoints(conn: asyncpg.Connection, run_id: UUID, prefix: str) -> dict[str, Any]:
    """The run's checkpoints whose key starts with `prefix`, by key."""
    rows = await conn.fetch(
        "SELECT key, data FROM workflow_run_checkpoints WHERE run_id = $1 AND starts_with(key, $2) ORDER BY key",
        run_id,
        prefix,
    )
    return {r["key"]: json.loads(r["data"]) if isinstance(r["data"], str) else r["data"] for r in rows}


# -- leases (daemon role) -------------------------------------------------------------------------


async def take_lease(conn: asyncpg.Connection, run_id: UUID, replica_id: str, lease_s: float) -> None:
    """This replica drives the run from now on (a resumed run continues where the resume was answered)."""
    await conn.execute(
        "UPDATE workflow_runs SET replica_id = $2, lease_until = now() + make_interval(secs => $3) WHERE id = $1",
        run_id,
        replica_id,
        lease_s,
    )


async def renew_leases(conn: asyncpg.Connection, replica_id: str, run_ids: list[UUID], lease_s: float) -> None:
    await conn.execute(
        """UPDATE workflow_runs SET lease_until = now() + make_interval(secs => $3)
           WHERE id = ANY($2::uuid[]) AND replica_id = $1 AND status = 'running'""",
        replica_id,
        run_ids,
        lease_s,
    )


async def adopt_orphans(
    conn: asyncpg.Connection, replica_id: str, lease_s: float, limit: int, driving: list[UUID]
) -> list[dict[str, Any]]:
    """Runs still 'running' whose lease lapsed (their daemon died): now this replica's. Never one this replica
    drives itself (`driving`): a renewal that came late on a busy machine must not start a second driver."""
    rows = await conn.fetch(
        """UPDATE workflow_runs SET replica_id = $1, lease_until = now() + make_interval(secs => $2)
           WHERE id IN (SELECT id FROM workflow_runs
                        WHERE status = 'running' AND lease_until < now() AND NOT (id = ANY($4::uuid[]))
                        ORDER BY lease_until LIMIT $3 FOR UPDATE SKIP LOCKED)
           RETURNING id, organization_id, user_id, owner_is_admin""",
        replica_id,
        lease_s,
        limit,
        driving,
    )
    return [dict(r) for r in rows]


# -- schedules (tenant, except the daemon's own reads of every schedule) ----------------------------

_SCHEDULE = """s.id, s.organization_id, s.user_id, s.owner_is_admin, s.workflow_id, s.cron, s.timezone, s.inputs,
    s.retries, s.timeout_s, s.prefect_deployment_id, s.created_at, d.name AS workflow_name,
    d.version AS workflow_version"""


async def insert_schedule(
    conn: asyncpg.Connection, schedule_id: UUID, org_id: UUID, user_id: UUID, is_admin: bool, values: dict[str, Any]
) -> dict[str, Any]:
    await conn.execute(
        """INSERT INTO workflow_schedules (id, organization_id, user_id, owner_is_admin, workflow_id, cron, timezone,
                                           inputs, retries, timeout_s, prefect_deployment_id)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8::jsonb, $9, $10, $11)""",
        schedule_id, org_id, user_id, is_admin, values["workflow_id"], values["cron"], values["timezone"],
        json.dumps(values["inputs"]), values["retries"], values["timeout_s"], values["deployment_id"],
    )  # fmt: skip
    row = await get_schedule(conn, schedule_id)
    assert row is not None
    return row


async def get_schedule(conn: asyncpg.Connection, schedule_id: UUID) -> dict[str, Any] | None:
    return _dict(
        await conn.fetchrow(
            f"""SELECT {_SCHEDULE} FROM workflow_schedules s JOIN workflow_definitions d ON d.id = s.workflow_id
                WHERE s.id = $1""",
            schedule_id,
        )
    )


async def list_schedules(
    conn: asyncpg.Connection, after: tuple[datetime, UUID] | None, limit: int, name: str | None
) -> list[dict[str, Any]]:
    rows = await conn.fetch(
        f"""SELECT {_SCHEDULE} FROM workflow_schedules s JOIN workflow_definitions d ON d.id = s.workflow_id
            WHERE ($1::text IS NULL OR d.name = $1)
              AND ($2::timestamptz IS NULL OR (s.created_at, s.id) < ($2::timestamptz, $3::uuid))
            ORDER BY s.created_at DESC, s.id DESC LIMIT $4""",
        name, after[0] if after else None, after[1] if after else None, limit,
    )  # fmt: skip
    return [dict(r) for r in rows]


async def delete_schedule(conn: asyncpg.Connection, schedule_id: UUID) -> None:
    await conn.execute("DELETE FROM workflow_schedules WHERE id = $1", schedule_id)


async def every_schedule(conn: asyncpg.Connection) -> list[dict[str, Any]]:
    """Every org's schedules (daemon role): the deployments this daemon serves."""
    rows = await conn.fetch(
        f"SELECT {_SCHEDULE} FROM workflow_schedules s JOIN workflow_definitions d ON d.id = s.workflow_id"
    )
    return [dict(r) for r in rows]


async def schedule_deployments_of(conn: asyncpg.Connection, org_id: UUID, name: str) -> list[UUID]:
    """The Prefect deployments of every schedule of the org's workflow `name` (daemon role: every member's)."""
    rows = await conn.fetch(
        """SELECT s.prefect_deployment_id FROM workflow_schedules s JOIN workflow_definitions d ON d.id = s.workflow_id
           WHERE d.organization_id = $1 AND d.name = $2""",
        org_id,
        name,
    )
    return [r["prefect_deployment_id"] for r in rows]


async def latest_run_of_flow_run(conn: asyncpg.Connection, flow_run_id: UUID, grace_s: float) -> dict[str, Any] | None:
    """The newest run a Prefect flow run started (daemon role): its status, and whether it ended over `grace_s` ago."""
    return _dict(
        await conn.fetchrow(
            """SELECT status, coalesce(completed_at < now() - make_interval(secs => $2), false) AS settled
               FROM workflow_runs WHERE prefect_flow_run_id = $1 ORDER BY created_at DESC LIMIT 1""",
            flow_run_id,
            grace_s,
        )
    )


async def any_schedule(conn: asyncpg.Connection) -> bool:
    return bool(await conn.fetchval("SELECT EXISTS (SELECT 1 FROM workflow_schedules)"))
