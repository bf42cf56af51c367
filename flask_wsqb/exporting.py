"""Export to QuickBooks: selected host contacts become (or update) QuickBooks customers.

New customers go 30 to a batch request, each batch with a deterministic ``requestid`` so
a resend replays QuickBooks' answer. Linked contacts update their customer sparsely with
its SyncToken (a stale token is re-read and retried once). No duplicate customers: an
unlinked customer with the same DisplayName is linked rather than created, and a name held
by a vendor or an employee fails the row saying so. Rows QuickBooks would refuse fail
before any request.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass

import sqlalchemy as sa
from flask import current_app

from . import history, links, mapping, mirror, runs, signals
from .errors import AuthLostError, DuplicateNameError, NotFoundError, QuickBooksError, StaleObjectError
from .extension import current_state
from .gateway import BATCH_SIZE, BatchItem, QuickBooksGateway
from .runs import RowFailure


def export_contacts(run, gateway: QuickBooksGateway) -> None:
    mirror.refresh_before(run, gateway)
    runs.process(run, _Exporter(run, gateway).export_chunk, chunk=BATCH_SIZE)


@dataclass
class _Row:
    """One contact on its way to QuickBooks in a batch."""

    item: object
    op: str  # "create" or "update"
    body: dict
    ours: dict[str, str]  # the contact's values as Sync compares them
    before: dict[str, str]  # the customer's values before (empty for a create)


class _Exporter:
    def __init__(self, run, gateway: QuickBooksGateway) -> None:
        self.run = run
        self.gateway = gateway
        self.realm_id = gateway.realm_id
        self.state = current_state()
        self.store = self.state.contacts

    def export_chunk(self, items) -> None:
        # Read everything first and write only after QuickBooks answered: a write opens the
        # transaction, and on SQLite that locks out every other worker for its duration.
        contacts = self._contacts([item.key for item in items])
        linked = links.customers_by_contact(self.realm_id, contacts)
        customers = mirror.get(self.realm_id, linked.values())
        refused: list[tuple[object, str]] = []
        same_names: list[tuple[object, tuple[str, str], dict[str, str]]] = []
        batch: dict[str, _Row] = {}
        for item in items:
            contact = contacts.get(item.key)
            if contact is None:
                refused.append((item, "This contact no longer exists in the app."))
                continue
            fields = self.store.read(contact)
            fields["display_name"] = mapping.compose_display_name(fields)
            problems = mapping.problems(fields)
            if problems:
                refused.append((item, " ".join(problems)))
                continue
            active = not self.store.is_hidden(contact)
            ours = mapping.sync_fields(fields, active=active)
            body = mapping.fields_to_customer(fields, active=active)
            customer_id = linked.get(item.key)
            if customer_id:
                row = customers.get(customer_id)
                body.update(Id=customer_id, SyncToken=row.sync_token if row else "0", sparse=True)
                before = mapping.customer_values(row.data) if row else {}
                batch[f"u{item.key}"] = _Row(item, "update", body, ours, before)
            elif same_name := self._listed_customer_named(fields["display_name"]):
                same_names.append((item, same_name, ours))
            else:
                batch[f"c{item.key}"] = _Row(item, "create", body, ours, {})
        try:
            answers = self.gateway.batch(
                [BatchItem(bid, row.op, row.body) for bid, row in batch.items()],
                request_id=self._request_id(batch),
            ) if batch else {}
        except AuthLostError:
            raise  # every row would fail alike: the run stops and says so once
        except QuickBooksError as exc:  # the batch request itself failed: each of its rows says why
            answers = dict.fromkeys(batch, exc)
        for item, reason in refused:
            runs.fail(item, reason)
        for item, (customer_id, customer_name), ours in same_names:
            runs.apply(item, lambda: self._link_existing(item.key, customer_id, customer_name, ours))
        for bid, row in batch.items():
            runs.apply(row.item, lambda: self._settle(row, answers.get(bid)))

    def _contacts(self, keys: list[str]) -> dict:
        return {self.store.contact_id(c): c for c in self.store.get_many(self.state.db.session, keys)}

    def _request_id(self, batch: dict[str, _Row]) -> str:
        digest = hashlib.sha256(repr(sorted(
            (bid, row.body.get("SyncToken", "")) for bid, row in batch.items()
        )).encode()).hexdigest()[:32]
        return f"wsqb-{self.run.id}-{digest}"[:50]

    def _settle(self, row: _Row, answer) -> str:
        """Record what QuickBooks answered for one row of the batch."""
        item, created = row.item, row.op == "create"
        if answer is None:
            raise RowFailure("QuickBooks did not answer for this row; run the export again.")
        if isinstance(answer, StaleObjectError):
            answer = self._retry_stale(item, row.body)
        if isinstance(answer, DuplicateNameError) and created:
            return self._link_after_duplicate(item.key, row.body["DisplayName"], row.ours)
        if isinstance(answer, NotFoundError):
            raise RowFailure("The linked QuickBooks customer no longer exists; unlink it on Match Contacts and export again.")
        if isinstance(answer, QuickBooksError):
            raise answer
        mirror.store(self.realm_id, [answer])
        customer_id = str(answer["Id"])
        if created:
            links.link(self.realm_id, item.key, customer_id, "export", self.run.created_by)
        theirs = mapping.customer_values(answer)
        history.record(self.realm_id, item.key, customer_id, mapping.diff(row.before, theirs), source="export",
                       side=history.QUICKBOOKS, by=self.run.created_by, run_id=self.run.id)
        links.set_baseline(self.realm_id, item.key, mapping.agreement(row.ours, theirs))
        signals.contact_exported.send(current_app._get_current_object(), contact_id=item.key,
                                      customer_id=customer_id, created=created)
        return "Created in QuickBooks." if created else "Updated in QuickBooks."

    def _retry_stale(self, item, body: dict):
        """Someone changed the customer meanwhile: re-read its SyncToken and try once more."""
        try:
            fresh = self.gateway.get_customer(body["Id"])
            return self.gateway.update_customer(
                {**body, "SyncToken": fresh["SyncToken"]},
                request_id=f"wsqb-{self.run.id}-u{item.key}-{fresh['SyncToken']}"[:50],
            )
        except QuickBooksError as exc:
            return exc

    def _listed_customer_named(self, name: str) -> tuple[str, str] | None:
        """(id, name) of a customer with this name in the local list, if any."""
        Customer = self.state.models.Customer
        return self.state.db.session.execute(
            sa.select(Customer.customer_id, Customer.display_name).where(
                Customer.realm_id == self.realm_id, Customer.deleted.is_(False),
                Customer.name_key == mapping.name_key(name)).limit(1)
        ).first()

    def _link_after_duplicate(self, contact_id: str, name: str, ours: dict[str, str]) -> str:
        """QuickBooks said the name is taken (6240): by a customer we can link, or not."""
        found = self.gateway.find_by_display_name(name)
        mirror.store(self.realm_id, found)
        if not found:
            raise RowFailure(self._name_holder(name))
        return self._link_existing(contact_id, str(found[0]["Id"]), mapping.display_name(found[0]), ours)

    def _link_existing(self, contact_id: str, customer_id: str, customer_name: str, ours: dict[str, str]) -> str:
        holder = links.contacts_by_customer(self.realm_id, [customer_id]).get(customer_id)
        if holder is not None:
            raise RowFailure(
                f"The QuickBooks customer '{customer_name}' already has this name and is linked to "
                "another contact. Rename one of them and export again."
            )
        links.link(self.realm_id, contact_id, customer_id, "export", self.run.created_by)
        listed = mirror.get(self.realm_id, [customer_id]).get(customer_id)
        if listed is not None:
            links.set_baseline(self.realm_id, contact_id, mapping.agreement(ours, mapping.customer_values(listed.data)))
        return f"Linked to the existing QuickBooks customer '{customer_name}' with the same name (nothing duplicated)."

    def _name_holder(self, name: str) -> str:
        for entity, words in (("Vendor", "a vendor"), ("Employee", "an employee")):
            if self.gateway.find_by_display_name(name, entity):
                return (f"The name '{name}' is used by {words} in QuickBooks; customers, vendors and "
                        "employees must have different names. Rename the contact and export again.")
        return f"QuickBooks says the name '{name}' is already in use; rename the contact and export again."
