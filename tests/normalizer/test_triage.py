"""Triage's pure functions as tables: signals, shorthand read in context, verdicts and the
category call, scored with the shipped model (config/data/triage/model.json) and Sastrawi.
"""

from __future__ import annotations

import pytest

from config.reference import load_categories
from config.triage_model import DEFAULT_MODEL, read_model, stemmer
from normalizer.category import build_category_index
from normalizer.records import Intent
from normalizer.triage import (
    CategoryCall,
    Kind,
    Thresholds,
    Verdict,
    auto_route,
    category_call,
    keyword_shares,
    model_from_dict,
    triage_verdict,
)
from normalizer.triage_text import features, find_signals, read_text

MODEL = model_from_dict(read_model(DEFAULT_MODEL))
INDEX = build_category_index(load_categories(None))


@pytest.mark.parametrize(
    ("text", "signals"),
    [
        ("hub 0852-3377-1855", ["phone"]),
        ("hub 0852 3173 7479 skrg", ["phone"]),
        ("hub +62 812-3344-5566", ["phone"]),
        ("WA 6281234567890", ["phone"]),
        ("telp kantor 021-5550-9988", ["phone"]),
        ("klik bit.ly/undian-shp", ["shortlink"]),
        ("cek https://bri-nasabah.online/konfirmasi", ["link"]),
        ("www.indosat-undian.com", ["link"]),
        ("daftar di wa.me/6281234567890", ["shortlink"]),
        ("U2VsYW1hdCBBbmRhIG1lbmRhcGF0a2FuIGhhZGlhaA==", ["base64"]),
        ("Ketik REG SOSMED kirim ke 1234", ["reg"]),
        ("aktifkan di *363*50#", ["ussd"]),
        ("transfer Rp 175.000.000", ["money"]),
        ("kirim pulsa 100rb", ["money"]),
        ("buka Lihat_Foto_Paket.apk", ["apk"]),
        ("ke rek 7721889901", ["account"]),
        ("jalan rusak di Kenawat sejak 2 bulan", []),
        ("ditindaklanjuti segera", []),  # a long word is no base64
        ("lampu jalan km 5 mati", []),
    ],
)
def test_signals_are_found_in_every_spelling(text, signals):
    found, _ = find_signals(text)
    assert sorted(found) == sorted(signals)


@pytest.mark.parametrize(
    ("text", "reading"),
    [
        ("Promo sd 30 Nov kuota murah", "sampai"),
        ("berlaku sd akhir bulan", "sampai"),
        ("berlaku s/d 31 Des", "sampai"),
        ("anak sd negeri 2 tdk ada guru", "sd"),
        ("atap sd bocor", "sd"),
        ("diskon sd 70% semua produk", "sampai"),
        ("berlaku sd tgl 20", "sampai"),
        ("buka jam 8 sd 12", "sampai"),
        ("guru sd 3 takengon blm digaji", "sd"),
        ("sd inpres kebayakan rusak", "sd"),
        ("Promo sd 30 Nov", "sampai"),
        ("yg rusak jln ke sekolah", "yang"),
        ("gk ada air", "tidak"),
        ("bs tolong", "bisa"),
        ("blm diperbaiki", "belum"),
        ("lampu km 5 mati", "kilometer"),
        ("km dmn?", "kamu"),
        ("dr kemarin", "dari"),
    ],
)
def test_shorthand_is_read_in_context(text, reading):
    assert reading in read_text(text, stemmer()).words


@pytest.mark.parametrize(
    ("word", "stem"),
    [("berlubang", "lubang"), ("diperbaiki", "baik"), ("kebanjiran", "banjir"),
     ("penebangan", "tebang")],
)  # fmt: skip
def test_words_are_stemmed_by_sastrawi(word, stem):
    assert read_text(word, stemmer()).stems == (stem,)


def test_features_keep_signals_apart_from_words():
    counts = features(read_text("hub 0852-3377-1855 skrg", stemmer()))
    assert counts["s:phone"] == 1
    assert not any(name.startswith("w:0852") for name in counts)


def verdict(text, intent=Intent.NEW, media=False):
    return triage_verdict(text, intent, MODEL, stemmer(), INDEX, has_media=media)


@pytest.mark.parametrize(
    ("text", "intent", "kind", "junk"),
    [
        ("", Intent.NEW, Kind.JUNK, "empty"),
        ("...", Intent.NEW, Kind.JUNK, "empty"),
        ("🙏🙏", Intent.NEW, Kind.JUNK, "empty"),
        ("https://bit.ly/3xYz9Qw", Intent.NEW, Kind.JUNK, "spam"),
        ("0852-3377-1855", Intent.NEW, Kind.JUNK, "spam"),
        ("SGVsbG8gd29ybGQsIHRoaXMgaXMgYSB0ZXN0IG1lc3NhZ2U=", Intent.NEW, Kind.JUNK, "spam"),
        ("cek", Intent.STATUS_QUERY, Kind.COMMAND, None),
        ("info tambahan", Intent.FOLLOW_UP, Kind.FOLLOW_UP, None),
    ],
)
def test_rule_verdicts(text, intent, kind, junk):
    found = verdict(text, intent)
    assert found.kind is kind
    assert (found.junk_kind.value if found.junk_kind else None) == junk
    assert found.confidence == 1.0 and found.reason


