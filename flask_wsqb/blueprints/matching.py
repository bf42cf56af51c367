"""Setup → QuickBooks → Contacts → Match Contacts."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for

from ..forms import ActionForm
from ..models import RunKind
from ..state import current_state
from ..sync import grids, mirror, proposals
from .access import guarded
from .params import ID, grid_view, kept_args
from .runs import progress, realm_or_none, shown_run, start

#: Accept-all default: the engine's confident proposals score at least this.
DEFAULT_ACCEPT_SCORE = 90


def _filters() -> dict:
    return {
        "hide_synced": request.args.get("hide_synced") == "1",
        "show_hidden": request.args.get("show_hidden") == "1",
    }


def _back(**extra):
    return redirect(url_for("wsqb.match_form", **kept_args(), **extra))


def _contact_or_404():
    """The contact named in the URL (``contact_id``), read through the contact store."""
    state = current_state()
    contact = state.contacts.get(state.db.session, (request.view_args or {}).get("contact_id"))
    if contact is None:
        abort(404)
    return contact


def _realm() -> str:
    realm_id = realm_or_none()
    if realm_id is None:
        abort(409, "QuickBooks is not connected.")
    return realm_id


def _by() -> str | None:
    return current_state().extension.current_user_name()


#: Match's sort keys: its contacts', and its customers' (their arguments start with "c").
SORTS = ("name", "customer", "company", "email")
CUSTOMER_SORTS = ("name", "status")


@guarded("match")
def form():
    realm_id = realm_or_none()
    run = shown_run(RunKind.MATCH, RunKind.IMPORT, RunKind.EXPORT)
    filters = _filters()
    view = grid_view(grids.MATCH_STATES, SORTS)
    customer_view = grid_view((), CUSTOMER_SORTS, prefix="c")
    empty = grids.Page([], 0, 1, view.per_page)
    contacts = grids.match_contacts(realm_id, **filters, view=view) if realm_id else empty
    customers = (
        grids.customers(realm_id, show_synced=False, show_hidden=filters["show_hidden"], view=customer_view)
        if realm_id
        else empty
    )
    history = grids.link_history(realm_id) if realm_id else []
    acceptable = grids.acceptable_proposals(realm_id, DEFAULT_ACCEPT_SCORE, filters["show_hidden"]) if realm_id else []
    return render_template(
        "wsqb/match.html",
        contacts=contacts,
        customers=customers,
        view=view,
        customer_view=customer_view,
        history=history,
        run=run,
        progress=progress(run),
        form=ActionForm(),
        connected=realm_id is not None,
        **filters,
        filter_args=kept_args(),
        accept_score=DEFAULT_ACCEPT_SCORE,
        proposed=len(acceptable),
    )


@guarded("match")
def auto_match():
    return start(RunKind.MATCH, [], "wsqb.match_form")


@guarded("match")
def accept(proposal_id: int):
    realm_id = _realm()
    _proposal_or_404(realm_id, proposal_id)
    _report(*proposals.accept(realm_id, [proposal_id], _by()))
    return _back()


def _proposal_or_404(realm_id: str, proposal_id: int) -> None:
    """The URL names one of this firm's open proposals, or there is nothing here."""
    if not proposals.is_open(realm_id, proposal_id):
        abort(404)


@guarded("match")
def accept_above():
    score = request.form.get("score", type=float)
    if score is None or not 0 <= score <= 100:
        flash("Give a score between 0 and 100.", "error")
        return _back()
    # Only the proposals the page shows: Show Hidden off leaves hidden contacts and inactive
    # customers out of the count on the button, and so out of what it accepts.
    _report(*proposals.accept_above(_realm(), score, _filters()["show_hidden"], _by()))
    return _back()


def _report(linked: int, problems: list[str]) -> None:
    if linked:
        flash(f"Linked {linked} contact{'s' * (linked != 1)}.", "success")
    for problem in problems:
        flash(problem, "warning")
    if not linked and not problems:
        flash("No proposal to accept.", "info")


@guarded("match")
def reject(proposal_id: int):
    realm_id = _realm()
    _proposal_or_404(realm_id, proposal_id)
    proposals.reject(realm_id, proposal_id)
    flash("Proposal rejected; Auto Match will not propose it again.", "success")
    return _back()


