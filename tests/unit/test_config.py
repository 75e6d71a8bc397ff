"""Settings: environment over TOML over defaults, and one clear line naming the variable on error."""

from __future__ import annotations

from pathlib import Path

import pytest

from auralinkd.config import ConfigError, load_settings


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    import os

    for key in list(os.environ):
        if key.startswith("AURALINK_"):
            monkeypatch.delenv(key)
    monkeypatch.setenv("AURALINK_DATA_DIR", str(tmp_path))
    return tmp_path


def test_defaults_are_safe_for_a_laptop(clean_env: Path) -> None:
    settings = load_settings()
    assert settings.env == "development"
    assert settings.embedded_database and settings.redis_url is None
    assert settings.socket_path == clean_env / "auralinkd.sock"
    assert settings.tcp_address is None


def test_the_toml_file_is_read_and_the_environment_wins(clean_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (clean_env / "auralink.toml").write_text('log_level = "debug"\nlog_format = "json"\n')
    monkeypatch.setenv("AURALINK_LOG_FORMAT", "text")
    settings = load_settings()
    assert settings.log_level == "debug"
    assert settings.log_format == "text"


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({"AURALINK_LOG_LEVEL": "loud"}, "AURALINK_LOG_LEVEL: Input should be"),
        ({"AURALINK_ENV": "production"}, "AURALINK_JWT_SECRET: required when env=production"),
        ({"AURALINK_ENV": "production", "AURALINK_JWT_SECRET": "x" * 31}, "AURALINK_JWT_SECRET: must be at least 32"),
        (
            {"AURALINK_ENV": "production", "AURALINK_JWT_SECRET": "x" * 32, "AURALINK_TCP_ADDRESS": "0.0.0.0:50051"},
            "AURALINK_TCP_ADDRESS: needs tls_cert_file",
        ),
        ({"AURALINK_TCP_ADDRESS": "localhost"}, "AURALINK_TCP_ADDRESS: expected host:port"),
        ({"AURALINK_TLS_CERT_FILE": "/nope.pem"}, "AURALINK_TLS_KEY_FILE: tls_cert_file and tls_key_file"),
        ({"AURALINK_DB_POOL_MIN_SIZE": "20", "AURALINK_DB_POOL_MAX_SIZE": "5"}, "AURALINK_DB_POOL_MIN_SIZE"),
        (
            {"AURALINK_MEMORY_PROVIDER_EMBEDDING_MODEL": "word2vec"},
            "AURALINK_MEMORY_PROVIDER_EMBEDDING_MODEL: unknown model 'word2vec'; known: text-embedding-3-large",
        ),
        (
            {"AURALINK_MEMORY_PROVIDER_EMBEDDING_MODEL": "text-embedding-3-small"},
            "AURALINK_MEMORY_PROVIDER_EMBEDDING_API_BASE: required with",
        ),
    ],
)
def test_a_bad_setting_names_its_variable(monkeypatch: pytest.MonkeyPatch, env: dict[str, str], expected: str) -> None:
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    with pytest.raises(ConfigError) as caught:
        load_settings()
    message = str(caught.value)
    assert message.startswith(expected), message
    assert "\n" not in message


def test_a_bad_value_in_the_toml_file_says_where_it_came_from(clean_env: Path) -> None:
    (clean_env / "auralink.toml").write_text("shutdown_grace_s = -1\n")
    with pytest.raises(ConfigError, match=r"AURALINK_SHUTDOWN_GRACE_S \(or `shutdown_grace_s` in auralink.toml\)"):
        load_settings()


def test_an_unknown_key_in_the_toml_file_is_refused(clean_env: Path) -> None:
    (clean_env / "auralink.toml").write_text("log_levle = 'debug'\n")
    with pytest.raises(ConfigError, match="AURALINK_LOG_LEVLE"):
        load_settings()


def test_a_production_config_with_a_long_secret_is_accepted(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AURALINK_ENV", "PRODUCTION")
    monkeypatch.setenv("AURALINK_JWT_SECRET", "s" * 32)
    with pytest.raises(ConfigError, match="AURALINK_PROVIDER_KEK: required when env=production"):
        load_settings()
    monkeypatch.setenv("AURALINK_PROVIDER_KEK", "a2VrLWtlay1rZWsta2VrLWtlay1rZWsta2VrLWtlay0=")
    settings = load_settings()
    assert settings.env == "production"
    assert "s" * 32 not in repr(settings)  # secrets never show in reprs or logs
