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

from config.files import private_dir

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
    # Five attachments of 5 MiB each plus the form's text fields (issue 7).
    max_body_bytes: int = 27_262_976
    max_description_chars: int = 5_000
    workers: int = 1
    web_workers: int = 2
    log_level: str = "INFO"
    # Operator console: failed logins allowed per username and per client address within the
    # window before further tries are refused; an operator's session ends after session_hours.
    console_login_max_failures: int = 5
    console_login_max_failures_per_ip: int = 30
    console_login_window_seconds: int = 900
    console_session_hours: int = 12
    # Durability (issue 5): how often the embedded Redis fsyncs its append-only file.
    # everysec may lose up to a second of acknowledged messages if the machine loses power;
    # always loses none, at the cost of one fsync per write (README "The guarantee").
    redis_appendfsync: str = "everysec"
    # Data files; empty means the default file in config/data/.
    units_file: str = ""
    categories_file: str = ""
    routing_file: str = ""
    gazetteer_file: str = ""
    keywords_file: str = ""
    replies_file: str = ""
    # Web form, JSON API and Open311 (issues 7 and 13). Distinct submissions per window, each
    # limit keyed on what identifies a sender (retries of one submission key count once; 0
    # turns a limit off): per citizen address a ceiling a busy carrier CGNAT address or a
    # kantor camat's Wi-Fi stays under; per browser (the form's session); per text and
    # contact (one complaint resubmitted over and over, from anywhere); per partner key.
    submit_rate_limit: int = 600
    submit_rate_limit_per_browser: int = 20
    submit_rate_limit_same_text: int = 5
    partner_rate_limit: int = 600
    rate_limit_window_seconds: int = 600
    # Wrong secret codes per window: per case (guessing one case's code), and a ceiling per
    # address that a NAT full of citizens mistyping their own codes stays under.
    secret_code_max_failures: int = 10
    secret_code_max_failures_per_ip: int = 100
    # Coordinates outside this box (south,west,north,east in degrees) are refused: the
    # district's cases only. Default: Aceh Tengah (4°10′-4°58′ N, 96°18′-97°22′ E) plus ~10 km.
    service_area: str = "4.05,96.2,5.05,97.5"
    open311_jurisdiction: str = "acehtengahkab.go.id"
    # SMS and WhatsApp through Twilio (issue 3, adapters/twilio_sms/). The channel is off
    # until the account sid and auth token are set. twilio_api_url replaces
    # https://api.twilio.com (a Twilio-compatible provider, or a local fake in tests).
    # twilio_signature_mode: enforce (403 on a bad X-Twilio-Signature) or shadow (accept,
    # count and log mismatches; for roll-out). sms_rate_limit: "messages/seconds" per sender,
    # "off" for none; messages beyond it wait in quarantine for an operator.
    twilio_account_sid: str = ""
    twilio_auth_token: str = field(default="", repr=False)
    twilio_from: str = ""
    twilio_messaging_service_sid: str = ""
    twilio_api_url: str = ""
    twilio_signature_mode: str = "enforce"
    sms_rate_limit: str = "20/600"
    # Reverse proxies in front of the web server whose X-Forwarded-Proto/Host are trusted
    # when rebuilding the URL a provider called (0: trust none). SATUPINTU_PUBLIC_URL wins.
    proxy_hops: int = 0
    # Twitter/X (issue 4, adapters/twitter/). Optional, and each part is on when its
    # credentials are set: polling mentions needs the bearer token; replies (OAuth 1.0a user
    # context) need the consumer key and secret and the access token and secret; the Account
    # Activity webhook needs the consumer secret. All of them need the handle's numeric user
    # id. twitter_api_url replaces https://api.twitter.com (a local fake X API in tests).
    twitter_bearer_token: str = field(default="", repr=False)
    twitter_user_id: str = ""
    twitter_consumer_key: str = ""
    twitter_consumer_secret: str = field(default="", repr=False)
    twitter_access_token: str = field(default="", repr=False)
    twitter_access_token_secret: str = field(default="", repr=False)
    twitter_poll_seconds: int = 60
    twitter_api_url: str = ""
    # triage_model: a model file to score with instead of the newest one `satupintu triage
    # train` wrote into <data dir>/triage/ (or, with none there, the shipped default).
    # triage_ask_window: a sender is asked "please send details" at most once per this many
    # seconds, however many greetings or half-messages it sends. triage_media_wait: a photo
    # with no text waits this long for its sender's text before it becomes a case of its own.
    triage_model: str = ""
    triage_ask_window: int = 86_400
    triage_media_wait: int = 300

    # Kannel's smsbox HTTP interface (adapters/kannel/). Inbound /webhooks/kannel/sms and
    # /webhooks/kannel/dlr are on once kannel_secret is set (smsbox's sms-service sends it
    # and the dlr-urls we sign carry its HMAC); replies go through sendsms once the URL,
    # username and password are set too. kannel_from is the shortcode replies come from.
    # sms_provider: kannel or twilio, the SMS provider for a citizen whose conversation did
    # not come in on a provider that is on (empty: the first one configured, registry order).
    kannel_secret: str = field(default="", repr=False)
    kannel_sendsms_url: str = ""
    kannel_sendsms_username: str = ""
    kannel_sendsms_password: str = field(default="", repr=False)
    kannel_from: str = ""
    sms_provider: str = ""

    # X part: X bills each Post read (polled or pushed) under a monthly cap; the mentions poll
    # spreads its reads over the month to stay under this many (0: no cap, poll every interval).
    twitter_monthly_read_cap: int = 0
    # WhatsApp's window and Twilio's odds and ends (issue 17, adapters/twilio_sms/).
    # whatsapp_templates_file: notification kind -> approved ContentSid and its variables
    # (default config/data/whatsapp_templates.toml). whatsapp_sms_fallback: outside the
    # 24-hour window, with no template, send the reply as SMS to the same phone (off for a
    # WhatsApp-only number). twilio_webhook_shared_key: the SharedKey secret of a Twilio
    # Webhooks rule, for requests signed HMAC-SHA256 (X-Twilio-Webhooks-Signature-Settings).
    whatsapp_templates_file: str = ""
    whatsapp_sms_fallback: bool = True
    twilio_webhook_shared_key: str = field(default="", repr=False)
    # Provider media (Twilio, X) fetched on receipt into the attachment store: files above
    # media_max_bytes are refused, each fetch waits at most media_timeout_seconds.
    media_max_bytes: int = 16 * 1024 * 1024
    media_timeout_seconds: int = 30

    # SATUPINTU_SMTP_URL: smtp://user:pass@host:587 (STARTTLS) or smtps://user:pass@host:465
    # (TLS from the first byte); empty: email is off, web/API citizens with an email read the
    # tracking page. SATUPINTU_MAIL_FROM is the From address (a mailbox of the district's
    # domain). Operators' morning digest goes out at digest_hour local time
    # (SATUPINTU_TIMEZONE) on working days; smtp_timeout bounds one SMTP conversation.
    smtp_url: str = field(default="", repr=False)
    mail_from: str = ""
    # SATUPINTU_BOUNCE_ADDRESS: where late bounces (DSNs) go, as bounce+<id>-<tag>@domain
    # (VERP); empty: bounce@<domain of SATUPINTU_MAIL_FROM>. Wire its mails to
    # `satupintu mail bounce` (docs/deploy.md).
    bounce_address: str = ""
    digest_hour: int = 7
    smtp_timeout: int = 30

    # Federation (issue 21): how often cases forwarded to external units are followed up
    # (the remote's status read again). The units and their endpoints are in the units file;
    # each connector's key is SATUPINTU_CONNECTOR_KEY_<UNIT CODE>, read where it is used.
    federation_poll_seconds: int = 300

    # The SLA policy: versioned deadlines with a citation and per-category/unit overrides;
    # empty means config/data/sla_policy.toml.
    sla_policy_file: str = ""

    # "Bukan wewenang" (issue 19): after this many bounces of one case a unit may bounce it
    # no more; the coordinator decides where it belongs. 0 turns unit bounces off entirely.
    max_bounces: int = 2

    @property
    def twilio_enabled(self) -> bool:
        return bool(self.twilio_account_sid and self.twilio_auth_token)

    @property
    def twitter_polling(self) -> bool:
        return bool(self.twitter_user_id and self.twitter_bearer_token)

    @property
    def twitter_replies(self) -> bool:
        return bool(
            self.twitter_user_id
            and self.twitter_consumer_key
            and self.twitter_consumer_secret
            and self.twitter_access_token
            and self.twitter_access_token_secret
        )

    @property
    def twitter_webhook(self) -> bool:
        return bool(self.twitter_user_id and self.twitter_consumer_secret)

    @property
    def sms_rate(self) -> tuple[int, int] | None:
        """(messages, seconds) from sms_rate_limit, or None when it is off."""
        return parse_rate_limit(self.sms_rate_limit)

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
    private_dir(data_dir)
    key = secrets.token_urlsafe(48)
    # O_EXCL: two processes starting at once must agree on one key.
    try:
        fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return key_file.read_text().strip()
    with os.fdopen(fd, "w") as handle:
        handle.write(key + "\n")
    return key


