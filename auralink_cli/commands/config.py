"""`auralink config set|get|unset|use|list|delete`: named profiles in the config file (see profiles.py).

The profile acted on is the global `--profile` (also accepted after the subcommand), else
$AURALINK_PROFILE, else the current one, else "default". Tokens are shown masked unless
`--show-secrets`. Only `config use` changes the current profile: writing to a profile (here or
with `auth login`) never switches to it. `config use default` goes back to the implicit default
profile (the local socket and its admin.token, unless the default profile says otherwise).
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


def _done(opts: GlobalOptions, data: dict[str, Any], message: str) -> None:
    """A change's result: `data` under -o json/yaml, else `message` on stderr."""
    fmt = _fmt(opts)
    if fmt == "table":
        output.info(message)
    else:
        output.emit(data, fmt, no_color=opts.no_color)


def _shown(key: str, value: Any, show_secrets: bool) -> Any:
    return mask_secret(str(value)) if key in SECRET_KEYS and not show_secrets else value


@config_app.command("set")
def set_value(ctx: typer.Context, key: KeyArg, value: Annotated[str, typer.Argument()]) -> None:
    """Set KEY to VALUE in the profile (created when new; it does not become the current one)."""
    config, profile, opts = _load(ctx)
    stored = config.profiles.setdefault(profile, {})[key] = validate_value(key, value)
    save_config(config)
    shown = _shown(key, stored, False)
    _done(opts, {"profile": profile, key: shown}, f"{key} set in profile {profile!r} of {config.path}")
    not_current_hint(config, profile)


def not_current_hint(config: Config, profile: str) -> None:
    """Say how to use a profile that was written but is not the current one (never switched silently)."""
    if profile != (config.current or DEFAULT_PROFILE):
        output.info(f"(not the current profile: pass --profile {profile}, or run `auralink config use {profile}`)")


@config_app.command("unset")
def unset_value(ctx: typer.Context, key: KeyArg) -> None:
    """Remove KEY from the profile."""
    config, profile, opts = _load(ctx)
    if key not in PROFILE_KEYS:
        validate_value(key, "")  # raises the usage error that lists the keys
    if key not in config.profile(profile):
        raise CliError(NOT_FOUND, f"{key} is not set in profile {profile!r}")
    del config.profiles[profile][key]
    save_config(config)
    _done(opts, {"profile": profile, key: None}, f"{key} removed from profile {profile!r}")


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
    """Make PROFILE the current one (`default`: back to the local daemon's admin token)."""
    config, _, opts = _load(ctx)
    if profile not in config.profiles and profile != DEFAULT_PROFILE:
        raise CliError(
            NOT_FOUND,
            f"no profile {profile!r} in {config.path}; create it with "
            f"`auralink config set address ADDRESS --profile {profile}`",
        )
    config.current = None if profile == DEFAULT_PROFILE else profile
    save_config(config)
    _done(opts, {"current": profile}, f"current profile: {profile}")


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


@config_app.command("delete")
def delete_profile(
    ctx: typer.Context,
    profile: Annotated[str, typer.Argument(help="Profile name.")],
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask (needed when stdin is not a terminal).")] = False,
) -> None:
    """Delete a profile and its stored token; when it was current, `default` becomes current."""
    from auralink_cli.commands._access import deleted, require_confirmation, settings_of

    config, _, opts = _load(ctx)
    if profile not in config.profiles:
        raise CliError(NOT_FOUND, f"no profile {profile!r} in {config.path}")
    require_confirmation(yes, f"Delete profile {profile!r} (and its token) from {config.path}?")
    del config.profiles[profile]
    if config.current == profile:
        config.current = None
    save_config(config)
    deleted(
        settings_of(ctx),
        "profile",
        profile,
        f"profile {profile!r} deleted; current: {config.current or DEFAULT_PROFILE}",
    )
