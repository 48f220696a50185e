"""kannel.conf for the current settings: what ``satupintu kannel config`` prints.

One file for both boxes: bearerbox's ``core`` group and one ``smsc`` group per operator
(SMPP, with placeholders for what the operator's account sheet says), or Kannel's fake SMSC
for drills and tests; smsbox's ``smsbox`` group, the ``sendsms-user`` our workers log in as,
and the ``sms-service`` that calls our webhook with the secret and every field we read.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from adapters.kannel.handler import INBOUND_PATH
from config import Settings

DEFAULT_SENDSMS_URL = "http://127.0.0.1:13013/cgi-bin/sendsms"
SHORTCODE = "1708"
_URL_SAFE = re.compile(r"[A-Za-z0-9._~-]+")
# The fields handler.py reads, by Kannel's escape codes (%b: the bytes; %a: the words).
SMS_SERVICE_FIELDS = (
    ("id", "%I"),
    ("from", "%p"),
    ("to", "%P"),
    ("text", "%a"),
    ("bin", "%b"),
    ("coding", "%c"),
    ("charset", "%C"),
    ("time", "%t"),
    ("smsc", "%i"),
)


@dataclass(frozen=True)
class Operator:
    """An Indonesian operator's SMPP account, as the conf's placeholders describe it."""

    smsc_id: str
    name: str
    # National prefixes (after 0) its numbers start with; replies to them go this way.
    prefixes: tuple[str, ...]


OPERATORS = (
    Operator(
        "telkomsel", "Telkomsel", ("811", "812", "813", "821", "822", "823", "851", "852", "853")
    ),
    Operator(
        "indosat",
        "Indosat Ooredoo Hutchison (IM3, Tri)",
        ("814", "815", "816", "855", "856", "857", "858", "895", "896", "897", "898", "899"),
    ),
    Operator(
        "xl-axis",
        "XL Axiata (XL, Axis)",
        ("817", "818", "819", "859", "877", "878", "831", "832", "833", "838"),
    ),
    Operator(
        "smartfren", "Smartfren", ("881", "882", "883", "884", "885", "886", "887", "888", "889")
    ),
)


@dataclass(frozen=True)
class Layout:
    """Where the boxes listen and keep their files (the options of the command)."""

    admin_port: int = 13000
    smsbox_port: int = 13001
    log_dir: str = "/var/log/kannel"
    spool_dir: str = "/var/spool/kannel"
    fake_smsc_port: int | None = None
    gateway_url: str = ""  # where smsbox reaches us; default SATUPINTU_PUBLIC_URL


class ConfError(ValueError):
    """A setting that cannot go into kannel.conf as it is."""


def _quoted(value: str, what: str) -> str:
    if any(ch in value for ch in '"\\\n\r'):
        raise ConfError(f"{what} may not contain quotes, backslashes or line breaks")
    return f'"{value}"'


def admin_password(settings: Settings) -> str:
    """Bearerbox's admin password, derived from the secret: stable, and never the secret."""
    key = settings.kannel_secret or settings.secret_key
    return hmac.new(key.encode(), b"kannel-admin", hashlib.sha256).hexdigest()[:24]


def sms_service_url(settings: Settings, gateway_url: str) -> str:
    """The get-url smsbox calls for every inbound SMS: our webhook, the secret, the fields."""
    if not _URL_SAFE.fullmatch(settings.kannel_secret):
        # smsbox reads every %x in its URL as one of its escape codes: a percent-escaped
        # secret would arrive changed.
        raise ConfError(
            "SATUPINTU_KANNEL_SECRET may only hold letters, digits, '-', '_', '.' and '~' "
            "(e.g. python -c 'import secrets; print(secrets.token_urlsafe(32))')"
        )
    query = "&".join(
        [f"secret={settings.kannel_secret}"]
        + [f"{name}={code}" for name, code in SMS_SERVICE_FIELDS]
    )
    return f"{gateway_url.rstrip('/')}{INBOUND_PATH}?{query}"


def render(settings: Settings, layout: Layout = Layout()) -> str:
    """The whole kannel.conf; raises ConfError for settings it cannot hold."""
    if not settings.kannel_secret:
        raise ConfError("SATUPINTU_KANNEL_SECRET is not set: smsbox could not prove it is ours")
    gateway_url = layout.gateway_url or settings.public_url or f"http://127.0.0.1:{settings.port}"
    sendsms = urlsplit(settings.kannel_sendsms_url or DEFAULT_SENDSMS_URL)
    if sendsms.port is None or sendsms.path != "/cgi-bin/sendsms":
        raise ConfError("SATUPINTU_KANNEL_SENDSMS_URL must be http://HOST:PORT/cgi-bin/sendsms")
    local = sendsms.hostname in {"127.0.0.1", "localhost"}
    shortcode = settings.kannel_from or SHORTCODE
    parts = [
        _core(settings, layout),
        _smsbox(layout, sendsms.hostname or "127.0.0.1", sendsms.port),
        _sendsms_user(settings, shortcode, local),
        _sms_service(settings, gateway_url),
    ]
    if layout.fake_smsc_port is not None:
        parts.append(_fake_smsc(layout.fake_smsc_port))
    else:
        parts += [_smpp(operator, shortcode) for operator in OPERATORS]
    header = (
        "# kannel.conf written by `satupintu kannel config`"
        + (f" --fake-smsc {layout.fake_smsc_port}" if layout.fake_smsc_port is not None else "")
        + "\n# It holds SATUPINTU_KANNEL_SECRET and the sendsms password: keep it mode 0640,"
        "\n# owned by root:kannel. Run bearerbox and smsbox with it (docs/deploy.md).\n"
    )
    return header + "\n".join(parts)


