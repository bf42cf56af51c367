"""Signals reach hosts once per row, after the row's change is committed: never for a change
that was rolled back, never twice when a busy database makes a chunk run again."""

from __future__ import annotations

import sqlite3
import threading
import time
from collections import Counter

import pytest
import sqlalchemy as sa

from flask_wsqb import signals
from tests.helpers import (
    EXPORT,
    IMPORT,
    add_contacts,
    host_config,
    post_form,
    refresh_list,
    run_id_of,
    submit,
    wait_for_run,
)


@pytest.fixture
def db_path(tmp_path):
    return tmp_path / "host.db"


@pytest.fixture
def db_url(db_path):
    """SQLite only: its single writer lets the test make the database busy on purpose."""
    return f"sqlite:///{db_path}"


@pytest.fixture
def app_config(db_url, qbo):
    # Give up on a locked database quickly, so the run's busy-database retries show.
    return host_config(db_url, qbo, SQLALCHEMY_ENGINE_OPTIONS={"connect_args": {"timeout": 0.2}})


@pytest.fixture
def heard(linked_app, db_url):
    """Every signal sent, with whether its link was already committed when it came."""
    engine = sa.create_engine(db_url)
    received: list[tuple[str, dict, bool]] = []

    def receiver(name):
        def receive(sender, **values):
            with engine.connect() as other:  # another connection sees only what is committed
                committed = other.execute(
                    sa.text("select count(*) from wsqb_contact_link where contact_id = :c"),
                    {"c": values.get("contact_id", "")},
                ).scalar()
            received.append((name, values, bool(committed)))

        return receive

    receivers = {name: receiver(name) for name in ("imported", "exported", "failed")}
    signals.contact_imported.connect(receivers["imported"])
    signals.contact_exported.connect(receivers["exported"])
    signals.sync_failed.connect(receivers["failed"])
    yield received
    signals.contact_imported.disconnect(receivers["imported"])
    signals.contact_exported.disconnect(receivers["exported"])
    signals.sync_failed.disconnect(receivers["failed"])
    engine.dispose()


def test_each_signal_once_after_commit_even_when_a_busy_database_reruns_the_chunk(
    linked_app, client, qbo, heard, db_path
):
    ids = add_contacts(
        linked_app, {"display_name": "Signal One"}, {"display_name": "Signal Two"}, {"display_name": "Bad: Name"}
    )
    qbo.fail_next(count=1, path="/batch", mode="hang", hang_seconds=1.0)
    run_id = run_id_of(post_form(client, EXPORT, EXPORT, {"selected": ids}))
    while client.get(f"/setup/quickbooks/runs/{run_id}.json").get_json()["state"] != "running":
        time.sleep(0.02)
    time.sleep(0.3)  # the chunk's batch request is under way (QuickBooks is slow)
    blocker = sqlite3.connect(db_path, isolation_level=None, check_same_thread=False)
    blocker.execute("BEGIN IMMEDIATE")  # another writer holds the database past the answer
    release = threading.Timer(2.0, lambda: blocker.execute("COMMIT"))
    release.start()
    report = wait_for_run(client, run_id)
    release.join()
    blocker.close()
    assert report["ok"] == 2 and report["errors"] == 1
    exported = Counter(values["contact_id"] for name, values, _ in heard if name == "exported")
    assert exported == Counter({ids[0]: 1, ids[1]: 1})
    assert all(committed for name, _values, committed in heard if name == "exported")
    assert [values["key"] for name, values, _ in heard if name == "failed"] == [ids[2]]


def test_contact_imported_is_sent_once_per_imported_row(linked_app, client, qbo, heard):
    first = qbo.add_customer({"DisplayName": "Imported Once"})
    second = qbo.add_customer({"DisplayName": "Imported Twice Over"})
    refresh_list(client)
    report = submit(client, IMPORT, [first["Id"], second["Id"]])
    assert report["ok"] == 2
    imported = [
        (values["customer_id"], values["created"], committed) for name, values, committed in heard if name == "imported"
    ]
    assert sorted(imported) == sorted([(first["Id"], True, True), (second["Id"], True, True)])
