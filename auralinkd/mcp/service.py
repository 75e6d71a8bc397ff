"""MCP connections of an organization, their tools, and audited tool calls.

Connections live in PostgreSQL under RLS (another org's connection reads as missing); env and header
values are sealed with the provider key vault and opened only to start a session. Sessions live in this
daemon (`sessions.SessionPool`), keyed by connection id and etag, so an updated connection restarts.
"""

from __future__ import annotations

import asyncio
import base64
import functools
import hashlib
import json
import logging
import re
import time
import uuid
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any
from uuid import UUID

from auralinkd.access.principal import Caller
from auralinkd.audit.service import AuditLog
from auralinkd.bus import Event, EventBus
from auralinkd.db.database import Database
from auralinkd.errors import (
    Aborted,
    AlreadyExists,
    AuralinkError,
    FieldViolation,
    InvalidArgument,
    NotFound,
    PermissionDenied,
)
from auralinkd.mcp import store
from auralinkd.mcp.policy import HttpPolicy, StdioPolicy
from auralinkd.mcp.sessions import Health, SessionPool, State, Target
from auralinkd.paging import decode_cursor, encode_cursor, page_size
from auralinkd.providers.vault import KeyVault

log = logging.getLogger(__name__)

TRANSPORTS = ("stdio", "streamable_http")
CONNECTION_FIELDS = ("name", "description", "command", "args", "env", "url", "headers", "timeout_s")
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$")
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,127}$")
_HEADER_NAME = re.compile(r"^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,128}$")
MAX_TIMEOUT_S = 600.0
# CallTool and ListTools read a connection's row from a per-org cache instead of a transaction per call.
# An update or delete drops it here at once and on the other replicas through the bus; the TTL bounds how
# long a replica that missed the bus message (Redis down) can use a changed row.
ROW_CACHE_TTL_S = 5.0
ROW_CACHE_MAX = 10_000
CHANGED_TOPIC = "mcp.connection.changed"
# A successful or isError tool call's audit row is written just after the reply (write-behind), so the call
# does not wait for its audit transaction; shutdown waits for the pending rows. Past this many pending rows
# (a slow database), calls wait for their own row again.
MAX_PENDING_AUDITS = 64
MAX_ARGS = 64


@dataclass(frozen=True)
class Connection:
    """A connection as callers see it: secret values never leave the service."""

    name: str
    transport: str
    description: str = ""
    command: str = ""
    args: tuple[str, ...] = ()
    env: dict[str, str] = field(default_factory=dict, repr=False)  # input only
    url: str = ""
    headers: dict[str, str] = field(default_factory=dict, repr=False)  # input only
    env_names: tuple[str, ...] = ()
    header_names: tuple[str, ...] = ()
    timeout_s: float = 0.0
    id: UUID | None = None
    created_by: UUID | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None
    health: Health = Health(State.IDLE)

    @property
    def etag(self) -> str:
        return f"{int(self.updated_at.timestamp() * 1e6):x}" if self.updated_at else ""


@dataclass(frozen=True)
class Tool:
    connection_id: UUID
    connection_name: str
    name: str
    title: str
    description: str
    input_schema: dict[str, Any]


@dataclass(frozen=True)
class Content:
    """One piece of a tool result: kind is text, image, audio, resource or resource_link."""

    kind: str
    text: str = ""
    data: bytes = b""
    mime_type: str = ""
    uri: str = ""
    name: str = ""
    description: str = ""


@dataclass(frozen=True)
class ToolResult:
    content: list[Content]
    is_error: bool
    structured: dict[str, Any] | None
    duration_s: float


@dataclass(frozen=True)
class TestResult:
    connection: Connection
    latency_s: float
    tools: list[Tool]


