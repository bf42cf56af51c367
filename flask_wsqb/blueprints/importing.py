"""Setup → QuickBooks → Contacts → Import from QuickBooks."""

from __future__ import annotations

from flask import Blueprint, render_template, request
from werkzeug.datastructures import MultiDict

from ..clock import aware
from ..forms import ActionForm
from ..models import RunKind
from ..quickbooks.tokens import current_connection
from ..sync import grids, mirror, preview
from .access import guarded
from .params import grid_view, kept_args, parse_id
from .runs import all_matching, progress, realm_or_none, show_preview, shown_run, start

SORTS = ("name", "company", "email", "phone", "status", "linked")
#: The most ticks a page carries from page to page (beyond: "Select all N matching").
MOST_TICKS = 1000


def _filters(values: MultiDict | None = None) -> dict:
    values = request.args if values is None else values
    return {"show_synced": values.get("show_synced") == "1", "show_hidden": values.get("show_hidden") == "1"}


@guarded("import")
def form():
    row = current_connection()
    run = shown_run(RunKind.IMPORT, RunKind.REFRESH)
    filters = _filters()
    view = grid_view(grids.ROW_STATES, SORTS)
    item_run = run.id if run is not None and run.kind == RunKind.IMPORT else None
    if row:
        page = grids.customers(row.realm_id, **filters, run_id=item_run, view=view)
        ticked = set(mirror.get(row.realm_id, request.args.getlist("selected")[:MOST_TICKS]))
        contacts_of = grids.linked_contacts(row.realm_id, [r.id for r in page.rows if r.linked])
    else:
        page, ticked, contacts_of = grids.Page([], 0, 1, view.per_page), set(), {}
    return render_template(
        "wsqb/import.html",
        page=page,
        view=view,
        run=run,
        item_run=item_run,
        progress=progress(run),
        form=ActionForm(),
        **filters,
        connected=row is not None,
        refreshed_at=aware(row.customers_refreshed_at) if row else None,
        filter_args=kept_args(),
        ticked=ticked,
        ticked_elsewhere=sorted(ticked - {r.id for r in page.rows}),
        contacts_of=contacts_of,
    )


@guarded("import")
def import_selected():
    realm_id = realm_or_none()
    if realm_id and request.form.get("all_matching") == "1":
        # The grid's own query again, from the filters the form sent: not a list of ids.
        values = request.form
        view = grid_view(grids.ROW_STATES, SORTS, values)
        run_id = parse_id(values.get("run"))
        grid = grids.customer_grid(realm_id, **_filters(values), run_id=run_id, view=view)
        rows = all_matching(grid, view)
    else:
        selected = request.form.getlist("selected")
        known = mirror.get(realm_id, selected) if realm_id else {}
        rows = [(cid, known[cid].display_name) for cid in dict.fromkeys(selected) if cid in known]
    if realm_id and rows and request.form.get("preview") == "1":
        shown = preview.imports(realm_id, rows)
        return show_preview("Import from QuickBooks", "Customer", "Import Selected", "wsqb.import", rows, shown)
    return start(RunKind.IMPORT, rows, "wsqb.import_form", "Select at least one customer to import.")


@guarded("import")
def refresh():
    return start(RunKind.REFRESH, [], "wsqb.import_form")


def register(bp: Blueprint) -> None:
    bp.add_url_rule("/contacts/import", "import_form", form)
    bp.add_url_rule("/contacts/import", "import_selected", import_selected, methods=["POST"])
    bp.add_url_rule("/contacts/import/refresh", "import_refresh", refresh, methods=["POST"])
