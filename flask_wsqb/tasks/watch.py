"""Where the app's own edits enter automatic sync: the host's session, seen as it commits.

After each flush the contacts of the host's model that were created or changed are noted on
the session; just before the transaction commits they are recorded as waiting
(flask_wsqb.sync.auto) for the firms whose sync runs both ways, in that same transaction (the
edit and its record are saved together or not at all), and once it has committed a round is
asked for after ``WSQB_PUSH_DELAY``. Whether a contact really differs from what both sides
agreed is for the round to decide: edits the extension made itself agree already, and are not
sent back.

A host writing contacts outside SQLAlchemy calls ``wsqb.contact_changed(contact_id)``.
"""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from flask import current_app, has_app_context
from sqlalchemy import orm

from ..clock import utcnow
from ..config import setting
from ..state import WSQBState
from ..sync import auto
from ..tenancy import current_tenant
from .rounds import schedule_round

#: session.info keys: the contacts noted in the transaction ({tenant: {contact id: created}}),
#: and the firms a round is to be asked for once it commits.
_NOTED, _ROUNDS = "wsqb_contacts_changed", "wsqb_rounds"
_watching = False


def watch() -> None:
    """Listen to every session of this process, once (each app's own contacts are picked out)."""
    global _watching
    if _watching:
        return
    sa.event.listen(orm.Session, "after_flush", _note)
    sa.event.listen(orm.Session, "before_commit", _record)
    sa.event.listen(orm.Session, "after_commit", _ask_for_rounds)
    sa.event.listen(orm.Session, "after_transaction_end", _forget)
    _watching = True


def changed(contacts: dict[str, dict[str, bool]]) -> None:
    """Record ``{tenant: {contact id: created}}`` as changed (in a transaction of its own), and ask
    for the rounds."""
    state = _state()
    if state is None or not contacts:
        return
    with state.db.engine.begin() as connection:
        tenants = auto.contacts_changed(connection, contacts)
    _schedule(tenants)


def _schedule(tenants: list[str]) -> None:
    at = utcnow() + timedelta(seconds=float(setting("PUSH_DELAY")))
    for tenant in tenants:
        schedule_round(tenant, at)


def _state() -> WSQBState | None:
    """This app's flask-wsqb, when there is an app and it has the extension."""
    if not has_app_context():
        return None
    return current_app.extensions.get("wsqb")


def _note(session: orm.Session, _flush_context) -> None:
    state = _state()
    if state is None:
        return
    store = state.contacts
    for contact, created in [*((c, True) for c in session.new), *((c, False) for c in session.dirty)]:
        if not isinstance(contact, store.model) or not (created or session.is_modified(contact)):
            continue
        tenant = str(getattr(contact, store.tenant_attr)) if store.tenant_attr else _tenant()
        if tenant:
            noted = session.info.setdefault(_NOTED, {}).setdefault(tenant, {})
            noted[store.contact_id(contact)] = created or noted.get(store.contact_id(contact), False)


def _tenant() -> str | None:
    try:
        return current_tenant()
    except RuntimeError:  # a multi-firm app writing outside a request, with no firm said
        return None


def _record(session: orm.Session) -> None:
    """Before the commit: the noted contacts go into the transaction being committed."""
    if _state() is None:
        return
    session.flush()  # the commit's own flush comes after this event: note what it would write
    noted = session.info.pop(_NOTED, None)
    if noted:
        session.info[_ROUNDS] = auto.contacts_changed(session, noted)


def _ask_for_rounds(session: orm.Session) -> None:
    tenants = session.info.pop(_ROUNDS, None)
    if tenants:
        try:
            _schedule(tenants)
        except Exception:  # the edits are recorded: the next round (a worker's start, Sync Health) sends them
            current_app.logger.exception("flask-wsqb: automatic sync round not asked for")


def _forget(session: orm.Session, transaction: orm.SessionTransaction) -> None:
    """The outermost transaction ended without a commit (a commit has recorded them already):
    what was noted was rolled back. A savepoint's end changes nothing (a row undone in one is
    only noted in vain: the round finds it agreeing)."""
    if transaction.parent is None:
        session.info.pop(_NOTED, None)
        session.info.pop(_ROUNDS, None)
