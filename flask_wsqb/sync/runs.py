"""Sync runs and their per-row items: what the progress bar and the red rows read.

Progress lives in the database, not in the job queue, so the page shows the same thing
whether a job ran on an RQ worker or in a thread, and after a reload.
"""
from __future__ import annotations

import os
import random
import socket
import threading
import time
from collections.abc import Callable, Iterable
from contextvars import ContextVar
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.exc import OperationalError, SQLAlchemyError

from .. import signals
from ..config import setting
from ..quickbooks.errors import AuthLostError, QuickBooksError
from ..state import current_state
from ..models import DONE, ERROR, FAILED, OK, PENDING, QUEUED, RUNNING, aware, utcnow


def create(realm_id: str, kind: str, rows: Iterable[tuple[str, str]], created_by: str | None = None):
    """A queued run with one pending item per ``(key, label)`` row."""
    state = current_state()
    session = state.db.session
    run = state.models.SyncRun(realm_id=realm_id, kind=kind, state=QUEUED, created_by=created_by)
    session.add(run)
    session.flush()
    items = [{"run_id": run.id, "key": str(key), "label": label[:500], "status": PENDING, "updated_at": utcnow()}
             for key, label in dict(rows).items()]
    if items:  # an empty list would insert one row of defaults
        session.execute(sa.insert(state.models.SyncItem), items)
    session.commit()
    return run


def get(run_id: int):
    state = current_state()
    return state.db.session.get(state.models.SyncRun, run_id)


def latest_unfinished(realm_id: str, kind: str):
    """The newest run of this kind not finished yet (queued, running or stalled), or None."""
    state = current_state()
    SyncRun = state.models.SyncRun
    return state.db.session.execute(
        sa.select(SyncRun).where(SyncRun.realm_id == realm_id, SyncRun.kind == kind,
                                 SyncRun.state.in_((QUEUED, RUNNING)))
        .order_by(SyncRun.id.desc()).limit(1)).scalar()


def held(realm_id: str, kind: str, keys: list[str]) -> dict[str, int]:
    """``{key: run id}`` for the rows among ``keys`` that an unfinished run of this kind has yet
    to do: selecting them again would start a second run over the same rows."""
    if not keys:
        return {}
    state = current_state()
    SyncRun, SyncItem = state.models.SyncRun, state.models.SyncItem
    rows = state.db.session.execute(
        sa.select(SyncItem.key, SyncItem.run_id).join(SyncRun, SyncRun.id == SyncItem.run_id)
        .where(SyncRun.realm_id == realm_id, SyncRun.kind == kind, SyncRun.state.in_((QUEUED, RUNNING)),
               SyncItem.status == PENDING, SyncItem.key.in_(keys)))
    return dict(rows.all())


def start(run) -> None:
    """Mark the run running (the first of its jobs to start does; the others just beat)."""
    if run.state != RUNNING:
        run.state, run.started_at, run.message = RUNNING, utcnow(), None
    run.heartbeat_at = utcnow()
    current_state().db.session.commit()


def finish(run, *, message: str | None = None, failed: bool = False) -> None:
    run.state = FAILED if failed else DONE
    run.finished_at = utcnow()
    run.message = message
    current_state().db.session.commit()


def claim(run_id: int, worker: str, limit: int) -> list:
    """Take up to ``limit`` pending rows nobody holds (or whose holder's lease ran out).

    The UPDATE takes only rows still free, so two workers never get the same row: PostgreSQL
    skips rows another worker is taking; on SQLite a worker that lost the race to rows it saw
    free takes none of them, and looks again.
    """
    state = current_state()
    session, SyncItem = state.db.session, state.models.SyncItem
    while True:
        lease_ended = utcnow() - timedelta(seconds=float(setting("CLAIM_LEASE")))
        free = sa.and_(SyncItem.run_id == run_id, SyncItem.status == PENDING,
                       sa.or_(SyncItem.claimed_by.is_(None), SyncItem.claimed_at < lease_ended))
        ids = list(session.execute(sa.select(SyncItem.id).where(free).order_by(SyncItem.id).limit(limit)
                                   .with_for_update(skip_locked=True)).scalars())
        if not ids:
            session.commit()
            return []
        session.execute(sa.update(SyncItem).where(SyncItem.id.in_(ids), free)
                        .values(claimed_by=worker, claimed_at=utcnow()))
        session.commit()
        taken = list(session.execute(sa.select(SyncItem).where(SyncItem.id.in_(ids), SyncItem.claimed_by == worker)
                                     .order_by(SyncItem.id)).scalars())
        if taken:
            return taken


