"""The composition root: builds everything in order, starts it, and stops it in reverse.

Nothing else constructs services. The server starts first so health answers NOT_SERVING while the
database, migrations and services come up; SERVING follows only when all of them are ready.
"""

from __future__ import annotations

import asyncio
import fcntl
import logging
import os
import uuid
from collections.abc import Awaitable, Callable
from contextlib import suppress
from typing import IO, TYPE_CHECKING, Any

import grpc
from grpc_health.v1 import health_pb2
from grpc_health.v1._async import HealthServicer

from auralink.v1 import (
    access_pb2,
    access_pb2_grpc,
    agents_pb2,
    agents_pb2_grpc,
    compression_pb2,
    compression_pb2_grpc,
    mcp_pb2,
    mcp_pb2_grpc,
    memory_pb2,
    memory_pb2_grpc,
    mesh_pb2,
    mesh_pb2_grpc,
    providers_pb2,
    providers_pb2_grpc,
    rooms_pb2,
    rooms_pb2_grpc,
    speech_pb2,
    speech_pb2_grpc,
    storage_pb2,
    storage_pb2_grpc,
    system_pb2,
    system_pb2_grpc,
    workflows_pb2,
    workflows_pb2_grpc,
)
from auralinkd.access.authenticator import Authenticator
from auralinkd.access.bootstrap import ensure_admin_token, jwt_secret
from auralinkd.access.credentials import CredentialService
from auralinkd.access.denylist import Denylist
from auralinkd.access.tokens import TokenService
from auralinkd.agents.memory import MemoryServiceAdapter
from auralinkd.agents.service import AgentService
from auralinkd.agents.tools import AgentTools
from auralinkd.agents.voice import VoiceChat
from auralinkd.api import permissions
from auralinkd.api.agents import AgentServicer
from auralinkd.api.audit import AuditServicer
from auralinkd.api.compression import AICCompressionServicer
from auralinkd.api.credentials import CredentialServicer
from auralinkd.api.directory import OrganizationServicer, UserServicer
from auralinkd.api.guard import CallGuard
from auralinkd.api.mcp import MCPServicer
from auralinkd.api.memory import MemoryServicer
from auralinkd.api.mesh import MeshServicer, ReputationServicer
from auralinkd.api.providers import AIProviderServicer, LLMSelectionServicer, TranslationServicer
from auralinkd.api.roles import RoleServicer
from auralinkd.api.rooms import RoomServicer
from auralinkd.api.server import Registration, build_health_server, build_server
from auralinkd.api.speech import SpeechServicer
from auralinkd.api.storage import StorageServicer
from auralinkd.api.system import SystemServicer
from auralinkd.api.workflows import WorkflowServicer
from auralinkd.audit.chain import ChainKeys
from auralinkd.audit.service import AuditLog
from auralinkd.breaker import BreakerState, CircuitBreaker
from auralinkd.bus import EventBus
from auralinkd.cache import Cache
from auralinkd.compression import CalibrationTable, CompressionService
from auralinkd.compression.benchmark.runner import BenchmarkRunner
from auralinkd.compression.calibration import CalibrationStore
from auralinkd.compression.config import CompressionConfig
from auralinkd.compression.recorder import CompressionRecorder
from auralinkd.compression.userconfig import UserConfigs
from auralinkd.config import Settings
from auralinkd.db import migrate
from auralinkd.db.database import Database
from auralinkd.db.embedded import EmbeddedPostgres
from auralinkd.directory.events import DirectoryEvents
from auralinkd.directory.service import DirectoryService
from auralinkd.http.listener import HttpListener
from auralinkd.mcp.policy import HttpPolicy, StdioPolicy, split_list
from auralinkd.mcp.service import MCPService
from auralinkd.mcp.sessions import SessionPool
from auralinkd.memory.access_counts import AccessRecorder
from auralinkd.memory.embeddings import Embedders, LiteLLMEmbedder, LocalMiniLM
from auralinkd.memory.embeddings import ProviderConfig as ProviderEmbeddingConfig
from auralinkd.memory.service import MemoryService
from auralinkd.memory.stats import LatencyWindow
from auralinkd.mesh.reputation import ReputationService
from auralinkd.mesh.routes import RouteService
from auralinkd.mesh.service import MeshService
from auralinkd.providers.completions import CompletionService
from auralinkd.providers.config import ProvidersConfig
from auralinkd.providers.gateway import Gateway
from auralinkd.providers.local import LocalModel
from auralinkd.providers.service import ProviderService
from auralinkd.providers.vault import KeyVault
from auralinkd.rbac import store as rbac_store
from auralinkd.rbac.catalogue import Catalogue
from auralinkd.rbac.resolver import PermissionResolver
from auralinkd.rbac.service import RoleService
from auralinkd.readiness import Phase, Readiness
from auralinkd.redis_link import RedisLink
from auralinkd.rooms.service import RoomService
from auralinkd.speech.providers import ProviderSpeech
from auralinkd.speech.service import SpeechService
from auralinkd.speech.stt import Whisper
from auralinkd.speech.tts import Espeak
from auralinkd.storage import http as storage_http
from auralinkd.storage.backends import Backend, LocalBackend, S3Backend
from auralinkd.storage.service import StorageService
from auralinkd.storage.signing import UrlSigner
from auralinkd.streams import Streams
from auralinkd.system.service import SystemService
from auralinkd.system.stats import CallStats
from auralinkd.telemetry.calls import CallProbes
from auralinkd.telemetry.tracing import tracing_requested
from auralinkd.translation.service import TranslationService
from auralinkd.workflows import engines, prefect_server
from auralinkd.workflows.schedules import ScheduleService
from auralinkd.workflows.service import WorkflowService

