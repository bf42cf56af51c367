"""Helpers of the gateway tests: the tokens and settings a gateway to the emulator starts from."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from flask_wsqb.quickbooks.gateway import MemoryTokenStore
from flask_wsqb.quickbooks.oauth import OAuthSettings, Tokens


def memory_tokens(qbo) -> MemoryTokenStore:
    """Freshly issued tokens of ``qbo``'s company, as if the user had just connected."""
    access, refresh = qbo.issue_tokens()
    now = datetime.now(timezone.utc)
    return MemoryTokenStore(Tokens(access, refresh, now + timedelta(hours=1), now + timedelta(days=100)))


def gateway_settings(qbo) -> OAuthSettings:
    """The OAuth settings of an app registered with ``qbo``."""
    return OAuthSettings(client_id=qbo.client_id, client_secret=qbo.client_secret,
                         redirect_uri="http://127.0.0.1/callback", environment=qbo.discovery_url,
                         api_url=qbo.api_url, timeout=1.0)
