"""/console/cases: the case list, one case's page, its attachments and the actions on it.

A unit operator's queries are scoped to their unit (casestore.casework), so another unit's
case answers 404 on every URL, the actions and attachments included. Anonymous complaints
show the citizen's name and contact to the coordinator only.
"""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import urlencode

from flask import Blueprint, abort, render_template, request, send_file

from adapters import attachments as files
from casestore import attachments as stored_attachments
from casestore import forwards
from casestore.audit import AuditKind
from casestore.casework import PER_PAGE_CHOICES, SORTS, case_file, deadline_state, search_cases
from casestore.confirmations import confirmation_of
from casestore.lifecycle import ARCHIVE_REASONS
from casestore.notices import mark_read, unread_for_unit, unread_ids
from gateway.console import trail
from gateway.console.actions import action_forms, perform, splittable, suggested_links
from gateway.console.auth import operator
from gateway.console.case_filters import choices as _choices
from gateway.console.case_filters import desa_names, per_page, read_filters
from gateway.console.case_filters import kept as kept_filters
from gateway.console.scope import load_case, scope
from gateway.context import runtime

bp = Blueprint("cases", __name__, url_prefix="/cases")


def now() -> datetime:
    return datetime.now(UTC)


def _page_number(raw: str | None) -> int:
    try:
        return max(1, int(raw or 1))
    except ValueError:
        return 1


@bp.get("")
def case_list():
    choices = _choices()
    filters = read_filters(request.args, choices)
    moment = now()
    with runtime().sessions() as db:
        page = search_cases(
            db,
            filters,
            scope_unit=scope(),
            now=moment,
            page=_page_number(request.args.get("page")),
            per_page=per_page(request.args),
        )
        # Unread citizen activity (issue 18): marked, first on the page, or alone (unread=1).
        cases_shown = page.rows
        if request.args.get("unread") == "1":
            cases_shown = unread_for_unit(db, scope() or runtime().coordinator)
        unread = unread_ids(db, [c.id for c in cases_shown])
        cases_shown = sorted(cases_shown, key=lambda c: c.id not in unread)
        rows = [(c, deadline_state(c, moment)) for c in cases_shown]
    kept = kept_filters(request.args)

    def page_url(number: int) -> str:
        return "?" + urlencode({**kept, "page": number})

    return render_template(
        "console/cases.html",
        page=page,
        rows=rows,
        filters=filters,
        choices=choices,
        page_url=page_url,
        kept=kept,
        sorts=SORTS,
        per_page_choices=PER_PAGE_CHOICES,
        per_page=page.per_page,
        desa_names=desa_names(),
        bulk_units=[(u.code, u.name) for u in runtime().units if u.kind != "coordinator"],
        archive_reasons=ARCHIVE_REASONS,
        dates={k: request.args.get(k, "")[:10] for k in ("received_from", "received_to")},
        unread=unread,
        unread_only=request.args.get("unread") == "1",
    )


def citizen_view(db, complaint) -> dict[str, str | bool]:
    """Who filed it, as this operator may see it: the proven contact (SMS, WhatsApp, X) or,
    on the web, API and Open311, the name and address the citizen typed; for a typed phone,
    whether it answered its one-time code (``confirmed``, ``waiting``, ``expired``)."""
    hidden = complaint.privacy == "anonymous" and not operator().is_coordinator
    contact = complaint.contact
    name = complaint.reporter_name or (contact.name if contact is not None else "")
    urn = contact.urn if contact is not None else complaint.update_address
    return {
        "hidden": hidden,
        "name": "" if hidden else name,
        "urn": "" if hidden else urn,
        "opted_out": bool(contact and contact.opted_out),
        "known": bool(contact is not None or urn or name),
        "typed": contact is None and bool(urn),  # an address for updates, not an identity
        "phone_code": _phone_code_state(db, complaint) if contact is None and not hidden else "",
    }


def _phone_code_state(db, complaint) -> str:
    """A typed phone gets updates only once it answered its code (issue 18): say which."""
    if not complaint.update_address.startswith("tel:"):
        return ""
    confirmation = confirmation_of(db, complaint.id)
    if confirmation is None:
        return ""
    if confirmation.confirmed_at is not None:
        return "confirmed"
    expires_at = confirmation.expires_at
    if expires_at.tzinfo is None:
        expires_at = expires_at.replace(tzinfo=UTC)
    return "waiting" if expires_at > now() else "expired"


@bp.get("/<tracking_id>")
def case_page(tracking_id: str):
    moment = now()
    with runtime().sessions() as db:
        complaint = load_case(db, tracking_id)
        record = case_file(db, complaint)
        attachments = stored_attachments.attachments_of(db, complaint.id)
        # Provider media still on their way in, or failed: the operator sees why a photo is
        # missing (dispatcher/media.py retries).
        downloads = stored_attachments.downloads_of(db, complaint.id)
        me = operator()
        forms = action_forms(db, complaint, me)
        suggestions = suggested_links(record.duplicates, complaint) if me.is_coordinator else []
        visible_related = {
            cid: other for cid, other in record.related.items() if me.can_see(other.owner_unit)
        }
        citizen = citizen_view(db, complaint)
        state = deadline_state(complaint, moment)
        owners = complaint.owner_unit == (me.unit_code or runtime().coordinator)
        federation = forwards.case_federation(db, complaint)  # issue 21: origin, forwards
    if citizen["known"] and not citizen["hidden"]:
        # The page shows who filed it: that look at a citizen's identity is on the record.
        with runtime().sessions.begin() as db:
            trail.note(db, AuditKind.IDENTITY_VIEWED, target=complaint.tracking_id)
    if owners:  # the owner's admin opened it: its citizen activity so far is read
        with runtime().sessions.begin() as db:
            mark_read(db, complaint, complaint.owner_unit, moment)
    # Rendered after the session closed: everything the page reads is loaded above, and the
    # layout's header counts open a session of their own (SQLite allows one writer-capable
    # transaction at a time).
    names = _choices()
    return render_template(
        "console/case.html",
        case=complaint,
        record=record,
        related=visible_related,
        attachments=attachments,
        downloads=downloads,
        citizen=citizen,
        deadline_state=state,
        splittable=splittable,
        forms=forms,
        suggestions=suggestions,
        unit_names=names["unit"],
        kecamatan_names=names["kecamatan"],
        desa_names=desa_names(),
        category_names=names["category"],
        federation=federation,
        federation_units=[
            (u.code, u.link.connector)
            for u in runtime().units
            if u.link is not None and u.code in federation.forwarded_units
        ],
        max_bounces=runtime().settings.max_bounces,
    )


@bp.post("/<tracking_id>/actions")
def act(tracking_id: str):
    return perform(tracking_id)


@bp.get("/<tracking_id>/attachments/<int:attachment_id>")
def attachment(tracking_id: str, attachment_id: int):
    rt = runtime()
    with rt.sessions() as db:
        complaint = load_case(db, tracking_id)
        row = stored_attachments.attachment(db, complaint.id, attachment_id)
        if row is None:
            abort(404)
        try:
            path = files.resolve(rt.settings.data_dir, row.path)
        except ValueError:
            abort(404)
        name, content_type = row.filename, row.content_type
    if not path.is_file():
        abort(404)
    # Photos open in the browser; a PDF is downloaded, never rendered under our origin. The
    # sandbox policy keeps any script inside a file inert either way.
    response = send_file(
        path,
        mimetype=content_type,
        download_name=name,
        as_attachment=not content_type.startswith("image/"),
    )
    response.headers["Content-Security-Policy"] = "default-src 'none'; img-src 'self'; sandbox"
    return response
