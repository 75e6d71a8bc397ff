"""The validation layer on messages alone: each rule by type, by name and by declaration, and its reach."""

from __future__ import annotations

import pytest
from google.protobuf import descriptor_pb2, descriptor_pool, message_factory

from auralink.v1 import access_pb2, memory_pb2, mesh_pb2, providers_pb2, system_pb2
from auralinkd.api import validation
from auralinkd.errors import InvalidArgument


def _fields(request: object) -> list[str]:
    with pytest.raises(InvalidArgument) as caught:
        validation.check(request)  # type: ignore[arg-type]
    return [v.field for v in caught.value.violations]


def test_a_well_formed_request_passes() -> None:
    request = memory_pb2.StoreMemoryRequest(
        memory=memory_pb2.MemoryInput(
            content="the quick brown fox",
            tags=["a", "b"],
            importance=0.5,
            scope=memory_pb2.MemoryScope(user_id="3f1c1f7e-9d5e-4a8e-9c1c-0b8f8f3a2b11"),
            create_time={"seconds": 1_700_000_000},
        )
    )
    request.memory.metadata.update({"k": "v", "n": 1.5, "l": [1, "x", None]})
    validation.check(request)


def test_every_request_of_every_service_has_a_plan_and_its_empty_message_passes() -> None:
    services = validation.api_services()
    assert {s.name for s in services} >= {"SystemService", "MemoryService", "AIProviderService", "ReputationService"}
    for service in services:
        for rpc in service.methods:
            empty = message_factory.GetMessageClass(rpc.input_type)()
            validation.check(empty)


def test_strings_refuse_nul_anywhere_including_struct_keys_and_values() -> None:
    request = memory_pb2.StoreMemoryRequest(memory=memory_pb2.MemoryInput(content="a\x00", tags=["ok", "t\x00"]))
    request.memory.metadata.update({"k\x00": "v", "deep": {"list": ["x\x00"]}})
    fields = _fields(request)
    assert "memory.content" in fields and "memory.tags[1]" in fields
    assert "memory.metadata.fields.key" in fields
    assert any(f.startswith("memory.metadata.fields['deep']") for f in fields)


def test_lengths_are_bounded_by_name_and_by_declaration() -> None:
    assert _fields(mesh_pb2.QuarantineNodeRequest(node="n" * (validation.NAME_TEXT + 1))) == ["node"]
    assert _fields(memory_pb2.GetMemoryRequest(id="a" * (validation.ID_TEXT + 1))) == ["id"]
    assert _fields(mesh_pb2.QuarantineNodeRequest(node="n", reason="r" * 1025)) == ["reason"]
    assert _fields(access_pb2.CreateRoleRequest(role=access_pb2.Role(description="d" * 70_000))) == ["role.description"]
    validation.check(memory_pb2.RecallMemoriesRequest(query="q" * 100_000))  # declared long text


def test_declared_ids_must_parse_as_uuids() -> None:
    assert _fields(memory_pb2.GetMemoryRequest(id="nope")) == ["id"]
    assert _fields(memory_pb2.StoreMemoryRequest(memory={"scope": {"room_id": "room-1"}})) == ["memory.scope.room_id"]


def test_numbers_must_be_finite_and_enums_declared() -> None:
    weights = memory_pb2.RecallWeights(semantic=float("nan"), keyword=float("inf"), recency=float("-inf"))
    assert _fields(memory_pb2.RecallMemoriesRequest(query="q", weights=weights)) == [
        "weights.semantic",
        "weights.keyword",
        "weights.recency",
    ]
    assert _fields(providers_pb2.SetProviderKeyRequest(provider="p", scope=9999)) == ["scope"]
    assert _fields(memory_pb2.ListMemoriesRequest(states=[1, 77])) == ["states[1]"]


