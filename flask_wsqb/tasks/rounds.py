"""Automatic sync's rounds (flask_wsqb.sync.auto): when the next one runs, and the job running it.

With ``WSQB_REDIS_URL`` a round is an RQ job, queued at once or at its time through RQ's own
scheduler (``flask wsqb worker`` runs it; a plain ``rq worker`` needs ``--with-scheduler``);
without, a timer thread of the web process. A firm has one round waiting at most: asking for a
later time than the one waiting changes nothing; for an earlier time, the earlier round is added
(the later one then finds little to do). Each round asks for the next: the catch-up clock ticks
as long as automatic sync is on.
"""

from __future__ import annotations

import threading
import weakref
from datetime import datetime

import sqlalchemy as sa
from flask import Flask, current_app

from ..clock import utcnow
from ..config import setting
from ..models import AutoSync
from ..quickbooks.redis_client import redis_connection
from ..state import current_app_object, current_state
from ..sync import auto
from ..tenancy import tenant_scope
from .jobs import app_context

#: A round's job may take this long (a first catch-up of a big company).
ROUND_TIMEOUT = 3600


def schedule_round(tenant: str, at: datetime | None = None) -> None:
    """Run a round for ``tenant`` at ``at`` (default: now). Never raises for a missing Redis: the
    change is recorded, and the next round (a worker's start, the catch-up) applies it."""
    at = at or utcnow()
    if not setting("REDIS_URL"):
        _timer(current_app_object(), tenant, at)
        return
    from redis.exceptions import RedisError

    try:
        _enqueue(tenant, at)
    except RedisError as exc:
        current_app.logger.warning("flask-wsqb: automatic sync round for %s not scheduled (%s)", tenant, exc)


def run_round(tenant: str) -> None:
    """The job: one round for ``tenant``, then the next one asked for."""
    with app_context(), tenant_scope(tenant):
        _started(tenant)
        try:
            next_at = auto.run_round()
        except Exception:
            current_app.logger.exception("flask-wsqb: automatic sync round for %s stopped", tenant)
            current_state().db.session.rollback()  # the next job of this process starts clean
            next_at = utcnow() + auto.RETRY_AFTER
        if next_at is not None:
            schedule_round(tenant, next_at)


def keep_running() -> None:
    """Ask for a round for every firm whose automatic sync is on (at a worker's start, and the web
    process's first request): a round lost with a stopped worker or process is asked for again."""
    state = current_state()
    Connection = state.models.Connection
    connections = state.db.session.execute(
        sa.select(Connection).where(Connection.auto_sync != AutoSync.OFF)  # every firm's: no request, no tenant
    ).scalars()
    for connection in connections:
        with tenant_scope(connection.tenant):
            schedule_round(connection.tenant, auto.next_due(connection))


# -- RQ ---------------------------------------------------------------------------------------------


def _key(tenant: str) -> str:
    return f"wsqb:round:{setting('QUEUE')}:{tenant}"


def _enqueue(tenant: str, at: datetime) -> None:
    from . import queue

    connection = redis_connection()
    waiting = connection.get(_key(tenant))
    if waiting is not None and float(waiting) <= at.timestamp() + 0.5:
        return
    wait = (at - utcnow()).total_seconds()
    # The mark outlives the round it stands for by a margin: a job lost with Redis does not
    # stop the rounds for longer.
    connection.set(_key(tenant), at.timestamp(), ex=int(max(wait, 0)) + 900)
    options = {"job_timeout": ROUND_TIMEOUT, "description": f"flask-wsqb automatic sync ({tenant})"}
    if wait <= 0:
        queue(connection).enqueue(run_round, tenant, **options)
    else:
        queue(connection).enqueue_at(at, run_round, tenant, **options)


def _started(tenant: str) -> None:
    """The round is running: a change from now on asks for another."""
    if setting("REDIS_URL"):
        from redis.exceptions import RedisError

        try:
            redis_connection().delete(_key(tenant))
        except RedisError:
            pass  # the mark expires by itself


# -- a timer thread (no Redis) -----------------------------------------------------------------------

_timers: dict[tuple[int, str], tuple[datetime, threading.Timer]] = {}
_timers_lock = threading.Lock()
_stopped: weakref.WeakSet[Flask] = weakref.WeakSet()  # apps whose rounds ask for no more


def _timer(app: Flask, tenant: str, at: datetime) -> None:
    key = (id(app), tenant)
    with _timers_lock:
        if app in _stopped:
            return
        waiting = _timers.get(key)
        if waiting is not None and waiting[0] <= at:
            return
        if waiting is not None:
            waiting[1].cancel()
        timer = threading.Timer(max(0.0, (at - utcnow()).total_seconds()), _in_thread, args=(app, tenant))
        timer.daemon = True
        timer.name = f"wsqb-round-{id(app)}-{tenant}"
        _timers[key] = (at, timer)
        timer.start()


def stop_timers(app: Flask, wait: float = 10.0) -> None:
    """Cancel ``app``'s waiting rounds and wait for the running ones (a web process or a test
    ending: a round cut off mid-way would leave its database connection open)."""
    with _timers_lock:
        _stopped.add(app)
        waiting = [_timers.pop(key)[1] for key in list(_timers) if key[0] == id(app)]
    for timer in waiting:
        timer.cancel()  # one that has just fired finishes its round: joined below
    for thread in threading.enumerate():
        if thread.name.startswith(f"wsqb-round-{id(app)}-") and thread is not threading.current_thread():
            thread.join(wait)


def _in_thread(app: Flask, tenant: str) -> None:
    with _timers_lock:
        _timers.pop((id(app), tenant), None)
    with app.app_context():
        run_round(tenant)
