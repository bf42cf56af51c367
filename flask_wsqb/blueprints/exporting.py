"""Setup → QuickBooks → Contacts → Export to QuickBooks."""

from __future__ import annotations

from flask import Blueprint, render_template, request

from ..forms import ActionForm
from ..models import RunKind
from ..state import current_state
from ..sync import grids
from .access import guarded
from .runs import progress, realm_or_none, shown_run, start


def _selected(values: list[str]) -> list:
    """The contacts among ``values`` (ids from a form or a URL; others are left out)."""
    state = current_state()
    return state.contacts.get_many(state.db.session, values)


@guarded("export")
def form():
    run = shown_run(RunKind.EXPORT)
    search = request.args.get("q", "")
    realm_id = realm_or_none()
    rows = grids.contacts(realm_id, search=search, run_id=run.id if run else None)
    # Ticks survive a search: the search form carries them, and the page keeps them ticked.
    store = current_state().contacts
    ticked = {store.contact_id(c) for c in _selected(request.args.getlist("selected"))}
    shown = {row.id for row in rows}
    return render_template(
        "wsqb/export.html",
        rows=rows,
        run=run,
        progress=progress(run),
        search=search,
        form=ActionForm(),
        connected=realm_id is not None,
        ticked=ticked,
        ticked_elsewhere=sorted(ticked - shown),
    )


@guarded("export")
def export_selected():
    store = current_state().contacts
    rows = [(store.contact_id(c), store.read(c)["display_name"]) for c in _selected(request.form.getlist("selected"))]
    return start(RunKind.EXPORT, rows, "wsqb.export_form", "Select at least one contact to export.")


def register(bp: Blueprint) -> None:
    bp.add_url_rule("/contacts/export", "export_form", form)
    bp.add_url_rule("/contacts/export", "export_selected", export_selected, methods=["POST"])
