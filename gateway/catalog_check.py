"""The catalogs' completeness check, run by a test and by `satupintu translations check`.

Every key the code and templates use is in both languages, none is empty or fuzzy,
placeholders are the same in both, and no entry is unused. Keys built at run time come from
the values they are built of (``dynamic_keys``), so this module reads the console's code;
nothing the app runs imports it.
"""

from __future__ import annotations

import contextlib
import io
from collections.abc import Iterable, Iterator
from pathlib import Path

from babel.messages.extract import extract_from_dir

from config import catalogs

ROOT = Path(__file__).resolve().parents[1]
# Where keys are looked up by name: the gateway's Python and its Jinja templates (babel.cfg
# says the same to `pybabel extract`). t() and _() take a key as their first argument.
METHOD_MAP = [("**/templates/**.html", "jinja2"), ("**.py", "python")]
KEYWORDS = {"t": None, "_": None, "gettext": None, "known": None}


def dynamic_keys() -> frozenset[str]:
    """Keys built at run time ("console.privacy." ~ code), from the values they are built of."""
    from casestore import reasons
    from casestore.alerts import ALERT_KINDS
    from casestore.audit import AuditKind
    from casestore.refusals import FIELD_PREFIX, PREFIX, Refusal
    from casestore.vocabulary import PRIVACY_LEVELS, Action, DownloadState, EventKind
    from dispatcher.delivery import WINDOW_CLOSED
    from gateway.console.actions import COORDINATOR_EXTRAS, DANGER
    from gateway.console.case_filters import SORTS
    from gateway.console.export import COLUMNS, IDENTITY_COLUMNS
    from gateway.ops.refusals import REASONS, WEBHOOK_403
    from normalizer.records import Channel
    from normalizer.triage import JunkKind, Kind

    keys = {f"form.privacy.{c}" for c in ("biasa", "anonim", "rahasia")}
    keys |= {f"form.privacy.{c}.help" for c in ("biasa", "anonim", "rahasia")}
    keys |= {"track.due.resolved", "track.answer.selesai", "track.answer.belum"}
    keys.add("track.due.waiting_reporter")  # waiting for the reporter (issue 20)
    keys |= {f"limit.{scope}" for scope in ("citizen", "browser", "text")}
    keys |= {f"attachments.{c}" for c in ("too_many", "empty", "too_large", "not_allowed")}
    keys |= {f"console.field.{n}" for n in ("status", "channel", "unit", "category", "kecamatan")}
    keys |= {f"console.privacy.{level}" for level in PRIVACY_LEVELS}
    keys |= {f"console.role.{role}" for role in ("coordinator", "unit")}
    keys |= {f"console.deadline.{state}" for state in ("overdue", "near")}
    keys |= {f"console.citizen.phone_code.{state}" for state in ("confirmed", "waiting", "expired")}
    keys |= {f"console.time.{unit}" for unit in ("s", "m", "h", "d")}
    keys |= {f"console.monitor.reason.{r}" for r in (*REASONS.values(), WEBHOOK_403)}
    keys |= {"console.monitor.done", "console.monitor.gone"}
    keys |= {f"console.action.{action.value}" for action in Action}
    keys |= {f"console.action.{extra}" for extra in COORDINATOR_EXTRAS}
    keys |= {f"console.action.{action.value}_confirm" for action in DANGER}
    keys |= {f"console.event.{kind.value}" for kind in EventKind}
    keys |= {PREFIX + code.value for code in Refusal if code is not Refusal.REFUSED}
    keys |= {f"reason.{a.value}.{code}" for a, codes in reasons.CODES.items() for code in codes}
    keys |= {FIELD_PREFIX + name for name in ("note", "message", "reason", "unit", "master")}
    keys.add(FIELD_PREFIX + "privacy")
    keys.add("federation.resolved")  # dispatcher/federation/jobs.py, outside the extraction
    keys |= {f"console.case.media.{state.value}" for state in DownloadState}
    keys.add(f"console.case.unsendable.{WINDOW_CLOSED}")
    # The triage queue names what a held message was taken for (gateway/console/triage.py).
    kinds = {k.value for k in JunkKind} | {Kind.COMPLAINT.value, Kind.UNCERTAIN.value}
    keys |= {f"console.triage.kind.{kind}" for kind in kinds}
    # The operators' day (gateway/console/: accounts, audit, bulk, export, the list's sorts).
    keys |= {f"console.accounts.{w}" for w in ("enabled", "disabled")}
    keys |= {f"console.accounts.confirm_{w}" for w in ("enable", "disable")}
    keys |= {f"console.audit.kind.{kind}" for kind in AuditKind.ALL}
    keys |= {f"console.bulk.{name}" for name in ("verify", "dispatch", "reject_spam", "archive")}
    keys |= {f"console.cases.received_{end}" for end in ("from", "to")}
    keys |= {f"console.export.col.{name}" for name in (*COLUMNS, *IDENTITY_COLUMNS)}
    keys |= {f"console.sort.{name}" for name in SORTS}
    keys.add("console.field.activity")
    keys |= {f"console.channel.{channel.value}" for channel in Channel}
    # Reason codes shown as words: routing's, the holds', and the actions' reasons.
    route_reasons = ("ambiguous_category", "ambiguous_location", "category_default")
    route_reasons += ("kecamatan_office", "no_category", "no_rule", "rule", "unknown_unit")
    codes = {code for codes in reasons.CODES.values() for code in codes} | set(route_reasons)
    keys |= {f"console.reason.{code}" for code in codes}
    # Updates and alerts (issue 18): the form's promise, the alert settings, a unit's day.
    keys |= {f"form.contact.help.{reach}" for reach in ("both", "email", "sms", "none")}
    keys |= {f"console.notices.kind.{kind}" for kind in ALERT_KINDS}
    keys |= {f"console.notices.delivery.{way}" for way in ("digest", "immediate")}
    keys |= {f"console.notices.invalid.{name}" for name in ("delivery", "email", "phone")}
    keys.add("console.notices.invalid.phone_alerts")
    keys |= {f"console.notices.phone_alerts.{way}" for way in ("off", "sms", "whatsapp")}
    keys |= {f"console.today.{part}" for part in ("new", "overdue", "unread")}
    # Where a new case's typed contact hears of it (thank-you page, Open311's notice).
    from dispatcher.address_replies import UPDATES_EMAIL, UPDATES_PAGE, UPDATES_SMS_AFTER_CODE

    keys |= {f"done.updates.{w}" for w in (UPDATES_EMAIL, UPDATES_SMS_AFTER_CODE, UPDATES_PAGE)}
    # Accountability (issue 20): the scoreboard's groups and the 1-5 rating's words.
    groups = ("kecamatan", "category", "channel")
    keys |= {f"stat.{group}" for group in groups} | {f"stat.col.{group}" for group in groups}
    keys |= {f"rating.{score}" for score in range(1, 6)}
    # Assisted filing (issue 19): the receipt prints each line in both languages.
    from gateway.console.filing import RECEIPT_KEYS

    keys |= set(RECEIPT_KEYS)
    return frozenset(keys)


