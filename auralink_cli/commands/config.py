"""`auralink config set|get|unset|use|list`: named profiles in the config file (see profiles.py).

The profile acted on is the global `--profile` (also accepted after the subcommand), else
$AURALINK_PROFILE, else the current one, else "default". Tokens are shown masked unless
`--show-secrets`.
"""

from __future__ import annotations

import os
from typing import Annotated, Any

import typer

from auralink_cli import output
from auralink_cli.exit_codes import NOT_FOUND, CliError
from auralink_cli.profiles import (
    DEFAULT_PROFILE,
    PROFILE_KEYS,
    SECRET_KEYS,
    Config,
    GlobalOptions,
    config_path,
    load_config,
    mask_secret,
    save_config,
    validate_value,
)

config_app = typer.Typer(
    name="config",
    help="Profiles (address, token, output, timeout, ca_file) in the config file.",
    no_args_is_help=True,
)

KeyArg = Annotated[str, typer.Argument(help=f"One of: {', '.join(PROFILE_KEYS)}.")]


def register(app: typer.Typer) -> None:
    app.add_typer(config_app, name="config")


def _load(ctx: typer.Context) -> tuple[Config, str, GlobalOptions]:
    opts = ctx.ensure_object(GlobalOptions)
    config = load_config(config_path())
    profile = opts.profile or os.environ.get("AURALINK_PROFILE") or config.current or DEFAULT_PROFILE
    return config, profile, opts


def _fmt(opts: GlobalOptions) -> str:
    return opts.output or os.environ.get("AURALINK_OUTPUT", "").lower() or "table"


def _shown(key: str, value: Any, show_secrets: bool) -> Any:
    return mask_secret(str(value)) if key in SECRET_KEYS and not show_secrets else value


@config_app.command("set")
def set_value(ctx: typer.Context, key: KeyArg, value: Annotated[str, typer.Argument()]) -> None:
    """Set KEY to VALUE in the profile (created when new; the first profile becomes current)."""
    config, profile, _ = _load(ctx)
    config.profiles.setdefault(profile, {})[key] = validate_value(key, value)
    if not config.current:
        config.current = profile
    save_config(config)
    output.info(f"{key} set in profile {profile!r} of {config.path}")


@config_app.command("unset")
def unset_value(ctx: typer.Context, key: KeyArg) -> None:
    """Remove KEY from the profile."""
    config, profile, _ = _load(ctx)
    if key not in config.profile(profile):
        raise CliError(NOT_FOUND, f"{key} is not set in profile {profile!r}")
    del config.profiles[profile][key]
    save_config(config)


@config_app.command("get")
def get_value(
    ctx: typer.Context,
    key: Annotated[str | None, typer.Argument(help="A profile key, or `current`; default: the whole profile.")] = None,
    show_secrets: Annotated[bool, typer.Option("--show-secrets", help="Show tokens in full.")] = False,
) -> None:
    """Show the profile, one KEY of it, or `current` (the current profile's name)."""
    config, profile, opts = _load(ctx)
    fmt = _fmt(opts)
    if key is None:
        values = {k: _shown(k, v, show_secrets) for k, v in config.profile(profile).items()}
        output.emit({"profile": profile, **values}, fmt, no_color=opts.no_color)
        return
    if key == "current":
        value: Any = config.current or DEFAULT_PROFILE
    elif key not in PROFILE_KEYS:
        validate_value(key, "")  # raises the usage error that lists the keys
        return
    elif key in config.profile(profile):
        value = _shown(key, config.profile(profile)[key], show_secrets)
    else:
        raise CliError(NOT_FOUND, f"{key} is not set in profile {profile!r}")
    if fmt == "table":
        output.plain(str(value))
    else:
        output.emit({key: value}, fmt)


@config_app.command("use")
def use_profile(ctx: typer.Context, profile: Annotated[str, typer.Argument(help="Profile name.")]) -> None:
    """Make PROFILE the current one."""
    config, _, _ = _load(ctx)
    if profile not in config.profiles:
        raise CliError(
            NOT_FOUND,
            f"no profile {profile!r} in {config.path}; create it with "
            f"`auralink config set address ADDRESS --profile {profile}`",
        )
    config.current = profile
    save_config(config)
    output.info(f"current profile: {profile}")


@config_app.command("list")
def list_profiles(ctx: typer.Context) -> None:
    """List the profiles, marking the current one."""
    config, _, opts = _load(ctx)
    current = config.current or DEFAULT_PROFILE
    rows = [{"name": name, "current": name == current} for name in sorted(config.profiles)]
    if _fmt(opts) == "table":
        output.plain("\n".join(f"{'*' if r['current'] else ' '} {r['name']}" for r in rows) or "(no profiles)")
    else:
        output.emit(rows, _fmt(opts))
