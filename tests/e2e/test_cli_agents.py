"""The CLI's providers, llm, agents, translate and usage commands against a daemon and a local OpenAI-wire server.

(The local model's CLI path is the same RPC as tests/e2e/test_agents_api.py, which runs it for real; here a
remote provider keeps the test quick.)
"""

from __future__ import annotations

import json
import subprocess

from tests.fakes.openai_server import FakeOpenAI
from tests.support import Daemon

KEY = "sk-cli-secret-abcdef987654"


def ok(result: subprocess.CompletedProcess[str]) -> subprocess.CompletedProcess[str]:
    assert result.returncode == 0, result.stderr
    return result


def as_json(daemon: Daemon, *args: str) -> dict:  # type: ignore[type-arg]
    return json.loads(ok(daemon.cli("-o", "json", *args, timeout_s=120)).stdout)


def test_cli_manages_providers_agents_chat_translation_and_usage(daemon: Daemon) -> None:
    # No key and no offline translator: a plain refusal, not the 135M chat model's attempt at Spanish.
    refused = daemon.cli(
        "--timeout", "60", "translate", "Good morning, the meeting moved to Thursday.", "--to", "es", timeout_s=60
    )
    assert refused.returncode == 6 and "no offline model for translation" in refused.stderr, refused.stderr
    with FakeOpenAI() as fake:
        fake.behave("gpt-4o-mini", reply="Hola mundo")
        provider = as_json(
            daemon,
            "providers",
            "add",
            "fake",
            "--type",
            "openai_compatible",
            "--base-url",
            fake.base_url,
            "--model",
            "gpt-4o-mini",
        )
        assert provider["name"] == "fake" and provider["type"] == "OPENAI_COMPATIBLE"
        names = [p["name"] for p in as_json(daemon, "providers", "list")["providers"]]
        assert names == ["fake", "local"]

        missing = daemon.cli("llm", "complete", "hi", "-m", "fake/gpt-4o-mini")
        assert missing.returncode == 6 and "auralink providers set-key fake" in missing.stderr

        env = dict(daemon.env)
        set_key = subprocess.run(
            [*daemon_cli_prefix(), "-o", "json", "providers", "set-key", "fake", "--key-stdin"],
            input=KEY,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert set_key.returncode == 0, set_key.stderr
        assert json.loads(set_key.stdout)["fingerprint"].startswith("…7654") and KEY not in set_key.stdout
        assert as_json(daemon, "providers", "validate", "fake")["valid"] is True

        completed = ok(daemon.cli("llm", "complete", "hello", "-m", "fake/gpt-4o-mini", timeout_s=120))
        assert completed.stdout.strip() == "Hola mundo"
        streamed = ok(daemon.cli("llm", "complete", "hello", "-m", "fake/gpt-4o-mini", "--stream"))
        assert "Hola mundo" in streamed.stdout
        selected = as_json(daemon, "llm", "select", "write a haiku")
        assert selected["model"] and selected["reasons"]

        agent = as_json(daemon, "agents", "create", "helper", "--model", "fake/gpt-4o-mini", "--trait", "kind")
        assert agent["name"] == "helper" and agent["personality"]["traits"] == ["kind"]
        assert as_json(daemon, "agents", "update", "helper", "--temperature", "1.1", "--version", "1")["version"] == 2
        stale = daemon.cli("agents", "update", "helper", "--temperature", "0.5", "--version", "1")
        assert stale.returncode == 6
        bad = daemon.cli("agents", "update", "helper", "--temperature", "3.5")
        assert bad.returncode == 2 and "temperature" in bad.stderr

        reply = ok(daemon.cli("agents", "chat", "helper", "-m", "hi there"))
        assert reply.stdout.strip() == "Hola mundo"
        piped = subprocess.run(
            [*daemon_cli_prefix(), "agents", "chat", "helper"],
            input="hello from a pipe",
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert piped.returncode == 0 and piped.stdout.strip() == "Hola mundo"
        conversations = as_json(daemon, "agents", "history", "helper")["conversations"]
        assert len(conversations) == 2 and all(c["message_count"] == 2 for c in conversations)
        assert as_json(daemon, "agents", "rooms")["assignments"] == []

        assert ok(daemon.cli("translate", "hello world", "--to", "es", "-m", "fake/gpt-4o-mini")).stdout.strip() == (
            "Hola mundo"
        )
        # With a key and no model named, selection skips the local chat model (it would be the cheapest).
        assert ok(daemon.cli("translate", "hello world", "--to", "es", timeout_s=60)).stdout.strip() == "Hola mundo"
        unsupported = daemon.cli("translate", "hello", "--to", "xx")
        assert unsupported.returncode == 2 and "unsupported language" in unsupported.stderr
        assert len(as_json(daemon, "translate", "--languages")["languages"]) == 38

        usage = as_json(daemon, "usage")
        assert usage["total_cost_usd"] > 0 and {r["model"] for r in usage["rows"]} == {"gpt-4o-mini"}
        ok(daemon.cli("agents", "delete", "helper", "--yes"))
        assert daemon.cli("agents", "show", "helper").returncode == 5
    assert KEY not in daemon.logs()


def daemon_cli_prefix() -> list[str]:
    from tests.support import BIN

    return [str(BIN / "auralink")]
