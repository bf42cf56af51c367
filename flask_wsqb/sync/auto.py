"""Automatic sync: QuickBooks' changes come into the app and the app's go out, by themselves.

Three sources record what changed in ``wsqb_auto_change`` (one row per record, so repeated
changes coalesce) and ask for a *round* (flask_wsqb.tasks.scheduling):

- a webhook delivery (:func:`notified`): the customers QuickBooks names, due at once;
- a commit changing a contact (flask_wsqb.sync.watch, :func:`contacts_changed`): due
  ``WSQB_PUSH_DELAY`` seconds later, gathering the edits that follow;
- the clock: every ``WSQB_CATCHUP_INTERVAL`` seconds a catch-up, for the deliveries that never came.

A round (:func:`run_round`) goes through the same doors as the forms, so through the same
three-way merge, history and per-row errors. Catch-up reads what changed in QuickBooks since
the connection's mark (change data capture: whole records, whatever the deliveries said or
missed, in whatever order they came) and imports the linked customers whose values differ from
what both sides last agreed (an ``auto-import`` run); the push exports the contacts whose values
differ from it (an ``auto-export`` run). A change we wrote ourselves comes back agreeing with
the baseline, so it is not applied again: no echo, no loop.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app

from ..clock import aware, parse_time, utcnow
from ..config import setting
from ..models import AutoSync, NewContacts, NewCustomers, RunKind
from ..quickbooks import locks
from ..quickbooks.errors import AuthLostError, QuickBooksError
from ..quickbooks.factory import gateway
from ..quickbooks.gateway import BATCH_SIZE, QuickBooksGateway
from ..quickbooks.notifications import Notification
from ..quickbooks.tokens import current_connection
from ..state import current_state
from ..tenancy import current_tenant, mine
from . import exporting, importing, links, merge, mirror, proposals, runs
from .history import APP, QUICKBOOKS

#: Who the history says made automatic changes.
BY = "automatic sync"
#: Changes are asked from a little before the last answer's time: one being saved as it answered.
OVERLAP = timedelta(seconds=10)
#: After a round QuickBooks could not serve (an outage, throttling), the next one tries again then.
RETRY_AFTER = timedelta(seconds=30)
#: Records one round takes per side; the rest wait for the next round, due at once.
TAKE = 1000
#: How long a round waits for another of its firm's to end, and when it is asked for again if it
#: does not (rounds are mostly short; one waiting long would hold a worker other firms need).
BUSY_WAIT, BUSY_AGAIN = 2.0, timedelta(seconds=1)

_ignored_realms: set[str] = set()  # companies no firm connects, logged once


# -- what the sources record ---------------------------------------------------------------------


def notified(notes: Iterable[Notification]) -> list[str]:
    """Record what a webhook delivery names for every firm connected to the company with
    automatic sync on; returns those firms (each needs a round). A delivery names a company,
    not a firm: two firms may connect the same one."""
    customers = [note for note in notes if note.entity == "Customer"]
    if not customers:
        return []
    state = current_state()
    session = state.db.session
    Connection = state.models.Connection
    realms = {note.realm_id for note in customers}
    connections = session.execute(sa.select(Connection).where(Connection.realm_id.in_(realms))).scalars().all()
    for realm_id in realms - {connection.realm_id for connection in connections} - _ignored_realms:
        _ignored_realms.add(realm_id)
        current_app.logger.info(
            "flask-wsqb: webhook for QuickBooks company %s, which no firm connects: ignored", realm_id
        )
    now, tenants = utcnow(), []
    for connection in connections:
        connection.last_webhook_at = now
        if connection.auto_sync == AutoSync.OFF:
            continue
        rows = [row for note in customers if note.realm_id == connection.realm_id for row in _rows_of(note)]
        add(session, connection.tenant, QUICKBOOKS, rows, due_at=now)
        tenants.append(connection.tenant)
    session.commit()
    return tenants


def _rows_of(note: Notification) -> list[dict]:
    """A merge names the survivor and the customer merged into it: the latter's contact follows."""
    rows = [{"key": note.entity_id}]
    if note.operation == "Merge" and note.deleted_id:
        rows.append({"key": note.deleted_id, "merged_into": note.entity_id})
    return rows


def contacts_changed(executor, changed: dict[str, dict[str, bool]]) -> list[str]:
    """Record contacts changed in the app (``{tenant: {contact id: created}}``) for the firms
    whose automatic sync runs both ways; returns those firms. ``executor`` runs the SQL (a
    connection of its own: this runs just after the host's commit)."""
    Connection = current_state().models.Connection
    both = set(
        executor.execute(
            sa.select(Connection.tenant).where(Connection.tenant.in_(changed), Connection.auto_sync == AutoSync.BOTH)
        ).scalars()
    )
    due_at = utcnow() + timedelta(seconds=float(setting("PUSH_DELAY")))
    for tenant in both:
        rows = [{"key": key, "new": created} for key, created in changed[tenant].items()]
        add(executor, tenant, APP, rows, due_at=due_at)
    return sorted(both)


