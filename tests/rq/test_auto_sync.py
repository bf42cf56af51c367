"""Automatic sync with real ``flask wsqb worker`` processes and real webhooks: the emulator POSTs
signed deliveries to the example host served over HTTP, the workers run the rounds (RQ's
scheduler included), and everything is checked from outside — the contact, the customer, the
pages, and the writes the emulator received."""

from __future__ import annotations

import time

import pytest

from tests.auto.helpers import HEALTH, TOKEN, WEBHOOKS, contact, deliver, legacy, turn_on, wait_until
from tests.browser.helpers import LiveServer
from tests.helpers import CONNECTION, IMPORT, connect_quickbooks, host_config, linked_pairs, submit

#: Seconds between catch-ups here (QuickBooks-side changes whose webhook was lost arrive by then).
INTERVAL = 3.0
SETTINGS = {"WSQB_WEBHOOK_VERIFIER_TOKEN": TOKEN, "WSQB_CATCHUP_INTERVAL": str(INTERVAL), "WSQB_PUSH_DELAY": "0.5"}


@pytest.fixture
def app_config(db_url, qbo, redis_url) -> dict:
    return host_config(db_url, qbo, WSQB_REDIS_URL=redis_url, **SETTINGS)


@pytest.fixture
def worker_env(worker_env) -> dict[str, str]:
    return {**worker_env, **SETTINGS}


@pytest.fixture
def synced(app, client, qbo, workers):
    """Two workers; the host served over HTTP with the emulator delivering webhooks to it; two
    customers imported (so linked); automatic sync on, both ways."""
    server = LiveServer(app)
    for _ in range(2):
        workers.flask_worker()
    qbo.webhook_url, qbo.webhook_verifier_token, qbo.webhook_delay = server.url + WEBHOOKS, TOKEN, 0.2
    ada = qbo.add_customer({"DisplayName": "Ada Lovelace", "PrimaryPhone": {"FreeFormNumber": "555-0100"}})
    bob = qbo.add_customer({"DisplayName": "Bob Babbage", "PrimaryPhone": {"FreeFormNumber": "555-0200"}})
    connect_quickbooks(client, qbo)
    report = submit(client, IMPORT, [ada["Id"], bob["Id"]])
    assert report["ok"] == 2, report
    turn_on(client, "both")
    ids = {name: contact_id for contact_id, name in _contacts(app).items()}
    yield {"ada": (ada["Id"], ids["Ada Lovelace"]), "bob": (bob["Id"], ids["Bob Babbage"])}
    server.stop()


def _contacts(app) -> dict[str, str]:
    from example_app.models import Contact, db

    with app.app_context():
        return {str(c.id): c.display_name for c in db.session.query(Contact)}


def _edit(app, contact_id: str, **values) -> None:
    """A user's edit of the contact, saved as the host app saves it."""
    from example_app.models import Contact, db

    with app.app_context():
        row = db.session.get(Contact, int(contact_id))
        for name, value in values.items():
            setattr(row, name, value)
        db.session.commit()


def _writes(qbo) -> int:
    return sum(1 for method, path, _status in qbo.request_log if method == "POST" and "/v3/company/" in path)


def _phone(qbo, customer_id: str) -> str:
    return (qbo.customer(customer_id).get("PrimaryPhone") or {}).get("FreeFormNumber", "")


def test_a_quickbooks_edit_arrives_by_webhook(app, qbo, synced):
    customer_id, contact_id = synced["ada"]
    qbo.edit_customer(customer_id, {"PrimaryPhone": {"FreeFormNumber": "555-0101"}})
    wait_until(lambda: contact(app, contact_id).phone == "555-0101", timeout=10, what="the phone reaching the app")
    assert any(delivery.status == 200 for delivery in qbo.webhook_log)  # it came by webhook (latency: bench_auto)


def test_lost_webhooks_are_repaired_by_the_catch_up(app, client, qbo, synced):
    customer_id, contact_id = synced["bob"]
    qbo.webhooks_paused = True
    qbo.edit_customer(customer_id, {"PrimaryEmailAddr": {"Address": "bob@example.com"}})
    wait_until(
        lambda: contact(app, contact_id).email == "bob@example.com",
        timeout=INTERVAL * 4,
        what="the catch-up bringing the e-mail in without a webhook",
    )
    page = client.get(CONNECTION).get_data(as_text=True)
    assert 'id="wsqb-last-catchup"><time' in page


