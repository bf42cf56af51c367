"""The JSON the progress bar polls: a run's state, counts and each row's result."""

from __future__ import annotations

import sqlalchemy as sa

from ..models import ItemStatus, RunKind
from ..state import current_state
from .retry import retryable, stalled
from .runs import counts

#: How Import and Export say a row was linked to a record of the same name on the other side.
LINKED_PREFIX = "Linked to the existing"
#: Per kind of run: what its rows became, and what a row linked to an existing record was linked to.
_SUMMARY = {RunKind.IMPORT: ("imported", "contacts"), RunKind.EXPORT: ("exported", "customers")}


def report(run, *, items: bool = True) -> dict:
    """The JSON the page polls: state, counts, the summary line and (unless ``items`` is false)
    every item's result; the progress bar polls without items and reads them once at the end."""
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
        "summary": summary(run, tally) if run.state.finished else "",
        "items": [{"key": k, "label": label, "status": s, "message": m} for k, label, s, m in rows],
    }


def summary(run, tally: dict[str, int]) -> str:
    """ "148 imported, 12 linked to existing contacts, 2 failed" for a finished Import or Export
    ("" for other runs)."""
    if run.kind not in _SUMMARY:
        return ""
    SyncItem = current_state().models.SyncItem
    linked = (
        current_state()
        .db.session.execute(
            sa.select(sa.func.count()).where(
                SyncItem.run_id == run.id, SyncItem.status == ItemStatus.OK, SyncItem.message.startswith(LINKED_PREFIX)
            )
        )
        .scalar_one()
    )
    done, other_side = _SUMMARY[run.kind]
    return f"{tally['ok'] - linked:,} {done}, {linked:,} linked to existing {other_side}, {tally['errors']:,} failed"
