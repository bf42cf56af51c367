"""Running bulk jobs: on RQ workers when ``WSQB_REDIS_URL`` is set, else in a thread.

The same job function runs either way, and it keeps progress in the database, so the
page shows the same thing in both modes.
"""
from __future__ import annotations

import threading

from flask import Flask, current_app

from ..config import setting
from ..redis_client import QueueUnavailableError, redis_connection, unreachable
from .jobs import run_sync

__all__ = ["QueueUnavailableError", "enqueue", "queue"]

#: A job may run this long on a worker before RQ gives up on it (big companies, throttling).
JOB_TIMEOUT = 6 * 3600


def queue(connection=None):
    from rq import Queue

    return Queue(setting("QUEUE"), connection=connection or redis_connection())


def enqueue(run_id: int) -> None:
    """Start the run: an RQ job, or a background thread when no Redis is configured."""
    if not setting("REDIS_URL"):
        app = current_app._get_current_object()
        threading.Thread(target=_run_in_thread, args=(app, run_id), name=f"wsqb-run-{run_id}",
                         daemon=True).start()
        return
    from redis.exceptions import RedisError

    try:
        queue().enqueue(run_sync, run_id, job_timeout=JOB_TIMEOUT, description=f"flask-wsqb run {run_id}")
    except RedisError as exc:
        raise QueueUnavailableError(
            f"{unreachable(exc)} The run was not started: try again when the job queue is back."
        ) from exc


def _run_in_thread(app: Flask, run_id: int) -> None:
    with app.app_context():
        run_sync(run_id)
