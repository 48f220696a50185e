"""Citizens' pages: the complaint form, the thank-you page and the tracking page.

The tracking page also takes the citizen's additional information and their answer to a
resolution, proved by the secret code shown once on the thank-you page; both travel as
follow-up records through submit() like everything else.
"""

from __future__ import annotations

import secrets

from flask import Blueprint, abort, redirect, render_template, request, url_for

from adapters import webform
from adapters.attachments import AttachmentError, Upload, check_uploads
from casestore.lifecycle import OPEN_STATUSES, Status
from casestore.public_api import citizen_proof
from casestore.queries import public_case
from gateway import i18n
from gateway.context import runtime
from gateway.submission import (
    accept,
    count_secret_failure,
    intake_rules,
    same_body_as_before,
    secret_guessing_blocked,
    within_limit,
)
from normalizer.citizen_secret import secret_hash_matches
from normalizer.tracking import format_tracking_id, normalize_tracking_id

bp = Blueprint("public", __name__)


def _choices() -> dict[str, object]:
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


def _form_page(values: dict[str, str], errors: dict[str, str], status: int = 200):
    values = dict(values)
    values.setdefault("submission_key", secrets.token_urlsafe(24))
    page = render_template("form.html", values=values, errors=errors, **_choices())
    return page, status


def _uploads(errors: dict[str, str]) -> list[Upload]:
    try:
        return check_uploads(request.files.getlist("attachments"))
    except AttachmentError as exc:
        errors["attachments"] = i18n.attachment_error(exc)
        return []


def _too_many():
    return render_template(
        "error.html", code=429, title=i18n.t("error.429.title"), message=i18n.t("error.429.body")
    ), 429


@bp.get("/")
def form():
    return _form_page({}, {})


@bp.post("/")
def submit_form():
    fields = request.form.to_dict()
    errors = webform.duplicated_fields(request.form, i18n.language())
    uploads = _uploads(errors)
    try:
        inbound = webform.parse(fields, intake_rules(), language=i18n.language())
    except webform.FormErrors as exc:
        errors = exc.fields | errors
    if errors:
        if request.files.getlist("attachments") and "attachments" not in errors:
            errors["attachments"] = i18n.t("form.attachments.again")
        return _form_page(fields, errors, 422)
    sent = webform.submission_fingerprint(fields, [u.data for u in uploads])
    if not same_body_as_before(inbound, sent):
        # The key came before with other words: shown again with a fresh key, to send anew.
        again = {k: v for k, v in fields.items() if k != "submission_key"}
        reused = webform.message("submission_key", "reused", i18n.language())
        return _form_page(again, {"submission_key": reused}, 422)
    if not within_limit(inbound.external_id):
        return _too_many()
    accepted = accept(inbound, uploads=uploads)
    return render_template(
        "done.html",
        tracking_id=accepted.tracking_id,
        shown=format_tracking_id(accepted.tracking_id),
        citizen_secret=accepted.citizen_secret,
    ), 201


@bp.get("/track")
def track_lookup():
    given = request.args.get("id", "")
    canonical = normalize_tracking_id(given)
    if canonical is None:
        abort(404)
    return redirect(url_for("public.track", tracking_id=canonical))


def _track_page(canonical: str, values: dict[str, str], errors: dict[str, str], status: int):
    with runtime().sessions() as session:
        case = public_case(session, canonical)
        proof = citizen_proof(session, canonical)
    if case is None or proof is None:
        abort(404)
    values = dict(values)
    values.setdefault("submission_key", secrets.token_urlsafe(24))
    page = render_template(
        "track.html",
        case=case,
        shown=format_tracking_id(canonical),
        can_add=case.status in OPEN_STATUSES and proof.secret_hash is not None,
        can_answer=case.status == Status.RESOLVED,
        answer_until=proof.due_at if case.status == Status.RESOLVED else None,
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


@bp.post("/track/<tracking_id>")
def track_reply(tracking_id: str):
    """Additional information or an answer to a resolution, from the complaint's citizen."""
    canonical = normalize_tracking_id(tracking_id)
    if canonical is None or canonical != tracking_id:
        abort(404)
    fields = request.form.to_dict()
    errors = webform.duplicated_fields(request.form, i18n.language())
    uploads = _uploads(errors)
    try:
        follow_up = webform.parse_follow_up(
            fields, canonical, intake_rules(), language=i18n.language()
        )
    except webform.FormErrors as exc:
        return _track_page(canonical, fields, exc.fields | errors, 422)
    if errors:
        return _track_page(canonical, fields, errors, 422)
    if secret_guessing_blocked():
        return _too_many()
    with runtime().sessions() as session:
        proof = citizen_proof(session, canonical)
    if proof is None:
        abort(404)
    if not secret_hash_matches(follow_up.secret_hash, proof.secret_hash):
        count_secret_failure()
        errors["code"] = i18n.t("track.code.wrong")
        return _track_page(canonical, fields, errors, 403)
    if proof.status not in OPEN_STATUSES:
        errors["text"] = i18n.t("track.closed")
        return _track_page(canonical, fields, errors, 409)
    if not within_limit(follow_up.inbound.external_id):
        return _too_many()
    accept(follow_up.inbound, uploads=uploads)
    return render_template(
        "track_sent.html",
        tracking_id=canonical,
        shown=format_tracking_id(canonical),
        answered=bool(fields.get("answer")),
    ), 202
