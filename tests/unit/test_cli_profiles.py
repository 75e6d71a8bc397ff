"""Profiles: flag > env > profile > default, the local admin.token, and a config file only its owner reads."""

from __future__ import annotations

import json
import stat
import tomllib
from pathlib import Path

import pytest

from auralink_cli.exit_codes import CliError
from auralink_cli.main import main
from auralink_cli.profiles import (
    Config,
    GlobalOptions,
    config_path,
    data_dir,
    default_address,
    load_config,
    mask_secret,
    resolve_settings,
)

TOKEN = "eyJhbGciOiJFZERTQSJ9.payload.signature"


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """A clean environment: config and data directory under tmp_path, no AURALINK_* from outside."""
    import os

    for key in list(os.environ):
        if key.startswith("AURALINK_") or key == "NO_COLOR":
            monkeypatch.delenv(key)
    values = {"AURALINK_CONFIG": str(tmp_path / "cfg" / "config.toml"), "AURALINK_DATA_DIR": str(tmp_path / "data")}
    for key, value in values.items():
        monkeypatch.setenv(key, value)
    return values


def cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exc:
        main(list(args))
    captured = capsys.readouterr()
    code = exc.value.code
    return (code if isinstance(code, int) else (0 if code is None else 1)), captured.out, captured.err


# --- paths -----------------------------------------------------------------------------------


def test_config_path_respects_auralink_config_then_xdg_config_home(tmp_path: Path) -> None:
    assert config_path({"AURALINK_CONFIG": "/x/c.toml", "XDG_CONFIG_HOME": "/y"}) == Path("/x/c.toml")
    assert config_path({"XDG_CONFIG_HOME": "/y"}) == Path("/y/auralink/config.toml")
    assert config_path({}) == Path.home() / ".config" / "auralink" / "config.toml"


def test_default_address_is_the_socket_in_the_data_dir() -> None:
    assert data_dir({"XDG_DATA_HOME": "/d"}) == Path("/d/auralink")
    assert default_address({"AURALINK_DATA_DIR": "/srv/al"}) == "unix:///srv/al/auralinkd.sock"
    assert default_address({}) == f"unix://{Path.home()}/.local/share/auralink/auralinkd.sock"


# --- precedence ------------------------------------------------------------------------------


def profile_config(tmp_path: Path) -> Config:
    return Config(
        path=tmp_path / "c.toml",
        current="prod",
        profiles={
            "prod": {"address": "prod:443", "token": "profile-token", "output": "yaml", "timeout": 30.0},
            "dev": {"address": "dev:50051"},
        },
    )


def test_flag_beats_env_beats_profile_beats_default(tmp_path: Path) -> None:
    config = profile_config(tmp_path)
    env = {"AURALINK_ADDRESS": "env:1", "AURALINK_OUTPUT": "json", "AURALINK_DATA_DIR": str(tmp_path)}

    s = resolve_settings(GlobalOptions(address="flag:1"), env, config)
    assert (s.address, s.sources["address"]) == ("flag:1", "flag")
    assert (s.output, s.sources["output"]) == ("json", "env AURALINK_OUTPUT")
    assert (s.token, s.timeout) == ("profile-token", 30.0)
    assert s.profile == "prod"

    s = resolve_settings(GlobalOptions(profile="dev"), {"AURALINK_DATA_DIR": str(tmp_path)}, config)
    assert s.address == "dev:50051"
    assert (s.output, s.timeout, s.token) == ("table", 10.0, None)

    s = resolve_settings(GlobalOptions(), {"AURALINK_DATA_DIR": str(tmp_path)}, Config(path=tmp_path / "none"))
    assert s.address == f"unix://{tmp_path}/auralinkd.sock" and s.sources["address"] == "default"


def test_env_profile_selects_the_profile_unless_the_flag_does(tmp_path: Path) -> None:
    config = profile_config(tmp_path)
    env = {"AURALINK_PROFILE": "dev", "AURALINK_DATA_DIR": str(tmp_path)}
    assert resolve_settings(GlobalOptions(), env, config).address == "dev:50051"
    assert resolve_settings(GlobalOptions(profile="prod"), env, config).address == "prod:443"


def test_token_comes_from_admin_token_on_the_local_socket_only(tmp_path: Path) -> None:
    (tmp_path / "admin.token").write_text(TOKEN + "\n")
    env = {"AURALINK_DATA_DIR": str(tmp_path)}
    empty = Config(path=tmp_path / "none")

    local = resolve_settings(GlobalOptions(), env, empty)
    assert local.token == TOKEN and local.sources["token"] == str(tmp_path / "admin.token")

    # Another daemon's socket, whose directory holds its admin.token.
    other = tmp_path / "other"
    other.mkdir()
    (other / "admin.token").write_text("other-token")
    assert resolve_settings(GlobalOptions(address=f"unix://{other}/x.sock"), env, empty).token == "other-token"

    assert resolve_settings(GlobalOptions(address="remote:50051"), env, empty).token is None
    assert resolve_settings(GlobalOptions(token="flag"), env, empty).token == "flag"
    assert resolve_settings(GlobalOptions(), {**env, "AURALINK_TOKEN": "env"}, empty).token == "env"


