"""Who and what may reach a view: the host's access check (denied when none is registered) and
requests no view should see."""

from __future__ import annotations

from collections.abc import Callable

from flask import abort, current_app, make_response, render_template, request

from ..state import current_state


def guarded(*actions: str) -> Callable:
    """Name the access-check actions a view needs (all of them). A view guarded with none
    needs a registered check and decides from what it shows, with :func:`require`; views
    without ``guarded`` are always denied."""

    def decorate(view: Callable) -> Callable:
        view.wsqb_actions = actions  # type: ignore[attr-defined]
        return view

    return decorate


def allows(*actions: str) -> bool:
    """Whether the host's check lets the current user do every one of ``actions``."""
    extension = current_state().extension
    return all(extension.allows(action) for action in actions)


def require(*any_of: str) -> None:
    """Stop with the access-denied page unless the user may do one of ``any_of``."""
    if not any(allows(action) for action in any_of):
        abort(_denied(unconfigured=False))


def _denied(*, unconfigured: bool):
    """The host's answer for a denied user (its login page, say), else the access-denied page."""
    if not unconfigured and (answer := current_state().extension.unauthorized()) is not None:
        return answer
    return make_response(render_template("wsqb/denied.html", unconfigured=unconfigured), 403)


def check_access():
    if request.endpoint == "wsqb.static":
        return None
    view = current_app.view_functions.get(request.endpoint or "")
    if getattr(view, "wsqb_public", False):  # Intuit's webhooks: their signature is their check
        return None
    actions = getattr(view, "wsqb_actions", None)
    if not current_state().extension.has_access_check:
        return _denied(unconfigured=True)
    if actions is None or not allows(*actions):
        return _denied(unconfigured=False)
    return None


def refuse_nul():
    """No name, id or search holds a NUL character, and PostgreSQL refuses text carrying one:
    a request with one anywhere is answered as the bad request it is, before any query."""
    values = list((request.view_args or {}).values())
    for given in (request.args, request.form):
        values += [value for _key, many in given.lists() for value in many]
    if any("\x00" in str(value) for value in values):
        abort(400, "The request contains a NUL character, which no name, id or search can hold.")
