"""One-click unsubscribe (issue 18): the link in every email to a citizen, no login.

``GET /unsubscribe/<token>`` asks (a link scanner that follows it changes nothing);
``POST`` stops every update to the address, whether from the page's button or from a mail
client's one-click request (RFC 8058: ``List-Unsubscribe=One-Click``, no CSRF token, the
signed token is the proof). The address is never shown: the link may have been forwarded.
"""

from __future__ import annotations

from flask import render_template

from adapters.email import read_token
from casestore.notices import opt_out_address
from gateway.context import runtime
from gateway.extensions import csrf
from gateway.public.pages import bp


def _address(token: str) -> str | None:
    return read_token(runtime().settings.secret_key, token)


@bp.get("/unsubscribe/<token>")
def unsubscribe_page(token: str):
    if _address(token) is None:
        return render_template("unsubscribe.html", state="invalid", token=token), 404
    return render_template("unsubscribe.html", state="ask", token=token)


@bp.post("/unsubscribe/<token>")
@csrf.exempt
def unsubscribe(token: str):
    address = _address(token)
    if address is None:
        return render_template("unsubscribe.html", state="invalid", token=token), 404
    with runtime().sessions.begin() as session:
        opt_out_address(session, address, "unsubscribe")
    return render_template("unsubscribe.html", state="done", token=token)
