"""The citizens' pages: the complaint form (/), the thank-you page, tracking (/track/<id>),
and the public scoreboard (/statistik)."""

from gateway.public import statistik as _statistik  # noqa: F401 (its routes join bp)
from gateway.public import statistik_rating as _rating  # noqa: F401 (its route joins bp)
from gateway.public.pages import bp

__all__ = ["bp"]