def arguments_hash(arguments: dict[str, Any]) -> str:
    """What the audit log keeps of a call's arguments: a hash of their canonical JSON."""
    canonical = json.dumps(arguments, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return "sha256:" + hashlib.sha256(canonical.encode()).hexdigest()


def secrets_aad(org_id: UUID, connection_id: UUID) -> bytes:
    """Binds sealed secrets to their row: copied to another connection or org, they do not open."""
    return f"mcp|{org_id}|{connection_id}".encode()


class MCPService:
    def __init__(
        self,
        database: Database,
        audit: AuditLog,
        vault: KeyVault,
        pool: SessionPool,
        stdio: StdioPolicy,
        http: HttpPolicy,
        default_timeout_s: float,
        bus: EventBus | None = None,
    ) -> None:
        self._database = database
        self._audit = audit
        self._vault = vault
        self.pool = pool
        self._stdio = stdio
        self._http = http
        self._default_timeout_s = default_timeout_s
        self._bus = bus
        self._rows: dict[tuple[UUID, str], tuple[float, dict[str, Any]]] = {}  # (org, ref) -> (expiry, row)
        self._pending_audits: set[asyncio.Task[None]] = set()

    # -- connections ----------------------------------------------------------------------------

    async def create(self, caller: Caller, c: Connection, timeout_s: float | None = None) -> Connection:
        c = self._validated(caller, c, initial=True)
        ident = uuid.uuid4()
        org_id = caller.principal.org_id
        async with self._database.tenant(caller.tenant, timeout_s=timeout_s) as conn:
            row = await store.insert(
                conn,
                {
                    "id": ident,
                    "organization_id": org_id,
                    "created_by": caller.principal.user_id,
                    **self._row_values(org_id, ident, c),
                    "transport": c.transport,
                },
            )
            if row is None:
                raise AlreadyExists(f"an MCP connection named {c.name!r} already exists")
            await self._audit.record(
                conn, caller, "MCPService/CreateConnection", "mcp_connection", str(ident),
                metadata={"name": c.name, "transport": c.transport, "target": c.command or c.url},
            )  # fmt: skip
        return self._from_row(row)

    async def get(self, caller: Caller, ref: str) -> Connection:
        async with self._database.tenant(caller.tenant) as conn:
            return self._from_row(await _find(conn, ref))

    async def list(self, caller: Caller, requested: int, token: str) -> tuple[list[Connection], str]:
        size = page_size(requested)
        cursor = decode_cursor(token)
        async with self._database.tenant(caller.tenant) as conn:
            rows = await store.list_page(conn, str(cursor["n"]) if cursor else None, size + 1)
        more = len(rows) > size
        rows = rows[:size]
        return [self._from_row(r) for r in rows], encode_cursor({"n": rows[-1]["name"]}) if more and rows else ""

    async def update(self, caller: Caller, ref: str, changes: Connection, paths: list[str], etag: str) -> Connection:
        unknown = [p for p in paths if p not in CONNECTION_FIELDS]
        if unknown:
            raise InvalidArgument.for_field("update_mask", f"unknown field(s) {', '.join(unknown)}")
        if not paths:
            raise InvalidArgument.for_field("update_mask", f"name the fields to change: {', '.join(CONNECTION_FIELDS)}")
        org_id = caller.principal.org_id
        async with self._database.tenant(caller.tenant) as conn:
            row = await _find(conn, ref)
            current = self._from_row(row)
            if etag and etag != current.etag:
                raise Aborted(f"MCP connection {current.name!r} changed since it was read; read it again")
            secrets = self._open_secrets(row)
            merged = replace(current, env=secrets["env"], headers=secrets["headers"])
            updated = replace(merged, **{p: getattr(changes, p) for p in paths})
            updated = self._validated(caller, updated, initial="command" in paths)
            if updated.name != current.name and await store.name_taken(conn, updated.name, row["id"]):
                raise AlreadyExists(f"an MCP connection named {updated.name!r} already exists")
            new_row = await store.update(
                conn, row["id"], row["updated_at"], self._row_values(org_id, row["id"], updated)
            )
            if new_row is None:
                raise Aborted(f"MCP connection {current.name!r} changed concurrently; read it again")
            await self._audit.record(
                conn, caller, "MCPService/UpdateConnection", "mcp_connection", str(row["id"]),
                metadata={"fields": sorted(paths)},
            )  # fmt: skip
        await self._changed(row)
        return self._from_row(new_row)

    async def delete(self, caller: Caller, ref: str) -> None:
        async with self._database.tenant(caller.tenant) as conn:
            row = await _find(conn, ref)
            if row["transport"] == "stdio" and not caller.principal.is_platform_admin:
                raise PermissionDenied("stdio connections are managed by platform admins only")
            await store.delete(conn, row["id"])
            await self._audit.record(
                conn, caller, "MCPService/DeleteConnection", "mcp_connection", str(row["id"]),
                metadata={"name": row["name"]},
            )  # fmt: skip
        await self._changed(row)

    async def test(self, caller: Caller, ref: str, timeout_s: float | None) -> TestResult:
        row = await self._row(caller, ref)
        session = self._session(row)
        started = time.monotonic()
        deadline = started + min(timeout_s or 60.0, 60.0)
        if session.state is State.CONNECTED:
            await session.ping(deadline)
        else:
            if session.state is State.FAILED:
                await session.restart()
            await session.client(deadline)
        latency = time.monotonic() - started
        tools = await session.list_tools(deadline)
        return TestResult(self._from_row(row), latency, [_tool(row, t) for t in tools])

    # -- tools ----------------------------------------------------------------------------------

    async def list_tools(
        self, caller: Caller, ref: str, timeout_s: float | None
    ) -> tuple[list[Tool], list[tuple[Connection, str]]]:
        """The tools of one connection, or of all (with the connections that could not answer, and why)."""
        deadline = time.monotonic() + min(timeout_s or 30.0, 60.0)
        if ref.strip():
            row = await self._row(caller, ref)
            return [_tool(row, t) for t in await self._session(row).list_tools(deadline)], []
        async with self._database.tenant(caller.tenant) as conn:
            rows = await store.list_page(conn, None, 500)
        tools: list[Tool] = []
        unavailable: list[tuple[Connection, str]] = []
        results = await asyncio.gather(*(self._session(r).list_tools(deadline) for r in rows), return_exceptions=True)
        for row, result in zip(rows, results, strict=True):
            if isinstance(result, AuralinkError):
                unavailable.append((self._from_row(row), result.message))
            elif isinstance(result, BaseException):
                raise result
            else:
                tools.extend(_tool(row, t) for t in result)
        return tools, unavailable

    async def call_tool(
        self, caller: Caller, ref: str, tool: str, arguments: dict[str, Any], timeout_s: float | None
    ) -> ToolResult:
        """Validate, call within the deadline, audit (arguments only as a hash)."""
        if not tool.strip():
            raise InvalidArgument.for_field("tool", "a tool name is needed")
        row = await self._row(caller, ref)
        limit = row["settings"].get("timeout_ms", 0) / 1000 or self._default_timeout_s
        started = time.monotonic()
        deadline = started + (min(limit, timeout_s) if timeout_s is not None else limit)
        audit = {"connection": row["name"], "tool": tool, "arguments": arguments_hash(arguments)}
        try:
            session = self._session(row)
            spec = next((t for t in await session.list_tools(deadline) if t.name == tool), None)
            if spec is None:
                raise NotFound(f"MCP connection {row['name']!r} has no tool {tool!r}")
            validate_arguments(spec.inputSchema or {}, arguments)
            result = await session.call_tool(tool, arguments, deadline)
        except AuralinkError as exc:
            duration = time.monotonic() - started
            await self._audit_call(caller, row, audit, duration, "failure", error=type(exc).__name__)
            raise
        outcome = "failure" if result.isError else "success"
        duration = time.monotonic() - started
        record = self._audit_call(caller, row, audit, duration, outcome, is_error=bool(result.isError))
        if len(self._pending_audits) >= MAX_PENDING_AUDITS:
            await record
        else:
            task = asyncio.create_task(record)
            self._pending_audits.add(task)
            task.add_done_callback(self._audited)
        return ToolResult(
            [_content(c) for c in result.content], bool(result.isError), result.structuredContent, duration
        )

    def _audited(self, task: asyncio.Task[None]) -> None:
        self._pending_audits.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("could not write the audit row of an MCP tool call: %s", task.exception())

    async def drain_audits(self) -> None:
        """Wait for the audit rows of calls already answered (at shutdown, before the database closes)."""
        while self._pending_audits:
            await asyncio.gather(*list(self._pending_audits), return_exceptions=True)

    async def _audit_call(
        self, caller: Caller, row: dict[str, Any], audit: dict[str, Any], duration: float, outcome: str, **extra: Any
    ) -> None:
        # The audit row of a tool call commits without waiting for its WAL flush: waiting cost more than the
        # call itself; a PostgreSQL crash may lose the last moments of such rows (never corrupts or reorders).
        async with self._database.tenant(caller.tenant, flush_wait=False) as conn:
            await self._audit.record(
                conn, caller, "MCPService/CallTool", "mcp_tool", f"{row['id']}/{audit['tool']}", outcome=outcome,
                metadata={**audit, "duration_ms": round(duration * 1000), **extra},
            )  # fmt: skip

    # -- KEK rotation (called by the provider service's rotation, in its transaction) -------------

    async def rewrap_all(self, conn: Any, target: str) -> int:
        self._rows.clear()
        rows = await store.lock_all_sealed(conn)
        for row in rows:
            if row["kek_id"] != target:
                await store.rewrap(
                    conn, row["id"], self._vault.rewrap(row["wrapped_data_key"], row["kek_id"], target), target
                )
        return len(rows)

    # -- helpers --------------------------------------------------------------------------------

    async def _row(self, caller: Caller, ref: str) -> dict[str, Any]:
        """The connection's row, from the cache while fresh (RLS scopes these rows by org alone)."""
        key = (caller.tenant.org_id, ref.strip())
        now = time.monotonic()
        cached = self._rows.get(key)
        if cached is not None and cached[0] > now:
            return cached[1]
        async with self._database.tenant(caller.tenant) as conn:
            row = await _find(conn, ref)
        if len(self._rows) >= ROW_CACHE_MAX:
            self._rows.clear()
        self._rows[key] = (now + ROW_CACHE_TTL_S, row)
        return row

    def forget(self, connection_id: str) -> None:
        """Drop a connection's cached rows (by id and by name)."""
        for key, (_, row) in list(self._rows.items()):
            if str(row["id"]) == connection_id:
                self._rows.pop(key, None)

    async def _changed(self, row: dict[str, Any]) -> None:
        """After an update or delete committed: the cached row and the session go, here and on every replica."""
        ident = str(row["id"])
        self.forget(ident)
        await self.pool.drop(ident)
        if self._bus is not None:
            await self._bus.publish(CHANGED_TOPIC, {"id": ident}, org=row["organization_id"])

    async def follow_changes(self) -> None:
        """Background task: other replicas' updates and deletes drop this replica's cached row and session."""
        if self._bus is not None:
            await self._bus.follow(CHANGED_TOPIC, self._on_changed)

    async def _on_changed(self, event: Event) -> None:
        ident = str(event.data.get("id", ""))
        self.forget(ident)
        await self.pool.drop(ident)

    def _session(self, row: dict[str, Any]) -> Any:
        key = str(row["id"])
        version = f"{int(row['updated_at'].timestamp() * 1e6):x}"
        existing = self.pool.peek(key, version)
        if existing is not None:
            return existing
        secrets = self._open_secrets(row)
        if row["transport"] == "stdio":
            executable = self._stdio.check(row["server_url"])  # the allow-list may have shrunk since
            target = Target(
                "stdio",
                command=executable,
                args=tuple(row["settings"].get("args", ())),
                env=secrets["env"],
                version=version,
            )
        else:
            self._http.check(row["server_url"])
            target = Target(
                "streamable_http", url=row["server_url"], headers=secrets["headers"], version=version,
                http_policy=self._http,
            )  # fmt: skip
        return self.pool.get(key, target)

    def _validated(self, caller: Caller, c: Connection, initial: bool) -> Connection:
        name = c.name.strip()
        violations: list[FieldViolation] = []
        if not _NAME.match(name):
            violations.append(
                FieldViolation("name", "1-100 letters, digits, '_', '.' or '-', starting with a letter or digit")
            )
        if c.transport not in TRANSPORTS:
            violations.append(FieldViolation("transport", "must be stdio or streamable_http"))
        if not 0 <= c.timeout_s <= MAX_TIMEOUT_S:
            violations.append(
                FieldViolation("timeout", f"must be between 0 and {MAX_TIMEOUT_S:g} s, got {c.timeout_s:g}")
            )
        violations += [FieldViolation("env", f"invalid variable name {k!r}") for k in c.env if not _ENV_NAME.match(k)]
        violations += [
            FieldViolation("headers", f"invalid header name {k!r}") for k in c.headers if not _HEADER_NAME.match(k)
        ]
        if len(c.args) > MAX_ARGS or any(len(a) > 4096 for a in c.args):
            violations.append(FieldViolation("args", f"at most {MAX_ARGS} arguments of 4096 characters"))
        if c.transport == "stdio" and (c.url or c.headers):
            violations.append(FieldViolation("url", "a stdio connection has a command, not a URL or headers"))
        if c.transport == "streamable_http" and (c.command or c.args or c.env):
            violations.append(FieldViolation("command", "an HTTP connection has a URL, not a command, args or env"))
        if violations:
            raise InvalidArgument("; ".join(f"{v.field}: {v.description}" for v in violations), violations)
        if c.transport == "stdio":
            if not caller.principal.is_platform_admin:
                raise PermissionDenied(
                    "stdio connections start processes on the daemon's host: "
                    "only platform admins may create or change them"
                )
            if initial or c.command:
                self._stdio.check(c.command.strip())
        else:
            if not c.url.strip():
                raise InvalidArgument.for_field("url", "an HTTP connection needs a URL")
            self._http.check(c.url.strip())
        return replace(c, name=name, command=c.command.strip(), url=c.url.strip())

    def _row_values(self, org_id: UUID, ident: UUID, c: Connection) -> dict[str, Any]:
        values: dict[str, Any] = {
            "name": c.name,
            "server_url": c.command if c.transport == "stdio" else c.url,
            "encrypted_credentials": None, "wrapped_data_key": None, "nonce": None, "kek_id": None,
            "settings": {
                "description": c.description, "args": list(c.args), "env_names": sorted(c.env),
                "header_names": sorted(c.headers), "timeout_ms": int(c.timeout_s * 1000),
            },
        }  # fmt: skip
        if c.env or c.headers:
            sealed = self._vault.seal(json.dumps({"env": c.env, "headers": c.headers}), secrets_aad(org_id, ident))
            values.update(
                encrypted_credentials=sealed.encrypted_key, wrapped_data_key=sealed.wrapped_data_key,
                nonce=sealed.nonce, kek_id=sealed.kek_id,
            )  # fmt: skip
        return values

    def _open_secrets(self, row: dict[str, Any]) -> dict[str, dict[str, str]]:
        if row["encrypted_credentials"] is None:
            return {"env": {}, "headers": {}}
        text = self._vault.open(
            row["encrypted_credentials"], row["wrapped_data_key"], row["nonce"], row["kek_id"],
            secrets_aad(row["organization_id"], row["id"]),
        )  # fmt: skip
        value = json.loads(text)
        return {"env": dict(value.get("env") or {}), "headers": dict(value.get("headers") or {})}

    def _from_row(self, row: dict[str, Any]) -> Connection:
        s = row["settings"] or {}
        stdio = row["transport"] == "stdio"
        c = Connection(
            name=row["name"], transport=row["transport"], description=s.get("description", ""),
            command=row["server_url"] if stdio else "", args=tuple(s.get("args", ())),
            url="" if stdio else row["server_url"], env_names=tuple(s.get("env_names", ())),
            header_names=tuple(s.get("header_names", ())), timeout_s=s.get("timeout_ms", 0) / 1000,
            id=row["id"], created_by=row["created_by"], created_at=row["created_at"], updated_at=row["updated_at"],
        )  # fmt: skip
        return replace(c, health=self.pool.health(str(row["id"]), c.etag))


async def _find(conn: Any, ref: str) -> dict[str, Any]:
    if not ref.strip():
        raise InvalidArgument.for_field("connection", "an MCP connection id or name is needed")
    row = await store.get(conn, ref.strip())
    if row is None:
        raise NotFound(f"no MCP connection {ref!r}")
    return row


def _tool(row: dict[str, Any], t: Any) -> Tool:
    return Tool(row["id"], row["name"], t.name, t.title or "", t.description or "", dict(t.inputSchema or {}))


def _content(c: Any) -> Content:
    kind = getattr(c, "type", "")
    if kind == "text":
        return Content("text", text=c.text)
    if kind in ("image", "audio"):
        return Content(kind, data=base64.b64decode(c.data), mime_type=c.mimeType)
    if kind == "resource":
        r = c.resource
        text = getattr(r, "text", None)
        blob = getattr(r, "blob", None)
        return Content(
            "resource", uri=str(r.uri), mime_type=r.mimeType or "", text=text or "",
            data=base64.b64decode(blob) if blob else b"",
        )  # fmt: skip
    if kind == "resource_link":
        return Content(
            "resource_link", uri=str(c.uri), name=c.name, description=c.description or "", mime_type=c.mimeType or ""
        )
    return Content("text", text=f"(unsupported content type {kind!r})")


def validate_arguments(schema: dict[str, Any], arguments: dict[str, Any]) -> None:
    """INVALID_ARGUMENT naming each failing field (`arguments.<path>`) when `arguments` breaks `schema`."""
    validator = _validator(json.dumps(schema, sort_keys=True))
    if validator is None:
        return  # a server's broken schema is not the caller's fault: the server validates its own input
    errors = sorted(validator.iter_errors(arguments), key=lambda e: list(e.absolute_path))
    if not errors:
        return
    violations = [FieldViolation(_field_of(e), e.message[:300]) for e in errors[:10]]
    raise InvalidArgument("; ".join(f"{v.field}: {v.description}" for v in violations), violations)


@functools.lru_cache(maxsize=1024)
def _validator(schema_json: str) -> Any:
    """A checked validator per distinct schema: checking a schema against its metaschema costs milliseconds."""
    from jsonschema import exceptions, validators

    schema = json.loads(schema_json)
    try:
        cls = validators.validator_for(schema)
        cls.check_schema(schema)
    except exceptions.SchemaError:
        return None
    return cls(schema)


def _field_of(error: Any) -> str:
    path = ".".join(str(p) for p in error.absolute_path)
    if error.validator == "required" and isinstance(error.instance, dict):
        missing = [r for r in error.validator_value if r not in error.instance]
        if missing:
            path = f"{path}.{missing[0]}" if path else str(missing[0])
    return f"arguments.{path}" if path else "arguments"
