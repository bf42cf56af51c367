"""Gateways to the connected company, built from the app's configuration."""

from __future__ import annotations

from flask import has_request_context, url_for

from ..config import missing_credentials, setting
from . import budget, locks
from .errors import NotConnectedError
from .gateway import QuickBooksGateway, RetryPolicy, TokenStore
from .oauth import OAuthSettings
from .tokens import DatabaseTokenStore, current_connection


def oauth_settings() -> OAuthSettings:
    redirect_uri = setting("REDIRECT_URI") or ""
    if not redirect_uri and has_request_context():
        # Only the sign-in flow uses it, always in a request; refreshes in jobs do not.
        redirect_uri = url_for("wsqb.connection_callback", _external=True)
    return OAuthSettings(
        client_id=setting("CLIENT_ID"),
        client_secret=setting("CLIENT_SECRET"),
        redirect_uri=redirect_uri,
        environment=setting("ENVIRONMENT"),
        api_url=setting("API_URL"),
        timeout=float(setting("TIMEOUT")),
    )


def _retry_policy() -> RetryPolicy:
    return RetryPolicy(
        attempts=int(setting("RETRY_ATTEMPTS")),
        backoff=float(setting("RETRY_BACKOFF")),
        max_wait=float(setting("RETRY_MAX_WAIT")),
    )


def gateway_for(realm_id: str, token_store: TokenStore) -> QuickBooksGateway:
    return QuickBooksGateway(
        realm_id=realm_id,
        settings=oauth_settings(),
        token_store=token_store,
        retry=_retry_policy(),
        lock=locks.factory(),
        budget=budget.budget(),
    )


def gateway() -> QuickBooksGateway:
    """A gateway to the connected company (raises NotConnectedError when there is none, and
    AuthLostError when QuickBooks must be reconnected)."""
    if missing := missing_credentials():
        raise NotConnectedError(missing)
    row = current_connection()
    if row is None:
        raise NotConnectedError("QuickBooks is not connected. Connect on the Connection page.")
    return gateway_for(row.realm_id, DatabaseTokenStore())
