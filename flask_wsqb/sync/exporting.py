"""Export to QuickBooks: selected host contacts become (or update) QuickBooks customers.

New customers go 30 to a batch request, each batch with a deterministic ``requestid`` so
a resend replays QuickBooks' answer; once a big run has used up the batch requests QuickBooks
allows for now, rows go as single requests beside them, in the requests the batches leave.
A linked contact sends only what changed in the app since both sides last agreed (the
three-way merge of :mod:`flask_wsqb.merge`): a field changed only in QuickBooks, or changed
later there, is left as it is and the row says so.
Updates are sparse, carry the SyncToken and send nested objects whole; a stale token is
re-read and the merge decided again. No duplicate customers: an unlinked customer with the
same DisplayName is linked rather than created, and a name held by a vendor or an employee
fails the row saying so. Rows QuickBooks would refuse fail before any request.
"""

from __future__ import annotations

import hashlib
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial

import sqlalchemy as sa
from flask import current_app

from .. import fairness, signals
from ..clock import parse_time
from ..fields import FieldSet, diff, display_name, name_key
from ..models import SyncItemRecord
from ..quickbooks.budget import NoRoomNow
from ..quickbooks.errors import AuthLostError, DuplicateNameError, NotFoundError, QuickBooksError, StaleObjectError
from ..quickbooks.gateway import BATCH_SIZE, BatchItem, QuickBooksGateway
from ..state import current_state
from ..tenancy import mine
from . import history, links, merge, mirror, processing
from .processing import RowFailure

#: Single requests in flight at once from one job, at most.
SINGLES_AT_ONCE = 8
#: Batch requests' worth of rows a chunk takes at most, when the budget would send them at once.
BATCHES_PER_CHUNK = 10

GONE = "The linked QuickBooks customer no longer exists; unlink it on Match Contacts and export again."


def export_contacts(run, gateway: QuickBooksGateway) -> None:
    """Export the run's pending contacts, the local copy of the customers brought up to date first."""
    mirror.refresh_before(run, gateway)
    export_listed(run, gateway)


def export_listed(run, gateway: QuickBooksGateway) -> None:
    """Export the run's pending contacts against the local copy as it stands (a stale one costs
    a re-read of the customer: its SyncToken is refused)."""
    exporter = _Exporter(run, gateway)
    processing.process(run, exporter.export_chunk, chunk=exporter.chunk_size)


@dataclass
class _Row:
    """One contact on its way to QuickBooks."""

    item: SyncItemRecord
    op: str  # "create" or "update"
    ours: dict[str, str]  # the contact's values as Sync compares them
    body: dict = field(default_factory=dict)
    before: dict[str, str] = field(default_factory=dict)  # the customer's values before (none: a create)
    agreed: merge.Agreement | None = None  # what both sides agreed on before
    app_modified: datetime | None = None  # the contact's modified time, for the merge
    plan: merge.Plan = field(default_factory=merge.Plan)  # what goes to QuickBooks
    left: dict[str, tuple[str, str]] = field(default_factory=dict)  # newer in QuickBooks: left alone

    def decide(self, customer: dict, fields: FieldSet) -> None:
        """Merge against ``customer`` as QuickBooks holds it now; the body sends what the app won."""
        self.before = fields.customer_values(customer)
        newer = merge.app_is_newer(
            self.app_modified, parse_time((customer.get("MetaData") or {}).get("LastUpdatedTime"))
        )
        self.plan, self.left = merge.decide(self.ours, self.before, self.agreed, app_is_newer=newer).only(
            merge.QUICKBOOKS
        )
        changes = {f: new for f, (_old, new) in self.plan.to_quickbooks.items()}
        self.body = fields.update_body(customer, changes) if changes else {}


