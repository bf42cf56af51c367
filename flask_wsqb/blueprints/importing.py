"""Setup → QuickBooks → Contacts → Import from QuickBooks."""

from __future__ import annotations

from flask import Blueprint, render_template, request

from ..clock import aware
from ..forms import ActionForm
from ..models import RunKind
from ..quickbooks.tokens import current_connection
from ..sync import grids, mirror
from .access import guarded
from .params import kept_args
from .runs import progress, realm_or_none, shown_run, start


def _filters() -> dict:
    return {
        "show_synced": request.args.get("show_synced") == "1",
        "show_hidden": request.args.get("show_hidden") == "1",
    }


@guarded("import")
def form():
    row = current_connection()
    run = shown_run(RunKind.IMPORT, RunKind.REFRESH)
    filters = _filters()
    item_run = run.id if run is not None and run.kind == RunKind.IMPORT else None
    rows = grids.customers(row.realm_id, **filters, run_id=item_run) if row else []
    return render_template(
        "wsqb/import.html",
        rows=rows,
        run=run,
        progress=progress(run),
        form=ActionForm(),
        **filters,
        connected=row is not None,
        refreshed_at=aware(row.customers_refreshed_at) if row else None,
        filter_args=kept_args(),
    )


@guarded("import")
def import_selected():
    realm_id = realm_or_none()
    selected = request.form.getlist("selected")
    known = mirror.get(realm_id, selected) if realm_id else {}
    rows = [(cid, known[cid].display_name) for cid in dict.fromkeys(selected) if cid in known]
    return start(RunKind.IMPORT, rows, "wsqb.import_form", "Select at least one customer to import.")


@guarded("import")
def refresh():
    return start(RunKind.REFRESH, [], "wsqb.import_form")


def register(bp: Blueprint) -> None:
    bp.add_url_rule("/contacts/import", "import_form", form)
    bp.add_url_rule("/contacts/import", "import_selected", import_selected, methods=["POST"])
    bp.add_url_rule("/contacts/import/refresh", "import_refresh", refresh, methods=["POST"])
