"""The form says plainly what will happen with the contact given (issue 18): which channels
reach it now, or that updates are on the tracking page only."""

from __future__ import annotations

import pytest
from fakes.twilio_api import FakeTwilioApi, twilio_settings

NONE = "Saat ini kabar perkembangan hanya ada di halaman lacak laporan"
EMAIL = "kami kirim kabar ke email Anda (dengan tautan untuk berhenti berlangganan). Nomor HP"
SMS = "Nomor HP Anda mendapat satu SMS berisi nomor laporan dan kode: balas YA &lt;kode&gt;"
BOTH = "Nomor HP mendapat satu SMS berisi kode: balas YA &lt;kode&gt;"


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


# After the form, the API and Open311: where updates will reach what the citizen typed.
SMS_AFTER_CODE = "Balas YA &lt;kode&gt; dari nomor itu untuk menerima kabar lewat SMS"
EMAIL_NOW = "Kami mengirim tanda terima ke email Anda sekarang"
PAGE_ONLY = "Kabar perkembangan laporan ini ada di halaman lacak."


def post_form(client, contact):
    import re

    page = client.get("/").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    data = {
        "csrf_token": token,
        "submission_key": f"form-key-{abs(hash(contact)):020d}",
        "description": "Jalan berlubang besar di depan SD Negeri 1 Takengon, sudah 2 bulan.",
        "kecamatan": "11.04.17",
        "privacy": "biasa",
        "contact": contact,
    }
    return client.post("/", data=data)


def test_the_thank_you_page_says_a_typed_phone_must_answer_its_code(runtime, client):
    with FakeTwilioApi("AC" + "3" * 32, "token-" + "4" * 26) as api:
        runtime.settings = twilio_settings(runtime.settings, api, "https://lapor.test")
        page = post_form(client, "0812 3456 7890")
    assert page.status_code == 201
    text = page.get_data(as_text=True)
    assert 'data-updates="sms_after_code"' in text and SMS_AFTER_CODE in text


def test_the_thank_you_page_promises_an_email_receipt_only_when_smtp_is_on(runtime, client):
    off = post_form(client, "warga@contoh.id").get_data(as_text=True)
    assert 'data-updates="tracking_page"' in off and PAGE_ONLY in off
    runtime.settings = runtime.settings.replace(
        smtp_url="smtp://u:p@mail.example:587", mail_from="lapor@acehtengahkab.go.id"
    )
    on = post_form(client, "warga2@contoh.id").get_data(as_text=True)
    assert 'data-updates="email"' in on and EMAIL_NOW in on


def test_the_api_receipt_says_where_updates_go(runtime, client):
    body = {
        "description": "Air PDAM tidak mengalir tiga hari di Kampung Bale.",
        "contact": "0812 3456 7890",
        "kecamatan": "11.04.17",
    }
    headers = {"Idempotency-Key": "api-key-0123456789abcdef"}
    receipt = client.post("/api/v1/complaints", json=body, headers=headers).get_json()
    assert receipt["updates"] == "tracking_page"  # no SMS channel on
    with FakeTwilioApi("AC" + "3" * 32, "token-" + "4" * 26) as api:
        runtime.settings = twilio_settings(runtime.settings, api, "https://lapor.test")
        headers = {"Idempotency-Key": "api-key-0123456789abcdeg"}
        receipt = client.post("/api/v1/complaints", json=body, headers=headers).get_json()
    assert receipt["updates"] == "sms_after_code"