@pytest.mark.parametrize(
    ("stamp", "ok"),
    [
        ({"seconds": 1_700_000_000}, True),
        ({"seconds": 0, "nanos": 999_999_999}, True),
        ({"nanos": -1}, False),
        ({"nanos": 2_147_483_647}, False),
        ({"seconds": 4_600_000_000_000_000_000}, False),
        ({"seconds": -4_600_000_000_000_000_000}, False),
        ({"seconds": validation.DEFAULT_TIME_RANGE[1] + 1}, False),
    ],
)
def test_timestamps_stay_inside_what_python_and_postgresql_hold(stamp: dict[str, int], ok: bool) -> None:
    request = providers_pb2.GetUsageRequest(start_time=stamp)
    if ok:
        validation.check(request)
    else:
        assert _fields(request) == ["start_time"]


@pytest.mark.parametrize(
    ("span", "ok"),
    [
        ({"seconds": 5}, True),
        ({"seconds": 30}, True),
        ({"seconds": 31}, False),  # Ping declares at most 30 s
        ({"seconds": -1}, False),
        ({"seconds": 1, "nanos": -5}, False),
        ({"seconds": 4_600_000_000_000_000_000}, False),
    ],
)
def test_durations_are_non_negative_and_bounded(span: dict[str, int], ok: bool) -> None:
    request = system_pb2.PingRequest(delay=span)
    if ok:
        validation.check(request)
    else:
        assert _fields(request) == ["delay"]


def test_integers_named_as_spans_are_bounded_like_durations() -> None:
    validation.check(access_pb2.CreateApiKeyRequest(name="k", ttl_seconds=90 * 86_400))
    assert _fields(access_pb2.CreateApiKeyRequest(name="k", ttl_seconds=2**62)) == ["ttl_seconds"]
    assert _fields(access_pb2.CreateApiKeyRequest(name="k", ttl_seconds=-1)) == ["ttl_seconds"]


def test_repeated_fields_are_bounded_and_violations_are_capped() -> None:
    too_many = mesh_pb2.HeartbeatBatch(heartbeats=[{"node": "n"}] * (validation.DEFAULT_ITEMS + 1))
    assert _fields(too_many) == ["heartbeats"]
    many_bad = memory_pb2.BatchStoreMemoriesRequest(memories=[{"content": "\x00"}] * 50)
    assert len(_fields(many_bad)) == validation.MAX_VIOLATIONS


def test_echoed_values_are_shortened() -> None:
    with pytest.raises(InvalidArgument) as caught:
        validation.check(memory_pb2.GetMemoryRequest(id="x" * 100))
    assert len(caught.value.message) < 200


def test_a_service_added_later_is_covered_by_its_descriptor_alone() -> None:
    """A message no declaration knows about gets the rules of its field types and names."""
    file = descriptor_pb2.FileDescriptorProto(name="later/v1/later.proto", package="later.v1", syntax="proto3")
    file.dependency.append("google/protobuf/duration.proto")
    request = file.message_type.add(name="DoRequest")
    kinds = descriptor_pb2.FieldDescriptorProto
    request.field.add(name="thing_id", number=1, type=kinds.TYPE_STRING, label=kinds.LABEL_OPTIONAL)
    request.field.add(name="score", number=2, type=kinds.TYPE_DOUBLE, label=kinds.LABEL_OPTIONAL)
    request.field.add(
        name="wait",
        number=3,
        type=kinds.TYPE_MESSAGE,
        type_name=".google.protobuf.Duration",
        label=kinds.LABEL_OPTIONAL,
    )
    pool = descriptor_pool.DescriptorPool()
    from google.protobuf import duration_pb2

    pool.AddSerializedFile(duration_pb2.DESCRIPTOR.serialized_pb)
    pool.Add(file)
    cls = message_factory.GetMessageClass(pool.FindMessageTypeByName("later.v1.DoRequest"))
    validation.check(cls(thing_id="t-1", score=0.5, wait={"seconds": 1}))
    bad = cls(thing_id="t" * 200, score=float("nan"), wait={"seconds": -1})
    assert _fields(bad) == ["thing_id", "score", "wait"]
