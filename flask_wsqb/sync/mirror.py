"""The local copy of the company's customers (``wsqb_customer``).

The Import grid and the duplicate checks read this copy instead of QuickBooks, so a
10,000-customer company answers as fast as a small one. It is brought up to date by a
full listing the first time (or when change data capture cannot cover the gap) and by
change data capture afterwards: one request when nothing much changed.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app

from ..clock import aware, parse_time, utcnow
from ..fields import is_active, name_key
from ..models import CustomerRecord
from ..quickbooks import locks
from ..quickbooks.errors import AuthLostError, QuickBooksError
from ..quickbooks.gateway import PAGE_SIZE, QuickBooksGateway
from ..state import current_state
from ..tenancy import current_tenant, mine
from . import setwise

#: QuickBooks keeps 30 days of changes; stay clear of the edge.
CDC_HORIZON = timedelta(days=29)
#: Ask for changes a little before the last refresh: clocks differ, and overlap is harmless.
CDC_OVERLAP = timedelta(minutes=5)
CDC_LIMIT = 1000  # an answer this long may be cut short


def refresh(gateway: QuickBooksGateway, *, unless_since: datetime | None = None) -> int:
    """Bring the copy up to date; returns how many customers were written.

    ``unless_since``: nothing to do if the copy was refreshed at or after this time. The jobs
    sharing a run all refresh first (with the run's creation time): one does it while the
    others wait for the lock, then find the copy fresh and go on.
    """
    with locks.factory()(f"mirror:{current_tenant()}:{gateway.realm_id}", wait=600.0):
        return _refresh(gateway, unless_since)


def refresh_before(run, gateway: QuickBooksGateway) -> None:
    """Bring the copy up to date before a run works from it (what QuickBooks holds now, not
    when the page loaded). If QuickBooks cannot be reached for that, the run goes on with the
    copy it has: its rows will say what QuickBooks answers them."""
    try:
        refresh(gateway, unless_since=run.created_at)
    except AuthLostError:
        raise  # nothing else will work either: the run fails once, saying to reconnect
    except QuickBooksError as exc:
        current_app.logger.warning("flask-wsqb: QuickBooks list not refreshed before a %s run: %s", run.kind, exc)


def _refresh(gateway: QuickBooksGateway, unless_since: datetime | None) -> int:
    state = current_state()
    session = state.db.session
    session.commit()  # a new transaction: see what the job that held the lock wrote
    Connection = state.models.Connection
    connection = session.execute(
        sa.select(Connection).where(*mine(Connection), Connection.realm_id == gateway.realm_id)
    ).scalar_one()
    started = utcnow()
    since = aware(connection.customers_refreshed_at)
    if since is not None and unless_since is not None and since >= aware(unless_since):
        return 0
    written = None
    if since is not None and started - since < CDC_HORIZON:
        changes = gateway.changed_customers(since - CDC_OVERLAP)
        if len(changes) < CDC_LIMIT:
            written = store(gateway.realm_id, changes)
    if written is None:
        written = _full_listing(gateway)
    connection.customers_refreshed_at = started
    session.commit()
    return written


def _full_listing(gateway: QuickBooksGateway) -> int:
    seen: set[str] = set()
    page: list[dict] = []
    written = 0
    for customer in gateway.iter_customers():
        page.append(customer)
        seen.add(str(customer["Id"]))
        if len(page) == PAGE_SIZE:
            written += store(gateway.realm_id, page)
            current_state().db.session.commit()  # page by page: never one long write lock (SQLite)
            page = []
    written += store(gateway.realm_id, page)
    # Customers no longer listed were merged away in QuickBooks.
    state = current_state()
    Customer = state.models.Customer
    known = state.db.session.execute(
        sa.select(Customer.customer_id).where(
            *mine(Customer), Customer.realm_id == gateway.realm_id, Customer.deleted.is_(False)
        )
    ).scalars()
    gone = [cid for cid in known if cid not in seen]
    if gone:
        state.db.session.execute(
            sa.update(Customer)
            .where(*mine(Customer), Customer.realm_id == gateway.realm_id, Customer.customer_id.in_(gone))
            .values(deleted=True)
        )
    return written


def store(realm_id: str, customers: Iterable[dict]) -> int:
    """Insert or update customers as QuickBooks returned them (CDC stubs included); returns how
    many were new or changed (a customer whose SyncToken and deletion are as stored is left
    alone: a full listing or an overlapping change capture rewrites nothing)."""
    state = current_state()
    session = state.db.session
    Customer = state.models.Customer
    rows = {str(c["Id"]): _row(realm_id, c) for c in customers}
    if not rows:
        return 0
    existing = {
        customer_id: (row_id, sync_token, deleted)
        for customer_id, row_id, sync_token, deleted in session.execute(
            sa.select(Customer.customer_id, Customer.id, Customer.sync_token, Customer.deleted).where(
                *mine(Customer), Customer.realm_id == realm_id, Customer.customer_id.in_(list(rows))
            )
        )
    }
    updates = [
        {"id": existing[cid][0], **row}
        for cid, row in rows.items()
        if cid in existing and existing[cid][1:] != (row.get("sync_token", existing[cid][1]), row["deleted"])
    ]
    inserts = [row for cid, row in rows.items() if cid not in existing]
    if updates:
        session.execute(sa.update(Customer), updates)
    if inserts:
        setwise.insert(Customer, inserts)
    return len(updates) + len(inserts)


def _row(realm_id: str, customer: dict) -> dict:
    if customer.get("status") == "Deleted":
        return {"tenant": current_tenant(), "realm_id": realm_id, "customer_id": str(customer["Id"]), "deleted": True}
    fields = current_state().contacts.fields.from_customer(customer)
    meta = customer.get("MetaData") or {}
    return {
        "tenant": current_tenant(),
        "realm_id": realm_id,
        "customer_id": str(customer["Id"]),
        "display_name": fields["display_name"],
        "name_key": name_key(fields["display_name"]),
        "company": fields["company"],
        "email": fields["email"],
        "phone": fields["phone"],
        "active": is_active(customer),
        "deleted": False,
        "sync_token": str(customer.get("SyncToken", "0")),
        "updated_at": parse_time(meta.get("LastUpdatedTime")),
        "data": customer,
    }


def get(realm_id: str, customer_ids: Iterable[str]) -> dict[str, CustomerRecord]:
    """The copies of these customers, by customer id."""
    state = current_state()
    Customer = state.models.Customer
    ids = list(customer_ids)
    rows = state.db.session.execute(
        sa.select(Customer).where(*mine(Customer), Customer.realm_id == realm_id, Customer.customer_id.in_(ids))
    ).scalars()
    return {row.customer_id: row for row in rows}
