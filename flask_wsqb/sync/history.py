"""The record of every field the extension changed, on either side (``wsqb_change``)."""

from __future__ import annotations

from collections.abc import Set

import sqlalchemy as sa

from ..clock import utcnow
from ..quickbooks.tokens import current_connection
from ..state import current_state
from ..tenancy import current_tenant, mine
from . import setwise

APP, QUICKBOOKS = "app", "quickbooks"


def record(
    realm_id: str,
    contact_id: str,
    customer_id: str,
    changes: dict[str, tuple[str, str]],
    *,
    source: str,
    side: str,
    by: str | None = None,
    run_id: int | None = None,
    conflicts: Set[str] = frozenset(),
) -> None:
    """Add one entry per changed field to the current transaction (the caller commits); in a
    run's chunk, to the chunk's writes."""
    if not changes:
        return
    rows = [
        {
            "tenant": current_tenant(),
            "realm_id": realm_id,
            "contact_id": str(contact_id),
            "customer_id": str(customer_id),
            "at": utcnow(),
            "source": source,
            "side": side,
            "field": field,
            "old": old or "",
            "new": new or "",
            "by": by,
            "run_id": run_id,
            "conflict": field in conflicts,
        }
        for field, (old, new) in changes.items()
    ]
    if (pending := setwise.pending()) is not None:
        pending.changes.extend(rows)
        return
    state = current_state()
    state.db.session.execute(sa.insert(state.models.Change), rows)  # one statement for all the fields


def for_contact(contact_id: str, limit: int = 50) -> list:
    """This contact's QuickBooks history, newest first (a Jinja global for contact pages)."""
    row = current_connection()
    return entries(row.realm_id, contact_id=contact_id, limit=limit) if row else []


def entries(
    realm_id: str,
    *,
    contact_id: str | None = None,
    source: str | None = None,
    side: str | None = None,
    limit: int = 200,
) -> list:
    """The newest entries first, filtered by contact, source or side."""
    Change = current_state().models.Change
    query = sa.select(Change).where(*mine(Change), Change.realm_id == realm_id)
    if contact_id:
        query = query.where(Change.contact_id == str(contact_id))
    if source:
        query = query.where(Change.source == source)
    if side:
        query = query.where(Change.side == side)
    return list(current_state().db.session.execute(query.order_by(Change.id.desc()).limit(limit)).scalars())