if TYPE_CHECKING:
    from auralinkd.telemetry.metrics import Metrics

log = logging.getLogger(__name__)

SYSTEM_SERVICE = system_pb2.DESCRIPTOR.services_by_name["SystemService"]
# A health service name that is SERVING while the process answers at all, whatever the database does:
# liveness probes use it, so an outage of PostgreSQL takes replicas out of rotation without restarting them.
LIVENESS_SERVICE = "liveness"
# Status, ping and events answer while starting, so operators can see why the daemon is not ready.
AVAILABLE_WHILE_STARTING = frozenset(f"/{SYSTEM_SERVICE.full_name}/{m.name}" for m in SYSTEM_SERVICE.methods)
# On a fresh data directory no token exists until the database is up: status answers the phase to anyone.
ANONYMOUS_WHILE_STARTING = frozenset({f"/{SYSTEM_SERVICE.full_name}/GetStatus"})


def _service(module: Any, name: str) -> Any:
    return module.DESCRIPTOR.services_by_name[name]


# Every service of the API: (servicer class, descriptor, add function). The permission catalogue is
# read from these classes' declarations before anything is instantiated.
API: list[tuple[type, Any, Callable[[Any, grpc.aio.Server], None]]] = [
    (SystemServicer, SYSTEM_SERVICE, system_pb2_grpc.add_SystemServiceServicer_to_server),
    (CredentialServicer, _service(access_pb2, "CredentialService"),
     access_pb2_grpc.add_CredentialServiceServicer_to_server),
    (AuditServicer, _service(access_pb2, "AuditService"), access_pb2_grpc.add_AuditServiceServicer_to_server),
    (RoleServicer, _service(access_pb2, "RoleService"), access_pb2_grpc.add_RoleServiceServicer_to_server),
    (OrganizationServicer, _service(access_pb2, "OrganizationService"),
     access_pb2_grpc.add_OrganizationServiceServicer_to_server),
    (UserServicer, _service(access_pb2, "UserService"), access_pb2_grpc.add_UserServiceServicer_to_server),
    (AICCompressionServicer, _service(compression_pb2, "AICCompressionService"),
     compression_pb2_grpc.add_AICCompressionServiceServicer_to_server),
    (MeshServicer, _service(mesh_pb2, "MeshRoutingService"), mesh_pb2_grpc.add_MeshRoutingServiceServicer_to_server),
    (ReputationServicer, _service(mesh_pb2, "ReputationService"),
     mesh_pb2_grpc.add_ReputationServiceServicer_to_server),
    (MemoryServicer, _service(memory_pb2, "MemoryService"), memory_pb2_grpc.add_MemoryServiceServicer_to_server),
    (AIProviderServicer, _service(providers_pb2, "AIProviderService"),
     providers_pb2_grpc.add_AIProviderServiceServicer_to_server),
    (LLMSelectionServicer, _service(providers_pb2, "LLMSelectionService"),
     providers_pb2_grpc.add_LLMSelectionServiceServicer_to_server),
    (TranslationServicer, _service(providers_pb2, "TranslationService"),
     providers_pb2_grpc.add_TranslationServiceServicer_to_server),
    (AgentServicer, _service(agents_pb2, "AgentService"), agents_pb2_grpc.add_AgentServiceServicer_to_server),
    (RoomServicer, _service(rooms_pb2, "RoomService"), rooms_pb2_grpc.add_RoomServiceServicer_to_server),
    (MCPServicer, _service(mcp_pb2, "MCPService"), mcp_pb2_grpc.add_MCPServiceServicer_to_server),
    (StorageServicer, _service(storage_pb2, "StorageService"), storage_pb2_grpc.add_StorageServiceServicer_to_server),
    (SpeechServicer, _service(speech_pb2, "SpeechService"), speech_pb2_grpc.add_SpeechServiceServicer_to_server),
    (WorkflowServicer, _service(workflows_pb2, "WorkflowService"),
     workflows_pb2_grpc.add_WorkflowServiceServicer_to_server),
]  # fmt: skip


