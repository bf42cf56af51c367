"""Helpers of the gateway tests: the tokens and settings a gateway to the emulator starts from."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from flask_wsqb.quickbooks.gateway import QuickBooksGateway
from flask_wsqb.quickbooks.oauth import OAuthSettings, Tokens
from flask_wsqb.quickbooks.tokens import MemoryTokenStore


def memory_tokens(qbo) -> MemoryTokenStore:
    """Freshly issued tokens of ``qbo``'s company, as if the user had just connected."""
    access, refresh = qbo.issue_tokens()
    now = datetime.now(timezone.utc)
    return MemoryTokenStore(Tokens(access, refresh, now + timedelta(hours=1), now + timedelta(days=100)))


def count_customers(gateway: QuickBooksGateway, *, include_inactive: bool = True) -> int:
    """QuickBooks' count of the company's customers: one cheap request through the gateway's session
    (its budget, refreshes and retries)."""
    where = " WHERE Active IN (true, false)" if include_inactive else ""
    answer = gateway.client.query("SELECT COUNT(*) FROM Customer" + where)
    return int(answer["QueryResponse"].get("totalCount", 0))


def gateway_settings(qbo) -> OAuthSettings:
    """The OAuth settings of an app registered with ``qbo``."""
    return OAuthSettings(
        client_id=qbo.client_id,
        client_secret=qbo.client_secret,
        redirect_uri="http://127.0.0.1/callback",
        environment=qbo.discovery_url,
        api_url=qbo.api_url,
        timeout=1.0,
    )
