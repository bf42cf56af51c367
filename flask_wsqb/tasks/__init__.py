"""Running bulk jobs: on RQ workers when ``WSQB_REDIS_URL`` is set, else in a thread.

The same job function runs either way, and it keeps progress in the database, so the
page shows the same thing in both modes.
"""

from __future__ import annotations

import threading

from flask import Flask

from ..config import setting
from ..quickbooks.redis_client import QueueUnavailableError, redis_connection, unreachable
from ..state import current_app_object
from ..sync import runs
from .jobs import run_sync

__all__ = ["QueueUnavailableError", "enqueue", "queue"]

#: A job may run this long on a worker before RQ gives up on it (big companies, throttling).
JOB_TIMEOUT = 6 * 3600
#: Runs smaller than two of these go to a single job: splitting them gains nothing.
ROWS_PER_JOB = 100


def queue(connection=None):
    from rq import Queue

    return Queue(setting("QUEUE"), connection=connection or redis_connection())


def enqueue(run) -> None:
    """Start the run: RQ jobs, or a background thread when no Redis is configured. Either way
    the job carries the run's firm: workers never ask the host which it is."""
    if not setting("REDIS_URL"):
        app = current_app_object()
        threading.Thread(
            target=_run_in_thread, args=(app, run.id, run.tenant), name=f"wsqb-run-{run.id}", daemon=True
        ).start()
        return
    from redis.exceptions import RedisError

    jobs = _jobs_for(run.id)
    try:
        target = queue()
        for number in range(jobs):
            target.enqueue(
                run_sync,
                run.id,
                run.tenant,
                job_timeout=JOB_TIMEOUT,
                description=f"flask-wsqb run {run.id} ({number + 1} of {jobs})",
                meta={"realm": run.realm_id},
            )
    except RedisError as exc:
        raise QueueUnavailableError(
            f"{unreachable(exc)} The run was not started: try again when the job queue is back."
        ) from exc


def _jobs_for(run_id: int) -> int:
    """How many jobs share a run: one per ROWS_PER_JOB rows, at most WSQB_JOBS_PER_RUN.

    Each job takes rows chunk by chunk until none is left (sync.claims), so any number of
    workers can help and a job that dies leaves its rows to the others.
    """
    total = runs.counts(run_id)["total"]
    return max(1, min(int(setting("JOBS_PER_RUN")), total // ROWS_PER_JOB))


def _run_in_thread(app: Flask, run_id: int, tenant: str) -> None:
    with app.app_context():
        run_sync(run_id, tenant)
