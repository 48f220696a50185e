"""The citizens' pages: the complaint form (/), the thank-you page, tracking (/track/<id>),
and the one-click unsubscribe of email updates (/unsubscribe/<token>), and the public
scoreboard (/statistik)."""

from gateway.public import statistik as _statistik  # noqa: F401 (its routes join bp)
from gateway.public import statistik_rating as _rating  # noqa: F401 (its route joins bp)
from gateway.public import unsubscribe  # noqa: F401  (its routes join the blueprint)
from gateway.public.pages import bp

__all__ = ["bp"]
