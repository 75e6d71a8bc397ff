"""Every leaf command of `auralink`, run through the real entry point against one real daemon: once with valid
arguments (its `-o json` output parsed) and once with one invalid argument (the documented exit code, and the
error as one JSON object on stderr).

SWEEP is the table. A leaf command without an entry fails test_every_leaf_command_has_a_sweep_entry: whoever
adds a command adds its entry here. Entries run in table order (the invalid run first, so it sees the state the
valid run will change); `{name}` placeholders are filled from earlier results (`save`) and the fixtures.
"""

from __future__ import annotations

import json
import os
import re
import select
import subprocess
import time
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from auralink_cli import exit_codes as codes
from tests.conftest import MigratedTemplates
from tests.e2e.mcp_support import TIME, mcp_daemon_on
from tests.fakes.openai_server import FakeOpenAI
from tests.support import BIN, Daemon, EmbeddedServer, free_port, short_tempdir

KEY = "sk-sweep-secret-0123456789"
MISSING = "00000000-0000-4000-8000-000000000000"  # a well-formed id that names nothing


@dataclass(frozen=True)
class Entry:
    """One leaf command: `valid` and `invalid` are the arguments after its path."""

    path: str
    valid: list[str] | None  # None only with `no_valid_run` saying why
    invalid: list[str]
    code: int = codes.USAGE  # the exit code of the invalid run
    save: dict[str, str] = field(default_factory=dict)  # placeholder -> dotted key of the valid run's JSON
    stdin: str = ""
    stream: bool = False  # a watch or event stream: the first JSON line is enough, then it is stopped
    text: bool = False  # prints text, not JSON (a completion script)
    no_valid_run: str = ""
    before: list[tuple[list[str], dict[str, str]]] = field(default_factory=list)  # set-up runs, and what they save


