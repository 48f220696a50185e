"""Fixtures shared by the gateway's tests."""

from __future__ import annotations

import pytest
from console_support import OTHER_UNIT, UNIT, add_operator, login


@pytest.fixture
def coordinator(app, runtime):
    """A test client logged in as a coordinator (the monitor's only reader)."""
    add_operator(runtime, "koord")
    client = app.test_client()
    login(client, "koord")
    return client


@pytest.fixture
def staff(runtime):
    """A coordinator and the admins of two kecamatan offices."""
    add_operator(runtime, "koord")
    add_operator(runtime, "camat-lt", role="unit", unit=UNIT)
    add_operator(runtime, "camat-linge", role="unit", unit=OTHER_UNIT)