def test_invalid_env_values_are_usage_errors(tmp_path: Path) -> None:
    empty = Config(path=tmp_path / "none")
    with pytest.raises(CliError) as exc:
        resolve_settings(GlobalOptions(), {"AURALINK_OUTPUT": "xml"}, empty)
    assert exc.value.exit_code == 2
    with pytest.raises(CliError):
        resolve_settings(GlobalOptions(), {"AURALINK_TIMEOUT": "soon"}, empty)


def test_a_broken_config_file_is_a_usage_error(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text("current = [unclosed")
    with pytest.raises(CliError) as exc:
        load_config(path)
    assert exc.value.exit_code == 2 and str(path) in exc.value.message


# --- `auralink config` -----------------------------------------------------------------------


def test_config_set_writes_a_0600_file_and_never_switches_the_current_profile(
    env: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli(capsys, "config", "set", "address", "localhost:50051")[0] == 0
    path = Path(env["AURALINK_CONFIG"])
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert tomllib.loads(path.read_text()) == {"profiles": {"default": {"address": "localhost:50051"}}}
    code, _, err = cli(capsys, "config", "set", "address", "prod:443", "--profile", "prod")
    assert code == 0 and "config use prod" in err  # says how to use it, and does not switch to it
    assert cli(capsys, "config", "get", "current")[1] == "default\n"


def test_config_delete_needs_yes_without_a_terminal_and_use_default_goes_back(
    env: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli(capsys, "config", "set", "address", "prod:443", "--profile", "prod")[0] == 0
    assert cli(capsys, "config", "use", "prod")[0] == 0
    assert cli(capsys, "config", "delete", "prod")[0] == 2  # stdin is not a terminal: --yes needed
    code, out, _ = cli(capsys, "-o", "json", "config", "delete", "prod", "--yes")
    assert code == 0 and json.loads(out) == {"resource": "profile", "id": "prod", "deleted": True}
    assert cli(capsys, "config", "get", "current")[1] == "default\n"
    assert cli(capsys, "config", "delete", "prod", "--yes")[0] == 5
    assert cli(capsys, "config", "use", "default")[0] == 0  # always there: the local daemon's admin token


def test_config_file_stays_0600_even_if_it_was_wider(env: dict[str, str], capsys: pytest.CaptureFixture[str]) -> None:
    path = Path(env["AURALINK_CONFIG"])
    path.parent.mkdir(parents=True)
    path.write_text('current = "default"\n')
    path.chmod(0o644)
    assert cli(capsys, "config", "set", "token", TOKEN)[0] == 0
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_config_set_use_get_round_trip_with_profile_after_the_subcommand(
    env: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli(capsys, "config", "set", "address", "prod:443", "--profile", "prod")[0] == 0
    assert cli(capsys, "config", "set", "output", "json", "--profile=prod")[0] == 0
    assert cli(capsys, "config", "set", "timeout", "2.5", "--profile", "prod")[0] == 0
    assert cli(capsys, "config", "get", "current")[1] == "default\n"  # written, not switched to

    assert cli(capsys, "config", "set", "address", "dev:1", "--profile", "dev")[0] == 0
    assert cli(capsys, "config", "use", "dev")[0] == 0
    assert cli(capsys, "config", "get", "current")[1] == "dev\n"
    assert cli(capsys, "config", "get", "address")[1] == "dev:1\n"
    code, out, _ = cli(capsys, "config", "get", "-o", "json", "--profile", "prod")
    assert code == 0
    assert json.loads(out) == {"profile": "prod", "address": "prod:443", "output": "json", "timeout": 2.5}


def test_config_get_token_is_masked_unless_show_secrets(
    env: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli(capsys, "config", "set", "token", TOKEN)[0] == 0
    code, out, err = cli(capsys, "config", "get", "token")
    assert (code, out) == (0, "eyJh…(redacted)\n")
    assert TOKEN not in out + err
    assert TOKEN not in cli(capsys, "config", "get", "-o", "yaml")[1]
    assert cli(capsys, "config", "get", "token", "--show-secrets")[1] == TOKEN + "\n"
    assert mask_secret("short") == "…(redacted)"


def test_config_errors_have_exit_codes(env: dict[str, str], capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = cli(capsys, "config", "use", "nope")
    assert code == 5 and out == "" and err.startswith("error: no profile 'nope'") and err.count("\n") == 1
    assert cli(capsys, "config", "set", "colour", "red")[0] == 2
    assert cli(capsys, "config", "set", "output", "xml")[0] == 2
    assert cli(capsys, "config", "set", "timeout", "-1")[0] == 2
    assert cli(capsys, "config", "get", "address")[0] == 5
