"""Export to QuickBooks, through HTTP, against the emulator, on SQLite and PostgreSQL."""

from __future__ import annotations

import re

import sqlalchemy as sa

from example_app.models import Contact, db
from tests.helpers import EXPORT, add_contacts, items_by_key, refresh_list, submit


def by_name(qbo) -> dict[str, dict]:
    return {c["DisplayName"]: c for c in qbo.customers()}


def test_search_filters_the_grid(linked_app, client):
    add_contacts(
        linked_app,
        {"display_name": "Harbor Dental", "email": "desk@harbor.example"},
        {"display_name": "Prairie Farms", "company": "Prairie Holdings"},
        {"display_name": "Zed <script>alert(1)</script>"},
    )

    def names(query):
        html = client.get(EXPORT + query).get_data(as_text=True)
        return re.findall(r'aria-label="Select ([^"]*)"', html)

    assert names("?q=harbor") == ["Harbor Dental"]
    assert names("?q=HOLDINGS") == ["Prairie Farms"]
    assert names("?q=desk@") == ["Harbor Dental"]
    assert len(names("")) == 3
    assert "<script>alert(1)</script>" not in client.get(EXPORT).get_data(as_text=True)


def test_export_creates_in_batches_and_hidden_become_inactive(linked_app, client, qbo):
    ids = add_contacts(
        linked_app,
        *({"display_name": f"Client {i:03}", "email": f"c{i}@example.com", "hidden": i == 7} for i in range(70)),
    )
    qbo.reset_log()
    report = submit(client, EXPORT, ids)
    assert report["state"] == "done" and report["ok"] == 70 and report["errors"] == 0
    customers = by_name(qbo)
    assert len(customers) == 70
    assert customers["Client 007"]["Active"] is False and customers["Client 008"]["Active"] is True
    batches = [p for m, p, s in qbo.request_log if p.endswith("/batch")]
    assert len(batches) == 3  # 30 + 30 + 10
    page = client.get(EXPORT + "?per_page=100").get_data(as_text=True)  # 50 rows a page by default
    assert page.count(">Linked<") == 70

    # exporting again updates the linked customers (no second customer)
    with linked_app.app_context():
        db.session.execute(sa.update(Contact).where(Contact.id == int(ids[0])).values(phone="555-0199"))
        db.session.commit()
    qbo.reset_log()
    report = submit(client, EXPORT, ids[:2])
    assert items_by_key(report)[ids[0]]["message"] == "Updated in QuickBooks: phone."
    # what the app did not change since both sides agreed is not sent at all
    assert items_by_key(report)[ids[1]]["message"] == "Nothing to send: QuickBooks already has the app's values."
    assert [p for m, p, s in qbo.request_log if p.endswith("/batch")] == [f"/v3/company/{qbo.realm_id}/batch"]
    assert len(qbo.customers()) == 70
    assert by_name(qbo)["Client 000"]["PrimaryPhone"]["FreeFormNumber"] == "555-0199"


def test_bad_rows_fail_alone_without_a_request(linked_app, client, qbo):
    ids = add_contacts(
        linked_app,
        {"display_name": "Good Co"},
        {"display_name": "Bad: Name"},
        {"display_name": "No Mail", "email": "nomail.example.com"},
        {"display_name": "Long", "company": "C" * 101},
    )
    qbo.reset_log()
    report = submit(client, EXPORT, ids)
    items = items_by_key(report)
    assert items[ids[0]]["status"] == "ok"
    assert "colon" in items[ids[1]]["message"]
    assert "not an email address" in items[ids[2]]["message"]
    assert "at most 100" in items[ids[3]]["message"]
    assert list(by_name(qbo)) == ["Good Co"]
    sent = [p for m, p, s in qbo.request_log if p.endswith("/batch")]
    assert len(sent) == 1
    page = client.get(EXPORT + f"?run={report['id']}").get_data(as_text=True)
    assert 'class="wsqb-row wsqb-row-error"' in page
    assert "Some errors were encountered during the sync" in page


