"""OAuth 2 with Intuit (or the emulator) through intuit-oauth's ``AuthClient``.

The same code path serves Intuit's sandbox, production and any emulator: intuit-oauth
takes ``sandbox``, ``production`` or the URL of a discovery document as its environment.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import requests
from intuitlib.client import AuthClient
from intuitlib.enums import Scopes
from intuitlib.exceptions import AuthClientError

from ..clock import utcnow
from .errors import ServiceUnavailableError, reconnect_needed

#: Intuit's published lifetimes, used when a token answer leaves them out.
ACCESS_TOKEN_LIFETIME = 3600
REFRESH_TOKEN_LIFETIME = 100 * 24 * 3600


@dataclass(frozen=True)
class OAuthSettings:
    client_id: str
    client_secret: str
    redirect_uri: str
    environment: str
    #: The accounting API base (``.../v3``); ``None`` means Intuit's URL for the environment.
    api_url: str | None = None
    timeout: float = 30.0


@dataclass(frozen=True)
class Tokens:
    access_token: str
    refresh_token: str
    access_expires_at: datetime
    refresh_expires_at: datetime

    @classmethod
    def from_auth_client(cls, client: AuthClient) -> Tokens:
        now = utcnow()
        access_ttl = int(getattr(client, "expires_in", None) or ACCESS_TOKEN_LIFETIME)
        refresh_ttl = int(getattr(client, "x_refresh_token_expires_in", None) or REFRESH_TOKEN_LIFETIME)
        return cls(
            access_token=client.access_token,
            refresh_token=client.refresh_token,
            access_expires_at=now + timedelta(seconds=access_ttl),
            refresh_expires_at=now + timedelta(seconds=refresh_ttl),
        )


class _TimedAuthClient(AuthClient):
    """intuit-oauth sets no timeout; a hung token endpoint must not hang a worker."""

    def __init__(self, *args, timeout: float, **kwargs) -> None:
        self.timeout = timeout  # set first: the constructor already fetches discovery
        super().__init__(*args, **kwargs)

    def request(self, method, url, **kwargs):
        kwargs.setdefault("timeout", self.timeout)
        return super().request(method, url, **kwargs)


def make_auth_client(settings: OAuthSettings) -> AuthClient:
    """Build an AuthClient; it fetches the discovery document, so failures are reported."""
    try:
        return _TimedAuthClient(
            settings.client_id,
            settings.client_secret,
            settings.redirect_uri,
            settings.environment,
            timeout=settings.timeout,
        )
    except (requests.RequestException, ValueError) as exc:
        raise ServiceUnavailableError(
            f"Could not reach QuickBooks' sign-in service ({settings.environment}): {exc}"
        ) from exc


def authorization_url(settings: OAuthSettings, state: str) -> str:
    return make_auth_client(settings).get_authorization_url([Scopes.ACCOUNTING], state)


def exchange_code(settings: OAuthSettings, code: str, realm_id: str) -> Tokens:
    client = make_auth_client(settings)
    _call_token_endpoint(lambda: client.get_bearer_token(code, realm_id=realm_id))
    return Tokens.from_auth_client(client)


def refresh_tokens(settings: OAuthSettings, refresh_token: str) -> Tokens:
    client = make_auth_client(settings)
    _call_token_endpoint(lambda: client.refresh(refresh_token=refresh_token))
    return Tokens.from_auth_client(client)


def revoke(settings: OAuthSettings, token: str) -> None:
    client = make_auth_client(settings)
    _call_token_endpoint(lambda: client.revoke(token=token))


def _call_token_endpoint(call) -> None:
    try:
        call()
    except AuthClientError as exc:
        if exc.status_code >= 500:
            raise ServiceUnavailableError(
                f"QuickBooks' sign-in service answered {exc.status_code}; try again shortly."
            ) from exc
        raise reconnect_needed(
            f"QuickBooks refused the connection's credentials ({_oauth_error(exc)})", code=exc.status_code
        ) from exc
    except requests.RequestException as exc:
        raise ServiceUnavailableError(f"Could not reach QuickBooks' sign-in service: {exc}") from exc


def _oauth_error(exc: AuthClientError) -> str:
    try:
        return exc.response.json().get("error", "") or str(exc.status_code)
    except ValueError:
        return str(exc.status_code)