def build_catalogue() -> Catalogue:
    return Catalogue(permissions.collect((cls, descriptor) for cls, descriptor, _ in API))


class DataDirInUse(Exception):
    """Another auralinkd already runs on this data directory."""


class Runtime:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.replica_id = uuid.uuid4().hex[:12]
        self._lock_file: IO[str] | None = None
        self._tasks: list[asyncio.Task[None]] = []
        self._stop_requested = asyncio.Event()
        self._embedded = EmbeddedPostgres(settings.data_dir / "pg") if settings.embedded_database else None
        self.server: grpc.aio.Server | None = None
        self.health_server: grpc.aio.Server | None = None  # AURALINK_HEALTH_ADDRESS: plaintext probes
        self.mesh: MeshService | None = None
        self._completions: CompletionService | None = None
        self._mcp: MCPService | None = None
        self.workflows: WorkflowService | None = None
        self.schedules: ScheduleService | None = None
        # Optional plain HTTP (/metrics, signed object URLs): routes are added before start() reaches it.
        self.http = HttpListener(settings.http_address) if settings.http_address else None
        self.mcp_sessions = SessionPool(settings.data_dir / "mcp", settings.mcp_restart_backoff_max_s)

        # Infrastructure: exists from here on, connects in start().
        breaker = CircuitBreaker(settings.redis_breaker_failures, settings.redis_breaker_reset_s)
        self.redis = RedisLink(settings.redis_url, breaker) if settings.redis_url else None
        self.bus = EventBus(self.replica_id, self.redis)
        self.cache = Cache(self.redis)
        self.call_stats = CallStats()
        # Prometheus figures only when there is a listener to scrape them; spans only when OTLP is configured.
        self.metrics = _metrics() if self.http is not None else None
        self.tracer = _tracer(self.replica_id) if tracing_requested() else None
        self.database = Database(
            embedded=self._embedded is not None,
            min_size=settings.db_pool_min_size,
            max_size=settings.db_pool_max_size,
            statement_timeout_s=settings.db_statement_timeout_s,
        )
        self.health = HealthServicer()
        self.readiness = Readiness(self.health, [descriptor.full_name for _, descriptor, _ in API])

        # Domain services, each with its dependencies passed explicitly.
        self.catalogue = build_catalogue()
        self.audit = AuditLog(self.database)
        self.resolver = PermissionResolver(self.database, self.bus, self.redis)
        self.denylist = Denylist(self.database, self.bus, self.redis)
        self.directory = DirectoryService(self.database, self.audit, self.resolver, DirectoryEvents(self.bus))
        self.memory = MemoryService(
            self.database, self.audit, _embedders(settings), AccessRecorder(self.database),
            dedupe_threshold=settings.memory_dedupe_threshold, bus=self.bus,
            latency=LatencyWindow(observe=self.metrics.observe_recall) if self.metrics is not None else None,
        )  # fmt: skip
        self.compression = CompressionService(CalibrationTable.load())
        self.whisper = Whisper()  # the offline speech model loads on first use (or at start when warming)
        self.compression_configs = UserConfigs(CompressionConfig(), self.database)
        self.compression_recorder = CompressionRecorder(self.compression, self.database)
        self.compression_calibration = CalibrationStore(self.compression, self.database)
        self.llm_config = ProvidersConfig.from_settings(settings)
        self.local_model = LocalModel(
            self.llm_config.local_model_path, self.llm_config.local_model_context_tokens,
            self.llm_config.local_model_threads, settings.local_model_cache_dir or settings.data_dir / "models",
        )  # fmt: skip
        self.gateway = Gateway(
            self.local_model, self.llm_config.local_model_name, self.llm_config.breaker_failures,
            self.llm_config.breaker_reset_s,
        )  # fmt: skip
        self.system = SystemService(
            database=self.database,
            redis=self.redis,
            readiness=self.readiness,
            bus=self.bus,
            call_stats=self.call_stats,
            service_names=[descriptor.full_name for _, descriptor, _ in API],
        )
        if self.http is not None and self.metrics is not None:
            self._observe_state(self.metrics)

    async def start(self) -> None:
        settings = self.settings
        settings.data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        self._lock_data_dir()
        tokens = TokenService(jwt_secret(settings))
        authenticator = Authenticator(tokens, self.resolver, self.denylist, self.database, self.bus)
        credentials = CredentialService(
            self.database, authenticator, self.denylist, self.audit, self.bus, self.catalogue
        )
        self.mesh = MeshService(self.database, self.audit, self.bus, credentials)
        self.routes = RouteService(self.mesh, self.database, self.audit, self.bus)
        self.reputation = ReputationService(self.mesh, self.database, self.audit, self.bus)
        stopping = lambda: self.readiness.phase is Phase.STOPPING  # noqa: E731
        streams = Streams(stopping, settings.watch_heartbeat_s)
        llm = self.llm_config
        vault = KeyVault.from_config(llm.kek, llm.previous_keks, settings.data_dir, llm.production)
        self.audit.use_keys(ChainKeys(vault.derived_keys("audit-chain")))  # a key the database never sees
        self.audit.keep_checkpoints_in(settings.data_dir / "audit-checkpoints.json")
        providers = ProviderService(self.database, self.audit, vault, llm.local_model_name)
        completions = CompletionService(
            self.database, providers, self.gateway, llm.default_max_tokens,
            usage_observer=self.metrics.observe_llm_usage if self.metrics is not None else None,
        )  # fmt: skip
        self._completions = completions
        self._mcp = mcp = MCPService(
            self.database, self.audit, vault, self.mcp_sessions, StdioPolicy(split_list(settings.mcp_stdio_commands)),
            HttpPolicy(split_list(settings.mcp_http_allow)), settings.mcp_call_timeout_s, self.bus,
        )  # fmt: skip
        providers.sealed_tables.append(mcp.rewrap_all)  # KEK rotation re-wraps connection secrets too
        local_ref = f"local/{llm.local_model_name}"
        agents = AgentService(
            self.database, self.audit, self.bus, completions, MemoryServiceAdapter(self.memory),
            context_tokens=lambda ref: self.local_model.context_tokens if ref == local_ref else 8192,
            tools=AgentTools(mcp),
        )  # fmt: skip
        storage = _storage(settings, self.database, self.audit, tokens_secret=jwt_secret(settings))
        if self.http is not None:
            storage_http.register(self.http, storage)
        # Frameworks (LangGraph, ...) load on a run's first use, never here.
        self.workflows = WorkflowService(
            self.database, self.audit, self.bus, completions, self.memory, self.replica_id,
            lambda: self.database.dsn, lease_s=settings.workflow_lease_s, mcp=mcp,
        )  # fmt: skip
        # Prefect loads when the first schedule exists, in the background task, never here.
        prefect_server.configure(settings.data_dir, settings.prefect_api_url)
        engines.configure(settings.data_dir)  # frameworks' own files (CrewAI's) go under it
        self.schedules = ScheduleService(
            self.database, self.audit, self.workflows, poll_s=settings.workflow_schedule_poll_s,
            settle_after_s=max(4 * settings.workflow_lease_s, 4 * settings.workflow_schedule_poll_s),
        )  # fmt: skip
        speech = SpeechService(Espeak(), self.whisper, storage, self.memory, ProviderSpeech(completions))
        if self.metrics is not None:
            self.workflows.on_state = self.metrics.record_workflow_run
        servicers: dict[type, Any] = {
            SystemServicer: SystemServicer(self.system, self.bus, streams),
            CredentialServicer: CredentialServicer(credentials, self.directory),
            AuditServicer: AuditServicer(self.audit, streams),
            RoleServicer: RoleServicer(
                RoleService(self.database, self.audit, self.resolver, self.catalogue, DirectoryEvents(self.bus))
            ),
            OrganizationServicer: OrganizationServicer(self.directory),
            UserServicer: UserServicer(self.directory),
            AICCompressionServicer: AICCompressionServicer(
                self.compression,
                self.compression_configs,
                stopping=stopping,
                streams=streams,
                benchmark=BenchmarkRunner(
                    self.settings.data_dir / "compression",
                    lambda: self.compression.calibration.data,
                    self.compression_calibration.save,
                ),
            ),  # fmt: skip
            MeshServicer: MeshServicer(self.mesh, self.routes, self.reputation, streams),
            ReputationServicer: ReputationServicer(self.mesh, self.reputation),
            MemoryServicer: MemoryServicer(self.memory),
            AIProviderServicer: AIProviderServicer(providers, completions),
            LLMSelectionServicer: LLMSelectionServicer(completions),
            TranslationServicer: TranslationServicer(TranslationService(completions)),
            AgentServicer: AgentServicer(agents, streams, voice=VoiceChat(agents, speech)),
            RoomServicer: RoomServicer(RoomService(self.database, self.audit)),
            MCPServicer: MCPServicer(mcp),
            StorageServicer: StorageServicer(storage),
            SpeechServicer: SpeechServicer(speech),
            WorkflowServicer: WorkflowServicer(self.workflows, streams, self.schedules),
        }
        registrations = [Registration(servicers[cls], descriptor, add) for cls, descriptor, add in API]
        guard = CallGuard(
            permissions.collect((r.servicer, r.descriptor) for r in registrations),
            authenticator,
            self.audit,
            is_ready=lambda: self.readiness.ready,
            not_ready_reason=lambda: self.readiness.reason,
            available_while_starting=AVAILABLE_WHILE_STARTING,
            stats=self.call_stats,
            probes=CallProbes(self.metrics, self.tracer),
            anonymous_while_starting=ANONYMOUS_WHILE_STARTING,
            is_starting=lambda: self.readiness.phase is Phase.STARTING,
        )
        self.server = build_server(settings, registrations, guard, self.health)
        await self.readiness.set(Phase.STARTING, "waiting for the database")
        await self.server.start()
        await self.health.set(LIVENESS_SERVICE, health_pb2.HealthCheckResponse.SERVING)
        if settings.health_address:
            self.health_server = build_health_server(settings.health_address, self.health)
            await self.health_server.start()
        settings.socket_path.chmod(0o600)  # the socket is the local trust boundary: owner only

        migrations = migrate.discover(settings.migrations_dir or migrate.MIGRATIONS_DIR)
        if self._embedded is not None:
            dsn = await asyncio.to_thread(self._embedded.start)
        else:
            assert settings.database_url is not None
            dsn = settings.database_url.get_secret_value()
        await self.database.connect(dsn, attempts=settings.db_connect_attempts, migrations=migrations)
        await self._sync_catalogue()
        await self.audit.anchor_heads()
        await self.denylist.reload()
        await self.mesh.load()
        await self.reputation.load()
        await self.routes.load()
        await self.compression_calibration.load()  # the deployment's table, when RunBenchmark stored one
        token_path = await ensure_admin_token(settings, self.database, tokens, self.denylist.__contains__)
        log.info("admin token in %s", token_path)

        if self.redis is not None:
            await self.redis.probe()
            self._background(self.bus.relay_from_redis, "bus-relay")
        self._background(self._watch_dependencies, "dependency-probe")
        self._background(lambda: self.audit.run_checkpoints(settings.audit_checkpoint_interval_s), "audit-checkpoints")
        if self._embedded is not None:  # a server that dies under us is started again, with backoff
            embedded, interval = self._embedded, settings.health_probe_interval_s
            self._background(lambda: embedded.supervise(interval), "embedded-postgres-supervisor")
        self._background(self.compression_recorder.run, "compression-recorder")
        self._background(self.compression_calibration.follow, "compression-calibration")
        self._background(self.mesh.run, "mesh-detector-flush")
        self._background(self.reputation.run, "reputation-expiry")
        if settings.warm_models_on_start:
            self._background(self.memory.warm, "memory-model-warmup")  # loads the embedding model in a thread
            self._background(self.compression.warm_postfilter, "postfilter-warmup")  # model_type hybrid
            self._background(self.whisper.warm, "speech-model-warmup")
        self._background(self.memory.access.run, "memory-access-recorder")
        self._background(lambda: self.memory.run_schedule(settings.memory_evolve_interval_s), "memory-evolve")
        self._background(self.resolver.follow_changes, "permission-invalidation")
        self._background(self.denylist.follow, "token-revocations")
        self._background(authenticator.follow_api_key_revocations, "api-key-revocations")
        self._background(self.workflows.run, "workflow-runs")  # leases; adopts runs a dead daemon left
        self._background(self.schedules.run, "workflow-schedules")  # Prefect's flow runs, once a schedule exists
        self._background(mcp.follow_changes, "mcp-connection-invalidation")
        if self.http is not None:
            await self.http.start()
        await self.readiness.set(Phase.SERVING)
        await self.bus.publish("system.started", {"replica_id": self.replica_id})
        log.info("serving (replica %s)", self.replica_id)

    def _observe_state(self, metrics: Metrics) -> None:
        """GET /metrics, with gauges read at scrape time from state the services keep anyway."""
        from auralinkd.telemetry import metrics as prometheus

        assert self.http is not None
        self.http.add_route("GET", "/metrics", prometheus.metrics_handler(metrics))
        metrics.read_at_scrape(
            "db_pool", prometheus.database_pool(self.database.pool_usage, self.settings.db_pool_max_size)
        )
        redis, states = self.redis, [s.value for s in BreakerState]
        metrics.read_at_scrape(
            "redis_breaker", prometheus.redis_breaker(lambda: redis.breaker.state.value if redis else None, states)
        )
        compression = self.compression
        metrics.read_at_scrape(
            "compression",
            prometheus.compression(
                lambda: [s.frame_type.value for s in compression.sessions.live()],
                compression.metrics.totals,
                compression.metrics.load_events,
            ),
        )

    def _background(self, work: Callable[[], Awaitable[None]], name: str) -> None:
        self._tasks.append(asyncio.create_task(work(), name=name))

    async def _sync_catalogue(self) -> None:
        async with self.database.system() as conn:
            await rbac_store.sync_permission_catalogue(conn, [(p.name, p.description) for p in self.catalogue.all()])
            await rbac_store.sync_system_roles(conn, self.catalogue.system_roles())

    async def _watch_dependencies(self) -> None:
        """Readiness follows the database; Redis state follows its breaker (status shows DEGRADED)."""
        while True:
            await asyncio.sleep(self.settings.health_probe_interval_s)
            reachable = await self.database.probe(self.settings.health_probe_timeout_s)
            if reachable and self.readiness.phase is Phase.NOT_SERVING:
                await self.readiness.set(Phase.SERVING)
                await self.bus.publish("system.database", {"reachable": True})
            elif not reachable and self.readiness.phase is Phase.SERVING:
                await self.readiness.set(Phase.NOT_SERVING, f"database unreachable: {self.database.last_error}")
                await self.bus.publish("system.database", {"reachable": False, "error": self.database.last_error})
            if self.redis is not None:
                was_up = self.redis.up
                if self.redis.breaker.state is not BreakerState.HALF_OPEN:
                    await self.redis.probe()
                if was_up != self.redis.up:
                    await self.bus.publish(
                        "system.redis", {"up": self.redis.up, "reason": self.redis.breaker.last_error}
                    )

    def request_stop(self) -> None:
        self._stop_requested.set()

    async def wait_for_stop_request(self) -> None:
        await self._stop_requested.wait()

    async def stop(self) -> None:
        """NOT_SERVING, end streams, drain calls within the grace period, then close the pool and PostgreSQL."""
        log.info("shutting down")
        await self.readiness.stopping()
        self.bus.close()
        if self.server is not None:
            await self.server.stop(self.settings.shutdown_grace_s)
        if self.health_server is not None:
            await self.health_server.stop(0)
        if self.http is not None:
            with suppress(Exception):
                await self.http.stop()
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with suppress(asyncio.CancelledError, Exception):
                await task
        with suppress(Exception):
            await self.compression_recorder.flush()  # the last window of metrics
        with suppress(Exception):
            await self.memory.access.flush()  # access counts of the last recalls
        with suppress(Exception):
            await self.memory.planner_statistics.close()  # an ANALYZE after an import, if one is running
        if self.schedules is not None:
            with suppress(Exception):
                await self.schedules.close()  # and the local Prefect server, if this daemon started it
        if self.workflows is not None:
            with suppress(Exception):
                await self.workflows.close()  # runs stop where they are; the next daemon resumes them
        if self._completions is not None:
            with suppress(Exception):
                await self._completions.close()  # queued usage records
        if self._mcp is not None:
            with suppress(Exception):
                await self._mcp.drain_audits()  # audit rows of tool calls already answered
        with suppress(Exception):
            await self.mcp_sessions.close()  # stdio servers get their stdin closed, then SIGTERM
        if self.mesh is not None:
            with suppress(Exception):
                await self.mesh.close()  # pending heartbeat state and transitions
        with suppress(Exception):
            await self.audit.save_checkpoints()  # the heads as they are at shutdown
        self.whisper.close()
        await self.database.close()
        if self.redis is not None:
            with suppress(Exception):
                await self.redis.close()
        if self._embedded is not None:
            await asyncio.to_thread(self._embedded.stop)
        if self.tracer is not None:
            with suppress(Exception):
                await asyncio.to_thread(self.tracer.shutdown)  # the spans still queued
        if self.server is not None:
            with suppress(OSError):
                self.settings.socket_path.unlink()
        if self._lock_file is not None:
            self._lock_file.close()
        log.info("stopped")

    def _lock_data_dir(self) -> None:
        path = self.settings.data_dir / "auralinkd.lock"
        handle = open(path, "a+")  # noqa: SIM115 - held open for the daemon's lifetime
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            raise DataDirInUse(f"another auralinkd is running on {self.settings.data_dir}") from None
        handle.seek(0)
        handle.truncate()
        handle.write(f"{os.getpid()}\n")
        handle.flush()
        self._lock_file = handle


