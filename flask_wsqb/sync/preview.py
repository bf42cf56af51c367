"""What an Import Selected or Export Selected would change, row by row and field by field, before
it runs: the same three-way merge the run makes (:mod:`.merge`), on the local copy of the
customers and the app's contacts. Reads only: no request to QuickBooks, nothing written."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..clock import aware
from ..state import current_state
from . import links, merge, mirror

#: The most rows a preview lists (the rest run as selected).
MOST = 500


@dataclass
class Row:
    key: str
    label: str
    #: What happens, said for the row: the changes, or why nothing changes.
    summary: str
    #: (field label, old, new) of each field the run would change.
    changes: list[tuple[str, str, str]] = field(default_factory=list)
    #: Fields the other side changed later: left as they are (the row says so).
    left: str = ""


def imports(realm_id: str, rows: list[tuple[str, str]]) -> list[Row]:
    """Each customer to import: the fields of its linked contact that would change in the app."""
    keys = [key for key, _label in rows[:MOST]]
    linked = links.by_customer(realm_id, keys)
    contacts = _contacts([link.contact_id for link in linked.values()])
    customers = mirror.get(realm_id, keys)
    pairs = {key: (contacts.get(link.contact_id), customers.get(key), link) for key, link in linked.items()}
    return _preview(rows, pairs, merge.APP, "a new contact is made, or the same-named contact linked")


def exports(realm_id: str | None, rows: list[tuple[str, str]]) -> list[Row]:
    """Each contact to export: the fields of its linked customer that would change in QuickBooks."""
    keys = [key for key, _label in rows[:MOST]]
    linked = links.by_contact(realm_id, keys) if realm_id else {}
    contacts = _contacts(keys)
    customers = mirror.get(realm_id, [link.customer_id for link in linked.values()]) if realm_id else {}
    pairs = {key: (contacts.get(key), customers.get(link.customer_id), link) for key, link in linked.items()}
    return _preview(rows, pairs, merge.QUICKBOOKS, "a new customer is made, or the same-named customer linked")


def _contacts(contact_ids: list[str]) -> dict:
    store = current_state().contacts
    return {store.contact_id(c): c for c in store.get_many(current_state().db.session, contact_ids)}


def _preview(rows: list[tuple[str, str]], pairs: dict, side: str, unlinked: str) -> list[Row]:
    """``pairs``: {key: (contact, customer's local copy, link)} of the linked rows."""
    store = current_state().contacts
    where = "in the app" if side == merge.APP else "in QuickBooks"
    found = []
    for key, label in rows[:MOST]:
        contact, customer, link = pairs.get(key, (None, None, None))
        if contact is None or customer is None:
            found.append(Row(key, label, f"Not linked yet: {unlinked}."))
            continue
        theirs = store.fields.values(store.fields.from_customer(customer.data or {}), active=customer.active)
        newer = merge.app_is_newer(store.modified_at(contact), aware(customer.updated_at))
        agreed = merge.Agreement.stored(link.baseline)
        plan, left = merge.decide(store.values(contact), theirs, agreed, app_is_newer=newer).only(side)
        changes = plan.to_app if side == merge.APP else plan.to_quickbooks
        listed = [(store.fields.label(f), old, new) for f, (old, new) in changes.items()]
        summary = (
            f"Changes {where}: {len(listed)} field{'s' * (len(listed) != 1)}." if listed else "Nothing would change."
        )
        found.append(Row(key, label, summary, listed, merge.left_alone(side, left, store.fields)))
    return found
