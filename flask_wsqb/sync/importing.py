"""Import from QuickBooks: selected customers become (or update) host contacts.

Never a duplicate contact: a customer already linked updates its contact with what changed
in QuickBooks since both sides last agreed (the three-way merge of :mod:`flask_wsqb.merge`;
a field changed only in the app, or changed later there, is left as it is and the row says
so); an unlinked contact with the same name (case and spacing ignored) is linked and only its
empty fields are filled; otherwise a new contact is created, hidden when the customer is
inactive. Each row runs in its own savepoint, so a failed row never stops the others.
"""

from __future__ import annotations

from collections.abc import Iterable, Set
from functools import partial

import sqlalchemy as sa

from .. import signals
from ..clock import aware
from ..contacts import ContactWriteError
from ..fields import diff, name_key
from ..state import current_state
from ..tenancy import mine
from . import history, links, merge, mirror, processing, setwise
from .processing import RowFailure


def import_customers(run, gateway) -> None:
    """Import the run's pending customers (a re-run skips what is already done), from the
    local copy brought up to date first."""
    mirror.refresh_before(run, gateway)
    import_listed(run, gateway.realm_id)


def import_listed(run, realm_id: str) -> None:
    """Import the run's pending customers from the local copy as it stands (automatic sync has
    just brought in the ones it imports)."""
    processing.process(run, _Importer(realm_id, run).import_chunk, chunk=200)


