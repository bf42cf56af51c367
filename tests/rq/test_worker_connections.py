"""Each work horse of ``flask wsqb worker`` talks to PostgreSQL over a connection of its own, even
when the worker read the database before it forked them (automatic sync's rounds are asked for at
its start): two horses sharing the parent's socket broke each other's statements, and then every
later job of the worker."""

from __future__ import annotations

import time

import pytest
from rq.job import Job

from tests.auto.helpers import turn_on
from tests.helpers import connect_quickbooks
from tests.rq.helpers import WAIT


def test_work_horses_do_not_share_the_workers_database_connection(app, client, qbo, db_url, rq_queue, workers):
    if not db_url.startswith("postgresql"):
        pytest.skip("PostgreSQL's server process per connection tells connections apart")
    workers.flask_worker()  # its start reads the connections (to ask for automatic sync's rounds)
    connect_quickbooks(client, qbo)
    turn_on(client, "quickbooks")
    jobs = [rq_queue.enqueue("tests.rq.probes.database_backend") for _ in range(3)]
    deadline = time.monotonic() + WAIT
    while not all(Job.fetch(job.id, connection=rq_queue.connection).is_finished for job in jobs):
        assert time.monotonic() < deadline, workers.log()
        time.sleep(0.1)
    backends = [Job.fetch(job.id, connection=rq_queue.connection).return_value() for job in jobs]
    assert len(set(backends)) == 3, (backends, workers.log())
