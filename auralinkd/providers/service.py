"""Provider configurations, BYOK keys (sealed by the vault), KEK rotation, budgets and usage reports."""

from __future__ import annotations

import functools
import re
import time
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

from auralinkd.access.principal import Caller
from auralinkd.audit.service import AuditLog
from auralinkd.db.database import Database, Tenant
from auralinkd.errors import AlreadyExists, FailedPrecondition, InvalidArgument, NotFound, PermissionDenied
from auralinkd.paging import decode_cursor, encode_cursor, page_size
from auralinkd.providers import store
from auralinkd.providers.catalog import KEYLESS_TYPES, PROVIDER_TYPES
from auralinkd.providers.config import LOCAL_PROVIDER
from auralinkd.providers.usage import UsageWriter
from auralinkd.providers.vault import KeyVault

_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,39}$")
BUDGET_SCOPES = ("user", "org", "agent")
BUDGET_PERIODS = ("day", "week", "month", "total")
PROVIDER_FIELDS = (
    "name",
    "type",
    "base_url",
    "default_model",
    "models",
    "priority",
    "enabled",
    "timeout_s",
    "settings",
)


@dataclass(frozen=True)
class ProviderConfig:
    name: str
    type: str
    id: UUID | None = None
    base_url: str = ""
    default_model: str = ""
    models: tuple[str, ...] = ()
    priority: int = 100
    enabled: bool = True
    timeout_s: float = 30.0
    settings: dict[str, Any] = field(default_factory=dict)
    created_at: datetime | None = None
    updated_at: datetime | None = None
    has_key: bool = False
    builtin: bool = False

    @property
    def etag(self) -> str:
        return f"{int(self.updated_at.timestamp() * 1e6):x}" if self.updated_at else ""

    @property
    def needs_key(self) -> bool:
        return self.type not in KEYLESS_TYPES and not self.settings.get("keyless", False)


@dataclass(frozen=True)
class KeyInfo:
    id: UUID
    provider: str
    user_id: UUID | None
    label: str
    fingerprint: str
    kek_id: str
    created_at: datetime
    last_used_at: datetime | None


@dataclass(frozen=True)
class Budget:
    id: UUID
    scope: str
    subject_id: UUID | None
    period: str
    limit_usd: float
    spent_usd: float
    period_start: datetime | None
    updated_at: datetime | None


@dataclass(frozen=True)
class UsageRow:
    agent_id: UUID | None
    user_id: UUID | None
    provider: str
    model: str
    calls: int
    prompt_tokens: int
    completion_tokens: int
    cost_usd: float
    failovers: int
    operation: str = "chat"
    audio_seconds: float = 0.0  # stt
    characters: int = 0  # tts


def builtin_local(model_name: str) -> ProviderConfig:
    return ProviderConfig(
        LOCAL_PROVIDER,
        "local",
        default_model=model_name,
        models=(model_name,),
        priority=1000,
        timeout_s=300.0,
        builtin=True,
    )


def config_from_row(row: dict[str, Any], has_key: bool = False) -> ProviderConfig:
    return ProviderConfig(
        name=row["name"],
        type=row["provider_type"],
        id=row["id"],
        base_url=row["base_url"] or "",
        default_model=row["default_model"] or "",
        models=tuple(row["models"] or ()),
        priority=row["priority"],
        enabled=row["is_enabled"],
        timeout_s=row["timeout_ms"] / 1000,
        settings=row["settings"] or {},
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        has_key=has_key,
    )


def key_aad(org_id: UUID, user_id: UUID | None, provider: str, label: str) -> bytes:
    """Binds a ciphertext to its row: a sealed key copied to another row, org or user does not open."""
    return f"{org_id}|{user_id or ''}|{provider}|{label}".encode()


def period_start(period: str, now: datetime) -> datetime | None:
    day = now.replace(hour=0, minute=0, second=0, microsecond=0)
    if period == "day":
        return day
    if period == "week":
        return day - timedelta(days=day.weekday())
    if period == "month":
        return day.replace(day=1)
    return None


