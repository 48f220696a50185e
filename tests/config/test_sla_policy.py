"""The SLA policy file (issue 20): the shipped national version, overrides by specificity,
the version in force on a day, and bad files refused with the file and field named."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from casestore.clock import Clock, add_working_days, deadline
from config.reference import ReferenceDataError
from config.sla_policy import NATIONAL, load_sla_policy

BASE = """
[[version]]
id = "national"
effective_from = 2018-01-01
citation = "PermenPANRB 62/2018"
verify_days = 3
follow_up_days = 5
hard_limit_days = 60
answer_days = 10
warn_days_before = 1
"""

NEWER = """
[[version]]
id = "sop-2027"
effective_from = 2027-01-04
citation = "SOP Kabupaten 2027"
verify_days = 2
follow_up_days = 4
hard_limit_days = 30
answer_days = 7
warn_days_before = 2

[[version.override]]
category = "kesehatan"
follow_up_days = 1

[[version.override]]
unit = "rsud"
follow_up_days = 2

[[version.override]]
unit = "rsud"
category = "kesehatan"
hard_limit_days = 5
"""


def write(tmp_path, text):
    path = tmp_path / "sla_policy.toml"
    path.write_text(text)
    return path


def test_the_shipped_policy_is_the_national_rules_with_a_citation_and_a_note():
    policy = load_sla_policy()
    version = policy.version_on(date(2026, 12, 4))
    assert version.terms == NATIONAL
    assert "62 Tahun 2018" in version.citation and "5/2025" in version.note


def test_versions_by_day_and_overrides_by_specificity(tmp_path):
    policy = load_sla_policy(write(tmp_path, BASE + NEWER))
    assert policy.version_on(date(2027, 1, 3)).id == "national"
    assert policy.version_on(date(2027, 1, 4)).id == "sop-2027"
    assert policy.version_on(date(2010, 1, 1)).id == "national"  # before all: the oldest
    sop = policy.version("sop-2027")
    assert sop.terms_for("jalan", "dinas-pupr").follow_up_days == 4
    assert sop.terms_for("kesehatan", "dinas-kesehatan").follow_up_days == 1
    assert sop.terms_for("jalan", "rsud").follow_up_days == 2
    both = sop.terms_for("kesehatan", "rsud")
    assert (both.follow_up_days, both.hard_limit_days, both.verify_days) == (2, 5, 2)


def test_the_clocks_run_on_a_versions_terms_and_skip_local_holidays(tmp_path):
    sop = load_sla_policy(write(tmp_path, BASE + NEWER)).version("sop-2027")
    now = datetime(2027, 1, 4, 3, 0, tzinfo=UTC)  # Monday 10:00 WIB
    found = deadline(Clock.FOLLOW_UP, now=now, received_at=now, hard_due_at=None, terms=sop.terms)
    assert found.due_at == add_working_days(now, 4)
    assert found.warn_at == add_working_days(now, 2)
    closed = {date(2027, 1, 7)}  # a local holiday on the Thursday
    later = deadline(
        Clock.FOLLOW_UP, now=now, received_at=now, hard_due_at=None, terms=sop.terms, closed=closed
    )
    assert later.due_at == add_working_days(now, 5)


@pytest.mark.parametrize(
    ("label", "text", "complaint"),
    [
        ("no versions", "", "at least one [[version]]"),
        ("not toml", "[[version]\n", "not valid TOML"),
        ("missing id", BASE.replace('id = "national"\n', ""), "id is required"),
        ("missing citation", BASE.replace('citation = "PermenPANRB 62/2018"\n', ""), "citation"),
        ("bad date", BASE.replace("2018-01-01", '"soon"'), "effective_from"),
        ("missing days", BASE.replace("hard_limit_days = 60\n", ""), "missing hard_limit_days"),
        ("zero days", BASE.replace("verify_days = 3", "verify_days = 0"), "verify_days"),
        ("negative warn", BASE.replace("warn_days_before = 1", "warn_days_before = -1"), "warn"),
        ("text days", BASE.replace("answer_days = 10", 'answer_days = "10"'), "answer_days"),
        ("bool days", BASE.replace("answer_days = 10", "answer_days = true"), "answer_days"),
        ("unknown field", BASE + "grace_days = 2\n", "unknown field 'grace_days'"),
        ("a misspelt pause switch", BASE + "pause_for_reporter = true\n", "unknown field"),
        ("pause as text", BASE + 'pause_while_waiting = "yes"\n', "true or false"),
        ("no wait at all", BASE + "max_wait_days = 0\n", "max_wait_days"),
        ("an unknown way on", BASE + 'on_wait_expired = "close"\n', "resume, archive"),
        ("long id", BASE.replace('"national"', '"' + "x" * 41 + '"'), "40 characters"),
        ("same id twice", BASE + BASE.replace("2018-01-01", "2019-01-01"), "unique"),
        ("same day twice", BASE + BASE.replace('"national"', '"other"'), "same day"),
        (
            "override without target",
            BASE + "[[version.override]]\nfollow_up_days = 2\n",
            "needs a category, a unit or both",
        ),
    ],
)
def test_bad_policy_files_are_refused_by_name(tmp_path, label, text, complaint):
    path = write(tmp_path, text)
    with pytest.raises(ReferenceDataError, match=None) as caught:
        load_sla_policy(path)
    assert complaint in str(caught.value), label
    assert str(path) in str(caught.value)


def test_waiting_terms_default_to_pausing_and_may_be_overridden(tmp_path):
    shipped = load_sla_policy().versions[-1].terms
    assert (shipped.pause_while_waiting, shipped.max_wait_days, shipped.on_wait_expired) == (
        True,
        10,
        "resume",
    )
    path = write(
        tmp_path,
        BASE + '[[version.override]]\nunit = "rsud"\npause_while_waiting = false\n'
        'on_wait_expired = "archive"\nmax_wait_days = 5\n',
    )
    version = load_sla_policy(path).versions[0]
    assert version.terms.pause_while_waiting is True  # a version without them: the defaults
    rsud = version.terms_for("kesehatan", "rsud")
    assert (rsud.pause_while_waiting, rsud.max_wait_days, rsud.on_wait_expired) == (
        False,
        5,
        "archive",
    )