SWEEP: list[Entry] = [
    # --- system ---------------------------------------------------------------------------------------------
    Entry("status", [], ["--timeout", "0"]),
    Entry("version", [], ["--bogus"]),
    Entry("doctor", [], ["--bogus"]),
    Entry("completion", ["bash"], ["tcsh"], text=True),
    Entry("tui", None, ["--bogus"], no_valid_run="a full-screen app; tests/tui drive it with Pilot"),
    # --- access -----------------------------------------------------------------------------------------------
    Entry("auth whoami", [], ["--token", "forged.token.value"], code=codes.AUTH),
    Entry("orgs create", ["Sweep Org", "--slug", "sweep-org"], ["Sweep", "--slug", "Bad Slug!"], save={"o": "id"}),
    Entry("orgs list", [], ["--limit", "-1"]),
    Entry("orgs show", ["{o}"], [MISSING], code=codes.NOT_FOUND),
    Entry("orgs update", ["{o}", "--name", "Sweep Org 2"], [MISSING, "--name", "x"], code=codes.NOT_FOUND),
    Entry("orgs deactivate", ["{o}", "--yes"], ["{o}"]),
    Entry(
        "users create",
        ["--email", "sweeper@example.com", "--username", "sweeper", "--aura-id", "@sweeper.aura"],
        ["--email", "not-an-email", "--username", "sweeper2"],
        save={"user": "id"},
    ),
    Entry("users list", [], ["--limit", "-1"]),
    Entry("users show", ["{user}"], [MISSING], code=codes.NOT_FOUND),
    Entry("users update", ["{user}", "--display-name", "Sweeper"], ["{user}", "--privacy", "bogus"]),
    Entry("auraid resolve", ["@sweeper.aura"], ["@nobody.aura"], code=codes.NOT_FOUND),
    Entry("roles permissions", [], ["--bogus"]),
    Entry("roles create", ["sweep-role", "--permission", "system:read"], ["r2", "--permission", "nothing:such"]),
    Entry("roles list", [], ["--limit", "-1"]),
    Entry("roles show", ["sweep-role"], ["nosuch-role"], code=codes.NOT_FOUND),
    Entry("roles update", ["sweep-role", "--description", "swept"], ["nosuch-role", "--description", "x"], code=5),
    Entry("roles grant", ["sweep-role", "memories:read"], ["sweep-role", "nothing:such"]),
    Entry("roles revoke", ["sweep-role", "memories:read", "--yes"], ["sweep-role", "memories:read"]),
    Entry("roles assign", ["sweep-role", "{user}"], ["nosuch-role", "{user}"], code=codes.NOT_FOUND),
    Entry("roles effective", ["{user}"], [MISSING], code=codes.NOT_FOUND),
    Entry("roles unassign", ["sweep-role", "{user}", "--yes"], ["sweep-role", "{user}"]),
    Entry("roles delete", ["sweep-role", "--yes"], ["sweep-role"]),
    Entry(
        "tokens issue", ["--ttl", "1h", "--scope", "system:read"], ["--scope", "nothing:such"], save={"t": "token_id"}
    ),
    Entry("tokens list", [], ["--limit", "-1"]),
    Entry("tokens revoke", ["{t}", "--yes"], ["{t}"]),
    Entry(
        "apikeys create", ["sweep-key"], ["k2", "--ttl", "forever"], save={"key": "secret", "key_id": "api_key.prefix"}
    ),
    Entry("apikeys list", [], ["--limit", "-1"]),
    Entry(
        "auth login", ["--api-key", "-", "--profile", "sweep-ci"], ["--api-key", "al_bogus_key"], code=4, stdin="{key}"
    ),
    Entry("apikeys revoke", ["{key_id}", "--yes"], ["{key_id}"]),
    Entry("users deactivate", ["{user}", "--yes"], ["{user}"]),
    Entry("users reactivate", ["{user}"], [MISSING], code=codes.NOT_FOUND),
    Entry("audit list", ["--since", "1h", "--limit", "5"], ["--since", "yesterday"]),
    Entry("audit verify", [], ["--interval", "0"]),
    Entry("audit watch", ["--since-id", "1"], ["--since-id", "-1"], stream=True),
    # --- compression ------------------------------------------------------------------------------------------
    Entry("compress sessions", [], ["--page-token", "not-a-token"]),
    Entry("compress metrics", [], ["--interval", "0"]),
    Entry("compress bench", ["--type", "data", "--mode", "adaptive", "--quick"], ["--type", "bogus"]),
    Entry("compress file", ["{tmp}/tiny.png"], ["{tmp}/notes.txt"]),
    Entry("compress config get", [], ["--bogus"]),
    Entry("compress config set", ["--mode", "aggressive"], ["--mode", "bogus"]),
    # --- mesh and reputation ----------------------------------------------------------------------------------
    Entry(
        "mesh nodes register",
        ["sweep-a", "--address", "10.0.0.1:7000"],
        ["sweep-x", "--address", "h:1", "--type", "bogus"],
    ),
    Entry("mesh nodes list", ["--limit", "10"], ["--state", "bogus"]),
    Entry("mesh nodes show", ["sweep-a"], ["nosuch-node"], code=codes.NOT_FOUND),
    Entry(
        "mesh heartbeat",
        ["sweep-a", "--load", "1", "--link", "sweep-b:10:1000:0"],
        ["sweep-a", "--link", "bad"],
        before=[(["mesh", "nodes", "register", "sweep-b", "--address", "10.0.0.2:7000"], {})],
    ),
    Entry("mesh route", ["sweep-a", "sweep-b"], ["sweep-a", "nosuch-node"], code=codes.NOT_FOUND),
    Entry("mesh status", [], ["--interval", "0"]),
    Entry("reputation list", ["--limit", "10"], ["--band", "bogus"]),
    Entry("reputation show", ["sweep-a"], ["nosuch-node"], code=codes.NOT_FOUND),
    Entry("reputation report", ["sweep-a", "uptime", "--value", "0.9"], ["sweep-a", "bogus"]),
    Entry("reputation explain", ["sweep-a"], ["sweep-a", "--limit", "0"]),
    Entry(
        "reputation quarantine",
        ["sweep-a", "--reason", "sweep", "--duration", "60"],
        ["nosuch-node", "--reason", "x"],
        code=5,
    ),
    Entry("mesh nodes deregister", ["sweep-a", "--yes"], ["sweep-a"]),
    # --- memory -----------------------------------------------------------------------------------------------
    Entry("memory store", ["My dentist is Dr. Okafor", "--tag", "health"], ["   "], save={"m1": "result.memory_id"}),
    Entry("memory recall", ["who looks after my teeth"], ["teeth", "--since", "yesterday"]),
    Entry("memory list", [], ["--state", "bogus"]),
    Entry("memory show", ["{m1}"], [MISSING], code=codes.NOT_FOUND),
    Entry(
        "memory link",
        ["{m2}", "{m1}", "--kind", "extends"],
        ["{m1}", "{m1}", "--kind", "bogus"],
        before=[(["memory", "store", "Dr. Okafor moved to Elm Street"], {"m2": "result.memory_id"})],
    ),
    Entry("memory related", ["{m1}"], [MISSING], code=codes.NOT_FOUND),
    Entry("memory unlink", ["{m2}", "{m1}", "--kind", "extends", "--yes"], ["{m2}", "{m1}", "--kind", "extends"]),
    Entry("memory evolve", ["--dry-run"], ["--dry-run", "--threshold", "5"]),
    Entry("memory stats", [], ["--bogus"]),
    Entry("memory export", ["--file", "{tmp}/export.jsonl"], ["--state", "bogus"]),
    Entry("memory import", ["{tmp}/export.jsonl"], ["{tmp}/missing.jsonl"]),
    Entry("memory delete", ["{m1}", "--yes"], ["{m1}"]),
    Entry("memory restore", ["{m1}"], [MISSING], code=codes.NOT_FOUND),
    # --- rooms (closed after the agents' room commands below) --------------------------------------------------
    Entry("rooms create", ["sweep-room", "--max-participants", "5"], ["r", "--type", "bogus"], save={"room": "id"}),
    Entry("rooms list", [], ["--limit", "-1"]),
    Entry("rooms show", ["{room}"], [MISSING], code=codes.NOT_FOUND),
    Entry("rooms join", ["{room}", "--guest", "Visitor"], ["{room}", "--role", "bogus"], save={"guest": "id"}),
    Entry("rooms participants", ["{room}"], [MISSING], code=codes.NOT_FOUND),
    Entry("rooms leave", ["{room}", "{guest}", "--yes"], ["{room}", MISSING, "--yes"], code=codes.NOT_FOUND),
    Entry("rooms watch", ["{room}"], ["--bogus"], stream=True),
    # --- MCP (the real mcp-server-time over stdio) ------------------------------------------------------------
    Entry(
        "mcp connections add",
        ["time", "--command", "{time_server}", "--", "--local-timezone", "UTC"],
        ["sh", "--command", "/bin/sh"],  # not on the daemon's allow-list
        code=codes.AUTH,
    ),
    Entry("mcp connections list", [], ["--limit", "-1"]),
    Entry("mcp connections show", ["time"], ["nosuch"], code=codes.NOT_FOUND),
    Entry("mcp connections update", ["time", "--description", "clock"], ["nosuch", "--description", "x"], code=5),
    Entry("mcp connections test", ["time", "--timeout", "60"], ["nosuch"], code=codes.NOT_FOUND),
    Entry("mcp tools", ["time", "--timeout", "60"], ["nosuch"], code=codes.NOT_FOUND),
    Entry(
        "mcp call",
        ["time", "get_current_time", "--arg", "timezone=UTC", "--timeout", "60"],
        ["time", "get_current_time", "--arg", "x=1", "--json", "{{}}"],
    ),
    Entry("mcp connections rm", ["time", "--yes"], ["time"]),
    Entry(
        "mcp serve",
        None,
        ["--bogus"],
        no_valid_run="an MCP server on stdio; tests/e2e/test_mcp_serve.py drives it with the SDK's client",
    ),  # fmt: skip
    Entry("metrics", ["--match", "auralink"], ["--url", "http://127.0.0.1:9/metrics"], code=codes.UNREACHABLE),
    # --- storage, speech, workflows: their valid runs need objects, audio or a run; their own e2e files run them
    Entry("storage usage", [], ["--bogus"]),
    Entry("speech voices", [], ["--bogus"]),
    Entry(
        "storage put",
        None,
        ["--bogus"],
        no_valid_run="real objects, a signed URL and a curl-style GET in tests/e2e/test_cli_storage.py",
    ),
    Entry(
        "storage get",
        None,
        ["--bogus"],
        no_valid_run="real objects, a signed URL and a curl-style GET in tests/e2e/test_cli_storage.py",
    ),
    Entry(
        "storage ls",
        None,
        ["--bogus"],
        no_valid_run="real objects, a signed URL and a curl-style GET in tests/e2e/test_cli_storage.py",
    ),
    Entry(
        "storage rm",
        None,
        ["--bogus"],
        no_valid_run="real objects, a signed URL and a curl-style GET in tests/e2e/test_cli_storage.py",
    ),
    Entry(
        "storage sign",
        None,
        ["--bogus"],
        no_valid_run="real objects, a signed URL and a curl-style GET in tests/e2e/test_cli_storage.py",
    ),
    Entry(
        "speech say",
        None,
        ["--bogus"],
        no_valid_run="espeak-ng and faster-whisper round trip in tests/e2e/test_cli_speech.py",
    ),
    Entry(
        "speech transcribe",
        None,
        ["--bogus"],
        no_valid_run="espeak-ng and faster-whisper round trip in tests/e2e/test_cli_speech.py",
    ),
    Entry(
        "workflows create",
        None,
        ["--bogus"],
        no_valid_run="the shipped example end to end, with --watch, cancel and resume, in tests/e2e/test_workflows.py",
    ),
    Entry(
        "workflows list",
        None,
        ["--bogus"],
        no_valid_run="the shipped example end to end, with --watch, cancel and resume, in tests/e2e/test_workflows.py",
    ),
    Entry(
        "workflows show",
        None,
        ["--bogus"],
        no_valid_run="the shipped example end to end, with --watch, cancel and resume, in tests/e2e/test_workflows.py",
    ),
    Entry(
        "workflows rm",
        None,
        ["--bogus"],
        no_valid_run="the shipped example end to end, with --watch, cancel and resume, in tests/e2e/test_workflows.py",
    ),
    Entry(
        "workflows schedule",
        None,
        ["--bogus"],
        no_valid_run="a Prefect deployment read back and a flow run of it, in tests/e2e/test_workflow_schedules.py",
    ),
    Entry(
        "workflows schedules list",
        None,
        ["--bogus"],
        no_valid_run="a Prefect deployment read back and a flow run of it, in tests/e2e/test_workflow_schedules.py",
    ),
    Entry(
        "workflows schedules rm",
        None,
        ["--bogus"],
        no_valid_run="a Prefect deployment read back and a flow run of it, in tests/e2e/test_workflow_schedules.py",
    ),
    Entry(
        "runs start",
        None,
        ["--bogus"],
        no_valid_run="the shipped example end to end, with --watch, cancel and resume, in tests/e2e/test_workflows.py",
    ),
    Entry(
        "runs list",
        None,
        ["--bogus"],
        no_valid_run="the shipped example end to end, with --watch, cancel and resume, in tests/e2e/test_workflows.py",
    ),
    Entry(
        "runs show",
        None,
        ["--bogus"],
        no_valid_run="the shipped example end to end, with --watch, cancel and resume, in tests/e2e/test_workflows.py",
    ),
    Entry(
        "runs watch",
        None,
        ["--bogus"],
        no_valid_run="the shipped example end to end, with --watch, cancel and resume, in tests/e2e/test_workflows.py",
    ),
    Entry(
        "runs cancel",
        None,
        ["--bogus"],
        no_valid_run="the shipped example end to end, with --watch, cancel and resume, in tests/e2e/test_workflows.py",
    ),
    Entry(
        "runs resume",
        None,
        ["--bogus"],
        no_valid_run="the shipped example end to end, with --watch, cancel and resume, in tests/e2e/test_workflows.py",
    ),
    # --- providers, llm, agents, translate, usage (a local OpenAI-wire stand-in) -------------------------------
    Entry(
        "providers add",
        ["fake", "--type", "openai_compatible", "--base-url", "{fake_url}", "--model", "gpt-4o-mini"],
        ["fake2", "--type", "bogus"],
    ),
    Entry("providers list", [], ["--bogus"]),
    Entry("providers set-key", ["fake", "--key-stdin"], ["nope", "--key-stdin"], code=5, stdin=KEY),
    Entry("providers keys", ["fake"], ["--bogus"]),
    Entry("providers validate", ["fake", "--timeout", "60"], ["nope"], code=codes.NOT_FOUND),  # imports litellm
    Entry(
        "llm complete", ["hi", "-m", "fake/gpt-4o-mini", "--max-tokens", "4", "--timeout", "60"], ["hi", "-m", "nope/x"]
    ),
    Entry("llm select", ["write a haiku"], ["x", "--latency-ms", "-1"]),
    Entry("agents create", ["sweep-agent", "--model", "fake/gpt-4o-mini"], ["a2", "--temperature", "9"]),
    Entry("agents list", [], ["--bogus"]),
    Entry("agents show", ["sweep-agent"], ["nosuch-agent"], code=codes.NOT_FOUND),
    Entry("agents update", ["sweep-agent", "--temperature", "0.5"], ["sweep-agent", "--temperature", "3.5"]),
    Entry("agents chat", ["sweep-agent", "-m", "hi"], ["nosuch-agent", "-m", "hi"], code=codes.NOT_FOUND),
    Entry("agents history", ["sweep-agent"], ["nosuch-agent"], code=codes.NOT_FOUND),
    Entry("agents assign-room", ["sweep-agent", "{room}"], ["sweep-agent", MISSING], code=codes.NOT_FOUND),
    Entry("agents rooms", ["sweep-agent"], ["nosuch-agent"], code=codes.NOT_FOUND),
    Entry("agents unassign-room", ["sweep-agent", "{room}", "--yes"], ["sweep-agent", "{room}"]),
    Entry("agents delete", ["sweep-agent", "--yes"], ["sweep-agent"]),
    Entry("rooms close", ["{room}", "--yes"], ["{room}"]),
    Entry("translate", ["hello", "--to", "es", "-m", "fake/gpt-4o-mini"], ["hello", "--to", "xx"]),
    Entry("usage", [], ["--since", "yesterday"]),
    Entry("usage budget", ["org", "100"], ["bogus", "100"]),
    Entry("usage budgets", [], ["--bogus"]),
    Entry("providers remove", ["fake", "--yes"], ["fake"]),
    Entry("providers rotate-kek", ["--yes"], []),
    # --- the config file (last: `config use` switches the profile) -------------------------------------------
    Entry("config set", ["timeout", "30", "--profile", "sweep"], ["bogus", "1"]),
    Entry("config get", ["timeout", "--profile", "sweep"], ["bogus"]),
    Entry("config list", [], ["--bogus"]),
    Entry("config unset", ["timeout", "--profile", "sweep"], ["bogus"]),
    Entry("config use", ["sweep-ci"], ["nope"], code=codes.NOT_FOUND),
    Entry("auth logout", ["--profile", "sweep-ci"], ["--profile", "nope"], code=codes.NOT_FOUND),
    Entry("config delete", ["sweep-ci", "--yes"], ["sweep-ci"]),
    Entry("events", ["--replay", "5"], ["--replay", "-1"], stream=True),
]