def test_an_app_edit_reaches_quickbooks_once_and_nothing_echoes(app, client, qbo, synced):
    customer_id, contact_id = synced["ada"]
    time.sleep(1.0)  # the import's own notifications settle first
    qbo.reset_log()
    _edit(app, contact_id, phone="555-0177")
    wait_until(lambda: _phone(qbo, customer_id) == "555-0177", timeout=10, what="the app's edit reaching QuickBooks")
    # our write comes back as a webhook, and two catch-ups pass: nothing more is written anywhere
    time.sleep(INTERVAL * 2 + 1)
    assert _writes(qbo) == 1
    assert contact(app, contact_id).phone == "555-0177"
    history = client.get(f"/setup/quickbooks/history?contact={contact_id}").get_data(as_text=True)
    assert history.count('data-field="phone"') == 2  # the import's, then the push's: no ping-pong


def test_edits_of_one_field_on_both_sides_within_a_second_the_newer_wins_and_is_a_conflict(app, client, qbo, synced):
    customer_id, contact_id = synced["bob"]
    _edit(app, contact_id, phone="555-0301")  # the app first...
    time.sleep(0.3)
    qbo.edit_customer(customer_id, {"PrimaryPhone": {"FreeFormNumber": "555-0302"}})  # ...QuickBooks newer
    wait_until(lambda: contact(app, contact_id).phone == "555-0302", timeout=10, what="the newer value in the app")
    time.sleep(2.0)  # the app's pending push runs meanwhile: it must not send the older value
    assert _phone(qbo, customer_id) == "555-0302"
    assert contact(app, contact_id).phone == "555-0302"
    history = client.get(f"/setup/quickbooks/history?contact={contact_id}&source=auto").get_data(as_text=True)
    assert "conflict" in history


def test_a_merge_in_quickbooks_relinks_the_contact_to_the_survivor(app, qbo, synced):
    gone, contact_id = synced["bob"]
    survivor = qbo.add_customer({"DisplayName": "Babbage & Co", "PrimaryPhone": {"FreeFormNumber": "555-0200"}})
    qbo.merge_customer(gone, survivor["Id"])
    wait_until(
        lambda: (contact_id, survivor["Id"]) in linked_pairs(app), timeout=10, what="the contact following the merge"
    )
    assert (contact_id, gone) not in linked_pairs(app)


def test_a_customer_deleted_in_quickbooks_hides_its_contact(app, qbo, synced):
    customer_id, contact_id = synced["ada"]
    qbo.delete_customer(customer_id)
    wait_until(lambda: contact(app, contact_id).hidden, timeout=10, what="the contact becoming hidden")


def test_duplicate_and_out_of_order_deliveries_apply_each_change_once(app, client, qbo, synced):
    customer_id, contact_id = synced["ada"]
    qbo.duplicate_webhooks = True
    qbo.edit_customer(customer_id, {"CompanyName": "Analytical Engines"})
    wait_until(lambda: contact(app, contact_id).company == "Analytical Engines", timeout=10, what="the company")
    # an old delivery arriving late names the same customer: the round reads it as it is now
    deliver(client, legacy(qbo.realm_id, (customer_id, "Update"), at="2020-01-01T00:00:00Z"))
    time.sleep(2.0)
    assert contact(app, contact_id).company == "Analytical Engines"
    history = client.get(f"/setup/quickbooks/history?contact={contact_id}&source=auto").get_data(as_text=True)
    assert history.count('data-field="company"') == 1


def test_a_failed_push_is_on_sync_health_with_its_reason_and_retry_fixes_it(app, client, qbo, synced):
    customer_id, contact_id = synced["ada"]
    qbo.fail_next(400, count=3, fault_code=6000, message="Business Validation Error", path="/batch")
    _edit(app, contact_id, phone="555-0444")
    wait_until(lambda: 'data-side="app"' in client.get(HEALTH).get_data(as_text=True), timeout=10, what="a failure")
    page = client.get(HEALTH).get_data(as_text=True)
    assert "Business Validation Error" in page or "QuickBooks" in page
    qbo.clear_faults()
    from tests.helpers import post_form

    answer = post_form(client, HEALTH, HEALTH + "/retry", {"side": "app", "key": contact_id})
    assert answer.status_code == 302
    wait_until(lambda: _phone(qbo, customer_id) == "555-0444", timeout=10, what="the retried push")
    wait_until(lambda: 'id="wsqb-no-failures"' in client.get(HEALTH).get_data(as_text=True), timeout=10)
