"""The stored connection (``wsqb_connection``) and its tokens at rest, encrypted.

A rotated refresh token is saved in its own short transaction before anything uses it, and a
connection QuickBooks rejected, or whose tokens no longer decrypt, is refused with the
reconnect message before anything is tried with it.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Session

from ..clock import aware, utcnow
from ..state import current_state
from ..tenancy import current_tenant, mine
from .crypto import UndecryptableError
from .errors import AuthLostError, NotConnectedError, reconnect_needed
from .oauth import Tokens


def current_connection():
    """The current firm's connected company's row, or ``None``."""
    state = current_state()
    Connection = state.models.Connection
    return state.db.session.execute(sa.select(Connection).where(*mine(Connection))).scalar()


def connected_tenants() -> list[str]:
    """Every firm that has connected a company (for commands, which work for each)."""
    Connection = current_state().models.Connection
    return list(current_state().db.session.execute(sa.select(Connection.tenant).order_by(Connection.tenant)).scalars())


class MemoryTokenStore:
    """Tokens held in memory: a sign-in proved before anything is stored, scripts, tests."""

    def __init__(self, tokens: Tokens) -> None:
        self.tokens = tokens
        self.lost_message: str | None = None

    def load(self) -> Tokens:
        return self.tokens

    def save(self, tokens: Tokens) -> None:
        self.tokens = tokens
        self.lost_message = None

    def lost(self, message: str) -> None:
        self.lost_message = message


class DatabaseTokenStore:
    """The current firm's tokens, encrypted in ``wsqb_connection``.

    Saving uses its own short transaction so a rotated refresh token is durable at once,
    whatever becomes of the caller's transaction (a job's rows may still roll back).
    Loading refuses, with the reconnect message, a connection QuickBooks rejected or whose
    tokens no longer decrypt, so nothing is tried with it.
    """

    def __init__(self) -> None:
        self.tenant = current_tenant()  # kept: a gateway may outlive the scope that made it
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
                return read_tokens(row)
            except UndecryptableError as exc:
                error = reconnect_needed(str(exc))
        self.lost(str(error))
        raise error

    def save(self, tokens: Tokens) -> None:
        with Session(self._engine) as session, session.begin():
            row = self._row(session)
            if row is None:
                raise NotConnectedError("QuickBooks was disconnected while a request was running.")
            store_tokens(row, tokens)
            row.refreshed_at = utcnow()

    def lost(self, message: str) -> None:
        """Remember that QuickBooks rejected the tokens, so every page asks to reconnect."""
        with Session(self._engine) as session, session.begin():
            Connection = self._state.models.Connection
            session.execute(sa.update(Connection).where(Connection.tenant == self.tenant).values(auth_error=message))

    def _row(self, session: Session):
        Connection = self._state.models.Connection
        return session.execute(sa.select(Connection).where(Connection.tenant == self.tenant)).scalar()


def read_tokens(row) -> Tokens:
    """A connection's (or a pending sign-in's) tokens, decrypted with its firm's key."""
    cipher = current_state().cipher
    return Tokens(
        access_token=cipher.decrypt(row.access_token_encrypted, row.tenant),
        refresh_token=cipher.decrypt(row.refresh_token_encrypted, row.tenant),
        access_expires_at=aware(row.access_expires_at),
        refresh_expires_at=aware(row.refresh_expires_at),
    )


def store_tokens(row, tokens: Tokens) -> None:
    """Encrypt ``tokens`` into ``row`` with its firm's key (the row's tenant is set)."""
    cipher = current_state().cipher
    row.access_token_encrypted = cipher.encrypt(tokens.access_token, row.tenant)
    row.refresh_token_encrypted = cipher.encrypt(tokens.refresh_token, row.tenant)
    row.access_expires_at = tokens.access_expires_at
    row.refresh_expires_at = tokens.refresh_expires_at
