"""The browser tests' own setup: without Chromium they skip saying why, except under CI, where
they fail (CI installs Chromium; a skipped browser test there would hide a broken console)."""

from __future__ import annotations

import pytest


def test_without_chromium_the_tests_fail_under_ci_and_skip_elsewhere(
    require_chromium, monkeypatch, tmp_path
):
    missing = tmp_path / "no-chromium"
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="CI must run the browser tests"):
        require_chromium(missing)
    monkeypatch.delenv("CI")
    with pytest.raises(pytest.skip.Exception, match="apt-get install -y chromium"):
        require_chromium(missing)
