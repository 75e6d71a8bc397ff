"""Property-based fuzzing of every RPC of the real daemon (issue #17): requests generated from the descriptors.

For each RPC, a few hypothesis examples (derandomized, so CI is repeatable): junk and plausible values in
every field, garbage frames, half-closes and early cancels on streams. Each call must answer something
other than INTERNAL or UNKNOWN, by its deadline, without changing the database when it was refused; the
daemon must still answer Ping after each RPC. `python -m bench fuzz` runs many more examples.
"""

from __future__ import annotations

from collections.abc import Iterator

import grpc
import pytest
from hypothesis import HealthCheck, given, settings

from bench.fuzzing import Case, Fuzzer, Method, cases, known_names, methods
from tests.support import Daemon, EmbeddedServer, daemon_on_new_database

EXAMPLES_PER_RPC = 4
METHODS = methods()


@pytest.fixture(scope="module")
def fuzzer(pg16_server: EmbeddedServer) -> Iterator[Fuzzer]:
    with daemon_on_new_database(pg16_server.dsn) as daemon:
        handle = _fuzzer(daemon)
        yield handle
        handle.close()
        assert "Traceback" not in daemon.logs(), daemon.logs()[-6000:]


def _fuzzer(daemon: Daemon) -> Fuzzer:
    return Fuzzer(
        daemon.address,
        daemon.token,
        daemon.env["AURALINK_DATABASE_URL"],
        known_names(daemon.address, daemon.token),
    )


def test_the_fuzzer_reaches_every_service_the_daemon_serves_and_every_kind_of_rpc(fuzzer: Fuzzer) -> None:
    from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc

    with grpc.insecure_channel(fuzzer.address) as channel:
        stub = reflection_pb2_grpc.ServerReflectionStub(channel)
        ask = reflection_pb2.ServerReflectionRequest(list_services="")
        answer = next(iter(stub.ServerReflectionInfo(iter([ask]), timeout=10)))
    served = {s.name for s in answer.list_services_response.service} - {
        "grpc.health.v1.Health",
        "grpc.reflection.v1alpha.ServerReflection",
    }
    assert served and served <= {m.path.split("/")[1] for m in METHODS}
    kinds = {(m.client_streaming, m.server_streaming) for m in METHODS}
    assert kinds == {(False, False), (False, True), (True, False), (True, True)}


@pytest.mark.parametrize("method", METHODS, ids=[m.path.split(".", 2)[-1] for m in METHODS])
def test_no_rpc_answers_internal_hangs_or_writes_when_it_refuses(fuzzer: Fuzzer, method: Method) -> None:
    @settings(
        max_examples=EXAMPLES_PER_RPC,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=cases(method, fuzzer.known))
    def call(case: Case) -> None:
        fuzzer.check(method, case)

    call()
    fuzzer.ping()