def add(executor, tenant: str, side: str, rows: list[dict], *, due_at: datetime) -> None:
    """Insert the rows, each ``{"key", "new"?, "merged_into"?, "forced"?}``; a record already
    waiting keeps its row and its time (the edits coalesce), and learns the rest."""
    if not rows:
        return
    AutoChange = current_state().models.AutoChange
    table: sa.Table = AutoChange.__table__  # type: ignore[attr-defined]
    values = [
        {
            "tenant": tenant,
            "side": side,
            "key": str(row["key"])[:64],
            "due_at": due_at,
            "created_at": utcnow(),
            "new": bool(row.get("new")),
            "merged_into": row.get("merged_into"),
            "forced": bool(row.get("forced")),
        }
        for row in {str(row["key"]): row for row in rows}.values()
    ]
    dialect = executor.get_bind().dialect.name if hasattr(executor, "get_bind") else executor.dialect.name
    if dialect not in ("postgresql", "sqlite"):
        _add_one_by_one(executor, AutoChange, values)
        return
    from sqlalchemy.dialects import postgresql, sqlite

    insert = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(table).values(values)
    executor.execute(
        insert.on_conflict_do_update(
            index_elements=["tenant", "side", "key"],
            set_={
                "new": sa.or_(table.c.new, insert.excluded.new),
                "merged_into": sa.func.coalesce(insert.excluded.merged_into, table.c.merged_into),
                "forced": sa.or_(table.c.forced, insert.excluded.forced),
            },
        )
    )


def _add_one_by_one(executor, AutoChange, values: list[dict]) -> None:
    """Other databases: the rows not waiting yet (a race with another process loses nothing:
    the record waits, in the other row)."""
    waiting = set(
        executor.execute(
            sa.select(AutoChange.key).where(
                AutoChange.tenant == values[0]["tenant"],
                AutoChange.side == values[0]["side"],
                AutoChange.key.in_([v["key"] for v in values]),
            )
        ).scalars()
    )
    fresh = [v for v in values if v["key"] not in waiting]
    if fresh:
        executor.execute(sa.insert(AutoChange), fresh)


# -- a round -----------------------------------------------------------------------------------------


def run_round() -> datetime | None:
    """One round for the current firm; returns when the next is due (None: automatic sync is off,
    or the connection needs reconnecting, which its pages say). A round waits a moment at most for
    another of its firm's, then is asked for again a moment later (never holding a worker long)."""
    try:
        with locks.factory()(f"auto:{current_tenant()}", wait=BUSY_WAIT):
            current_state().db.session.commit()  # a new transaction: see what the last round wrote
            return _round(current_connection())
    except locks.LockTimeout:
        return utcnow() + BUSY_AGAIN
    except AuthLostError:
        return None
    except QuickBooksError as exc:
        current_state().db.session.rollback()
        current_app.logger.warning("flask-wsqb: automatic sync round for %s postponed: %s", current_tenant(), exc)
        return utcnow() + RETRY_AFTER


def _round(connection) -> datetime | None:
    if connection is None or connection.auto_sync == AutoSync.OFF:
        _drop(APP, QUICKBOOKS)
        return None
    if connection.auth_error:
        return None
    if connection.auto_sync != AutoSync.BOTH:
        _drop(APP)  # nothing will send them
    quickbooks = gateway()
    # The app's edits first: a push is a few batch requests, a catch-up may import many rows.
    if connection.auto_sync == AutoSync.BOTH:
        push(connection, quickbooks)
    if _catch_up_due(connection):
        catch_up(connection, quickbooks)
    return next_due(connection)


def next_due(connection) -> datetime:
    """The earliest of: the next catch-up, the first record waiting."""
    AutoChange = current_state().models.AutoChange
    first = (
        current_state().db.session.execute(sa.select(sa.func.min(AutoChange.due_at)).where(*mine(AutoChange))).scalar()
    )
    catch_up_at = (aware(connection.last_catchup_at) or utcnow()) + _interval()
    return min(catch_up_at, aware(first)) if first is not None else catch_up_at


def _interval() -> timedelta:
    return timedelta(seconds=float(setting("CATCHUP_INTERVAL")))


