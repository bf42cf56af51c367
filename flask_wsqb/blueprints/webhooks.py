"""``POST {WSQB_URL_PREFIX}/webhooks``: Intuit's change notifications.

Intuit's servers are no user: the endpoint is exempt from the CSRF check and the host's access
check, and trusts nothing but the ``intuit-signature`` header (the HMAC of the raw body under
``WSQB_WEBHOOK_VERIFIER_TOKEN``). It only records and asks for rounds, so it answers at once;
the round reads the records themselves from QuickBooks.
"""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify, request

from ..config import setting
from ..quickbooks import notifications
from ..sync import auto
from ..tasks import rounds


def receive():
    body = request.get_data(cache=False)
    token = setting("WEBHOOK_VERIFIER_TOKEN")
    if not token:
        current_app.logger.warning("flask-wsqb: a webhook arrived but WSQB_WEBHOOK_VERIFIER_TOKEN is not set: refused")
        return jsonify(error="Webhooks are not set up here (no verifier token)."), 401
    if not notifications.verify(body, request.headers.get("intuit-signature"), token):
        return jsonify(error="The intuit-signature header is missing or does not match the body."), 401
    try:
        notes = notifications.parse(body)
    except ValueError as exc:
        return jsonify(error=str(exc)), 400
    for tenant in auto.notified(notes):
        rounds.schedule_round(tenant)
    return jsonify(received=len(notes))


receive.wsqb_public = True  # type: ignore[attr-defined]  # see the module's doc


def register(bp: Blueprint) -> None:
    bp.add_url_rule("/webhooks", "webhooks", receive, methods=["POST"])
