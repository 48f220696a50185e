"""A channel's webhooks come from its spec alone: one spec, one route, the same few steps.

A made-up channel ("example", SMS over a provider that signs with a shared token) is served
by ``gateway.webhooks.routes.blueprint`` with no code of its own in the gateway: the route exists,
a bad token is refused and counted, malformed input gets 400 naming the field, a good
request is normalized and waits in the inbox before the provider's answer, and a channel
that is off answers 503.
"""

from __future__ import annotations

from datetime import UTC, datetime

from flask import Flask

from adapters.base import ChannelSpec, MalformedRequest, SignatureMismatch, Webhook, WebhookResult
from dispatcher.abuse import signature_failures
from dispatcher.inbox import waiting_records
from gateway.webhooks.routes import blueprint
from normalizer.records import Channel, ComplaintRecord, InboundMessage

TOKEN = "example-shared-token"


def _verify(request, settings) -> None:
    if request.headers.get("X-Example-Token") != TOKEN:
        raise SignatureMismatch("example", "invalid")


def _inbound(request, settings) -> WebhookResult:
    if not request.form.get("id"):
        raise MalformedRequest("id is missing")
    message = InboundMessage(
        channel=Channel.SMS,
        provider="example",
        external_id=request.form["id"],
        sender="tel:+6281234567890",
        recipient="1708",
        text=request.form.get("text", ""),
        received_at=datetime.now(UTC),
    )
    return WebhookResult(messages=(message,), body="OK\n")


EXAMPLE = ChannelSpec(
    name="example",
    webhooks=(Webhook("/webhooks/example/inbound", "POST", "example_inbound", _inbound),),
    webhook_enabled=lambda settings: settings.default_region == "ID",
    verify=_verify,
)


def _client(runtime, spec: ChannelSpec = EXAMPLE):
    app = Flask(__name__)
    app.extensions["satupintu"] = runtime
    app.register_blueprint(blueprint([spec]))
    return app.test_client()


def test_a_signed_request_is_queued_before_the_answer(runtime):
    client = _client(runtime)
    form = {"id": "ex-0001", "text": "Jalan rusak di Kampung Bale, Kec. Lut Tawar"}
    response = client.post(
        "/webhooks/example/inbound", data=form, headers={"X-Example-Token": TOKEN}
    )
    assert (response.status_code, response.get_data(as_text=True)) == (200, "OK\n")
    (record,) = [ComplaintRecord.from_dict(r) for r in waiting_records(runtime.redis)]
    assert (record.provider, record.external_id, record.kecamatan_code) == (
        "example",
        "ex-0001",
        "11.04.17",
    )


def test_a_bad_signature_is_refused_and_counted(runtime):
    response = _client(runtime).post("/webhooks/example/inbound", data={"id": "ex-0002"})
    assert response.status_code == 403
    assert signature_failures(runtime.redis) == {"example:invalid": 1}
    assert waiting_records(runtime.redis) == []


def test_malformed_input_names_the_field(runtime):
    response = _client(runtime).post(
        "/webhooks/example/inbound", data={"text": "x"}, headers={"X-Example-Token": TOKEN}
    )
    assert (response.status_code, response.get_data(as_text=True)) == (400, "id is missing\n")
    assert waiting_records(runtime.redis) == []


def test_a_channel_that_is_off_answers_503(runtime):
    off = ChannelSpec(name="example", webhooks=EXAMPLE.webhooks, verify=_verify)
    response = _client(runtime, off).post(
        "/webhooks/example/inbound", data={"id": "ex-0003"}, headers={"X-Example-Token": TOKEN}
    )
    assert response.status_code == 503
    assert "example channel is not configured" in response.get_data(as_text=True)


def test_the_app_serves_every_registered_webhook(app):
    rules = {(rule.rule, method) for rule in app.url_map.iter_rules() for method in rule.methods}
    for route in [
        ("/webhooks/twilio/sms", "POST"),
        ("/webhooks/twilio/status", "POST"),
        ("/webhooks/twitter", "GET"),
        ("/webhooks/twitter", "POST"),
    ]:
        assert route in rules
