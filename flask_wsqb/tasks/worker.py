"""``flask wsqb worker``: RQ's forking worker, run inside the app's context.

Each job runs in a work horse forked from this process. A forked child must not use the
database connections pooled in its parent (two processes on one PostgreSQL socket corrupt
each other's conversation), so the parent keeps none while it waits and each horse drops
the copies it inherited without closing them.
"""

from __future__ import annotations

from rq import Worker

from ..quickbooks.redis_client import QueueUnavailableError, redis_connection, unreachable
from ..state import current_state
from . import queue
from .rounds import keep_running


def _drop_database_connections(*, close: bool) -> None:
    for engine in current_state().db.engines.values():
        engine.dispose(close=close)


class AppWorker(Worker):
    """An RQ worker whose work horses open their own database connections."""

    def main_work_horse(self, job, queue):
        _drop_database_connections(close=False)  # the parent's sockets stay the parent's
        super().main_work_horse(job, queue)


def work(*, burst: bool = False, name: str | None = None) -> bool:
    """Run jobs from the app's queue until stopped (or, with ``burst``, until it is empty), with
    RQ's scheduler (automatic sync's rounds wait in it for their time). A round lost with a
    stopped worker is asked for again first."""
    from redis.exceptions import RedisError

    connection = redis_connection()
    try:
        connection.ping()
    except RedisError as exc:
        raise QueueUnavailableError(unreachable(exc)) from exc
    keep_running()
    # Nothing of the parent's session may reach a work horse: its connection would be shared by
    # every horse forked after (a socket two processes talk over). End it, then close the pool.
    current_state().db.session.remove()
    _drop_database_connections(close=True)
    return AppWorker([queue(connection)], connection=connection, name=name).work(burst=burst, with_scheduler=True)
