"""Redis missing or down: a clear message on the page and from ``flask wsqb worker``, a
failed run saying why, and nothing else changed. Nothing listens on port 1."""

from __future__ import annotations

import time

import pytest
import sqlalchemy as sa

from example_app.models import Contact, db
from tests.helpers import EXPORT, IMPORT, connect_quickbooks, host_config, post_form, refresh_list, run_id_of

DOWN = "redis://127.0.0.1:1/0"
UNREACHABLE = f"Redis at {DOWN} cannot be reached: Error 111 connecting to 127.0.0.1:1. Connection refused."


@pytest.fixture
def app_config(db_url, qbo) -> dict:
    return host_config(db_url, qbo)  # no Redis: connecting and the list refresh run in a thread


def test_import_and_export_selected_fail_clearly_and_change_nothing(app, client, qbo):
    connect_quickbooks(client, qbo)
    customer = qbo.add_customer({"DisplayName": "Summit Dental"})
    refresh_list(client)
    with app.app_context():
        db.session.add(Contact(display_name="Harbor Dental"))
        db.session.commit()
        contact_id = str(db.session.scalar(sa.select(Contact.id)))
    app.config["WSQB_REDIS_URL"] = DOWN  # Redis is configured, but down

    for page, selected in ((EXPORT, contact_id), (IMPORT, customer["Id"])):
        began = time.monotonic()
        answer = post_form(client, page, page, {"selected": [selected]})
        assert time.monotonic() - began < 5
        shown = client.get(answer.headers["Location"]).get_data(as_text=True)
        assert UNREACHABLE in shown and "try again when the job queue is back" in shown
        report = client.get(f"/setup/quickbooks/runs/{run_id_of(answer)}.json").get_json()
        assert report["state"] == "failed" and report["message"].startswith(UNREACHABLE)
        assert [item["status"] for item in report["items"]] == ["pending"]

    assert [c["DisplayName"] for c in qbo.customers()] == ["Summit Dental"]
    with app.app_context():
        assert list(db.session.scalars(sa.select(Contact.display_name))) == ["Harbor Dental"]
    assert ">Linked<" not in client.get(EXPORT).get_data(as_text=True)


def test_worker_command_says_redis_cannot_be_reached(app, runner):
    app.config["WSQB_REDIS_URL"] = DOWN
    began = time.monotonic()
    result = runner.invoke(args=["wsqb", "worker", "--burst"])
    assert result.exit_code == 1 and f"Error: {UNREACHABLE}" in result.output
    assert time.monotonic() - began < 5


def test_worker_command_needs_a_redis_url(runner):
    result = runner.invoke(args=["wsqb", "worker"])
    assert result.exit_code == 1
    assert "WSQB_REDIS_URL is not set" in result.output