def validate_provider(p: ProviderConfig) -> None:
    if not _NAME.match(p.name):
        raise InvalidArgument.for_field("name", f"must be 1-40 of a-z, 0-9, _ and -, got {p.name!r}")
    if p.name == LOCAL_PROVIDER and p.type != "local":
        raise InvalidArgument.for_field("name", "'local' is the built-in local model's name")
    if p.type not in PROVIDER_TYPES:
        raise InvalidArgument.for_field("type", f"unknown provider type {p.type!r}; one of {', '.join(PROVIDER_TYPES)}")
    if p.type in ("openai_compatible", "azure") and not p.base_url:
        raise InvalidArgument.for_field("base_url", f"required for {p.type} providers")
    if p.base_url and not re.match(r"^https?://[^\s/]+", p.base_url):
        raise InvalidArgument.for_field("base_url", f"must be an http(s) URL, got {p.base_url!r}")
    if not 0.1 <= p.timeout_s <= 600:
        raise InvalidArgument.for_field("timeout", f"must be between 0.1 and 600 s, got {p.timeout_s:g}")
    if p.priority < 0:
        raise InvalidArgument.for_field("priority", f"must be >= 0, got {p.priority}")
    if p.default_model and p.models and p.default_model not in p.models:
        raise InvalidArgument.for_field("default_model", f"{p.default_model!r} is not one of models")


def _row_values(p: ProviderConfig) -> dict[str, Any]:
    return {
        "name": p.name,
        "provider_type": p.type,
        "base_url": p.base_url or None,
        "default_model": p.default_model or (p.models[0] if p.models else None),
        "models": list(p.models),
        "priority": p.priority,
        "is_enabled": p.enabled,
        "timeout_ms": int(p.timeout_s * 1000),
        "settings": p.settings,
    }


def _changes(method: Any) -> Any:
    """Marks a mutation: cached resolutions are dropped once it has run (committed or not)."""

    @functools.wraps(method)
    async def wrapper(self: ProviderService, *args: Any, **kwargs: Any) -> Any:
        try:
            return await method(self, *args, **kwargs)
        finally:
            self.changed()

    return wrapper


