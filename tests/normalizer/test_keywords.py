"""SMS keyword commands: one table of real and hostile messages, and the keywords file checks."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from config.texts import KEYWORDS_FILE, read_keywords
from normalizer.keywords import (
    Command,
    KeywordSet,
    build_keywords,
    parse_command,
)
from normalizer.records import Intent

NEW, STATUS, FOLLOW_UP, WITHDRAW = (
    Intent.NEW,
    Intent.STATUS_QUERY,
    Intent.FOLLOW_UP,
    Intent.WITHDRAW,
)
OPT_OUT, OPT_IN, HELP = Intent.OPT_OUT, Intent.OPT_IN, Intent.HELP
CONFIRM = Intent.CONFIRM
ID = "ABCDE12345"
LONG_TEXT = "Jalan di Kampung Kung rusak parah, mohon segera diperbaiki. " * 34 + "Terima kasih"

SAME = "<the message, unchanged>"

# label, message, intent, tracking id, remaining text (SAME: the whole message), confidential
# fmt: off
CASES = [
    # New complaints: free text, optional LAPOR/ADUAN, RAHASIA in either order.
    ("free text", "Jalan rusak di Bebesen", NEW, None, SAME, False),
    ("lapor prefix", "LAPOR jalan rusak di Bebesen", NEW, None, "jalan rusak di Bebesen", False),
    ("lapor with hash", "lapor#jalan rusak", NEW, None, "jalan rusak", False),
    ("aduan with colon", "Aduan: air PDAM mati 3 hari", NEW, None, "air PDAM mati 3 hari", False),
    ("english report", "REPORT broken bridge at Silih Nara", NEW, None,
     "broken bridge at Silih Nara", False),
    ("lapor alone", "LAPOR", NEW, None, "", False),
    ("laporan is not a prefix", "Laporan saya belum ditanggapi", NEW, None, SAME, False),
    ("adu is content", "Adu ayam di Desa Mulie meresahkan", NEW, None, SAME, False),
    ("copied placeholder", "LAPOR <jalan rusak di Pegasing>", NEW, None,
     "jalan rusak di Pegasing", False),
    ("quotes kept", 'LAPOR: "Pak Kades" tidak hadir', NEW, None, '"Pak Kades" tidak hadir', False),
    ("rahasia", "RAHASIA pungli di kantor camat", NEW, None, "pungli di kantor camat", True),
    ("lapor rahasia", "LAPOR RAHASIA pungli di puskesmas", NEW, None, "pungli di puskesmas", True),
    ("rahasia lapor", "rahasia lapor: pungli di puskesmas", NEW, None, "pungli di puskesmas", True),
    ("confidential english", "CONFIDENTIAL bribe at the permit office", NEW, None,
     "bribe at the permit office", True),
    ("rahasia alone", "RAHASIA", NEW, None, "", True),
    # Status queries.
    ("cek id", "CEK ABCDE12345", STATUS, ID, "", False),
    ("cek hash lowercase hyphen", "CEK#abcde-12345", STATUS, ID, "", False),
    ("cek colon lowercase", "cek: abcde12345", STATUS, ID, "", False),
    ("status colon hyphen", "STATUS:ABCDE-12345", STATUS, ID, "", False),
    ("cekstatus", "CEKSTATUS ABCDE-12345", STATUS, ID, "", False),
    ("check english", "check abcde-12345", STATUS, ID, "", False),
    ("o typed for 0", "CEK ABCDE-O2345 ", STATUS, "ABCDE02345", "", False),
    ("l typed for 1", "cek abcde-l2345", STATUS, ID, "", False),
    ("i typed for 1", "cek abcde-i2345", STATUS, ID, "", False),
    ("space instead of hyphen", "CEK ABCDE 12345", STATUS, ID, "", False),
    ("id in brackets", "CEK <ABCDE-12345>", STATUS, ID, "", False),
    ("id in parentheses", "Cek (ABCDE-12345)", STATUS, ID, "", False),
    ("glued to the word", "CEKABCDE12345", STATUS, ID, "", False),
    ("full-width", "ＣＥＫ：ＡＢＣＤＥ－１２３４５", STATUS, ID, "", False),
    ("en dash from autocorrect", "CEK ABCDE\u201312345", STATUS, ID, "", False),
    ("text after id", "CEK ABCDE12345 kenapa belum ditanggapi?", STATUS, ID,
     "kenapa belum ditanggapi?", False),
    ("leading and trailing spaces", "   cek   ABCDE12345   ", STATUS, ID, "", False),
    ("trailing punctuation", "CEK ABCDE-12345.", STATUS, ID, "", False),
    ("cek alone", "CEK", STATUS, None, "", False),
    ("cek question mark", "Cek?", STATUS, None, "", False),
    ("id too short", "Cek  abc12", STATUS, None, "abc12", False),
    ("id too long", "CEK ABCDE123456", STATUS, None, "ABCDE123456", False),
    ("u is not crockford", "CEK ABCDU12345", STATUS, None, "ABCDU12345", False),
    ("short natural query", "Cek status laporan saya", STATUS, None, "status laporan saya", False),
    ("long sentence is a complaint", "Status jalan di desa kami tidak jelas sejak lama", NEW,
     None, SAME, False),
    # Follow-ups.
    ("info id text", "INFO ABCDE12345 masih rusak", FOLLOW_UP, ID, "masih rusak", False),
    ("tambah", "tambah abcde-12345: makin parah", FOLLOW_UP, ID, "makin parah", False),
    ("info split id", "INFO ABCDE 12345 foto menyusul", FOLLOW_UP, ID, "foto menyusul", False),
    ("info id only", "INFO ABCDE12345", FOLLOW_UP, ID, "", False),
    ("two words are not an id", "INFO tanah warga dirampas oleh perusahaan sawit", NEW, None,
     SAME, False),
    ("info short without id", "INFO abc", FOLLOW_UP, None, "abc", False),
    # Withdrawals.
    ("batal", "BATAL ABCDE12345", WITHDRAW, ID, "", False),
    ("batal with reason", "batal abcde-12345 sudah beres", WITHDRAW, ID, "sudah beres", False),
    ("cancel with id withdraws", "CANCEL ABCDE-12345", WITHDRAW, ID, "", False),
    ("withdraw english", "withdraw ABCDE-12345", WITHDRAW, ID, "", False),
    ("batal alone", "BATAL", WITHDRAW, None, "", False),
    ("batalkan is not batal", "Batalkan pungutan liar di sekolah kami", NEW, None, SAME, False),
    # Opt-out: only the keyword, maybe with punctuation; Twilio's words included.
    ("stop", "STOP", OPT_OUT, None, "", False),
    ("stop lowercase dot", "stop.", OPT_OUT, None, "", False),
    ("stop shouted", "  STOP!!! ", OPT_OUT, None, "", False),
    ("stop repeated", "stop stop", OPT_OUT, None, "", False),
    ("stop with emoji", "STOP \U0001f621", OPT_OUT, None, "", False),
    ("stop all", "STOP ALL", OPT_OUT, None, "", False),
    ("berhenti", "Berhenti", OPT_OUT, None, "", False),
    ("unreg lapor", "UNREG LAPOR", OPT_OUT, None, "", False),
    ("cancel alone", "cancel", OPT_OUT, None, "", False),
    ("stopall", "STOPALL", OPT_OUT, None, "", False),
    ("unsubscribe", "Unsubscribe", OPT_OUT, None, "", False),
    ("stop in a sentence", "Stop pungli di kantor camat!", NEW, None, SAME, False),
    ("stop please", "STOP PLEASE", NEW, None, SAME, False),
    ("spaced letters", "S T O P", NEW, None, SAME, False),
    # Opt-in and help.
    ("mulai", "MULAI", OPT_IN, None, "", False),
    ("start", "start", OPT_IN, None, "", False),
    ("unstop", "UNSTOP", OPT_IN, None, "", False),
    ("bantuan", "BANTUAN", HELP, None, "", False),
    ("help", "help?", HELP, None, "", False),
    ("info alone is help", "INFO", HELP, None, "", False),
    ("info with punctuation is help", "info?!", HELP, None, "", False),
    # Hostile and odd input: never an exception, never a command by accident.
    ("empty", "", NEW, None, "", False),
    ("only spaces", "    \t  ", NEW, None, "", False),
    ("only punctuation", "?!...", NEW, None, SAME, False),
    ("over 2000 chars", LONG_TEXT, NEW, None, SAME, False),
    ("emoji only", "\U0001f621\U0001f621", NEW, None, SAME, False),
    ("arabic script", "\u0627\u0644\u0637\u0631\u064a\u0642 \u0645\u0643\u0633\u0648\u0631", NEW,
     None, SAME, False),
    ("rtl override before stop", "\u202eSTOP", OPT_OUT, None, "", False),
    ("zero-width space inside stop", "ST\u200bOP", OPT_OUT, None, "", False),
    ("nul byte between cek and id", "CEK\x00ABCDE12345", STATUS, ID, "", False),
    ("nul bytes in text", "jalan\x00 rusak\x00", NEW, None, "jalan rusak", False),
    ("sql-ish", "'; DROP TABLE complaints; --", NEW, None, SAME, False),
    ("sql-ish after cek", "CEK ' OR 1=1 --", STATUS, None, "' OR 1=1 --", False),
    ("format string", "LAPOR {tracking_id} %s", NEW, None, "{tracking_id} %s", False),
    ("number only", "1708", NEW, None, SAME, False),
    # A typed phone's answer to its one-time code (issue 18): the word, then four digits.
    ("ya code", "YA 4821", CONFIRM, None, "4821", False),
    ("ya code lower, comma", "ya, 4821", CONFIRM, None, "4821", False),
    ("ya code glued", "Ya4821", CONFIRM, None, "4821", False),
    ("ya code spaced", "YA 48 21", CONFIRM, None, "4821", False),
    ("yes code", "YES 4821!", CONFIRM, None, "4821", False),
    ("ok code full-width", "\uff2f\uff2b \uff14\uff18\uff12\uff11", CONFIRM, None, "4821", False),
    ("yes alone is opt-in", "YES", OPT_IN, None, "", False),
    ("ya alone is a complaint", "ya", NEW, None, SAME, False),
    ("three digits", "YA 482", NEW, None, SAME, False),
    ("five digits", "YA 48211", NEW, None, SAME, False),
    ("ya in a sentence", "Ya 2024 jalan rusak", NEW, None, SAME, False),
    ("other word and code", "LAPOR 4821", NEW, None, "4821", False),
]
# fmt: on


@pytest.fixture(scope="module")
def keywords() -> KeywordSet:
    return build_keywords(*read_keywords())


@pytest.mark.parametrize(
    ("label", "message", "intent", "tracking_id", "text", "confidential"),
    CASES,
    ids=[case[0] for case in CASES],
)
def test_parse_command(keywords, label, message, intent, tracking_id, text, confidential):
    text = message if text is SAME else text
    assert parse_command(message, keywords) == Command(intent, tracking_id, text, confidential)


def test_labels_are_unique():
    labels = [case[0] for case in CASES]
    assert len(labels) == len(set(labels))


def test_default_file_is_found_beside_the_config_package():
    path = KEYWORDS_FILE
    assert path.name == "keywords.toml"
    assert path.parent.name == "data"
    assert build_keywords(*read_keywords(path)) == build_keywords(*read_keywords())


def test_twilio_reserved_words_mean_what_twilio_does(keywords):
    # Twilio acts on these itself; our records must agree with what Twilio did.
    twilio_opt_out = {"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "REVOKE", "OPTOUT"}
    assert twilio_opt_out <= keywords.words_for(OPT_OUT)
    assert {"START", "UNSTOP", "YES"} <= keywords.words_for(OPT_IN)
    assert {"HELP", "INFO"} <= keywords.words_for(HELP)
    for word in twilio_opt_out | {"START", "UNSTOP", "YES", "HELP", "INFO"}:
        assert parse_command(word.lower(), keywords).intent in (OPT_OUT, OPT_IN, HELP)


def _default_tables() -> dict:
    with KEYWORDS_FILE.open("rb") as handle:
        return tomllib.load(handle)


BAD_FILES = [
    (
        "same word in two commands",
        lambda d: d["commands"]["withdraw"].append("cek"),
        "'CEK' is listed under both 'status_query' and 'withdraw'",
    ),
    (
        "command word also confidential",
        lambda d: d["confidential"]["words"].append("LAPOR"),
        "'LAPOR' is listed under both 'new' and 'confidential'",
    ),
    (
        "same word in two whole-message intents",
        lambda d: d["whole_message"]["help"].append("STOP"),
        "'STOP' is listed under both 'opt_out' and 'help'",
    ),
    (
        "unknown intent",
        lambda d: d["commands"].update(escalate=["EKSKALASI"]),
        "unknown intent(s) ['escalate']",
    ),
    ("unknown table", lambda d: d.update(extras={}), "unknown table(s) ['extras']"),
    ("missing intent", lambda d: d["whole_message"].pop("opt_out"), "missing 'opt_out'"),
    (
        "two words in one entry",
        lambda d: d["commands"]["new"].append("LAPOR PAK"),
        "'LAPOR PAK' is not one plain word",
    ),
    ("not a list", lambda d: d["confidential"].update(words="RAHASIA"), "must be a list"),
]


@pytest.mark.parametrize(
    ("label", "change", "message"), BAD_FILES, ids=[case[0] for case in BAD_FILES]
)
def test_bad_keyword_files_are_refused(label, change, message):
    tables = _default_tables()
    change(tables)
    with pytest.raises(ValueError) as excinfo:
        build_keywords(tables)
    assert message in str(excinfo.value)


def test_a_word_may_be_alone_one_thing_and_a_command_another(keywords):
    # INFO: help alone, follow-up before an id. CANCEL: opt-out alone, withdraw before an id.
    assert keywords.whole_message["INFO"] is HELP
    assert keywords.commands["INFO"] is FOLLOW_UP
    assert keywords.whole_message["CANCEL"] is OPT_OUT
    assert keywords.commands["CANCEL"] is WITHDRAW


def test_load_keywords_reads_another_file(tmp_path: Path):
    path = tmp_path / "keywords.toml"
    path.write_text(
        """
[whole_message]
opt_out = ["keluar"]
opt_in = ["masuk"]
help = ["tanya"]
[whole_message_suffix]
words = []
[commands]
new = []
status_query = ["lacak"]
follow_up = ["susul"]
withdraw = ["tarik"]
[confidential]
words = ["diam"]
""",
        encoding="utf-8",
    )
    custom = build_keywords(*read_keywords(path))
    assert parse_command("Keluar!", custom).intent is OPT_OUT
    assert parse_command("STOP", custom) == Command(NEW, None, "STOP", False)
    assert parse_command("lacak abcde-12345", custom) == Command(STATUS, ID)
    assert parse_command("diam pungli", custom) == Command(NEW, None, "pungli", True)


def test_keyword_set_is_frozen(keywords):
    with pytest.raises(TypeError):
        keywords.commands["HAPUS"] = WITHDRAW  # type: ignore[index]
