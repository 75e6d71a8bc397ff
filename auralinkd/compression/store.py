"""The compression domain's SQL, and nothing else (migrations/003_aic.sql has the tables).

Every function takes a connection the caller opened with `database.tenant(...)`, so row-level
security scopes it to one user. The columns' conventions differ from the API's in three places;
each is converted here and nowhere else:
- `compression_ratio` columns hold the reduction, 1 - out/in (0.80 = 80 % smaller), not in/out;
- `quality_score` columns are on 0..1: SSIM as measured, PESQ (1..4.64) mapped linearly onto 0..1;
- `aic_configs` cannot hold everything a CompressionConfig says (model_type "auto", a ratio above
  1:1 as in/out, a PESQ floor), so the exact values live in `settings->'aic'` and the columns hold
  the nearest the CHECK constraints allow, for SQL readers.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

import asyncpg

from auralinkd.compression.config import CompressionConfig, ModelType
from auralinkd.compression.fallback import FallbackReason
from auralinkd.compression.modes import Mode

PESQ_RANGE = (1.0, 4.64)
# The fallback reasons of aic_fallback_logs' CHECK constraint, for ours.
FALLBACK_REASON = {
    FallbackReason.LATENCY: "latency_exceeded",
    FallbackReason.QUALITY: "quality_below_threshold",
    FallbackReason.CODEC_ERROR: "model_error",
}
_DB_MODEL_TYPES = {"encodec", "lyra", "maxine", "hybrid", "opus", "vp8", "av1", "webp", "avif", "zstd", "raw"}


# -- conversions ----------------------------------------------------------------------------------


def reduction(bytes_in: int, bytes_out: int) -> float:
    """1 - out/in, clamped to what numeric(6,4) holds; 0 with no input."""
    if bytes_in <= 0:
        return 0.0
    return max(-99.0, min(1.0, 1 - bytes_out / bytes_in))


def unit_quality(metric: str, score: float | None) -> float | None:
    """A score on the 0..1 scale of the quality_score columns (None when there is none)."""
    if score is None or math.isnan(score):
        return None
    if metric.startswith("pesq"):
        lo, hi = PESQ_RANGE
        return round(max(0.0, min(1.0, (score - lo) / (hi - lo))), 4)
    return round(max(0.0, min(1.0, score)), 4)


def _config_columns(config: CompressionConfig) -> dict[str, Any]:
    r = config.target_compression_ratio
    return {
        "mode": config.mode.value,
        "target": round(min(0.99, 1 - 1 / r), 2) if r > 1 else 0.0,
        "max_latency_ms": max(1, math.ceil(config.max_latency_ms)),
        "model_type": config.model_type.value if config.model_type.value in _DB_MODEL_TYPES else "opus",
        "use_gpu": config.use_gpu,
        "min_quality": round(
            config.min_quality_score if config.min_quality_score <= 1 else config.min_quality_score / PESQ_RANGE[1],
            2,
        ),
        "aic": json.dumps(
            {
                "mode": config.mode.value,
                "target_compression_ratio": config.target_compression_ratio,
                "max_latency_ms": config.max_latency_ms,
                "model_type": config.model_type.value,
                "use_gpu": config.use_gpu,
                "min_quality_score": config.min_quality_score,
            }
        ),
    }


def _config_from_row(row: asyncpg.Record) -> CompressionConfig:
    exact = json.loads(row["settings"] or "{}").get("aic")
    if isinstance(exact, dict):
        try:
            return CompressionConfig(
                mode=Mode(exact["mode"]),
                target_compression_ratio=float(exact["target_compression_ratio"]),
                max_latency_ms=float(exact["max_latency_ms"]),
                model_type=ModelType(exact["model_type"]),
                use_gpu=bool(exact["use_gpu"]),
                min_quality_score=float(exact["min_quality_score"]),
            )
        except (KeyError, ValueError, TypeError):
            pass  # written by something else: read the columns instead
    fraction = float(row["target_compression_ratio"])
    return CompressionConfig(
        mode=Mode(row["mode"]),
        target_compression_ratio=round(1 / (1 - fraction), 4) if 0 < fraction < 1 else 0.0,
        max_latency_ms=float(min(1000, row["max_latency_ms"])),
        model_type=ModelType(row["model_type"])
        if row["model_type"] in {m.value for m in ModelType}
        else ModelType.AUTO,
        use_gpu=bool(row["use_gpu"]),
        min_quality_score=float(row["min_quality_score"]),
    )


# -- aic_configs ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class StoredConfig:
    config: CompressionConfig
    updated_at: datetime


async def load_config(conn: asyncpg.Connection, user_id: UUID, *, for_update: bool = False) -> StoredConfig | None:
    sql = (
        "SELECT mode, target_compression_ratio, max_latency_ms, model_type, use_gpu, min_quality_score, "
        "settings::text AS settings, updated_at FROM aic_configs WHERE user_id = $1"
    )
    row = await conn.fetchrow(sql + (" FOR UPDATE" if for_update else ""), user_id)
    return StoredConfig(_config_from_row(row), row["updated_at"]) if row else None


async def save_config(conn: asyncpg.Connection, org_id: UUID, user_id: UUID, config: CompressionConfig) -> datetime:
    c = _config_columns(config)
    return await conn.fetchval(
        """
        INSERT INTO aic_configs (organization_id, user_id, mode, target_compression_ratio, max_latency_ms,
                                 model_type, use_gpu, min_quality_score, settings)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, jsonb_build_object('aic', $9::text::jsonb))
        ON CONFLICT (user_id) DO UPDATE SET
            mode = EXCLUDED.mode, target_compression_ratio = EXCLUDED.target_compression_ratio,
            max_latency_ms = EXCLUDED.max_latency_ms, model_type = EXCLUDED.model_type,
            use_gpu = EXCLUDED.use_gpu, min_quality_score = EXCLUDED.min_quality_score,
            settings = aic_configs.settings || EXCLUDED.settings,
            updated_at = clock_timestamp()
        RETURNING updated_at
        """,
        org_id, user_id, c["mode"], c["target"], c["max_latency_ms"], c["model_type"], c["use_gpu"],
        c["min_quality"], c["aic"],
    )  # fmt: skip


# -- sessions, metrics, savings, fallbacks ---------------------------------------------------------


@dataclass(frozen=True)
class SessionRow:
    id: UUID
    org_id: UUID
    user_id: UUID
    mode: str
    model_type: str  # the codec the session resolved to
    frame_type: str
    status: str  # active | completed | failed | fallback
    frames: int
    bytes_in: int
    bytes_out: int
    avg_quality: float | None  # 0..1 (see unit_quality)
    avg_latency_ms: float | None
    fallback_count: int
    started_at: datetime
    ended_at: datetime | None


async def upsert_sessions(conn: asyncpg.Connection, rows: list[SessionRow]) -> None:
    """Insert new sessions and bring known ones up to date (running totals, end)."""
    await conn.executemany(
        """
        INSERT INTO aic_compression_sessions
            (id, organization_id, user_id, mode, model_type, frame_type, status, frames_processed, bytes_in,
             bytes_out, avg_compression_ratio, avg_quality_score, avg_latency_ms, fallback_count, started_at,
             ended_at)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)
        ON CONFLICT (id) DO UPDATE SET
            status = EXCLUDED.status, frames_processed = EXCLUDED.frames_processed, bytes_in = EXCLUDED.bytes_in,
            bytes_out = EXCLUDED.bytes_out, avg_compression_ratio = EXCLUDED.avg_compression_ratio,
            avg_quality_score = COALESCE(EXCLUDED.avg_quality_score, aic_compression_sessions.avg_quality_score),
            avg_latency_ms = COALESCE(EXCLUDED.avg_latency_ms, aic_compression_sessions.avg_latency_ms),
            fallback_count = EXCLUDED.fallback_count, ended_at = EXCLUDED.ended_at
        """,
        [
            (
                r.id, r.org_id, r.user_id, r.mode, r.model_type, r.frame_type, r.status, r.frames, r.bytes_in,
                r.bytes_out, reduction(r.bytes_in, r.bytes_out), r.avg_quality, r.avg_latency_ms, r.fallback_count,
                r.started_at, r.ended_at,
            )
            for r in rows
        ],
    )  # fmt: skip


@dataclass(frozen=True)
class MetricsRow:
    """One session's figures over one flush window (never one frame)."""

    org_id: UUID
    user_id: UUID
    session_id: UUID
    frame_type: str
    model_type: str
    frames: int
    bytes_in: int
    bytes_out: int
    quality: float | None  # 0..1
    ssim: float | None
    latency_p50_ms: float
    fallback_count: int


