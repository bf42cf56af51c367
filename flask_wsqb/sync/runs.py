"""Sync runs and their per-row items, as records: what the progress bar and the red rows read.

Progress lives in the database, not in the job queue, so the page shows the same thing
whether a job ran on an RQ worker or in a thread, and after a reload. Working a run's rows is
:mod:`.processing`; taking them, :mod:`.claims`; Retry, :mod:`.retry`; the JSON, :mod:`.reports`.
"""

from __future__ import annotations

from collections.abc import Iterable

import sqlalchemy as sa

from ..clock import utcnow
from ..models import ItemStatus, RunKind, RunState
from ..state import current_state
from ..tenancy import current_tenant, mine

#: A run's rows are written (and looked up) this many to a statement.
ITEMS_AT_ONCE = 5000


def create(realm_id: str, kind: RunKind, rows: Iterable[tuple[str, str]], created_by: str | None = None):
    """A queued run with one pending item per ``(key, label)`` row."""
    state = current_state()
    session = state.db.session
    tenant = current_tenant()
    run = state.models.SyncRun(
        tenant=tenant, realm_id=realm_id, kind=kind, state=RunState.QUEUED, created_by=created_by
    )
    session.add(run)
    session.flush()
    labels = dict(rows)  # one row per key
    keys = list(labels)
    for start in range(0, len(keys), ITEMS_AT_ONCE):  # memory stays flat however big the run
        session.execute(
            sa.insert(state.models.SyncItem),
            [
                {
                    "tenant": tenant,
                    "run_id": run.id,
                    "key": str(key),
                    "label": labels[key][:500],
                    "status": ItemStatus.PENDING,
                    "updated_at": utcnow(),
                }
                for key in keys[start : start + ITEMS_AT_ONCE]
            ],
        )
    session.commit()
    return run


def fail_items(run_id: int, failed: dict[str, str]) -> None:
    """Mark these rows of a run failed, each saying why (rows known to fail before any work)."""
    SyncItem = current_state().models.SyncItem
    session = current_state().db.session
    for key, message in failed.items():
        session.execute(
            sa.update(SyncItem)
            .where(SyncItem.run_id == run_id, SyncItem.key == key)
            .values(status=ItemStatus.ERROR, message=message, updated_at=utcnow())
        )
    session.commit()


def get(run_id: int):
    """The current firm's run with this id, or None (another firm's run is no run here)."""
    state = current_state()
    run = state.db.session.get(state.models.SyncRun, run_id)
    return run if run is not None and run.tenant == current_tenant() else None


def latest_unfinished(realm_id: str, kind: RunKind):
    """The newest run of this kind not finished yet (queued, running or stalled), or None."""
    state = current_state()
    SyncRun = state.models.SyncRun
    return state.db.session.execute(
        sa.select(SyncRun)
        .where(
            *mine(SyncRun),
            SyncRun.realm_id == realm_id,
            SyncRun.kind == kind,
            SyncRun.state.in_((RunState.QUEUED, RunState.RUNNING)),
        )
        .order_by(SyncRun.id.desc())
        .limit(1)
    ).scalar()


def held(realm_id: str, kind: RunKind, keys: list[str]) -> dict[str, int]:
    """``{key: run id}`` for the rows among ``keys`` that an unfinished run of this kind has yet
    to do: selecting them again would start a second run over the same rows."""
    state = current_state()
    SyncRun, SyncItem = state.models.SyncRun, state.models.SyncItem
    found: dict[str, int] = {}
    for start in range(0, len(keys), ITEMS_AT_ONCE):  # databases take some 65,000 parameters at most
        found.update(
            state.db.session.execute(
                sa.select(SyncItem.key, SyncItem.run_id)
                .join(SyncRun, SyncRun.id == SyncItem.run_id)
                .where(
                    *mine(SyncRun),
                    SyncRun.realm_id == realm_id,
                    SyncRun.kind == kind,
                    SyncRun.state.in_((RunState.QUEUED, RunState.RUNNING)),
                    SyncItem.status == ItemStatus.PENDING,
                    SyncItem.key.in_(keys[start : start + ITEMS_AT_ONCE]),
                )
            ).all()
        )
    return found


def start(run) -> None:
    """Mark the run running (the first of its jobs to start does; the others just beat)."""
    if run.state != RunState.RUNNING:
        run.state, run.started_at, run.message = RunState.RUNNING, utcnow(), None
    run.heartbeat_at = utcnow()
    current_state().db.session.commit()


def finish(run, *, message: str | None = None, failed: bool = False) -> None:
    """End the run. A failed run drops what its failed work left uncommitted first."""
    if failed:
        current_state().db.session.rollback()
    run.state = RunState.FAILED if failed else RunState.DONE
    run.finished_at = utcnow()
    run.message = message
    current_state().db.session.commit()


def counts(run_id: int) -> dict[str, int]:
    SyncItem = current_state().models.SyncItem
    rows = (
        current_state()
        .db.session.execute(
            sa.select(SyncItem.status, sa.func.count()).where(SyncItem.run_id == run_id).group_by(SyncItem.status)
        )
        .all()
    )
    by_status = dict(rows)
    total = sum(by_status.values())
    return {
        "total": total,
        "done": total - by_status.get(ItemStatus.PENDING, 0),
        "ok": by_status.get(ItemStatus.OK, 0),
        "errors": by_status.get(ItemStatus.ERROR, 0),
    }
