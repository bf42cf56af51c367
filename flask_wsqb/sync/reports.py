"""The JSON the progress bar polls: a run's state, counts and each row's result."""

from __future__ import annotations

import sqlalchemy as sa

from ..state import current_state
from .retry import retryable, stalled
from .runs import counts


def report(run, *, items: bool = True) -> dict:
    """The JSON the page polls: state, counts and (unless ``items`` is false) every
    item's result; the progress bar polls without items and reads them once at the end."""
    SyncItem = current_state().models.SyncItem
    rows = (
        current_state()
        .db.session.execute(
            sa.select(SyncItem.key, SyncItem.label, SyncItem.status, SyncItem.message)
            .where(SyncItem.run_id == run.id)
            .order_by(SyncItem.id)
        )
        .all()
        if items
        else []
    )
    tally = counts(run.id)
    return {
        "id": run.id,
        "kind": run.kind,
        "state": run.state,
        "finished": run.state.finished,
        "stalled": stalled(run),
        "retryable": retryable(run, tally),
        "message": run.message,
        **tally,
        "items": [{"key": k, "label": label, "status": s, "message": m} for k, label, s, m in rows],
    }
