"""Global options anywhere on the command line, a light `--help`, and one-line errors with exit codes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from auralink_cli.main import normalize_argv

REPO = Path(__file__).resolve().parents[2]
HEAVY_MODULES = (
    "torch", "litellm", "transformers", "autogen", "autogen_agentchat", "autogen_core", "autogen_ext", "langchain",
    "crewai", "auralinkd", "langgraph", "langchain_core", "prefect", "psycopg",
)  # fmt: skip


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["status", "-o", "json"], ["-o", "json", "status"]),
        (["status", "--output", "json"], ["--output", "json", "status"]),
        (["status", "--output=json"], ["--output=json", "status"]),
        (["status", "-ojson"], ["-ojson", "status"]),
        (["-o", "json", "status"], ["-o", "json", "status"]),
        (["status", "--no-color"], ["--no-color", "status"]),
        (
            ["config", "set", "address", "unix:///s", "--profile", "prod", "--timeout=3"],
            ["--profile", "prod", "--timeout=3", "config", "set", "address", "unix:///s"],
        ),
        (
            ["events", "--topic", "mesh", "--address", "h:1", "--token", "t", "--replay", "5"],
            ["--address", "h:1", "--token", "t", "events", "--topic", "mesh", "--replay", "5"],
        ),
    ],
)
def test_global_options_move_in_front_of_the_subcommand(argv: list[str], expected: list[str]) -> None:
    assert normalize_argv(argv) == expected


def test_an_option_the_subcommand_declares_stays_with_it() -> None:
    from auralink_cli.main import root_command

    root = root_command()
    argv = ["mesh", "nodes", "register", "n1", "--address", "10.0.0.1:7000", "-o", "json"]
    assert normalize_argv(argv, root) == ["-o", "json", "mesh", "nodes", "register", "n1", "--address", "10.0.0.1:7000"]
    before = ["--address", "unix:///s", "mesh", "nodes", "register", "n1", "--address=h:1"]
    assert normalize_argv(before, root) == before  # the daemon's before the subcommand, the node's after it
    assert normalize_argv(["status", "--address", "h:1"], root) == ["--address", "h:1", "status"]


def test_options_after_a_double_dash_are_left_alone() -> None:
    argv = ["config", "set", "-o", "yaml", "--", "token", "-o", "--output=json", "--no-color"]
    assert normalize_argv(argv) == ["-o", "yaml", "config", "set", "--", "token", "-o", "--output=json", "--no-color"]


def test_a_value_option_without_its_value_stays_put_for_click_to_report() -> None:
    assert normalize_argv(["status", "-o"]) == ["status", "-o"]
    assert normalize_argv(["status", "--output", "--"]) == ["status", "--output", "--"]


def test_other_options_and_arguments_keep_their_order() -> None:
    argv = ["config", "get", "token", "--show-secrets", "--help"]
    assert normalize_argv(argv) == argv


# --- through the real entry point, in a subprocess -------------------------------------------


def run_cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("AURALINK_")}
    return subprocess.run(
        [sys.executable, "-c", "from auralink_cli.main import main; main()", *args],
        capture_output=True,
        text=True,
        env={**base, **(env or {})},
        cwd=REPO,
        timeout=60,
    )


def test_help_imports_neither_grpc_nor_heavy_modules_nor_the_daemon() -> None:
    code = (
        "import sys; sys.argv = ['auralink', '--help']\n"
        "from auralink_cli.main import main\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "import json; print(json.dumps(sorted(sys.modules)), file=sys.stderr)"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, timeout=60)
    assert "Usage: auralink" in proc.stdout
    loaded = json.loads(proc.stderr.strip().splitlines()[-1])
    top_level = {name.split(".")[0] for name in loaded}
    for heavy in HEAVY_MODULES:
        assert heavy not in top_level, f"`auralink --help` imported {heavy}"
    assert "grpc" not in top_level


def test_status_imports_no_heavy_module_nor_the_daemon() -> None:
    code = (
        "import sys; sys.argv = ['auralink', 'status', '--address', 'unix:///tmp/nonexistent-auralink.sock']\n"
        "from auralink_cli.main import main\n"
        "from auralink_cli.commands import system\n"
        "from auralink_cli import client\n"  # what a real status call loads
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "import json; print(json.dumps(sorted(sys.modules)), file=sys.stderr)"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, timeout=60)
    top_level = {name.split(".")[0] for name in json.loads(proc.stderr.strip().splitlines()[-1])}
    for heavy in HEAVY_MODULES:
        assert heavy not in top_level, f"`auralink status` imported {heavy}"


@pytest.mark.parametrize("order", ["before", "after"])
def test_unreachable_daemon_exits_3_with_one_stderr_line(order: str, tmp_path: Path) -> None:
    opts = ["--address", "unix:///tmp/nonexistent.sock", "-o", "json"]
    args = [*opts, "status"] if order == "before" else ["status", *opts]
    proc = run_cli(*args, env={"AURALINK_CONFIG": str(tmp_path / "config.toml")})
    assert proc.returncode == 3
    assert proc.stdout == ""
    lines = proc.stderr.splitlines()
    assert len(lines) == 1  # under -o json, the error is one JSON object on one line
    error = json.loads(lines[0])["error"]
    assert error["code"] == "UNAVAILABLE" and error["exit_code"] == 3
    assert error["message"].startswith("daemon unreachable") and "/tmp/nonexistent.sock" in error["message"]
    assert error["request_id"] is None and error["field_violations"] == []
    plain = run_cli("status", "--address", "unix:///tmp/nonexistent.sock", env={"AURALINK_CONFIG": str(tmp_path / "c")})
    assert plain.returncode == 3 and plain.stderr.startswith("error: daemon unreachable")


def test_usage_errors_under_o_json_are_json_naming_the_parameter(tmp_path: Path) -> None:
    proc = run_cli(
        "-o", "json", "mesh", "nodes", "list", "--page-size", "-5", env={"AURALINK_CONFIG": str(tmp_path / "c")}
    )
    assert proc.returncode == 2 and proc.stdout == ""
    error = json.loads(proc.stderr)["error"]
    assert error["code"] == "INVALID_ARGUMENT" and error["exit_code"] == 2 and error["field_violations"]


def test_refused_tcp_connection_exits_3(tmp_path: Path) -> None:
    proc = run_cli("status", "--address", "127.0.0.1:1", "--timeout", "5", env={"AURALINK_CONFIG": str(tmp_path / "c")})
    assert proc.returncode == 3, proc.stderr
    assert len(proc.stderr.splitlines()) == 1 and proc.stderr.startswith("error: daemon unreachable at 127.0.0.1:1")


def test_usage_errors_exit_2(tmp_path: Path) -> None:
    env = {"AURALINK_CONFIG": str(tmp_path / "c")}
    assert run_cli("status", "--bogus", env=env).returncode == 2
    assert run_cli("status", "-o", "xml", env=env).returncode == 2
    assert run_cli("nonsense", env=env).returncode == 2


def test_version_prints_the_client_version_then_exits_3_when_unreachable(tmp_path: Path) -> None:
    from auralink_cli import __version__

    proc = run_cli(
        "version",
        "-o",
        "json",
        "--address",
        "unix:///tmp/nonexistent.sock",
        env={"AURALINK_CONFIG": str(tmp_path / "c")},
    )
    assert proc.returncode == 3
    assert json.loads(proc.stdout) == {"client": __version__, "server": "unreachable"}
    assert len(proc.stderr.splitlines()) == 1


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_completion_prints_a_script_for_each_shell(shell: str) -> None:
    proc = run_cli("completion", shell)
    assert proc.returncode == 0, proc.stderr
    assert "_AURALINK_COMPLETE" in proc.stdout


def test_completion_answers_when_the_shell_asks(tmp_path: Path) -> None:
    env = {"_AURALINK_COMPLETE": "complete_bash", "COMP_WORDS": "auralink sta", "COMP_CWORD": "1"}
    proc = run_cli(env={**env, "AURALINK_CONFIG": str(tmp_path / "c")})
    assert proc.returncode == 0
    assert "status" in proc.stdout


def test_the_command_table_matches_what_the_modules_register() -> None:
    """main.COMMANDS (what `--help` prints without importing the modules) names every top-level command of every
    module, with the first paragraph of its help, in the module that registers it."""
    import importlib
    import inspect

    import typer
    from typer.main import get_command_name, solve_typer_info_defaults

    from auralink_cli.main import COMMAND_MODULES, COMMANDS

    registered: dict[str, tuple[str, str]] = {}
    for module in COMMAND_MODULES:
        holder = typer.Typer()
        importlib.import_module(f"auralink_cli.commands.{module}").register(holder)
        for info in holder.registered_commands:
            assert info.callback is not None
            text = info.help or inspect.getdoc(info.callback) or ""
            registered[info.name or get_command_name(info.callback.__name__)] = (module, text)
        for group in holder.registered_groups:
            solved = solve_typer_info_defaults(group)
            registered[str(solved.name)] = (module, solved.help or "")
    first = {name: (module, text.split("\n\n")[0].replace("\n", " ")) for name, (module, text) in registered.items()}
    assert COMMANDS == first


def test_help_imports_no_command_module_and_no_grpc() -> None:
    code = (
        "import sys\n"
        "from auralink_cli.main import main\n"
        "try:\n"
        "    main(['--help'])\n"
        "except SystemExit:\n"
        "    pass\n"
        "loaded = [m for m in sys.modules if m.startswith(('auralink_cli.commands.', 'grpc', 'auralink.v1'))]\n"
        "print(loaded, file=sys.stderr)\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert "Commands" in proc.stdout and "workflows" in proc.stdout
    assert proc.stderr.strip() == "[]"
