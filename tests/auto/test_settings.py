"""What each setting does with what is new on either side, and failures reaching the signal, through
HTTP (jobs in a thread: no Redis)."""

from __future__ import annotations

from flask_wsqb import signals
from tests.auto.helpers import HEALTH, cloudevents, deliver, turn_on, wait_until
from tests.helpers import CONNECTION, add_contact, connect_quickbooks, linked_pairs

MATCH = "/setup/quickbooks/contacts/match"


def _notify_new(client, qbo, body: dict) -> str:
    customer = qbo.add_customer(body)
    assert deliver(client, cloudevents(qbo.realm_id, (customer["Id"], "created"))).status_code == 200
    return customer["Id"]


def test_a_new_customer_proposes_a_match_and_links_nothing(app, client, qbo):
    contact_id = add_contact(app, display_name="Katherine Johnson", email="kj@example.com")
    connect_quickbooks(client, qbo)
    turn_on(client, "quickbooks", new_customers="propose")
    customer_id = _notify_new(
        client, qbo, {"DisplayName": "Katherine G. Johnson", "PrimaryEmailAddr": {"Address": "kj@example.com"}}
    )
    row = f'data-contact-id="{contact_id}" data-customer-id="{customer_id}"'
    wait_until(lambda: row in client.get(MATCH).get_data(as_text=True), what="the proposal on Match Contacts")
    assert linked_pairs(app) == set()  # proposed, not linked


def test_a_new_customer_is_ignored_when_the_connection_says_so(app, client, qbo):
    connect_quickbooks(client, qbo)
    turn_on(client, "quickbooks", new_customers="ignore")
    before = client.get(CONNECTION).get_data(as_text=True)
    _notify_new(client, qbo, {"DisplayName": "Dorothy Vaughan"})
    wait_until(lambda: client.get(CONNECTION).get_data(as_text=True) != before, what="the round")
    wait_until(lambda: 'data-backlog-quickbooks="0"' in client.get(CONNECTION).get_data(as_text=True))
    assert linked_pairs(app) == set()
    assert "Dorothy Vaughan" not in client.get("/contacts/?q=Dorothy").get_data(as_text=True)


def test_a_new_contact_is_exported_when_the_connection_says_so(app, client, qbo):
    connect_quickbooks(client, qbo)
    turn_on(client, "both", new_contacts="export")
    contact_id = add_contact(app, display_name="Mary Jackson", email="mary@example.com")
    wait_until(lambda: any(c["DisplayName"] == "Mary Jackson" for c in qbo.customers()), what="the new customer")
    customer_id = next(c["Id"] for c in qbo.customers() if c["DisplayName"] == "Mary Jackson")
    wait_until(lambda: (contact_id, customer_id) in linked_pairs(app), what="the link")


def test_a_new_contact_is_left_for_export_by_default(app, client, qbo):
    connect_quickbooks(client, qbo)
    turn_on(client, "both")
    edited = add_contact(app, display_name="Annie Easley")
    # a linked contact's edit, made after, is sent: the new one before it was not
    customer = qbo.add_customer({"DisplayName": "Christine Darden"})
    deliver(client, cloudevents(qbo.realm_id, (customer["Id"], "created")))  # creates and links her contact
    wait_until(lambda: len(linked_pairs(app)) == 1, what="Christine's contact")
    from example_app.models import Contact, db

    with app.app_context():
        darden = db.session.query(Contact).filter_by(display_name="Christine Darden").one()
        darden.phone = "555-0900"
        db.session.commit()
    wait_until(lambda: (qbo.customer(customer["Id"]).get("PrimaryPhone") or {}).get("FreeFormNumber") == "555-0900")
    assert not any(c["DisplayName"] == "Annie Easley" for c in qbo.customers())
    assert edited not in {contact for contact, _ in linked_pairs(app)}


def test_a_failure_is_signalled_and_listed_with_its_reason(app, client, qbo):
    failures = []

    def failed(sender, **values):
        failures.append(values)

    signals.sync_failed.connect(failed)
    try:
        connect_quickbooks(client, qbo)
        turn_on(client, "both", new_contacts="export")
        add_contact(app, display_name="Bad: Name")  # a colon: QuickBooks refuses such a name
        wait_until(lambda: failures, what="sync_failed")
    finally:
        signals.sync_failed.disconnect(failed)
    page = client.get(HEALTH).get_data(as_text=True)
    assert 'data-side="app"' in page and "Bad: Name" in page
    assert ":" in failures[0]["message"] or "name" in failures[0]["message"].lower()


def test_changes_made_while_the_connection_was_lost_arrive_after_reconnecting(app, client, qbo):
    from tests.auto.helpers import contact
    from tests.helpers import IMPORT, submit

    customer = qbo.add_customer({"DisplayName": "Hedy Lamarr"})
    connect_quickbooks(client, qbo)
    assert submit(client, IMPORT, [customer["Id"]])["ok"] == 1
    contact_id = next(iter(linked_pairs(app)))[0]
    turn_on(client, "quickbooks")
    qbo.revoke_all()  # QuickBooks rejects the tokens: automatic sync cannot read anything
    qbo.edit_customer(customer["Id"], {"PrimaryPhone": {"FreeFormNumber": "555-0555"}})
    deliver(client, cloudevents(qbo.realm_id, (customer["Id"], "updated")))
    wait_until(lambda: 'data-needs-reconnect="yes"' in client.get(CONNECTION).get_data(as_text=True))
    assert contact(app, contact_id).phone in ("", None)
    connect_quickbooks(client, qbo)  # Reconnect
    wait_until(lambda: contact(app, contact_id).phone == "555-0555", what="the change made meanwhile")