async def insert_metrics(conn: asyncpg.Connection, rows: list[MetricsRow]) -> None:
    await conn.executemany(
        """
        INSERT INTO aic_compression_metrics
            (organization_id, user_id, session_id, frame_type, model_type, frame_count, original_bytes,
             compressed_bytes, compression_ratio, quality_score, ssim, inference_latency_ms, bandwidth_saved_bytes,
             used_fallback)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)
        """,
        [
            (
                r.org_id, r.user_id, r.session_id, r.frame_type, r.model_type, r.frames, r.bytes_in, r.bytes_out,
                reduction(r.bytes_in, r.bytes_out), r.quality, r.ssim, max(0.0, r.latency_p50_ms),
                r.bytes_in - r.bytes_out, r.fallback_count > 0,
            )
            for r in rows
        ],
    )  # fmt: skip


@dataclass(frozen=True)
class SavingsRow:
    """Bytes of one user and frame type within one hour, added to that hour's row."""

    org_id: UUID
    user_id: UUID
    frame_type: str
    period_start: datetime  # the hour
    period_end: datetime
    frames: int
    bytes_in: int
    bytes_out: int
    quality: float | None  # 0..1, mean over these frames


async def add_savings(conn: asyncpg.Connection, rows: list[SavingsRow]) -> None:
    """Hourly roll-up: add to the (user, 'hour', frame type, hour) row, creating it on first use."""
    await conn.executemany(
        """
        INSERT INTO aic_bandwidth_savings AS s
            (organization_id, user_id, granularity, period_start, period_end, frame_type, frames_count,
             bytes_original, bytes_compressed, bytes_saved, avg_compression_ratio, avg_quality_score)
        VALUES ($1, $2, 'hour', $3, $4, $5, $6::bigint, $7::bigint, $8::bigint, $7::bigint - $8::bigint,
                CASE WHEN $7::bigint > 0 THEN GREATEST(-99, 1 - $8::numeric / $7::bigint) END, $9)
        ON CONFLICT (user_id, granularity, frame_type, period_start) DO UPDATE SET
            frames_count = s.frames_count + EXCLUDED.frames_count,
            bytes_original = s.bytes_original + EXCLUDED.bytes_original,
            bytes_compressed = s.bytes_compressed + EXCLUDED.bytes_compressed,
            bytes_saved = s.bytes_saved + EXCLUDED.bytes_saved,
            avg_compression_ratio = CASE WHEN s.bytes_original + EXCLUDED.bytes_original > 0 THEN GREATEST(-99,
                1 - (s.bytes_compressed + EXCLUDED.bytes_compressed)::numeric
                    / (s.bytes_original + EXCLUDED.bytes_original)) END,
            avg_quality_score = CASE
                WHEN EXCLUDED.avg_quality_score IS NULL THEN s.avg_quality_score
                WHEN s.avg_quality_score IS NULL THEN EXCLUDED.avg_quality_score
                ELSE (s.avg_quality_score * s.frames_count + EXCLUDED.avg_quality_score * EXCLUDED.frames_count)
                     / NULLIF(s.frames_count + EXCLUDED.frames_count, 0) END
        """,
        [
            (r.org_id, r.user_id, r.period_start, r.period_end, r.frame_type, r.frames, r.bytes_in, r.bytes_out,
             r.quality)
            for r in rows
        ],
    )  # fmt: skip


