"""MemoryService end to end: the real daemon, its guard (permissions, error mapping) and the local model."""

from __future__ import annotations

import grpc
import pytest
from google.rpc import error_details_pb2
from grpc_status import rpc_status

from auralink.v1 import memory_pb2 as pb
from auralink.v1 import memory_pb2_grpc
from tests.support import Daemon, bearer

TIMEOUT = 120  # the first call loads the embedding model


@pytest.fixture
def api(daemon: Daemon):  # type: ignore[no-untyped-def]
    channel = daemon.channel()
    yield memory_pb2_grpc.MemoryServiceStub(channel), bearer(daemon.token)
    channel.close()


def _violation(err: grpc.RpcError) -> str:
    status = rpc_status.from_call(err)
    assert status is not None
    for detail in status.details:
        bad = error_details_pb2.BadRequest()
        if detail.Unpack(bad):
            return bad.field_violations[0].field
    return ""


def test_store_recall_dedupe_evolve_and_stats_over_grpc(api) -> None:  # type: ignore[no-untyped-def]
    stub, md = api
    stored = stub.StoreMemory(
        pb.StoreMemoryRequest(memory=pb.MemoryInput(content="I am allergic to shellfish", tags=["health"])),
        metadata=md,
        timeout=TIMEOUT,
    ).result
    assert stored.outcome == pb.STORE_OUTCOME_STORED and stored.memory_id
    again = stub.StoreMemory(
        pb.StoreMemoryRequest(memory=pb.MemoryInput(content="I am allergic to shellfish")), metadata=md, timeout=TIMEOUT
    ).result
    assert again.outcome == pb.STORE_OUTCOME_DEDUPED and again.memory_id == stored.memory_id

    batch = stub.BatchStoreMemories(
        pb.BatchStoreMemoriesRequest(
            memories=[pb.MemoryInput(content="I drive a blue Honda Civic"), pb.MemoryInput(content="  ")]
        ),
        metadata=md,
        timeout=TIMEOUT,
    )
    assert (batch.stored, batch.deduped, batch.rejected) == (1, 0, 1)
    assert batch.results[1].reason.startswith("content")

    recalled = stub.RecallMemories(
        pb.RecallMemoriesRequest(query="what food makes me ill?", limit=2), metadata=md, timeout=TIMEOUT
    )
    top = recalled.results[0]
    assert top.memory.content == "I am allergic to shellfish" and top.score.semantic > 0
    assert 0 < top.score.score <= 1 and recalled.strategy

    for request, field in [
        (pb.StoreMemoryRequest(memory=pb.MemoryInput(content="")), "content"),
        (pb.StoreMemoryRequest(memory=pb.MemoryInput(content="x" * 40000)), "content"),
        (pb.StoreMemoryRequest(memory=pb.MemoryInput(content="ok"), options=pb.StoreOptions(embedding_model="nope")),
         "embedding_model"),
    ]:  # fmt: skip
        with pytest.raises(grpc.RpcError) as err:
            stub.StoreMemory(request, metadata=md, timeout=TIMEOUT)
        assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT and _violation(err.value) == field
    with pytest.raises(grpc.RpcError) as err:
        stub.RecallMemories(pb.RecallMemoriesRequest(query="x", limit=101), metadata=md, timeout=TIMEOUT)
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    with pytest.raises(grpc.RpcError) as err:
        stub.RecallMemories(
            pb.RecallMemoriesRequest(query="x", weights=pb.RecallWeights(keyword=2.0)), metadata=md, timeout=TIMEOUT
        )
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT

    dry = stub.EvolveMemories(pb.EvolveMemoriesRequest(dry_run=True), metadata=md, timeout=TIMEOUT)
    assert dry.run.dry_run and dry.run.examined == 2
    stats = stub.GetMemoryStats(pb.GetMemoryStatsRequest(), metadata=md, timeout=TIMEOUT)
    assert stats.total == 2 and stats.pgvector and stats.duplicate_ratio == pytest.approx(1 / 3)
    assert stats.last_evolve_run.dry_run

    deleted = stub.DeleteMemory(pb.DeleteMemoryRequest(id=stored.memory_id, hard=True), metadata=md, timeout=TIMEOUT)
    assert deleted.hard
    with pytest.raises(grpc.RpcError) as err:
        stub.GetMemory(pb.GetMemoryRequest(id=stored.memory_id), metadata=md, timeout=TIMEOUT)
    assert err.value.code() == grpc.StatusCode.NOT_FOUND
    with pytest.raises(grpc.RpcError) as err:
        stub.GetMemoryStats(pb.GetMemoryStatsRequest(), timeout=TIMEOUT)  # no token
    assert err.value.code() == grpc.StatusCode.UNAUTHENTICATED


