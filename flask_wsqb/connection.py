"""The connected QuickBooks company: OAuth connect/disconnect, tokens at rest, gateways."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app, has_request_context, url_for
from sqlalchemy.orm import Session

from . import auth, limiter, locks
from .auth import OAuthSettings, Tokens
from .config import setting
from .errors import AuthLostError, NotConnectedError, QuickBooksError
from .extension import current_state
from .gateway import QuickBooksGateway, RetryPolicy
from .models import aware, utcnow


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


def current_connection():
    """The connected company's row, or ``None``."""
    state = current_state()
    Connection = state.models.Connection
    return state.db.session.execute(sa.select(Connection).order_by(Connection.id.desc()).limit(1)).scalar()


class DatabaseTokenStore:
    """Tokens of one realm, encrypted in ``wsqb_connection``.

    Saving uses its own short transaction so a rotated refresh token is durable at once,
    whatever becomes of the caller's transaction (a job's rows may still roll back).
    """

    def __init__(self, realm_id: str) -> None:
        self.realm_id = realm_id
        self._state = current_state()
        self._engine = self._state.db.engine

    def load(self) -> Tokens:
        with Session(self._engine) as session:
            row = self._row(session)
            if row is None:
                raise NotConnectedError("QuickBooks is not connected. Connect on the Connection page.")
            if row.auth_error:
                raise AuthLostError(row.auth_error)
            cipher = self._state.cipher
            return Tokens(
                access_token=cipher.decrypt(row.access_token_encrypted),
                refresh_token=cipher.decrypt(row.refresh_token_encrypted),
                access_expires_at=aware(row.access_expires_at),
                refresh_expires_at=aware(row.refresh_expires_at),
            )

    def save(self, tokens: Tokens) -> None:
        with Session(self._engine) as session, session.begin():
            row = self._row(session)
            if row is None:
                raise NotConnectedError("QuickBooks was disconnected while a request was running.")
            _store_tokens(row, tokens)
            row.refreshed_at = utcnow()

    def lost(self, message: str) -> None:
        mark_auth_lost(self.realm_id, message)

    def _row(self, session: Session):
        Connection = self._state.models.Connection
        return session.execute(sa.select(Connection).where(Connection.realm_id == self.realm_id)).scalar()


def _store_tokens(row, tokens: Tokens) -> None:
    cipher = current_state().cipher
    row.access_token_encrypted = cipher.encrypt(tokens.access_token)
    row.refresh_token_encrypted = cipher.encrypt(tokens.refresh_token)
    row.access_expires_at = tokens.access_expires_at
    row.refresh_expires_at = tokens.refresh_expires_at
    row.auth_error = None


def gateway() -> QuickBooksGateway:
    """A gateway to the connected company (raises NotConnectedError when there is none)."""
    row = current_connection()
    if row is None:
        raise NotConnectedError("QuickBooks is not connected. Connect on the Connection page.")
    retry = RetryPolicy(attempts=int(setting("RETRY_ATTEMPTS")), backoff=float(setting("RETRY_BACKOFF")),
                        max_wait=float(setting("RETRY_MAX_WAIT")))
    return QuickBooksGateway(realm_id=row.realm_id, settings=oauth_settings(),
                             token_store=DatabaseTokenStore(row.realm_id), retry=retry, lock=locks.factory(),
                             budget=limiter.budget())


def connect(code: str, realm_id: str):
    """Finish the authorization-code flow: store the tokens and the company's name."""
    settings = oauth_settings()
    tokens = auth.exchange_code(settings, code, realm_id)
    state = current_state()
    session = state.db.session
    Connection = state.models.Connection
    for other in session.execute(sa.select(Connection).where(Connection.realm_id != realm_id)).scalars():
        session.delete(other)  # one company at a time: a new connection replaces the old
    row = session.execute(sa.select(Connection).where(Connection.realm_id == realm_id)).scalar()
    if row is None:
        row = Connection(realm_id=realm_id)
        session.add(row)
    _store_tokens(row, tokens)
    row.connected_at = utcnow()
    session.commit()
    try:
        row.company_name = gateway().company_info().get("CompanyName", "")
    except QuickBooksError as exc:
        current_app.logger.warning("QuickBooks company name unavailable: %s", exc)
    session.commit()
    return row


def disconnect() -> str | None:
    """Revoke the tokens and forget the company; returns a warning if revoking failed."""
    row = current_connection()
    if row is None:
        return None
    warning = None
    try:
        auth.revoke(oauth_settings(), current_state().cipher.decrypt(row.refresh_token_encrypted))
    except (QuickBooksError, ValueError) as exc:
        warning = f"QuickBooks did not confirm the disconnection ({exc}); the connection was removed here."
    session = current_state().db.session
    session.delete(row)
    session.commit()
    return warning


def mark_auth_lost(realm_id: str, message: str) -> None:
    """Remember that QuickBooks rejected the tokens, so the page asks to reconnect."""
    state = current_state()
    with Session(state.db.engine) as session, session.begin():
        Connection = state.models.Connection
        session.execute(
            sa.update(Connection).where(Connection.realm_id == realm_id).values(auth_error=message)
        )


@dataclass(frozen=True)
class Status:
    """What the Connection page shows."""

    connected: bool
    company_name: str = ""
    realm_id: str = ""
    access_expires_at: datetime | None = None
    refresh_expires_at: datetime | None = None
    needs_reconnect: bool = False
    reconnect_reason: str = ""
    refresh_expiring_soon: bool = False


def status() -> Status:
    row = current_connection()
    if row is None:
        return Status(connected=False)
    refresh_expires = aware(row.refresh_expires_at)
    warning_window = timedelta(days=int(setting("REFRESH_WARNING_DAYS")))
    return Status(
        connected=True,
        company_name=row.company_name,
        realm_id=row.realm_id,
        access_expires_at=aware(row.access_expires_at),
        refresh_expires_at=refresh_expires,
        needs_reconnect=bool(row.auth_error) or refresh_expires <= utcnow(),
        reconnect_reason=row.auth_error or ("The connection expired." if refresh_expires <= utcnow() else ""),
        refresh_expiring_soon=refresh_expires - utcnow() < warning_window,
    )
