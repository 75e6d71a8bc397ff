"""Where the CLI's settings come from: flags, environment, named profiles in config.toml, defaults.

Precedence is flag > environment > profile > default, for every setting. The config file can hold
tokens, so it is always written with mode 0600.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from auralink_cli.exit_codes import USAGE, CliError

OUTPUT_FORMATS = ("table", "json", "yaml", "name")
DEFAULT_OUTPUT = "table"
DEFAULT_TIMEOUT = 10.0
DEFAULT_PROFILE = "default"
SOCKET_NAME = "auralinkd.sock"
TOKEN_FILE = "admin.token"

# Keys a profile may hold, with the environment variable that overrides each.
PROFILE_KEYS: dict[str, str] = {
    "address": "AURALINK_ADDRESS",
    "token": "AURALINK_TOKEN",
    "output": "AURALINK_OUTPUT",
    "timeout": "AURALINK_TIMEOUT",
    "ca_file": "AURALINK_CA_FILE",
}
SECRET_KEYS = frozenset({"token"})


# --- paths -----------------------------------------------------------------------------------


def config_path(env: Mapping[str, str] | None = None) -> Path:
    """$AURALINK_CONFIG, else $XDG_CONFIG_HOME/auralink/config.toml, else ~/.config/auralink/config.toml."""
    env = os.environ if env is None else env
    if env.get("AURALINK_CONFIG"):
        return Path(env["AURALINK_CONFIG"]).expanduser()
    base = env.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base).expanduser() / "auralink" / "config.toml"


def data_dir(env: Mapping[str, str] | None = None) -> Path:
    """The daemon's data directory: $AURALINK_DATA_DIR, else $XDG_DATA_HOME/auralink, else ~/.local/share/auralink."""
    env = os.environ if env is None else env
    if env.get("AURALINK_DATA_DIR"):
        return Path(env["AURALINK_DATA_DIR"]).expanduser()
    base = env.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base).expanduser() / "auralink"


def default_address(env: Mapping[str, str] | None = None) -> str:
    return f"unix://{data_dir(env) / SOCKET_NAME}"


def unix_socket_path(address: str) -> Path | None:
    """The socket path of a `unix:` address (`unix:///abs`, `unix:/abs`, `unix:rel`), else None."""
    if not address.startswith("unix:"):
        return None
    rest = address[len("unix:") :]
    if rest.startswith("//"):
        rest = rest[2:]  # unix:///abs/path -> /abs/path; grpc has no authority for unix sockets
    return Path(rest)


def local_token_file(address: str, env: Mapping[str, str] | None = None) -> Path | None:
    """The admin.token to use for `address` when it is the local daemon's socket, else None.

    Local means the default socket in the data directory, or any unix socket whose directory
    holds an admin.token (a daemon started with another data directory).
    """
    sock = unix_socket_path(address)
    if sock is None:
        return None
    candidate = sock.parent / TOKEN_FILE
    if candidate.is_file():
        return candidate
    default_sock = unix_socket_path(default_address(env))
    if default_sock is not None and sock == default_sock:
        return data_dir(env) / TOKEN_FILE
    return None


# --- the config file -------------------------------------------------------------------------


@dataclass
class Config:
    """The parsed config file: the current profile's name and every profile's keys."""

    path: Path
    current: str | None = None
    profiles: dict[str, dict[str, Any]] = field(default_factory=dict)

    def profile(self, name: str) -> dict[str, Any]:
        return self.profiles.get(name, {})


