"""What the Sync Health page shows: where automatic sync's sources stand, what waits, what
failed (per record, the newest try only) and how much it changed each day."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

import sqlalchemy as sa

from ..clock import utcnow
from ..models import ItemStatus, RunKind
from ..state import current_state
from ..tenancy import current_tenant, mine, same_tenant
from . import auto
from .history import APP, QUICKBOOKS

#: Which side's record a failed row of each automatic run stands for.
SIDES = {RunKind.AUTO_IMPORT: QUICKBOOKS, RunKind.AUTO_EXPORT: APP}
#: Days the daily counts go back.
DAYS = 14


@dataclass(frozen=True)
class Failure:
    side: str  # "quickbooks": a customer's change into the app; "app": a contact's to QuickBooks
    key: str
    label: str
    message: str
    at: datetime


def backlog() -> dict[str, int]:
    """Records waiting, per side."""
    AutoChange = current_state().models.AutoChange
    rows = current_state().db.session.execute(
        sa.select(AutoChange.side, sa.func.count()).where(*mine(AutoChange)).group_by(AutoChange.side)
    )
    return {APP: 0, QUICKBOOKS: 0, **dict(rows.all())}


def failures(realm_id: str, limit: int = 200) -> list[Failure]:
    """Records whose newest automatic try failed, newest first."""
    state = current_state()
    SyncRun, SyncItem = state.models.SyncRun, state.models.SyncItem
    automatic = sa.and_(*mine(SyncRun), SyncRun.realm_id == realm_id, SyncRun.kind.in_(list(SIDES)))
    newest = (
        sa.select(sa.func.max(SyncItem.id).label("id"))
        .join(SyncRun, SyncRun.id == SyncItem.run_id)
        .where(automatic, SyncItem.status != ItemStatus.PENDING)
        .group_by(SyncRun.kind, SyncItem.key)
        .subquery()
    )
    rows = state.db.session.execute(
        sa.select(SyncRun.kind, SyncItem.key, SyncItem.label, SyncItem.message, SyncItem.updated_at)
        .join(newest, newest.c.id == SyncItem.id)
        .join(SyncRun, same_tenant(SyncRun, SyncItem) & (SyncRun.id == SyncItem.run_id))
        .where(SyncItem.status == ItemStatus.ERROR)
        .order_by(SyncItem.id.desc())
        .limit(limit)
    )
    return [Failure(SIDES[kind], key, label, message or "", at) for kind, key, label, message, at in rows]


def per_day(realm_id: str) -> list[tuple[date, int, int]]:
    """(day, fields changed in the app, fields changed in QuickBooks) by automatic sync, newest day first."""
    Change = current_state().models.Change
    day = sa.func.date(Change.at)
    rows = current_state().db.session.execute(
        sa.select(day, Change.side, sa.func.count())
        .where(
            *mine(Change),
            Change.realm_id == realm_id,
            Change.source == "auto",
            Change.at >= utcnow() - timedelta(days=DAYS),
        )
        .group_by(day, Change.side)
    )
    counts: dict[date, dict[str, int]] = {}
    for when, side, count in rows:
        when = when if isinstance(when, date) else date.fromisoformat(str(when))
        counts.setdefault(when, {APP: 0, QUICKBOOKS: 0})[side] = count
    return [(when, sides[APP], sides[QUICKBOOKS]) for when, sides in sorted(counts.items(), reverse=True)]


def retry(side: str, key: str) -> None:
    """Try a failed record again in the next round (due at once). The caller asks for the round."""
    session = current_state().db.session
    auto.add(session, current_tenant(), side, [{"key": key, "forced": True}], due_at=utcnow())
    session.commit()
