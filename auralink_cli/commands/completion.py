"""`auralink completion bash|zsh|fish`: print the shell completion script.

The script calls back `auralink` with _AURALINK_COMPLETE set, which Click answers in main().
Install with, for example, `auralink completion bash > ~/.local/share/bash-completion/completions/auralink`.
"""

from __future__ import annotations

import os
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from auralink_cli import output
from auralink_cli.exit_codes import USAGE, CliError


class Shell(StrEnum):
    bash = "bash"
    zsh = "zsh"
    fish = "fish"


def register(app: typer.Typer) -> None:
    app.command()(completion)


def enable_completion_classes() -> None:
    """Register Typer's shell classes (bash, zsh, fish) with its vendored Click.

    Typer only does this itself with add_completion=True, which we do not use (it adds
    --install-completion to every --help); main() calls this when the shell asks for completions.
    """
    from typer._completion_classes import completion_init

    completion_init()


def completion_script(shell: str) -> str:
    from typer._click.shell_completion import get_completion_class

    from auralink_cli.main import COMPLETE_VAR, app

    enable_completion_classes()
    cls = get_completion_class(shell)
    if cls is None:  # pragma: no cover - the Shell enum only offers supported shells
        raise typer.BadParameter(f"unsupported shell {shell!r}")
    return cls(typer.main.get_command(app), {}, "auralink", COMPLETE_VAR).source()


def completion(
    shell: Annotated[
        Shell | None,
        typer.Argument(case_sensitive=False, help="Shell to generate the script for; default: from $SHELL."),
    ] = None,
) -> None:
    """Print the shell completion script for bash, zsh or fish."""
    if shell is not None:
        name = shell.value
    else:
        name = Path(os.environ.get("SHELL", "")).name
        if name not in Shell.__members__:
            raise CliError(
                USAGE,
                f"cannot tell the shell from $SHELL={os.environ.get('SHELL', '')!r}; "
                "name it: auralink completion bash|zsh|fish",
            )
    output.plain(completion_script(name))
