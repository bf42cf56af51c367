"""Pull, Sync and Undo for one contact, run at once from the contact page and the history.

**Pull** is a deliberate overwrite: QuickBooks' data replaces the contact's.

**Sync** never loses an edit: it is the three-way field merge of :mod:`flask_wsqb.merge`
(each link keeps the values both sides last agreed on; a field changed on one side only takes
that side's value; a field changed on both takes the newer side's and is a conflict; on a tie
QuickBooks wins), applied to both sides.

QuickBooks is updated first, sparsely and with its SyncToken, nested objects whole (a stale
token is re-read and the decision made again); the app's changes are committed only after
QuickBooks accepted, so an error from QuickBooks leaves both sides as they were.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import SQLAlchemyError

from ..clock import parse_time
from ..contacts import ContactWriteError
from ..fields import diff, display_name, name_key
from ..quickbooks import locks
from ..quickbooks.errors import DuplicateNameError, NotFoundError, QuickBooksError, StaleObjectError
from ..quickbooks.factory import gateway
from ..state import current_state
from ..tenancy import current_tenant, mine
from . import history, links, merge, mirror
from .history import APP, QUICKBOOKS
from .merge import Plan, describe


@dataclass
class Outcome:
    ok: bool
    message: str
    #: Nothing was done: the user is to confirm first (Sync would create a customer).
    needs_confirmation: bool = False


class _Contact:
    """One contact and, if there is one, its customer in QuickBooks."""

    def __init__(self, contact) -> None:
        self.state = current_state()
        self.store = self.state.contacts
        self.session = self.state.db.session
        self.contact = contact
        self.contact_id = self.store.contact_id(contact)
        self.gateway = gateway()
        self.realm_id = self.gateway.realm_id
        self.by = self.state.extension.current_user_name()
        self.link = self.session.execute(
            sa.select(self.state.models.ContactLink).where(
                *mine(self.state.models.ContactLink),
                self.state.models.ContactLink.realm_id == self.realm_id,
                self.state.models.ContactLink.contact_id == self.contact_id,
            )
        ).scalar()

    @property
    def agreed(self) -> merge.Agreement | None:
        """What both sides last agreed on (None: never synced, or not linked yet)."""
        return merge.Agreement.stored(self.link.baseline) if self.link is not None else None

    @property
    def fields(self) -> dict[str, str]:
        return self.store.read(self.contact, composed=True)

    @property
    def values(self) -> dict[str, str]:
        return self.store.values(self.contact)

    def find_customer(self) -> dict | None:
        """The linked customer, else the unlinked one with exactly this name (then linked)."""
        if self.link is not None:
            try:
                return self.gateway.get_customer(self.link.customer_id)
            except NotFoundError:
                raise QuickBooksError(
                    "The linked QuickBooks customer no longer exists (merged or deleted). "
                    "Unlink it on Match Contacts; nothing was changed."
                ) from None
        name = self.fields["display_name"]
        if not name:
            return None
        taken = links.contacts_by_customer(self.realm_id)
        for customer in self.gateway.find_by_display_name(name):
            if str(customer["Id"]) not in taken and name_key(display_name(customer)) == name_key(name):
                return customer
        return None

    def ensure_link(self, customer_id: str, how: str) -> None:
        if self.link is None:
            self.link = links.link(self.realm_id, self.contact_id, customer_id, how, self.by)

    def write_app(self, plan: Plan) -> Plan:
        """Write what the plan takes from QuickBooks into the contact; the plan as it turned out in
        the app, read back (a field the model computes may not take a value; another may follow)."""
        before = self.values
        changes = plan.to_app
        self.store.write(self.contact, {f: new for f, (_old, new) in changes.items() if f != "active"})
        if "active" in changes:
            self.store.set_hidden(self.contact, changes["active"][1] != "yes")
        applied = diff(before, self.values)
        return Plan(applied, plan.to_quickbooks, plan.conflicts & (set(applied) | set(plan.to_quickbooks)))

    def settle(self, customer: dict, source: str, plan: Plan, written: Iterable[str]) -> None:
        """Record the result: what both sides now agree on, history, the local list; then commit."""
        agreed = merge.next_agreement(self.agreed, self.values, self.store.fields.customer_values(customer), written)
        links.set_baseline(self.realm_id, self.contact_id, agreed)
        for side, changes in ((APP, plan.to_app), (QUICKBOOKS, plan.to_quickbooks)):
            history.record(
                self.realm_id,
                self.contact_id,
                str(customer["Id"]),
                changes,
                source=source,
                side=side,
                by=self.by,
                conflicts=plan.conflicts,
            )
        mirror.store(self.realm_id, [customer])
        self.session.commit()


def _contact_action(action):
    """Run ``action(one)`` for one contact, one such action at a time per contact (two at once
    would each decide on what the other is changing; across workers when Redis is configured).
    A QuickBooks error rolls back whatever the action had changed in the app."""

    def run(contact_id: str, **options: Any) -> Outcome:
        """``contact_id`` as the contact store reads it; LookupError when there is no such contact."""
        store = current_state().contacts
        session = current_state().db.session
        contact = store.get(session, contact_id)
        if contact is None:
            raise LookupError(contact_id)
        with locks.factory()(f"contact:{current_tenant()}:{store.contact_id(contact)}"):
            try:
                return action(_Contact(contact), **options)
            except (QuickBooksError, ContactWriteError) as exc:  # not connected, to reconnect, a refused value
                session.rollback()
                return Outcome(False, f"Nothing was changed: {exc}")
            except SQLAlchemyError as exc:  # the host's model refused the write, or a link raced ours
                session.rollback()
                reason = str(getattr(exc, "orig", exc)).strip().splitlines()[0]
                return Outcome(
                    False,
                    f"The app's database refused the change ({reason}); the contact was "
                    "left as it was. Try again, or correct the contact first.",
                )

    run.__doc__ = action.__doc__
    return run


@_contact_action
def pull(one: _Contact) -> Outcome:
    """Overwrite the contact with its customer's data from QuickBooks."""
    customer = one.find_customer()
    if customer is None:
        return Outcome(
            False, f"No QuickBooks customer named '{one.fields['display_name']}' was found. Nothing was changed."
        )
    wanted = Plan(to_app=diff(one.values, one.store.fields.customer_values(customer)))
    plan = one.write_app(wanted)
    one.ensure_link(str(customer["Id"]), "pull")
    one.settle(customer, "pull", plan, written=wanted.to_app)
    return Outcome(True, describe("Pulled from QuickBooks", plan, one.store.fields))


