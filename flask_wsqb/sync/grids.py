"""The rows of the Import and Export grids: one query each, whatever the row count."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import aliased

from ..models import ProposalStatus
from ..state import current_state
from ..tenancy import mine, same_tenant


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
    query = sa.select(SyncItem.key, SyncItem.status, SyncItem.message).where(*mine(SyncItem), SyncItem.run_id == run_id)
    return query.subquery()


def _contains(columns: list, search: str):
    """A WHERE clause: any of ``columns`` contains ``search``, case-insensitively, literally."""
    escaped = search.strip().lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    pattern = f"%{escaped}%"
    return sa.or_(*(sa.func.lower(c).like(pattern, escape="\\") for c in columns if c is not None))


def customers(
    realm_id: str,
    *,
    show_synced: bool,
    show_hidden: bool,
    run_id: int | None = None,
    search: str = "",
    limit: int | None = None,
) -> list[Row]:
    """QuickBooks customers for the Import grid.

    Show Sync'd off: only customers not linked to a contact. Show Hidden off: active only.
    Rows of the run being shown stay visible either way (even merged-away ones), so their
    results can be read.
    """
    state = current_state()
    Customer, ContactLink = state.models.Customer, state.models.ContactLink
    items = _run_items(run_id)
    linked = ContactLink.id.is_not(None)
    query = (
        sa.select(
            Customer.customer_id,
            Customer.display_name,
            Customer.company,
            Customer.email,
            Customer.phone,
            Customer.active,
            linked,
            *(items.c.status, items.c.message) if items is not None else (),
        )
        .outerjoin(
            ContactLink,
            same_tenant(ContactLink, Customer, "realm_id", "customer_id"),
        )
        .where(*mine(Customer), Customer.realm_id == realm_id)
    )
    filters = [Customer.deleted.is_(False)]
    if not show_synced:
        filters.append(ContactLink.id.is_(None))
    if not show_hidden:
        filters.append(Customer.active.is_(True))
    if items is not None:
        query = query.outerjoin(items, items.c.key == Customer.customer_id)
        query = query.where(sa.or_(sa.and_(*filters), items.c.key.is_not(None)))
    else:
        query = query.where(*filters)
    if search.strip():
        query = query.where(_contains([Customer.display_name, Customer.company, Customer.email], search))
    query = query.order_by(sa.func.lower(Customer.display_name), Customer.customer_id).limit(limit)
    return [Row(*row[:7], *(v or "" for v in row[7:])) for row in state.db.session.execute(query)]


def contacts(realm_id: str | None, *, search: str = "", run_id: int | None = None) -> list[Row]:
    """Host contacts for the Export grid, filtered by name, company or email."""
    state = current_state()
    store, ContactLink = state.contacts, state.models.ContactLink
    items = _run_items(run_id)
    key = store.key()
    hidden = store.sql("hidden")
    columns: list[Any] = [key]
    for field in ("display_name", "company", "email", "phone"):
        column = store.sql(field)
        columns.append(column if column is not None else sa.literal(""))
    columns.append(sa.not_(hidden) if hidden is not None else sa.true())
    columns.append(ContactLink.id.is_not(None))
    if items is not None:
        columns += [items.c.status, items.c.message]
    query = store.query(*columns).outerjoin(
        ContactLink,
        sa.and_(*mine(ContactLink), ContactLink.realm_id == (realm_id or ""), ContactLink.contact_id == key),
    )
    if items is not None:
        query = query.outerjoin(items, items.c.key == key)
    if search.strip():
        query = query.where(
            _contains([store.sql(f) for f in ("display_name", "company", "email", "first_name", "last_name")], search)
        )
    query = query.order_by(*_by_name(store))
    return [
        Row(
            str(key),
            name or "",
            company or "",
            email or "",
            phone or "",
            bool(active),
            bool(linked),
            *(value or "" for value in results),
        )
        for key, name, company, email, phone, active, linked, *results in state.db.session.execute(query)
    ]


@dataclass(frozen=True)
class Proposal:
    id: int
    customer_id: str
    customer_name: str
    score: float
    reason: str
    status: ProposalStatus  # proposed or review


@dataclass
class MatchRow:
    id: str
    name: str
    company: str
    email: str
    hidden: bool
    customer_id: str  # the linked customer, "" when unlinked
    customer_name: str
    proposals: list[Proposal]


def match_contacts(realm_id: str, *, hide_synced: bool, show_hidden: bool) -> list[MatchRow]:
    """Contacts beside their linked customer or Auto Match's proposals (two queries)."""
    state = current_state()
    store, ContactLink, Customer = state.contacts, state.models.ContactLink, state.models.Customer
    key = store.key()
    hidden = store.sql("hidden")
    columns: list[Any] = [key]
    for field in ("display_name", "company", "email"):
        column = store.sql(field)
        columns.append(column if column is not None else sa.literal(""))
    columns += [hidden if hidden is not None else sa.false(), ContactLink.customer_id, Customer.display_name]
    query = (
        store.query(*columns)
        .outerjoin(
            ContactLink, sa.and_(*mine(ContactLink), ContactLink.realm_id == realm_id, ContactLink.contact_id == key)
        )
        .outerjoin(
            Customer,
            sa.and_(*mine(Customer), Customer.realm_id == realm_id, Customer.customer_id == ContactLink.customer_id),
        )
    )
    if hide_synced:
        query = query.where(ContactLink.id.is_(None))
    if not show_hidden:
        query = _not_hidden(query)
    query = query.order_by(*_by_name(store))

    proposals: dict[str, list[Proposal]] = {}
    Proposal_ = state.models.MatchProposal
    shown = _open_proposals(realm_id, show_hidden).order_by(Proposal_.contact_id, Proposal_.score.desc(), Proposal_.id)
    for contact_id, *proposal in state.db.session.execute(shown):
        proposals.setdefault(contact_id, []).append(Proposal(*proposal))
    return [
        MatchRow(
            cid,
            name or "",
            company or "",
            email or "",
            bool(is_hidden),
            customer_id or "",
            customer_name or "",
            [] if customer_id else proposals.get(cid, []),
        )
        for cid, name, company, email, is_hidden, customer_id, customer_name in state.db.session.execute(query)
    ]


