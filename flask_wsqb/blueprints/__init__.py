"""The extension's pages, in one blueprint named ``wsqb`` built per app."""
from __future__ import annotations

from collections.abc import Callable

from flask import Blueprint, current_app, render_template, request

from ..extension import current_state


def guarded(action: str) -> Callable:
    """Name the access-check action of a view; views without one are always denied."""

    def decorate(view: Callable) -> Callable:
        view.wsqb_action = action  # type: ignore[attr-defined]
        return view

    return decorate


def _check_access():
    if request.endpoint == "wsqb.static":
        return None
    view = current_app.view_functions.get(request.endpoint or "")
    action = getattr(view, "wsqb_action", None)
    allowed = current_state().extension.allows(action) if action else False
    if allowed:
        return None
    return render_template("wsqb/denied.html", unconfigured=allowed is None), 403


def create_blueprint() -> Blueprint:
    from . import connection, contact, exporting, importing, matching, runs

    bp = Blueprint("wsqb", __name__, template_folder="../templates", static_folder="../static",
                   static_url_path="/static")
    bp.before_request(_check_access)
    for module in (connection, importing, exporting, matching, contact, runs):
        module.register(bp)
    return bp
