"""--timeout bounds the CLI's streams that should end (chat, streamed completions, the benchmark); --watch
streams stay open past it. A local OpenAI-wire server that answers late stands in for a stalled provider."""

from __future__ import annotations

import subprocess
import time

from tests.fakes.openai_server import FakeOpenAI
from tests.support import BIN, Daemon


def ok(result: subprocess.CompletedProcess[str]) -> subprocess.CompletedProcess[str]:
    assert result.returncode == 0, result.stderr
    return result


def test_timeout_ends_chat_completion_and_bench_streams_but_not_watches(daemon: Daemon) -> None:
    with FakeOpenAI() as fake:
        fake.behave("slow-model", delay_s=40, reply="too late")
        ok(daemon.cli("providers", "add", "fake", "--type", "openai_compatible", "--base-url", fake.base_url,
                      "--model", "slow-model"))  # fmt: skip
        ok(subprocess.run([str(BIN / "auralink"), "providers", "set-key", "fake", "--key-stdin"], input="sk-x",
                          env=daemon.env, capture_output=True, text=True, timeout=60))  # fmt: skip
        # Loading the provider gateway (litellm) takes a while on a cold daemon: not what is measured here.
        ok(daemon.cli("--timeout", "120", "agents", "create", "slowpoke", "--model", "fake/slow-model", timeout_s=150))

        for args in (
            ("agents", "chat", "slowpoke", "-m", "hello?"),
            ("llm", "complete", "hello?", "-m", "fake/slow-model", "--stream"),
        ):
            late = daemon.cli("--timeout", "2", *args, timeout_s=30)  # the provider answers after 40 s
            assert late.returncode == 10, (args, late.stderr)
            assert "within 2s" in late.stderr and late.stdout == ""

    bench = daemon.cli("--timeout", "1", "compress", "bench", "--quick", timeout_s=30)
    assert bench.returncode == 10 and "within 1s" in bench.stderr

    watch = subprocess.Popen(
        [str(BIN / "auralink"), "--timeout", "1", "-o", "json", "rooms", "watch"],
        env=daemon.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert watch.stdout is not None
        assert '"SNAPSHOT_DONE"' in watch.stdout.readline()  # connected and following
        time.sleep(3)
        assert watch.poll() is None  # still following, well past its --timeout
    finally:
        watch.terminate()
        watch.communicate(timeout=10)
