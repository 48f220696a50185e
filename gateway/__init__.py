"""The Flask app and the `satupintu` command: HTTP and CLI wiring, nothing else."""

from gateway.app import create_app

__all__ = ["create_app"]
