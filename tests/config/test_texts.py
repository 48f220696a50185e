"""The keywords file and the reply catalogs are read by config; the normalizer only builds
from tables. A district's replies file wins over the catalogs key by key."""

from __future__ import annotations

from pathlib import Path

import pytest

from config import catalogs
from config.texts import KEYWORDS_FILE, read_keywords, read_replies


def test_the_shipped_files_are_read_by_default():
    assert read_keywords().source == str(KEYWORDS_FILE)
    assert "commands" in read_keywords().data
    assert read_replies().source.endswith("replies.po")
    tables = read_replies().data
    assert tables["id"]["templates"]["ack"] == catalogs.text("ack", "id", "replies")
    assert tables["en"]["status"]["in_progress"] == "In progress"  # status.<code> in the .po


def test_a_replies_file_wins_per_key_in_every_language(tmp_path: Path):
    path = tmp_path / "replies.toml"
    path.write_text(
        '[id.templates]\nhelp = "Ketik LAPOR <isi> ke 1708."\n[en.status]\nclosed = "Done"\n',
        encoding="utf-8",
    )
    tables = read_replies(path)
    assert str(path) in tables.source
    assert tables.data["id"]["templates"]["help"] == "Ketik LAPOR <isi> ke 1708."
    # The district rewrote "help": the shipped English help (another wording) is not sent.
    assert "help" not in tables.data["en"]["templates"]
    assert tables.data["en"]["status"]["closed"] == "Done"
    assert "closed" not in tables.data["id"]["status"]  # its Indonesian was not given either
    # Everything the file does not name stays as shipped.
    assert tables.data["en"]["templates"]["ack"] == catalogs.text("ack", "en", "replies")


def test_a_file_that_is_not_toml_is_refused_naming_it(tmp_path: Path):
    path = tmp_path / "replies.toml"
    path.write_text("[id.templates\nhelp = 'x'\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"replies\.toml: not valid TOML"):
        read_replies(path)
