"""Citizens' pages: the complaint form, the thank-you page and the tracking page.

The tracking page also takes the citizen's additional information and their answer to a
resolution, proved by the secret code shown once on the thank-you page; both travel as
follow-up records through submit() like everything else. Without the code it shows status,
unit, dates and category only; with it (``POST /track/<id>/messages``) a web or API citizen
also reads the messages operators wrote to them. Operators' notes are never shown.
"""

from __future__ import annotations

import secrets

from flask import Blueprint, abort, redirect, render_template, request, url_for

from adapters import webform
from adapters.attachments import AttachmentError, Upload, check_uploads
from adapters.registry import sender_for
from casestore.lifecycle import OPEN_STATUSES, Status
from casestore.public_api import CitizenProof, citizen_proof
from casestore.queries import public_case, reporter_messages
from gateway import i18n
from gateway.context import runtime
from gateway.ratelimit import Refusal
from gateway.submission import (
    accept,
    browser_token,
    count_secret_failure,
    intake_rules,
    over_limit,
    same_body_as_before,
    secret_guessing_wait,
)
from normalizer.citizen_secret import hash_citizen_secret, secret_hash_matches
from normalizer.records import Channel
from normalizer.tracking import format_tracking_id, normalize_tracking_id

bp = Blueprint("public", __name__)


def form_choices() -> dict[str, object]:
    """The form's lists: kecamatan, their desa (grouped, for the no-JavaScript select), topics."""
    rules = intake_rules()
    english = i18n.language() == "en"
    desa_by_kecamatan: dict[str, list[tuple[str, str]]] = {code: [] for code in rules.kecamatan}
    for code, (name, parent) in rules.desa.items():
        desa_by_kecamatan.setdefault(parent, []).append((code, name))
    return {
        "kecamatan": list(rules.kecamatan.items()),
        "desa_groups": [
            (code, rules.kecamatan[code], sorted(desa_by_kecamatan[code], key=lambda d: d[1]))
            for code in rules.kecamatan
        ],
        "categories": [
            (c.code, c.name_en if english and c.name_en else c.name)
            for c in rules.categories.values()
        ],
    }


def _form_page(
    values: dict[str, str], errors: dict[str, str], status: int = 200, limited: str = ""
):
    values = dict(values)
    values.setdefault("submission_key", secrets.token_urlsafe(24))
    browser_token()
    page = render_template(
        "form.html",
        values=values,
        errors=errors,
        limited=limited,
        contact_help=contact_help(),
        **form_choices(),
    )
    return page, status


def contact_help() -> str:
    """What the form says happens with the contact given: which channels reach it now."""
    settings = runtime().settings
    email = sender_for(Channel.EMAIL, settings) is not None
    sms = sender_for(Channel.SMS, settings) is not None
    reach = {(True, True): "both", (True, False): "email", (False, True): "sms"}
    return i18n.t(f"form.contact.help.{reach.get((email, sms), 'none')}")


def _limited(refusal: Refusal) -> str:
    """Why the citizen must wait and for how long; what they wrote stays in the form."""
    again = i18n.t("limit.again").format(when=i18n.in_minutes(refusal.retry_after))
    return f"{i18n.t('limit.' + refusal.scope)} {again}"


def _retry_after(page, seconds: int):
    body, status = page
    return body, status, {"Retry-After": str(seconds)}


def files_again(errors: dict[str, str]) -> None:
    """Files cannot be put back into a form: ask for them again when some were sent."""
    if request.files.getlist("attachments") and "attachments" not in errors:
        errors["attachments"] = i18n.t("form.attachments.again")


def form_uploads(errors: dict[str, str]) -> list[Upload]:
    """The ``attachments`` field's files, checked; a refusal goes into ``errors`` by name."""
    try:
        return check_uploads(request.files.getlist("attachments"))
    except AttachmentError as exc:
        errors["attachments"] = i18n.attachment_error(exc)
        return []


@bp.get("/")
def form():
    return _form_page({}, {})


@bp.post("/")
def submit_form():
    fields = request.form.to_dict()
    errors = webform.duplicated_fields(request.form, i18n.language())
    uploads = form_uploads(errors)
    try:
        inbound = webform.parse(fields, intake_rules(), language=i18n.language())
    except webform.FormErrors as exc:
        errors = exc.fields | errors
    if errors:
        files_again(errors)
        return _form_page(fields, errors, 422)
    sent = webform.submission_fingerprint(fields, [u.data for u in uploads])
    if not same_body_as_before(inbound, sent):
        # The key came before with other words: shown again with a fresh key, to send anew.
        again = {k: v for k, v in fields.items() if k != "submission_key"}
        reused = webform.message("submission_key", "reused", i18n.language())
        return _form_page(again, {"submission_key": reused}, 422)
    refusal = over_limit(inbound, browser=browser_token())
    if refusal is not None:
        files_again(errors)
        page = _form_page(fields, errors, 429, limited=_limited(refusal))
        return _retry_after(page, refusal.retry_after)
    accepted = accept(inbound, uploads=uploads)
    return render_template(
        "done.html",
        tracking_id=accepted.tracking_id,
        shown=format_tracking_id(accepted.tracking_id),
        citizen_secret=accepted.citizen_secret,
        updates=accepted.updates,
    ), 201


