from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from flask_wsqb.quickbooks.oauth import OAuthSettings, Tokens
from flask_wsqb.quickbooks.gateway import MemoryTokenStore, QuickBooksGateway, RetryPolicy


def memory_tokens(qbo) -> MemoryTokenStore:
    """Freshly issued tokens of ``qbo``'s company, as if the user had just connected."""
    access, refresh = qbo.issue_tokens()
    now = datetime.now(timezone.utc)
    return MemoryTokenStore(Tokens(access, refresh, now + timedelta(hours=1), now + timedelta(days=100)))


def gateway_settings(qbo) -> OAuthSettings:
    return OAuthSettings(client_id=qbo.client_id, client_secret=qbo.client_secret,
                         redirect_uri="http://127.0.0.1/callback", environment=qbo.discovery_url,
                         api_url=qbo.api_url, timeout=1.0)


@pytest.fixture
def token_store(qbo) -> MemoryTokenStore:
    return memory_tokens(qbo)


@pytest.fixture
def gateway(qbo, token_store) -> QuickBooksGateway:
    # Real waits, made short: the behaviour under test is whether and how often we retry.
    return QuickBooksGateway(realm_id=qbo.realm_id, settings=gateway_settings(qbo), token_store=token_store,
                             retry=RetryPolicy(attempts=4, backoff=0.01, max_wait=0.05))