@pytest.mark.parametrize(
    "text",
    [
        "mama lg di kantor polisi, tlg kirim pulsa 100rb ke nomor ini dulu",
        "Selamat anda mendapatkan hadiah 100jt dari undian, hubungi 0812 9876 5432",
        "Promo sd 30 Nov, kuota 30GB Rp25rb. Ketik REG INTERNET30 kirim ke 1234",
        "Pinjaman dana tunai tanpa jaminan cair 1 hari, hub 0822 9988 1122",
    ],
)
def test_fraud_and_promo_are_not_complaints(text):
    found = verdict(text)
    assert found.kind is not Kind.COMPLAINT
    assert found.signals  # the operator sees why


@pytest.mark.parametrize(
    ("text", "category"),
    [
        ("jalan ke kampung kami berlubang besar, tolong diperbaiki", "jalan"),
        ("air pdam mati sudah 3 hari di bebesen", "air"),
        ("lampu jalan di depan masjid mati sudah sebulan", "lampu_jalan"),
        ("ada penebangan liar di hutan lindung dekat kampung", "lingkungan"),
        ("anjing liar berkeliaran dan menggigit anak di pasar", "ketertiban"),
        ("pegawai minta uang pelicin biar surat cepat keluar", "korupsi"),
    ],
)
def test_complaints_are_complaints_of_their_category(text, category):
    found = verdict(text)
    assert found.kind is Kind.COMPLAINT
    call = category_call(text, MODEL, stemmer(), INDEX)
    assert call.code == category and 0 < call.confidence <= 1


def test_a_priority_keyword_decides_the_category_outright():
    call = category_call("guru minta uang pungli utk rapor", MODEL, stemmer(), INDEX)
    assert (call.code, call.reason) == ("korupsi", "priority_keyword")
    assert keyword_shares("guru minta pungli", INDEX) == {"korupsi": 1.0}


def test_a_text_about_nothing_known_is_left_to_the_coordinator():
    call = category_call("tolong pak kapan ini selesai", MODEL, stemmer(), INDEX)
    assert call.code is None and call.reason == "low_confidence"


def test_a_photo_without_words_is_no_junk():
    assert verdict("", media=True).kind is Kind.COMPLAINT


SURE = Thresholds(agency=0.8, route=0.2, route_model_only=0.6)


@pytest.mark.parametrize(
    ("verdict", "call", "held_back"),
    [
        # Both calls sure: the unit routing.toml names.
        (Verdict(Kind.COMPLAINT, 0.95, "model"), CategoryCall("jalan", 0.5, "model_and_keywords"),
         None),
        (Verdict(Kind.COMPLAINT, 0.95, "model"), CategoryCall("korupsi", 1.0, "priority_keyword"),
         None),
        (Verdict(Kind.COMPLAINT, 0.95, "model"), CategoryCall("air", 0.7, "model_only"), None),
        # A person said it is a complaint (released, split): the category decides.
        (None, CategoryCall("jalan", 0.5, "model_and_keywords"), None),
        # Any doubt: the coordinator.
        (Verdict(Kind.COMPLAINT, 0.7, "model"), CategoryCall("jalan", 0.9, "model_and_keywords"),
         "unsure_complaint"),
        (Verdict(Kind.COMPLAINT, 0.95, "model", signals=("shortlink",)),
         CategoryCall("jalan", 0.9, "model_and_keywords"), "junk_signals"),
        (Verdict(Kind.COMPLAINT, 0.95, "model"), CategoryCall("air", 0.5, "model_only"),
         "model_only_unsure"),
        (Verdict(Kind.COMPLAINT, 0.95, "model"), CategoryCall("air", 0.5, "keywords_over_model"),
         "rules_and_model_differ"),
        (Verdict(Kind.UNCERTAIN, 0.5, "low_confidence"), CategoryCall("air", 0.9, "model_only"),
         "unsure_complaint"),
        (Verdict(Kind.COMPLAINT, 0.95, "model"), CategoryCall(None, 0.1, "low_confidence"),
         "low_confidence"),
    ],
)  # fmt: skip
def test_only_a_sure_complaint_with_a_sure_category_is_routed_to_an_agency(
    verdict, call, held_back
):
    assert auto_route(verdict, call, SURE) == held_back


def test_a_phone_number_or_an_amount_is_no_reason_to_hold_a_complaint_back():
    verdict = Verdict(Kind.COMPLAINT, 0.95, "model", signals=("money", "phone"))
    assert auto_route(verdict, CategoryCall("korupsi", 1.0, "priority_keyword"), SURE) is None


def test_a_bare_link_has_no_category():
    call = category_call("https://bit.ly/3xYz9Qw", MODEL, stemmer(), INDEX)
    assert call.code is None
