"""The `auralink` app: global options, the registry of commands, argv normalisation, main().

Adding an area (access, memory, agents, …): write auralink_cli/commands/<area>.py with a
`register(app)` function, add its top-level commands to COMMANDS (name, module, one-line help; a unit
test checks the table against what the modules register), and give each new leaf command an entry in
tests/e2e/test_cli_sweep.py (the sweep fails on a command without one). main() imports only the module
of the command it runs and builds only that command (LazyGroup): `auralink --help` imports no command
module, no grpc and no stubs.
"""

from __future__ import annotations

import importlib
import os
import sys
from collections.abc import Sequence
from enum import StrEnum
from functools import cache
from typing import Annotated, Any

import typer
from typer.core import TyperGroup

from auralink_cli import output
from auralink_cli.exit_codes import UNEXPECTED, CliError
from auralink_cli.profiles import GlobalOptions

# The registry: top-level command -> (its module under auralink_cli/commands/, its one-line help), in --help
# order. `auralink --help` prints it without importing any module; tests/unit/test_cli_argv.py checks it.
COMMANDS: dict[str, tuple[str, str]] = {
    "status": ("system", "Daemon state, version, uptime, database, Redis and services."),
    "version": (
        "system",
        "Client and server versions. Exit 3 (after printing the client's) when the daemon is unreachable.",
    ),
    "events": ("system", "Stream the daemon's events, one line each (JSON lines with -o json). Ctrl-C exits 0."),
    "doctor": ("doctor", "Check config, address, token, daemon, auth, database, migrations, Redis and clock skew."),
    "config": ("config", "Profiles (address, token, output, timeout, ca_file) in the config file."),
    "completion": ("completion", "Print the shell completion script for bash, zsh or fish."),
    "orgs": ("orgs", "Organizations (tenants)."),
    "users": ("users", "Users of an organization, with their base role and AuraID."),
    "auraid": ("auraid", "AuraIDs (@name.aura): look them up."),
    "roles": ("roles", "RBAC roles, permissions and role assignments."),
    "tokens": ("tokens", "Bearer tokens (JWTs): issue, list, revoke."),
    "apikeys": ("apikeys", "API keys for scripts and CI: create, list, revoke."),
    "audit": ("audit", "The audit log: list, verify the hash chain, watch."),
    "auth": ("auth", "Log in with a token or an API key; show who you are."),
    "compress": ("compress", "AIC compression: config, sessions, metrics, benchmark, files."),
    "mesh": ("mesh", "Mesh nodes, heartbeats, routes and network status."),
    "reputation": ("reputation", "Node trust: evidence, EigenTrust, quarantine."),
    "memory": ("memory", "Long-term memories: store, recall, evolve, import/export."),
    "tui": ("tui", "Live dashboard: overview, agents, memory, mesh, access and compression (keys 1-6, ? for help)."),
    "providers": ("providers", "LLM providers and their API keys (BYOK)."),
    "llm": ("llm", "Completions and model selection."),
    "agents": ("agents", "AI agents: configuration, chat, history and rooms."),
    "translate": ("translate", "Translate text through the provider stack (38 languages)."),
    "usage": ("usage", "LLM cost and tokens, and budgets."),
    "metrics": (
        "metrics",
        "RPCs by method (calls, errors, latency) and the daemon's gauges, from its Prometheus /metrics.",
    ),
    "rooms": ("rooms", "Rooms (where calls happen) and their participants."),
    "mcp": ("mcp", "MCP: tool servers, their tools and tool calls."),
    "storage": ("storage", "Objects: put, get, list, delete, signed URLs."),
    "speech": ("speech", "Speech: say text, transcribe audio, list voices."),
    "workflows": ("workflows", "Workflow definitions (LangGraph, AutoGen, CrewAI, Prefect)."),
    "runs": ("workflows", "Runs of workflows: start, watch, cancel, resume."),
}
COMMAND_MODULES: tuple[str, ...] = tuple(dict.fromkeys(module for module, _ in COMMANDS.values()))

# Global options that take a value, and those that do not. main() moves them in front of the
# subcommand so that `auralink status -o json` works like `auralink -o json status`, unless the
# subcommand declares an option of the same name (`mesh nodes register --address`): that one is its own.
VALUE_OPTIONS: frozenset[str] = frozenset({"--address", "--token", "--output", "-o", "--timeout", "--profile"})
FLAG_OPTIONS: frozenset[str] = frozenset({"--no-color", "--no-headers"})
COMPLETE_VAR = "_AURALINK_COMPLETE"


class OutputFormat(StrEnum):
    table = "table"
    json = "json"
    yaml = "yaml"
    name = "name"  # one name (or id) per line, for scripts


