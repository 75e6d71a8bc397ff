"""A provider that rejects the key is a provider failure, not an unreachable daemon (#22): its own exit code."""

from __future__ import annotations

import subprocess

import grpc
from google.rpc import error_details_pb2
from grpc_status import rpc_status

from auralink.v1 import providers_pb2, providers_pb2_grpc
from auralink_cli.exit_codes import PROVIDER_FAILED, UNREACHABLE
from tests.fakes.openai_server import FakeOpenAI
from tests.support import BIN, Daemon, bearer


def test_llm_complete_with_a_rejected_key_exits_provider_failure_not_daemon_unreachable(daemon: Daemon) -> None:
    with FakeOpenAI(required_key="sk-the-right-key-000") as fake:
        fake.behave("gpt-4o-mini", reply="never sent")
        added = daemon.cli(
            "providers", "add", "fake", "--type", "openai_compatible", "--base-url", fake.base_url,
            "--model", "gpt-4o-mini",
        )  # fmt: skip
        assert added.returncode == 0, added.stderr
        set_key = subprocess.run(
            [str(BIN / "auralink"), "providers", "set-key", "fake", "--key-stdin"],
            input="sk-a-wrong-key-111", env=daemon.env, capture_output=True, text=True, timeout=60,
        )  # fmt: skip
        assert set_key.returncode == 0, set_key.stderr

        for extra in ([], ["--stream"]):
            failed = daemon.cli(
                "--timeout", "90", "llm", "complete", "hello", "-m", "fake/gpt-4o-mini", *extra, timeout_s=120
            )
            assert failed.returncode == PROVIDER_FAILED != UNREACHABLE, (failed.returncode, failed.stderr)
            assert "daemon unreachable" not in failed.stderr
            assert "provider failure" in failed.stderr and "fake/gpt-4o-mini" in failed.stderr, failed.stderr

        # Over the API: UNAVAILABLE, marked with ErrorInfo reason PROVIDER_FAILED.
        with daemon.channel() as channel:
            try:
                providers_pb2_grpc.AIProviderServiceStub(channel).Complete(
                    providers_pb2.CompleteRequest(
                        messages=[providers_pb2.ChatMessage(role="user", content="hello")], models=["fake/gpt-4o-mini"]
                    ),
                    metadata=bearer(daemon.token), timeout=60,
                )  # fmt: skip
                raise AssertionError("the rejected key was accepted")
            except grpc.RpcError as exc:
                assert exc.code() == grpc.StatusCode.UNAVAILABLE
                status = rpc_status.from_call(exc)  # type: ignore[arg-type]
        assert status is not None
        info = error_details_pb2.ErrorInfo()
        assert status.details[0].Unpack(info) and info.reason == "PROVIDER_FAILED"