def _metrics() -> Metrics:
    from auralinkd.telemetry.metrics import Metrics  # imports prometheus_client: only with an HTTP listener

    return Metrics()


def _tracer(replica_id: str) -> Any:
    from auralinkd import __version__
    from auralinkd.telemetry.tracing import Tracer  # imports opentelemetry: only when OTLP is configured

    return Tracer(replica_id, __version__)


def _embedders(settings: Settings) -> Embedders:
    """The local MiniLM default, plus the operator's provider embedding model when one is configured."""
    cache = (settings.local_model_cache_dir or settings.data_dir / "models") if settings.memory_query_onnx else None
    local = LocalMiniLM(cache_dir=cache)
    if not settings.memory_provider_embedding_model:
        return Embedders(local)
    key = settings.memory_provider_embedding_api_key
    provider = ProviderEmbeddingConfig(
        settings.memory_provider_embedding_model,
        settings.memory_provider_embedding_api_base,
        key.get_secret_value() if key else "",
    )
    return Embedders(local, [LiteLLMEmbedder(provider)])


def _storage(settings: Settings, database: Database, audit: AuditLog, tokens_secret: bytes) -> StorageService:
    """The object store on the configured backend; signed URLs go through the HTTP listener when there is one."""
    backend: Backend
    if settings.storage_backend == "s3":
        key_id, secret = settings.storage_s3_access_key_id, settings.storage_s3_secret_access_key
        backend = S3Backend(
            settings.storage_s3_bucket,
            endpoint_url=settings.storage_s3_endpoint_url,
            region=settings.storage_s3_region,
            access_key_id=key_id.get_secret_value() if key_id else "",
            secret_access_key=secret.get_secret_value() if secret else "",
            spool_dir=settings.data_dir / "objects" / ".incoming",
        )
    else:
        backend = LocalBackend(settings.data_dir / "objects")
    backend.prepare()
    public_url = settings.storage_public_url or (f"http://{settings.http_address}" if settings.http_address else "")
    return StorageService(
        database, audit, backend, UrlSigner(tokens_secret),
        max_object_bytes=settings.storage_max_object_bytes,
        default_quota_bytes=settings.storage_org_quota_bytes,
        public_url=public_url,
    )  # fmt: skip
