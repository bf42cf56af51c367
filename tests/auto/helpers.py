"""Driving automatic sync from outside: its settings form, Intuit-signed deliveries to the
webhook endpoint, and waiting for what a round does."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import time
import uuid

from tests.helpers import CONNECTION, post_form

WEBHOOKS = "/setup/quickbooks/webhooks"
HEALTH = "/setup/quickbooks/health"
#: The verifier token the test hosts are configured with.
TOKEN = "test-verifier-token-1234"


def turn_on(client, auto_sync: str = "both", new_customers: str = "create", new_contacts: str = "leave") -> None:
    """Save the Connection page's automatic sync settings, as a user would."""
    answer = post_form(
        client,
        CONNECTION,
        CONNECTION + "/settings",
        {"auto_sync": auto_sync, "new_customers": new_customers, "new_contacts": new_contacts},
    )
    assert answer.status_code == 302, answer.get_data(as_text=True)


def signature(body: bytes, token: str = TOKEN) -> str:
    return base64.b64encode(hmac.new(token.encode(), body, hashlib.sha256).digest()).decode()


def deliver(client, body: bytes, *, token: str | None = TOKEN, signature_header: str | None = None):
    """POST a delivery as Intuit does: the raw body and its intuit-signature (none if token is None)."""
    headers = {"Content-Type": "application/json"}
    if signature_header is not None:
        headers["intuit-signature"] = signature_header
    elif token is not None:
        headers["intuit-signature"] = signature(body, token)
    return client.post(WEBHOOKS, data=body, headers=headers)


def cloudevents(realm_id: str, *changes: tuple[str, str], deleted_id: str | None = None, at: str = "") -> bytes:
    """A CloudEvents delivery: one event per (customer id, verb: created/updated/deleted/merged)."""
    events = [
        {
            "specversion": "1.0",
            "id": f"{uuid.uuid4()}-Customer-{customer_id}",
            "source": "intuit.test",
            "type": f"qbo.customer.{verb}.v1",
            "datacontenttype": "application/json",
            "time": at or "2026-11-27T00:00:00Z",
            "intuitentityid": customer_id,
            "intuitaccountid": realm_id,
            "data": {"deletedid": deleted_id} if verb == "merged" else {},
        }
        for customer_id, verb in changes
    ]
    return json.dumps(events).encode()


def legacy(realm_id: str, *changes: tuple[str, str], at: str = "2026-11-27T00:00:00Z") -> bytes:
    """An eventNotifications delivery: one entity per (customer id, operation: Create/Update/...)."""
    entities = [
        {"name": "Customer", "id": customer_id, "operation": operation, "lastUpdated": at}
        for customer_id, operation in changes
    ]
    return json.dumps(
        {"eventNotifications": [{"realmId": realm_id, "dataChangeEvent": {"entities": entities}}]}
    ).encode()


def wait_until(check, timeout: float = 20.0, what: str = "the change"):
    """Poll ``check()`` until it returns something true; that value."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"{what} did not happen within {timeout} s")


_LAST_CATCHUP = re.compile(r'id="wsqb-last-catchup">(?:<time datetime="([^"]+)")?')


def last_catchup(client) -> str:
    """When the Connection page says the last catch-up ran (its text changes with each round)."""
    match = _LAST_CATCHUP.search(client.get(CONNECTION).get_data(as_text=True))
    assert match, "the Connection page shows no automatic sync state"
    return match.group(1) or "never"


def contact(app, contact_id: str):
    """The host's contact as its own page would read it now."""
    from example_app.models import Contact, db

    with app.app_context():
        row = db.session.get(Contact, int(contact_id))
        db.session.expunge_all()
        return row