class _Exporter:
    def __init__(self, run, gateway: QuickBooksGateway) -> None:
        self.run = run
        self.gateway = gateway
        self.realm_id = gateway.realm_id
        self.state = current_state()
        self.store = self.state.contacts
        self.fields = self.store.fields
        self.alone: dict[str, int] = {}  # by batch requestid: its rows sent one by one, how many at once

    def chunk_size(self) -> int:
        """The rows to take next: as many batch requests' worth as the company's budget would
        start now (a chunk is one transaction: fewer, bigger ones cost the database less), or
        one batch request's worth while the budget is tight (a chunk that has sent a request
        finishes before its job can give way)."""
        budget = self.gateway.budget
        room = budget.room(self.realm_id)
        if room.batches:
            return BATCH_SIZE * min(room.batches, BATCHES_PER_CHUNK)
        # no batch room now: what the window's spare requests can send alone, or a batch to wait for
        return min(BATCH_SIZE, budget.spare(self.realm_id)) or BATCH_SIZE

    def export_chunk(self, items) -> None:
        # Read everything first and write only after QuickBooks answered: a write opens the
        # transaction, and on SQLite that locks out every other worker for its duration.
        self.received: list[dict] = []  # customers as QuickBooks answered, for the local copy
        contacts = self._contacts([item.key for item in items])
        linked = links.by_contact(self.realm_id, contacts)
        customers = mirror.get(self.realm_id, [link.customer_id for link in linked.values()])
        read = {key: self.store.read(contact, composed=True) for key, contact in contacts.items()}
        self.named = self._listed_customers_named(
            [fields["display_name"] for key, fields in read.items() if key not in linked]
        )
        planned = [
            self._plan(item, contacts.get(item.key), read.get(item.key), linked.get(item.key), customers)
            for item in items
        ]
        rows = [plan for plan in planned if isinstance(plan, _Row)]
        batch = {f"{row.op[0]}{row.item.key}": row for row in rows if row.body}
        answers = self._send(batch)
        for item, plan in zip(items, planned, strict=True):
            if isinstance(plan, str):
                processing.fail(item, plan)
        for item, plan in zip(items, planned, strict=True):
            if isinstance(plan, tuple):
                processing.apply(item, partial(self._link_existing, item.key, *plan))
        for row in rows:
            if not row.body:  # nothing the app changed: no request was needed
                processing.apply(row.item, partial(self._settle, row, customers[linked[row.item.key].customer_id].data))
        for bid, row in batch.items():
            processing.apply(row.item, partial(self._settle, row, answers.get(bid)))
        mirror.store(self.realm_id, self.received)  # what QuickBooks holds now, whatever the rows did

    def _plan(
        self, item, contact, fields: dict[str, str] | None, link, customers: dict
    ) -> str | tuple[str, str, dict[str, str]] | _Row:
        """What to do with one contact (its ``fields`` as read, the name composed): why it is
        refused, the same-named customer (id, name) to link it to with its values, or the row to
        send (a create, or an update that may be empty)."""
        if contact is None or fields is None:
            return "This contact no longer exists in the app."
        problems = self.fields.problems(fields)
        if problems:
            return " ".join(problems)
        active = not self.store.is_hidden(contact)
        ours = self.fields.values(fields, active=active)
        if link is not None:
            listed = customers.get(link.customer_id)
            if listed is None or listed.deleted:
                return GONE
            row = _Row(
                item,
                "update",
                ours,
                agreed=merge.Agreement.stored(link.baseline),
                app_modified=self.store.modified_at(contact),
            )
            row.decide(listed.data, self.fields)
            return row
        if same_name := self.named.get(name_key(fields["display_name"])):
            return (*same_name, ours)
        plan = merge.Plan(to_quickbooks={f: ("", v) for f, v in ours.items() if v})
        return _Row(item, "create", ours, body=self.fields.new_customer(fields, active=active), plan=plan)

    def _send(self, rows: dict[str, _Row]) -> dict:
        """QuickBooks' answer (a customer or an error) for each row, by bId, 30 rows at a time."""
        bids = list(rows)
        answers: dict = {}
        for start in range(0, len(bids), BATCH_SIZE):
            answers.update(self._send_batch({bid: rows[bid] for bid in bids[start : start + BATCH_SIZE]}))
        return answers

    def _send_batch(self, batch: dict[str, _Row]) -> dict:
        """One batch request's rows, in that batch request or one by one (:meth:`_alone_at_once`),
        whichever the company's budget has room for first; a chunk done again sends them as it
        did the first time."""
        request_id = self._request_id(batch)
        budget, deadline = self.gateway.budget, self.gateway.budget.deadline()
        while request_id not in self.alone:
            if at_once := self._alone_at_once(batch):
                self.alone[request_id] = at_once
                break
            self.alone[request_id] = 0
            try:
                return self._batch(batch, request_id, wait=False)
            except NoRoomNow:  # nothing was sent: another worker took the room, or the minute's
                del self.alone[request_id]  # requests are used up for now
            try:
                budget.wait_a_step(budget.step, deadline)
            except QuickBooksError as exc:
                return dict.fromkeys(batch, exc)
        if at_once := self.alone[request_id]:
            return self._each(batch, at_once)
        return self._batch(batch, request_id)

    def _batch(self, batch: dict[str, _Row], request_id: str, *, wait: bool = True) -> dict:
        try:
            items = [BatchItem(bid, row.op, row.body) for bid, row in batch.items()]
            return self.gateway.batch(items, request_id=request_id, wait=wait)
        except AuthLostError:
            raise  # every row would fail alike: the run stops and says so once
        except QuickBooksError as exc:  # the batch request itself failed: each of its rows says why
            return dict.fromkeys(batch, exc)

    def _alone_at_once(self, batch: dict[str, _Row]) -> int:
        """How many of the rows to send at once as single requests, beside the batch requests
        (0: send them in a batch request). QuickBooks takes 40 batch requests of 30 rows and 500
        requests a minute, so once the batch requests are used up for now, the requests they
        leave add up to 460 rows a minute more. Only a big run gets here (a small one finds batch
        room), and only while no batch request would wait for the requests these take
        (:meth:`Budget.spare`). Decided for each batch request's rows as they are sent: several
        workers take chunks of batch requests at once, and the last ones find the batch requests
        used up (they would wait for the next minute). As many go at once as could start now:
        more would only queue for the company's requests in flight, ahead of the batch requests."""
        budget = self.gateway.budget
        room = budget.room(self.realm_id)
        # no room for any request now (the second's or the requests in flight): whether the
        # minute's batch requests are used up cannot be told, so not yet alone
        if room.batches or not room.requests or budget.spare(self.realm_id) < len(batch):
            return 0
        return max(1, min(len(batch), room.requests, SINGLES_AT_ONCE))

    def _each(self, batch: dict[str, _Row], at_once: int) -> dict:
        """Send each row as a request of its own, several at once (the budget paces them)."""
        fairness.request_sent()  # from here the chunk finishes, whatever the waits in the threads
        app = current_app._get_current_object()  # type: ignore[attr-defined]

        def send(bid: str, row: _Row):
            # QuickBooks answers a resent request with the same requestid without doing it twice
            request_id = f"wsqb-{self.run.id}-{bid}-{row.body.get('SyncToken', '')}"[:50]
            with app.app_context():  # a refreshed token is saved to the database
                try:
                    if row.op == "create":
                        return self.gateway.create_customer(row.body, request_id=request_id)
                    return self.gateway.update_customer(row.body, request_id=request_id)
                except AuthLostError:
                    raise
                except QuickBooksError as exc:
                    return exc

        with ThreadPoolExecutor(at_once, thread_name_prefix="wsqb-single") as pool:
            answers = {bid: pool.submit(send, bid, row) for bid, row in batch.items()}
            return {bid: answer.result() for bid, answer in answers.items()}

    def _contacts(self, keys: list[str]) -> dict:
        return {self.store.contact_id(c): c for c in self.store.get_many(self.state.db.session, keys)}

    def _request_id(self, batch: dict[str, _Row]) -> str:
        digest = hashlib.sha256(
            repr(sorted((bid, row.body.get("SyncToken", "")) for bid, row in batch.items())).encode()
        ).hexdigest()[:32]
        return f"wsqb-{self.run.id}-{digest}"[:50]

    def _settle(self, row: _Row, answer) -> str:
        """Record what QuickBooks answered for one row (or, with nothing sent, what it holds)."""
        item, created = row.item, row.op == "create"
        if answer is None:
            raise RowFailure("QuickBooks did not answer for this row; run the export again.")
        if isinstance(answer, StaleObjectError):
            answer = self._retry_stale(row)
        if isinstance(answer, DuplicateNameError) and created:
            return self._link_after_duplicate(item.key, row.body["DisplayName"], row.ours)
        if isinstance(answer, NotFoundError):
            raise RowFailure(GONE)
        if isinstance(answer, QuickBooksError):
            raise answer
        sent = bool(row.body)
        if sent:
            self.received.append(answer)
        customer_id = str(answer["Id"])
        if created:
            links.link(self.realm_id, item.key, customer_id, "export", self.run.created_by)
        theirs = self.fields.customer_values(answer)
        changed = diff(row.before, theirs)
        history.record(
            self.realm_id,
            item.key,
            customer_id,
            changed,
            source=self.run.kind.source,
            side=history.QUICKBOOKS,
            by=self.run.created_by,
            run_id=self.run.id,
            conflicts=row.plan.conflicts,
        )
        links.set_baseline(
            self.realm_id, item.key, merge.next_agreement(row.agreed, row.ours, theirs, row.plan.to_quickbooks)
        )
        if sent:
            processing.notify(signals.contact_exported, contact_id=item.key, customer_id=customer_id, created=created)
        return _say(created, changed, row.left, self.fields)

    def _retry_stale(self, row: _Row):
        """Someone changed the customer meanwhile: read it and decide the merge again."""
        try:
            fresh = self.gateway.get_customer(row.body["Id"])
            row.decide(fresh, self.fields)
            if not row.body:
                return fresh
            return self.gateway.update_customer(
                row.body, request_id=f"wsqb-{self.run.id}-u{row.item.key}-{fresh['SyncToken']}"[:50]
            )
        except QuickBooksError as exc:
            return exc

    def _listed_customers_named(self, names: list[str]) -> dict[str, tuple[str, str]]:
        """(id, name) of a customer in the local list with each of these names, by compared name."""
        Customer = self.state.models.Customer
        rows = self.state.db.session.execute(
            sa.select(Customer.name_key, Customer.customer_id, Customer.display_name)
            .where(
                *mine(Customer),
                Customer.realm_id == self.realm_id,
                Customer.deleted.is_(False),
                Customer.name_key.in_({name_key(name) for name in names}),
            )
            .order_by(Customer.id.desc())  # the first listed wins, as before: it is written last
        )
        return {key: (customer_id, name) for key, customer_id, name in rows}

    def _link_after_duplicate(self, contact_id: str, name: str, ours: dict[str, str]) -> str:
        """QuickBooks said the name is taken (6240): by a customer we can link, or not."""
        found = self.gateway.find_by_display_name(name)
        self.received.extend(found)
        if not found:
            raise RowFailure(self._name_holder(name))
        return self._link_existing(contact_id, str(found[0]["Id"]), display_name(found[0]), ours, found[0])

    def _link_existing(
        self, contact_id: str, customer_id: str, customer_name: str, ours: dict[str, str], customer: dict | None = None
    ) -> str:
        """Link to the customer of that name (as QuickBooks sent it, or else as listed)."""
        holder = links.contacts_by_customer(self.realm_id, [customer_id]).get(customer_id)
        if holder is not None:
            raise RowFailure(
                f"The QuickBooks customer '{customer_name}' already has this name and is linked to "
                "another contact. Rename one of them and export again."
            )
        links.link(self.realm_id, contact_id, customer_id, "export", self.run.created_by)
        if customer is None:
            listed = mirror.get(self.realm_id, [customer_id]).get(customer_id)
            customer = listed.data if listed is not None else None
        theirs = self.fields.customer_values(customer) if customer is not None else {}
        links.set_baseline(self.realm_id, contact_id, merge.next_agreement(None, ours, theirs))
        return " ".join(
            filter(
                None,
                (
                    f"Linked to the existing QuickBooks customer '{customer_name}' with the same name "
                    "(nothing duplicated).",
                    merge.hidden_state_note(ours, theirs),
                ),
            )
        )

    def _name_holder(self, name: str) -> str:
        for entity, words in (("Vendor", "a vendor"), ("Employee", "an employee")):
            if self.gateway.find_by_display_name(name, entity):
                return (
                    f"The name '{name}' is used by {words} in QuickBooks; customers, vendors and "
                    "employees must have different names. Rename the contact and export again."
                )
        return f"QuickBooks says the name '{name}' is already in use; rename the contact and export again."


def _say(created: bool, changed: dict, left: dict, fields: FieldSet) -> str:
    if created:
        said = "Created in QuickBooks."
    elif changed:
        said = "Updated in QuickBooks: " + ", ".join(fields.label(f) for f in changed) + "."
    else:
        said = "Nothing to send: QuickBooks already has the app's values."
    return " ".join(filter(None, (said, merge.left_alone(merge.QUICKBOOKS, left, fields))))