@dataclass(frozen=True)
class FallbackRow:
    org_id: UUID
    user_id: UUID
    session_id: UUID
    reason: FallbackReason
    from_model: str
    to_model: str
    frame_type: str
    details: dict[str, Any]
    at: datetime


async def insert_fallbacks(conn: asyncpg.Connection, rows: list[FallbackRow]) -> None:
    await conn.executemany(
        """
        INSERT INTO aic_fallback_logs
            (organization_id, user_id, session_id, reason, from_model, to_model, frame_type, details, created_at)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8::text::jsonb, $9)
        """,
        [
            (r.org_id, r.user_id, r.session_id, FALLBACK_REASON[r.reason], r.from_model, r.to_model, r.frame_type,
             json.dumps(r.details), r.at)
            for r in rows
        ],
    )  # fmt: skip


async def list_sessions(conn: asyncpg.Connection, limit: int = 100) -> list[asyncpg.Record]:
    """The caller's most recent session rows (RLS scopes them), newest first."""
    return await conn.fetch("SELECT * FROM aic_compression_sessions ORDER BY started_at DESC, id LIMIT $1", limit)


# -- the deployment's calibration table (migrations/017_aic_calibration.sql; the daemon's own role) --


async def save_calibration(conn: asyncpg.Connection, table: dict[str, Any]) -> int:
    """Store a new calibration table; returns its id (the newest id is the one in use)."""
    return int(await conn.fetchval("INSERT INTO aic_calibration (calibration) VALUES ($1::jsonb) RETURNING id",
                                   json.dumps(table)))  # fmt: skip


async def latest_calibration_id(conn: asyncpg.Connection) -> int | None:
    value = await conn.fetchval("SELECT max(id) FROM aic_calibration")
    return None if value is None else int(value)


async def load_calibration(conn: asyncpg.Connection, calibration_id: int) -> dict[str, Any] | None:
    text = await conn.fetchval("SELECT calibration::text FROM aic_calibration WHERE id = $1", calibration_id)
    return None if text is None else json.loads(text)
