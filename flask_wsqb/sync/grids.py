"""What the grids list, a page at a time: Import's customers, Export's contacts, Match's two
sides and History. Each grid is one query built once and used three ways: counted, read a
page at a time (so a page costs the same few statements at any size), and read whole for
"Select all N matching" (the submit runs the very query the grid showed)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import aliased

from ..models import ItemStatus, ProposalStatus
from ..state import current_state
from ..tenancy import mine, same_tenant

#: The page sizes offered; the first page of a grid shows DEFAULT_PER_PAGE rows.
PER_PAGE_CHOICES = (25, 50, 100, 250)
DEFAULT_PER_PAGE = 50
#: The most rows "Select all N matching" puts in one run (beyond it: narrow the search).
MOST_MATCHING = 50_000
#: The row-state filters (``state=``): what each grid offers is in its ``*_STATES``.
ERRORS, LINKED, UNLINKED, PROPOSALS = "errors", "linked", "unlinked", "proposals"


@dataclass(frozen=True)
class View:
    """What the user asked a grid for: a search, a row-state filter, an order and a page."""

    search: str = ""
    state: str = ""
    sort: str = ""  # one of the grid's sort keys; "" is its default order
    descending: bool | None = None  # None: the grid's default direction
    page: int = 1
    per_page: int = DEFAULT_PER_PAGE


@dataclass(frozen=True)
class Page:
    """One page of a grid's rows, and how many rows the whole filtered grid has."""

    rows: list
    total: int
    page: int
    per_page: int
    sizes = PER_PAGE_CHOICES  # the page sizes the user may choose

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    @property
    def first(self) -> int:
        """The position of the page's first row in the grid (1-based; 0 when there is none)."""
        return (self.page - 1) * self.per_page + 1 if self.rows else 0

    @property
    def last(self) -> int:
        return self.first + len(self.rows) - 1 if self.rows else 0


