"""Import and Export Selected through HTTP, queued on a real Redis and run by real worker
processes (``flask wsqb worker`` and plain ``rq worker``), on SQLite and PostgreSQL."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
import sqlalchemy as sa
from rq.job import JobStatus

from example_app.models import Contact, db
from tests.helpers import EXPORT, IMPORT, add_contacts, connect_quickbooks, post_form, report_of, run_id_of
from tests.rq.helpers import finished

pytestmark = pytest.mark.redis

RUN_SYNC = "flask_wsqb.tasks.jobs.run_sync"


def contact_names(app) -> list[str]:
    with app.app_context():
        return sorted(db.session.scalars(sa.select(Contact.display_name)))


def customer_names(qbo) -> list[str]:
    return sorted(c["DisplayName"] for c in qbo.customers())


def test_export_selected_waits_in_redis_until_a_worker_runs_it(app, client, qbo, rq_queue, workers):
    first = workers.flask_worker("--name", "wsqb-first")
    connect_quickbooks(client, qbo)  # waits for the list's first refresh, done by the worker
    assert workers.stop(first) == 0, workers.log()
    ids = add_contacts(app, {"display_name": "Harbor Dental"}, {"display_name": "Prairie Farms"})
    run_id = run_id_of(post_form(client, EXPORT, EXPORT, {"selected": ids}))

    [job] = [job for job in rq_queue.jobs if job.args[0] == run_id]  # the run, then its firm
    assert job.func_name == RUN_SYNC
    assert report_of(client, run_id)["state"] == "queued" and qbo.customers() == []

    worker = workers.flask_worker("--burst", "--name", f"wsqb-burst-{run_id}")
    assert workers.wait(worker) == 0, workers.log()
    report = report_of(client, run_id)
    assert (report["state"], report["ok"], report["errors"]) == ("done", 2, 0), report
    assert customer_names(qbo) == ["Harbor Dental", "Prairie Farms"]
    assert job.get_status(refresh=True) == JobStatus.FINISHED and rq_queue.count == 0


def test_import_selected_on_a_running_worker(app, client, qbo, workers):
    maria = qbo.add_customer({"DisplayName": "Maria Garcia", "PrimaryEmailAddr": {"Address": "maria@example.com"}})
    shop = qbo.add_customer({"DisplayName": "Closed Shop LLC", "Active": False})
    worker = workers.flask_worker("--name", "wsqb-running")
    connect_quickbooks(client, qbo)  # one work horse per job, forked from the same worker: refresh,
    page = IMPORT + "?show_hidden=1"  # then import
    run_id = run_id_of(post_form(client, page, page, {"selected": [maria["Id"], shop["Id"]]}))
    report = finished(client, run_id, workers)
    assert (report["state"], report["ok"], report["errors"]) == ("done", 2, 0), report
    assert contact_names(app) == ["Closed Shop LLC", "Maria Garcia"]
    assert worker.poll() is None, workers.log()  # still waiting for work until the test stops it


@pytest.mark.parametrize("worker_class", ["rq.Worker", "rq.SimpleWorker"])
def test_plain_rq_worker_loads_the_example_app_from_flask_app(app, client, qbo, redis_url, workers, worker_class):
    # first: the example app seeds demo contacts into an empty table
    ids = add_contacts(app, {"display_name": "Willow Yoga"})
    rq = str(Path(sys.executable).with_name("rq"))
    workers.start(
        rq,
        "worker",
        "--url",
        redis_url,
        "--worker-class",
        worker_class,
        app.config["WSQB_QUEUE"],
        FLASK_APP="example_app:create_app",
    )
    connect_quickbooks(client, qbo)
    report = finished(client, run_id_of(post_form(client, EXPORT, EXPORT, {"selected": ids})), workers)
    assert (report["state"], report["ok"]) == ("done", 1), (report, workers.log())
    assert customer_names(qbo) == ["Willow Yoga"]
    assert contact_names(app) == ["Willow Yoga"]
