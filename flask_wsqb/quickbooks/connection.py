"""Connecting a QuickBooks company: the sign-in proved with the new tokens, switching
companies only when the user confirms, replaced tokens revoked, disconnecting."""

from __future__ import annotations

import sqlalchemy as sa
from flask import current_app

from ..clock import utcnow
from ..state import current_state
from ..tenancy import current_tenant, mine
from . import oauth
from .crypto import UndecryptableError
from .errors import QuickBooksError
from .factory import gateway_for, oauth_settings
from .oauth import Tokens
from .tokens import MemoryTokenStore, current_connection, read_tokens, store_tokens


def sign_in(code: str, realm_id: str) -> tuple[Tokens, str]:
    """Finish the authorization-code flow and prove the tokens open ``realm_id`` by reading its
    company info with them: the callback's ``realmId`` is only what the browser said. Returns
    the tokens and the company's name; nothing is stored. Tokens that fail the proof are revoked."""
    settings = oauth_settings()
    tokens = oauth.exchange_code(settings, code, realm_id)
    try:
        info = gateway_for(realm_id, MemoryTokenStore(tokens)).company_info()
    except QuickBooksError:
        _revoke_quietly(tokens.refresh_token)
        raise
    return tokens, str(info.get("CompanyName") or "")


def connect(realm_id: str, company_name: str, tokens: Tokens):
    """Make ``realm_id`` the current firm's connected company with these (verified) tokens. A
    connection to another company is replaced, and its tokens revoked so they open nothing more."""
    state = current_state()
    session = state.db.session
    row = current_connection()
    if row is not None and row.realm_id != realm_id:
        _revoke_stored(row)
        session.delete(row)  # one company per firm: a new connection replaces the old
        session.flush()
        row = None
    # The same company's previous grant is not revoked: at Intuit, revoking may disconnect the
    # app from that company altogether, new grant included.
    if row is None:
        row = state.models.Connection(tenant=current_tenant(), realm_id=realm_id)
        session.add(row)
    store_tokens(row, tokens)
    row.company_name = company_name
    row.connected_at = utcnow()
    row.auth_error = None
    session.commit()
    return row


def hold(realm_id: str, company_name: str, tokens: Tokens):
    """Keep a sign-in to another company until the user decides (see :func:`settle_switch`)."""
    state = current_state()
    pending = state.models.PendingConnection(tenant=current_tenant(), realm_id=realm_id, company_name=company_name)
    store_tokens(pending, tokens)
    state.db.session.add(pending)
    state.db.session.commit()
    return pending


def pending(pending_id: int | None):
    """The current firm's held sign-in with this id, or None."""
    state = current_state()
    held = state.db.session.get(state.models.PendingConnection, pending_id) if pending_id else None
    return held if held is not None and held.tenant == current_tenant() else None


def settle_switch(row, switch: bool):
    """Switch to the held company (returns the new connection), or keep the current one and
    revoke the held sign-in (returns None)."""
    session = current_state().db.session
    result = None
    if switch:
        tokens = read_tokens(row)
        result = connect(row.realm_id, row.company_name, tokens)
    else:
        _revoke_stored(row)
    session.delete(row)
    session.commit()
    return result


def linked_count(realm_id: str) -> int:
    ContactLink = current_state().models.ContactLink
    return (
        current_state().db.session.scalar(
            sa.select(sa.func.count())
            .select_from(ContactLink)
            .where(*mine(ContactLink), ContactLink.realm_id == realm_id)
        )
        or 0
    )


def _revoke_stored(row) -> None:
    try:
        refresh_token = read_tokens(row).refresh_token
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
        oauth.revoke(oauth_settings(), read_tokens(row).refresh_token)
    except (QuickBooksError, UndecryptableError) as exc:
        warning = f"QuickBooks did not confirm the disconnection ({exc}); the connection was removed here."
    session = current_state().db.session
    session.delete(row)
    session.commit()
    return warning