APP_SETTINGS: dict[str, Any] = dict(
    name="auralink",
    help="Command-line client of AuraLink Core (talks to auralinkd over gRPC).",
    no_args_is_help=True,
    add_completion=False,  # `auralink completion SHELL` prints the script instead
    pretty_exceptions_enable=False,
    # Plain Click help and usage errors: rich help formatting would cost ~150 ms on every --help.
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
    epilog=(
        "Global options work before or after the subcommand. Settings: flag > env > profile > default. "
        "Exit codes: 0 ok, 1 unexpected, 2 usage/invalid argument, 3 daemon unreachable, "
        "4 unauthenticated/permission denied, 5 not found, 6 conflict/precondition, "
        "7 degraded, 8 not ready, 9 resource exhausted, 10 deadline exceeded, 11 provider failure."
    ),
)


def global_options(
    ctx: typer.Context,
    address: Annotated[
        str | None,
        typer.Option(
            help="Daemon address: unix:///path/auralinkd.sock, host:port or tls://host:port. "
            "Env AURALINK_ADDRESS. Default: the socket in the data directory."
        ),
    ] = None,
    token: Annotated[
        str | None,
        typer.Option(
            help="Bearer token (JWT). Env AURALINK_TOKEN. Default: the profile's, or the local "
            "admin.token when talking to the local socket.",
            show_default=False,
        ),
    ] = None,
    output_format: Annotated[
        OutputFormat | None,
        typer.Option(
            "--output",
            "-o",
            case_sensitive=False,
            help="Output format (name: one name or id per line). Env AURALINK_OUTPUT. Default: table.",
        ),
    ] = None,
    timeout: Annotated[
        float | None,
        typer.Option(min=0.001, help="Deadline of every call, in seconds. Env AURALINK_TIMEOUT. Default: 10."),
    ] = None,
    no_color: Annotated[bool, typer.Option("--no-color", help="No colours (also: NO_COLOR, non-tty).")] = False,
    no_headers: Annotated[bool, typer.Option("--no-headers", help="Tables without their header row.")] = False,
    profile: Annotated[
        str | None,
        typer.Option(
            help="Profile of the config file to use (or to change, for `config set`). "
            "Env AURALINK_PROFILE. Default: the current one."
        ),
    ] = None,
) -> None:
    output.set_no_headers(no_headers)
    ctx.obj = GlobalOptions(
        address=address,
        token=token,
        output=output_format.value if output_format is not None else None,
        timeout=timeout,
        no_color=no_color,
        profile=profile,
    )


@cache
def module_app(module: str) -> typer.Typer:
    """A Typer holding what one command module registers (the module is imported here, on first use)."""
    holder = typer.Typer()
    importlib.import_module(f"auralink_cli.commands.{module}").register(holder)
    return holder


def full_app() -> typer.Typer:
    """The whole tree as one Typer app (every module imported): for tools and tests that walk it."""
    whole = typer.Typer(**APP_SETTINGS)
    whole.callback()(global_options)
    for module in COMMAND_MODULES:
        holder = module_app(module)
        whole.registered_commands.extend(holder.registered_commands)
        whole.registered_groups.extend(holder.registered_groups)
    return whole


def __getattr__(name: str) -> Any:
    if name == "app":  # `from auralink_cli.main import app` builds the whole tree only when asked
        return full_app()
    raise AttributeError(name)


class LazyGroup(TyperGroup):
    """The root group of main(): it imports a command's module and builds the command only when it is used.

    Importing every module and building the whole tree inspects every command's signature (~120 ms for
    ~100 commands); `--help` lists names and one-line helps straight from COMMANDS.
    """

    def _info(self, name: str) -> Any:
        """What the module of `name` registered under that name (importing the module)."""
        from typer.main import get_command_name, solve_typer_info_defaults

        holder = module_app(COMMANDS[name][0])
        for info in holder.registered_commands:
            assert info.callback is not None
            if (info.name or get_command_name(info.callback.__name__)) == name:
                return info
        for group_info in holder.registered_groups:
            if solve_typer_info_defaults(group_info).name == name:
                return group_info
        return None

    def list_commands(self, ctx: typer.Context) -> list[str]:
        return [*self.commands, *(name for name in COMMANDS if name not in self.commands)]

    def get_command(self, ctx: typer.Context, cmd_name: str) -> Any:
        found = self.commands.get(cmd_name)
        if found is not None:
            return found
        info = self._info(cmd_name) if cmd_name in COMMANDS else None
        if info is None:
            return None
        from typer.main import CommandInfo, get_command_from_info, get_group_from_info

        if isinstance(info, CommandInfo):
            built = get_command_from_info(info, pretty_exceptions_short=True, rich_markup_mode=None)
        else:
            built = get_group_from_info(
                info, pretty_exceptions_short=True, rich_markup_mode=None, suggest_commands=True
            )
        self.commands[cmd_name] = built
        return built

    def format_commands(self, ctx: typer.Context, formatter: Any) -> None:
        from typer._click.utils import make_default_short_help

        rows = [(name, text) for name, (_, text) in COMMANDS.items()]
        limit = formatter.width - 6 - max(len(name) for name, _ in rows)
        with formatter.section("Commands"):
            formatter.write_dl([(name, make_default_short_help(text, limit)) for name, text in rows])