def leaf_commands() -> dict[str, Any]:
    """Every command of the tree that runs something, by path ("mesh nodes list"); a group that runs
    without a subcommand (`usage`) counts too."""
    import typer
    from typer.core import TyperGroup

    from auralink_cli.main import root_command

    root = root_command()
    ctx = typer.Context(root)
    found: dict[str, Any] = {}

    def walk(command: Any, path: list[str]) -> None:
        if not isinstance(command, TyperGroup):
            found[" ".join(path)] = command
            return
        if path and command.invoke_without_command:
            found[" ".join(path)] = command
        for name in command.list_commands(ctx):
            sub = command.get_command(ctx, name)
            if sub is not None and not sub.hidden:
                walk(sub, [*path, name])

    walk(root, [])
    return found


def test_every_leaf_command_has_a_sweep_entry() -> None:
    leaves = set(leaf_commands())
    entries = [e.path for e in SWEEP]
    missing = sorted(leaves - set(entries))
    stale = sorted(set(entries) - leaves)
    assert not missing, f"leaf commands with no entry in tests/e2e/test_cli_sweep.py SWEEP: {missing}"
    assert not stale, f"SWEEP entries for commands that do not exist: {stale}"
    assert len(entries) == len(set(entries)), "a command has two SWEEP entries"
    for entry in SWEEP:
        assert entry.valid is not None or entry.no_valid_run, f"{entry.path}: no valid run and no reason"


