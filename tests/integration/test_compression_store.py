"""The compression recorder and config store against real PostgreSQL (16 embedded, 15 system), as the app role."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import pytest

from auralinkd.compression import CalibrationTable, CompressionConfig, CompressionService, DataFormat, FrameType, Mode
from auralinkd.compression.calibration import CalibrationStore
from auralinkd.compression.config import ModelType
from auralinkd.compression.formats import AudioFormat
from auralinkd.compression.recorder import CompressionRecorder
from auralinkd.compression.userconfig import UserConfigs
from auralinkd.db import migrate
from auralinkd.db.database import Database, Tenant
from auralinkd.errors import Aborted, FailedPrecondition


@pytest.fixture
async def database(fresh_dsn: str) -> AsyncIterator[Database]:
    db = Database(embedded=False, min_size=1, max_size=4, statement_timeout_s=10)
    await db.connect(fresh_dsn, attempts=3, migrations=migrate.discover())
    yield db
    await db.close()


async def _tenants(db: Database, *names: str) -> list[Tenant]:
    async with db.system() as conn:
        org = await conn.fetchval("INSERT INTO organizations (name, slug) VALUES ('org-c', 'org-c') RETURNING id")
        users = [
            await conn.fetchval(
                "INSERT INTO users (organization_id, email, username) VALUES ($1, $2, $3) RETURNING id",
                org,
                f"{n}@org-c.example",
                n,
            )
            for n in names
        ]
    return [Tenant(u, org) for u in users]


async def test_flush_writes_sessions_window_metrics_savings_and_no_row_per_frame(database: Database) -> None:
    alice, bob = await _tenants(database, "alice", "bob")
    svc = CompressionService(CalibrationTable.load())
    recorder = CompressionRecorder(svc, database)
    a = svc.start_session(str(alice.user_id), FrameType.DATA, DataFormat(), org_id=str(alice.org_id)).session_id
    b = svc.start_session(str(bob.user_id), FrameType.AUDIO, AudioFormat(), org_id=str(bob.org_id)).session_id
    svc.start_session("not-a-uuid", FrameType.DATA, DataFormat())  # no tenant: never written
    for i in range(200):
        svc.compress(a, i, b'{"type":"chat","text":"hello hello hello"}' * 3)
    for i in range(50):
        svc.compress(b, i, bytes(640))
    await recorder.flush()
    for i in range(200, 250):
        svc.compress(a, i, b'{"type":"chat","text":"again"}' * 3)
    svc.end_session(a)
    await recorder.flush()
    await recorder.flush()  # nothing new: nothing written

    async with database.tenant(alice) as conn:
        sessions = await conn.fetch("SELECT * FROM aic_compression_sessions")
        metrics = await conn.fetch("SELECT * FROM aic_compression_metrics ORDER BY created_at")
        savings = await conn.fetch("SELECT * FROM aic_bandwidth_savings")
    assert [s["id"] for s in sessions] == [uuid.UUID(a)]  # RLS: bob's is not visible to alice
    s = sessions[0]
    assert s["status"] == "completed" and s["ended_at"] is not None and s["frames_processed"] == 250
    assert s["model_type"] == "zstd" and s["frame_type"] == "data" and 0 < s["avg_compression_ratio"] < 1
    assert [m["frame_count"] for m in metrics] == [200, 50]  # one row per window, not per frame
    assert savings[0]["frames_count"] == 250 and savings[0]["bytes_saved"] > 0
    assert savings[0]["granularity"] == "hour"

    async with database.tenant(bob) as conn:
        bobs = await conn.fetchrow("SELECT * FROM aic_compression_sessions")
        quality = await conn.fetchval("SELECT quality_score FROM aic_compression_metrics")
    assert bobs["status"] == "active" and bobs["model_type"] == "opus" and bobs["frames_processed"] == 50
    assert 0 <= quality <= 1  # PESQ mapped onto the column's 0..1 scale
    async with database.system() as conn:
        assert await conn.fetchval("SELECT count(*) FROM aic_compression_sessions") == 2


async def test_hybrid_sessions_are_recorded_as_hybrid(database: Database) -> None:
    (carol,) = await _tenants(database, "carol")
    svc = CompressionService(CalibrationTable.load())
    config = CompressionConfig(model_type=ModelType.HYBRID, max_latency_ms=1000)
    sid = svc.start_session(
        str(carol.user_id), FrameType.AUDIO, AudioFormat(16000, 1, 20), config, org_id=str(carol.org_id)
    ).session_id
    for i in range(5):
        svc.decompress(sid, i, svc.compress(sid, i, bytes(640)).data)
    await CompressionRecorder(svc, database).flush()
    async with database.tenant(carol) as conn:
        assert await conn.fetchval("SELECT model_type FROM aic_compression_sessions") == "hybrid"
        assert await conn.fetchval("SELECT model_type FROM aic_compression_metrics") == "hybrid"


async def test_fallback_events_are_logged_rate_limited(database: Database) -> None:
    (alice,) = await _tenants(database, "alice")
    svc = CompressionService(CalibrationTable.load())
    recorder = CompressionRecorder(svc, database)
    cfg = CompressionConfig(mode=Mode.AGGRESSIVE, min_quality_score=4.64)  # every frame falls back
    sid = svc.start_session(str(alice.user_id), FrameType.AUDIO, AudioFormat(), cfg, org_id=str(alice.org_id))
    for i in range(30):
        svc.compress(sid.session_id, i, bytes(640))
    await recorder.flush()
    async with database.tenant(alice) as conn:
        logs = await conn.fetch("SELECT reason, details::text AS details FROM aic_fallback_logs")
        fallbacks = await conn.fetchval("SELECT fallback_count FROM aic_compression_sessions")
    assert len(logs) == 1 and logs[0]["reason"] == "quality_below_threshold"
    assert fallbacks == 30


async def test_user_config_round_trips_exactly_and_a_stale_etag_is_aborted(database: Database) -> None:
    alice, bob = await _tenants(database, "alice", "bob")
    configs = UserConfigs(CompressionConfig(), database, cache_ttl_s=0)
    first = await configs.get(alice)
    assert first.config == CompressionConfig()
    wanted = CompressionConfig(
        mode=Mode.CONSERVATIVE, target_compression_ratio=12.5, max_latency_ms=7.5, model_type=ModelType.AUTO,
        min_quality_score=3.4,
    )  # fmt: skip
    saved = await configs.update(alice, wanted, first.etag)
    again = await configs.get(alice)
    assert again.config == wanted and again.etag == saved.etag
    with pytest.raises(Aborted):
        await configs.update(alice, CompressionConfig(), first.etag)
    assert (await configs.get(bob)).config == CompressionConfig()  # bob's defaults are his own
    async with database.tenant(alice) as conn:
        row = await conn.fetchrow("SELECT * FROM aic_configs")
    # The columns hold what their CHECKs allow: reduction 1 - 1/12.5, PESQ 3.4 on 0..1, "auto" as the default.
    assert float(row["target_compression_ratio"]) == 0.92 and float(row["min_quality_score"]) == 0.73
    assert row["mode"] == "conservative" and row["max_latency_ms"] == 8


async def test_a_stored_calibration_reaches_every_replica_and_not_the_package(database: Database) -> None:
    """RunBenchmark(calibrate) on one replica stores the table; another replica's follow step picks it up;
    the package's calibration.json stays as shipped."""
    shipped = CalibrationTable.load().data
    one, two = CompressionService(CalibrationTable.load()), CompressionService(CalibrationTable.load())
    store_one, store_two = CalibrationStore(one, database), CalibrationStore(two, database)
    assert not await store_two.load()  # nothing stored yet: the package's table stays in use
    table = {**shipped, "meta": {"generated_by": "replica one"}}
    table["audio"] = {**shipped["audio"], "16000": {**shipped["audio"]["16000"], "curve": [[6000, 2.0], [32000, 4.2]]}}
    await store_one.save(table)
    assert one.calibration.data["meta"] == {"generated_by": "replica one"}
    assert await store_two.load() and two.calibration.data["audio"]["16000"]["curve"] == [[6000, 2.0], [32000, 4.2]]
    assert not await store_two.load()  # already in use
    assert CalibrationTable.load().data == shipped
    with pytest.raises(FailedPrecondition, match="incomplete"):
        await store_one.save({"audio": {}})
