"""Setup → QuickBooks → Contacts → Export to QuickBooks."""

from __future__ import annotations

from flask import Blueprint, render_template, request

from ..forms import ActionForm
from ..models import RunKind
from ..state import current_state
from ..sync import grids, preview
from .access import guarded
from .params import grid_view, kept_args, parse_id
from .runs import all_matching, progress, realm_or_none, show_preview, shown_run, start

SORTS = ("name", "company", "email", "phone", "hidden", "linked")
#: The most ticks a page carries from page to page (beyond: "Select all N matching").
MOST_TICKS = 1000


def _selected(values: list[str]) -> list:
    """The contacts among ``values`` (ids from a form or a URL; others are left out)."""
    state = current_state()
    return state.contacts.get_many(state.db.session, values)


def _rows(values: list[str], page: int = 1000) -> list[tuple[str, str]]:
    """``(contact id, name)`` of the contacts among ``values``, read a thousand at a time: a run
    of 100,000 never holds 100,000 contacts in memory."""
    store = current_state().contacts
    return [
        (store.contact_id(contact), store.read(contact)["display_name"])
        for start in range(0, len(values), page)
        for contact in _selected(values[start : start + page])
    ]


@guarded("export")
def form():
    run = shown_run(RunKind.EXPORT)
    view = grid_view(grids.ROW_STATES, SORTS)
    realm_id = realm_or_none()
    page = grids.contacts(realm_id, run_id=run.id if run else None, view=view)
    # Ticks survive a search and a page change: the script carries them, the page keeps them ticked.
    store = current_state().contacts
    ticked = {store.contact_id(c) for c in _selected(request.args.getlist("selected")[:MOST_TICKS])}
    shown = {row.id for row in page.rows}
    return render_template(
        "wsqb/export.html",
        page=page,
        view=view,
        run=run,
        progress=progress(run),
        search=view.search,
        form=ActionForm(),
        connected=realm_id is not None,
        ticked=ticked,
        ticked_elsewhere=sorted(ticked - shown),
        filter_args=kept_args(),
    )


@guarded("export")
def export_selected():
    if request.form.get("all_matching") == "1":
        # The grid's own query again, from the filters the form sent: not a list of ids.
        view = grid_view(grids.ROW_STATES, SORTS, request.form)
        grid = grids.contact_grid(realm_or_none(), run_id=parse_id(request.form.get("run")), view=view)
        rows = all_matching(grid, view)
    else:
        rows = _rows(request.form.getlist("selected"))
    if rows and request.form.get("preview") == "1":
        shown = preview.exports(realm_or_none(), rows)
        return show_preview("Export to QuickBooks", "Contact", "Export Selected", "wsqb.export", rows, shown)
    return start(RunKind.EXPORT, rows, "wsqb.export_form", "Select at least one contact to export.")


def register(bp: Blueprint) -> None:
    bp.add_url_rule("/contacts/export", "export_form", form)
    bp.add_url_rule("/contacts/export", "export_selected", export_selected, methods=["POST"])