@dataclass(frozen=True)
class Grid:
    """A grid's filtered query (no order), its sort keys, and how a result row becomes a row."""

    query: sa.Select
    sorts: dict[str, list]  # sort key -> ORDER BY expressions; "" first: the default order
    tiebreak: list
    convert: Callable[[Any], Any]
    default_descending: bool = False

    def order(self, view: View) -> list:
        descending = self.default_descending if view.descending is None else view.descending
        columns = self.sorts.get(view.sort) or self.sorts[""]
        return [c.desc() if descending else c.asc() for c in [*columns, *self.tiebreak]]

    def page(self, view: View) -> Page:
        session = current_state().db.session
        total = session.execute(sa.select(sa.func.count()).select_from(self.query.subquery())).scalar_one()
        page = max(1, min(view.page, -(-total // view.per_page)))
        offset = (page - 1) * view.per_page
        rows = session.execute(self.query.order_by(*self.order(view)).limit(view.per_page).offset(offset))
        return Page([self.convert(row) for row in rows], total, page, view.per_page)

    def every(self, view: View, limit: int = MOST_MATCHING) -> list:
        """Every row matching, in the grid's order, at most ``limit`` of them."""
        rows = current_state().db.session.execute(self.query.order_by(*self.order(view)).limit(limit))
        return [self.convert(row) for row in rows]


def _text(column) -> Any:
    """A text column for sorting: case-insensitive, missing values as empty (same on every database)."""
    return sa.func.coalesce(sa.func.lower(column), "")


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


def _row(values) -> Row:
    key, name, company, email, phone, active, linked, *results = values
    return Row(
        str(key),
        name or "",
        company or "",
        email or "",
        phone or "",
        bool(active),
        bool(linked),
        *(value or "" for value in results),
    )


def _by_state(query: sa.Select, state: str, link_id, items) -> sa.Select:
    """Keep the rows in ``state``: linked, not linked, or failed in the run shown."""
    if state == LINKED:
        return query.where(link_id.is_not(None))
    if state == UNLINKED:
        return query.where(link_id.is_(None))
    if state == ERRORS:
        return query.where(items.c.status == ItemStatus.ERROR) if items is not None else query.where(sa.false())
    return query


#: The row-state filters of Import and Export.
ROW_STATES = (LINKED, UNLINKED, ERRORS)


def customer_grid(
    realm_id: str, *, show_synced: bool, show_hidden: bool, run_id: int | None = None, view: View = View()
) -> Grid:
    """QuickBooks customers for the Import grid (and Match's right side, and the link picker).

    Show Sync'd off: only customers not linked to a contact. Show Hidden off: active only.
    Rows of the run being shown stay visible either way (even merged-away ones), so their
    results can be read. The row-state filter linked / not linked stands for itself, whatever
    Show Sync'd says.
    """
    state = current_state()
    Customer, ContactLink = state.models.Customer, state.models.ContactLink
    items = _run_items(run_id)
    query = (
        sa.select(
            Customer.customer_id,
            Customer.display_name,
            Customer.company,
            Customer.email,
            Customer.phone,
            Customer.active,
            ContactLink.id.is_not(None),
            *(items.c.status, items.c.message) if items is not None else (),
        )
        .outerjoin(ContactLink, same_tenant(ContactLink, Customer, "realm_id", "customer_id"))
        .where(*mine(Customer), Customer.realm_id == realm_id)
    )
    filters = [Customer.deleted.is_(False)]
    if not show_synced and view.state not in (LINKED, ERRORS):
        filters.append(ContactLink.id.is_(None))
    if not show_hidden:
        filters.append(Customer.active.is_(True))
    if items is not None:
        query = query.outerjoin(items, items.c.key == Customer.customer_id)
        query = query.where(sa.or_(sa.and_(*filters), items.c.key.is_not(None)))
    else:
        query = query.where(*filters)
    if view.search.strip():
        columns = [Customer.display_name, Customer.company, Customer.email, Customer.phone]
        query = query.where(_contains(columns, view.search))
    query = _by_state(query, view.state, ContactLink.id, items)
    name = _text(Customer.display_name)
    sorts = {
        "": [name],
        "name": [name],
        "company": [_text(Customer.company)],
        "email": [_text(Customer.email)],
        "phone": [_text(Customer.phone)],
        "status": [Customer.active],
        "linked": [ContactLink.id.is_not(None)],
    }
    return Grid(query, sorts, [Customer.customer_id], _row)


def customers(
    realm_id: str, *, show_synced: bool, show_hidden: bool, run_id: int | None = None, view: View = View()
) -> Page:
    """A page of the Import grid."""
    grid = customer_grid(realm_id, show_synced=show_synced, show_hidden=show_hidden, run_id=run_id, view=view)
    return grid.page(view)


def customers_by_id(realm_id: str, customer_ids: list[str]) -> list[Row]:
    """These unlinked customers as the Import grid shows them (the link picker's ranked ones)."""
    grid = customer_grid(realm_id, show_synced=False, show_hidden=True)
    Customer = current_state().models.Customer
    rows = current_state().db.session.execute(grid.query.where(Customer.customer_id.in_(customer_ids)))
    return [grid.convert(row) for row in rows]


def linked_contacts(realm_id: str, customer_ids: list[str]) -> dict[str, str]:
    """The contact each of these customers is linked to, by customer id (one query)."""
    ContactLink = current_state().models.ContactLink
    query = sa.select(ContactLink.customer_id, ContactLink.contact_id).where(
        *mine(ContactLink), ContactLink.realm_id == realm_id, ContactLink.customer_id.in_(customer_ids)
    )
    return {customer_id: contact_id for customer_id, contact_id in current_state().db.session.execute(query)}


def contact_grid(realm_id: str | None, *, run_id: int | None = None, view: View = View()) -> Grid:
    """Host contacts for the Export grid, searched by name, company, email or phone."""
    state = current_state()
    store, ContactLink = state.contacts, state.models.ContactLink
    items = _run_items(run_id)
    key = store.key()
    hidden = store.sql("hidden")
    sql = {f: store.sql(f) for f in ("display_name", "company", "email", "phone")}
    columns: list[Any] = [key, *(c if c is not None else sa.literal("") for c in sql.values())]
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
    if view.search.strip():
        searched = [*sql.values(), store.sql("first_name"), store.sql("last_name")]
        query = query.where(_contains(searched, view.search))
    query = _by_state(query, view.state, ContactLink.id, items)
    sorts = {"": _by_name(store)[:-1], "linked": [ContactLink.id.is_not(None)]}
    sorts |= {f.replace("display_name", "name"): [_text(c)] for f, c in sql.items() if c is not None}
    if hidden is not None:
        sorts["hidden"] = [sa.func.coalesce(hidden, sa.false())]
    return Grid(query, sorts, [store.sql("id")], _row)


def contacts(realm_id: str | None, *, run_id: int | None = None, view: View = View()) -> Page:
    """A page of the Export grid."""
    return contact_grid(realm_id, run_id=run_id, view=view).page(view)


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


#: The row-state filters of Match's contacts.
MATCH_STATES = (PROPOSALS, LINKED, UNLINKED)


def match_grid(realm_id: str, *, hide_synced: bool, show_hidden: bool, view: View = View()) -> Grid:
    """Contacts beside their linked customer (Match's left side); see :func:`match_contacts`."""
    state = current_state()
    store, ContactLink, Customer = state.contacts, state.models.ContactLink, state.models.Customer
    key = store.key()
    hidden = store.sql("hidden")
    sql = {f: store.sql(f) for f in ("display_name", "company", "email")}
    columns: list[Any] = [key, *(c if c is not None else sa.literal("") for c in sql.values())]
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
    if view.search.strip():
        searched = [*sql.values(), store.sql("first_name"), store.sql("last_name"), Customer.display_name]
        query = query.where(_contains(searched, view.search))
    if view.state == PROPOSALS:
        Proposal_ = state.models.MatchProposal
        shown = _open_proposals(realm_id, show_hidden).with_only_columns(Proposal_.contact_id)
        query = query.where(ContactLink.id.is_(None), key.in_(shown.scalar_subquery()))
    else:
        query = _by_state(query, view.state, ContactLink.id, None)
    sorts = {"": _by_name(store)[:-1], "customer": [_text(Customer.display_name)]}
    sorts |= {f.replace("display_name", "name"): [_text(c)] for f, c in sql.items() if c is not None}
    return Grid(query, sorts, [store.sql("id")], _match_row)


def _match_row(values) -> MatchRow:
    cid, name, company, email, is_hidden, customer_id, customer_name = values
    return MatchRow(
        str(cid), name or "", company or "", email or "", bool(is_hidden), customer_id or "", customer_name or "", []
    )


def match_contacts(realm_id: str, *, hide_synced: bool, show_hidden: bool, view: View = View()) -> Page:
    """A page of contacts beside their linked customer or Auto Match's proposals (three
    queries: the count, the page, the proposals of the page's unlinked contacts)."""
    page = match_grid(realm_id, hide_synced=hide_synced, show_hidden=show_hidden, view=view).page(view)
    unlinked = [row.id for row in page.rows if not row.customer_id]
    if unlinked:
        Proposal_ = current_state().models.MatchProposal
        shown = (
            _open_proposals(realm_id, show_hidden)
            .where(Proposal_.contact_id.in_(unlinked))
            .order_by(Proposal_.contact_id, Proposal_.score.desc(), Proposal_.id)
        )
        for contact_id, *proposal in current_state().db.session.execute(shown):
            next(row for row in page.rows if row.id == contact_id).proposals.append(Proposal(*proposal))
    return page


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


#: History's sort keys (newest first by default).
HISTORY_SORTS = ("when", "source", "side", "field")


@dataclass(frozen=True)
class HistoryFilter:
    """History's filters: a contact (its id, from a link) or contacts by name, how, which side, when."""

    contact_id: str = ""
    name: str = ""
    source: str = ""
    side: str = ""
    since: date | None = None
    until: date | None = None  # inclusive


def history_grid(realm_id: str, filters: HistoryFilter) -> Grid:
    """Every field change recorded (History's grid), newest first. Contacts by name are found
    first (one subquery), and only the page's entries are named (:func:`contact_names`): joining
    every entry to its contact's name would cost a look-up per entry."""
    state = current_state()
    store, Change = state.contacts, state.models.Change
    query = sa.select(Change).where(*mine(Change), Change.realm_id == realm_id)
    if filters.contact_id:
        query = query.where(Change.contact_id == filters.contact_id)
    if filters.name.strip():
        named = store.query(store.key()).where(_contains([store.sql("display_name")], filters.name))
        query = query.where(Change.contact_id.in_(named.scalar_subquery()))
    if filters.source:
        query = query.where(Change.source == filters.source)
    if filters.side:
        query = query.where(Change.side == filters.side)
    if filters.since:
        query = query.where(Change.at >= datetime.combine(filters.since, time.min, timezone.utc))
    if filters.until:
        query = query.where(Change.at < datetime.combine(filters.until + timedelta(days=1), time.min, timezone.utc))
    sorts: dict[str, list] = {
        "": [Change.id],
        "when": [Change.at],
        "source": [Change.source],
        "side": [Change.side],
        "field": [Change.field],
    }
    return Grid(query, sorts, [Change.id], lambda row: row[0], default_descending=True)


def contact_names(contact_ids: list[str]) -> dict[str, str]:
    """The names of these contacts, by id (those that are still there)."""
    state = current_state()
    store = state.contacts
    return {store.contact_id(c): store.read(c)["display_name"] for c in store.get_many(state.db.session, contact_ids)}
