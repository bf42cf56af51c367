"""Past the batch ceiling: once a big export has used up the batch requests the company allows
for now, its rows go as single requests beside them (through HTTP, on SQLite and PostgreSQL,
against the emulator, whose request log tells the two kinds apart)."""

from __future__ import annotations

import time

import pytest

from flask_wsqb.quickbooks.budget import budget
from tests.helpers import EXPORT, add_contacts, connect_quickbooks, host_config, items_by_key, linked_pairs, submit


@pytest.fixture
def app_config(db_url, qbo) -> dict:
    # Two batch requests a minute: the third chunk of an export finds no batch room
    return host_config(db_url, qbo, WSQB_BATCH_PER_MINUTE=2, WSQB_RATE_PER_MINUTE=480)


def sent(qbo) -> tuple[int, int]:
    """(batch requests, single creates) the emulator answered."""
    log = [path for method, path, _status in qbo.request_log if method == "POST"]
    return sum(p.endswith("/batch") for p in log), sum(p.endswith("/customer") for p in log)


def test_rows_past_the_batch_requests_go_as_single_requests_each_created_once(linked_app, client, qbo):
    ids = add_contacts(linked_app, *({"display_name": f"Client {i:03}", "hidden": i % 10 == 7} for i in range(150)))
    qbo.reset_log()

    report = submit(client, EXPORT, ids)

    assert report["ok"] == 150 and report["errors"] == 0, report["summary"]
    assert all(item["message"] == "Created in QuickBooks." for item in items_by_key(report).values())
    assert sent(qbo) == (2, 90)  # 2 batch requests of 30, then 90 rows one by one, none waiting
    customers = qbo.customers()
    assert sorted(c["DisplayName"] for c in customers) == [f"Client {i:03}" for i in range(150)]
    assert sum(not c["Active"] for c in customers) == 15
    assert len(linked_pairs(linked_app)) == 150


def test_a_small_export_uses_batch_requests_only(linked_app, client, qbo):
    ids = add_contacts(linked_app, *({"display_name": f"Client {i:02}"} for i in range(45)))
    qbo.reset_log()
    assert submit(client, EXPORT, ids)["ok"] == 45
    assert sent(qbo) == (2, 0)


def test_rows_waiting_for_room_go_alone_as_soon_as_the_minutes_requests_allow(app_config, request, qbo):
    """A batch request's rows that find neither batch room nor requests enough to go alone
    wait for whichever frees first: here the requests other work used a moment before free up
    long before the next batch request may go (before, they waited for the batch request)."""
    window = 3.0
    app_config.update(WSQB_BATCH_PER_MINUTE=1, WSQB_RATE_WINDOW=window)
    app, client = request.getfixturevalue("app"), request.getfixturevalue("client")
    connect_quickbooks(client, qbo)
    ids = add_contacts(app, *({"display_name": f"Client {i:02}"} for i in range(60)))
    with app.app_context():
        shared = budget()  # the app's, which its runs use
        for _ in range(460):  # other work's requests: 19 are left, fewer than 30 rows need
            with shared.slot(qbo.realm_id):
                pass
    time.sleep(window / 2)  # they count for another half window; the batch request for a whole one
    qbo.reset_log()

    report = submit(client, EXPORT, ids)

    assert report["ok"] == 60, report["summary"]
    assert sent(qbo) == (1, 30)
    assert sorted(c["DisplayName"] for c in qbo.customers()) == [f"Client {i:02}" for i in range(60)]
