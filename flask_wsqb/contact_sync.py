"""Pull and Sync for one contact, run at once from the contact page.

**Pull** is a deliberate overwrite: QuickBooks' data replaces the contact's.

**Sync** is better than "newest wins", which loses edits (a phone changed in the app on
Monday overwritten by an address changed in QuickBooks on Tuesday). Each link keeps the
values both sides agreed on at its last sync (its *baseline*). A field changed on one side
only takes that side's value; a field changed on both takes the newer side's value and is
recorded as a conflict; unchanged fields are left alone. With no baseline yet (a first sync)
every differing field takes the newer side's value. **On a tie** (same modified time, or the
contact has none) QuickBooks wins: it is the firm's books of record.

QuickBooks is updated first, sparsely and with its SyncToken (a stale token is re-read and
the decision made again); the app's changes are committed only after QuickBooks accepted,
so an error from QuickBooks leaves both sides as they were.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

import sqlalchemy as sa

from . import connection, history, links, locks, mapping, mirror
from .errors import DuplicateNameError, NotFoundError, QuickBooksError, StaleObjectError
from .extension import current_state
from .history import APP, QUICKBOOKS
from .mirror import parse_time


@dataclass
class Outcome:
    ok: bool
    message: str


@dataclass
class Plan:
    """What Sync will change: ``{field: (old, new)}`` per side, and the conflicts."""

    to_app: dict[str, tuple[str, str]] = field(default_factory=dict)
    to_quickbooks: dict[str, tuple[str, str]] = field(default_factory=dict)
    conflicts: set[str] = field(default_factory=set)


def decide(app: dict[str, str], quickbooks: dict[str, str], baseline: dict[str, str] | None,
           *, app_is_newer: bool) -> Plan:
    """Pure: which side's value each differing field takes."""
    plan = Plan()
    for name, ours in app.items():
        theirs = quickbooks.get(name, "")
        if ours == theirs:
            continue
        agreed = None if baseline is None else baseline.get(name)
        app_changed = agreed is None or ours != agreed
        quickbooks_changed = agreed is None or theirs != agreed
        app_wins = app_changed
        if app_changed and quickbooks_changed:
            app_wins = app_is_newer
            if agreed is not None:
                plan.conflicts.add(name)
        if app_wins:
            plan.to_quickbooks[name] = (theirs, ours)
        else:
            plan.to_app[name] = (ours, theirs)
    return plan


class _Contact:
    """One contact and, if there is one, its customer in QuickBooks."""

    def __init__(self, contact_id: str) -> None:
        self.state = current_state()
        self.store = self.state.contacts
        self.session = self.state.db.session
        self.contact = self.store.get(self.session, contact_id)
        if self.contact is None:
            raise LookupError(contact_id)
        self.contact_id = self.store.contact_id(self.contact)
        self.gateway = connection.gateway()
        self.realm_id = self.gateway.realm_id
        self.by = self.state.extension.current_user_name()
        self.link = self.session.execute(sa.select(self.state.models.ContactLink).where(
            self.state.models.ContactLink.realm_id == self.realm_id,
            self.state.models.ContactLink.contact_id == self.contact_id)).scalar()

    @property
    def fields(self) -> dict[str, str]:
        fields = self.store.read(self.contact)
        fields["display_name"] = mapping.compose_display_name(fields)
        return fields

    @property
    def values(self) -> dict[str, str]:
        return mapping.sync_fields(self.fields, active=not self.store.is_hidden(self.contact))

    def find_customer(self) -> dict | None:
        """The linked customer, else the unlinked one with exactly this name (then linked)."""
        if self.link is not None:
            try:
                return self.gateway.get_customer(self.link.customer_id)
            except NotFoundError:
                raise QuickBooksError(
                    "The linked QuickBooks customer no longer exists (merged or deleted). "
                    "Unlink it on Match Contacts; nothing was changed.") from None
        name = self.fields["display_name"]
        if not name:
            return None
        taken = links.contacts_by_customer(self.realm_id)
        for customer in self.gateway.find_by_display_name(name):
            if str(customer["Id"]) not in taken and mapping.name_key(mapping.display_name(customer)) == mapping.name_key(name):
                return customer
        return None

    def ensure_link(self, customer_id: str, how: str) -> None:
        if self.link is None:
            self.link = links.link(self.realm_id, self.contact_id, customer_id, how, self.by)

    def write_app(self, changes: dict[str, tuple[str, str]]) -> None:
        self.store.write(self.contact, {f: new for f, (_old, new) in changes.items() if f != "active"})
        if "active" in changes:
            self.store.set_hidden(self.contact, changes["active"][1] != "yes")

    def settle(self, customer: dict, agreed: dict[str, str], source: str, plan: Plan) -> None:
        """Record the result: baseline, history, the local list; then commit."""
        links.set_baseline(self.realm_id, self.contact_id, agreed)
        for side, changes in ((APP, plan.to_app), (QUICKBOOKS, plan.to_quickbooks)):
            history.record(self.realm_id, self.contact_id, str(customer["Id"]), changes, source=source,
                           side=side, by=self.by, conflicts=plan.conflicts)
        mirror.store(self.realm_id, [customer])
        self.session.commit()


