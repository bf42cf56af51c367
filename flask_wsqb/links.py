"""Links between host contacts and QuickBooks customers (``wsqb_contact_link``).

A link is written in the same transaction as the contact or customer change it records,
so a crash leaves either both or neither: a re-run finds the link and does not create
the contact or customer a second time.
"""
from __future__ import annotations

from collections.abc import Iterable

import sqlalchemy as sa

from .extension import current_state


def link(realm_id: str, contact_id: str, customer_id: str, how: str):
    """Add the link to the current transaction (the caller commits)."""
    state = current_state()
    row = state.models.ContactLink(realm_id=realm_id, contact_id=str(contact_id),
                                   customer_id=str(customer_id), how=how)
    state.db.session.add(row)
    state.db.session.flush()
    return row


def customers_by_contact(realm_id: str, contact_ids: Iterable[str] | None = None) -> dict[str, str]:
    """``{contact_id: customer_id}``, for the given contacts or for all."""
    ContactLink = current_state().models.ContactLink
    query = sa.select(ContactLink.contact_id, ContactLink.customer_id).where(ContactLink.realm_id == realm_id)
    if contact_ids is not None:
        query = query.where(ContactLink.contact_id.in_([str(c) for c in contact_ids]))
    return dict(current_state().db.session.execute(query).all())


def contacts_by_customer(realm_id: str, customer_ids: Iterable[str] | None = None) -> dict[str, str]:
    """``{customer_id: contact_id}``, for the given customers or for all."""
    ContactLink = current_state().models.ContactLink
    query = sa.select(ContactLink.customer_id, ContactLink.contact_id).where(ContactLink.realm_id == realm_id)
    if customer_ids is not None:
        query = query.where(ContactLink.customer_id.in_([str(c) for c in customer_ids]))
    return dict(current_state().db.session.execute(query).all())
