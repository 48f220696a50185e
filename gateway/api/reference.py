"""Reference endpoints: the OpenAPI document, places and categories (public, cacheable).

Places and categories (issue 23) are what a client needs before it has a key; each answer
carries an ETag, so ``If-None-Match`` gets a 304.
"""

from __future__ import annotations

from typing import Any

from flask import Response, json, request

from gateway.api.blueprint import bp
from gateway.api.spec import spec
from gateway.submission import intake_rules


@bp.get("/openapi.json")
def openapi():
    return spec()


REFERENCE_MAX_AGE = 3600


def _reference(body: dict[str, Any]) -> Response:
    """A reference document with an ETag; a matching If-None-Match answers 304."""
    response = Response(json.dumps(body), mimetype="application/json")
    response.headers["Cache-Control"] = f"public, max-age={REFERENCE_MAX_AGE}"
    response.add_etag()
    return response.make_conditional(request)


@bp.get("/places")
def places():
    """Every kecamatan with its desa: Kemendagri codes and names (the API takes the codes)."""
    rules = intake_rules()
    villages: dict[str, list[dict[str, str]]] = {code: [] for code in rules.kecamatan}
    for code, (name, parent) in sorted(rules.desa.items()):
        villages.setdefault(parent, []).append({"code": code, "name": name})
    return _reference(
        {
            "kecamatan": [
                {"code": code, "name": name, "desa": villages.get(code, [])}
                for code, name in sorted(rules.kecamatan.items())
            ]
        }
    )


@bp.get("/categories")
def categories():
    """Complaint categories: the code the API takes, the names in Indonesian and English."""
    return _reference(
        {
            "categories": [
                {"code": c.code, "name": c.name, "name_en": c.name_en}
                for c in intake_rules().categories.values()
            ]
        }
    )
