"""Fair to every firm: jobs take turns. A job whose turn is over while another firm's job is
queued gives way rather than hold the worker: an export rather than wait for its company's
request budget, an import between two chunks. One real ``flask wsqb worker`` serves the two-firm
host (tests/hosts/firms.py); each firm has its own emulated company; the budget allows one batch
request every two seconds, so firm A's export spends most of its time waiting."""

from __future__ import annotations

import sys
import time

import pytest
import sqlalchemy as sa
from rq.registry import FinishedJobRegistry

from tests.helpers import EXPORT, IMPORT, host_config, post_form, report_of, run_id_of
from tests.hosts import firms
from tests.hosts.firms import Person, add_people, as_firm, connect_to, db
from tests.rq.helpers import finished, wait_until

pytestmark = pytest.mark.redis

#: One batch request (30 rows) per two-second window, for every worker together.
PACING = {"WSQB_BATCH_PER_MINUTE": "1", "WSQB_RATE_WINDOW": "2", "WSQB_GIVE_WAY_AFTER": "0.2"}
#: Five batch requests, then the next only fifteen seconds later (and too few requests left to
#: send a chunk's rows one by one): a job waits long for it.
LONG_WAITS = {
    "WSQB_BATCH_PER_MINUTE": "5",
    "WSQB_RATE_PER_MINUTE": "30",
    "WSQB_RATE_WINDOW": "15",
    "WSQB_GIVE_WAY_AFTER": "0.2",
}


@pytest.fixture
def pacing() -> dict[str, str]:
    """The budget and turns of the web app and its workers (a test may parametrize another)."""
    return PACING


@pytest.fixture
def app_config(db_url, qbo, redis_url, pacing) -> dict:
    return host_config(db_url, qbo, WSQB_REDIS_URL=redis_url, **pacing)


@pytest.fixture
def app(app_config):
    app = firms.create_app(app_config)
    yield app
    with app.app_context():
        db.drop_all()
        db.engine.dispose()


def start_worker(workers, pacing: dict[str, str]):
    return workers.start(
        sys.executable, "-m", "flask", "--app", "tests.hosts.firms:create_worker_app", "wsqb", "worker", **pacing
    )


@pytest.fixture
def worker(workers, pacing):
    return start_worker(workers, pacing)


def start_export(app, web, firm: str, rows: int) -> int:
    numbers = add_people(app, firm, *(f"{firm.title()} Client {n:03}" for n in range(rows)))
    return run_id_of(post_form(web, EXPORT, EXPORT, {"selected": numbers}))


def jobs_of(rq_queue, run_id: int) -> list:
    """The finished jobs that worked on ``run_id`` (a job that gave way, then its continuation)."""
    registry = FinishedJobRegistry(queue=rq_queue)
    jobs = [rq_queue.fetch_job(job_id) for job_id in registry.get_job_ids()]
    return [job for job in jobs if job is not None and job.args[0] == run_id]


def worked_around(big: list, small: list) -> bool:
    """Whether the big run's jobs worked both before the small run's job started and after it
    ended, on the test's one worker: the big run gave way and took its work up again."""
    [job] = small
    return min(j.started_at for j in big) < job.started_at and max(j.ended_at for j in big) > job.ended_at


def test_a_waiting_export_gives_way_to_another_firms_import(app, qbo, rq_queue, workers, worker):
    alpha, beta = qbo.add_company("Alpha Books"), qbo.add_company("Beta Books")
    beta_ids = [qbo.add_customer({"DisplayName": f"Beta Customer {n}"}, realm_id=beta)["Id"] for n in range(5)]
    web_a, web_b = as_firm(app, "alpha"), as_firm(app, "beta")
    connect_to(web_a, qbo, alpha)
    connect_to(web_b, qbo, beta)

    export = start_export(app, web_a, "alpha", 150)  # five batch requests: at least eight seconds
    wait_until(lambda: report_of(web_a, export)["ok"] >= 30, "A's first batch sent", log=workers.log)
    imported = run_id_of(post_form(web_b, IMPORT, IMPORT, {"selected": beta_ids}))

    b = finished(web_b, imported, workers)
    a_meanwhile = report_of(web_a, export)
    a = finished(web_a, export, workers)
    assert (b["state"], b["ok"], b["errors"]) == ("done", 5, 0), b
    assert not a_meanwhile["finished"] and a_meanwhile["ok"] < 150  # B did not wait for all of A
    assert (a["state"], a["ok"], a["errors"]) == ("done", 150, 0), a
    names = [c["DisplayName"] for c in qbo.customers(realm_id=alpha)]
    assert len(names) == len(set(names)) == 150  # given way and taken up again: nothing sent twice
    assert worked_around(jobs_of(rq_queue, export), jobs_of(rq_queue, imported)), workers.log()
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).where(Person.firm == "beta")) == 5