def stalled(run) -> bool:
    """Unfinished, and no sign of life for too long: its worker died, or none is running."""
    if run.state not in (QUEUED, RUNNING):
        return False
    last = aware(run.heartbeat_at or run.created_at)
    return utcnow() - last > timedelta(seconds=float(setting("STALL_AFTER")))


def retryable(run, tally: dict[str, int] | None = None) -> bool:
    """Whether "Retry" makes sense: rows left undone by a stalled or stopped run, or failed rows.

    ``tally``: the run's :func:`counts`, when the caller has them already."""
    if run.kind not in ("import", "export"):
        return False
    if stalled(run):
        return True
    tally = tally or counts(run.id)
    return run.state in (DONE, FAILED) and (tally["errors"] > 0 or tally["done"] < tally["total"])


def retry(run) -> None:
    """Queue the rows not done, and the failed ones, again (re-running creates nothing twice)."""
    SyncItem = current_state().models.SyncItem
    current_state().db.session.execute(
        sa.update(SyncItem).where(SyncItem.run_id == run.id, SyncItem.status != OK)
        .values(status=PENDING, message=None, claimed_by=None, claimed_at=None))
    run.state, run.message, run.finished_at, run.heartbeat_at = QUEUED, None, None, utcnow()
    current_state().db.session.commit()


class RowFailure(Exception):
    """A row cannot be done, for the reason given (shown to the user as it is)."""


#: Signals of the chunk being worked on, sent once its transaction has committed.
_outbox: ContextVar[list[tuple[object, dict]]] = ContextVar("wsqb_outbox")


def notify(signal, **values) -> None:
    """Send ``signal`` once the chunk's changes are committed: never for a change rolled back,
    and once however often a busy database makes the chunk run again."""
    _outbox.get().append((signal, values))


def succeed(item, message: str | None = None) -> None:
    item.status, item.message = OK, message


def fail(item, message: str) -> None:
    item.status, item.message = ERROR, message
    notify(signals.sync_failed, run_id=item.run_id, key=item.key, message=message)


def apply(item, work: Callable[[], str]) -> bool:
    """Run one row's ``work`` in a savepoint; record its message, or why it failed.

    A failure rolls back only this row's changes (its signals too), so the other rows of the
    chunk stand.
    """
    session = current_state().db.session
    if getattr(session.connection().connection.dbapi_connection, "in_transaction", True) is False:
        # SQLite's driver has not begun the transaction yet (it does at the first write), and
        # a SAVEPOINT outside a transaction is the outermost one, whose release commits: write
        # first, so every row of the chunk stays in the one transaction a rollback undoes.
        item.updated_at = utcnow()
        session.flush()
    savepoint = session.begin_nested()
    outbox = _outbox.get()
    sent_before = len(outbox)
    try:
        message = work()
        savepoint.commit()
    except Exception as exc:  # any failure is this row's, never the run's
        savepoint.rollback()
        del outbox[sent_before:]
        fail(item, row_message(exc))
        return False
    succeed(item, message)
    return True


def row_message(exc: Exception) -> str:
    """What a bookkeeper reads on a red row; details of the unexpected go to the log."""
    if isinstance(exc, (RowFailure, QuickBooksError)):
        return str(exc)
    if isinstance(exc, SQLAlchemyError):
        reason = str(getattr(exc, "orig", exc)).strip().splitlines()[0]
        return f"The app's database refused this row: {reason}"
    current_app.logger.exception("flask-wsqb: unexpected error on a row")
    return f"Unexpected error ({type(exc).__name__}); the details are in the app's log."


