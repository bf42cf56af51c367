"""The webhook endpoint, through HTTP: only Intuit-signed deliveries are taken, in either
format, and what they name reaches the app (jobs in a thread: no Redis)."""

from __future__ import annotations

import pytest

from tests.auto.helpers import (
    WEBHOOKS,
    cloudevents,
    contact,
    deliver,
    last_catchup,
    legacy,
    signature,
    turn_on,
    wait_until,
)
from tests.helpers import IMPORT, connect_quickbooks, submit


@pytest.fixture
def linked(app, client, qbo):
    """One customer imported as a contact (so linked), automatic sync on both ways."""
    customer = qbo.add_customer({"DisplayName": "Ada Lovelace", "PrimaryPhone": {"FreeFormNumber": "555-0100"}})
    connect_quickbooks(client, qbo)
    report = submit(client, IMPORT, [customer["Id"]])
    assert report["ok"] == 1, report
    turn_on(client, "both")
    from example_app.models import Contact, db

    with app.app_context():
        contact_id = str(db.session.query(Contact.id).filter_by(display_name="Ada Lovelace").scalar())
    return customer["Id"], contact_id


def _writes(qbo) -> list:
    return [entry for entry in qbo.request_log if entry[0] == "POST" and "/v3/company/" in entry[1]]


@pytest.mark.parametrize("fmt", ["cloudevents", "legacy"])
def test_a_signed_delivery_brings_the_change_in(app, client, qbo, linked, fmt):
    customer_id, contact_id = linked
    qbo.edit_customer(customer_id, {"PrimaryPhone": {"FreeFormNumber": "555-0199"}})
    body = (
        cloudevents(qbo.realm_id, (customer_id, "updated"))
        if fmt == "cloudevents"
        else legacy(qbo.realm_id, (customer_id, "Update"))
    )
    answer = deliver(client, body)
    assert answer.status_code == 200, answer.get_data(as_text=True)
    wait_until(lambda: contact(app, contact_id).phone == "555-0199", what="the phone reaching the contact")
    history = client.get(f"/setup/quickbooks/history?contact={contact_id}&source=auto").get_data(as_text=True)
    assert "555-0199" in history


@pytest.mark.parametrize(
    "headers",
    [
        {"token": None},  # no signature at all
        {"signature_header": "bm90IGEgc2lnbmF0dXJl"},  # a wrong one
        {"token": "another-apps-token"},  # signed, but not with our token
    ],
)
def test_an_unsigned_or_forged_delivery_is_refused_and_nothing_is_queued(app, client, qbo, linked, headers):
    customer_id, contact_id = linked
    qbo.edit_customer(customer_id, {"PrimaryPhone": {"FreeFormNumber": "555-0142"}})
    answer = deliver(client, cloudevents(qbo.realm_id, (customer_id, "updated")), **headers)
    assert answer.status_code == 401
    page = client.get("/setup/quickbooks/connection").get_data(as_text=True)
    assert 'data-backlog-quickbooks="0"' in page
    assert contact(app, contact_id).phone == "555-0100"


def test_a_body_changed_after_signing_is_refused(client, qbo, linked):
    customer_id, _ = linked
    body = cloudevents(qbo.realm_id, (customer_id, "updated"))
    tampered = body.replace(customer_id.encode(), b"999")
    answer = deliver(client, tampered, signature_header=signature(body))
    assert answer.status_code == 401


def test_malformed_json_with_a_good_signature_is_a_bad_request(client, linked):
    answer = deliver(client, b'{"eventNotifications": "nope"}')
    assert answer.status_code == 400
    assert "eventNotifications" in answer.get_json()["error"]


def test_the_endpoint_needs_no_csrf_token_and_no_signed_in_user(app, qbo, linked):
    """Intuit's servers have neither: a fresh client (no session, no cookie) is answered."""
    fresh = app.test_client()
    customer_id, _ = linked
    assert deliver(fresh, cloudevents(qbo.realm_id, (customer_id, "updated"))).status_code == 200
    assert fresh.get(WEBHOOKS).status_code == 405  # POST only


def test_a_company_no_firm_connects_is_answered_and_ignored(client, linked):
    answer = deliver(client, cloudevents("9999999999", ("1", "updated")))
    assert answer.status_code == 200
    page = client.get("/setup/quickbooks/connection").get_data(as_text=True)
    assert 'data-backlog-quickbooks="0"' in page


def test_an_app_edit_reaches_quickbooks_once_and_does_not_come_back(app, client, qbo, linked):
    customer_id, contact_id = linked
    qbo.reset_log()
    from example_app.models import Contact, db

    with app.app_context():
        row = db.session.get(Contact, int(contact_id))
        row.phone = "555-0111"
        db.session.commit()
    wait_until(
        lambda: qbo.customer(customer_id)["PrimaryPhone"]["FreeFormNumber"] == "555-0111",
        what="the app's phone reaching QuickBooks",
    )
    assert len(_writes(qbo)) == 1
    # QuickBooks notifies our own write: the round reads it and writes nothing anywhere
    before = last_catchup(client)
    deliver(client, cloudevents(qbo.realm_id, (customer_id, "updated")))
    wait_until(lambda: last_catchup(client) != before, what="a catch-up after the delivery")
    assert len(_writes(qbo)) == 1
    assert contact(app, contact_id).phone == "555-0111"