def parse_rate_limit(text: str) -> tuple[int, int] | None:
    """ "20/600" -> (20, 600); "off" or "0" -> None; ValueError for anything else."""
    if text.strip().lower() in {"off", "0", "none"}:
        return None
    count, slash, seconds = text.partition("/")
    if not slash or not count.strip().isdigit() or not seconds.strip().isdigit():
        raise ValueError(f"expected messages/seconds such as 20/600, not {text!r}")
    limit = int(count), int(seconds)
    if min(limit) < 1:
        raise ValueError(f"messages and seconds must be at least 1, not {text!r}")
    return limit


def _check_twilio(settings: Settings) -> None:
    if settings.twilio_signature_mode not in {"enforce", "shadow"}:
        raise ConfigError(f"{PREFIX}TWILIO_SIGNATURE_MODE must be enforce or shadow")
    try:
        parse_rate_limit(settings.sms_rate_limit)
    except ValueError as exc:
        raise ConfigError(f"{PREFIX}SMS_RATE_LIMIT: {exc}") from exc
    if bool(settings.twilio_account_sid) != bool(settings.twilio_auth_token):
        raise ConfigError(f"{PREFIX}TWILIO_ACCOUNT_SID and _AUTH_TOKEN must be set together")
    if settings.twilio_enabled and not (
        settings.twilio_from or settings.twilio_messaging_service_sid
    ):
        raise ConfigError(
            f"{PREFIX}TWILIO_FROM or {PREFIX}TWILIO_MESSAGING_SERVICE_SID is needed to send SMS"
        )