def test_every_destructive_command_takes_yes() -> None:
    """Commands that delete, revoke, deactivate, unassign, deregister or remove someone ask first (or take --yes)."""
    verbs = (
        "delete",
        "remove",
        "rm",
        "revoke",
        "deactivate",
        "unassign",
        "deregister",
        "unassign-room",
        "rotate-kek",
        "close",
        "leave",
    )
    for path, command in leaf_commands().items():
        if path.split()[-1] in verbs:
            opts = {o for p in command.params for o in getattr(p, "opts", [])}
            assert "--yes" in opts, f"`auralink {path}` is destructive but has no --yes"


# --- the run ---------------------------------------------------------------------------------------------------


def _fill(args: list[str], values: dict[str, str]) -> list[str]:
    return [a.format(**values) for a in args]


def _dig(data: Any, dotted: str) -> str:
    for part in dotted.split("."):
        data = data[part]
    return str(data)


# Read-only commands also run as tables: no Python values (dict or list reprs, True/False/None) may show.
TABLE_VERBS = frozenset(
    {"list", "show", "status", "stats", "keys", "explain", "effective", "permissions", "whoami", "metrics",
     "sessions", "budgets", "related", "rooms", "get", "usage", "recall", "select"}
)  # fmt: skip
PYTHON_VALUES = re.compile(r"\{'|\['|\bTrue\b|\bFalse\b|\bNone\b")