@_contact_action
def sync(one: _Contact, *, create: bool = False) -> Outcome:
    """Bring the contact and its customer together, field by field (see the module doc). With no
    customer to sync with, one is created only when ``create`` says the user confirmed it."""
    customer = one.find_customer()
    if customer is None and not create:
        return Outcome(
            False,
            f"'{one.fields['display_name']}' is not linked to a QuickBooks customer, and no customer has "
            "that name. Create one in QuickBooks from this contact?",
            needs_confirmation=True,
        )
    if customer is None:
        return _create(one)
    for _attempt in range(3):
        newer = merge.app_is_newer(
            one.store.modified_at(one.contact), parse_time((customer.get("MetaData") or {}).get("LastUpdatedTime"))
        )
        plan = merge.decide(
            one.values,
            one.store.fields.customer_values(customer),
            one.agreed,
            app_is_newer=newer,
        )
        if not plan.to_quickbooks:
            break
        try:
            customer = _push(one, customer, plan)
            break
        except StaleObjectError:  # changed in QuickBooks meanwhile: read it and decide again
            customer = one.gateway.get_customer(customer["Id"])
    else:
        raise QuickBooksError("The customer keeps changing in QuickBooks; try again in a moment.")
    applied = one.write_app(plan)
    one.ensure_link(str(customer["Id"]), "sync")
    one.settle(customer, "sync", applied, written=set(plan.to_app) | set(plan.to_quickbooks))
    return Outcome(True, describe("Synced", applied, one.store.fields))


def _push(one: _Contact, customer: dict, plan: Plan) -> dict:
    body = one.store.fields.update_body(customer, {f: new for f, (_old, new) in plan.to_quickbooks.items()})
    return one.gateway.update_customer(body, request_id=_request_id("u", one.contact_id, body))


def _create(one: _Contact) -> Outcome:
    """No customer yet: create it, as Export would."""
    fields = one.fields
    problems = one.store.fields.problems(fields)
    if problems:
        return Outcome(False, "Nothing was changed: " + " ".join(problems))
    body = one.store.fields.new_customer(fields, active=not one.store.is_hidden(one.contact))
    try:
        customer = one.gateway.create_customer(body, request_id=_request_id("c", one.contact_id, body))
    except DuplicateNameError:
        return Outcome(
            False,
            f"Nothing was changed: the name '{fields['display_name']}' is already used in "
            "QuickBooks by a vendor, an employee or a customer linked to another contact.",
        )
    plan = Plan(to_quickbooks={f: ("", v) for f, v in one.values.items() if v})
    one.ensure_link(str(customer["Id"]), "sync")
    one.settle(customer, "sync", plan, written=plan.to_quickbooks)
    return Outcome(True, describe("Created in QuickBooks", plan, one.store.fields))


#: The history entries Undo takes back (its own entries are undone by another change, not by Undo).
UNDOABLE = ("import", "export", "pull", "sync", "auto")


def undo(change_id: int) -> Outcome:
    """Put back the value one history entry replaced, on the side it changed, if that side still
    holds the value the entry wrote (else nothing is done, and the outcome says why). The field is
    then agreed as both sides hold it (the other side keeps its value: only the one change is
    undone), and the undo is recorded as an entry of its own. LookupError: no such entry here."""
    state = current_state()
    change = state.db.session.get(state.models.Change, change_id)
    if change is None or change.tenant != current_tenant() or change.source not in UNDOABLE:
        raise LookupError(change_id)
    return _undo(change.contact_id, change=change)


@_contact_action
def _undo(one: _Contact, *, change) -> Outcome:
    label = one.store.fields.label(change.field)
    if one.link is None or one.link.customer_id != change.customer_id or one.realm_id != change.realm_id:
        return Outcome(
            False, f"Nothing was undone: the contact is no longer linked to the customer the {label} changed with."
        )
    customer = one.gateway.get_customer(change.customer_id)
    side_values = one.values if change.side == APP else one.store.fields.customer_values(customer)
    if side_values.get(change.field, "") != change.new:
        where = "in the app" if change.side == APP else "in QuickBooks"
        return Outcome(
            False,
            f"Nothing was undone: the {label} was changed again {where} since "
            f"('{side_values.get(change.field, '')}' now, not '{change.new}').",
        )
    back = {change.field: (change.new, change.old)}
    if change.side == APP:
        plan = one.write_app(Plan(to_app=back))
    else:
        plan = Plan(to_quickbooks=back)
        customer = _push(one, customer, plan)
    one.settle(customer, "undo", plan, written={change.field})
    where = "in the app" if change.side == APP else "in QuickBooks"
    return Outcome(True, f"Undone {where}: {label} is '{change.old}' again (it was '{change.new}').")


def _request_id(kind: str, contact_id: str, body: dict) -> str:
    digest = hashlib.sha256(repr(sorted(body.items())).encode()).hexdigest()[:24]
    return f"wsqb-{kind}{contact_id}-{digest}"[:50]
