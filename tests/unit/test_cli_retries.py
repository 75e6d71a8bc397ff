"""The CLI retries reads on UNAVAILABLE (a replica that went away) and never retries a mutation."""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Iterator
from concurrent import futures
from pathlib import Path

import grpc
import pytest

import auralink.v1
from auralink.v1 import memory_pb2, system_pb2
from auralink_cli.client import Client
from auralink_cli.exit_codes import CliError
from auralink_cli.profiles import Config, Settings
from auralink_cli.retries import READ_METHODS
from tests.support import free_port


def _reads_in_the_protos() -> dict[str, tuple[str, ...]]:
    found: dict[str, tuple[str, ...]] = {}
    for module in pkgutil.iter_modules(auralink.v1.__path__):
        if module.name.endswith("_pb2"):
            descriptor = importlib.import_module(f"auralink.v1.{module.name}").DESCRIPTOR
            for service in descriptor.services_by_name.values():
                reads = tuple(m.name for m in service.methods if m.name.startswith(("Get", "List")) or m.name == "Ping")
                if reads:
                    found[service.name] = reads
    return found


def test_the_retried_methods_are_exactly_the_reads_of_the_protos() -> None:
    assert {s: set(m) for s, m in READ_METHODS.items()} == {s: set(m) for s, m in _reads_in_the_protos().items()}


class _FlakyReplica:
    """A server whose first call of each method fails UNAVAILABLE, as a replica going away fails it."""

    def __init__(self) -> None:
        self.calls: dict[str, int] = {}

    def _answer(self, name: str, response: object):  # noqa: ANN202
        def handle(_request: object, context: grpc.ServicerContext) -> object:
            self.calls[name] = self.calls.get(name, 0) + 1
            if self.calls[name] == 1:
                context.abort(grpc.StatusCode.UNAVAILABLE, "replica going away")
            return response

        return handle

    def handlers(self) -> list[grpc.GenericRpcHandler]:
        def unary(name: str, request_type: type, response: object) -> grpc.RpcMethodHandler:
            return grpc.unary_unary_rpc_method_handler(
                self._answer(name, response), request_type.FromString, lambda m: m.SerializeToString()
            )

        return [
            grpc.method_handlers_generic_handler(
                "auralink.v1.SystemService", {"Ping": unary("Ping", system_pb2.PingRequest, system_pb2.PingResponse())}
            ),
            grpc.method_handlers_generic_handler(
                "auralink.v1.MemoryService",
                {
                    "DeleteMemory": unary(
                        "DeleteMemory", memory_pb2.DeleteMemoryRequest, memory_pb2.DeleteMemoryResponse()
                    )
                },
            ),
        ]


@pytest.fixture
def replica() -> Iterator[tuple[_FlakyReplica, str]]:
    flaky = _FlakyReplica()
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=2), handlers=flaky.handlers())
    address = f"127.0.0.1:{free_port()}"
    server.add_insecure_port(address)
    server.start()
    yield flaky, address
    server.stop(None)


def _settings(address: str) -> Settings:
    return Settings(address=address, token="t", output="json", timeout=5.0, no_color=True, profile="default",
                    config=Config(path=Path("/nonexistent/config.toml")))  # fmt: skip


def test_a_read_that_fails_unavailable_is_sent_again(replica: tuple[_FlakyReplica, str]) -> None:
    flaky, address = replica
    with Client(_settings(address)) as client:
        client.system.Ping(system_pb2.PingRequest())
    assert flaky.calls["Ping"] == 2


def test_a_mutation_that_fails_unavailable_is_not_sent_again(replica: tuple[_FlakyReplica, str]) -> None:
    flaky, address = replica
    with Client(_settings(address)) as client, pytest.raises(CliError):
        client.memory.DeleteMemory(memory_pb2.DeleteMemoryRequest(id="00000000-0000-0000-0000-000000000001"))
    assert flaky.calls["DeleteMemory"] == 1