def root_command() -> LazyGroup:
    """The `auralink` group with the global options, its subcommands built on first use."""
    shell = typer.Typer(**APP_SETTINGS, cls=LazyGroup)
    shell.callback()(global_options)
    group = typer.main.get_command(shell)
    assert isinstance(group, LazyGroup)
    return group


def own_options(root: Any, argv: Sequence[str]) -> set[str]:
    """Option names that the subcommands named on the command line declare themselves.

    Resolves `mesh nodes register` in `mesh nodes register NAME --address H:P` (building only those
    groups), so a global option of the same name is not taken from under it.
    """
    from typer.core import TyperOption

    names: set[str] = set()
    command = root
    ctx = typer.Context(root, info_name="auralink")
    skip_value = False
    for arg in argv:
        if arg == "--":
            break
        if skip_value:
            skip_value = False
            continue
        if arg.startswith("-"):
            skip_value = arg in VALUE_OPTIONS and arg not in names
            continue
        if not isinstance(command, TyperGroup):
            break
        command = command.get_command(ctx, arg)
        if command is None:
            break
        for param in command.params:
            if isinstance(param, TyperOption):
                names.update(param.opts)
                names.update(param.secondary_opts)
    return names


def normalize_argv(argv: Sequence[str], root: Any = None) -> list[str]:
    """Move global options, with their values, in front of the subcommand.

    Handles `--output json`, `--output=json`, `-o json` and `-ojson`. Everything after a literal
    `--` is left alone (it belongs to the command), and so is a value option missing its value
    (Click then reports the usage error). With `root`, an option that the subcommand itself
    declares stays where it is: `auralink --address H:P mesh nodes register N --address N:P`.
    """
    own = own_options(root, argv) if root is not None else set()
    front: list[str] = []
    rest: list[str] = []
    args = list(argv)
    i = 0
    while i < len(args):
        arg = args[i]
        if arg == "--":
            rest.extend(args[i:])
            break
        name = arg.split("=", 1)[0] if arg.startswith("--") else arg
        if name in own or (arg.startswith("-o") and not arg.startswith("--") and "-o" in own):
            rest.append(arg)
        elif arg in FLAG_OPTIONS:
            front.append(arg)
        elif name in VALUE_OPTIONS and "=" in arg:
            front.append(arg)
        elif arg in VALUE_OPTIONS:
            if i + 1 >= len(args) or args[i + 1] == "--":
                rest.append(arg)
            else:
                front.extend((arg, args[i + 1]))
                i += 1
        elif arg.startswith("-o") and not arg.startswith("--") and len(arg) > 2:
            front.append(arg)  # -ojson
        else:
            rest.append(arg)
        i += 1
    return front + rest


def main(argv: Sequence[str] | None = None) -> None:
    """Console-script entry point: normalise argv, run the app, turn CliError into one stderr line."""
    if os.environ.get(COMPLETE_VAR):  # the shell asks for completions (see `auralink completion`)
        from auralink_cli.commands.completion import enable_completion_classes

        enable_completion_classes()
    command = root_command()
    args = normalize_argv(sys.argv[1:] if argv is None else argv, command)
    output.set_error_format(output.format_from_argv(args))
    try:
        code = command.main(args=args, prog_name="auralink", complete_var=COMPLETE_VAR, standalone_mode=False)
    except CliError as exc:
        output.failure(exc)
        sys.exit(exc.exit_code)
    except typer.Abort:
        output.error("aborted")
        sys.exit(UNEXPECTED)
    except KeyboardInterrupt:
        sys.exit(130)
    except Exception as exc:  # a bug: one line, and the traceback with AURALINK_DEBUG=1
        from typer._click.exceptions import ClickException

        if isinstance(exc, ClickException):  # usage errors: Click's text, or JSON under -o json
            if not output.usage_failure(exc):
                exc.show()
            sys.exit(exc.exit_code)
        if os.environ.get("AURALINK_DEBUG"):
            raise
        output.failure(
            CliError(UNEXPECTED, f"unexpected {type(exc).__name__}: {exc} (AURALINK_DEBUG=1 shows the traceback)")
        )
        sys.exit(UNEXPECTED)
    sys.exit(code if isinstance(code, int) else 0)


if __name__ == "__main__":
    main()
