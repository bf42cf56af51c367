"""A contact page's QuickBooks Sync actions, and the Setup history page (paged, filtered by
contact name, how, side and dates)."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for

from ..forms import ActionForm
from ..state import current_state
from ..sync import contact_sync, grids
from .access import guarded
from .params import ID, date_arg, grid_view, one_of
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


#: History's "How" and "Changed in" filters.
SOURCES = ("import", "export", "pull", "sync", "auto", "undo")
SIDES = ("app", "quickbooks")


@guarded("history")
def history_page():
    realm_id = realm_or_none()
    filters = grids.HistoryFilter(
        contact_id=request.args.get("contact", "")[:64],
        name=request.args.get("name", "")[:200],
        source=one_of(request.args.get("source"), SOURCES),
        side=one_of(request.args.get("side"), SIDES),
        since=date_arg("from"),
        until=date_arg("to"),
    )
    view = grid_view((), grids.HISTORY_SORTS)
    page = grids.history_grid(realm_id, filters).page(view) if realm_id else grids.Page([], 0, 1, view.per_page)
    return render_template(
        "wsqb/history.html",
        page=page,
        view=view,
        entries=page.rows,
        names=grids.contact_names(list({entry.contact_id for entry in page.rows})),
        connected=realm_id is not None,
        filters=filters,
        sources=SOURCES,
    )


@guarded("history", "sync")
def undo(change_id: int):
    """Undo one history entry (see contact_sync.undo); back to the page the button was on."""
    try:
        outcome = contact_sync.undo(change_id)
    except LookupError:
        abort(404)
    flash(outcome.message, "success" if outcome.ok else "error")
    back = request.form.get("next", "")
    if back.startswith("/") and not back.startswith("//"):  # this site's pages only
        return redirect(back)
    return redirect(url_for("wsqb.history"))


def register(bp: Blueprint) -> None:
    bp.add_url_rule("/contacts/<contact_id>/pull", "contact_pull", pull, methods=["POST"])
    bp.add_url_rule("/contacts/<contact_id>/sync", "contact_sync", sync, methods=["POST"])
    bp.add_url_rule("/history", "history", history_page)
    bp.add_url_rule(f"/history/<{ID}:change_id>/undo", "history_undo", undo, methods=["POST"])
