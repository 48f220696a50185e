"""The citizens' pages: the complaint form (/), the thank-you page, tracking (/track/<id>),
and the one-click unsubscribe of email updates (/unsubscribe/<token>)."""

from gateway.public import unsubscribe  # noqa: F401  (its routes join the blueprint)
from gateway.public.pages import bp

__all__ = ["bp"]
