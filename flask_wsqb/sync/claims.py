"""Taking a run's rows a chunk at a time, with a lease, so several workers share one run and
the rows of a worker that died are taken over once its lease runs out."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from ..clock import utcnow
from ..config import setting
from ..models import ItemStatus
from ..state import current_state


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
        free = sa.and_(
            SyncItem.run_id == run_id,
            SyncItem.status == ItemStatus.PENDING,
            sa.or_(SyncItem.claimed_by.is_(None), SyncItem.claimed_at < lease_ended),
        )
        ids = list(
            session.execute(
                sa.select(SyncItem.id).where(free).order_by(SyncItem.id).limit(limit).with_for_update(skip_locked=True)
            ).scalars()
        )
        if not ids:
            session.commit()
            return []
        session.execute(
            sa.update(SyncItem).where(SyncItem.id.in_(ids), free).values(claimed_by=worker, claimed_at=utcnow())
        )
        session.commit()
        taken = list(
            session.execute(
                sa.select(SyncItem).where(SyncItem.id.in_(ids), SyncItem.claimed_by == worker).order_by(SyncItem.id)
            ).scalars()
        )
        if taken:
            return taken


def release(run, items: list, worker: str) -> None:
    """Give back rows ``worker`` took and did not do, for any worker to take at once."""
    state = current_state()
    SyncItem = state.models.SyncItem
    state.db.session.execute(
        sa.update(SyncItem)
        .where(SyncItem.id.in_([item.id for item in items]), SyncItem.claimed_by == worker)
        .values(claimed_by=None, claimed_at=None)
    )
    run.heartbeat_at = utcnow()  # handed back, not stalled
    state.db.session.commit()
