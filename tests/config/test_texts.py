"""The keywords and replies files are read by config; the normalizer only builds from tables."""

from __future__ import annotations

from pathlib import Path

import pytest

from config.texts import KEYWORDS_FILE, REPLIES_FILE, read_keywords, read_replies


def test_the_shipped_files_are_read_by_default():
    assert read_keywords().source == str(KEYWORDS_FILE)
    assert "commands" in read_keywords().data
    assert read_replies().source == str(REPLIES_FILE)
    assert "templates" in read_replies().data["id"]


def test_a_file_that_is_not_toml_is_refused_naming_it(tmp_path: Path):
    path = tmp_path / "replies.toml"
    path.write_text("[id.templates\nhelp = 'x'\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"replies\.toml: not valid TOML"):
        read_replies(path)