def test_a_big_import_gives_way_between_chunks_to_another_firms_import(app, qbo, rq_queue, workers, worker):
    alpha, beta = qbo.add_company("Alpha Books"), qbo.add_company("Beta Books")
    alpha_ids = [qbo.add_customer({"DisplayName": f"Alpha Customer {n:04}"}, realm_id=alpha)["Id"] for n in range(2000)]
    beta_ids = [qbo.add_customer({"DisplayName": f"Beta Customer {n}"}, realm_id=beta)["Id"] for n in range(5)]
    web_a, web_b = as_firm(app, "alpha"), as_firm(app, "beta")
    connect_to(web_a, qbo, alpha)
    connect_to(web_b, qbo, beta)

    big = run_id_of(post_form(web_a, IMPORT, IMPORT, {"selected": alpha_ids}))  # ten chunks of 200
    # B right behind A: the one worker takes A's first job, and B's is queued while it works (a
    # test process slow to see A's progress must not let A end before B is even queued)
    small = run_id_of(post_form(web_b, IMPORT, IMPORT, {"selected": beta_ids}))

    b = finished(web_b, small, workers)
    a = finished(web_a, big, workers)
    assert (b["state"], b["ok"]) == ("done", 5), b
    assert (a["state"], a["ok"], a["errors"]) == ("done", 2000, 0), a
    # B did not wait for all of A: A's jobs worked before and after B's, by the worker's own clock
    # (a 2,000-row import lasts a few seconds: how fast this process polls must not decide it)
    assert worked_around(jobs_of(rq_queue, big), jobs_of(rq_queue, small)), workers.log()
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).where(Person.firm == "alpha")) == 2000


def test_a_waiting_export_keeps_its_worker_when_nothing_else_is_queued(app, qbo, rq_queue, workers, worker):
    alpha = qbo.add_company("Alpha Books")
    web = as_firm(app, "alpha")
    connect_to(web, qbo, alpha)
    export = start_export(app, web, "alpha", 90)  # three batch requests: waits twice
    report = finished(web, export, workers)
    assert (report["state"], report["ok"]) == ("done", 90), report
    assert len(jobs_of(rq_queue, export)) == 1
    assert len(qbo.customers(realm_id=alpha)) == 90


@pytest.mark.parametrize("pacing", [LONG_WAITS])
def test_a_job_waiting_for_its_budget_gives_way_as_soon_as_another_firms_job_is_queued(
    app, qbo, rq_queue, workers, worker
):
    alpha, beta = qbo.add_company("Alpha Books"), qbo.add_company("Beta Books")
    beta_ids = [qbo.add_customer({"DisplayName": f"Beta Customer {n}"}, realm_id=beta)["Id"] for n in range(5)]
    web_a, web_b = as_firm(app, "alpha"), as_firm(app, "beta")
    connect_to(web_a, qbo, alpha)
    connect_to(web_b, qbo, beta)

    export = start_export(app, web_a, "alpha", 180)  # five batch requests, the sixth 15 s later
    wait_until(lambda: report_of(web_a, export)["ok"] >= 150, "A's five batches sent", log=workers.log)
    clicked = time.monotonic()
    imported = run_id_of(post_form(web_b, IMPORT, IMPORT, {"selected": beta_ids}))

    b = finished(web_b, imported, workers)
    # not when A's wait ends: its job gave way at its next look (A's own wait lasts > 10 s)
    assert time.monotonic() - clicked < 6, workers.log()
    assert (b["state"], b["ok"]) == ("done", 5), b
    assert not report_of(web_a, export)["finished"], workers.log()
    a = finished(web_a, export, workers)
    assert (a["state"], a["ok"], a["errors"]) == ("done", 180, 0), a
    names = [c["DisplayName"] for c in qbo.customers(realm_id=alpha)]
    assert len(names) == len(set(names)) == 180
    assert worked_around(jobs_of(rq_queue, export), jobs_of(rq_queue, imported)), workers.log()
