"""Text similarity and low information, measured on realistic pairs and on the routing corpus."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from config.reference import load_categories, load_gazetteer
from dispatcher.similarity import (
    DUPLICATE_THRESHOLD,
    FOLLOW_UP_THRESHOLD,
    Gist,
    conflict,
    content_words,
    low_information,
    similarity,
    text_similarity,
)
from normalizer.category import build_category_index, classify
from normalizer.location import build_location_index, find_location

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
PAIRS = FIXTURES / "similarity_pairs.csv"
CORPUS = FIXTURES / "routing_corpus.csv"


@pytest.fixture(scope="module")
def read():
    categories = build_category_index(load_categories())
    places = build_location_index(load_gazetteer())

    def gist(text: str) -> Gist:
        place = find_location(text, places)
        return Gist.of(text, classify(text, categories).code, place.kecamatan_code, place.desa_code)

    return gist


def test_content_words_read_sms_spelling_and_drop_filler():
    assert content_words("Tlg pak, jln di Kebayakkan rusak parahhh!!") == {
        "jalan",
        "kebayakan",
        "rusak",
        "parah",
    }
    assert content_words("jalannya berlubang2") == {"jalan", "berlubang"}
    assert content_words("Assalamualaikum, selamat pagi pak") == frozenset()


def test_similarity_is_shared_words_over_all_words():
    assert text_similarity("air PDAM mati di Bale", "air pdam di bale mati") == 1.0
    # {air, pdam, mati, bale} vs {air, pdam, mati, kenawat}: 3 shared of 5.
    assert text_similarity("air PDAM mati di Bale", "air PDAM mati di Kenawat") == 0.6
    assert text_similarity("", "air mati") == 0.0


def test_different_categories_or_places_are_never_similar():
    a = Gist(frozenset({"banjir", "kala", "segi"}), "bencana", "11.04.08", "11.04.08.2008")
    assert conflict(a, Gist(a.words, "jalan", "11.04.08")) == "category"
    assert conflict(a, Gist(a.words, "bencana", "11.04.02")) == "kecamatan"
    assert conflict(a, Gist(a.words, None, None, "11.04.08.2001")) == "desa"
    assert conflict(a, Gist(a.words)) is None  # unknown is not different
    assert similarity(a, Gist(a.words, "jalan")) == 0.0


def test_thresholds_on_realistic_pairs(read, capsys):
    with PAIRS.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    scores = {kind: [] for kind in ("follow_up", "duplicate", "different")}
    for row in rows:
        scores[row["kind"]].append(similarity(read(row["text_a"]), read(row["text_b"])))
    found_follow_ups = sum(s >= FOLLOW_UP_THRESHOLD for s in scores["follow_up"])
    found_duplicates = sum(s >= DUPLICATE_THRESHOLD for s in scores["duplicate"])
    false_joins = sum(s >= FOLLOW_UP_THRESHOLD for s in scores["different"])
    false_suggestions = sum(s >= DUPLICATE_THRESHOLD for s in scores["different"])
    n_follow, n_dup, n_diff = (len(scores[k]) for k in ("follow_up", "duplicate", "different"))
    with capsys.disabled():
        print(
            f"\nsimilarity pairs: follow-ups joined {found_follow_ups}/{n_follow}, "
            f"duplicates suggested {found_duplicates}/{n_dup}; different problems joined "
            f"{false_joins}/{n_diff}, suggested {false_suggestions}/{n_diff}"
        )
    assert found_follow_ups / n_follow >= 0.9
    assert found_duplicates / n_dup >= 0.9
    # The "different" pairs are the hard ones (same category, other street or detail).
    assert false_joins / n_diff <= 0.25 and false_suggestions / n_diff <= 0.25


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("halo min", "greeting"),
        ("P", "greeting"),
        ("Selamat pagi pak, terima kasih", "greeting"),
        ("tolong ditindak lanjuti segera!!!", "greeting"),
        ("kenapa gk dibalas2", "too_short"),
        ("SELAMAT! No Anda menang undian hadiah 100jt, klik bit.ly/abc", "spam"),
        ("Pinjaman dana cepat cair tanpa jaminan, hub 081234567890", "spam"),
        ("jalan rusak parah di kampung Kenawat dekat masjid", None),
        ("Pelayanan di kantor bupati lambat sekali", None),
        # One marker is not spam: gambling is something citizens report.
        ("Ada judi sabung ayam di kampung tiap malam, tolong ditertibkan", None),
    ],
)
def test_low_information(text, why):
    assert low_information(text, has_category=False, has_place=False) == why


def test_a_few_words_with_a_category_or_a_place_are_enough():
    assert low_information("air mati", has_category=True, has_place=False) is None
    assert low_information("Kec. Linge", has_category=False, has_place=True) is None
    assert low_information("halo", has_category=True, has_place=True) == "greeting"


def test_no_routable_corpus_complaint_counts_as_low_information(read):
    with CORPUS.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    held = []
    for row in rows:
        gist = read(row["text"])
        why = low_information(
            row["text"], has_category=bool(gist.category), has_place=bool(gist.kecamatan_code)
        )
        if why:
            held.append((row["category"], row["text"]))
    # Only rows written as low-information ones (no category in the corpus) may be held.
    assert all(category == "" for category, _ in held), held
    assert len(held) >= 4
