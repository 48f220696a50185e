"""The citizens' pages: the complaint form (/), the thank-you page, tracking (/track/<id>)."""

from gateway.public.pages import bp

__all__ = ["bp"]
