"""Writes what the compression engine did to PostgreSQL every 10 s, never one row per frame.

Per flush and per user (one tenant transaction each, so row-level security applies to the writes):
session rows (inserted once, totals brought up to date, ended), one aic_compression_metrics row per
session that sent frames in the window, the hourly aic_bandwidth_savings roll-up, and the
rate-limited fallback events. The runtime starts `run()` as a background task and awaits `flush()`
once more on shutdown. A batch whose write fails (database away) is kept and retried, a bounded
number of them.
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from uuid import UUID

from auralinkd.compression import store
from auralinkd.compression.fallback import FallbackEvent, FallbackReason
from auralinkd.compression.metrics import MetricsSnapshot
from auralinkd.compression.service import CompressionService
from auralinkd.compression.session import Session
from auralinkd.db.database import Database, Tenant
from auralinkd.errors import AuralinkError

log = logging.getLogger(__name__)

FLUSH_INTERVAL_S = 10.0
MAX_RETRY_BATCHES = 60  # per tenant: ten minutes of flushes while the database is away


@dataclass
class _Batch:
    sessions: list[store.SessionRow] = field(default_factory=list)
    metrics: list[store.MetricsRow] = field(default_factory=list)
    savings: list[store.SavingsRow] = field(default_factory=list)
    fallbacks: list[store.FallbackRow] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.sessions or self.metrics or self.savings or self.fallbacks)


def _uuid(value: str) -> UUID | None:
    try:
        return UUID(value)
    except (ValueError, TypeError, AttributeError):
        return None


class CompressionRecorder:
    def __init__(self, service: CompressionService, database: Database, *, interval_s: float = FLUSH_INTERVAL_S):
        self._service = service
        self._db = database
        self.interval_s = interval_s
        self._known: set[str] = set()  # session rows already inserted
        self._retry: dict[Tenant, list[_Batch]] = defaultdict(list)
        self._lock = asyncio.Lock()
        self.flushes = 0
        self.failures = 0

    async def run(self) -> None:
        """Flush every interval until cancelled."""
        while True:
            await asyncio.sleep(self.interval_s)
            try:
                await self.flush()
            except Exception:  # noqa: BLE001 - a background task must outlive one bad flush
                log.exception("compression metrics flush failed")

    async def flush(self) -> None:
        async with self._lock:
            batches = self._collect(datetime.now(UTC))
            for tenant, queued in list(self._retry.items()):
                batches.setdefault(tenant, _Batch())
                self._retry[tenant] = []
                for old in queued:  # older rows first: session rows before their metrics
                    batches[tenant] = _merge(old, batches[tenant])
            for tenant, batch in batches.items():
                if batch:
                    await self._write(tenant, batch)
            self.flushes += 1

    async def _write(self, tenant: Tenant, batch: _Batch) -> None:
        try:
            async with self._db.tenant(tenant) as conn:
                await store.upsert_sessions(conn, batch.sessions)
                await store.insert_metrics(conn, batch.metrics)
                await store.add_savings(conn, batch.savings)
                await store.insert_fallbacks(conn, batch.fallbacks)
        except (AuralinkError, OSError) as exc:
            self.failures += 1
            queue = self._retry[tenant]
            queue.append(batch)
            del queue[:-MAX_RETRY_BATCHES]
            log.warning("compression figures of user %s not written (%s); retrying next flush", tenant.user_id, exc)

    # -- collecting what happened since the last flush ---------------------------------------------

    def _collect(self, now: datetime) -> dict[Tenant, _Batch]:
        svc = self._service
        windows = svc.metrics.drain_window()
        ended = svc.drain_ended()
        live = svc.sessions.live()
        totals = svc.metrics.snapshot(reset_window=True).per_session
        mono_now = svc.clock()
        batches: dict[Tenant, _Batch] = defaultdict(_Batch)
        by_id = {s.id: s for s in live}
        for s in ended:
            by_id[s.id] = s
        ended_ids = {s.id for s in ended}

        def tenant_of(s: Session) -> Tenant | None:
            user, org = _uuid(s.user_id), _uuid(s.org_id)
            return Tenant(user, org) if user and org else None  # sessions of no real user are not recorded

        def wall(mono: float) -> datetime:
            return now - timedelta(seconds=max(0.0, mono_now - mono))

        for sid, s in by_id.items():
            tenant = tenant_of(s)
            if tenant is None or not (sid not in self._known or sid in windows or sid in ended_ids):
                continue
            batches[tenant].sessions.append(self._session_row(s, tenant, totals.get(sid), wall, sid in ended_ids))
            self._known.add(sid)
            events = s.pipeline.policy.drain_log()
            batches[tenant].fallbacks += [self._fallback_row(s, tenant, e, wall) for e in events]
        self._known -= ended_ids
        savings: dict[tuple[Tenant, str], list[MetricsSnapshot]] = defaultdict(list)
        for sid, (_, figures) in windows.items():
            s = by_id.get(sid)
            tenant = tenant_of(s) if s else None
            if s is None or tenant is None:
                continue
            batches[tenant].metrics.append(self._metrics_row(s, tenant, figures))
            savings[(tenant, s.frame_type.value)].append(figures)
        hour = now.replace(minute=0, second=0, microsecond=0)
        for (tenant, frame_type), figures in savings.items():
            batches[tenant].savings.append(_savings_row(tenant, frame_type, figures, hour))
        return dict(batches)

    def _session_row(
        self,
        s: Session,
        tenant: Tenant,
        total: MetricsSnapshot | None,
        wall,
        ended: bool,  # type: ignore[no-untyped-def]
    ) -> store.SessionRow:
        metric = s.pipeline.metric
        quality = total.quality.get(metric) if total else None
        return store.SessionRow(
            id=UUID(s.id), org_id=tenant.org_id, user_id=tenant.user_id, mode=s.config.mode.value,
            model_type=_model_type(s), frame_type=s.frame_type.value,
            status="completed" if ended else "active", frames=total.frames if total else 0,
            bytes_in=total.bytes_in if total else 0, bytes_out=total.bytes_out if total else 0,
            avg_quality=store.unit_quality(metric, quality), avg_latency_ms=total.latency_mean_ms if total else None,
            fallback_count=total.fallback_count if total else 0, started_at=wall(s.created_at),
            ended_at=wall(s.ended_at) if ended and s.ended_at is not None else None,
        )  # fmt: skip

    def _metrics_row(self, s: Session, tenant: Tenant, w: MetricsSnapshot) -> store.MetricsRow:
        metric = s.pipeline.metric
        quality = w.quality.get(metric)
        return store.MetricsRow(
            org_id=tenant.org_id, user_id=tenant.user_id, session_id=UUID(s.id), frame_type=s.frame_type.value,
            model_type=_model_type(s), frames=w.frames, bytes_in=w.bytes_in, bytes_out=w.bytes_out,
            quality=store.unit_quality(metric, quality),
            ssim=round(quality, 4) if metric == "ssim" and quality is not None else None,
            latency_p50_ms=w.latency_p50_ms, fallback_count=w.fallback_count,
        )  # fmt: skip

    def _fallback_row(self, s: Session, tenant: Tenant, e: FallbackEvent, wall) -> store.FallbackRow:  # type: ignore[no-untyped-def]
        codec = s.pipeline.codec_id.name.lower()
        to = {FallbackReason.QUALITY: f"{codec} (higher setting) or zstd/raw"}.get(e.reason, "zstd/raw")
        return store.FallbackRow(
            org_id=tenant.org_id, user_id=tenant.user_id, session_id=UUID(s.id), reason=e.reason, from_model=codec,
            to_model=to, frame_type=s.frame_type.value,
            details={"detail": e.detail, "suppressed_since_last": e.suppressed}, at=wall(e.at),
        )  # fmt: skip


def _savings_row(tenant: Tenant, frame_type: str, figures: list[MetricsSnapshot], hour: datetime) -> store.SavingsRow:
    frames = sum(f.frames for f in figures)
    scored = [(store.unit_quality(metric, q), f.frames) for f in figures for metric, q in f.quality.items()]
    weights = sum(n for q, n in scored if q is not None)
    mean = sum(q * n for q, n in scored if q is not None) / weights if weights else None
    return store.SavingsRow(
        org_id=tenant.org_id, user_id=tenant.user_id, frame_type=frame_type, period_start=hour,
        period_end=hour + timedelta(hours=1), frames=frames, bytes_in=sum(f.bytes_in for f in figures),
        bytes_out=sum(f.bytes_out for f in figures), quality=round(mean, 4) if mean is not None else None,
    )  # fmt: skip


def _merge(old: _Batch, new: _Batch) -> _Batch:
    return _Batch(
        old.sessions + new.sessions, old.metrics + new.metrics, old.savings + new.savings, old.fallbacks + new.fallbacks
    )


def _model_type(s: Session) -> str:
    """What the rows record: the codec the session resolved to, or "hybrid" when its post-filter runs."""
    return "hybrid" if s.pipeline.postfilter is not None else s.pipeline.codec_id.name.lower()