def test_storing_memories_shows_in_the_event_stream(daemon: Daemon) -> None:
    import threading

    from auralink.v1 import system_pb2, system_pb2_grpc

    seen: list = []
    ready = threading.Event()

    def watch() -> None:
        with daemon.channel() as channel:
            stream = system_pb2_grpc.SystemServiceStub(channel).WatchEvents(
                system_pb2.WatchEventsRequest(topics=["memory."]), metadata=bearer(daemon.token), timeout=120
            )
            try:
                for event in stream:
                    ready.set()
                    if not event.heartbeat:
                        seen.append(event)
                        return
            except grpc.RpcError:
                return

    watcher = threading.Thread(target=watch)
    watcher.start()
    assert ready.wait(15)
    stored = daemon.cli("memory", "store", "The staging cluster lives in eu-west", "-o", "json", timeout_s=180)
    assert stored.returncode == 0, stored.stderr
    watcher.join(120)
    assert seen and seen[0].topic == "memory.stored"
    assert dict(seen[0].data["outcomes"]) == {"stored": 1.0}


def test_an_operator_configured_provider_embedding_model_serves_memories_beside_the_local_one(pg16_fresh_dsn) -> None:  # type: ignore[no-untyped-def]
    from tests.fakes.openai_server import FakeOpenAI
    from tests.support import daemon_env, short_tempdir

    key = "sk-embed-e2e-secret-4242"
    with FakeOpenAI(required_key=key) as provider:
        data_dir = short_tempdir() / "d"
        daemon = Daemon(
            data_dir,
            daemon_env(
                data_dir,
                database_url=pg16_fresh_dsn,
                memory_provider_embedding_model="text-embedding-3-small",
                memory_provider_embedding_api_base=provider.base_url,
                memory_provider_embedding_api_key=key,
            ),
        ).start()
        try:
            with daemon.channel() as channel:
                stub, md = memory_pb2_grpc.MemoryServiceStub(channel), bearer(daemon.token)
                options = pb.StoreOptions(embedding_model="text-embedding-3-small")
                stored = stub.StoreMemory(
                    pb.StoreMemoryRequest(
                        memory=pb.MemoryInput(content="Ticket OPS-4821 tracks db-prod-03"), options=options
                    ),
                    metadata=md,
                    timeout=TIMEOUT,
                ).result
                assert stored.outcome == pb.STORE_OUTCOME_STORED
                recalled = stub.RecallMemories(
                    pb.RecallMemoriesRequest(query="OPS-4821 db-prod-03", embedding_model="text-embedding-3-small"),
                    metadata=md,
                    timeout=TIMEOUT,
                )
                assert [r.memory.id for r in recalled.results][:1] == [stored.memory_id]
                stats = stub.GetMemoryStats(pb.GetMemoryStatsRequest(), metadata=md, timeout=TIMEOUT)
                assert "text-embedding-3-small" in {m.model for m in stats.models}
        finally:
            daemon.stop()
    embedding_calls = [r for r in provider.received if r.path.endswith("/embeddings")]
    assert embedding_calls and all(r.authorization == f"Bearer {key}" for r in embedding_calls)
    assert key not in daemon.log_path.read_text()  # the key reaches the provider, never the log
