"""The citizen's rating on the tracking page (issue 20): a web or API citizen proves the case
with its secret code and rates the resolution 1 to 5, with an optional comment, once, within
the answer window. SMS and WhatsApp citizens rate by reply (dispatcher/rating.py).

The form is a block of the tracking page (templates/track_rating.html); this module answers
it with its own page (templates/track_rating_page.html): thanks, or the form again with the
field that was wrong. A wrong code counts towards the same guessing block as the page's
other forms. The comment is the citizen's words: operators read it, no public page does.
"""

from __future__ import annotations

from flask import abort, render_template, request

from casestore.accountability import (
    LOW_SCORES,
    MAX_COMMENT_CHARS,
    RatingError,
    can_rate,
    record_rating,
)
from casestore.complaints import complaint_by_tracking_id
from casestore.models import utcnow
from gateway import i18n
from gateway.context import runtime
from gateway.public.pages import bp
from gateway.submission import browser_token, count_secret_failure, secret_guessing_wait
from normalizer.citizen_secret import hash_citizen_secret, secret_hash_matches
from normalizer.tracking import format_tracking_id, normalize_tracking_id

FIELDS = ("code", "score", "comment", "csrf_token")


def _page(tracking_id: str, values: dict[str, str], errors: dict[str, str], status: int, **kw):
    browser_token()
    body = render_template(
        "track_rating_page.html",
        tracking_id=tracking_id,
        shown=format_tracking_id(tracking_id),
        values=values,
        errors=errors,
        max_comment=MAX_COMMENT_CHARS,
        **kw,
    )
    return body, status


def _field_errors(form) -> dict[str, str]:
    """Each field once, a score of 1 to 5, a comment that fits; named by field."""
    errors = {}
    for name in form:
        if len(form.getlist(name)) > 1:
            errors[name] = i18n.t("rating.error.duplicated")
    score = form.get("score", "").strip()
    if score not in ("1", "2", "3", "4", "5"):
        errors["score"] = i18n.t("rating.error.score")
    if len(form.get("comment", "")) > MAX_COMMENT_CHARS:
        errors["comment"] = i18n.t("rating.error.comment").format(n=MAX_COMMENT_CHARS)
    if not form.get("code", "").strip():
        errors["code"] = i18n.t("rating.error.code")
    return errors


@bp.post("/track/<tracking_id>/rating")
def track_rating(tracking_id: str):
    canonical = normalize_tracking_id(tracking_id)
    if canonical is None or canonical != tracking_id:
        abort(404)
    values = {k: request.form.get(k, "") for k in ("score", "comment")}
    errors = _field_errors(request.form)
    if errors:
        return _page(canonical, values, errors, 422)
    wait = secret_guessing_wait(canonical)
    if wait:
        errors["code"] = i18n.t("limit.secret").format(when=i18n.in_minutes(wait))
        page, status = _page(canonical, values, errors, 429)
        return page, status, {"Retry-After": str(wait)}
    now, score = utcnow(), int(request.form["score"])
    with runtime().sessions.begin() as session:
        complaint = complaint_by_tracking_id(session, canonical)
        if complaint is None:
            abort(404)
        if not secret_hash_matches(
            hash_citizen_secret(request.form["code"]), complaint.citizen_secret_hash
        ):
            count_secret_failure(canonical)
            return _page(canonical, values, {"code": i18n.t("track.code.wrong")}, 403)
        if not can_rate(session, complaint, now):
            return _page(canonical, values, {"score": i18n.t("rating.error.closed")}, 409)
        try:
            record_rating(
                session,
                complaint,
                score,
                comment=request.form.get("comment", ""),
                channel=complaint.channel,
                now=now,
            )
        except RatingError:
            return _page(canonical, values, {"score": i18n.t("rating.error.closed")}, 409)
    return _page(canonical, {}, {}, 200, rated=score, low=score in LOW_SCORES)
