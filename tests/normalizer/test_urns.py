"""Contact URNs: one spelling per citizen."""

from __future__ import annotations

import pytest

from normalizer.urns import InvalidContact, contact_urn, redact_urn, tel_urn, twitter_urn


@pytest.mark.parametrize(
    "written",
    ["081234567890", "6281234567890", "+6281234567890", "+62 812-3456-7890", "tel:+6281234567890"],
)
def test_indonesian_numbers_written_any_way_are_one_contact(written):
    assert tel_urn(written) == "tel:+6281234567890"


@pytest.mark.parametrize("bad", ["", "abc", "12", "+62", "0812" * 10])
def test_impossible_numbers_are_refused(bad):
    with pytest.raises(InvalidContact):
        tel_urn(bad)


def test_email_contacts_are_mailto_with_a_lowercase_domain():
    assert contact_urn("Warga@Example.COM") == "mailto:Warga@example.com"
    with pytest.raises(InvalidContact):
        contact_urn("not an@email")


def test_twitter_urns_use_numeric_ids_only():
    assert twitter_urn("2244994945") == "twitter:2244994945"
    with pytest.raises(InvalidContact):
        twitter_urn("@lapor1708")


def test_redacted_urns_keep_no_number():
    assert redact_urn("tel:+6281234567890") == "tel:***90"
    assert "1234" not in redact_urn("tel:+6281234567890")
