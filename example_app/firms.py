"""The demo's firms: two practices sharing the app, each with its own contacts and its own
QuickBooks company. The firm a user works for is the session's ``firm``, chosen with the header's
switcher; it is also the tenant flask-wsqb keeps every table and query to."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, request, session, url_for
from flask.typing import ResponseReturnValue
from werkzeug.exceptions import HTTPException
from werkzeug.routing import RoutingException

#: The firms by key (what the session and each contact's ``firm`` hold), in the switcher's order.
FIRMS = {"acme": "Acme Bookkeeping", "birch": "Birch CPA"}
#: The firm of a new session, and of a contact made without one (scripts, the tests' helpers).
DEFAULT_FIRM = "acme"

firm_switcher = Blueprint("firms", __name__)


def current_firm() -> str:
    """The session's firm; the first firm until the user chooses one."""
    firm = session.get("firm")
    return firm if firm in FIRMS else DEFAULT_FIRM


@firm_switcher.post("/firm")
def switch() -> ResponseReturnValue:
    """The header's switcher (CSRF-checked, as every POST of the app): work for another firm."""
    firm = request.form.get("firm", "")
    if firm in FIRMS:
        session["firm"] = firm
        flash(f"You are working for {FIRMS[firm]}.", "success")
    else:
        flash(f"No such firm: you are still working for {FIRMS[current_firm()]}.", "error")
    return redirect(_back_to(request.form.get("next", "")))


def _back_to(path: str) -> str:
    """Where the switcher was used: that page of this app, but for a page of one contact (which
    belongs to the firm just left) the contact list; home for anything else."""
    if not path.startswith("/") or path.startswith("//"):
        return url_for("home")
    try:
        _endpoint, values = current_app.url_map.bind("localhost").match(path, method="GET")
    except (HTTPException, RoutingException):
        return url_for("home")
    return url_for("contacts.index") if "contact_id" in values else path
