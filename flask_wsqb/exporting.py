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

import sqlalchemy as sa
from flask import current_app

from . import links, mapping, mirror, runs, signals
from .errors import DuplicateNameError, NotFoundError, QuickBooksError, StaleObjectError
from .extension import current_state
from .gateway import BATCH_SIZE, BatchItem, QuickBooksGateway
from .runs import RowFailure


def export_contacts(run, gateway: QuickBooksGateway) -> None:
    try:
        mirror.refresh(gateway)  # current SyncTokens and names, to avoid needless faults
    except QuickBooksError as exc:
        current_app.logger.warning("QuickBooks list not refreshed before export: %s", exc)
    runs.process(run, _Exporter(run, gateway).export_chunk, chunk=BATCH_SIZE)


class _Exporter:
    def __init__(self, run, gateway: QuickBooksGateway) -> None:
        self.run = run
        self.gateway = gateway
        self.realm_id = gateway.realm_id
        self.state = current_state()
        self.store = self.state.contacts

    def export_chunk(self, items) -> None:
        contacts = self._contacts([item.key for item in items])
        linked = links.customers_by_contact(self.realm_id, contacts)
        customers = mirror.get(self.realm_id, linked.values())
        batch: dict[str, tuple] = {}  # bId -> (item, contact, fields)
        for item in items:
            contact = contacts.get(item.key)
            if contact is None:
                runs.fail(item, "This contact no longer exists in the app.")
                continue
            fields = self.store.read(contact)
            fields["display_name"] = mapping.compose_display_name(fields)
            problems = mapping.problems(fields)
            if problems:
                runs.fail(item, " ".join(problems))
                continue
            body = mapping.fields_to_customer(fields, active=not self.store.is_hidden(contact))
            customer_id = linked.get(item.key)
            if customer_id:
                row = customers.get(customer_id)
                body.update(Id=customer_id, SyncToken=row.sync_token if row else "0", sparse=True)
                batch[f"u{item.key}"] = (item, "update", body)
                continue
            same_name = self._listed_customer_named(fields["display_name"])
            if same_name:
                runs.apply(item, lambda: self._link_existing(item.key, *same_name))
            else:
                batch[f"c{item.key}"] = (item, "create", body)
        if not batch:
            return
        answers = self.gateway.batch(
            [BatchItem(bid, op, body) for bid, (_item, op, body) in batch.items()],
            request_id=self._request_id(batch),
        )
        for bid, (item, op, body) in batch.items():
            answer = answers.get(bid)
            runs.apply(item, lambda: self._settle(item, op, body, answer))

    def _contacts(self, keys: list[str]) -> dict:
        return {self.store.contact_id(c): c for c in self.store.get_many(self.state.db.session, keys)}

    def _request_id(self, batch: dict) -> str:
        digest = hashlib.sha256(repr(sorted(
            (bid, body.get("SyncToken", "")) for bid, (_i, _o, body) in batch.items()
        )).encode()).hexdigest()[:32]
        return f"wsqb-{self.run.id}-{digest}"[:50]

    def _settle(self, item, op: str, body: dict, answer) -> str:
        """Record what QuickBooks answered for one row of the batch."""
        if answer is None:
            raise RowFailure("QuickBooks did not answer for this row; run the export again.")
        if isinstance(answer, StaleObjectError):
            answer = self._retry_stale(item, body)
        if isinstance(answer, DuplicateNameError) and op == "create":
            return self._link_after_duplicate(item.key, body["DisplayName"])
        if isinstance(answer, NotFoundError):
            raise RowFailure("The linked QuickBooks customer no longer exists; unlink it on Match Contacts and export again.")
        if isinstance(answer, QuickBooksError):
            raise answer
        mirror.store(self.realm_id, [answer])
        if op == "create":
            links.link(self.realm_id, item.key, answer["Id"], "export", self.run.created_by)
        signals.contact_exported.send(current_app._get_current_object(), contact_id=item.key,
                                      customer_id=str(answer["Id"]), created=op == "create")
        return "Created in QuickBooks." if op == "create" else "Updated in QuickBooks."

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

    def _link_after_duplicate(self, contact_id: str, name: str) -> str:
        """QuickBooks said the name is taken (6240): by a customer we can link, or not."""
        found = self.gateway.find_by_display_name(name)
        mirror.store(self.realm_id, found)
        if not found:
            raise RowFailure(self._name_holder(name))
        return self._link_existing(contact_id, str(found[0]["Id"]), mapping.display_name(found[0]))

    def _link_existing(self, contact_id: str, customer_id: str, customer_name: str) -> str:
        holder = links.contacts_by_customer(self.realm_id, [customer_id]).get(customer_id)
        if holder is not None:
            raise RowFailure(
                f"The QuickBooks customer '{customer_name}' already has this name and is linked to "
                "another contact. Rename one of them and export again."
            )
        links.link(self.realm_id, contact_id, customer_id, "export", self.run.created_by)
        return f"Linked to the existing QuickBooks customer '{customer_name}' with the same name (nothing duplicated)."

    def _name_holder(self, name: str) -> str:
        for entity, words in (("Vendor", "a vendor"), ("Employee", "an employee")):
            if self.gateway.find_by_display_name(name, entity):
                return (f"The name '{name}' is used by {words} in QuickBooks; customers, vendors and "
                        "employees must have different names. Rename the contact and export again.")
        return f"QuickBooks says the name '{name}' is already in use; rename the contact and export again."
