from __future__ import annotations

import pytest

from tests.helpers import connect_quickbooks


@pytest.fixture
def linked_app(app, client, qbo):
    """Connected to the emulator, customers list loaded."""
    connect_quickbooks(client, qbo)
    return app
