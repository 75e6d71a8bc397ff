"""The `auralink` app: global options, the registry of command modules, argv normalisation, main().

Adding an area (access, memory, agents, …): write auralink_cli/commands/<area>.py with a
`register(app)` function and add its name to COMMAND_MODULES. Nothing here imports grpc, so
`auralink --help` stays fast; command modules import it inside their functions.
"""

from __future__ import annotations

import importlib
import os
import sys
from collections.abc import Sequence
from enum import StrEnum
from typing import Annotated

import typer

from auralink_cli import output
from auralink_cli.exit_codes import UNEXPECTED, CliError
from auralink_cli.profiles import GlobalOptions

# The registry: one module per area under auralink_cli/commands/, in --help order.
COMMAND_MODULES: tuple[str, ...] = (
    "system",
    "doctor",
    "config",
    "completion",
    "orgs",
    "users",
    "auraid",
    "roles",
    "tokens",
    "apikeys",
    "audit",
    "auth",
    "compress",
    "mesh",
    "reputation",
    "memory",
    "tui",
    "providers",
    "llm",
    "agents",
    "translate",
    "usage",
    "metrics",
    "rooms",
    "mcp",
)

# Global options that take a value, and those that do not. main() moves them in front of the
# subcommand so that `auralink status -o json` works like `auralink -o json status`.
VALUE_OPTIONS: frozenset[str] = frozenset({"--address", "--token", "--output", "-o", "--timeout", "--profile"})
FLAG_OPTIONS: frozenset[str] = frozenset({"--no-color"})
COMPLETE_VAR = "_AURALINK_COMPLETE"


class OutputFormat(StrEnum):
    table = "table"
    json = "json"
    yaml = "yaml"


app = typer.Typer(
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


@app.callback()
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
            "--output", "-o", case_sensitive=False, help="Output format. Env AURALINK_OUTPUT. Default: table."
        ),
    ] = None,
    timeout: Annotated[
        float | None,
        typer.Option(min=0.001, help="Deadline of every call, in seconds. Env AURALINK_TIMEOUT. Default: 10."),
    ] = None,
    no_color: Annotated[bool, typer.Option("--no-color", help="No colours (also: NO_COLOR, non-tty).")] = False,
    profile: Annotated[
        str | None,
        typer.Option(
            help="Profile of the config file to use (or to change, for `config set`). "
            "Env AURALINK_PROFILE. Default: the current one."
        ),
    ] = None,
) -> None:
    ctx.obj = GlobalOptions(
        address=address,
        token=token,
        output=output_format.value if output_format is not None else None,
        timeout=timeout,
        no_color=no_color,
        profile=profile,
    )


for _name in COMMAND_MODULES:
    importlib.import_module(f"auralink_cli.commands.{_name}").register(app)


def normalize_argv(argv: Sequence[str]) -> list[str]:
    """Move global options, with their values, in front of the subcommand.

    Handles `--output json`, `--output=json`, `-o json` and `-ojson`. Everything after a literal
    `--` is left alone (it belongs to the command), and so is a value option missing its value
    (Click then reports the usage error).
    """
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
        if arg in FLAG_OPTIONS:
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
    args = normalize_argv(sys.argv[1:] if argv is None else argv)
    if os.environ.get(COMPLETE_VAR):  # the shell asks for completions (see `auralink completion`)
        from auralink_cli.commands.completion import enable_completion_classes

        enable_completion_classes()
    command = typer.main.get_command(app)
    try:
        command.main(args=args, prog_name="auralink", complete_var=COMPLETE_VAR)
    except CliError as exc:
        output.error(exc.message)
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        sys.exit(130)
    except Exception as exc:  # a bug: one line, and the traceback with AURALINK_DEBUG=1
        if os.environ.get("AURALINK_DEBUG"):
            raise
        output.error(f"unexpected {type(exc).__name__}: {exc} (AURALINK_DEBUG=1 shows the traceback)")
        sys.exit(UNEXPECTED)


if __name__ == "__main__":
    main()
