"""Job functions: module-level, plain ids in, an app context around the sync service.

Under ``flask wsqb worker`` the app context is already there. Under a plain ``rq worker``
the app is loaded from ``FLASK_APP``, as the ``flask`` command does, once in each process
that runs jobs (each forked work horse; the worker itself with ``rq.SimpleWorker``).

Jobs take turns (flask_wsqb.fairness): one whose turn is over while another run's job is
queued gives way, putting a job for the rest of its run at the end of the queue, and the worker
takes the other job. One firm's big export so never holds every worker while another firm waits;
and one queued job makes one job give way, not each of the big run's jobs that look meanwhile.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache, partial

from flask import current_app, has_app_context
from flask.cli import ScriptInfo

from ..config import setting
from ..fairness import GiveWay, taking_turns
from ..models import RunKind, RunState
from ..quickbooks.errors import QuickBooksError
from ..quickbooks.factory import gateway
from ..sync import exporting, importing, mirror, proposals, runs
from ..tenancy import DEFAULT_TENANT, tenant_scope

_loaded_app = None
#: How far down the queue a job looks for another run's job before giving way to it.
LOOK_AHEAD = 50
#: How long a job given way to is left to the worker that gave way (then, if it is still queued,
#: another job gives way to it).
GIVEN_WAY_FOR_MS = 5000


@contextmanager
def app_context() -> Iterator[None]:
    global _loaded_app
    if has_app_context():
        yield
        return
    if _loaded_app is None:
        # FLASK_APP names the app, as for `flask` (ScriptInfo itself does not read it)
        _loaded_app = ScriptInfo(app_import_path=os.environ.get("FLASK_APP")).load_app()
    with _loaded_app.app_context():
        yield


def _refresh(run, gateway) -> None:
    written = mirror.refresh(gateway, unless_since=run.created_at)
    runs.start(run)
    said = "nothing had changed" if not written else f"{written} customer{'s' * (written != 1)} updated"
    runs.finish(run, message=f"QuickBooks list refreshed ({said}).")


_KINDS = {
    RunKind.IMPORT: importing.import_customers,
    RunKind.EXPORT: exporting.export_contacts,
    RunKind.REFRESH: _refresh,
    RunKind.MATCH: proposals.auto_match,
}


def run_sync(run_id: int, tenant: str = DEFAULT_TENANT) -> None:
    """Run (or resume) one sync run of ``tenant`` to the end (jobs queued before firms existed
    name none: theirs is the default one)."""
    from rq import get_current_job

    job = get_current_job()  # None in the web process's thread: nothing to give way to there
    with app_context(), tenant_scope(tenant), _taking_turns(job, run_id):
        run = runs.get(run_id)
        if run is None or run.state == RunState.DONE:
            return
        try:
            _KINDS[run.kind](run, gateway())
        except GiveWay:
            _hand_back(job, run)
        except QuickBooksError as exc:
            runs.finish(run, message=str(exc), failed=True)
        except Exception as exc:
            current_app.logger.exception("flask-wsqb run %s stopped", run_id)
            runs.finish(
                run,
                message=f"The job stopped unexpectedly ({type(exc).__name__}); the rows not done yet can be run again.",
                failed=True,
            )


@contextmanager
def _taking_turns(job, run_id: int) -> Iterator[None]:
    if job is None:
        yield
        return
    with taking_turns(partial(_other_run_queued, job, run_id), float(setting("GIVE_WAY_AFTER"))):
        yield


def _other_run_queued(job, run_id: int) -> bool:
    """Whether a job of another run waits in this job's queue (this run's own do not count) that
    no other job has given way to yet. If so this job gives way to it: the caller gives way on a
    true answer, and the jobs of a big run waiting together give way once, not each of them."""
    from redis.exceptions import RedisError
    from rq import Queue

    try:
        waiting = Queue(job.origin, connection=job.connection).get_job_ids(0, LOOK_AHEAD)
        others = [other for other in waiting if _run_of(other, job.connection) not in (run_id, None)]
        return any(
            job.connection.set(f"wsqb:given-way-to:{other}", job.id, nx=True, px=GIVEN_WAY_FOR_MS) for other in others
        )
    except RedisError:
        return False  # cannot tell: keep the turn


@lru_cache(maxsize=1024)
def _run_of(job_id: str, connection) -> object:
    """The run (or, for an automatic sync round, the firm) a queued job works for; None for a job
    gone. Kept: a job's arguments never change, and the queue is looked at often."""
    from rq.job import Job

    [job] = Job.fetch_many([job_id], connection=connection)
    return job.args[0] if job is not None and job.args else None


def _hand_back(job, run) -> None:
    """Queue the rest of ``run`` behind the work this job gives way to: the run's other jobs
    still queued move to the end, and a job for what this one leaves follows them."""
    from rq import Queue

    queue = Queue(job.origin, connection=job.connection)
    for other in queue.get_jobs():
        if _of_run(other, run.id) and queue.remove(other):  # not taken by a worker meanwhile
            queue.push_job_id(other.id)
    queue.enqueue(
        run_sync,
        run.id,
        run.tenant,
        job_timeout=job.timeout,
        description=job.description,
        meta=dict(job.meta),
    )


def _of_run(job, run_id: int) -> bool:
    return bool(job.args) and job.args[0] == run_id