class _Importer:
    def __init__(self, realm_id: str, run) -> None:
        self.realm_id = realm_id
        self.run = run
        self.by = run.created_by
        self.state = current_state()
        self.session = self.state.db.session
        self.store = self.state.contacts
        self.unlinked_by_name = self._unlinked_names()

    def _unlinked_names(self) -> dict[str, str]:
        """Contacts unlinked when the job started, by compared name; the oldest contact wins a
        shared name. Each chunk checks its candidates are still unlinked."""
        linked_contacts = set(links.customers_by_contact(self.realm_id))
        names: dict[str, str] = {}
        query = self.store.query(self.store.key(), self.store.sql("display_name")).order_by(self.store.sql("id").desc())
        for contact_id, name in self.session.execute(query):
            if contact_id not in linked_contacts and name:
                names[name_key(name)] = contact_id
        return names

    def import_chunk(self, items) -> None:
        """Everything the chunk's rows read is read for all of them first; in a set-wise chunk
        the new contacts are written together too (the links name their ids)."""
        keys = [item.key for item in items]
        self.customers = mirror.get(self.realm_id, keys)
        self.links = links.by_customer(self.realm_id, keys)
        self.name_keys = {key: self._name_key(key) for key in keys}
        named = {name: self.unlinked_by_name.get(name) for name in self.name_keys.values()}
        taken = links.customers_by_contact(self.realm_id, [cid for cid in named.values() if cid])
        self.same_name = {key: cid for key, cid in named.items() if cid and cid not in taken}
        wanted = [link.contact_id for link in self.links.values()] + list(self.same_name.values())
        self.contacts = {self.store.contact_id(c): c for c in self.store.get_many(self.session, wanted)}
        self.new = self._new_contacts(items) if setwise.active() else {}
        for item in items:
            processing.apply(item, partial(self.import_one, item))

    def _name_key(self, customer_id: str) -> str:
        row = self.customers.get(customer_id)
        return name_key(self.store.fields.from_customer(row.data)["display_name"]) if row and not row.deleted else ""

    def _new_contacts(self, items) -> dict:
        """The contacts the chunk creates, inserted in one statement, by customer id. A customer
        the host's model refuses is left to its row, which fails saying why."""
        created = {}
        for item in items:
            row = self.customers.get(item.key)
            if row is None or row.deleted or item.key in self.links or self.name_keys[item.key] in self.same_name:
                continue
            try:
                fields = self.store.fields.from_customer(row.data)
                created[item.key] = self.store.create(self.session, fields, hidden=not row.active, flush=False)
            except ContactWriteError:
                continue
        self.session.flush()
        return created

    def import_one(self, item) -> str:
        row = self.customers.get(item.key)
        if row is None:
            raise RowFailure("This customer is not in the QuickBooks list any more; refresh the list and try again.")
        if row.deleted:
            raise RowFailure(
                "This customer was deleted (merged) in QuickBooks after the list was loaded; nothing was imported."
            )
        fields = self.store.fields.from_customer(row.data)
        theirs = self.store.fields.values(fields, active=row.active)
        contact = self._linked_contact(item.key)
        if contact is not None:
            return self._update(contact, item.key, row, theirs)
        key = name_key(fields["display_name"])
        if key in self.same_name:
            contact = self.contacts[self.same_name.pop(key)]
            before = self._values(contact)
            filled = {f: v for f, v in fields.items() if v and not before[f]}
            self.store.write(contact, filled)
            links.link(self.realm_id, self.store.contact_id(contact), item.key, "import", self.by)
            applied = self._settle(contact, item.key, before, theirs, written=filled)
            return " ".join(
                filter(
                    None,
                    (
                        _say(
                            "Linked to the existing contact with the same name (nothing duplicated)",
                            applied,
                            self.store,
                            verb="filled",
                        ),
                        merge.hidden_state_note(self._values(contact), theirs),
                    ),
                )
            )
        contact = self.new.get(item.key)
        if contact is None:
            contact = self.store.create(self.session, fields, hidden=not row.active)
        links.link(self.realm_id, self.store.contact_id(contact), item.key, "import", self.by)
        self._settle(contact, item.key, {}, theirs, written=theirs, created=True)
        if not row.active:
            return "Imported as a new hidden contact (inactive in QuickBooks)."
        return "Imported as a new contact."

    def _update(self, contact, customer_id: str, row, theirs: dict[str, str]) -> str:
        """A linked contact takes what QuickBooks changed since both sides last agreed."""
        link = self.links.get(customer_id)
        agreed = merge.Agreement.stored(link.baseline) if link else None
        newer = merge.app_is_newer(self.store.modified_at(contact), aware(row.updated_at))
        before = self._values(contact)
        plan, left = merge.decide(before, theirs, agreed, app_is_newer=newer).only(merge.APP)
        self.store.write(contact, {f: new for f, (_old, new) in plan.to_app.items() if f != "active"})
        if "active" in plan.to_app:
            self.store.set_hidden(contact, plan.to_app["active"][1] != "yes")
        applied = self._settle(
            contact, customer_id, before, theirs, written=plan.to_app, agreed=agreed, conflicts=plan.conflicts
        )
        return " ".join(
            filter(
                None,
                (
                    _say("Updated the linked contact", applied, self.store),
                    merge.left_alone(merge.APP, left, self.store.fields),
                ),
            )
        )

    def _values(self, contact) -> dict[str, str]:
        return self.store.fields.values(self.store.read(contact), active=not self.store.is_hidden(contact))

    def _settle(
        self,
        contact,
        customer_id: str,
        before: dict[str, str],
        theirs: dict[str, str],
        *,
        written: Iterable[str],
        agreed: merge.Agreement | None = None,
        conflicts: Set[str] = frozenset(),
        created: bool = False,
    ) -> dict[str, tuple[str, str]]:
        """Record what changed in the app (read back: a field the model computes may not take a
        value, another may follow from it) and what both sides now agree on; return the changes."""
        contact_id = self.store.contact_id(contact)
        after = self._values(contact)
        applied = diff(before, after)
        history.record(
            self.realm_id,
            contact_id,
            customer_id,
            applied,
            source=self.run.kind.source,
            side=history.APP,
            by=self.by,
            run_id=self.run.id,
            conflicts=conflicts,
        )
        links.set_baseline(self.realm_id, contact_id, merge.next_agreement(agreed, after, theirs, written))
        processing.notify(signals.contact_imported, contact_id=contact_id, customer_id=customer_id, created=created)
        return applied

    def _linked_contact(self, customer_id: str):
        link = self.links.get(customer_id)
        if link is None:
            return None
        contact = self.contacts.get(link.contact_id)
        if contact is None:  # the host deleted the contact: the link points nowhere
            ContactLink = self.state.models.ContactLink
            self.session.execute(
                sa.delete(ContactLink).where(
                    *mine(ContactLink), ContactLink.realm_id == self.realm_id, ContactLink.customer_id == customer_id
                )
            )
        return contact


def _say(what: str, changed: dict, store, verb: str = "changed") -> str:
    if not changed:
        return f"{what}; nothing needed changing."
    names = ", ".join(store.fields.label(f) for f in changed)
    return f"{what}; {verb}: {names}."
