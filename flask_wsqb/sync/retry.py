"""Runs that stopped short: stalled ones (no sign of life) and ones with rows to run again."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from ..clock import aware, utcnow
from ..config import setting
from ..models import ItemStatus, RunKind, RunState
from ..state import current_state
from .runs import counts


def stalled(run) -> bool:
    """Unfinished, and no sign of life for too long: its worker died, or none is running."""
    if run.state.finished:
        return False
    last = aware(run.heartbeat_at or run.created_at)
    return utcnow() - last > timedelta(seconds=float(setting("STALL_AFTER")))


def retryable(run, tally: dict[str, int] | None = None) -> bool:
    """Whether "Retry" makes sense: rows left undone by a stalled or stopped run, or failed rows.

    ``tally``: the run's :func:`counts`, when the caller has them already."""
    if run.kind not in (RunKind.IMPORT, RunKind.EXPORT):
        return False
    if stalled(run):
        return True
    tally = tally or counts(run.id)
    return run.state.finished and (tally["errors"] > 0 or tally["done"] < tally["total"])


def retry(run) -> None:
    """Queue the rows not done, and the failed ones, again (re-running creates nothing twice)."""
    SyncItem = current_state().models.SyncItem
    current_state().db.session.execute(
        sa.update(SyncItem)
        .where(SyncItem.run_id == run.id, SyncItem.status != ItemStatus.OK)
        .values(status=ItemStatus.PENDING, message=None, claimed_by=None, claimed_at=None)
    )
    run.state, run.message, run.finished_at, run.heartbeat_at = RunState.QUEUED, None, None, utcnow()
    current_state().db.session.commit()