def _check_twitter(settings: Settings) -> None:
    user_id = settings.twitter_user_id
    if user_id and not user_id.isdigit():
        raise ConfigError(f"{PREFIX}TWITTER_USER_ID is the handle's numeric id, not {user_id!r}")
    credentials = (
        settings.twitter_bearer_token,
        settings.twitter_consumer_key,
        settings.twitter_consumer_secret,
        settings.twitter_access_token,
        settings.twitter_access_token_secret,
    )
    if any(credentials) and not user_id:
        raise ConfigError(f"{PREFIX}TWITTER_USER_ID is needed with Twitter/X credentials")
    oauth = credentials[1:]
    # The consumer secret alone runs the webhook; replies need all four OAuth 1.0a values.
    webhook_only = oauth == ("", settings.twitter_consumer_secret, "", "")
    if any(oauth) and not all(oauth) and not webhook_only:
        raise ConfigError(
            f"{PREFIX}TWITTER_CONSUMER_KEY, _CONSUMER_SECRET, _ACCESS_TOKEN and "
            "_ACCESS_TOKEN_SECRET must be set together to post replies"
        )
    if settings.twitter_poll_seconds < 10:
        raise ConfigError(f"{PREFIX}TWITTER_POLL_SECONDS must be at least 10")


def missing_data_dir(data_dir: Path) -> str:
    """What a command says when the data dir it needs is not there (issue 23)."""
    return (
        f"no data dir at {data_dir.resolve()} (SATUPINTU_DATA_DIR; default ./var in the "
        "current directory). Run this command from the directory where `satupintu up` ran, "
        "or set SATUPINTU_DATA_DIR to its data dir; only `satupintu up` creates a new one."
    )


def load_settings(
    environ: Mapping[str, str] | None = None, *, create_data_dir: bool = True, **overrides: Any
) -> Settings:
    """Read SATUPINTU_* variables (or ``environ``), apply ``overrides``, fill derived defaults.

    With ``create_data_dir=False`` (every command but `satupintu up`) a data dir that does
    not exist is a ConfigError when it would hold the database or the secret key, instead of
    a fresh one with a new key that finds none of the gateway's data.
    """
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
    needs_data_dir = not settings.database_url or not settings.secret_key
    if needs_data_dir and not create_data_dir and not data_dir.is_dir():
        raise ConfigError(missing_data_dir(data_dir))
    if not settings.database_url:
        if settings.env == "production":
            raise ConfigError(f"{PREFIX}DATABASE_URL is required when {PREFIX}ENV=production")
        private_dir(data_dir)
        changes["database_url"] = f"sqlite:///{(data_dir / 'satupintu.db').resolve()}"
    if settings.env == "production" and not settings.redis_url:
        raise ConfigError(f"{PREFIX}REDIS_URL is required when {PREFIX}ENV=production")
    if not settings.secret_key:
        changes["secret_key"] = _secret_key_for(data_dir, settings.env)
    if settings.public_url:
        changes["public_url"] = settings.public_url.rstrip("/")
    _check_twilio(settings)
    _check_twitter(settings)
    if settings.max_bounces < 0:
        raise ConfigError(f"{PREFIX}MAX_BOUNCES must be 0 or more")
    if settings.redis_appendfsync not in {"always", "everysec"}:
        raise ConfigError(f"{PREFIX}REDIS_APPENDFSYNC must be always or everysec")
    return settings.replace(**changes)
