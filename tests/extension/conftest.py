"""Fixtures of the extension's tests: narrowing what the host's access check allows."""

from __future__ import annotations

import pytest

from example_app.app import wsqb
from tests.extension.helpers import EVERY_ACTION


@pytest.fixture
def allowed():
    """The actions the current user may use: every one until a test narrows the set. The host's
    own check comes back after the test."""
    actions = set(EVERY_ACTION)
    previous = wsqb._access_check
    wsqb.access_check(lambda action: action in actions)
    yield actions
    wsqb._access_check = previous
