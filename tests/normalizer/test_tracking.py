"""Tracking ids: deterministic per key and secret, short, from the unambiguous alphabet."""

from __future__ import annotations

from normalizer.tracking import (
    ALPHABET,
    LENGTH,
    derive_tracking_id,
    format_tracking_id,
    normalize_tracking_id,
)


def test_same_key_and_secret_give_the_same_id():
    assert derive_tracking_id("sms:SM1", "s") == derive_tracking_id("sms:SM1", "s")


def test_other_key_other_secret_or_attempt_give_other_ids():
    base = derive_tracking_id("sms:SM1", "s")
    assert derive_tracking_id("sms:SM2", "s") != base
    assert derive_tracking_id("sms:SM1", "t") != base
    assert derive_tracking_id("sms:SM1", "s", attempt=1) != base


def test_ids_are_ten_unambiguous_characters():
    ids = {derive_tracking_id(f"web:{n}", "secret") for n in range(2000)}
    assert len(ids) == 2000
    for tracking_id in ids:
        assert len(tracking_id) == LENGTH
        assert set(tracking_id) <= set(ALPHABET)
        assert not set(tracking_id) & set("ILOU")


def test_typed_forms_come_back_to_the_canonical_id():
    tracking_id = derive_tracking_id("sms:SM42", "secret")
    shown = format_tracking_id(tracking_id)
    typed = shown.lower().replace("0", "o").replace("1", "l")
    assert normalize_tracking_id(typed) == tracking_id
    assert normalize_tracking_id(shown) == tracking_id
