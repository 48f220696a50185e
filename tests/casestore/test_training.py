"""The coordinator's decisions as labelled examples (casestore/training.py), and a model
trained from a handful of them scores in plain Python (dispatcher/triage_train.py)."""

from __future__ import annotations

from datetime import UTC, datetime

from casestore.models import Complaint, Quarantine, StatusEvent
from casestore.training import labelled_examples
from casestore.vocabulary import Action, Resolution
from config.triage_model import stemmer
from dispatcher.triage_train import Example, category_for_unit, train
from normalizer.triage import model_from_dict
from normalizer.triage_text import features, read_text

T0 = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)


def _case(session, n, text, category, unit="diskominfo"):
    complaint = Complaint(
        tracking_id=f"TRK{n:07d}", idempotency_key=f"sms:TRAIN{n}", channel="sms",
        owner_unit=unit, status="received", privacy="public", category=category,
        description=text, received_at=T0,
    )  # fmt: skip
    session.add(complaint)
    session.flush()
    return complaint


def _event(session, complaint, kind, *, to_unit=None, reason=None, minute=0):
    session.add(
        StatusEvent(
            complaint_id=complaint.id, kind=kind, to_unit=to_unit, reason=reason,
            created_at=T0.replace(minute=minute),
        )
    )  # fmt: skip


def test_every_decision_is_a_labelled_example(runtime):
    with runtime.sessions.begin() as session:
        road = _case(session, 1, "jalan berlubang di Kenawat", "jalan")
        _event(session, road, Action.VERIFY, minute=1)
        _event(session, road, Action.DISPATCH, to_unit="dinas-pupr", minute=2)
        dog = _case(session, 2, "anjing liar menggigit anak", "pendidikan")
        _event(session, dog, Action.DISPATCH, to_unit="dinas-pendidikan", minute=3)
        _event(session, dog, Action.BOUNCE, minute=4)
        _event(session, dog, Action.DISPATCH, to_unit="satpol-pp", minute=5)
        junk = _case(session, 3, "slot gacor maxwin", None)
        _event(session, junk, Action.REJECT, reason="spam", minute=6)
        session.add_all([
            Quarantine(idempotency_key="sms:q1", channel="sms", reason="uncertain",
                       record={"text": "sy mau lapor pak, jembatan putus"},
                       resolution=Resolution.RELEASED, resolved_at=T0, resolved_by="k"),
            Quarantine(idempotency_key="sms:q2", channel="sms", reason="uncertain",
                       record={"text": "kirim pulsa dulu ya ma"}, triage={"junk_kind": "fraud"},
                       resolution=Resolution.SPAM, resolved_at=T0, resolved_by="k"),
            Quarantine(idempotency_key="sms:q3", channel="sms", reason="chatter",
                       record={"text": "halo"}, resolution=Resolution.REJECTED,
                       resolved_at=T0, resolved_by="k"),
        ])  # fmt: skip
    with runtime.sessions() as session:
        found = {(e.source, e.kind, e.unit) for e in labelled_examples(session)}
    assert found == {
        ("verify", "complaint", ""),
        ("dispatch", "complaint", "dinas-pupr"),
        ("dispatch", "complaint", "dinas-pendidikan"),
        ("bounce", "complaint", "satpol-pp"),  # the unit it went to next
        ("dispatch", "complaint", "satpol-pp"),
        ("reject_spam", "spam", ""),
        ("release", "complaint", ""),
        ("spam", "fraud", ""),  # a plain rejection teaches nothing
    }


def test_the_unit_an_operator_chose_teaches_its_category(runtime):
    assert category_for_unit("pendidikan", "satpol-pp", runtime) == "ketertiban"
    assert category_for_unit("jalan", "dinas-pupr", runtime) == "jalan"
    assert category_for_unit("jalan", "dlh", runtime) == ""  # rubbish or environment?
    assert category_for_unit("sampah", "", runtime) == "sampah"


def test_a_trained_model_scores_in_plain_python():
    examples = [
        Example("jalan rusak berlubang", "complaint", "jalan"),
        Example("aspal jalan hancur", "complaint", "jalan"),
        Example("air pdam mati", "complaint", "air"),
        Example("pipa air bocor", "complaint", "air"),
        Example("kirim pulsa 100rb ke nomor ini", "fraud"),
        Example("mama minta pulsa", "fraud"),
        Example("halo apa kabar", "chatter"),
        Example("lagi dimana bro", "chatter"),
    ]
    data = train(examples, stemmer(), version="test")
    model = model_from_dict(data)
    probs = model.kind.probabilities(features(read_text("tolong kirim pulsa", stemmer())))
    assert max(probs, key=probs.get) == "fraud"
    assert abs(sum(probs.values()) - 1) < 1e-9
    cats = model.category.probabilities(features(read_text("jalan berlubang", stemmer())))
    assert max(cats, key=cats.get) == "jalan"
