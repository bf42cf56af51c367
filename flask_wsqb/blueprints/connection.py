"""Setup → QuickBooks → Connection: connect, callback, switch company, disconnect, status."""

from __future__ import annotations

import hmac
import secrets

from flask import Blueprint, abort, flash, redirect, render_template, request, session, url_for

from ..config import missing_credentials
from ..forms import ActionForm, AutoSyncForm
from ..models import AutoSync, RunKind
from ..quickbooks import connection, oauth
from ..quickbooks.errors import QuickBooksError
from ..quickbooks.factory import oauth_settings
from ..quickbooks.tokens import current_connection
from ..sync import auto, health
from ..tasks import rounds
from .access import guarded
from .banner import connection_status
from .runs import launch, progress, shown_run

_STATE_KEY = "wsqb_oauth_state"
#: The sign-in to another company this browser is being asked about.
_PENDING_KEY = "wsqb_pending_connection"


@guarded("connection")
def show():
    run = shown_run(RunKind.REFRESH)
    row = current_connection()
    return render_template(
        "wsqb/connection.html",
        status=connection_status(),
        form=ActionForm(),
        run=run,
        progress=progress(run),
        connection=row,
        settings=AutoSyncForm(obj=row) if row is not None else None,
        backlog=health.backlog(),
    )


@guarded("connection")
def save_settings():
    row = current_connection()
    form = AutoSyncForm()
    if row is None:
        flash("Connect to QuickBooks first; automatic sync works for a connected company.", "error")
    elif not form.validate():
        flash("The settings were not saved: " + " ".join(e for errors in form.errors.values() for e in errors), "error")
    else:
        auto.configure(row, form.auto_sync.data, form.new_customers.data, form.new_contacts.data)
        if row.auto_sync != AutoSync.OFF:
            rounds.schedule_round(row.tenant, auto.next_due(row))
        flash(f"Automatic sync settings saved: {form.auto_sync.label.text} is {_chosen(form.auto_sync)}.", "success")
    return redirect(url_for("wsqb.connection"))


def _chosen(field) -> str:
    return next(choice.label for choice in field.choices if choice.value == field.data)


@guarded("connection")
def connect():
    if missing := missing_credentials():
        flash(missing, "error")
        return redirect(url_for("wsqb.connection"))
    state = secrets.token_urlsafe(24)
    session[_STATE_KEY] = state
    try:
        return redirect(oauth.authorization_url(oauth_settings(), state))
    except QuickBooksError as exc:
        flash(str(exc), "error")
        return redirect(url_for("wsqb.connection"))


@guarded("connection")
def callback():
    expected = session.pop(_STATE_KEY, None)
    given = request.args.get("state", "")
    if not expected or not hmac.compare_digest(expected, given):
        flash(
            "The QuickBooks sign-in could not be verified (its state did not match). "
            "Nothing was changed; please click Connect again.",
            "error",
        )
        return redirect(url_for("wsqb.connection"))
    if request.args.get("error"):
        flash(f"QuickBooks did not grant access ({request.args['error']}); nothing was connected.", "warning")
        return redirect(url_for("wsqb.connection"))
    code, realm_id = request.args.get("code"), request.args.get("realmId")
    if not code or not realm_id:
        flash("QuickBooks sent back an incomplete answer (no code or company); please try again.", "error")
        return redirect(url_for("wsqb.connection"))
    try:
        tokens, company_name = connection.sign_in(code, realm_id)
    except QuickBooksError as exc:
        flash(f"QuickBooks did not confirm the company you signed in to; nothing was changed. {exc}", "error")
        return redirect(url_for("wsqb.connection"))
    current = current_connection()
    if current is not None and current.realm_id != realm_id:
        session[_PENDING_KEY] = connection.hold(realm_id, company_name, tokens).id
        return redirect(url_for("wsqb.connection_switch"))
    return _connected(connection.connect(realm_id, company_name, tokens))


def _connected(row):
    flash(
        f"Connected to QuickBooks company {row.company_name or row.realm_id}. "
        "Its customer list is loading in the background.",
        "success",
    )
    run = launch(row.realm_id, RunKind.REFRESH, [])
    if row.auto_sync != AutoSync.OFF:  # reconnected: catch up on what changed while it could not
        rounds.schedule_round(row.tenant)
    return redirect(url_for("wsqb.connection", run=run.id))


def _held():
    """The sign-in this browser was asked about, or 404."""
    held = connection.pending(session.get(_PENDING_KEY))
    if held is None:
        abort(404)
    return held


@guarded("connection")
def switch_page():
    held, current = _held(), current_connection()
    return render_template(
        "wsqb/connection_switch.html",
        held=held,
        current=current,
        form=ActionForm(),
        linked=connection.linked_count(current.realm_id) if current else 0,
    )


@guarded("connection")
def switch():
    held = _held()
    session.pop(_PENDING_KEY, None)
    if request.form.get("choice") != "switch":
        connection.settle_switch(held, switch=False)
        flash("Kept the current QuickBooks company; the other sign-in was cancelled.", "info")
        return redirect(url_for("wsqb.connection"))
    return _connected(connection.settle_switch(held, switch=True))


@guarded("connection")
def disconnect():
    warning = connection.disconnect()
    flash(warning or "Disconnected from QuickBooks.", "warning" if warning else "success")
    return redirect(url_for("wsqb.connection"))


def register(bp: Blueprint) -> None:
    bp.add_url_rule("/connection", "connection", show)
    bp.add_url_rule("/connection/connect", "connection_connect", connect, methods=["POST"])
    bp.add_url_rule("/connection/callback", "connection_callback", callback)
    bp.add_url_rule("/connection/switch", "connection_switch", switch_page)
    bp.add_url_rule("/connection/switch", "connection_switch_confirm", switch, methods=["POST"])
    bp.add_url_rule("/connection/disconnect", "connection_disconnect", disconnect, methods=["POST"])
    bp.add_url_rule("/connection/settings", "connection_settings", save_settings, methods=["POST"])
