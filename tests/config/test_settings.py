"""Settings from the environment: parsing, derived defaults, and the secret-key rules."""

from __future__ import annotations

import pytest

from config import ConfigError, load_settings


def test_embedded_defaults_live_in_the_data_dir(tmp_path):
    settings = load_settings({"SATUPINTU_DATA_DIR": str(tmp_path / "var")})
    assert settings.env == "embedded"
    assert settings.embedded_redis
    assert settings.database_url == f"sqlite:///{(tmp_path / 'var' / 'satupintu.db').resolve()}"
    assert settings.resolved_redis_url().startswith("unix://")


def test_secret_key_is_generated_once_and_kept(tmp_path):
    env = {"SATUPINTU_DATA_DIR": str(tmp_path)}
    first = load_settings(env).secret_key
    assert len(first) >= 40
    assert load_settings(env).secret_key == first
    assert (tmp_path / "secret_key").stat().st_mode & 0o777 == 0o600


def test_production_refuses_to_start_without_secrets(tmp_path):
    env = {
        "SATUPINTU_ENV": "production",
        "SATUPINTU_DATA_DIR": str(tmp_path),
        "SATUPINTU_DATABASE_URL": "postgresql+psycopg://db/satupintu",
        "SATUPINTU_REDIS_URL": "redis://cache:6379/0",
    }
    with pytest.raises(ConfigError, match="SATUPINTU_SECRET_KEY"):
        load_settings(env)
    assert not (tmp_path / "secret_key").exists()
    settings = load_settings(env | {"SATUPINTU_SECRET_KEY": "k" * 48})
    assert settings.secret_key == "k" * 48


@pytest.mark.parametrize("missing", ["SATUPINTU_DATABASE_URL", "SATUPINTU_REDIS_URL"])
def test_production_needs_external_services(tmp_path, missing):
    env = {
        "SATUPINTU_ENV": "production",
        "SATUPINTU_SECRET_KEY": "k" * 48,
        "SATUPINTU_DATABASE_URL": "postgresql+psycopg://db/satupintu",
        "SATUPINTU_REDIS_URL": "redis://cache:6379/0",
    }
    del env[missing]
    with pytest.raises(ConfigError, match=missing):
        load_settings(env)


def test_malformed_values_name_the_variable(tmp_path):
    with pytest.raises(ConfigError, match="SATUPINTU_PORT"):
        load_settings({"SATUPINTU_DATA_DIR": str(tmp_path), "SATUPINTU_PORT": "eighty"})
    with pytest.raises(ConfigError, match="SATUPINTU_ENV"):
        load_settings({"SATUPINTU_DATA_DIR": str(tmp_path), "SATUPINTU_ENV": "staging"})


def test_public_url_loses_its_trailing_slash(tmp_path):
    settings = load_settings(
        {"SATUPINTU_DATA_DIR": str(tmp_path), "SATUPINTU_PUBLIC_URL": "https://lapor.example.id/"}
    )
    assert settings.public_url == "https://lapor.example.id"