@guarded("match")
def unlink(contact_id: str):
    contact_id = current_state().contacts.contact_id(_contact_or_404())
    if proposals.unlink_by_hand(_realm(), contact_id, _by()):
        flash("Unlinked. Nothing was changed in the app or in QuickBooks.", "success")
    else:
        flash("That contact was not linked.", "info")
    return _back()


@guarded("match")
def picker(contact_id: str):
    realm_id = _realm()
    state = current_state()
    contact = _contact_or_404()
    contact_id = state.contacts.contact_id(contact)
    fields = state.contacts.read(contact)
    search = request.args.get("q")
    if search is None:  # first view: the customers most like the contact, best first
        ranked = proposals.ranked_customers(realm_id, contact)
        listed = {row.id: row for row in grids.customers_by_id(realm_id, [customer_id for customer_id, *_ in ranked])}
        found = [listed[customer_id] for customer_id, *_ in ranked if customer_id in listed]
        scores = {customer_id: (score, reason) for customer_id, score, reason in ranked}
    else:
        found = grids.customers(
            realm_id, show_synced=False, show_hidden=True, view=grids.View(search=search, per_page=50)
        ).rows
        scores = {}
    return render_template(
        "wsqb/match_link.html",
        contact_id=contact_id,
        contact=fields,
        search=search,
        customers=found,
        scores=scores,
        form=ActionForm(),
        filter_args=kept_args(),
    )


@guarded("match")
def link(contact_id: str):
    realm_id = _realm()
    customer_id = request.form.get("customer_id", "")
    state = current_state()
    contact_id = state.contacts.contact_id(_contact_or_404())
    if customer_id not in mirror.get(realm_id, [customer_id]):
        abort(404)
    try:
        proposals.link_by_hand(realm_id, contact_id, customer_id, _by())
    except ValueError as exc:
        flash(str(exc), "error")
        return _back()
    flash("Linked.", "success")
    return _back()


@guarded("match", "export")
def export_one(contact_id: str):
    store = current_state().contacts
    contact = _contact_or_404()
    return start(RunKind.EXPORT, [(store.contact_id(contact), store.read(contact)["display_name"])], "wsqb.match_form")


@guarded("match", "import")
def import_one(customer_id: str):
    known = mirror.get(_realm(), [customer_id])
    if customer_id not in known:
        abort(404)
    return start(RunKind.IMPORT, [(customer_id, known[customer_id].display_name)], "wsqb.match_form")


@guarded("match")
def undo(event_id: int):
    try:
        message = proposals.undo(_realm(), event_id, _by())
    except LookupError:
        abort(404)  # no such entry in this firm's history
    except ValueError as exc:
        flash(str(exc), "error")
        return _back()
    flash(message, "success")
    return _back()


def register(bp: Blueprint) -> None:
    bp.add_url_rule("/contacts/match", "match_form", form)
    post: dict[str, Any] = {"methods": ["POST"]}
    bp.add_url_rule("/contacts/match/auto", "match_auto", auto_match, **post)
    bp.add_url_rule("/contacts/match/accept-above", "match_accept_above", accept_above, **post)
    bp.add_url_rule(f"/contacts/match/proposals/<{ID}:proposal_id>/accept", "match_accept", accept, **post)
    bp.add_url_rule(f"/contacts/match/proposals/<{ID}:proposal_id>/reject", "match_reject", reject, **post)
    bp.add_url_rule("/contacts/match/contacts/<contact_id>/unlink", "match_unlink", unlink, **post)
    bp.add_url_rule("/contacts/match/contacts/<contact_id>/link", "match_picker", picker)
    bp.add_url_rule("/contacts/match/contacts/<contact_id>/link", "match_link", link, **post)
    bp.add_url_rule("/contacts/match/contacts/<contact_id>/export", "match_export", export_one, **post)
    bp.add_url_rule("/contacts/match/customers/<customer_id>/import", "match_import", import_one, **post)
    bp.add_url_rule(f"/contacts/match/history/<{ID}:event_id>/undo", "match_undo", undo, **post)
