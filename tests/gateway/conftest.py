"""Fixtures shared by the gateway's tests."""

from __future__ import annotations

import pytest
from console_support import add_operator, login


@pytest.fixture
def coordinator(app, runtime):
    """A test client logged in as a coordinator (the monitor's only reader)."""
    add_operator(runtime, "koord")
    client = app.test_client()
    login(client, "koord")
    return client