def _catch_up_due(connection) -> bool:
    if connection.last_catchup_at is None or aware(connection.last_catchup_at) + _interval() <= utcnow():
        return True
    return bool(_due(QUICKBOOKS, limit=1))


def catch_up(connection, quickbooks: QuickBooksGateway) -> None:
    """Apply what changed in QuickBooks since the connection's mark."""
    session = current_state().db.session
    realm_id = connection.realm_id
    _resume(realm_id, RunKind.AUTO_IMPORT, lambda run: importing.import_listed(run, realm_id))
    taken = _due(QUICKBOOKS)
    since = aware(connection.auto_mark) or aware(connection.connected_at)
    customers, mark = _changes(quickbooks, since)
    mirror.store(realm_id, customers)
    failed = _follow_merges(realm_id, {row.key: row.merged_into for row in taken if row.merged_into})
    candidates = {str(customer["Id"]) for customer in customers} | {row.key for row in taken}
    forced = {row.key for row in taken if row.forced}
    to_import, to_propose = _changed_customers(connection, candidates, since - OVERLAP, forced)
    if to_propose:
        proposals.propose_for(realm_id, to_propose)
    _forget(taken)
    connection.auto_mark = mark or utcnow()
    connection.last_catchup_at = utcnow()
    rows = [(key, label) for key, label in to_import.items() if key not in failed]
    run = _start(realm_id, RunKind.AUTO_IMPORT, rows, failed)
    if run is not None:
        importing.import_listed(run, realm_id)
    else:
        session.commit()


def _changes(quickbooks: QuickBooksGateway, since: datetime) -> tuple[list[dict], datetime | None]:
    """What QuickBooks changed since ``since``, and the time to ask from next. Change data capture
    keeps 30 days and answers 1,000 records at most: beyond either, every customer is read."""
    if utcnow() - since >= mirror.CDC_HORIZON:
        return list(quickbooks.iter_customers()), utcnow()
    customers, mark = quickbooks.changes_since(since - OVERLAP)
    if len(customers) >= mirror.CDC_LIMIT:
        customers = list(quickbooks.iter_customers())
    return customers, mark


def _changed_customers(
    connection, customer_ids: set[str], new_since: datetime, forced: set[str]
) -> tuple[dict[str, str], list[str]]:
    """Of these customers (now in the local copy): the ones to import (``{id: name}``) — linked
    ones whose values differ from what both sides agreed, new ones when the connection creates
    contacts for them, the ``forced`` ones — and the new ones to propose matches for."""
    realm_id = connection.realm_id
    fields = current_state().contacts.fields
    listed = mirror.get(realm_id, customer_ids)
    linked = links.by_customer(realm_id, customer_ids)
    to_import, to_propose = {}, []
    for customer_id, row in listed.items():
        link = linked.get(customer_id)
        if customer_id in forced:
            to_import[customer_id] = row.display_name
        elif link is not None:
            agreed = merge.Agreement.stored(link.baseline)
            theirs = fields.values(fields.from_customer(row.data or {}), active=row.active)
            if row.deleted or agreed is None or merge.changed_since(theirs, agreed.quickbooks):
                to_import[customer_id] = row.display_name
        elif not row.deleted and _created_since(row.data or {}, new_since):
            if connection.new_customers == NewCustomers.CREATE:
                to_import[customer_id] = row.display_name
            elif connection.new_customers == NewCustomers.PROPOSE:
                to_propose.append(customer_id)
    return to_import, to_propose


def _created_since(customer: dict, since: datetime) -> bool:
    created = parse_time((customer.get("MetaData") or {}).get("CreateTime"))
    return created is not None and created >= since


def _follow_merges(realm_id: str, merged: dict[str, str]) -> dict[str, str]:
    """Relink the contact of each customer merged away to the customer it was merged into (with
    the agreement it had: the survivor's differences are then QuickBooks' changes). Returns
    ``{customer id: why}`` for those that could not follow."""
    failed = {}
    for gone, survivor in merged.items():
        link = links.by_customer(realm_id, [gone]).get(gone)
        if link is None:
            continue
        contact_id, baseline = link.contact_id, link.baseline
        links.unlink(realm_id, contact_id, "merge", BY)
        holder = links.contacts_by_customer(realm_id, [survivor]).get(survivor)
        if holder is not None:
            failed[gone] = (
                f"Merged in QuickBooks into customer {survivor}, which is linked to another contact; this "
                "contact was unlinked. Merge or hide the two contacts, then link on Match Contacts."
            )
            continue
        links.link(realm_id, contact_id, survivor, "merge", BY)
        if (agreed := merge.Agreement.stored(baseline)) is not None:
            links.set_baseline(realm_id, contact_id, agreed)
    return failed