def used_keys(root: Path = ROOT) -> dict[str, str]:
    """Every literal key the gateway looks up, with one place it is used."""
    found: dict[str, str] = {}
    # Babel notes each f-string key on stderr; those are the dynamic_keys() families.
    with contextlib.redirect_stderr(io.StringIO()):
        extracted = list(
            extract_from_dir(root / "gateway", METHOD_MAP, keywords=KEYWORDS, comment_tags=())
        )
    for filename, lineno, message, _comments, _context in extracted:
        key = message[0] if isinstance(message, tuple) else message
        if key:
            found.setdefault(key, f"gateway/{filename}:{lineno}")
    return found


def problems(root: Path = ROOT) -> list[str]:
    """What is wrong with the catalogs, one line each; empty when they are complete."""
    found = list(_each_catalog_problem())
    known = catalogs.entries(catalogs.SOURCE_LANGUAGE, "messages")
    used = used_keys(root)
    expected = set(used) | dynamic_keys()
    for key in sorted(expected - set(known)):
        found.append(f"messages: {key!r} ({used.get(key, 'built at run time')}) is in no catalog")
    for key in sorted(set(known) - expected):
        found.append(f"messages: {key!r} is used nowhere; remove it from both .po files")
    found.extend(_reply_problems())
    return found


def _each_catalog_problem() -> Iterator[str]:
    for domain in catalogs.DOMAINS:
        written = {lang: catalogs.read_catalog(lang, domain) for lang in catalogs.LANGUAGES}
        for lang, catalog in written.items():
            where = _shown(catalogs.po_path(lang, domain))
            for message in catalog:
                if not message.id:
                    continue
                if message.fuzzy:
                    yield f"{where}: {message.id!r} is fuzzy (check it, then drop the flag)"
                if not message.string:
                    yield f"{where}: {message.id!r} has no translation"
            yield from _unflagged(catalogs.po_path(lang, domain))
        source, *others = catalogs.LANGUAGES
        reference = catalogs.entries(source, domain)
        for lang in others:
            theirs = catalogs.entries(lang, domain)
            yield from _compare(domain, source, reference, lang, theirs)


def _unflagged(path: Path) -> Iterator[str]:
    """Entries with placeholders but no python-brace-format flag (Poedit and Weblate check
    placeholders by that flag; Babel drops it when reading a key msgid, so read the text)."""
    for block in path.read_text(encoding="utf-8").split("\n\n"):
        lines = block.strip().splitlines()
        msgid = next((line for line in lines if line.startswith("msgid ")), None)
        if msgid is None or msgid == 'msgid ""':  # the header
            continue
        strings = "".join(line for line in lines if not line.startswith(("#", "msgid ")))
        if catalogs.placeholders(strings) and not any(
            line.startswith("#,") and "python-brace-format" in line for line in lines
        ):
            yield f"{_shown(path)}: {msgid[6:]} has placeholders but no python-brace-format flag"


def _shown(path: Path) -> str:
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)


def _compare(
    domain: str, source: str, reference: dict[str, str], lang: str, theirs: dict[str, str]
) -> Iterable[str]:
    for key in sorted(set(reference) - set(theirs)):
        yield f"{domain}: {key!r} is missing in {lang}"
    for key in sorted(set(theirs) - set(reference)):
        yield f"{domain}: {key!r} is in {lang} but not in {source}"
    for key in sorted(set(reference) & set(theirs)):
        mine, other = catalogs.placeholders(reference[key]), catalogs.placeholders(theirs[key])
        if mine != other:
            yield f"{domain}: {key!r} uses {sorted(other)} in {lang}, {sorted(mine)} in {source}"


def _reply_problems() -> Iterator[str]:
    from casestore.vocabulary import Status
    from config.texts import read_replies
    from normalizer.replies import build_replies

    try:
        book = build_replies(*read_replies())  # GSM-7, placeholders, an id text for each
    except ValueError as exc:
        yield f"replies: {exc}"
        return
    for status in Status:
        for lang in catalogs.LANGUAGES:
            if f"status.{status.value}" not in book.texts.get(lang, {}):
                yield f"replies: status.{status.value} has no {lang} label"