def _contact_action(action):
    """Run ``action(one)`` for one contact, one such action at a time per contact (two at once
    would each decide on what the other is changing; across workers when Redis is configured).
    A QuickBooks error rolls back whatever the action had changed in the app."""

    def run(contact_id: str) -> Outcome:
        with locks.factory()(f"contact:{contact_id}"):
            one = _Contact(contact_id)
            try:
                return action(one)
            except QuickBooksError as exc:
                one.session.rollback()
                return Outcome(False, f"Nothing was changed: {exc}")

    run.__doc__ = action.__doc__
    return run


@_contact_action
def pull(one: _Contact) -> Outcome:
    """Overwrite the contact with its customer's data from QuickBooks."""
    customer = one.find_customer()
    if customer is None:
        return Outcome(False, f"No QuickBooks customer named '{one.fields['display_name']}' was found. "
                              "Nothing was changed.")
    theirs = mapping.customer_values(customer)
    plan = Plan(to_app=mapping.diff(one.values, theirs))
    one.write_app(plan.to_app)
    one.ensure_link(str(customer["Id"]), "pull")
    one.settle(customer, theirs, "pull", plan)
    return Outcome(True, describe("Pulled from QuickBooks", plan))


@_contact_action
def sync(one: _Contact) -> Outcome:
    """Bring the contact and its customer together, field by field (see the module doc)."""
    customer = one.find_customer()
    if customer is None:
        return _create(one)
    for _attempt in range(3):
        plan = decide(one.values, mapping.customer_values(customer), one.link.baseline if one.link else None,
                      app_is_newer=_app_is_newer(one, customer))
        if not plan.to_quickbooks:
            break
        try:
            customer = _push(one, customer, plan)
            break
        except StaleObjectError:  # changed in QuickBooks meanwhile: read it and decide again
            customer = one.gateway.get_customer(customer["Id"])
    else:
        raise QuickBooksError("The customer keeps changing in QuickBooks; try again in a moment.")
    one.write_app(plan.to_app)
    one.ensure_link(str(customer["Id"]), "sync")
    one.settle(customer, one.values, "sync", plan)  # both sides now hold the app's values
    return Outcome(True, describe("Synced", plan))


def _app_is_newer(one: _Contact, customer: dict) -> bool:
    ours = one.store.modified_at(one.contact)
    theirs = parse_time((customer.get("MetaData") or {}).get("LastUpdatedTime"))
    if ours is None:
        return False
    return theirs is None or ours > theirs


def _push(one: _Contact, customer: dict, plan: Plan) -> dict:
    values = {f: new for f, (_old, new) in plan.to_quickbooks.items() if f != "active"}
    active = plan.to_quickbooks["active"][1] == "yes" if "active" in plan.to_quickbooks else None
    body = {**mapping.fields_to_customer(values, active=active), "Id": customer["Id"],
            "SyncToken": customer["SyncToken"]}
    return one.gateway.update_customer(body, request_id=_request_id("u", one.contact_id, body))


def _create(one: _Contact) -> Outcome:
    """No customer yet: create it, as Export would."""
    fields = one.fields
    problems = mapping.problems(fields)
    if problems:
        return Outcome(False, "Nothing was changed: " + " ".join(problems))
    body = mapping.fields_to_customer(fields, active=not one.store.is_hidden(one.contact))
    try:
        customer = one.gateway.create_customer(body, request_id=_request_id("c", one.contact_id, body))
    except DuplicateNameError:
        return Outcome(False, f"Nothing was changed: the name '{fields['display_name']}' is already used in "
                              "QuickBooks by a vendor, an employee or a customer linked to another contact.")
    plan = Plan(to_quickbooks={f: ("", v) for f, v in one.values.items() if v})
    one.ensure_link(str(customer["Id"]), "sync")
    one.settle(customer, one.values, "sync", plan)
    return Outcome(True, describe("Created in QuickBooks", plan))


def _request_id(kind: str, contact_id: str, body: dict) -> str:
    digest = hashlib.sha256(repr(sorted(body.items())).encode()).hexdigest()[:24]
    return f"wsqb-{kind}{contact_id}-{digest}"[:50]


def describe(what: str, plan: Plan) -> str:
    """Exactly which fields changed on which side, in words."""
    parts = []
    for where, changes in (("in the app", plan.to_app), ("in QuickBooks", plan.to_quickbooks)):
        if changes:
            listed = ", ".join(f"{mapping.label(f)} ('{old}' → '{new}')" for f, (old, new) in changes.items())
            parts.append(f"Changed {where}: {listed}.")
    if plan.conflicts:
        parts.append("Changed on both sides since the last sync, the newer value was kept: "
                     + ", ".join(mapping.label(f) for f in sorted(plan.conflicts)) + ".")
    return f"{what}. " + (" ".join(parts) if parts else "Nothing needed changing.")
