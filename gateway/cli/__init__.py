"""The `satupintu` command (setup.cfg's entry point is ``gateway.cli:main``)."""

from gateway.cli.group import main

__all__ = ["main"]
