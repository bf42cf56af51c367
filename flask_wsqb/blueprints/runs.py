"""Starting runs from a grid's selection, and the JSON the progress bar polls."""
from __future__ import annotations

from flask import Blueprint, abort, flash, jsonify, redirect, request, url_for

from .. import connection, runs, tasks
from ..extension import current_state
from ..models import aware
from . import guarded


def realm_or_none() -> str | None:
    row = connection.current_connection()
    return row.realm_id if row else None


def start(kind: str, rows: list[tuple[str, str]], back: str, nothing: str | None = None):
    """Create a run for the selected rows, start it, and go back to the form showing it.

    ``nothing`` is what to say when no row was selected (``None``: a run needs no rows).
    """
    realm_id = realm_or_none()
    if realm_id is None:
        flash("QuickBooks is not connected. Connect on the Connection page first.", "error")
        return redirect(url_for(back))
    if not rows and nothing:
        flash(nothing, "warning")
        return redirect(url_for(back, **_kept_args()))
    run = launch(realm_id, kind, rows)
    return redirect(url_for(back, run=run.id, **_kept_args()))


def launch(realm_id: str, kind: str, rows: list[tuple[str, str]]):
    """Create the run and hand it to a worker; if the queue is down, say so on the page."""
    run = runs.create(realm_id, kind, rows, created_by=current_state().extension.current_user_name())
    try:
        tasks.enqueue(run.id)
    except tasks.QueueUnavailableError as exc:
        runs.finish(run, message=str(exc), failed=True)
        flash(str(exc), "error")
    return run


def _kept_args() -> dict:
    """The form's filters (posted in its action's query string), minus the run shown."""
    return {k: v for k, v in request.args.items() if k != "run"}


def shown_run(*kinds: str):
    """The run named by ``?run=`` if it is one of these kinds, else None."""
    run_id = request.args.get("run", type=int)
    run = runs.get(run_id) if run_id else None
    return run if run is not None and run.kind in kinds else None


def progress(run) -> dict | None:
    """The progress bar's first paint (the script keeps it current)."""
    if run is None:
        return None
    return runs.report(run, items=False)


@guarded("runs")
def run_json(run_id: int):
    run = runs.get(run_id)
    if run is None:
        abort(404)
    report = runs.report(run, items=request.args.get("items") != "none")
    report["finished_at"] = aware(run.finished_at).isoformat() if run.finished_at else None
    return jsonify(report)


#: The form that shows each kind of run.
_FORMS = {"import": "wsqb.import_form", "export": "wsqb.export_form"}


@guarded("runs")
def retry(run_id: int):
    run = runs.get(run_id)
    if run is None or not runs.retryable(run):
        flash("There is nothing to retry in that run.", "info")
        return redirect(url_for(_FORMS.get(run.kind if run else "", "wsqb.import_form")))
    runs.retry(run)
    try:
        tasks.enqueue(run.id)
    except tasks.QueueUnavailableError as exc:
        runs.finish(run, message=str(exc), failed=True)
        flash(str(exc), "error")
    return redirect(url_for(_FORMS[run.kind], run=run.id, **_kept_args()))


def register(bp: Blueprint) -> None:
    bp.add_url_rule("/runs/<int:run_id>.json", "run_json", run_json)
    bp.add_url_rule("/runs/<int:run_id>/retry", "run_retry", retry, methods=["POST"])
