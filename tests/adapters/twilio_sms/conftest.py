"""Twilio test fixtures: the fake Twilio API, settings that use it, and a signed-request poster.

Request bodies live in ``fixtures/`` exactly as Twilio posts them (urlencoded, its field
order); ``twilio.post`` signs them with the twilio library's own validator.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qsl, urlencode

import pytest
from fakes.twilio_api import FakeTwilioApi, twilio_settings
from twilio.request_validator import HMAC_SHA256, RequestValidator
from werkzeug.datastructures import MultiDict

from config import load_settings
from gateway.app import create_app

ACCOUNT_SID = "AC" + "5e3b" * 8
AUTH_TOKEN = "twilio-test-auth-token-5e3b5e3b"
# A Twilio Webhooks rule's SharedKey secret (HMAC-SHA256 signatures).
SHARED_KEY = "webhooks-sharedkey-secret-5e3b5e3b5e3b"
RULE_HEADER = "X-Twilio-Webhooks-Signature-Settings"
RULE_SETTINGS = "key=webhooks_sharedkey_5e3b,algorithm=HMAC_SHA256"
PUBLIC_URL = "https://lapor.acehtengahkab.go.id"
SMS_PATH = "/webhooks/twilio/sms"
STATUS_PATH = "/webhooks/twilio/status"
FIXTURES = Path(__file__).parent / "fixtures"

Params = list[tuple[str, str]]


def load_params(name: str) -> Params:
    body = (FIXTURES / f"{name}.txt").read_text().strip()
    return parse_qsl(body, keep_blank_values=True, strict_parsing=True)


def signature(params: Params, url: str, token: str = AUTH_TOKEN) -> str:
    return RequestValidator(token).compute_signature(url, MultiDict(params))


@dataclass
class TwilioPoster:
    """Posts form bodies to the app as Twilio would, signed (or not) as a case asks."""

    client: object
    account_sid = ACCOUNT_SID
    auth_token = AUTH_TOKEN
    public_url = PUBLIC_URL
    sms_path = SMS_PATH
    status_path = STATUS_PATH

    def params(self, fixture: str) -> Params:
        return load_params(fixture)

    def signature(self, params: Params, url: str, token: str = AUTH_TOKEN) -> str:
        return signature(params, url, token)

    def post(
        self,
        params: Params,
        *,
        path: str = SMS_PATH,
        sign: str = "valid",
        signed_url: str | None = None,
        headers: dict[str, str] | None = None,
    ):
        url = signed_url or PUBLIC_URL + path
        sent_headers = dict(headers or {})
        if sign == "valid":
            sent_headers["X-Twilio-Signature"] = signature(params, url)
        elif sign == "wrong_token":
            sent_headers["X-Twilio-Signature"] = signature(params, url, "another-accounts-token")
        elif sign.startswith("rule_"):
            # A Webhooks rule: HMAC-SHA256 with its SharedKey, announced in a header.
            key = AUTH_TOKEN if sign == "rule_auth_token" else SHARED_KEY
            validator = RequestValidator(key)
            sent_headers["X-Twilio-Signature"] = validator.compute_signature(
                url, MultiDict(params), HMAC_SHA256
            )
            sent_headers[RULE_HEADER] = (
                RULE_SETTINGS.replace("HMAC_SHA256", "HMAC_MD5")
                if sign == "rule_unknown_algorithm"
                else RULE_SETTINGS
            )
        elif sign == "sha1_under_rule":  # the SHA-1 signature, claimed as the rule's
            sent_headers["X-Twilio-Signature"] = signature(params, url)
            sent_headers[RULE_HEADER] = RULE_SETTINGS
        elif sign != "none":
            raise ValueError(f"unknown signing {sign!r}")
        return self.client.post(
            path,
            data=urlencode(params),
            content_type="application/x-www-form-urlencoded",
            headers=sent_headers,
        )


@pytest.fixture
def fake_twilio() -> Iterator[FakeTwilioApi]:
    with FakeTwilioApi(ACCOUNT_SID, AUTH_TOKEN) as api:
        yield api


@pytest.fixture
def settings(settings, fake_twilio):
    """The shared test settings with the Twilio channel on, sending to the fake API."""
    return twilio_settings(settings, fake_twilio, PUBLIC_URL)


@pytest.fixture
def twilio(client) -> TwilioPoster:
    return TwilioPoster(client)


@pytest.fixture(scope="module")
def webhook_app(tmp_path_factory, redis_url, database_url):
    """One app for a whole module whose tests touch only Redis (no worker, no database rows):
    building a runtime per row would cost more than the rows themselves.
    """
    settings = load_settings(
        environ={},
        env="test",
        data_dir=tmp_path_factory.mktemp("var"),
        database_url=database_url,
        redis_url=redis_url,
        secret_key="twilio-webhook-table-secret",
        twilio_account_sid=ACCOUNT_SID,
        twilio_auth_token=AUTH_TOKEN,
        twilio_webhook_shared_key=SHARED_KEY,
        twilio_from="1708",
        public_url=PUBLIC_URL,
    )
    app = create_app(settings)
    app.config.update(TESTING=True)
    app.extensions["twilio_test_settings"] = settings
    yield app
    app.extensions["satupintu"].close()  # the app built it, so the app's is the one to close


@pytest.fixture
def redis_only(webhook_app):
    """(poster, runtime) over the module's app, with Redis emptied and settings restored."""
    runtime = webhook_app.extensions["satupintu"]
    runtime.settings = webhook_app.extensions["twilio_test_settings"]
    runtime.redis.flushdb()
    return TwilioPoster(webhook_app.test_client()), runtime
