"""Limits that spare real crowds (issue 13): many citizens behind one address (a carrier's
CGNAT, a kantor camat's Wi-Fi) all get through; an abuser is stopped by what identifies them
(the same text again, one browser, one case's secret code); a limited citizen keeps what they
typed and is told when to send again."""

from __future__ import annotations

import re

from web_samples import csrf_token, secret_of, tracking_id_of

from dispatcher.inbox import waiting_records

NAT = {"REMOTE_ADDR": "203.0.113.77"}  # one carrier CGNAT address for everyone here
DESCRIPTIONS = [
    f"Jalan di Kampung {village} rusak, lubang nomor {n} makin besar sejak {n % 7 + 2} hari."
    for n, village in enumerate(["Bale", "Asir-Asir", "Kebayakan", "Pegasing", "Bies"] * 9)
]


def post_form(client, key: str, description: str, **fields):
    data = {
        "csrf_token": csrf_token(client),
        "submission_key": key,
        "description": description,
        "privacy": "biasa",
    } | fields
    return client.post("/", data=data, environ_base=NAT)


def key(n: int) -> str:
    return f"form-key-limits-{n:010d}"


def test_31_citizens_behind_one_address_each_with_their_own_complaint_all_get_through(app, runtime):
    answers = [
        post_form(app.test_client(), key(n), text).status_code
        for n, text in enumerate(DESCRIPTIONS[:40])
    ]
    assert answers == [201] * 40
    assert len(waiting_records(runtime.redis)) == 40


def test_the_same_complaint_sent_again_and_again_is_limited_whatever_the_browser(app, runtime):
    text = "Promo pinjaman online cepat cair tanpa jaminan, hubungi kami sekarang juga!"
    answers = [post_form(app.test_client(), key(n), text).status_code for n in range(7)]
    assert answers == [201] * 5 + [429] * 2
    # The same words from someone who leaves a contact are someone else's complaint.
    other = post_form(app.test_client(), key(99), text, contact="0812 6612 3456")
    assert other.status_code == 201
    assert len(waiting_records(runtime.redis)) == 6


def test_one_browser_sending_complaint_after_complaint_is_limited(app, runtime):
    browser = app.test_client()
    answers = [post_form(browser, key(n), text).status_code for n, text in enumerate(DESCRIPTIONS)]
    assert answers[:20] == [201] * 20 and set(answers[20:]) == {429}
    # Another citizen's phone behind the same address is not held up by it.
    assert post_form(app.test_client(), key(500), "Air PDAM mati sejak kemarin.").status_code == 201


def test_a_limited_citizen_keeps_their_text_and_is_told_when_to_send_again(app, runtime):
    runtime.settings = runtime.settings.replace(submit_rate_limit_same_text=1)
    text = "Lampu jalan di simpang Kebayakan mati, <gelap> & rawan."
    fields = {"name": "Cut Nyak", "contact": "0812 6612 3456", "kecamatan": "11.04.17"}
    assert post_form(app.test_client(), key(1), text, **fields).status_code == 201
    limited = post_form(app.test_client(), key(2), text, **fields)
    assert limited.status_code == 429
    retry_after = int(limited.headers["Retry-After"])
    assert 0 < retry_after <= runtime.settings.rate_limit_window_seconds
    page = limited.get_data(as_text=True)
    assert "Lampu jalan di simpang Kebayakan mati, &lt;gelap&gt; &amp; rawan.</textarea>" in page
    assert 'value="Cut Nyak"' in page and 'value="0812 6612 3456"' in page
    assert '<option value="11.04.17" selected>' in page
    assert f'name="submission_key" value="{key(2)}"' in page  # sent again, it is one complaint
    minutes = -(-retry_after // 60)
    assert re.search(rf"Kirim lagi dalam {minutes} menit", page)

    english = app.test_client()
    english.get("/?lang=en")
    page = post_form(english, key(3), text, **fields).get_data(as_text=True)
    assert re.search(rf"Send it again in {minutes} minutes?\.", page)
    assert len(waiting_records(runtime.redis)) == 1


def test_the_json_api_says_how_long_to_wait(client, runtime):
    runtime.settings = runtime.settings.replace(submit_rate_limit_same_text=1)
    body = {"description": "Jembatan gantung di Serule miring, anak sekolah takut lewat."}
    keys = ["5f0c1d2e-0000-4000-8000-000000000001", "5f0c1d2e-0000-4000-8000-000000000002"]
    answers = [
        client.post("/api/v1/complaints", json=body, headers={"Idempotency-Key": k}) for k in keys
    ]
    assert [a.status_code for a in answers] == [201, 429]
    assert 0 < int(answers[1].headers["Retry-After"]) <= 600


# --- secret codes --------------------------------------------------------------------------


def file_case(app, work, n: int) -> tuple[str, str]:
    response = post_form(app.test_client(), key(1000 + n), DESCRIPTIONS[n])
    assert response.status_code == 201
    return tracking_id_of(response), secret_of(response)


def try_code(client, tracking_id: str, code: str, n: int = 1, environ=NAT):
    data = {
        "csrf_token": csrf_token(client, f"/track/{tracking_id}"),
        "submission_key": f"follow-key-limits-{n:08d}",
        "text": "Lubangnya sudah sebesar ban mobil, tolong segera.",
        "code": code,
    }
    return client.post(f"/track/{tracking_id}", data=data, environ_base=environ)


def test_wrong_codes_for_many_cases_behind_one_address_do_not_lock_everyone_out(app, work):
    cases = [file_case(app, work, n) for n in range(12)]
    work()
    for n, (tracking_id, _) in enumerate(cases):  # each citizen mistypes their code once
        assert try_code(app.test_client(), tracking_id, "ABCD-EFGH-1234", n).status_code == 403
    for n, (tracking_id, secret) in enumerate(cases):
        assert try_code(app.test_client(), tracking_id, secret, 100 + n).status_code == 202


def test_eleven_wrong_codes_for_one_case_lock_that_case_from_every_address(app, work):
    (target, secret), (other, other_secret) = file_case(app, work, 0), file_case(app, work, 1)
    work()
    guesser = app.test_client()
    for n in range(10):
        assert try_code(guesser, target, f"ABCD-EFGH-{n:04d}", n).status_code == 403
    locked = try_code(guesser, target, "ABCD-EFGH-9999", 10)
    assert locked.status_code == 429
    assert 0 < int(locked.headers["Retry-After"]) <= 2 * 600
    assert "Lubangnya sudah sebesar ban mobil" in locked.get_data(as_text=True)
    # The owner, from another address, waits too: the count is the case's, not the address's.
    elsewhere = {"REMOTE_ADDR": "198.51.100.20"}
    assert try_code(app.test_client(), target, secret, 11, elsewhere).status_code == 429
    # Another case from the guesser's own address is not locked.
    assert try_code(guesser, other, other_secret, 12).status_code == 202
