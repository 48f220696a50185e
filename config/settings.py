"""Typed settings read from SATUPINTU_* environment variables.

Layers, lowest first: the defaults below, then the environment. Secrets come only from the
environment; on the embedded default a random secret key is generated once and kept in the
data dir, while SATUPINTU_ENV=production refuses to start without SATUPINTU_SECRET_KEY.
"""

from __future__ import annotations

import dataclasses
import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

PREFIX = "SATUPINTU_"


class ConfigError(RuntimeError):
    """A setting is missing or malformed; the message names the variable."""


def _bool(value: str) -> bool:
    lowered = value.strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off", ""}:
        return False
    raise ValueError(f"not a boolean: {value!r}")


@dataclass(frozen=True)
class Settings:
    """Everything the gateway, workers and CLI read; one instance per process."""

    env: str = "embedded"
    data_dir: Path = Path("var")
    database_url: str = ""
    redis_url: str | None = None
    secret_key: str = field(default="", repr=False)
    public_url: str | None = None
    host: str = "127.0.0.1"
    port: int = 8000
    timezone: str = "Asia/Jakarta"
    default_region: str = "ID"
    max_body_bytes: int = 1_000_000
    max_description_chars: int = 5_000
    workers: int = 1
    web_workers: int = 2
    log_level: str = "INFO"
    # Data files; empty means the default file in config/data/.
    units_file: str = ""
    categories_file: str = ""
    routing_file: str = ""
    gazetteer_file: str = ""
    keywords_file: str = ""
    replies_file: str = ""

    @property
    def embedded_redis(self) -> bool:
        """True when no SATUPINTU_REDIS_URL is set and the gateway runs its own Redis."""
        return not self.redis_url

    @property
    def redis_dir(self) -> Path:
        return self.data_dir / "redis"

    @property
    def embedded_redis_socket(self) -> Path:
        return self.redis_dir / "redis.sock"

    @property
    def spool_dir(self) -> Path:
        return self.data_dir / "spool"

    def resolved_redis_url(self) -> str:
        """The URL clients connect to: the configured one or the embedded server's socket."""
        if self.redis_url:
            return self.redis_url
        return f"unix://{self.embedded_redis_socket.resolve()}"

    def replace(self, **changes: Any) -> Settings:
        return dataclasses.replace(self, **changes)


_FIELD_TYPES = {f.name: f.type for f in dataclasses.fields(Settings)}


def _parse(name: str, raw: str) -> Any:
    kind = _FIELD_TYPES[name]
    if kind in ("int",):
        return int(raw)
    if kind in ("bool",):
        return _bool(raw)
    if kind in ("Path",):
        return Path(raw)
    return raw


def _secret_key_for(data_dir: Path, env: str) -> str:
    if env == "production":
        raise ConfigError(
            "SATUPINTU_SECRET_KEY is required when SATUPINTU_ENV=production "
            "(generate one with: python -c 'import secrets; print(secrets.token_urlsafe(48))')"
        )
    key_file = data_dir / "secret_key"
    if key_file.exists():
        return key_file.read_text().strip()
    data_dir.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    # O_EXCL: two processes starting at once must agree on one key.
    try:
        fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return key_file.read_text().strip()
    with os.fdopen(fd, "w") as handle:
        handle.write(key + "\n")
    return key


def load_settings(environ: Mapping[str, str] | None = None, **overrides: Any) -> Settings:
    """Read SATUPINTU_* variables (or ``environ``), apply ``overrides``, fill derived defaults."""
    environ = os.environ if environ is None else environ
    values: dict[str, Any] = {}
    for name in _FIELD_TYPES:
        raw = environ.get(PREFIX + name.upper())
        if raw is None or raw == "":
            continue
        try:
            values[name] = _parse(name, raw)
        except ValueError as exc:
            raise ConfigError(f"{PREFIX}{name.upper()}: {exc}") from exc
    values.update(overrides)
    settings = Settings(**values)
    if settings.env not in {"embedded", "production", "test"}:
        raise ConfigError(f"{PREFIX}ENV must be embedded, production or test, not {settings.env!r}")
    data_dir = settings.data_dir.expanduser()
    changes: dict[str, Any] = {"data_dir": data_dir}
    if not settings.database_url:
        if settings.env == "production":
            raise ConfigError(f"{PREFIX}DATABASE_URL is required when {PREFIX}ENV=production")
        data_dir.mkdir(parents=True, exist_ok=True)
        changes["database_url"] = f"sqlite:///{(data_dir / 'satupintu.db').resolve()}"
    if settings.env == "production" and not settings.redis_url:
        raise ConfigError(f"{PREFIX}REDIS_URL is required when {PREFIX}ENV=production")
    if not settings.secret_key:
        changes["secret_key"] = _secret_key_for(data_dir, settings.env)
    if settings.public_url:
        changes["public_url"] = settings.public_url.rstrip("/")
    return settings.replace(**changes)
