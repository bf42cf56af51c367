"""Working a run's rows: chunk by chunk (each one transaction), the rows' bookkeeping written
set-wise after the chunk (or, when that is refused, each row in its own savepoint), their
signals sent once the chunk is committed, a busy database waited out.

A failed row never stops the others; if QuickBooks stops accepting the connection, the run
fails once with the reconnect message and its rows not done stay to do, for Retry.
"""

from __future__ import annotations

import os
import random
import socket
import threading
import time
from collections.abc import Callable
from contextlib import nullcontext
from contextvars import ContextVar
from functools import partial
from typing import Any

from blinker import NamedSignal
from flask import current_app
from sqlalchemy import event, orm
from sqlalchemy.exc import OperationalError, SQLAlchemyError

from .. import fairness, signals
from ..clock import utcnow
from ..contacts import ContactWriteError
from ..models import ItemStatus, RunState
from ..quickbooks.errors import AuthLostError, QuickBooksError
from ..state import current_app_object, current_state
from . import setwise, table_stats
from .claims import claim, release
from .runs import counts, finish, start


class RowFailure(Exception):
    """A row cannot be done, for the reason given (shown to the user as it is)."""


#: Signals of the chunk being worked on, sent once its transaction has committed.
_outbox: ContextVar[list[tuple[NamedSignal, dict[str, Any]]]] = ContextVar("wsqb_outbox")


def notify(signal: NamedSignal, **values: Any) -> None:
    """Send ``signal`` once the chunk's changes are committed: never for a change rolled back,
    and once however often a busy database makes the chunk run again."""
    _outbox.get().append((signal, values))


def succeed(item, message: str | None = None) -> None:
    item.status, item.message = ItemStatus.OK, message


def fail(item, message: str) -> None:
    item.status, item.message = ItemStatus.ERROR, message
    notify(signals.sync_failed, run_id=item.run_id, key=item.key, message=message)


def apply(item, work: Callable[[], str]) -> bool:
    """Run one row's ``work``; record its message, or why it failed. A failure undoes only this
    row's changes (its signals too), so the other rows of the chunk stand.

    Normally the row's bookkeeping is collected for the chunk (:mod:`.setwise`): a row that
    fails before it changed anything in the database or the host's records just drops what it
    collected. One that fails after (rare) sends the chunk back to be done row by row, each
    row in a savepoint, where a failure rolls back what the row changed.
    """
    if setwise.active():
        return _apply_collected(item, work)
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
    except fairness.GiveWay:
        raise  # not the row's failure: nothing of its chunk was sent, and the chunk goes back
    except Exception as exc:  # any failure is this row's, never the run's
        savepoint.rollback()
        del outbox[sent_before:]
        fail(item, row_message(exc))
        return False
    succeed(item, message)
    return True


def _apply_collected(item, work: Callable[[], str]) -> bool:
    outbox = _outbox.get()
    sent_before = len(outbox)
    try:
        with setwise.row(), _Watch() as watch:
            message = work()
    except fairness.GiveWay:
        raise
    except Exception as exc:
        if watch.changed_anything():
            raise _RowByRow() from exc  # it cannot be undone alone
        del outbox[sent_before:]
        fail(item, row_message(exc))
        return False
    succeed(item, message)
    return True


class _RowByRow(Exception):
    """The chunk must be done again row by row, each row in a savepoint."""


class _Watch:
    """Whether the row being worked wrote to the database or changed the host's records (the
    rows of the run, whose status the chunk sets, aside)."""

    def __init__(self) -> None:
        self.session = current_state().db.session()
        self.before = set(map(id, self._changes()))
        self.wrote = False

    def __enter__(self) -> _Watch:
        self._token = _watching.set(self)
        return self

    def __exit__(self, *exc_info: object) -> None:
        _watching.reset(self._token)

    def _changes(self) -> list:
        SyncItem = current_state().models.SyncItem
        session = self.session
        return [obj for obj in (*session.new, *session.dirty, *session.deleted) if not isinstance(obj, SyncItem)]

    def _changed_since(self) -> bool:
        return any(id(obj) not in self.before for obj in self._changes())

    def flushing(self) -> None:
        self.wrote = self.wrote or self._changed_since()

    def changed_anything(self) -> bool:
        return self.wrote or self._changed_since()


_watching: ContextVar[_Watch | None] = ContextVar("wsqb_watching", default=None)


@event.listens_for(orm.Session, "before_flush")
def _before_flush(session, _flush_context, _instances) -> None:
    if (watch := _watching.get()) is not None and watch.session is session:
        watch.flushing()


