"""/webhooks: what providers (Twilio, X) call; each view verifies, parses, submits, answers."""

from gateway.webhooks.routes import bp

__all__ = ["bp"]
