"""The rows of the Import and Export grids: one query each, whatever the row count."""
from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from .extension import current_state


@dataclass(frozen=True)
class Row:
    id: str
    name: str
    company: str
    email: str
    phone: str
    active: bool  # for contacts: not hidden
    linked: bool
    status: str = ""  # "ok" / "error" / "pending" when the row is part of the run shown
    message: str = ""


def _run_items(run_id: int | None):
    """The shown run's items as a subquery (key, status, message), or None."""
    if run_id is None:
        return None
    SyncItem = current_state().models.SyncItem
    return sa.select(SyncItem.key, SyncItem.status, SyncItem.message).where(SyncItem.run_id == run_id).subquery()


def customers(realm_id: str, *, show_synced: bool, show_hidden: bool, run_id: int | None = None) -> list[Row]:
    """QuickBooks customers for the Import grid.

    Show Sync'd off: only customers not linked to a contact. Show Hidden off: active only.
    Rows of the run being shown stay visible either way, so their results can be read.
    """
    state = current_state()
    Customer, ContactLink = state.models.Customer, state.models.ContactLink
    items = _run_items(run_id)
    linked = ContactLink.id.is_not(None)
    query = (
        sa.select(Customer.customer_id, Customer.display_name, Customer.company, Customer.email,
                  Customer.phone, Customer.active, linked,
                  *(items.c.status, items.c.message) if items is not None else ())
        .outerjoin(ContactLink, sa.and_(ContactLink.realm_id == Customer.realm_id,
                                        ContactLink.customer_id == Customer.customer_id))
        .where(Customer.realm_id == realm_id, Customer.deleted.is_(False))
    )
    filters = []
    if not show_synced:
        filters.append(ContactLink.id.is_(None))
    if not show_hidden:
        filters.append(Customer.active.is_(True))
    if items is not None:
        query = query.outerjoin(items, items.c.key == Customer.customer_id)
        if filters:
            query = query.where(sa.or_(sa.and_(*filters), items.c.key.is_not(None)))
    elif filters:
        query = query.where(*filters)
    query = query.order_by(sa.func.lower(Customer.display_name), Customer.customer_id)
    return [Row(*row[:7], *(v or "" for v in row[7:])) for row in state.db.session.execute(query)]


def contacts(realm_id: str | None, *, search: str = "", run_id: int | None = None) -> list[Row]:
    """Host contacts for the Export grid, filtered by name, company or email."""
    state = current_state()
    store, ContactLink = state.contacts, state.models.ContactLink
    items = _run_items(run_id)
    id_col = store.column("id")
    key = sa.cast(id_col, sa.String)
    hidden = store.column("hidden")
    columns = [key]
    for field in ("display_name", "company", "email", "phone"):
        column = store.column(field)
        columns.append(column if column is not None else sa.literal(""))
    columns.append(sa.not_(hidden) if hidden is not None else sa.true())
    columns.append(ContactLink.id.is_not(None))
    if items is not None:
        columns += [items.c.status, items.c.message]
    query = sa.select(*columns).select_from(store.model).outerjoin(
        ContactLink, sa.and_(ContactLink.realm_id == (realm_id or ""), ContactLink.contact_id == key))
    if items is not None:
        query = query.outerjoin(items, items.c.key == key)
    if search.strip():
        pattern = "%" + search.strip().lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        searchable = [store.column(f) for f in ("display_name", "company", "email", "first_name", "last_name")]
        query = query.where(sa.or_(*(sa.func.lower(c).like(pattern, escape="\\")
                                     for c in searchable if c is not None)))
    query = query.order_by(sa.func.lower(store.column("display_name")), id_col)
    return [Row(*(v if v is not None else "" for v in row[:5]), bool(row[5]), bool(row[6]),
                *(v or "" for v in row[7:])) for row in state.db.session.execute(query)]
