"""JSON API ``/api/v1`` (citizens, partners, reference data) and Open311 GeoReport v2.

The OpenAPI document is ``/api/v1/openapi.json`` (gateway/api/spec.py); a test keeps it and
the endpoints in step. Importing the endpoint modules puts their routes on ``bp``.
"""

from gateway.api import citizens, federation, partners, reference  # noqa: F401 (their routes)
from gateway.api.blueprint import bp

__all__ = ["bp"]
