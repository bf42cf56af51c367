"""The connection's state every page shows (the reconnect banner), read once per request."""

from __future__ import annotations

from flask import g

from ..quickbooks.status import Status, status


def connection_status() -> Status:
    """The connection's state, read once per request (the reconnect banner and the page both use it)."""
    if "wsqb_status" not in g:
        g.wsqb_status = status()
    return g.wsqb_status


def page_context() -> dict:
    return {"wsqb_status": connection_status}
