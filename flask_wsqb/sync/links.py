"""Links between host contacts and QuickBooks customers (``wsqb_contact_link``).

A link is written in the same transaction as the contact or customer change it records,
so a crash leaves either both or neither: a re-run finds the link and does not create
the contact or customer a second time.
"""

from __future__ import annotations

from collections.abc import Iterable

import sqlalchemy as sa

from ..clock import utcnow
from ..state import current_state
from ..tenancy import current_tenant, mine
from . import setwise
from .merge import Agreement


def link(realm_id: str, contact_id: str, customer_id: str, how: str, by: str | None = None):
    """Add the link, and its history entry, to the current transaction (the caller commits);
    in a run's chunk, to the chunk's writes (then nothing is returned)."""
    state = current_state()
    values = {
        "tenant": current_tenant(),
        "realm_id": realm_id,
        "contact_id": str(contact_id),
        "customer_id": str(customer_id),
        "how": how,
    }
    if (pending := setwise.pending()) is not None:
        pending.links.append(values)
        pending.events.append(_event(realm_id, contact_id, customer_id, "link", how, by))
        return None
    row = state.models.ContactLink(**values)
    state.db.session.add(row)
    _record(realm_id, contact_id, customer_id, "link", how, by)
    state.db.session.flush()
    return row


def unlink(realm_id: str, contact_id: str, how: str, by: str | None = None) -> str | None:
    """Remove the contact's link (recorded); returns the customer id it pointed to."""
    state = current_state()
    ContactLink = state.models.ContactLink
    row = state.db.session.execute(
        sa.select(ContactLink).where(
            *mine(ContactLink), ContactLink.realm_id == realm_id, ContactLink.contact_id == str(contact_id)
        )
    ).scalar()
    if row is None:
        return None
    state.db.session.delete(row)
    _record(realm_id, contact_id, row.customer_id, "unlink", how, by)
    state.db.session.flush()
    return row.customer_id


def undo(realm_id: str, event_id: int, by: str | None = None) -> str:
    """Reverse one history entry; says what was done, or raises ValueError saying why not
    (LookupError when the firm has no such entry)."""
    state = current_state()
    event = state.db.session.get(state.models.LinkEvent, event_id)
    if event is None or event.tenant != current_tenant() or event.realm_id != realm_id:
        raise LookupError(event_id)
    current = customers_by_contact(realm_id, [event.contact_id]).get(event.contact_id)
    if event.action == "link":
        if current != event.customer_id:
            raise ValueError("That link has already been changed since; nothing to undo.")
        unlink(realm_id, event.contact_id, "undo", by)
        return "Link removed."
    if current is not None or contacts_by_customer(realm_id, [event.customer_id]):
        raise ValueError("The contact or the customer is linked to something else now; unlink it first.")
    link(realm_id, event.contact_id, event.customer_id, "undo", by)
    return "Link restored."


def set_baseline(realm_id: str, contact_id: str, agreed: Agreement) -> None:
    """Remember the values both sides now agree on (see contact_sync)."""
    if (pending := setwise.pending()) is not None:
        pending.baselines.append(
            {
                "tenant": current_tenant(),
                "realm_id": realm_id,
                "contact_id": str(contact_id),
                "baseline": agreed.to_store(),
                "synced_at": utcnow(),
            }
        )
        return
    ContactLink = current_state().models.ContactLink
    current_state().db.session.execute(
        sa.update(ContactLink)
        .where(*mine(ContactLink), ContactLink.realm_id == realm_id, ContactLink.contact_id == str(contact_id))
        .values(baseline=agreed.to_store(), synced_at=utcnow())
        # no need to look through every object the session holds: nothing else reads it
        .execution_options(synchronize_session=False)
    )


def _record(realm_id: str, contact_id: str, customer_id: str, action: str, how: str, by: str | None) -> None:
    state = current_state()
    state.db.session.add(state.models.LinkEvent(**_event(realm_id, contact_id, customer_id, action, how, by)))


def _event(realm_id: str, contact_id: str, customer_id: str, action: str, how: str, by: str | None) -> dict:
    return {
        "tenant": current_tenant(),
        "realm_id": realm_id,
        "contact_id": str(contact_id),
        "customer_id": str(customer_id),
        "action": action,
        "how": how,
        "by": by,
    }


def customers_by_contact(realm_id: str, contact_ids: Iterable[str] | None = None) -> dict[str, str]:
    """``{contact_id: customer_id}``, for the given contacts or for all."""
    return _pairs(realm_id, "contact_id", "customer_id", contact_ids)


def contacts_by_customer(realm_id: str, customer_ids: Iterable[str] | None = None) -> dict[str, str]:
    """``{customer_id: contact_id}``, for the given customers or for all."""
    return _pairs(realm_id, "customer_id", "contact_id", customer_ids)


def by_contact(realm_id: str, contact_ids: Iterable[str]) -> dict:
    """The links of these contacts, by contact id (with their baselines)."""
    return _rows(realm_id, "contact_id", contact_ids)


def by_customer(realm_id: str, customer_ids: Iterable[str]) -> dict:
    """The links of these customers, by customer id (with their baselines)."""
    return _rows(realm_id, "customer_id", customer_ids)


def _rows(realm_id: str, key: str, keys: Iterable[str]) -> dict:
    ContactLink = current_state().models.ContactLink
    column = getattr(ContactLink, key)
    rows = (
        current_state()
        .db.session.execute(
            sa.select(ContactLink).where(
                *mine(ContactLink), ContactLink.realm_id == realm_id, column.in_([str(k) for k in keys])
            )
        )
        .scalars()
    )
    return {getattr(row, key): row for row in rows}


def _pairs(realm_id: str, key: str, value: str, keys: Iterable[str] | None) -> dict[str, str]:
    ContactLink = current_state().models.ContactLink
    key_column, value_column = getattr(ContactLink, key), getattr(ContactLink, value)
    query = sa.select(key_column, value_column).where(*mine(ContactLink), ContactLink.realm_id == realm_id)
    if keys is not None:
        query = query.where(key_column.in_([str(k) for k in keys]))
    return dict(current_state().db.session.execute(query).all())
