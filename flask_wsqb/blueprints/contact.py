"""A contact page's QuickBooks Sync actions, and the Setup history page."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for

from ..forms import ActionForm
from ..state import current_state
from ..sync import contact_sync, history
from .access import guarded
from .runs import realm_or_none


def _back_to_contact(contact_id: str):
    endpoint = current_state().extension.contact_endpoint
    if endpoint:
        return redirect(url_for(endpoint, contact_id=contact_id))
    return redirect(url_for("wsqb.history", contact=contact_id))


def _run(action, contact_id: str):
    try:
        outcome = action(contact_id)
    except LookupError:
        abort(404)
    flash(outcome.message, "success" if outcome.ok else "error")
    return _back_to_contact(contact_id)


@guarded("pull")
def pull(contact_id: str):
    return _run(contact_sync.pull, contact_id)


@guarded("sync")
def sync(contact_id: str):
    """Sync; a contact with no customer to sync with is first asked about (the same POST, with
    ``create=yes``, creates it)."""
    try:
        outcome = contact_sync.sync(contact_id, create=request.form.get("create") == "yes")
    except LookupError:
        abort(404)
    if outcome.needs_confirmation:
        back = current_state().extension.contact_endpoint
        return render_template(
            "wsqb/contact_create.html",
            message=outcome.message,
            contact_id=contact_id,
            form=ActionForm(),
            back=url_for(back, contact_id=contact_id) if back else url_for("wsqb.history"),
        )
    flash(outcome.message, "success" if outcome.ok else "error")
    return _back_to_contact(contact_id)


@guarded("history")
def history_page():
    realm_id = realm_or_none()
    filters: dict[str, Any] = {
        "contact_id": request.args.get("contact") or None,
        "source": request.args.get("source") or None,
        "side": request.args.get("side") or None,
    }
    entries = history.entries(realm_id, **filters) if realm_id else []
    state = current_state()
    shown = state.contacts.get_many(state.db.session, list({e.contact_id for e in entries}))
    names = {state.contacts.contact_id(c): state.contacts.read(c)["display_name"] for c in shown}
    return render_template(
        "wsqb/history.html",
        entries=entries,
        names=names,
        connected=realm_id is not None,
        contact=filters["contact_id"] or "",
        source=filters["source"] or "",
        side=filters["side"] or "",
    )


def register(bp: Blueprint) -> None:
    bp.add_url_rule("/contacts/<contact_id>/pull", "contact_pull", pull, methods=["POST"])
    bp.add_url_rule("/contacts/<contact_id>/sync", "contact_sync", sync, methods=["POST"])
    bp.add_url_rule("/history", "history", history_page)
