"""The form says plainly what will happen with the contact given (issue 18): which channels
reach it now, or that updates are on the tracking page only."""

from __future__ import annotations

import pytest
from fakes.twilio_api import FakeTwilioApi, twilio_settings

NONE = "Saat ini kabar perkembangan hanya ada di halaman lacak laporan"
EMAIL = "kami kirim kabar ke email Anda (dengan tautan untuk berhenti berlangganan). Nomor HP"
SMS = "kami kirim SMS ke nomor HP Anda berisi nomor laporan"
BOTH = "atau SMS ke nomor HP Anda berisi nomor laporan"


def form_text(client) -> str:
    return client.get("/").get_data(as_text=True)


def test_without_any_channel_the_form_says_tracking_page_only(client):
    page = form_text(client)
    assert NONE in page and EMAIL not in page and SMS not in page


def test_with_smtp_the_form_promises_email_only(runtime, client):
    runtime.settings = runtime.settings.replace(
        smtp_url="smtp://u:p@mail.example:587", mail_from="lapor@acehtengahkab.go.id"
    )
    page = form_text(client)
    assert EMAIL in page and NONE not in page


@pytest.mark.parametrize("with_email", [False, True])
def test_with_an_sms_channel_the_form_promises_sms(runtime, client, with_email):
    with FakeTwilioApi("AC" + "3" * 32, "token-" + "4" * 26) as api:
        settings = twilio_settings(runtime.settings, api, "https://lapor.test")
        if with_email:
            settings = settings.replace(
                smtp_url="smtp://u:p@mail.example:587", mail_from="lapor@acehtengahkab.go.id"
            )
        runtime.settings = settings
        page = form_text(client)
    assert (BOTH if with_email else SMS) in page and NONE not in page


def test_in_english_too(client):
    page = client.get("/?lang=en").get_data(as_text=True)
    assert "For now, updates are on the report&#39;s tracking page only" in page
