"""Setup → QuickBooks → Contacts → Export to QuickBooks."""
from __future__ import annotations

from flask import Blueprint, render_template, request

from .. import grids
from ..extension import current_state
from ..forms import ActionForm
from . import guarded
from .runs import progress, realm_or_none, shown_run, start


@guarded("export")
def form():
    run = shown_run("export")
    search = request.args.get("q", "")
    realm_id = realm_or_none()
    rows = grids.contacts(realm_id, search=search, run_id=run.id if run else None)
    return render_template("wsqb/export.html", rows=rows, run=run, progress=progress(run), search=search,
                           form=ActionForm(), connected=realm_id is not None)


@guarded("export")
def export_selected():
    state = current_state()
    selected = request.form.getlist("selected")
    contacts = state.contacts.get_many(state.db.session, selected)
    rows = [(state.contacts.contact_id(c), state.contacts.read(c)["display_name"]) for c in contacts]
    return start("export", rows, "wsqb.export_form", "Select at least one contact to export.")


def register(bp: Blueprint) -> None:
    bp.add_url_rule("/contacts/export", "export_form", form)
    bp.add_url_rule("/contacts/export", "export_selected", export_selected, methods=["POST"])
