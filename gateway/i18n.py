"""Interface text in Bahasa Indonesia first, English second; ?lang=en switches per session.

The words are gettext catalogs (config/data/translations/<lang>/LC_MESSAGES/messages.po, read
by config/catalogs.py); Flask-Babel picks the request's locale from ``language()`` and gives
templates ``_()``. ``t(key)`` is the same lookup for Python code. Dates and numbers are
written by Babel in the page's language and the district's zone (SATUPINTU_TIMEZONE).
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import flask_babel
from babel.dates import format_date, format_datetime
from babel.numbers import format_decimal
from flask import Flask, g, request, session

from config import catalogs
from gateway.extensions import babel
from normalizer.replies import render_reply

LANGUAGES = catalogs.LANGUAGES
# Day, short month, year, hour:minute: "17 Agu 2026 10:05" / "17 Aug 2026 10:05", then the
# zone's own abbreviation (WIB), which CLDR writes only for Indonesian.
TIME_PATTERN = "d MMM y HH:mm"


def language() -> str:
    """The request's language: ``id`` unless the visitor chose English (?lang=en)."""
    return getattr(g, "lang", catalogs.SOURCE_LANGUAGE)


def t(key: str) -> str:
    """The text of ``key`` in the request's language (Bahasa Indonesia when it has none)."""
    return catalogs.text(key, language())


def known(key: str) -> bool:
    """Whether the catalogs have ``key`` (for labels tried under several keys)."""
    return catalogs.has(key)


def number(value: float | int) -> str:
    """A number as the page's language writes it: 1.234 in Indonesian, 1,234 in English."""
    return format_decimal(value, locale=language())


def in_minutes(seconds: int) -> str:
    """A wait as people say it: whole minutes, at least one."""
    minutes = max(1, -(-seconds // 60))
    if minutes == 1:
        return t("limit.minute")
    return t("limit.minutes").format(minutes=number(minutes))


def attachment_error(error: Exception) -> str:
    """An AttachmentError in the page's language."""
    code, name = getattr(error, "code", ""), getattr(error, "filename", "")
    return t(f"attachments.{code}").format(name=name)


def status_label(status: str) -> str:
    """The LAPOR! label of a status, from the same reply book the SMS replies use."""
    from gateway.context import runtime

    try:
        return render_reply(runtime().replies, f"status.{status}", language())
    except KeyError:
        return status


def init_app(app: Flask) -> None:
    """Flask-Babel on the app, the language chosen per request, and the template helpers."""
    for lang in LANGUAGES:  # compiled now, so a broken .po stops the start, not a request
        catalogs.translations(lang)

    @app.before_request
    def pick_language() -> None:
        asked = request.args.get("lang")
        if asked in LANGUAGES:
            session["lang"] = asked
        g.lang = session.get("lang", catalogs.SOURCE_LANGUAGE)

    babel.init_app(
        app,
        default_locale=catalogs.SOURCE_LANGUAGE,
        locale_selector=language,
        timezone_selector=_zone_name,
    )
    # Old-style gettext: _("key") is the plain text, escaped like any value; a text with
    # placeholders is filled with .format(), as in Python (newstyle would %-format and mark
    # every translation safe HTML).
    app.jinja_env.install_gettext_callables(
        gettext=flask_babel.gettext, ngettext=flask_babel.ngettext, newstyle=False
    )
    app.jinja_env.globals.update(t=t, status_label=status_label, language=language)
    app.jinja_env.filters.update(local_time=local_time, local_date=local_date, number=number)


def _zone() -> ZoneInfo:
    from gateway.context import runtime

    return ZoneInfo(runtime().settings.timezone)


def _zone_name() -> str:
    return _zone().key


def local_time(value: datetime | None) -> str:
    """A UTC time as people read it: local zone (WIB for Aceh), day month year hour:minute."""
    if value is None:
        return ""
    local = value.astimezone(_zone())
    written = format_datetime(local, TIME_PATTERN, tzinfo=local.tzinfo, locale=language())
    return f"{written} {local.tzname()}"


def local_date(value: datetime | None) -> str:
    """A UTC time's local day, written out: "17 Agustus 2026" / "August 17, 2026"."""
    if value is None:
        return ""
    return format_date(value.astimezone(_zone()), "long", locale=language())
