"""Completions for callers: resolve the chain (configs + usable keys), enforce budgets, call the gateway,
record usage. Agents and translation use this same path."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from auralinkd.access.principal import Caller
from auralinkd.db.database import Database
from auralinkd.errors import (
    DeadlineExceeded,
    FailedPrecondition,
    InvalidArgument,
    NotFound,
    ResourceExhausted,
    Unavailable,
)
from auralinkd.providers import store
from auralinkd.providers.catalog import PRICED_TYPES, model_info, split_ref
from auralinkd.providers.config import LOCAL_PROVIDER
from auralinkd.providers.gateway import Completion, Delta, Gateway, Target
from auralinkd.providers.selection import (
    Candidate,
    Complexity,
    Selection,
    analyze_prompt_complexity,
    select_optimal_model,
)
from auralinkd.providers.service import (
    ProviderConfig,
    ProviderService,
    builtin_local,
    config_from_row,
    period_start,
    spend_reader,
)
from auralinkd.providers.spend import SpendCounters

log = logging.getLogger(__name__)

ROLES = ("system", "user", "assistant")
MAX_TOKENS_LIMIT = 32768
# How long a caller's resolved configs, keys and budgets are reused. Changes made through this daemon drop
# the cache at once (ProviderService.generation); other replicas' changes are seen within this time (plus
# one reload: an entry up to RESOLVE_STALE_S past it is served while it reloads in the background, so a
# busy caller never waits on the reload). Budget spend counters are read again on the same schedule.
RESOLVE_TTL_S = 2.0
RESOLVE_STALE_S = 10.0
RESOLVE_CACHE_MAX = 4096


@dataclass
class CompletionRequest:
    messages: list[dict[str, str]]
    models: list[str] = field(default_factory=list)
    max_tokens: int = 0
    temperature: float | None = None
    task_type: str = ""
    latency_target_s: float | None = None
    agent_id: UUID | None = None
    operation: str = "completion"  # usage_records.operation: completion, chat, translation
    # Whether the offline chat model may be chosen when the caller names no model. Translation says no:
    # a 135M chat model is not a translator, and a plain refusal beats a fluent non-translation.
    local_allowed: bool = True
    # OpenAI function specs the model may call (agents' MCP tools); the call is then unary.
    tools: list[dict[str, Any]] | None = None
    run_id: UUID | None = None  # a workflow run's LLM step: recorded in the usage row's metadata


# (provider type, prompt tokens, completion tokens, cost in USD, success): each recorded completion.
UsageObserver = Callable[[str, int, int, float, bool], None]


@dataclass
class Resolved:
    """What a caller may use right now: configs by name, with the keys opened."""

    providers: dict[str, ProviderConfig]
    keys: dict[str, tuple[UUID, str]]  # provider name -> (key id, key)
    budgets: list[dict[str, Any]]


class CompletionService:
    def __init__(
        self,
        database: Database,
        providers: ProviderService,
        gateway: Gateway,
        default_max_tokens: int,
        usage_observer: UsageObserver | None = None,
    ) -> None:
        self._database = database
        self._usage_observer = usage_observer
        self._providers = providers
        self.gateway = gateway
        self._default_max_tokens = default_max_tokens
        self._resolved: dict[tuple[Any, UUID | None], tuple[int, float, Resolved]] = {}
        self._reloading: dict[tuple[Any, UUID | None], asyncio.Task[None]] = {}
        self.spend = SpendCounters(database, providers.usage_writer, RESOLVE_TTL_S)

    async def flush_usage(self) -> None:
        """Writes every queued usage record (for readers that must see them)."""
        await self._providers.usage_writer.flush()

    async def close(self) -> None:
        """Shutdown: writes the usage records still queued. Call before the database closes."""
        for task in list(self._reloading.values()):
            task.cancel()
        await self._providers.usage_writer.close()

    # -- public ---------------------------------------------------------------------------------

    async def complete(self, caller: Caller, request: CompletionRequest, timeout_s: float | None) -> Completion:
        result: Completion | None = None
        async for item in self._run(caller, request, timeout_s, streaming=False):
            if isinstance(item, Completion):
                result = item
        assert result is not None
        return result

    async def stream(
        self, caller: Caller, request: CompletionRequest, timeout_s: float | None
    ) -> AsyncIterator[Delta | Completion]:
        async for item in self._run(caller, request, timeout_s, streaming=True):
            yield item

    async def check_model(self, caller: Caller, ref: str) -> None:
        """INVALID_ARGUMENT unless `ref` names a configured provider and a model it has."""
        resolved = await self._resolve(caller, None)
        self._target(await self.gateway.ready(), resolved, ref)

    async def validate_key(
        self, caller: Caller, provider: str, api_key: str, model: str, timeout_s: float | None
    ) -> tuple[bool, str, str, str, float]:
        """(valid, message, fingerprint, model, latency): one cheap real call (max_tokens=1) through litellm."""
        from auralinkd.providers.vault import fingerprint

        resolved = await self._resolve(caller, None)
        config = resolved.providers.get(provider)
        if config is None:
            raise NotFound(f"no provider {provider!r}")
        model = model or config.default_model or (config.models[0] if config.models else "")
        if not model:
            raise InvalidArgument.for_field("model", f"{provider!r} has no default model: name one")
        litellm = await self.gateway.ready()
        target = self._target(litellm, resolved, f"{provider}/{model}")
        if api_key:
            target = replace(target, api_key=api_key)
        elif config.needs_key and not target.api_key:
            raise FailedPrecondition(f"no key stored for {provider!r}: run `auralink providers set-key {provider}`")
        shown = fingerprint(target.api_key) if target.api_key else ""
        deadline = None if timeout_s is None else time.monotonic() + timeout_s
        started = time.monotonic()
        try:
            await self.gateway.complete([target], [{"role": "user", "content": "ping"}], 1, None, deadline)
        except (Unavailable, DeadlineExceeded) as exc:
            return False, exc.message.split("tried: ", 1)[-1], shown, target.ref, time.monotonic() - started
        return True, "the provider accepted the key", shown, target.ref, time.monotonic() - started

    async def analyze(self, prompt: str, task_type: str) -> Complexity:
        return analyze_prompt_complexity(prompt, task_type)

    async def select(
        self, caller: Caller, prompt: str, task_type: str, latency_target_s: float | None
    ) -> tuple[Selection, list[Candidate]]:
        resolved = await self._resolve(caller, None)
        litellm = await self.gateway.ready()
        candidates = self._candidates(litellm, resolved)
        complexity = analyze_prompt_complexity(prompt, task_type)
        return select_optimal_model(complexity, candidates, latency_target_s), candidates

    # -- the path -------------------------------------------------------------------------------

    async def _run(
        self, caller: Caller, request: CompletionRequest, timeout_s: float | None, *, streaming: bool
    ) -> AsyncIterator[Delta | Completion]:
        deadline = None if timeout_s is None else time.monotonic() + timeout_s
        messages = _validate(request)
        max_tokens = request.max_tokens or self._default_max_tokens
        resolved = await self._resolve(caller, request.agent_id, timeout_s)
        refs = list(request.models)
        self._require_a_key(resolved, refs)  # before litellm's import, which the first call waits for
        litellm = await self.gateway.ready()
        if not refs:
            prompt = "\n".join(m["content"] for m in messages if m["role"] == "user")
            complexity = analyze_prompt_complexity(prompt, request.task_type)
            candidates = self._candidates(litellm, resolved)
            if not request.local_allowed:
                candidates = self._without_local(resolved, candidates, request.operation)
            refs = [select_optimal_model(complexity, candidates, request.latency_target_s).ref]
            local_ref = f"{LOCAL_PROVIDER}/{self._providers.local_model_name}"
            if refs[0] != local_ref:  # the offline model is the last fallback, unless the caller pins models
                refs.append(local_ref)
        chain = self._chain(litellm, resolved, refs)
        if request.tools and any(t.provider_type == "local" for t in chain):
            local = next(t.ref for t in chain if t.provider_type == "local")
            raise FailedPrecondition(
                f"{local} cannot call tools; give the agent a model with tool calling, or no tools"
            )
        await self._check_context(litellm, resolved, chain, messages)
        await self._check_budgets(caller, resolved, request.agent_id)
        started = time.monotonic()
        completion: Completion | None = None
        try:
            async for item in self.gateway.stream(
                chain, messages, max_tokens, request.temperature, deadline,
                streaming=streaming and not request.tools, tools=request.tools,
            ):  # fmt: skip
                if isinstance(item, Completion):
                    completion = item
                yield item
        finally:
            await self._record(caller, request, chain, completion, time.monotonic() - started, resolved)

    async def metered(
        self,
        caller: Caller,
        refs: list[str],
        operation: str,
        attempt: Callable[[Any, Target], Awaitable[Any]],
        measure: Callable[[Any, Target, Any], tuple[float, dict[str, Any]]],
        agent_id: UUID | None = None,
    ) -> tuple[Any, Target]:
        """A call other than chat (speech) on the caller's providers and keys for `refs`, in order, with failover:
        refused when a budget is used up, and one usage row (`operation`) whatever happens.

        `measure(litellm, target, result)` gives (cost in USD, what was used: e.g. characters or audio seconds).
        """
        litellm = await self.gateway.ready()
        resolved = await self._resolve(caller, agent_id)
        self._require_a_key(resolved, refs)
        chain = self._chain(litellm, resolved, refs)
        await self._check_budgets(caller, resolved, agent_id)
        started = time.monotonic()
        answered: tuple[Any, Target, list[Any]] | None = None
        try:
            answered = await self.gateway.call(chain, attempt)
            return answered[0], answered[1]
        finally:
            target = answered[1] if answered else chain[0]
            cost, used = measure(litellm, target, answered[0]) if answered else (0.0, {})
            attempts = [{"model": a.ref, "error": a.error} for a in answered[2]] if answered else []
            usage = {
                "agent_id": agent_id, "provider": target.provider_name, "model": target.model,
                "operation": operation, "prompt_tokens": 0, "completion_tokens": 0, "cost_usd": round(cost, 6),
                "latency_ms": int((time.monotonic() - started) * 1000),
                "failovers": max(0, len(attempts) - 1), "success": answered is not None,
                "request_id": caller.request_id, "metadata": {**used, "attempts": attempts},
            }  # fmt: skip
            await self._account(caller, target, usage, resolved)

    async def _resolve(self, caller: Caller, agent_id: UUID | None, timeout_s: float | None = None) -> Resolved:
        cache_key = (caller.tenant, agent_id)
        generation = self._providers.generation
        cached = self._resolved.get(cache_key)
        now = time.monotonic()
        if cached is not None and cached[0] == generation:
            if cached[1] > now:
                return cached[2]
            if cached[1] + RESOLVE_STALE_S > now:
                if cache_key not in self._reloading:
                    task = asyncio.get_running_loop().create_task(self._reload(caller, agent_id, generation))
                    self._reloading[cache_key] = task
                return cached[2]
        resolved = await self._load_resolved(caller, agent_id, timeout_s)
        self._store(cache_key, generation, resolved)
        return resolved

    async def _reload(self, caller: Caller, agent_id: UUID | None, generation: int) -> None:
        cache_key = (caller.tenant, agent_id)
        try:
            self._store(cache_key, generation, await self._load_resolved(caller, agent_id, None))
        except Exception:  # noqa: BLE001 - the next call past RESOLVE_STALE_S loads inline and raises
            log.warning("could not reload the providers of %s", caller.tenant, exc_info=True)
        finally:
            self._reloading.pop(cache_key, None)

    def _store(self, cache_key: tuple[Any, UUID | None], generation: int, resolved: Resolved) -> None:
        if len(self._resolved) >= RESOLVE_CACHE_MAX:
            self._resolved.clear()
        # Stored under the generation read before loading: a change committed meanwhile invalidates it.
        self._resolved[cache_key] = (generation, time.monotonic() + RESOLVE_TTL_S, resolved)

    async def _load_resolved(self, caller: Caller, agent_id: UUID | None, timeout_s: float | None) -> Resolved:
        principal = caller.principal
        async with self._database.tenant(caller.tenant, timeout_s=timeout_s) as conn:
            # Under RLS: another org's agent, or a made-up id, reads as missing (and its usage row would not
            # be writable).
            if agent_id is not None and not await store.agent_visible(conn, agent_id):
                raise NotFound(f"no agent {agent_id}")
            rows = await store.list_providers(conn, None, 500)
            key_rows = await store.usable_keys(conn, principal.user_id)
            budgets = await store.budgets_for(conn, principal.user_id, agent_id)
        keys: dict[str, tuple[UUID, str]] = {}
        for row in key_rows:  # own keys sort first, so they win over the org's
            if row["provider"] not in keys:
                keys[row["provider"]] = (row["id"], self._providers.open_key(principal.org_id, row))
        providers = {r["name"]: config_from_row(r, r["name"] in keys) for r in rows if r["is_enabled"]}
        providers.setdefault(LOCAL_PROVIDER, builtin_local(self._providers.local_model_name))
        return Resolved(providers, keys, budgets)

    def _target(self, litellm: Any, resolved: Resolved, ref: str) -> Target:
        provider_name, model = split_ref(ref)
        config = resolved.providers.get(provider_name)
        if config is None:
            known = ", ".join(sorted(resolved.providers))
            raise InvalidArgument.for_field("models", f"unknown provider {provider_name!r} in {ref!r}; known: {known}")
        if config.type == "local":
            if model not in config.models and model != self._providers.local_model_name:
                raise InvalidArgument.for_field(
                    "models", f"unknown local model {model!r}; the local model is {self._providers.local_model_name!r}"
                )
        elif config.models:
            if model not in config.models:
                raise InvalidArgument.for_field(
                    "models", f"unknown model {model!r} for {provider_name!r}; configured: {', '.join(config.models)}"
                )
        elif config.type in PRICED_TYPES and not model_info(litellm, config.type, model).priced:
            raise InvalidArgument.for_field("models", f"unknown model {model!r} for {config.type}")
        info = model_info(litellm, config.type, model, config.settings)
        key = resolved.keys.get(provider_name)
        return Target(
            ref=f"{provider_name}/{model}",
            provider_name=provider_name,
            provider_type=config.type,
            model=model,
            breaker_key=f"{config.id or LOCAL_PROVIDER}",
            api_base=config.base_url or None,
            api_key=key[1] if key else None,
            timeout_s=config.timeout_s,
            input_cost_per_token=0.0 if config.type == "local" else info.input_cost_per_token,
            output_cost_per_token=0.0 if config.type == "local" else info.output_cost_per_token,
        )

    def _chain(self, litellm: Any, resolved: Resolved, refs: list[str]) -> list[Target]:
        targets = [self._target(litellm, resolved, ref) for ref in refs]
        usable = [t for t in targets if t.api_key or not resolved.providers[t.provider_name].needs_key]
        if not usable:
            raise self._no_key({t.provider_name for t in targets})
        return usable

    def _require_a_key(self, resolved: Resolved, refs: list[str]) -> None:
        """FAILED_PRECONDITION when every model named is a listed model without a key; anything else
        (unknown names, unlisted models checked against litellm's map) is left to _chain."""
        names = set()
        for ref in refs:
            provider_name, model = split_ref(ref)
            config = resolved.providers.get(provider_name)
            if config is None or not config.needs_key or provider_name in resolved.keys:
                return
            if model not in config.models:
                return
            names.add(provider_name)
        if names:
            raise self._no_key(names)

    def _no_key(self, names: set[str]) -> FailedPrecondition:
        ordered = sorted(names)
        return FailedPrecondition(
            f"no usable key for {', '.join(ordered)}: run `auralink providers set-key {ordered[0]}` "
            "(or use local/" + self._providers.local_model_name + ")"
        )

    def _without_local(self, resolved: Resolved, candidates: list[Candidate], operation: str) -> list[Candidate]:
        remote = [c for c in candidates if resolved.providers[split_ref(c.ref)[0]].type != "local"]
        if not remote:
            raise FailedPrecondition(
                f"no offline model for {operation} is installed and no provider key is set: add one with "
                f"`auralink providers set-key PROVIDER`, or name a model (local/{self._providers.local_model_name} "
                "runs the offline chat model, which is not a translator)"
            )
        return remote

    def _candidates(self, litellm: Any, resolved: Resolved) -> list[Candidate]:
        found: list[Candidate] = []
        for config in sorted(resolved.providers.values(), key=lambda c: (c.priority, c.name)):
            if config.needs_key and config.name not in resolved.keys:
                continue
            for model in config.models or ((config.default_model,) if config.default_model else ()):
                info = model_info(litellm, config.type, model, config.settings)
                ref = f"{config.name}/{model}"
                tier = int((config.settings.get("tiers") or {}).get(model, 1 if config.type == "local" else info.tier))
                cost = 0.0 if config.type == "local" else info.cost_per_1k
                found.append(Candidate(ref, tier, cost, self.gateway.observed_latency(ref)))
        return found

    async def _check_context(
        self, litellm: Any, resolved: Resolved, chain: list[Target], messages: list[dict[str, str]]
    ) -> None:
        limits = []
        for target in chain:
            if target.provider_type == "local":
                limits.append(self.gateway.local.context_tokens)
            else:
                settings = resolved.providers[target.provider_name].settings
                limits.append(model_info(litellm, target.provider_type, target.model, settings).context_tokens)
        if _token_upper_bound(messages) <= max(limits):
            return  # fits even if every byte were a token: no need to tokenize
        counted = await asyncio.to_thread(_count_prompt, litellm, chain[0].model, messages)
        if counted > max(limits):
            raise InvalidArgument.for_field(
                "messages", f"the prompt is {counted} tokens; {chain[0].ref} takes at most {max(limits)}"
            )

    async def _check_budgets(self, caller: Caller, resolved: Resolved, agent_id: UUID | None) -> None:
        """From in-memory counters (SpendCounters): no query unless a counter is older than RESOLVE_TTL_S."""
        if not resolved.budgets:
            return
        now = datetime.now(UTC)
        reader = spend_reader(caller)
        for budget in resolved.budgets:
            spent = await self.spend.spent(reader, budget, period_start(budget["period"], now))
            if spent >= float(budget["limit_usd"]):
                raise ResourceExhausted(
                    f"the {budget['scope']} budget of ${float(budget['limit_usd']):.4f} per {budget['period']} "
                    f"is used up (${spent:.4f} spent); raise it with `auralink usage budget`"
                )

    async def _record(
        self,
        caller: Caller,
        request: CompletionRequest,
        chain: list[Target],
        completion: Completion | None,
        elapsed_s: float,
        resolved: Resolved,
    ) -> None:
        target = next((t for t in chain if completion and t.ref == completion.ref), chain[0])
        attempts = completion.attempts if completion else []
        usage = {
            "agent_id": request.agent_id,
            "provider": target.provider_name,
            "model": target.model,
            "operation": request.operation,
            "prompt_tokens": completion.prompt_tokens if completion else 0,
            "completion_tokens": completion.completion_tokens if completion else 0,
            "cost_usd": round(completion.cost_usd, 6) if completion else 0.0,
            "latency_ms": int(elapsed_s * 1000),
            "failovers": completion.failovers if completion else 0,
            "success": completion is not None,
            "request_id": caller.request_id,
            "metadata": {"attempts": [{"model": a.ref, "error": a.error} for a in attempts]},
        }
        if request.run_id is not None:
            usage["metadata"]["workflow_run_id"] = str(request.run_id)
        await self._account(caller, target, usage, resolved)

    async def record_offline(
        self, caller: Caller, operation: str, model_ref: str, used: dict[str, Any], agent_id: UUID | None = None
    ) -> None:
        """A usage row (no cost) for work the daemon did itself, e.g. offline speech: what was used, by whom."""
        provider, _, model = model_ref.partition("/")
        usage = {
            "agent_id": agent_id, "provider": provider, "model": model, "operation": operation, "prompt_tokens": 0,
            "completion_tokens": 0, "cost_usd": 0.0, "latency_ms": None, "failovers": 0, "success": True,
            "request_id": caller.request_id, "metadata": used,
        }  # fmt: skip
        await self._write_usage(caller, model_ref, usage, None)

    async def _account(self, caller: Caller, target: Target, usage: dict[str, Any], resolved: Resolved) -> None:
        """Spend counters (budgets), metrics and the usage row of one provider call."""
        principal = caller.principal
        key = resolved.keys.get(target.provider_name)
        key_id = key[0] if key and usage["success"] else None
        self.spend.add(principal.org_id, principal.user_id, usage["agent_id"], usage["cost_usd"])
        if self._usage_observer is not None:  # metrics: by provider type, never by provider or user id
            self._usage_observer(
                target.provider_type, usage["prompt_tokens"], usage["completion_tokens"], usage["cost_usd"],
                usage["success"],
            )  # fmt: skip
        await self._write_usage(caller, target.ref, usage, key_id)

    async def _write_usage(self, caller: Caller, ref: str, usage: dict[str, Any], key_id: Any) -> None:
        # Queued, written in batches off the hot path (UsageWriter); budget checks and reports flush first.
        principal = caller.principal
        try:
            await self._providers.usage_writer.add(caller.tenant, principal.org_id, principal.user_id, usage, key_id)
        except Exception:  # noqa: BLE001 - the reply was given; the record stays queued for the writer's retry
            log.exception("could not write usage of %s yet (request %s)", ref, caller.request_id)


def _validate(request: CompletionRequest) -> list[dict[str, str]]:
    if not request.messages:
        raise InvalidArgument.for_field("messages", "at least one message is needed")
    messages = []
    for index, message in enumerate(request.messages):
        role, content = message.get("role", ""), message.get("content", "")
        if role not in ROLES and not (role == "tool" and request.tools):
            raise InvalidArgument.for_field(
                f"messages[{index}].role", f"must be one of {', '.join(ROLES)}, got {role!r}"
            )
        kept = {"role": role, "content": content}
        if request.tools:  # the tool loop's own turns: the assistant's calls and each call's result
            kept.update({k: message[k] for k in ("tool_calls", "tool_call_id") if k in message})  # type: ignore[misc]
        messages.append(kept)
    if not messages[-1]["content"].strip() and messages[-1]["role"] != "tool":
        raise InvalidArgument.for_field("messages", "the last message is empty")
    if request.temperature is not None and not 0 <= request.temperature <= 2:
        raise InvalidArgument.for_field("temperature", f"must be between 0 and 2, got {request.temperature:g}")
    if not 0 <= request.max_tokens <= MAX_TOKENS_LIMIT:
        raise InvalidArgument.for_field(
            "max_tokens", f"must be between 1 and {MAX_TOKENS_LIMIT}, got {request.max_tokens}"
        )
    return messages


def _token_upper_bound(messages: list[dict[str, str]]) -> int:
    """No tokenizer gives more tokens than UTF-8 bytes; plus a generous allowance for the chat template."""
    return sum(len(m["content"].encode()) + len(m["role"]) + 8 for m in messages) + 16


def _count_prompt(litellm: Any, model: str, messages: list[dict[str, str]]) -> int:
    try:
        return int(litellm.token_counter(model=model, messages=messages))
    except Exception:  # noqa: BLE001 - unknown tokenizer: a conservative estimate
        return sum(len(m["content"]) for m in messages) // 3 + 4 * len(messages)