def _table_run(entry: Entry, values: dict[str, str], env: dict[str, str]) -> None:
    if entry.valid is None or entry.stream or entry.path.split()[-1] not in TABLE_VERBS:
        return
    args = [*entry.path.split(), *_fill(entry.valid, values)]
    proc = _run(args, entry.stdin.format(**values), env, fmt="table")
    assert proc.returncode == 0, f"`auralink {' '.join(args)}` exited {proc.returncode}: {proc.stderr}"
    shown = PYTHON_VALUES.search(proc.stdout)
    assert shown is None, f"`auralink {' '.join(args)}` printed a Python value {shown.group()!r}:\n{proc.stdout}"
    if entry.path.split()[-1] == "list":  # `-o name`: one name or id per line, for scripts
        named = _run(args, "", env, fmt="name")
        assert named.returncode == 0 and "{" not in named.stdout, f"-o name {' '.join(args)}: {named.stdout}"


def _run(args: list[str], stdin: str, env: dict[str, str], fmt: str = "json") -> subprocess.CompletedProcess[str]:
    """`auralink -o json ARGS` through main(), in this process (a subprocess per run would cost the sweep
    minutes of interpreter start-ups); `env` holds the AURALINK_* settings the test process was given."""
    import contextlib
    import io
    import sys

    from auralink_cli.main import main

    out, err = io.StringIO(), io.StringIO()
    saved_stdin = sys.stdin
    sys.stdin = io.StringIO(stdin)
    code: Any = 0
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            main(["-o", fmt, *args])
    except SystemExit as exc:
        code = exc.code
    finally:
        sys.stdin = saved_stdin
    returncode = code if isinstance(code, int) else (0 if code is None else 1)
    return subprocess.CompletedProcess(args, returncode, out.getvalue(), err.getvalue())


