"""The connected QuickBooks company: OAuth connect/disconnect, tokens at rest, gateways."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app, has_request_context, url_for
from sqlalchemy.orm import Session

from . import budget, locks, oauth
from .oauth import OAuthSettings, Tokens
from ..config import setting
from .crypto import UndecryptableError
from .errors import AuthLostError, NotConnectedError, QuickBooksError, reconnect_needed
from ..state import current_state
from .gateway import MemoryTokenStore, QuickBooksGateway, RetryPolicy, TokenStore
from ..models import aware, utcnow


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
    Loading refuses, with the reconnect message, a connection QuickBooks rejected or whose
    tokens no longer decrypt, so nothing is tried with it.
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
            try:
                return _read_tokens(row)
            except UndecryptableError as exc:
                error = reconnect_needed(str(exc))
        self.lost(str(error))
        raise error

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


def _read_tokens(row) -> Tokens:
    cipher = current_state().cipher
    return Tokens(
        access_token=cipher.decrypt(row.access_token_encrypted),
        refresh_token=cipher.decrypt(row.refresh_token_encrypted),
        access_expires_at=aware(row.access_expires_at),
        refresh_expires_at=aware(row.refresh_expires_at),
    )


def _store_tokens(row, tokens: Tokens) -> None:
    cipher = current_state().cipher
    row.access_token_encrypted = cipher.encrypt(tokens.access_token)
    row.refresh_token_encrypted = cipher.encrypt(tokens.refresh_token)
    row.access_expires_at = tokens.access_expires_at
    row.refresh_expires_at = tokens.refresh_expires_at


def _retry_policy() -> RetryPolicy:
    return RetryPolicy(attempts=int(setting("RETRY_ATTEMPTS")), backoff=float(setting("RETRY_BACKOFF")),
                       max_wait=float(setting("RETRY_MAX_WAIT")))


def _gateway(realm_id: str, token_store: TokenStore) -> QuickBooksGateway:
    return QuickBooksGateway(realm_id=realm_id, settings=oauth_settings(), token_store=token_store,
                             retry=_retry_policy(), lock=locks.factory(), budget=budget.budget())


def gateway() -> QuickBooksGateway:
    """A gateway to the connected company (raises NotConnectedError when there is none, and
    AuthLostError when QuickBooks must be reconnected)."""
    row = current_connection()
    if row is None:
        raise NotConnectedError("QuickBooks is not connected. Connect on the Connection page.")
    return _gateway(row.realm_id, DatabaseTokenStore(row.realm_id))


def sign_in(code: str, realm_id: str) -> tuple[Tokens, str]:
    """Finish the authorization-code flow and prove the tokens open ``realm_id`` by reading its
    company info with them: the callback's ``realmId`` is only what the browser said. Returns
    the tokens and the company's name; nothing is stored. Tokens that fail the proof are revoked."""
    settings = oauth_settings()
    tokens = oauth.exchange_code(settings, code, realm_id)
    try:
        info = _gateway(realm_id, MemoryTokenStore(tokens)).company_info()
    except QuickBooksError:
        _revoke_quietly(tokens.refresh_token)
        raise
    return tokens, str(info.get("CompanyName") or "")


def connect(realm_id: str, company_name: str, tokens: Tokens):
    """Make ``realm_id`` the connected company with these (verified) tokens. A connection to
    another company is replaced, and its tokens revoked so they open nothing any more."""
    state = current_state()
    session = state.db.session
    Connection = state.models.Connection
    for other in session.execute(sa.select(Connection).where(Connection.realm_id != realm_id)).scalars():
        _revoke_stored(other)
        session.delete(other)  # one company at a time: a new connection replaces the old
    # The same company's previous grant is not revoked: at Intuit, revoking may disconnect the
    # app from that company altogether, new grant included.
    row = session.execute(sa.select(Connection).where(Connection.realm_id == realm_id)).scalar()
    if row is None:
        row = Connection(realm_id=realm_id)
        session.add(row)
    _store_tokens(row, tokens)
    row.company_name = company_name
    row.connected_at = utcnow()
    row.auth_error = None
    session.commit()
    return row


def hold(realm_id: str, company_name: str, tokens: Tokens):
    """Keep a sign-in to another company until the user decides (see :func:`settle_switch`)."""
    state = current_state()
    pending = state.models.PendingConnection(realm_id=realm_id, company_name=company_name)
    _store_tokens(pending, tokens)
    state.db.session.add(pending)
    state.db.session.commit()
    return pending


def pending(pending_id: int | None):
    state = current_state()
    return state.db.session.get(state.models.PendingConnection, pending_id) if pending_id else None


def settle_switch(row, switch: bool):
    """Switch to the held company (returns the new connection), or keep the current one and
    revoke the held sign-in (returns None)."""
    session = current_state().db.session
    result = None
    if switch:
        tokens = _read_tokens(row)
        result = connect(row.realm_id, row.company_name, tokens)
    else:
        _revoke_stored(row)
    session.delete(row)
    session.commit()
    return result


def linked_count(realm_id: str) -> int:
    ContactLink = current_state().models.ContactLink
    return current_state().db.session.scalar(
        sa.select(sa.func.count()).select_from(ContactLink).where(ContactLink.realm_id == realm_id)) or 0


def _revoke_stored(row) -> None:
    try:
        refresh_token = current_state().cipher.decrypt(row.refresh_token_encrypted)
    except UndecryptableError:
        return  # unreadable here, so useless to anyone holding this database
    _revoke_quietly(refresh_token)


def _revoke_quietly(refresh_token: str) -> None:
    try:
        oauth.revoke(oauth_settings(), refresh_token)
    except QuickBooksError as exc:
        current_app.logger.warning("flask-wsqb: QuickBooks did not confirm revoking replaced tokens: %s", exc)


def disconnect() -> str | None:
    """Revoke the tokens and forget the company; returns a warning if revoking failed."""
    row = current_connection()
    if row is None:
        return None
    warning = None
    try:
        oauth.revoke(oauth_settings(), current_state().cipher.decrypt(row.refresh_token_encrypted))
    except (QuickBooksError, UndecryptableError) as exc:
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
    reason = _reconnect_reason(row, refresh_expires)
    return Status(
        connected=True,
        company_name=row.company_name,
        realm_id=row.realm_id,
        access_expires_at=aware(row.access_expires_at),
        refresh_expires_at=refresh_expires,
        needs_reconnect=bool(reason),
        reconnect_reason=reason,
        refresh_expiring_soon=refresh_expires - utcnow() < warning_window,
    )


def _reconnect_reason(row, refresh_expires: datetime) -> str:
    """Why QuickBooks must be reconnected, before anything is tried; "" when it need not be."""
    if row.auth_error:
        return row.auth_error
    if refresh_expires <= utcnow():
        return str(reconnect_needed(f"the connection expired on {refresh_expires:%b %d, %Y}"))
    if not current_state().cipher.can_decrypt(row.refresh_token_encrypted):
        return str(reconnect_needed("the stored QuickBooks tokens cannot be decrypted (SECRET_KEY or "
                                    "WSQB_ENCRYPTION_KEY changed since they were saved)"))
    return ""
