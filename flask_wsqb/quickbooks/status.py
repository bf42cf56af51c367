"""What the Connection page, the reconnect banner and ``flask wsqb status`` show."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from ..clock import aware, utcnow
from ..config import missing_credentials, setting
from ..state import current_state
from .errors import reconnect_needed
from .tokens import current_connection


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
    #: What must be configured before QuickBooks can be connected at all ("" when nothing).
    not_set_up: str = ""


def status() -> Status:
    missing = missing_credentials()
    if missing:
        return Status(connected=False, not_set_up=missing)
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
    if not current_state().cipher.can_decrypt(row.refresh_token_encrypted, row.tenant):
        return str(
            reconnect_needed(
                "the stored QuickBooks tokens cannot be decrypted (SECRET_KEY or "
                "WSQB_ENCRYPTION_KEY changed since they were saved)"
            )
        )
    return ""
