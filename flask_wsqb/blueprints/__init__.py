"""The extension's pages, in one blueprint named ``wsqb`` built per app."""

from __future__ import annotations

from flask import Blueprint

from . import connection, contact, exporting, health, importing, matching, runs, webhooks
from .access import check_access, refuse_nul
from .banner import page_context


def create_blueprint() -> Blueprint:
    bp = Blueprint(
        "wsqb", __name__, template_folder="../templates", static_folder="../static", static_url_path="/static"
    )
    bp.before_request(refuse_nul)
    bp.before_request(check_access)
    bp.context_processor(page_context)
    for module in (connection, importing, exporting, matching, contact, runs, health, webhooks):
        module.register(bp)
    return bp
