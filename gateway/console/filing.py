"""/console/desk: assisted filing (issue 19). An operator files a complaint received at the
desk (loket), by phone (telepon) or by letter (surat) on the citizen's behalf, and prints the
receipt with the tracking id and secret code to hand over.

The form has the web form's fields and checks (adapters/desk/ reuses adapters/webform/), plus
how it came in; a letter's scan is an attachment (adapters/attachments.py: type and size
limits). The record takes the path every channel takes (normalizer -> submit -> the store
job), keyed on the form's one-time key, so a double submit is one case with one receipt.

Who may file: the coordinator and every unit's admin (a camat's office is the district's
front desk). A unit admin's filing is routed like any other case, not kept by their unit: a
walk-in at the kecamatan office is as often about a road, a school or a clinic (agencies'
work) as about the office's own, and keeping it would make the office the owner of cases it
must bounce, the "bukan wewenang" the one door exists to avoid. Their kecamatan is filled in
as the place to start with; routing sends the office's own matters back to it anyway.
"""

from __future__ import annotations

import dataclasses
import secrets

from flask import Blueprint, render_template, request
from markupsafe import Markup, escape

from adapters import desk, webform
from casestore.audit import AuditKind
from config import catalogs
from gateway import i18n
from gateway.console import trail
from gateway.console.auth import operator
from gateway.context import runtime
from gateway.public.pages import contact_help, files_again, form_choices, form_uploads
from gateway.submission import accept, intake_rules, same_body_as_before
from normalizer.records import Channel
from normalizer.tracking import format_tracking_id

bp = Blueprint("desk", __name__, url_prefix="/desk")

# The receipt's words, each printed in Bahasa Indonesia and then in English (the citizen
# takes it home; whoever reads it for them may read either).
RECEIPT_KEYS = tuple(
    f"console.receipt.{part}"
    for part in (
        "title",
        "office",
        "received",
        "channel",
        "tracking_id",
        "secret",
        "secret_help",
        "privacy",
        "updates",
        "no_updates",
        "track",
        "entered_by",
    )
)


def both(key: str) -> Markup:
    """A receipt line in Bahasa Indonesia, then English (marked as such for screen readers)."""
    first = escape(catalogs.text(key, "id"))
    second = escape(catalogs.text(key, "en"))
    return Markup(f'{first} <span class="en" lang="en">/ {second}</span>')  # noqa: S704 (escaped)


def _office() -> tuple[str, str | None]:
    """The filing operator's office name and, for a kecamatan office, its kecamatan code."""
    me = operator()
    units = {u.code: u for u in runtime().units}
    unit = units.get(me.unit_code or runtime().coordinator)
    if unit is None:
        return "", None
    return unit.name, unit.kecamatan_code if unit.kind == "kecamatan" else None


def _form_page(values: dict[str, str], errors: dict[str, str], status: int = 200):
    values = dict(values)
    values.setdefault("submission_key", secrets.token_urlsafe(24))
    return render_template(
        "console/desk_form.html",
        values=values,
        errors=errors,
        channels=tuple(desk.CHANNELS),
        contact_help=contact_help(),
        **form_choices(),
    ), status


@bp.get("")
def filing_form():
    _, kecamatan = _office()
    return _form_page({"kecamatan": kecamatan} if kecamatan else {}, {})


@bp.post("")
def file_complaint():
    me = operator()
    fields = request.form.to_dict()
    lang = i18n.language()
    errors = webform.duplicated_fields(request.form, lang)
    uploads = form_uploads(errors)
    try:
        inbound = desk.parse(fields, intake_rules(), operator=me.username, language=lang)
    except webform.FormErrors as exc:
        errors = exc.fields | errors
    if errors:
        files_again(errors)
        return _form_page(fields, errors, 422)
    sent = webform.submission_fingerprint(fields, [u.data for u in uploads])
    # Keyed on the form's key whatever channel was ticked: sent again with another channel
    # (or other words) it is another submission, refused rather than a second case.
    if not same_body_as_before(dataclasses.replace(inbound, channel=Channel.LOKET), sent):
        again = {k: v for k, v in fields.items() if k != "submission_key"}
        reused = webform.message("submission_key", "reused", lang)
        return _form_page(again, {"submission_key": reused}, 422)
    accepted = accept(inbound, uploads=uploads)
    if not accepted.repeated:
        with runtime().sessions.begin() as db:
            trail.note(
                db,
                AuditKind.CASE_FILED,
                target=accepted.tracking_id,
                detail={"channel": inbound.channel.value, "files": len(uploads)},
            )
    office, _ = _office()
    base = runtime().settings.public_url or request.host_url.rstrip("/")
    return render_template(
        "console/desk_receipt.html",
        tracking_id=accepted.tracking_id,
        shown=format_tracking_id(accepted.tracking_id),
        citizen_secret=accepted.citizen_secret,
        channel=inbound.channel.value,
        received_at=inbound.received_at,
        privacy=inbound.declared.get("privacy", "public"),
        update_address=inbound.sender,
        office=office,
        entered_by=me.display_name or me.username,
        track_url=f"{base}/track/{accepted.tracking_id}",
        both=both,
    ), 201
