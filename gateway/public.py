"""Citizens' pages: the complaint form, the thank-you page and the tracking page."""

from __future__ import annotations

import secrets

from flask import Blueprint, abort, redirect, render_template, request, url_for

from adapters import webform
from casestore.queries import public_case
from dispatcher.submit import submit
from gateway.context import runtime
from normalizer import normalize
from normalizer.tracking import format_tracking_id, normalize_tracking_id

bp = Blueprint("public", __name__)


def _kecamatan_choices() -> list[tuple[str, str]]:
    return [(p.code, p.name) for p in runtime().places if p.level == 3]


def _form_page(values: dict[str, str], errors: dict[str, str], status: int = 200):
    values = dict(values)
    values.setdefault("submission_key", secrets.token_urlsafe(24))
    return (
        render_template("form.html", values=values, errors=errors, kecamatan=_kecamatan_choices()),
        status,
    )


@bp.get("/")
def form():
    return _form_page({}, {})


@bp.post("/")
def submit_form():
    rt = runtime()
    fields = request.form.to_dict()
    try:
        inbound = webform.parse(
            fields,
            kecamatan_codes={code for code, _ in _kecamatan_choices()},
            max_description_chars=rt.settings.max_description_chars,
            region=rt.settings.default_region,
        )
    except webform.FormErrors as exc:
        return _form_page(fields, exc.fields, 422)
    record = normalize(inbound, rt.rules)
    submit(record, rt.redis, rt.spool)
    shown = format_tracking_id(record.tracking_id)
    return render_template("done.html", tracking_id=record.tracking_id, shown=shown), 201


@bp.get("/track")
def track_lookup():
    given = request.args.get("id", "")
    canonical = normalize_tracking_id(given)
    if canonical is None:
        abort(404)
    return redirect(url_for("public.track", tracking_id=canonical))


@bp.get("/track/<tracking_id>")
def track(tracking_id: str):
    canonical = normalize_tracking_id(tracking_id)
    if canonical is None:
        abort(404)
    if canonical != tracking_id:
        return redirect(url_for("public.track", tracking_id=canonical), 301)
    with runtime().sessions() as session:
        case = public_case(session, canonical)
    if case is None:
        abort(404)
    return render_template("track.html", case=case, shown=format_tracking_id(canonical))
