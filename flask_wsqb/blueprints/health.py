"""Setup → QuickBooks → Sync Health: automatic sync's sources, backlog, failures and Retry."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for

from ..forms import ActionForm
from ..quickbooks.tokens import current_connection
from ..sync import auto, health
from ..sync.history import APP, QUICKBOOKS
from ..tasks import rounds
from ..tenancy import current_tenant
from .access import guarded


@guarded("connection")
def show():
    row = current_connection()
    if row is not None and row.auto_sync != "off":
        rounds.schedule_round(row.tenant, auto.next_due(row))  # a round lost with its worker is asked for again
    realm_id = row.realm_id if row else ""
    return render_template(
        "wsqb/health.html",
        connection=row,
        backlog=health.backlog(),
        failures=health.failures(realm_id) if row else [],
        days=health.per_day(realm_id) if row else [],
        form=ActionForm(),
    )


@guarded("connection")
def retry():
    side, key = request.form.get("side", ""), request.form.get("key", "").strip()
    if side not in (APP, QUICKBOOKS) or not key or len(key) > 64:
        abort(400, "Retry needs the side (app or quickbooks) and the record's id.")
    if current_connection() is None:
        flash("Connect to QuickBooks first.", "error")
        return redirect(url_for("wsqb.health"))
    health.retry(side, key)
    rounds.schedule_round(current_tenant())
    flash("Queued again: it is retried in the next few seconds; this page shows the outcome.", "success")
    return redirect(url_for("wsqb.health"))


def register(bp: Blueprint) -> None:
    bp.add_url_rule("/health", "health", show)
    bp.add_url_rule("/health/retry", "health_retry", retry, methods=["POST"])