def test_same_name_links_and_vendor_name_fails_clearly(linked_app, client, qbo):
    existing = qbo.add_customer({"DisplayName": "Copper Creek Brewing"})
    qbo.add_vendor("Office Depot")
    ids = add_contacts(linked_app, {"display_name": "Copper Creek Brewing"}, {"display_name": "Office Depot"})
    refresh_list(client)
    report = submit(client, EXPORT, ids)
    items = items_by_key(report)
    assert "existing QuickBooks customer" in items[ids[0]]["message"]
    assert "used by a vendor" in items[ids[1]]["message"]
    assert len(qbo.customers()) == 1 and qbo.customers()[0]["Id"] == existing["Id"]


def test_stale_sync_token_is_reread_and_retried(linked_app, client, qbo):
    [cid] = add_contacts(linked_app, {"display_name": "Willow Yoga"})
    submit(client, EXPORT, [cid])
    customer = by_name(qbo)["Willow Yoga"]
    # edited in QuickBooks after our list was refreshed; export again without a refresh in between
    with linked_app.app_context():
        db.session.execute(sa.update(Contact).where(Contact.id == int(cid)).values(email="om@willow.example"))
        db.session.commit()
    qbo.edit_customer(customer["Id"], {"Notes": "called"})
    qbo.fail_next(status=503, count=3, path="/cdc")  # the list cannot refresh first
    report = submit(client, EXPORT, [cid])
    assert items_by_key(report)[cid]["status"] == "ok", report
    fresh = by_name(qbo)["Willow Yoga"]
    assert fresh["PrimaryEmailAddr"]["Address"] == "om@willow.example" and fresh["Notes"] == "called"


def test_throttling_and_outage_mid_batch_end_as_row_errors_or_retries(linked_app, client, qbo):
    ids = add_contacts(linked_app, *({"display_name": f"Row {i}"} for i in range(40)))
    qbo.fail_next(status=429, count=1, path="/batch")
    qbo.fail_next(status=500, count=1, path="/batch")
    qbo.fail_next(count=1, path="/batch", mode="drop")
    report = submit(client, EXPORT, ids)
    assert report["finished"] and report["done"] == 40
    assert report["errors"] == 0, [i for i in report["items"] if i["status"] == "error"]
    assert sorted(by_name(qbo)) == sorted(f"Row {i}" for i in range(40))


def test_expired_token_mid_run_refreshes_transparently(linked_app, client, qbo):
    ids = add_contacts(linked_app, {"display_name": "Evergreen Outfitters"})
    qbo.expire_access_tokens()
    report = submit(client, EXPORT, ids)
    assert report["ok"] == 1


def test_rerun_after_crash_creates_nothing_twice(linked_app, client, qbo):
    """A batch QuickBooks applied but whose answer was lost (then the run died)."""
    ids = add_contacts(linked_app, {"display_name": "Lakeside Dental"}, {"display_name": "Bayview Realty"})
    qbo.fail_next(status=500, count=10, path="/batch")  # outage outlives the retries: rows fail
    report = submit(client, EXPORT, ids)
    assert report["errors"] == 2 and "Try again" in report["items"][0]["message"]
    qbo.clear_faults()
    qbo.add_customer({"DisplayName": "Lakeside Dental"})  # it did reach QuickBooks after all
    report = submit(client, EXPORT, ids)
    assert report["errors"] == 0
    assert sorted(by_name(qbo)) == ["Bayview Realty", "Lakeside Dental"]


def test_a_failed_batch_request_keeps_each_rows_own_reason(linked_app, client, qbo):
    ids = add_contacts(linked_app, {"display_name": "Sent But Failed"}, {"display_name": "Bad: Colon"})
    qbo.fail_next(status=500, count=10, path="/batch")
    report = submit(client, EXPORT, ids)
    items = items_by_key(report)
    assert "Try again shortly" in items[ids[0]]["message"]
    assert "colon" in items[ids[1]]["message"]  # refused before any request, and says so
