"""Starting runs from a grid's selection, and the JSON the progress bar polls."""

from __future__ import annotations

from flask import Blueprint, abort, flash, jsonify, redirect, render_template, request, url_for

from .. import tasks
from ..clock import aware
from ..forms import ActionForm
from ..models import RunKind
from ..quickbooks.tokens import current_connection
from ..state import current_state
from ..sync import grids, reports, retry, runs
from .access import guarded, require
from .banner import connection_status
from .params import ID, here, id_arg, kept_args

#: Who may see and retry a run: the actions of the forms that show it (any of them).
RUN_ACTIONS = {
    RunKind.IMPORT: ("import",),
    RunKind.EXPORT: ("export",),
    RunKind.MATCH: ("match",),
    RunKind.REFRESH: ("import", "connection"),
    RunKind.AUTO_IMPORT: ("connection",),
    RunKind.AUTO_EXPORT: ("connection",),
}
#: The form that shows each kind of run.
_FORMS = {
    RunKind.IMPORT: "wsqb.import_form",
    RunKind.EXPORT: "wsqb.export_form",
    RunKind.MATCH: "wsqb.match_form",
    RunKind.REFRESH: "wsqb.import_form",
    RunKind.AUTO_IMPORT: "wsqb.health",
    RunKind.AUTO_EXPORT: "wsqb.health",
}
#: What a selected row is called, per kind of run, in "already being ..." messages.
_ROWS = {RunKind.IMPORT: ("customer", "imported"), RunKind.EXPORT: ("contact", "exported")}


def realm_or_none() -> str | None:
    row = current_connection()
    return row.realm_id if row else None


def start(kind: RunKind, rows: list[tuple[str, str]], back: str, nothing: str | None = None):
    """Create a run for the selected rows, start it, and go back to the form showing it.

    ``nothing`` is what to say when no row was selected (``None``: a run needs no rows). Rows
    an unfinished run of the same kind still holds are left out, and the user is told.
    """
    status = connection_status()
    if not status.connected or status.needs_reconnect:
        why = status.not_set_up or status.reconnect_reason
        flash(why or "QuickBooks is not connected. Connect on the Connection page first.", "error")
        return redirect(url_for(back, **kept_args()))
    if not rows and nothing:
        flash(nothing, "warning")
        return redirect(url_for(back, **kept_args()))
    held = runs.held(status.realm_id, kind, [key for key, _label in rows])
    if held:
        rows = [(key, label) for key, label in rows if key not in held]
        noun, verb = _ROWS.get(kind, ("row", "processed"))
        count = len(held)
        flash(
            f"{count} of the selected {noun}{'s' * (len(rows) + count != 1)} "
            f"{'is' if count == 1 else 'are'} already being {verb} by a run in progress; "
            f"{'it was' if count == 1 else 'they were'} left out.",
            "warning",
        )
        if not rows:
            return redirect(url_for(back, run=max(held.values()), **kept_args()))
    run = launch(status.realm_id, kind, rows)
    return redirect(url_for(back, run=run.id, **kept_args()))


def show_preview(title: str, noun: str, submit_label: str, endpoint: str, rows: list, shown: list):
    """The preview page of a selection (``endpoint``: the form's, ``_form`` and ``_selected``):
    the rows it describes, each ticked, and the rest of the selection carried as it is."""
    described = {row.key for row in shown}
    return render_template(
        "wsqb/preview.html",
        title=title,
        noun=noun,
        submit_label=submit_label,
        rows=shown,
        total=len(rows),
        hidden_keys=[key for key, _label in rows if key not in described],
        action=url_for(f"{endpoint}_selected"),
        back=url_for(f"{endpoint}_form", **kept_args()),
        form=ActionForm(),
    )


def all_matching(grid: grids.Grid, view: grids.View) -> list[tuple[str, str]]:
    """Every row of ``grid`` as ``(key, label)`` rows of a run ("Select all N matching"), in the
    grid's order; beyond :data:`~flask_wsqb.sync.grids.MOST_MATCHING` rows the user is told
    that only the first ones were taken."""
    rows = grid.every(view, grids.MOST_MATCHING + 1)
    if len(rows) > grids.MOST_MATCHING:
        rows = rows[: grids.MOST_MATCHING]
        flash(
            f"Only the first {grids.MOST_MATCHING:,} matching rows were taken; narrow the search "
            "or the filters for the others.",
            "warning",
        )
    return [(row.id, row.name) for row in rows]


def launch(realm_id: str, kind: RunKind, rows: list[tuple[str, str]]):
    """Create the run and hand it to a worker; if the queue is down, say so on the page."""
    run = runs.create(realm_id, kind, rows, created_by=current_state().extension.current_user_name())
    try:
        tasks.enqueue(run)
    except tasks.QueueUnavailableError as exc:
        runs.finish(run, message=str(exc), failed=True)
        flash(str(exc), "error")
    return run


def shown_run(*kinds: RunKind):
    """The run named by ``?run=`` if it is one of these kinds; without one, the latest
    unfinished run of the first kind (a user who left the page comes back to its progress)."""
    run_id = id_arg("run")
    if run_id is not None:
        run = runs.get(run_id)
        return run if run is not None and run.kind in kinds else None
    realm_id = realm_or_none()
    return runs.latest_unfinished(realm_id, kinds[0]) if realm_id else None


def progress(run) -> dict | None:
    """The progress bar's first paint (the script keeps it current)."""
    if run is None:
        return None
    return reports.report(run, items=False)


def _run_or_404(run_id: int):
    run = runs.get(run_id)
    if run is None:
        abort(404)
    require(*RUN_ACTIONS.get(run.kind, ()))
    return run


@guarded()
def run_json(run_id: int):
    run = _run_or_404(run_id)
    report = reports.report(run, items=request.args.get("items") != "none")
    report["finished_at"] = aware(run.finished_at).isoformat() if run.finished_at else None
    return jsonify(report)


@guarded()
def retry_run(run_id: int):
    run = _run_or_404(run_id)
    back = _FORMS.get(run.kind, "wsqb.import_form")
    if not retry.retryable(run):
        flash("There is nothing to retry in that run.", "info")
        return redirect(url_for(back, **kept_args()))
    status = connection_status()
    if status.needs_reconnect:
        flash(status.reconnect_reason, "error")
        return redirect(url_for(back, run=run.id, **kept_args()))
    retry.retry(run)
    try:
        tasks.enqueue(run)
    except tasks.QueueUnavailableError as exc:
        runs.finish(run, message=str(exc), failed=True)
        flash(str(exc), "error")
    return redirect(url_for(back, run=run.id, **kept_args()))


def register(bp: Blueprint) -> None:
    bp.add_app_template_global(here, "wsqb_here")  # the grids' pager, page size and column headers
    bp.add_url_rule(f"/runs/<{ID}:run_id>.json", "run_json", run_json)
    bp.add_url_rule(f"/runs/<{ID}:run_id>/retry", "run_retry", retry_run, methods=["POST"])
