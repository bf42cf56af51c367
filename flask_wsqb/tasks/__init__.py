"""Running bulk jobs: on RQ workers when ``WSQB_REDIS_URL`` is set, else in a thread.

The same job function runs either way, and it keeps progress in the database, so the
page shows the same thing in both modes.
"""
from __future__ import annotations

import re
import threading

from flask import Flask, current_app

from ..config import setting
from ..extension import current_state
from .jobs import run_sync

#: A job may run this long on a worker before RQ gives up on it (big companies, throttling).
JOB_TIMEOUT = 6 * 3600


class QueueUnavailableError(RuntimeError):
    """The job queue (Redis) is not configured or cannot be reached."""


def redis_url() -> str:
    current_state()  # a clear error if used before init_app
    url = setting("REDIS_URL")
    if not url:
        raise QueueUnavailableError(
            "WSQB_REDIS_URL is not set: jobs run in the web process, no worker needed."
        )
    return url


def redis_connection():
    from redis import Redis

    return Redis.from_url(redis_url(), socket_connect_timeout=5, socket_timeout=30)


def queue(connection=None):
    from rq import Queue

    return Queue(setting("QUEUE"), connection=connection or redis_connection())


def unreachable(exc: Exception) -> str:
    """What to say when Redis does not answer (the URL without its password: users read it)."""
    shown = re.sub(r"//[^/@]*@", "//", redis_url())
    return f"Redis at {shown} cannot be reached: {str(exc).rstrip('.')}."


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