def _core(settings: Settings, layout: Layout) -> str:
    return f"""
# bearerbox: talks SMPP to the operators, queues every message on disk.
group = core
admin-port = {layout.admin_port}
admin-password = {_quoted(admin_password(settings), "admin password")}
admin-allow-ip = "127.0.0.1"
smsbox-port = {layout.smsbox_port}
box-allow-ip = "127.0.0.1"
box-deny-ip = "*.*.*.*"
# Messages survive a bearerbox restart.
store-type = spool
store-location = {_quoted(layout.spool_dir, "spool dir")}
dlr-storage = internal
log-file = {_quoted(layout.log_dir + "/bearerbox.log", "log dir")}
# Warnings and errors only: Kannel's info lines carry phone numbers and message text.
log-level = 2
"""


def _smsbox(layout: Layout, interface: str, sendsms_port: int) -> str:
    return f"""
# smsbox: calls our webhook for each inbound SMS, takes our replies on sendsms.
group = smsbox
bearerbox-host = "127.0.0.1"
bearerbox-port = {layout.smsbox_port}
sendsms-port = {sendsms_port}
sendsms-interface = {_quoted(interface, "the sendsms host")}
# When our webhook does not answer, smsbox asks again (a retried id is the same message).
http-request-retry = 5
http-queue-delay = 10
log-file = {_quoted(layout.log_dir + "/smsbox.log", "log dir")}
log-level = 2
"""


def _sendsms_user(settings: Settings, shortcode: str, local: bool) -> str:
    username = settings.kannel_sendsms_username or "satupintu"
    password = settings.kannel_sendsms_password or "SET-SATUPINTU_KANNEL_SENDSMS_PASSWORD"
    allow = '"127.0.0.1"' if local else '"*.*.*.*"  # limit this to the workers\' addresses'
    return f"""
# Our workers' account (SATUPINTU_KANNEL_SENDSMS_USERNAME / _PASSWORD): at most two SMS per
# reply, from the shortcode.
group = sendsms-user
username = {_quoted(username, "SATUPINTU_KANNEL_SENDSMS_USERNAME")}
password = {_quoted(password, "SATUPINTU_KANNEL_SENDSMS_PASSWORD")}
max-messages = 2
concatenation = true
default-sender = {_quoted(shortcode, "SATUPINTU_KANNEL_FROM")}
user-deny-ip = "*.*.*.*"
user-allow-ip = {allow}
"""


def _sms_service(settings: Settings, gateway_url: str) -> str:
    url = sms_service_url(settings, gateway_url)
    return f"""
# Every inbound SMS goes to SatuPintu; its replies go out later through sendsms, so smsbox
# sends nothing back itself (max-messages = 0).
group = sms-service
keyword = default
catch-all = true
get-url = {_quoted(url, "the webhook URL")}
max-messages = 0
concatenation = true
omit-empty = true
"""


def _fake_smsc(port: int) -> str:
    return f"""
# Kannel's fake SMSC, for drills and tests: /usr/lib/kannel/test/fakesmsc -r {port} plays the
# operator (it connects here, sends citizens' SMS, prints what we send back).
group = smsc
smsc = fake
smsc-id = fake
port = {port}
connect-allow-ip = "127.0.0.1"
"""


def _smpp(operator: Operator, shortcode: str) -> str:
    prefixes = ";".join(f"+62{prefix}" for prefix in operator.prefixes)
    placeholder = operator.smsc_id.upper()
    return f"""
# {operator.name}: fill in the account sheet the operator gave for shortcode {shortcode}.
group = smsc
smsc = smpp
smsc-id = {operator.smsc_id}
host = "{placeholder}-SMSC-HOST"
port = 2775
transceiver-mode = true
# system-id and password of the SMPP bind
smsc-username = "{placeholder}-SYSTEM-ID"
smsc-password = "{placeholder}-PASSWORD"
system-type = "{placeholder}-SYSTEM-TYPE"
# Source address: our replies come from the shortcode; the bind receives what is sent to it.
address-range = "{shortcode}"
source-addr-ton = 3
source-addr-npi = 0
source-addr-autodetect = false
# Numbers as +62...: what SatuPintu sends and expects (tel:+62 URNs).
unified-prefix = "+62,0062,62,0"
# Replies to this operator's numbers go over this bind.
allowed-prefix = "{prefixes}"
interface-version = 34
enquire-link-interval = 30
reconnect-delay = 10
max-pending-submits = 10
"""