def _first_line(args: list[str], env: dict[str, str], timeout_s: float = 60) -> tuple[str, str]:
    """Start a streaming command, return its first stdout line (and stderr so far), then stop it."""
    proc = subprocess.Popen(
        [str(BIN / "auralink"), "-o", "json", *args],
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None and proc.stderr is not None
    try:
        ready, _, _ = select.select([proc.stdout], [], [], timeout_s)
        line = proc.stdout.readline() if ready else ""
    finally:
        proc.terminate()
        try:
            _, err = proc.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            _, err = proc.communicate()
    return line, err


def _check_invalid(entry: Entry, args: list[str], proc: subprocess.CompletedProcess[str]) -> None:
    where = f"`auralink -o json {entry.path} {' '.join(args)}`"
    assert proc.returncode == entry.code, f"{where}: exit {proc.returncode}, wanted {entry.code}: {proc.stderr}"
    assert proc.stdout == "", f"{where}: a failure printed results: {proc.stdout!r}"
    lines = proc.stderr.strip().splitlines()
    error = json.loads(lines[-1])["error"]  # one JSON object on one line
    assert error["exit_code"] == entry.code and error["message"], where
    assert set(error) == {"code", "exit_code", "message", "request_id", "field_violations"}, where


DELETE_VERBS = {"delete", "remove", "rm", "deregister", "unassign", "unassign-room", "unlink"}
REVOKE_COMMANDS = {"tokens revoke", "apikeys revoke", "rooms leave"}  # `roles revoke` returns the role


def _check_shape(path: str, data: Any) -> None:
    """The one JSON shape of deletes ({resource, id, deleted: true, ...}), revocations ({resource, id,
    revoked: true, ...}) and deactivations (the resource, its `active` false)."""
    verb = path.split()[-1]
    if verb in DELETE_VERBS:
        assert data.get("deleted") is True and data.get("resource") and data.get("id"), f"{path}: {data}"
    elif path in REVOKE_COMMANDS:
        assert data.get("revoked") is True and data.get("resource") and data.get("id"), f"{path}: {data}"
    elif verb == "deactivate":
        assert data.get("active") is False, f"{path}: {data}"


def _png(path: Path) -> None:
    """A 16x16 grey PNG, written by hand (no imaging library needed)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return len(data).to_bytes(4, "big") + kind + data + zlib.crc32(kind + data).to_bytes(4, "big")

    header = (16).to_bytes(4, "big") * 2 + bytes([8, 0, 0, 0, 0])
    rows = b"".join(b"\x00" + bytes(range(0, 256, 16)) for _ in range(16))
    path.write_bytes(
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")
    )


@pytest.fixture
def sweep_daemon(pg16_server: EmbeddedServer, migrated_templates: MigratedTemplates) -> Iterator[Daemon]:
    """One daemon for the whole sweep: MCP's stdio allow-list (the time server) and the HTTP listener on."""
    with mcp_daemon_on(pg16_server, migrated_templates, http_address=f"127.0.0.1:{free_port()}") as daemon:
        yield daemon


@pytest.mark.timeout(900)
def test_every_leaf_command_against_a_real_daemon(sweep_daemon: Daemon, monkeypatch: pytest.MonkeyPatch) -> None:
    daemon = sweep_daemon
    tmp = short_tempdir("sw")
    _png(tmp / "tiny.png")
    (tmp / "notes.txt").write_text("not an image")
    env = {**daemon.env, "AURALINK_CONFIG": str(tmp / "cli.toml")}
    env.pop("AURALINK_OUTPUT", None)
    for key in [k for k in os.environ if k.startswith("AURALINK_")]:
        monkeypatch.delenv(key)
    for key in ("AURALINK_DATA_DIR", "AURALINK_CONFIG", "AURALINK_HTTP_ADDRESS"):  # what the in-process runs read
        monkeypatch.setenv(key, env[key])
    timings: list[tuple[float, str]] = []
    failures: list[str] = []
    with FakeOpenAI() as fake:
        fake.behave("gpt-4o-mini", reply="Hola")
        values = {"tmp": str(tmp), "fake_url": fake.base_url, "time_server": TIME}
        for entry in SWEEP:  # every command runs; the failures are reported together at the end
            started = time.monotonic()
            for check in (_invalid_run, _valid_run, _table_run):
                try:
                    check(entry, values, env)
                except (AssertionError, ValueError, KeyError, IndexError, subprocess.TimeoutExpired) as exc:
                    failures.append(f"{entry.path} ({check.__name__}): {type(exc).__name__}: {exc}")
            timings.append((time.monotonic() - started, entry.path))
    slowest = ", ".join(f"{p} {s:.1f}s" for s, p in sorted(timings, reverse=True)[:5])
    print(f"sweep: {len(SWEEP)} commands in {sum(s for s, _ in timings):.0f} s; slowest: {slowest}")
    errors = [line for line in daemon.logs().splitlines() if " ERROR " in line or "Error" in line][-30:]
    assert not failures, (
        f"{len(failures)} of {len(SWEEP)} commands failed:\n"
        + "\n".join(failures)
        + "\ndaemon log:\n"
        + "\n".join(errors)
    )


def _invalid_run(entry: Entry, values: dict[str, str], env: dict[str, str]) -> None:
    invalid = [*entry.path.split(), *_fill(entry.invalid, values)]
    if entry.stream:
        line, err = _first_line(invalid, env, timeout_s=30)
        assert line == "", f"the invalid run streamed {line!r}"
        assert json.loads(err.strip().splitlines()[-1])["error"]["exit_code"] == entry.code, err
    else:
        _check_invalid(entry, invalid, _run(invalid, entry.stdin.format(**values), env))


def _valid_run(entry: Entry, values: dict[str, str], env: dict[str, str]) -> None:
    for setup, saved in entry.before:
        done = _run(setup, "", env)
        assert done.returncode == 0, f"set-up `auralink {' '.join(setup)}`: {done.stderr}"
        for name, dotted in saved.items():
            values[name] = _dig(json.loads(done.stdout), dotted)
    if entry.valid is None:
        return
    args = [*entry.path.split(), *_fill(entry.valid, values)]
    if entry.stream:
        line, err = _first_line(args, env)
        assert line, f"`auralink {' '.join(args)}` streamed nothing: {err}"
        json.loads(line)
        return
    proc = _run(args, entry.stdin.format(**values), env)
    assert proc.returncode == 0, f"`auralink -o json {' '.join(args)}` exited {proc.returncode}: {proc.stderr}"
    if entry.text:
        assert proc.stdout.strip(), "printed nothing"
        return
    data = json.loads(proc.stdout)
    _check_shape(entry.path, data)
    for name, dotted in entry.save.items():
        values[name] = _dig(data, dotted)