def acceptable_proposals(realm_id: str, score: float, show_hidden: bool) -> list[int]:
    """The confident proposals scoring at least ``score`` that Match Contacts shows with these
    filters: what its bulk Accept counts and accepts, never a row the page did not show."""
    Proposal_ = current_state().models.MatchProposal
    query = _open_proposals(realm_id, show_hidden).where(
        Proposal_.status == ProposalStatus.PROPOSED, Proposal_.score >= score
    )
    return [row.id for row in current_state().db.session.execute(query)]


def _open_proposals(realm_id: str, show_hidden: bool) -> sa.Select:
    """Auto Match's open proposals as Match Contacts shows them: for a contact and a customer
    both still there and both unlinked; without Show Hidden, not for a hidden contact or an
    inactive customer. Columns: contact_id, id, customer_id, customer name, score, reason, status."""
    state = current_state()
    store, Customer, ContactLink = state.contacts, state.models.Customer, state.models.ContactLink
    Proposal_ = state.models.MatchProposal
    contact_link, customer_link = aliased(ContactLink), aliased(ContactLink)
    query = (
        sa.select(
            Proposal_.contact_id,
            Proposal_.id,
            Proposal_.customer_id,
            Customer.display_name,
            Proposal_.score,
            Proposal_.reason,
            Proposal_.status,
        )
        .join(
            Customer,
            same_tenant(Customer, Proposal_, "realm_id", "customer_id"),
        )
        .join(store.model, sa.and_(store.key() == Proposal_.contact_id, *store.in_tenant()))
        .outerjoin(
            contact_link,
            same_tenant(contact_link, Proposal_, "realm_id", "contact_id"),
        )
        .outerjoin(
            customer_link,
            same_tenant(customer_link, Proposal_, "realm_id", "customer_id"),
        )
        .where(
            *mine(Proposal_),
            Proposal_.realm_id == realm_id,
            Proposal_.status != ProposalStatus.REJECTED,
            Customer.deleted.is_(False),
            contact_link.id.is_(None),
            customer_link.id.is_(None),
        )
    )
    if not show_hidden:
        query = _not_hidden(query.where(Customer.active.is_(True)))
    return query


def _by_name(store) -> list:
    """Contacts in name order (ties by id): what every grid of contacts is sorted by."""
    name = store.sql("display_name")
    return [*([sa.func.lower(name)] if name is not None else []), store.sql("id")]


def _not_hidden(query: sa.Select) -> sa.Select:
    """Leave out the host's hidden contacts (the query selects from the contact model)."""
    hidden = current_state().contacts.sql("hidden")
    return query if hidden is None else query.where(sa.or_(hidden.is_(False), hidden.is_(None)))


def link_history(realm_id: str, limit: int = 20) -> list:
    """The latest links made and removed, newest first, with both sides' names (one query)."""
    state = current_state()
    store, LinkEvent, Customer = state.contacts, state.models.LinkEvent, state.models.Customer
    names = store.query(store.key().label("key"), store.sql("display_name").label("name")).subquery()
    # the newest events first, on their own: then the names of only those are looked up
    latest = (
        sa.select(LinkEvent.id)
        .where(*mine(LinkEvent), LinkEvent.realm_id == realm_id)
        .order_by(LinkEvent.id.desc())
        .limit(limit)
        .subquery()
    )
    query = (
        sa.select(LinkEvent, names.c.name, Customer.display_name)
        .join(latest, latest.c.id == LinkEvent.id)
        .outerjoin(names, names.c.key == LinkEvent.contact_id)
        .outerjoin(Customer, same_tenant(Customer, LinkEvent, "realm_id", "customer_id"))
        .order_by(LinkEvent.id.desc())
    )
    return [
        HistoryRow(event, contact or f"contact {event.contact_id}", customer or f"customer {event.customer_id}")
        for event, contact, customer in state.db.session.execute(query)
    ]


@dataclass(frozen=True)
class HistoryRow:
    event: object
    contact_name: str
    customer_name: str