class ProviderService:
    def __init__(self, database: Database, audit: AuditLog, vault: KeyVault, local_model_name: str) -> None:
        self._database = database
        self._audit = audit
        self.vault = vault
        self.local_model_name = local_model_name
        # Usage records are queued by completions and written in batches; readers flush first.
        self.usage_writer = UsageWriter(database)
        # Other tables sealed with this vault (MCP connection secrets): re-wrapped by rotate_kek in its transaction.
        self.sealed_tables: list[Any] = []
        # Bumped after every change to configs, keys, KEKs or budgets: completions cache what they resolve
        # and drop it when this moves (other replicas' changes are seen when the short TTL runs out).
        self.generation = 0

    def changed(self) -> None:
        self.generation += 1

    # -- provider configs -----------------------------------------------------------------------

    @_changes
    async def create_provider(
        self, caller: Caller, p: ProviderConfig, timeout_s: float | None = None
    ) -> ProviderConfig:
        validate_provider(p)
        async with self._database.tenant(caller.tenant, timeout_s=timeout_s) as conn:
            row = await store.insert_provider(conn, caller.principal.org_id, caller.principal.user_id, _row_values(p))
            if row is None:
                raise AlreadyExists(f"a provider named {p.name!r} already exists")
            await self._audit.record(
                conn,
                caller,
                "AIProviderService/CreateProvider",
                "ai_provider",
                str(row["id"]),
                metadata={"name": p.name, "type": p.type},
            )
        return config_from_row(row)

    async def get_provider(self, caller: Caller, ref: str) -> ProviderConfig:
        if ref == LOCAL_PROVIDER:
            async with self._database.tenant(caller.tenant) as conn:
                row = await store.get_provider(conn, ref)
            return config_from_row(row) if row else builtin_local(self.local_model_name)
        async with self._database.tenant(caller.tenant) as conn:
            row = await store.get_provider(conn, ref)
            if row is None:
                raise NotFound(f"no provider {ref!r}")
            keys = await store.usable_keys(conn, caller.principal.user_id)
        return config_from_row(row, any(k["provider"] == row["name"] for k in keys))

    async def list_providers(self, caller: Caller, requested: int, token: str) -> tuple[list[ProviderConfig], str]:
        size = page_size(requested)
        cursor = decode_cursor(token)
        after = (int(cursor["p"]), str(cursor["n"])) if cursor else None
        async with self._database.tenant(caller.tenant) as conn:
            rows = await store.list_providers(conn, after, size + 1)
            keys = {k["provider"] for k in await store.usable_keys(conn, caller.principal.user_id)}
        more = len(rows) > size
        rows = rows[:size]
        configs = [config_from_row(r, r["name"] in keys) for r in rows]
        if cursor is None and not any(c.name == LOCAL_PROVIDER for c in configs):
            configs.append(builtin_local(self.local_model_name))
        next_token = encode_cursor({"p": rows[-1]["priority"], "n": rows[-1]["name"]}) if more and rows else ""
        return configs, next_token

    @_changes
    async def update_provider(
        self, caller: Caller, ref: str, changes: ProviderConfig, paths: list[str], etag: str
    ) -> ProviderConfig:
        unknown = [p for p in paths if p not in PROVIDER_FIELDS]
        if unknown:
            raise InvalidArgument.for_field("update_mask", f"unknown field(s) {', '.join(unknown)}")
        async with self._database.tenant(caller.tenant) as conn:
            row = await store.get_provider(conn, ref)
            if row is None:
                raise NotFound(f"no provider {ref!r}")
            current = config_from_row(row)
            if etag and etag != current.etag:
                from auralinkd.errors import Aborted

                raise Aborted(f"provider {current.name!r} changed since it was read (stale etag); read it again")
            updated = replace(current, **{f: getattr(changes, f) for f in (paths or PROVIDER_FIELDS)})
            validate_provider(updated)
            if updated.name != current.name and await store.name_taken(conn, updated.name, current.id):  # type: ignore[arg-type]
                raise AlreadyExists(f"a provider named {updated.name!r} already exists")
            row = await store.update_provider(conn, current.id, _row_values(updated))  # type: ignore[arg-type]
            await self._audit.record(
                conn,
                caller,
                "AIProviderService/UpdateProvider",
                "ai_provider",
                str(current.id),
                metadata={"fields": paths},
            )
        return config_from_row(row)

    @_changes
    async def delete_provider(self, caller: Caller, ref: str) -> None:
        async with self._database.tenant(caller.tenant) as conn:
            row = await store.get_provider(conn, ref)
            if row is None:
                raise NotFound(f"no provider {ref!r}")
            await store.delete_provider(conn, row["id"])
            await self._audit.record(
                conn,
                caller,
                "AIProviderService/DeleteProvider",
                "ai_provider",
                str(row["id"]),
                metadata={"name": row["name"]},
            )

    # -- keys -----------------------------------------------------------------------------------

    @_changes
    async def set_key(self, caller: Caller, provider: str, api_key: str, scope: str, label: str) -> KeyInfo:
        api_key = api_key.strip()
        if not api_key:
            raise InvalidArgument.for_field("api_key", "must not be empty")
        if len(api_key) > 4096:
            raise InvalidArgument.for_field("api_key", "is longer than 4096 characters")
        if scope not in ("user", "org"):
            raise InvalidArgument.for_field("scope", "must be user or org")
        label = label.strip() or "default"
        principal = caller.principal
        if scope == "org" and not principal.is_org_admin:
            raise PermissionDenied("only org admins set org-wide keys; set your own with --scope user")
        user_id = principal.user_id if scope == "user" else None
        async with self._database.tenant(caller.tenant) as conn:
            row = await store.get_provider(conn, provider)
            if row is None:
                raise NotFound(f"no provider {provider!r}: add it first (`auralink providers add`)")
            if row["provider_type"] in KEYLESS_TYPES:
                raise InvalidArgument.for_field("provider", f"{provider!r} ({row['provider_type']}) takes no key")
            sealed = self.vault.seal(api_key, key_aad(principal.org_id, user_id, row["name"], label))
            key = await store.upsert_key(conn, principal.org_id, user_id, row["id"], row["name"], label, sealed)
            await self._audit.record(
                conn,
                caller,
                "AIProviderService/SetProviderKey",
                "provider_api_key",
                str(key["id"]),
                metadata={"provider": row["name"], "scope": scope, "fingerprint": sealed.fingerprint},
            )
        return _key_info(key)

    async def list_keys(self, caller: Caller, provider: str) -> list[KeyInfo]:
        async with self._database.tenant(caller.tenant) as conn:
            return [_key_info(k) for k in await store.list_keys(conn, provider)]

    @_changes
    async def delete_key(self, caller: Caller, key_id: str) -> None:
        ident = _uuid("id", key_id)
        async with self._database.tenant(caller.tenant) as conn:
            key = await store.get_key(conn, ident)
            if key is None:
                raise NotFound(f"no provider key {key_id}")
            if key["user_id"] is None and not caller.principal.is_org_admin:
                raise PermissionDenied("only org admins delete org-wide keys")
            if not await store.delete_key(conn, ident):
                raise PermissionDenied("this key is not yours to delete")
            await self._audit.record(
                conn,
                caller,
                "AIProviderService/DeleteProviderKey",
                "provider_api_key",
                str(ident),
                metadata={"provider": key["provider"]},
            )

    def open_key(self, org_id: UUID, row: dict[str, Any]) -> str:
        return self.vault.open(
            row["encrypted_key"],
            row["wrapped_data_key"],
            row["nonce"],
            row["kek_id"],
            key_aad(org_id, row["user_id"], row["provider"], row["label"]),
        )

    @_changes
    async def rotate_kek(self, caller: Caller) -> tuple[str, str, int]:
        """Re-wrap every org's data keys under a new (or the configured) KEK, in one transaction."""
        previous = self.vault.active_kek_id
        target = self.vault.prepare_rotation()
        # Every organization's keys: a tenant transaction would see only the caller's org (platform operation).
        async with self._database.system() as conn:
            rows = await store.lock_all_keys(conn)
            for row in rows:
                if row["kek_id"] == target:
                    continue
                await store.rewrap_key(
                    conn, row["id"], self.vault.rewrap(row["wrapped_data_key"], row["kek_id"], target), target
                )
            for rewrap_table in self.sealed_tables:
                await rewrap_table(conn, target)
            await self._audit_rotation(caller, previous, target, len(rows))
        self.vault.activate(target)
        return previous, target, len(rows)

    async def _audit_rotation(self, caller: Caller, previous: str, target: str, count: int) -> None:
        async with self._database.tenant(caller.tenant) as conn:
            await self._audit.record(
                conn,
                caller,
                "AIProviderService/RotateKeyEncryptionKey",
                "kek",
                target,
                metadata={"previous": previous, "keys": count},
            )

    # -- budgets and usage ----------------------------------------------------------------------

    @_changes
    async def set_budget(self, caller: Caller, scope: str, subject: str, period: str, limit_usd: float) -> Budget:
        if scope not in BUDGET_SCOPES:
            raise InvalidArgument.for_field("scope", f"must be one of {', '.join(BUDGET_SCOPES)}")
        if period not in BUDGET_PERIODS:
            raise InvalidArgument.for_field("period", f"must be one of {', '.join(BUDGET_PERIODS)}")
        if not 0 <= limit_usd < 1_000_000:
            raise InvalidArgument.for_field("limit_usd", f"must be between 0 and 1000000, got {limit_usd:g}")
        subject_id = None if scope == "org" else _uuid("subject_id", subject)
        values = {
            "scope": scope,
            "period": period,
            "limit_usd": limit_usd,
            "user_id": subject_id if scope == "user" else None,
            "agent_id": subject_id if scope == "agent" else None,
        }
        if not caller.principal.is_org_admin:
            raise PermissionDenied("only org admins set budgets")
        async with self._database.tenant(caller.tenant) as conn:
            table = {"user": "users", "agent": "ai_agents"}.get(scope)
            if table and subject_id is not None and not await store.subject_visible(conn, table, subject_id):
                raise NotFound(f"subject_id: no {scope} {subject_id} in your organization")
            row = await store.upsert_budget(conn, caller.principal.org_id, caller.principal.user_id, values)
            await self._audit.record(
                conn,
                caller,
                "AIProviderService/SetBudget",
                "usage_budget",
                str(row["id"]),
                metadata={"scope": scope, "period": period, "limit_usd": str(limit_usd)},
            )
        return (await self._with_spend(caller, [row]))[0]

    async def list_budgets(self, caller: Caller) -> list[Budget]:
        async with self._database.tenant(caller.tenant) as conn:
            rows = await store.list_budgets(conn)
        return await self._with_spend(caller, rows)

    @_changes
    async def delete_budget(self, caller: Caller, budget_id: str) -> None:
        ident = _uuid("id", budget_id)
        if not caller.principal.is_org_admin:
            raise PermissionDenied("only org admins delete budgets")
        async with self._database.tenant(caller.tenant) as conn:
            if not await store.delete_budget(conn, ident):
                raise NotFound(f"no budget {budget_id}")
            await self._audit.record(conn, caller, "AIProviderService/DeleteBudget", "usage_budget", str(ident))

    async def _with_spend(self, caller: Caller, rows: list[dict[str, Any]]) -> list[Budget]:
        await self.usage_writer.flush()
        now = datetime.now(UTC)
        result = []
        async with self._database.tenant(spend_reader(caller)) as conn:
            for row in rows:
                start = period_start(row["period"], now)
                subject = row["user_id"] or row["agent_id"]
                spent = await store.spent(conn, row["scope"], subject, start)
                result.append(
                    Budget(
                        row["id"],
                        row["scope"],
                        subject,
                        row["period"],
                        float(row["limit_usd"]),
                        spent,
                        start,
                        row["updated_at"],
                    )
                )
        return result

    async def usage(
        self, caller: Caller, start: datetime | None, end: datetime | None, run_id: UUID | None = None
    ) -> list[UsageRow]:
        """Usage rows summed by agent, user, provider, model and operation; `run_id`: one workflow run's only."""
        await self.usage_writer.flush()
        async with self._database.tenant(caller.tenant) as conn:
            rows = await store.usage_summary(conn, start, end, run_id)
        return [
            UsageRow(
                r["agent_id"],
                r["user_id"],
                r["provider"],
                r["model"],
                int(r["calls"]),
                int(r["prompt_tokens"]),
                int(r["completion_tokens"]),
                float(r["cost_usd"]),
                int(r["failovers"]),
                r["operation"],
                float(r["audio_seconds"]),
                int(r["characters"]),
            )
            for r in rows
        ]


def spend_reader(caller: Caller) -> Tenant:
    # Budgets are enforced on the whole org's (or agent's) spend, which a member cannot read row by row;
    # only sums leave this transaction, never another member's records.
    return Tenant(caller.principal.user_id, caller.principal.org_id, org_admin=True)


def _key_info(row: dict[str, Any]) -> KeyInfo:
    return KeyInfo(
        row["id"],
        row["provider"],
        row["user_id"],
        row["label"],
        row["key_fingerprint"],
        row["kek_id"],
        row["created_at"],
        row["last_used_at"],
    )


def _uuid(field: str, value: str) -> UUID:
    try:
        return UUID(value)
    except (ValueError, TypeError):
        raise InvalidArgument.for_field(field, f"must be a UUID, got {value!r}") from None


def monotonic_deadline(timeout_s: float | None) -> float | None:
    return None if timeout_s is None else time.monotonic() + timeout_s


__all__ = ["FailedPrecondition", "ProviderService"]