def push(connection, quickbooks: QuickBooksGateway) -> None:
    """Export the contacts changed in the app whose values differ from what both sides agreed
    (and the new ones, when the connection says so)."""
    session = current_state().db.session
    store = current_state().contacts
    realm_id = connection.realm_id
    _resume(realm_id, RunKind.AUTO_EXPORT, lambda run: exporting.export_listed(run, quickbooks))
    taken = _due(APP)
    if not taken:
        return
    taken += _filling_the_last_batch(taken)
    created = {row.key for row in taken if row.new}
    forced = {row.key for row in taken if row.forced}
    contacts = {store.contact_id(c): c for c in store.get_many(session, [row.key for row in taken])}
    linked = links.by_contact(realm_id, contacts)
    rows = []
    for contact_id, contact in contacts.items():
        values = store.values(contact)
        link = linked.get(contact_id)
        if contact_id in forced:
            rows.append((contact_id, values["display_name"]))
        elif link is not None:
            agreed = merge.Agreement.stored(link.baseline)
            if agreed is None or merge.changed_since(values, agreed.app):
                rows.append((contact_id, values["display_name"]))
        elif contact_id in created and connection.new_contacts == NewContacts.EXPORT:
            rows.append((contact_id, values["display_name"]))
    _forget(taken)
    run = _start(realm_id, RunKind.AUTO_EXPORT, rows)
    if run is not None:
        exporting.export_listed(run, quickbooks)
    else:
        session.commit()


# -- the records waiting, and the runs made of them ------------------------------------------------


def _due(side: str, limit: int = TAKE) -> list:
    AutoChange = current_state().models.AutoChange
    return _waiting(side, AutoChange.due_at <= utcnow(), limit=limit)


def _filling_the_last_batch(taken: list) -> list:
    """The app's next waiting records (not due yet) that fill the push's last batch request: a
    steady stream of edits then goes 30 to a request rather than a few at a time, which would use
    up QuickBooks' 40 batch requests a minute (each sent a moment early; a later edit of one of
    them is simply sent again)."""
    room = -len(taken) % BATCH_SIZE
    if not room:
        return []
    AutoChange = current_state().models.AutoChange
    return _waiting(APP, AutoChange.id.not_in([row.id for row in taken]), limit=room)


def _waiting(side: str, condition, *, limit: int) -> list:
    """The current firm's records of ``side`` waiting that meet ``condition``, soonest due first."""
    AutoChange = current_state().models.AutoChange
    query = (
        sa.select(AutoChange)
        .where(*mine(AutoChange), AutoChange.side == side, condition)
        .order_by(AutoChange.due_at)
        .limit(limit)
    )
    return list(current_state().db.session.execute(query).scalars())


def _forget(taken: list) -> None:
    """Delete the rows a round took, in the transaction that creates its run (both or neither)."""
    if taken:
        AutoChange = current_state().models.AutoChange
        current_state().db.session.execute(sa.delete(AutoChange).where(AutoChange.id.in_([row.id for row in taken])))


def _drop(*sides: str) -> None:
    AutoChange = current_state().models.AutoChange
    session = current_state().db.session
    session.execute(sa.delete(AutoChange).where(*mine(AutoChange), AutoChange.side.in_(sides)))
    session.commit()


def _start(realm_id: str, kind: RunKind, rows: list[tuple[str, str]], failed: dict[str, str] | None = None):
    """A run of these rows (``failed`` ones already failed, saying why), committed; None when
    there is nothing to do."""
    failed = failed or {}
    if not rows and not failed:
        return None
    run = runs.create(realm_id, kind, [*rows, *((key, key) for key in failed)], created_by=BY)
    if failed:
        runs.fail_items(run.id, failed)
    return run


def _resume(realm_id: str, kind: RunKind, work) -> None:
    """Finish the runs of ``kind`` an earlier round left unfinished (its worker stopped)."""
    while (run := runs.latest_unfinished(realm_id, kind)) is not None:
        work(run)
        current_state().db.session.refresh(run)
        if not run.state.finished:
            return  # rows another worker still holds: the next round looks again


# -- settings --------------------------------------------------------------------------------------


def configure(connection, auto_sync: AutoSync, new_customers: NewCustomers, new_contacts: NewContacts) -> None:
    """Save a connection's settings. Turned on, catch-up starts from now: what changed before is
    for Import, Export and Sync, as it was."""
    if connection.auto_sync == AutoSync.OFF and auto_sync != AutoSync.OFF:
        connection.auto_mark = connection.last_catchup_at = utcnow()
    connection.auto_sync, connection.new_customers, connection.new_contacts = auto_sync, new_customers, new_contacts
    current_state().db.session.commit()
