"""pytest fixtures for the QuickBooks Online emulator (registered as the ``wsqb`` plugin)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from .emulator import QBOEmulator


@pytest.fixture
def qbo() -> Iterator[QBOEmulator]:
    """A running emulator with one empty company, stopped after the test."""
    with QBOEmulator() as emulator:
        yield emulator


@pytest.fixture
def qbo_tokens(qbo: QBOEmulator) -> tuple[str, str]:
    """An (access, refresh) token pair for ``qbo``'s default company."""
    return qbo.issue_tokens()


@pytest.fixture
def qbo_client(qbo: QBOEmulator, qbo_tokens: tuple[str, str]) -> Any:
    """A python-quickbooks client wired to ``qbo`` through a plain requests session."""
    import requests
    from quickbooks import QuickBooks

    class BearerSession(requests.Session):
        access_token = qbo_tokens[0]

    client = QuickBooks(company_id=qbo.realm_id, minorversion=75)
    client.api_url_v3 = qbo.api_url
    client.session = BearerSession()
    yield client
    client.session.close()
