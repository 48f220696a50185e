"""Open311 answers in JSON or XML, and its errors as arrays of {code, description}."""

from __future__ import annotations

import re
from typing import Any
from xml.etree import ElementTree as ET

from flask import Response, json, request
from werkzeug.exceptions import HTTPException

from adapters.open311 import Open311Error, Open311Errors

# XML 1.0 forbids most control characters even escaped; they are dropped, never sent.
_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _xml_value(parent: ET.Element, name: str, value: Any) -> None:
    child = ET.SubElement(parent, name)
    if isinstance(value, bool):
        child.text = "true" if value else "false"
    elif isinstance(value, list):
        item_name = {"attributes": "attribute", "values": "value"}.get(name, "item")
        for item in value:
            _xml_element(child, item_name, item)
    elif value is not None:
        child.text = _XML_INVALID.sub("", str(value))


def _xml_element(parent: ET.Element, name: str, fields: dict[str, Any]) -> None:
    element = ET.SubElement(parent, name)
    for key, value in fields.items():
        _xml_value(element, key, value)


def render(fmt: str, body: Any, *, root: str, item: str, status: int = 200) -> Response:
    """``body`` as JSON, or as XML under ``<root>`` with one ``<item>`` per entry."""
    if fmt == "xml":
        element = ET.Element(root)
        if isinstance(body, list):
            for entry in body:
                _xml_element(element, item, entry)
        else:
            for key, value in body.items():
                _xml_value(element, key, value)
        text = '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(element, "unicode")
        return Response(text, status=status, mimetype="text/xml")
    return Response(json.dumps(body), status=status, mimetype="application/json")


def errors_response(fmt: str, failure: Open311Errors) -> Response:
    entries = [{"code": e.code, "description": e.description} for e in failure.errors]
    return render(fmt, entries, root="errors", item="error", status=failure.status)


def format_of_path() -> str:
    return "xml" if request.path.endswith(".xml") else "json"


def http_errors(error_: HTTPException) -> Response:
    """Any HTTP error under /open311/ as an Open311 error array (the app's handlers too)."""
    status = error_.code or 500
    failure = Open311Errors(status, [Open311Error(status, error_.description or error_.name)])
    response = errors_response(format_of_path(), failure)
    for name, value in error_.get_headers():
        if name.lower() == "allow":
            response.headers["Allow"] = value
    return response