@event.listens_for(orm.Session, "do_orm_execute")
def _executing(execute_state) -> None:
    watch = _watching.get()
    if watch is not None and execute_state.session is watch.session and not execute_state.is_select:
        watch.wrote = True


def row_message(exc: Exception) -> str:
    """What a bookkeeper reads on a red row; details of the unexpected go to the log."""
    if isinstance(exc, (RowFailure, QuickBooksError, ContactWriteError)):
        return str(exc)
    if isinstance(exc, SQLAlchemyError):
        reason = str(getattr(exc, "orig", exc)).strip().splitlines()[0]
        return f"The app's database refused this row: {reason}"
    current_app.logger.exception("flask-wsqb: unexpected error on a row")
    return f"Unexpected error ({type(exc).__name__}); the details are in the app's log."


def process(run, handle_chunk: Callable[[list], None], *, chunk: int | Callable[[], int]) -> None:
    """Take the run's pending rows chunk by chunk (``chunk`` rows, or as many as ``chunk()``
    says each time), feed them to ``handle_chunk`` and commit after each chunk, until no row is
    left to take (other workers may be taking some too).

    ``handle_chunk`` sets each item's status. If QuickBooks stops accepting the
    connection, the run fails once with the reconnect message; the rows not done stay to
    do, for Retry after reconnecting. A busy database (SQLite allows one writer at a time) is
    waited out, not failed. When the job's turn is over (see flask_wsqb.fairness) it gives way
    between chunks, or undoes a chunk that sent nothing yet and releases its rows; the
    ``GiveWay`` goes on to the job.
    """
    session = current_state().db.session
    _patiently(lambda: start(run))
    worker = f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident()}"
    size = chunk if callable(chunk) else lambda: chunk
    while items := _patiently(lambda: claim(run.id, worker, size())):
        try:
            fairness.between_chunks()  # once rows are left to do: a job with none just ends
            _patiently(partial(_run_chunk, run, handle_chunk, items))
            table_stats.keep_up()
        except AuthLostError as exc:
            session.rollback()
            finish(run, message=str(exc), failed=True)
            return
        except fairness.GiveWay:
            session.rollback()
            _patiently(partial(release, run, items, worker))
            raise
    _patiently(lambda: _finish_if_last(run))


def _finish_if_last(run) -> None:
    """The last worker out finishes the run."""
    tally = counts(run.id)
    if tally["done"] == tally["total"]:
        current_state().db.session.refresh(run)
        if run.state == RunState.RUNNING:
            finish(run)


def _run_chunk(run, handle_chunk: Callable[[list], None], items: list) -> None:
    """Handle one chunk and commit it: one transaction, so a busy database's rollback undoes
    all of it and the chunk can simply be run again. Its rows' bookkeeping is written set-wise
    at the end; if that is refused, or a row failed halfway, the chunk is done again row by
    row (its QuickBooks requests are sent again with the same requestid: QuickBooks answers
    them again without doing the work twice)."""
    try:
        _work_chunk(run, handle_chunk, items, set_wise=True)
    except _RowByRow:
        current_state().db.session.rollback()
        _work_chunk(run, handle_chunk, items, set_wise=False)


def _work_chunk(run, handle_chunk: Callable[[list], None], items: list, *, set_wise: bool) -> None:
    session = current_state().db.session
    outbox: list[tuple[NamedSignal, dict[str, Any]]] = []
    token = _outbox.set(outbox)
    try:
        try:
            with fairness.chunk(), setwise.collecting() if set_wise else nullcontext() as writes:
                try:
                    handle_chunk(items)
                    if writes is not None:
                        writes.write()
                except SQLAlchemyError as exc:
                    if not set_wise or (isinstance(exc, OperationalError) and _busy(exc)):
                        raise  # a busy database is waited out and the chunk run again (_patiently)
                    raise _RowByRow() from exc  # refused (a unique key, the host's model): only
                    # the row at fault must fail
        except AuthLostError:
            raise
        except QuickBooksError as exc:  # the whole chunk's request failed
            session.rollback()
            del outbox[:]
            reason = str(exc)
        else:
            reason = "This row was not processed (an internal error); run it again."
        for item in items:
            if item.status == ItemStatus.PENDING:  # never leave a row pending: the loop would not end
                fail(item, reason)
        run.heartbeat_at = utcnow()  # last: a write at the start would hold SQLite's lock throughout
        session.commit()
    finally:
        _outbox.reset(token)
    app = current_app_object()
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
            time.sleep(min(0.05 * 2**attempt, 2.0) * random.uniform(0.5, 1.5))


def _busy(exc: OperationalError) -> bool:
    text = str(exc.orig).lower()
    return "locked" in text or "busy" in text or "deadlock" in text or "could not serialize" in text
