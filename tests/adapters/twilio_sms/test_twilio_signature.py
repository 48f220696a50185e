"""X-Twilio-Signature: twilio-python's own vectors through our verify(), the URL Twilio called
behind a proxy, shadow mode for roll-out, and a channel that is not configured.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import pytest
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request

from adapters import twilio_sms
from config import load_settings
from dispatcher.abuse import signature_failures
from dispatcher.inbox import waiting_records

VECTORS = json.loads(
    (Path(__file__).parent / "fixtures" / "twilio_signature_vectors.json").read_text()
)


def vector_request(case: dict, signature: str) -> Request:
    url = urlsplit(case["url"])
    if "raw_body" in case:
        data, content_type = case["raw_body"], "application/json"
    else:
        pairs = [tuple(p) for p in case.get("params_multi") or case["params"].items()]
        data, content_type = urlencode(pairs), "application/x-www-form-urlencoded"
    builder = EnvironBuilder(
        path=url.path,
        base_url=f"{url.scheme}://{url.netloc}",
        query_string=url.query,
        method="POST",
        data=data,
        content_type=content_type,
        headers={"X-Twilio-Signature": signature},
    )
    return Request(builder.get_environ())


@pytest.fixture
def vector_settings(tmp_path):
    return load_settings(
        environ={},
        env="test",
        data_dir=tmp_path,
        secret_key="vectors",
        twilio_account_sid="AC" + "0" * 32,
        twilio_auth_token=VECTORS["auth_token"],
        twilio_from="1708",
    )


@pytest.mark.parametrize("case", VECTORS["cases"], ids=[c["name"] for c in VECTORS["cases"]])
def test_twilio_python_signature_vectors_verify(vector_settings, case):
    assert case["valid"]
    twilio_sms.verify(vector_request(case, case["expected_signature"]), vector_settings)


@pytest.mark.parametrize("case", VECTORS["cases"], ids=[c["name"] for c in VECTORS["cases"]])
def test_a_changed_vector_signature_is_refused(vector_settings, case):
    forged = case["expected_signature"][:-2] + (
        "A=" if case["expected_signature"][-2] != "A" else "B="
    )
    with pytest.raises(twilio_sms.SignatureMismatch) as raised:
        twilio_sms.verify(vector_request(case, forged), vector_settings)
    assert raised.value.reason == "invalid"
    other_token = vector_settings.replace(twilio_auth_token="54321")
    with pytest.raises(twilio_sms.SignatureMismatch):
        twilio_sms.verify(vector_request(case, case["expected_signature"]), other_token)


def test_a_json_body_must_match_its_bodysha256(vector_settings):
    case = next(c for c in VECTORS["cases"] if "raw_body" in c)
    tampered = dict(case, raw_body=case["raw_body"].replace("true", "false"))
    with pytest.raises(twilio_sms.SignatureMismatch):
        twilio_sms.verify(vector_request(tampered, case["expected_signature"]), vector_settings)


def test_the_docs_example_verifies(vector_settings):
    example = VECTORS["twilio_docs_example"]
    case = {"url": example["url"], "params": example["params"]}
    twilio_sms.verify(vector_request(case, example["expected_signature"]), vector_settings)


# --- the URL Twilio called ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("hops", "forwarded", "signed_url", "status"),
    [
        # Behind one proxy that terminates TLS: the public https URL is what Twilio signed.
        (
            1,
            {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "lapor.example.id"},
            "https://lapor.example.id/webhooks/twilio/sms",
            200,
        ),
        # A client-supplied header before the proxy's own is not believed.
        (
            1,
            {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "evil.example, lapor.example.id"},
            "https://lapor.example.id/webhooks/twilio/sms",
            200,
        ),
        (
            1,
            {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "evil.example, lapor.example.id"},
            "https://evil.example/webhooks/twilio/sms",
            403,
        ),
        # Forwarded headers are ignored unless proxies are configured.
        (
            0,
            {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "lapor.example.id"},
            "https://lapor.example.id/webhooks/twilio/sms",
            403,
        ),
        (
            0,
            {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "lapor.example.id"},
            "http://localhost/webhooks/twilio/sms",
            200,
        ),
        # A prefix the proxy strips is part of the URL Twilio called.
        (
            1,
            {
                "X-Forwarded-Proto": "https",
                "X-Forwarded-Host": "lapor.example.id",
                "X-Forwarded-Prefix": "/satupintu",
            },
            "https://lapor.example.id/satupintu/webhooks/twilio/sms",
            200,
        ),
    ],
)
def test_the_signed_url_is_rebuilt_from_trusted_proxies_only(
    redis_only, hops, forwarded, signed_url, status
):
    twilio, runtime = redis_only
    runtime.settings = runtime.settings.replace(public_url=None, proxy_hops=hops)
    response = twilio.post(twilio.params("sms_basic"), signed_url=signed_url, headers=forwarded)
    assert response.status_code == status
    assert len(waiting_records(runtime.redis)) == (1 if status == 200 else 0)


def test_public_url_wins_over_forwarded_headers(redis_only):
    twilio, runtime = redis_only
    runtime.settings = runtime.settings.replace(proxy_hops=1)
    headers = {"X-Forwarded-Proto": "http", "X-Forwarded-Host": "internal:8000"}
    assert twilio.post(twilio.params("sms_basic"), headers=headers).status_code == 200


# --- shadow mode and counting -------------------------------------------------------------


def test_enforce_mode_refuses_and_counts(redis_only):
    twilio, runtime = redis_only
    params = twilio.params("sms_basic")
    assert twilio.post(params, sign="wrong_token").status_code == 403
    assert twilio.post(params, sign="none").status_code == 403
    assert signature_failures(runtime.redis) == {"twilio:invalid": 1, "twilio:missing": 1}
    assert len(waiting_records(runtime.redis)) == 0


def test_shadow_mode_accepts_counts_and_logs_without_personal_data(redis_only, caplog):
    twilio, runtime = redis_only
    runtime.settings = runtime.settings.replace(twilio_signature_mode="shadow")
    params = twilio.params("sms_basic")
    with caplog.at_level(logging.INFO):
        response = twilio.post(params, sign="wrong_token")
        assert twilio.post(twilio.params("sms_emoji"), sign="none").status_code == 200
    assert response.status_code == 200
    assert response.get_data(as_text=True) == twilio_sms.EMPTY_TWIML
    # One sender's records wait in one inbox shard, in order (dispatcher/inbox.py).
    assert len(waiting_records(runtime.redis)) == 2
    assert signature_failures(runtime.redis) == {"twilio:invalid": 1, "twilio:missing": 1}
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "shadow" in logged
    for private in ("6281234567890", "1234567890", "Jalan rusak", "Lampu jalan"):
        assert private not in logged


def test_a_good_signature_is_not_counted_in_shadow_mode(redis_only):
    twilio, runtime = redis_only
    runtime.settings = runtime.settings.replace(twilio_signature_mode="shadow")
    assert twilio.post(twilio.params("sms_basic")).status_code == 200
    assert signature_failures(runtime.redis) == {}


def test_the_channel_answers_503_until_configured(redis_only):
    twilio, runtime = redis_only
    runtime.settings = runtime.settings.replace(twilio_account_sid="", twilio_auth_token="")
    for path in (twilio.sms_path, twilio.status_path):
        response = twilio.post(twilio.params("sms_basic"), path=path, sign="none")
        assert response.status_code == 503
        assert "not configured" in response.get_data(as_text=True)
    assert len(waiting_records(runtime.redis)) == 0


def test_the_configured_max_body_applies_when_smaller(redis_only):
    twilio, runtime = redis_only
    runtime.settings = runtime.settings.replace(max_body_bytes=2_000)
    params = [(k, "x" * 3_000 if k == "Body" else v) for k, v in twilio.params("sms_basic")]
    assert twilio.post(params).status_code == 413
    assert len(waiting_records(runtime.redis)) == 0