@bp.get("/track")
def track_lookup():
    given = request.args.get("id", "")
    canonical = normalize_tracking_id(given)
    if canonical is None:
        abort(404)
    return redirect(url_for("public.track", tracking_id=canonical))


def _track_page(
    canonical: str,
    values: dict[str, str],
    errors: dict[str, str],
    status: int,
    *,
    proved: bool = False,
):
    """The tracking page; ``proved``: the secret code was just shown, so add the messages."""
    with runtime().sessions() as session:
        case = public_case(session, canonical)
        proof = citizen_proof(session, canonical)
        messages = reporter_messages(session, canonical) if proved else None
    if case is None or proof is None:
        abort(404)
    values = dict(values)
    values.setdefault("submission_key", secrets.token_urlsafe(24))
    browser_token()
    category = intake_rules().categories.get(case.category or "")
    english = i18n.language() == "en"
    page = render_template(
        "track.html",
        case=case,
        category_name=(category.name_en if english and category.name_en else category.name)
        if category
        else None,
        shown=format_tracking_id(canonical),
        can_add=case.status in OPEN_STATUSES and proof.secret_hash is not None,
        can_answer=case.status == Status.RESOLVED,
        answer_until=proof.due_at if case.status == Status.RESOLVED else None,
        can_read=proof.secret_hash is not None,
        messages=messages,
        values=values,
        errors=errors,
    )
    return page, status


@bp.get("/track/<tracking_id>")
def track(tracking_id: str):
    canonical = normalize_tracking_id(tracking_id)
    if canonical is None:
        abort(404)
    if canonical != tracking_id:
        return redirect(url_for("public.track", tracking_id=canonical), 301)
    return _track_page(canonical, {}, {}, 200)


@bp.post("/track/<tracking_id>/messages")
def track_messages(tracking_id: str):
    """The tracking page with the messages to the reporter, for the citizen holding the code."""
    canonical = normalize_tracking_id(tracking_id)
    if canonical is None or canonical != tracking_id:
        abort(404)
    wait = secret_guessing_wait(canonical)
    if wait:
        message = i18n.t("limit.secret").format(when=i18n.in_minutes(wait))
        return _retry_after(_track_page(canonical, {}, {"read_code": message}, 429), wait)
    _, matches = _prove(canonical, hash_citizen_secret(request.form.get("code", "")))
    if not matches:
        return _track_page(canonical, {}, {"read_code": i18n.t("track.code.wrong")}, 403)
    return _track_page(canonical, {}, {}, 200, proved=True)


def _prove(canonical: str, given_hash: str | None) -> tuple[CitizenProof, bool]:
    """The case's proof (404 when the id is unknown) and whether the code matches it; a wrong
    code counts towards the guessing block."""
    with runtime().sessions() as session:
        proof = citizen_proof(session, canonical)
    if proof is None:
        abort(404)
    matches = secret_hash_matches(given_hash, proof.secret_hash)
    if not matches:
        count_secret_failure(canonical)
    return proof, matches


@bp.post("/track/<tracking_id>")
def track_reply(tracking_id: str):
    """Additional information or an answer to a resolution, from the complaint's citizen."""
    canonical = normalize_tracking_id(tracking_id)
    if canonical is None or canonical != tracking_id:
        abort(404)
    fields = request.form.to_dict()
    errors = webform.duplicated_fields(request.form, i18n.language())
    uploads = form_uploads(errors)
    try:
        follow_up = webform.parse_follow_up(
            fields, canonical, intake_rules(), language=i18n.language()
        )
    except webform.FormErrors as exc:
        return _track_page(canonical, fields, exc.fields | errors, 422)
    if errors:
        return _track_page(canonical, fields, errors, 422)
    wait = secret_guessing_wait(canonical)
    if wait:
        errors["code"] = i18n.t("limit.secret").format(when=i18n.in_minutes(wait))
        return _retry_after(_track_page(canonical, fields, errors, 429), wait)
    proof, matches = _prove(canonical, follow_up.secret_hash)
    if not matches:
        errors["code"] = i18n.t("track.code.wrong")
        return _track_page(canonical, fields, errors, 403)
    if proof.status not in OPEN_STATUSES:
        errors["text"] = i18n.t("track.closed")
        return _track_page(canonical, fields, errors, 409)
    sent = webform.submission_fingerprint(fields, [u.data for u in uploads])
    if not same_body_as_before(follow_up.inbound, sent):
        # As on the form: the key came with other words; shown again with a fresh key.
        again = {k: v for k, v in fields.items() if k != "submission_key"}
        reused = webform.message("submission_key", "reused", i18n.language())
        return _track_page(canonical, again, {"text": reused}, 422)
    refusal = over_limit(follow_up.inbound, browser=browser_token())
    if refusal is not None:
        files_again(errors)
        errors["text"] = _limited(refusal)
        return _retry_after(_track_page(canonical, fields, errors, 429), refusal.retry_after)
    accept(follow_up.inbound, uploads=uploads)
    return render_template(
        "track_sent.html",
        tracking_id=canonical,
        shown=format_tracking_id(canonical),
        answered=bool(fields.get("answer")),
    ), 202