def process(run, handle_chunk: Callable[[list], None], *, chunk: int) -> None:
    """Take the run's pending rows chunk by chunk, feed them to ``handle_chunk`` and commit
    after each chunk, until no row is left to take (other workers may be taking some too).

    ``handle_chunk`` sets each item's status. If QuickBooks stops accepting the
    connection, the run fails once with the reconnect message; the rows not done stay to
    do, for Retry after reconnecting. A busy database (SQLite allows one writer at a time) is
    waited out, not failed.
    """
    session = current_state().db.session
    _patiently(lambda: start(run))
    worker = f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident()}"
    while items := _patiently(lambda: claim(run.id, worker, chunk)):
        try:
            _patiently(lambda: _run_chunk(run, handle_chunk, items))
        except AuthLostError as exc:
            session.rollback()
            finish(run, message=str(exc), failed=True)
            return
    _patiently(lambda: _finish_if_last(run))


def _finish_if_last(run) -> None:
    """The last worker out finishes the run."""
    tally = counts(run.id)
    if tally["done"] == tally["total"]:
        current_state().db.session.refresh(run)
        if run.state == RUNNING:
            finish(run)


def _run_chunk(run, handle_chunk: Callable[[list], None], items: list) -> None:
    """Handle one chunk and commit it: one transaction, so a busy database's rollback undoes
    all of it and the chunk can simply be run again."""
    session = current_state().db.session
    outbox: list[tuple[object, dict]] = []
    token = _outbox.set(outbox)
    try:
        try:
            handle_chunk(items)
        except AuthLostError:
            raise
        except QuickBooksError as exc:  # the whole chunk's request failed
            session.rollback()
            del outbox[:]
            reason = str(exc)
        else:
            reason = "This row was not processed (an internal error); run it again."
        for item in items:
            if item.status == PENDING:  # never leave a row pending: the loop would not end
                fail(item, reason)
        run.heartbeat_at = utcnow()  # last: a write at the start would hold SQLite's lock throughout
        session.commit()
    finally:
        _outbox.reset(token)
    app = current_app._get_current_object()
    for signal, values in outbox:
        signal.send(app, **values)


#: How often a step is tried again while the database reports itself busy or locked.
BUSY_TRIES = 8


def _patiently(step: Callable):
    """Run ``step``; when the database is busy, roll back, wait a little and run it again.

    A chunk tried again sends the same QuickBooks requests again: creates carry the same
    requestid, so QuickBooks answers them without doing the work twice.
    """
    session = current_state().db.session
    for attempt in range(1, BUSY_TRIES + 1):
        try:
            return step()
        except OperationalError as exc:
            session.rollback()
            if attempt == BUSY_TRIES or not _busy(exc):
                raise
            time.sleep(min(0.05 * 2 ** attempt, 2.0) * random.uniform(0.5, 1.5))


def _busy(exc: OperationalError) -> bool:
    text = str(exc.orig).lower()
    return "locked" in text or "busy" in text or "deadlock" in text or "could not serialize" in text


def counts(run_id: int) -> dict[str, int]:
    SyncItem = current_state().models.SyncItem
    rows = current_state().db.session.execute(
        sa.select(SyncItem.status, sa.func.count()).where(SyncItem.run_id == run_id).group_by(SyncItem.status)
    ).all()
    by_status = dict(rows)
    total = sum(by_status.values())
    return {"total": total, "done": total - by_status.get(PENDING, 0),
            "ok": by_status.get(OK, 0), "errors": by_status.get(ERROR, 0)}


def report(run, *, items: bool = True) -> dict:
    """The JSON the page polls: state, counts and (unless ``items`` is false) every
    item's result; the progress bar polls without items and reads them once at the end."""
    SyncItem = current_state().models.SyncItem
    rows = current_state().db.session.execute(
        sa.select(SyncItem.key, SyncItem.label, SyncItem.status, SyncItem.message)
        .where(SyncItem.run_id == run.id).order_by(SyncItem.id)
    ).all() if items else []
    tally = counts(run.id)
    return {
        "id": run.id,
        "kind": run.kind,
        "state": run.state,
        "finished": run.state in (DONE, FAILED),
        "stalled": stalled(run),
        "retryable": retryable(run, tally),
        "message": run.message,
        **tally,
        "items": [{"key": k, "label": label, "status": s, "message": m} for k, label, s, m in rows],
    }