def load_config(path: Path) -> Config:
    """Read the config file; a missing file is an empty config, an unreadable one a CliError (exit 2)."""
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return Config(path=path)
    except (OSError, UnicodeDecodeError) as exc:
        raise CliError(USAGE, f"cannot read config file {path}: {exc}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise CliError(USAGE, f"config file {path} is not valid TOML: {exc}") from exc
    profiles = raw.get("profiles", {})
    if not isinstance(profiles, dict) or not all(isinstance(p, dict) for p in profiles.values()):
        raise CliError(USAGE, f"config file {path}: [profiles.<name>] tables expected")
    current = raw.get("current")
    return Config(path=path, current=str(current) if current else None, profiles=profiles)


def save_config(config: Config) -> None:
    """Write the config atomically with mode 0600 (it can hold tokens); its directory gets 0700."""
    import tomli_w

    data: dict[str, Any] = {}
    if config.current:
        data["current"] = config.current
    data["profiles"] = {name: dict(values) for name, values in config.profiles.items()}
    text = tomli_w.dumps(data)
    path = config.path
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.fchmod(fd, 0o600)  # the umask cannot widen it, and an old tmp file is narrowed
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def validate_value(key: str, value: str) -> Any:
    """Check and convert a value for a profile key, as given to `config set` or in the environment."""
    if key not in PROFILE_KEYS:
        raise CliError(USAGE, f"unknown key {key!r}; expected one of {', '.join(PROFILE_KEYS)}")
    if key == "output":
        value = value.lower()
        if value not in OUTPUT_FORMATS:
            raise CliError(USAGE, f"output must be one of {', '.join(OUTPUT_FORMATS)}, got {value!r}")
        return value
    if key == "timeout":
        try:
            seconds = float(value)
        except ValueError:
            raise CliError(USAGE, f"timeout must be a number of seconds, got {value!r}") from None
        if not seconds > 0:
            raise CliError(USAGE, f"timeout must be greater than 0, got {value!r}")
        return seconds
    if not value:
        raise CliError(USAGE, f"{key} must not be empty")
    return value


def mask_secret(value: str) -> str:
    """`eyJh…(redacted)`: enough to tell tokens apart, never enough to use one."""
    return f"{value[:4]}…(redacted)" if len(value) > 8 else "…(redacted)"


# --- resolution ------------------------------------------------------------------------------


@dataclass
class GlobalOptions:
    """The global options as given on the command line (None when not given)."""

    address: str | None = None
    token: str | None = None
    output: str | None = None
    timeout: float | None = None
    no_color: bool = False
    profile: str | None = None


@dataclass
class Settings:
    """Effective settings for one invocation, with where each came from (for `doctor`)."""

    address: str
    token: str | None
    output: str
    timeout: float
    no_color: bool
    profile: str
    config: Config
    ca_file: str | None = None
    sources: dict[str, str] = field(default_factory=dict)


def resolve_settings(
    opts: GlobalOptions, env: Mapping[str, str] | None = None, config: Config | None = None
) -> Settings:
    """Apply flag > environment > profile > default to every setting."""
    env = os.environ if env is None else env
    config = load_config(config_path(env)) if config is None else config
    profile = opts.profile or env.get("AURALINK_PROFILE") or config.current or DEFAULT_PROFILE
    stored = config.profile(profile)
    flags = {"address": opts.address, "token": opts.token, "output": opts.output, "timeout": opts.timeout}
    values: dict[str, Any] = {}
    sources: dict[str, str] = {}
    for key, env_var in PROFILE_KEYS.items():
        if flags.get(key) is not None:
            values[key], sources[key] = flags[key], "flag"
        elif env.get(env_var):
            values[key], sources[key] = validate_value(key, env[env_var]), f"env {env_var}"
        elif stored.get(key) not in (None, ""):  # hand-edited files are checked like `config set`
            values[key], sources[key] = validate_value(key, str(stored[key])), f"profile {profile!r}"
    if "address" not in values:
        values["address"], sources["address"] = default_address(env), "default"
    if "token" not in values:
        token_file = local_token_file(values["address"], env)
        if token_file is not None and token_file.is_file():
            try:
                values["token"] = token_file.read_text(encoding="utf-8").strip() or None
                sources["token"] = str(token_file)
            except OSError:
                pass  # unreadable (another user's daemon): the call will say UNAUTHENTICATED
    output = str(values.get("output", DEFAULT_OUTPUT)).lower()
    if output not in OUTPUT_FORMATS:
        raise CliError(USAGE, f"output must be one of {', '.join(OUTPUT_FORMATS)}, got {output!r}")
    no_color = opts.no_color or bool(env.get("NO_COLOR"))
    from auralink_cli import output as _output  # errors follow the effective format (a profile's too)

    _output.set_error_format(output)
    return Settings(
        address=values["address"],
        token=values.get("token"),
        output=output,
        timeout=float(values.get("timeout", DEFAULT_TIMEOUT)),
        no_color=no_color,
        profile=profile,
        config=config,
        ca_file=values.get("ca_file"),
        sources=sources,
    )
