"""Big runs shared by several real workers; a worker SIGKILLed mid-export; Redis lost with
the queued jobs: every row ends exported exactly once, and a stuck run says so and retries."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest
import sqlalchemy as sa

from example_app.models import db
from tests.helpers import EXPORT, add_contacts, connect_quickbooks, post_form, report_of, run_id_of
from tests.rq.helpers import FLASK_WORKER, Workers, finished, wait_until
from tests.services import RedisServer

pytestmark = pytest.mark.redis


@pytest.fixture
def app_config(app_config):
    # A run with no sign of life for 2 s counts as stalled (production: minutes).
    return {**app_config, "WSQB_STALL_AFTER": 2.0}


def export(client, ids: list[str]) -> int:
    return run_id_of(post_form(client, EXPORT, EXPORT, {"selected": ids}))


def errors_of(client, run_id: int) -> set[str]:
    return {i["message"] for i in report_of(client, run_id)["items"] if i["status"] == "error"}


def start_workers(workers, count: int, name: str) -> None:
    for number in range(count):
        workers.flask_worker("--name", f"wsqb-{name}-{number}")


def retry(client, run_id: int):
    page = f"{EXPORT}?run={run_id}"
    return post_form(client, page, f"/setup/quickbooks/runs/{run_id}/retry?run={run_id}", follow_redirects=True)


def exactly_once(qbo, names: list[str]) -> None:
    stored = sorted(c["DisplayName"] for c in qbo.customers())
    assert stored == sorted(names), (len(stored), len(names))


def claimers(app, run_id: int) -> set[str]:
    with app.app_context():
        Item = app.extensions["wsqb"].models.SyncItem
        return set(db.session.scalars(sa.select(Item.claimed_by).where(Item.run_id == run_id)))


def kill_with_children(pid: int) -> None:
    """SIGKILL a worker and its work horse (RQ forks the horse into a session of its own)."""
    children = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:  # the parent pid
            children.append(int(stat.parent.name))
    for victim in [*children, pid]:
        os.kill(victim, signal.SIGKILL)


#: Workers side by side need PostgreSQL: SQLite lets one process write at a time, so several
#: workers on SQLite take turns (correctly, as the other tests here show), not share the work.
side_by_side = pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)


@side_by_side
def test_a_big_export_is_shared_by_four_workers(app, client, qbo, workers):
    start_workers(workers, 4, "share")
    connect_quickbooks(client, qbo)
    names = [f"Client {n:04}" for n in range(600)]
    ids = add_contacts(app, *({"display_name": name} for name in names))
    qbo.fail_next(count=40, path="/batch", mode="hang", hang_seconds=0.1)  # slow enough to share
    run_id = export(client, ids)
    report = finished(client, run_id, workers, timeout=120)
    assert (report["state"], report["ok"], report["errors"]) == ("done", 600, 0), errors_of(client, run_id)
    exactly_once(qbo, names)
    assert len(claimers(app, run_id)) >= 2  # rows were taken by more than one worker


def test_sigkill_mid_export_then_retry_exports_every_row_once(app, client, qbo, workers):
    worker = workers.flask_worker("--name", "wsqb-doomed")
    connect_quickbooks(client, qbo)
    names = [f"Row {n:03}" for n in range(300)]
    ids = add_contacts(app, *({"display_name": name} for name in names))
    qbo.fail_next(count=100, path="/batch", mode="hang", hang_seconds=0.4)
    run_id = export(client, ids)
    wait_until(lambda: report_of(client, run_id)["done"] >= 60, "some rows exported", log=workers.log)
    kill_with_children(worker.pid)  # worker and work horse, no cleanup; a batch may be in flight
    worker.wait(10)
    stuck = wait_until(lambda: (r := report_of(client, run_id))["stalled"] and r, "the run shows as stalled")
    assert stuck["retryable"] and not stuck["finished"] and stuck["done"] < 300
    qbo.clear_faults()

    workers.flask_worker("--name", "wsqb-rescuer")
    page = retry(client, run_id).get_data(as_text=True)
    assert "wsqb-run" in page
    report = finished(client, run_id, workers)
    assert (report["state"], report["ok"], report["errors"]) == ("done", 300, 0), report
    exactly_once(qbo, names)


def test_sigkill_while_rows_go_one_by_one_then_retry_creates_each_once(app, client, qbo, workers):
    """Past the batch requests allowed (one a minute here) rows go as single requests, several
    at once: killed among them, the worker leaves rows created in QuickBooks but not recorded;
    the retry finds each by its name instead of creating it again."""
    worker = workers.start(*FLASK_WORKER, "--name", "wsqb-doomed-singles", WSQB_BATCH_PER_MINUTE="1")
    connect_quickbooks(client, qbo)
    names = [f"Single {n:03}" for n in range(240)]
    ids = add_contacts(app, *({"display_name": name} for name in names))
    qbo.fail_next(count=1000, path="/customer", method="POST", mode="hang", hang_seconds=0.05)
    qbo.reset_log()
    run_id = export(client, ids)
    wait_until(lambda: report_of(client, run_id)["done"] >= 90, "some rows exported", log=workers.log)
    kill_with_children(worker.pid)  # single requests in flight, their chunk not committed
    worker.wait(10)
    singles = [p for m, p, _s in qbo.request_log if m == "POST" and p.endswith("/customer")]
    assert len(singles) >= 60, len(singles)  # the rows past the first batch request went one by one
    wait_until(lambda: report_of(client, run_id)["stalled"], "the run shows as stalled")
    qbo.clear_faults()

    workers.start(*FLASK_WORKER, "--name", "wsqb-rescuer-singles", WSQB_BATCH_PER_MINUTE="1")
    retry(client, run_id)
    report = finished(client, run_id, workers)
    assert (report["state"], report["ok"], report["errors"]) == ("done", 240, 0), errors_of(client, run_id)
    exactly_once(qbo, names)


@pytest.fixture
def own_redis():
    server = RedisServer()
    server.start()
    yield server
    server.stop()


def test_redis_lost_with_the_queued_jobs_gives_a_clear_error_and_a_retryable_run(
    app_config, db_url, qbo, own_redis, worker_env, tmp_path
):
    from example_app import create_app

    app = create_app({**app_config, "WSQB_REDIS_URL": own_redis.url})
    client = app.test_client()
    workers = Workers({**worker_env, "WSQB_REDIS_URL": own_redis.url}, tmp_path)
    try:
        workers.flask_worker("--burst", "--name", "wsqb-connect")
        connect_quickbooks(client, qbo)
        names = ["Lost Job One", "Lost Job Two"]
        ids = add_contacts(app, *({"display_name": name} for name in names))
        run_id = export(client, ids)  # queued in Redis; no worker is running
        own_redis.stop()  # Redis goes away, and the queued job with it
        own_redis.start()  # back, empty (no persistence)
        stuck = wait_until(lambda: (r := report_of(client, run_id))["stalled"] and r, "the run shows as stalled")
        assert stuck["retryable"] and stuck["done"] == 0
        page = client.get(f"{EXPORT}?run={run_id}").get_data(as_text=True)
        assert "No worker has reported on this run" in page and 'id="wsqb-retry"' in page

        own_redis.stop()  # while Redis is down, Retry says so and keeps the run
        answer = retry(client, run_id).get_data(as_text=True)
        assert "cannot be reached" in answer
        report = report_of(client, run_id)
        assert report["state"] == "failed" and report["retryable"] and qbo.customers() == []

        own_redis.start()
        retry(client, run_id)
        workers.flask_worker("--burst", "--name", "wsqb-after")
        report = finished(client, run_id, workers)
        assert (report["state"], report["ok"]) == ("done", 2), report
        exactly_once(qbo, names)
    finally:
        workers.stop_all()
        with app.app_context():
            app.extensions["sqlalchemy"].engine.dispose()


@side_by_side
def test_two_workers_finding_the_token_expired_refresh_it_once(app, client, qbo, workers):
    start_workers(workers, 2, "refresh")
    connect_quickbooks(client, qbo)
    names = [f"Token Row {n:03}" for n in range(400)]
    ids = add_contacts(app, *({"display_name": name} for name in names))
    qbo.expire_access_tokens()  # QuickBooks stops accepting the access token both workers hold
    refreshes_before = sum(1 for _m, path, _s in qbo.request_log if path.endswith("/tokens/bearer"))
    run_id = export(client, ids)
    report = finished(client, run_id, workers)
    assert (report["state"], report["ok"], report["errors"]) == ("done", 400, 0), errors_of(client, run_id)
    refreshes = sum(1 for _m, path, _s in qbo.request_log if path.endswith("/tokens/bearer")) - refreshes_before
    assert refreshes == 1
    assert len(claimers(app, run_id)) == 2  # both workers did work with the one refreshed token
    exactly_once(qbo, names)


def test_server_errors_and_dropped_connections_mid_run_lose_nothing(app, client, qbo, workers):
    start_workers(workers, 2, "faults")
    connect_quickbooks(client, qbo)
    names = [f"Faulty Row {n:03}" for n in range(300)]
    ids = add_contacts(app, *({"display_name": name} for name in names))
    # three faults, fewer than the four tries a request gets: even if one batch meets all of them
    qbo.fail_next(status=500, count=1, path="/batch")
    qbo.fail_next(count=1, path="/batch", mode="drop")
    qbo.fail_next(status=503, count=1, path="/batch", mode="html")
    run_id = export(client, ids)
    report = finished(client, run_id, workers)
    assert (report["state"], report["ok"], report["errors"]) == ("done", 300, 0), errors_of(client, run_id)
    exactly_once(qbo, names)
