"""A web citizen rates the resolution on the tracking page with the secret code (issue 20):
once, within the answer window, a score of 1 to 5; the comment never reaches a public page;
a low score is flagged; bad fields are a 4xx naming the field."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from casestore import complaints as store
from casestore.accountability import low_ratings
from casestore.lifecycle import Action
from casestore.models import Rating, utcnow
from dispatcher.casework import act_on_case, lifecycle_action
from tests.gateway.test_public import post, tracking_id_of


def filed(client, work):
    response = post(client)
    assert response.status_code == 201
    secret = re.search(r'data-citizen-secret="([^"]+)"', response.get_data(as_text=True)).group(1)
    work()
    return tracking_id_of(response), secret


def act(runtime, tracking_id, action, **fields):
    def find(session):
        return store.complaint_by_tracking_id(session, tracking_id)

    act_on_case(runtime, find, lifecycle_action(action, runtime, actor="op", **fields))


def resolve(runtime, tracking_id):
    act(runtime, tracking_id, Action.VERIFY)
    act(runtime, tracking_id, Action.DISPATCH, unit="dinas-pupr")
    act(runtime, tracking_id, Action.START)
    act(runtime, tracking_id, Action.RESOLVE, message_to_reporter="Sudah ditambal.")


def token(client, tracking_id):
    page = client.get(f"/track/{tracking_id}").get_data(as_text=True)
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1), page


def rate(client, tracking_id, **fields):
    csrf, _ = token(client, tracking_id)
    return client.post(f"/track/{tracking_id}/rating", data={"csrf_token": csrf, **fields})


def stored(runtime):
    with runtime.sessions() as session:
        return session.scalars(select(Rating)).all()


def test_a_web_citizen_rates_once_and_the_comment_stays_internal(client, runtime, work):
    tracking_id, secret = filed(client, work)
    _, page = token(client, tracking_id)
    assert 'id="nilai"' not in page  # not resolved yet: nothing to rate
    resolve(runtime, tracking_id)
    _, page = token(client, tracking_id)
    assert 'id="nilai"' in page and 'name="score"' in page
    answer = rate(client, tracking_id, code=secret, score="2", comment="Lambat, Pak Budi lupa")
    assert answer.status_code == 200 and "Koordinator akan meninjau" in answer.get_data(
        as_text=True
    )
    (given,) = stored(runtime)
    assert (given.score, given.low, given.channel, given.comment) == (
        2,
        True,
        "web",
        "Lambat, Pak Budi lupa",
    )
    with runtime.sessions() as session:
        assert [r.score for r in low_ratings(session, utcnow() - timedelta(days=1))] == [2]
    again = rate(client, tracking_id, code=secret, score="5")
    assert again.status_code == 409
    assert [r.score for r in stored(runtime)] == [2]
    for url in (f"/track/{tracking_id}", "/statistik", "/statistik/data/units.json"):
        assert "Budi" not in client.get(url).get_data(as_text=True)
    units = client.get("/statistik/data/units.json").get_json()["rows"]
    assert {r["key"]: r["rating_count"] for r in units}["dinas-pupr"] == 1


@pytest.mark.parametrize(
    ("label", "fields", "status", "named"),
    [
        ("no score", {"comment": "x"}, 422, "Pilih penilaian"),
        ("score zero", {"score": "0"}, 422, "Pilih penilaian"),
        ("score six", {"score": "6"}, 422, "Pilih penilaian"),
        ("score text", {"score": "lima"}, 422, "Pilih penilaian"),
        ("score hostile", {"score": "<script>1</script>"}, 422, "Pilih penilaian"),
        ("comment too long", {"score": "4", "comment": "x" * 1001}, 422, "1000 karakter"),
        ("no code", {"score": "4", "code": ""}, 422, "kode rahasia"),
        ("wrong code", {"score": "4", "code": "AAAA-BBBB-CCCC"}, 403, "Kode"),
    ],
)
def test_bad_ratings_are_refused_by_field(client, runtime, work, label, fields, status, named):
    tracking_id, secret = filed(client, work)
    resolve(runtime, tracking_id)
    data = {"code": secret, **fields}
    answer = rate(client, tracking_id, **data)
    assert answer.status_code == status, label
    assert named.lower() in answer.get_data(as_text=True).lower(), label
    assert "<script>1" not in answer.get_data(as_text=True)
    assert stored(runtime) == []


def test_a_duplicated_score_field_is_refused(client, runtime, work):
    tracking_id, secret = filed(client, work)
    resolve(runtime, tracking_id)
    csrf, _ = token(client, tracking_id)
    answer = client.post(
        f"/track/{tracking_id}/rating",
        data={"csrf_token": csrf, "code": secret, "score": ["4", "1"]},
    )
    assert answer.status_code == 422 and stored(runtime) == []


def test_an_open_case_cannot_be_rated(client, runtime, work):
    tracking_id, secret = filed(client, work)
    assert rate(client, tracking_id, code=secret, score="5").status_code == 409
    assert stored(runtime) == []
