"""/console: the operators' web console (monitor, cases, actions, accounts)."""

from gateway.console.blueprint import bp

__all__ = ["bp"]
