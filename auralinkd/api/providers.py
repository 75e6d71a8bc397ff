"""AIProviderService, LLMSelectionService and TranslationService servicers: proto <-> domain, nothing more."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any
from uuid import UUID

import grpc
from google.protobuf import duration_pb2, json_format

from auralink.v1 import providers_pb2 as pb
from auralink.v1 import providers_pb2_grpc as pb_grpc
from auralinkd.api.context import current_caller
from auralinkd.api.convert import optional_datetime, struct, timestamp
from auralinkd.api.permissions import requires
from auralinkd.errors import InvalidArgument
from auralinkd.providers.completions import CompletionRequest, CompletionService
from auralinkd.providers.gateway import Completion
from auralinkd.providers.service import Budget, KeyInfo, ProviderConfig, ProviderService
from auralinkd.translation.service import TranslateInput, Translation, TranslationService

_TYPES = {
    pb.PROVIDER_TYPE_OPENAI: "openai",
    pb.PROVIDER_TYPE_ANTHROPIC: "anthropic",
    pb.PROVIDER_TYPE_GEMINI: "gemini",
    pb.PROVIDER_TYPE_AZURE: "azure",
    pb.PROVIDER_TYPE_BEDROCK: "bedrock",
    pb.PROVIDER_TYPE_OLLAMA: "ollama",
    pb.PROVIDER_TYPE_OPENAI_COMPATIBLE: "openai_compatible",
    pb.PROVIDER_TYPE_LOCAL: "local",
}
_TYPE_ENUM = {v: k for k, v in _TYPES.items()}
_KEY_SCOPES = {pb.KEY_SCOPE_USER: "user", pb.KEY_SCOPE_ORG: "org"}
_BUDGET_SCOPES = {pb.BUDGET_SCOPE_USER: "user", pb.BUDGET_SCOPE_ORG: "org", pb.BUDGET_SCOPE_AGENT: "agent"}
_BUDGET_PERIODS = {
    pb.BUDGET_PERIOD_DAY: "day",
    pb.BUDGET_PERIOD_WEEK: "week",
    pb.BUDGET_PERIOD_MONTH: "month",
    pb.BUDGET_PERIOD_TOTAL: "total",
}
_PROVIDER_PATHS = {"timeout": "timeout_s"}


def duration(seconds: float) -> duration_pb2.Duration:
    value = duration_pb2.Duration()
    value.FromTimedelta(timedelta(seconds=seconds))
    return value


def _remaining(context: grpc.aio.ServicerContext) -> float | None:
    return context.time_remaining()


def provider_to_proto(p: ProviderConfig) -> pb.Provider:
    return pb.Provider(
        id=str(p.id or ""),
        name=p.name,
        type=_TYPE_ENUM.get(p.type, pb.PROVIDER_TYPE_UNSPECIFIED),
        base_url=p.base_url,
        default_model=p.default_model,
        models=list(p.models),
        priority=p.priority,
        enabled=p.enabled,
        timeout=duration(p.timeout_s),
        settings=struct(p.settings),
        create_time=timestamp(p.created_at),
        update_time=timestamp(p.updated_at),
        etag=p.etag,
        has_key=p.has_key,
        builtin=p.builtin,
    )


def provider_from_proto(p: pb.Provider, require_type: bool = True) -> ProviderConfig:
    if require_type and p.type == pb.PROVIDER_TYPE_UNSPECIFIED:
        raise InvalidArgument.for_field("provider.type", "must be set (openai, anthropic, ..., local)")
    return ProviderConfig(
        name=p.name.strip(),
        type=_TYPES.get(p.type, ""),
        base_url=p.base_url.strip(),
        default_model=p.default_model.strip(),
        models=tuple(m.strip() for m in p.models if m.strip()),
        priority=p.priority if p.priority else 100,
        enabled=p.enabled,
        timeout_s=p.timeout.ToTimedelta().total_seconds() if p.HasField("timeout") else 30.0,
        settings=json_format.MessageToDict(p.settings) if p.HasField("settings") else {},
    )


def key_to_proto(k: KeyInfo) -> pb.ProviderKeyInfo:
    return pb.ProviderKeyInfo(
        id=str(k.id),
        provider=k.provider,
        scope=pb.KEY_SCOPE_USER if k.user_id else pb.KEY_SCOPE_ORG,
        label=k.label,
        fingerprint=k.fingerprint,
        kek_id=k.kek_id,
        create_time=timestamp(k.created_at),
        last_used_time=timestamp(k.last_used_at),
        user_id=str(k.user_id or ""),
    )


def budget_to_proto(b: Budget) -> pb.Budget:
    scopes = {v: k for k, v in _BUDGET_SCOPES.items()}
    periods = {v: k for k, v in _BUDGET_PERIODS.items()}
    return pb.Budget(
        id=str(b.id),
        scope=scopes[b.scope],
        subject_id=str(b.subject_id or ""),
        period=periods[b.period],
        limit_usd=b.limit_usd,
        spent_usd=b.spent_usd,
        period_start=timestamp(b.period_start),
        update_time=timestamp(b.updated_at),
    )


def usage_to_proto(c: Completion) -> pb.CompletionUsage:
    return pb.CompletionUsage(
        prompt_tokens=c.prompt_tokens,
        completion_tokens=c.completion_tokens,
        cost_usd=c.cost_usd,
        latency=duration(c.latency_s),
        failovers=c.failovers,
    )


def attempts_to_proto(c: Completion) -> list[pb.Attempt]:
    return [pb.Attempt(model=a.ref, error=a.error, latency=duration(a.latency_s)) for a in c.attempts]


def completion_request(request: pb.CompleteRequest) -> CompletionRequest:
    agent_id = None
    if request.agent_id:
        try:
            agent_id = UUID(request.agent_id)
        except ValueError:
            raise InvalidArgument.for_field("agent_id", f"must be a UUID, got {request.agent_id!r}") from None
    if request.max_tokens < 0:
        raise InvalidArgument.for_field("max_tokens", f"must be >= 0, got {request.max_tokens}")
    return CompletionRequest(
        messages=[{"role": m.role, "content": m.content} for m in request.messages],
        models=[m.strip() for m in request.models if m.strip()],
        max_tokens=request.max_tokens,
        temperature=request.temperature if request.HasField("temperature") else None,
        task_type=request.task_type,
        latency_target_s=request.latency_target.ToTimedelta().total_seconds()
        if request.HasField("latency_target")
        else None,
        agent_id=agent_id,
    )


def complete_response(c: Completion) -> pb.CompleteResponse:
    return pb.CompleteResponse(
        text=c.text, model=c.ref, finish_reason=c.finish_reason, usage=usage_to_proto(c), attempts=attempts_to_proto(c)
    )


class AIProviderServicer(pb_grpc.AIProviderServiceServicer):
    def __init__(self, providers: ProviderService, completions: CompletionService) -> None:
        self._providers = providers
        self._completions = completions

    @requires("providers:create")
    async def CreateProvider(self, request: pb.CreateProviderRequest, context: Any) -> pb.Provider:
        config = provider_from_proto(request.provider)
        config = ProviderConfig(**{**config.__dict__, "enabled": True})
        self._completions.gateway.prefetch()  # completions will follow
        return provider_to_proto(await self._providers.create_provider(current_caller(), config, _remaining(context)))

    @requires("providers:read")
    async def GetProvider(self, request: pb.GetProviderRequest, context: Any) -> pb.Provider:
        return provider_to_proto(await self._providers.get_provider(current_caller(), request.provider))

    @requires("providers:read")
    async def ListProviders(self, request: pb.ListProvidersRequest, context: Any) -> pb.ListProvidersResponse:
        self._completions.gateway.prefetch()
        configs, token = await self._providers.list_providers(current_caller(), request.page_size, request.page_token)
        return pb.ListProvidersResponse(providers=[provider_to_proto(c) for c in configs], next_page_token=token)

    @requires("providers:update")
    async def UpdateProvider(self, request: pb.UpdateProviderRequest, context: Any) -> pb.Provider:
        paths = [_PROVIDER_PATHS.get(p, p) for p in request.update_mask.paths]
        changes = provider_from_proto(request.provider, require_type="type" in paths)
        changes = ProviderConfig(**{**changes.__dict__, "enabled": request.provider.enabled})
        ref = request.provider.id or request.provider.name
        updated = await self._providers.update_provider(current_caller(), ref, changes, paths, request.provider.etag)
        return provider_to_proto(updated)

    @requires("providers:delete")
    async def DeleteProvider(self, request: pb.DeleteProviderRequest, context: Any) -> pb.DeleteProviderResponse:
        await self._providers.delete_provider(current_caller(), request.provider)
        return pb.DeleteProviderResponse()

    @requires("provider_keys:write")
    async def SetProviderKey(self, request: pb.SetProviderKeyRequest, context: Any) -> pb.ProviderKeyInfo:
        if request.scope == pb.KEY_SCOPE_UNSPECIFIED:
            raise InvalidArgument.for_field("scope", "must be user or org")
        self._completions.gateway.prefetch()
        key = await self._providers.set_key(
            current_caller(), request.provider, request.api_key, _KEY_SCOPES[request.scope], request.label
        )
        return key_to_proto(key)

    @requires("provider_keys:read")
    async def ListProviderKeys(self, request: pb.ListProviderKeysRequest, context: Any) -> pb.ListProviderKeysResponse:
        keys = await self._providers.list_keys(current_caller(), request.provider)
        return pb.ListProviderKeysResponse(keys=[key_to_proto(k) for k in keys])

    @requires("provider_keys:write")
    async def DeleteProviderKey(
        self, request: pb.DeleteProviderKeyRequest, context: Any
    ) -> pb.DeleteProviderKeyResponse:
        await self._providers.delete_key(current_caller(), request.id)
        return pb.DeleteProviderKeyResponse()

    @requires("provider_keys:validate")
    async def ValidateProviderKey(
        self, request: pb.ValidateProviderKeyRequest, context: Any
    ) -> pb.ValidateProviderKeyResponse:
        valid, message, shown, model, latency = await self._completions.validate_key(
            current_caller(), request.provider, request.api_key.strip(), request.model, _remaining(context)
        )
        return pb.ValidateProviderKeyResponse(
            valid=valid, message=message, fingerprint=shown, model=model, latency=duration(latency)
        )

    @requires("platform:admin")
    async def RotateKeyEncryptionKey(
        self, request: pb.RotateKeyEncryptionKeyRequest, context: Any
    ) -> pb.RotateKeyEncryptionKeyResponse:
        previous, current, count = await self._providers.rotate_kek(current_caller())
        return pb.RotateKeyEncryptionKeyResponse(previous_kek_id=previous, kek_id=current, keys_rewrapped=count)

    @requires("budgets:write")
    async def SetBudget(self, request: pb.SetBudgetRequest, context: Any) -> pb.Budget:
        b = request.budget
        if b.scope not in _BUDGET_SCOPES:
            raise InvalidArgument.for_field("budget.scope", "must be user, org or agent")
        if b.period not in _BUDGET_PERIODS:
            raise InvalidArgument.for_field("budget.period", "must be day, week, month or total")
        budget = await self._providers.set_budget(
            current_caller(), _BUDGET_SCOPES[b.scope], b.subject_id, _BUDGET_PERIODS[b.period], b.limit_usd
        )
        return budget_to_proto(budget)

    @requires("budgets:read")
    async def ListBudgets(self, request: pb.ListBudgetsRequest, context: Any) -> pb.ListBudgetsResponse:
        return pb.ListBudgetsResponse(
            budgets=[budget_to_proto(b) for b in await self._providers.list_budgets(current_caller())]
        )

    @requires("budgets:write")
    async def DeleteBudget(self, request: pb.DeleteBudgetRequest, context: Any) -> pb.DeleteBudgetResponse:
        await self._providers.delete_budget(current_caller(), request.id)
        return pb.DeleteBudgetResponse()

    @requires("usage:read")
    async def GetUsage(self, request: pb.GetUsageRequest, context: Any) -> pb.GetUsageResponse:
        run_id = UUID(request.workflow_run_id) if request.workflow_run_id else None  # a UUID: validated already
        rows = await self._providers.usage(
            current_caller(), optional_datetime(request, "start_time"), optional_datetime(request, "end_time"), run_id
        )
        return pb.GetUsageResponse(
            rows=[
                pb.UsageRow(
                    agent_id=str(r.agent_id or ""),
                    user_id=str(r.user_id or ""),
                    provider=r.provider,
                    model=r.model,
                    calls=r.calls,
                    prompt_tokens=r.prompt_tokens,
                    completion_tokens=r.completion_tokens,
                    cost_usd=r.cost_usd,
                    failovers=r.failovers,
                    operation=r.operation,
                    audio_seconds=r.audio_seconds,
                    characters=r.characters,
                )
                for r in rows
            ],
            total_cost_usd=sum(r.cost_usd for r in rows),
            total_tokens=sum(r.prompt_tokens + r.completion_tokens for r in rows),
        )

    @requires("completions:create")
    async def Complete(self, request: pb.CompleteRequest, context: Any) -> pb.CompleteResponse:
        c = await self._completions.complete(current_caller(), completion_request(request), _remaining(context))
        return complete_response(c)

    @requires("completions:create")
    async def StreamComplete(self, request: pb.CompleteRequest, context: Any) -> AsyncIterator[pb.CompleteChunk]:
        async for item in self._completions.stream(current_caller(), completion_request(request), _remaining(context)):
            if isinstance(item, Completion):
                yield pb.CompleteChunk(
                    done=True,
                    model=item.ref,
                    finish_reason=item.finish_reason,
                    usage=usage_to_proto(item),
                    attempts=attempts_to_proto(item),
                )
            else:
                yield pb.CompleteChunk(delta=item.text)


class LLMSelectionServicer(pb_grpc.LLMSelectionServiceServicer):
    def __init__(self, completions: CompletionService) -> None:
        self._completions = completions

    @requires("completions:analyze")
    async def AnalyzePromptComplexity(
        self, request: pb.AnalyzePromptComplexityRequest, context: Any
    ) -> pb.AnalyzePromptComplexityResponse:
        if not request.prompt.strip():
            raise InvalidArgument.for_field("prompt", "must not be empty")
        c = await self._completions.analyze(request.prompt, request.task_type)
        return pb.AnalyzePromptComplexityResponse(score=c.score, tier=c.tier, reasons=c.reasons)

    @requires("completions:select")
    async def SelectOptimalModel(
        self, request: pb.SelectOptimalModelRequest, context: Any
    ) -> pb.SelectOptimalModelResponse:
        if not request.prompt.strip():
            raise InvalidArgument.for_field("prompt", "must not be empty")
        target = request.latency_target.ToTimedelta().total_seconds() if request.HasField("latency_target") else None
        selection, candidates = await self._completions.select(
            current_caller(), request.prompt, request.task_type, target
        )
        return pb.SelectOptimalModelResponse(
            model=selection.ref,
            score=selection.complexity.score,
            tier=selection.complexity.tier,
            reasons=selection.reasons,
            candidates=[
                pb.ModelCandidate(
                    model=c.ref,
                    tier=c.tier,
                    cost_per_1k_tokens_usd=c.cost_per_1k,
                    observed_latency=duration(c.latency_s) if c.latency_s is not None else None,
                    chosen=c.ref == selection.ref,
                    note=selection.notes.get(c.ref, ""),
                )
                for c in candidates
            ],
        )

    @requires("completions:create")
    async def ExecuteWithFallback(self, request: pb.CompleteRequest, context: Any) -> pb.CompleteResponse:
        c = await self._completions.complete(current_caller(), completion_request(request), _remaining(context))
        return complete_response(c)


def translation_to_proto(t: Translation) -> pb.TranslateResponse:
    return pb.TranslateResponse(
        text=t.text,
        source_language=t.source,
        target_language=t.target,
        model=t.completion.ref,
        usage=usage_to_proto(t.completion),
    )


class TranslationServicer(pb_grpc.TranslationServiceServicer):
    def __init__(self, translation: TranslationService) -> None:
        self._translation = translation

    @requires("translation:read")
    async def ListLanguages(self, request: pb.ListLanguagesRequest, context: Any) -> pb.ListLanguagesResponse:
        return pb.ListLanguagesResponse(
            languages=[
                pb.Language(code=lang.code, name=lang.name, native_name=lang.native_name)
                for lang in self._translation.languages()
            ]
        )

    @requires("translation:translate")
    async def Translate(self, request: pb.TranslateRequest, context: Any) -> pb.TranslateResponse:
        results = await self._translation.translate(
            current_caller(),
            TranslateInput(
                [request.text],
                request.target_language,
                request.source_language,
                request.context,
                dict(request.glossary),
                request.model,
                request.max_tokens,
            ),
            _remaining(context),
        )
        return translation_to_proto(results[0])

    @requires("translation:translate")
    async def BatchTranslate(self, request: pb.BatchTranslateRequest, context: Any) -> pb.BatchTranslateResponse:
        results = await self._translation.translate(
            current_caller(),
            TranslateInput(
                list(request.texts),
                request.target_language,
                request.source_language,
                request.context,
                dict(request.glossary),
                request.model,
                request.max_tokens,
            ),
            _remaining(context),
        )
        return pb.BatchTranslateResponse(translations=[translation_to_proto(t) for t in results])
