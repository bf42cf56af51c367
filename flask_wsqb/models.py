"""The extension's tables (``wsqb_*``), declared on the host's Flask-SQLAlchemy ``db``.

The host passes its own ``db``; the tables are declared on it once, so they live in the
host's metadata (``db.create_all()`` and Alembic autogenerate see them). The classes are
built by :func:`build_models` and reached through ``app.extensions["wsqb"].models``.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def aware(value: datetime | None) -> datetime | None:
    """SQLite hands datetimes back without their zone; everything we store is UTC."""
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=timezone.utc)
    return value


#: Run states; a run is "finished" once in one of the last two.
QUEUED, RUNNING, DONE, FAILED = "queued", "running", "done", "failed"
#: Item states.
PENDING, OK, ERROR = "pending", "ok", "error"


@dataclass(frozen=True)
class Models:
    Connection: type
    PendingConnection: type
    Customer: type
    ContactLink: type
    LinkEvent: type
    Change: type
    MatchProposal: type
    SyncRun: type
    SyncItem: type


_built: dict[int, Models] = {}


def build_models(db) -> Models:
    """Declare the tables on ``db`` (once per ``db``, however many apps share it)."""
    if id(db) in _built:
        return _built[id(db)]
    Timestamp = sa.DateTime(timezone=True)

    class Connection(db.Model):
        """The connected QuickBooks company. Tokens are stored encrypted (see crypto.py)."""

        __tablename__ = "wsqb_connection"
        id: Mapped[int] = mapped_column(primary_key=True)
        realm_id: Mapped[str] = mapped_column(sa.String(32), unique=True)
        company_name: Mapped[str] = mapped_column(sa.String(500), default="")
        access_token_encrypted: Mapped[str] = mapped_column(sa.Text)
        refresh_token_encrypted: Mapped[str] = mapped_column(sa.Text)
        access_expires_at: Mapped[datetime] = mapped_column(Timestamp)
        refresh_expires_at: Mapped[datetime] = mapped_column(Timestamp)
        connected_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)
        refreshed_at: Mapped[datetime | None] = mapped_column(Timestamp)
        #: Set when QuickBooks rejects our tokens: the firm must reconnect.
        auth_error: Mapped[str | None] = mapped_column(sa.Text)
        #: When the local copy of the customer list was last brought up to date.
        customers_refreshed_at: Mapped[datetime | None] = mapped_column(Timestamp)

    class PendingConnection(db.Model):
        """A sign-in to another company than the connected one, kept (tokens encrypted) until
        the user confirms switching companies or keeps the current one."""

        __tablename__ = "wsqb_pending_connection"
        id: Mapped[int] = mapped_column(primary_key=True)
        realm_id: Mapped[str] = mapped_column(sa.String(32))
        company_name: Mapped[str] = mapped_column(sa.String(500), default="")
        access_token_encrypted: Mapped[str] = mapped_column(sa.Text)
        refresh_token_encrypted: Mapped[str] = mapped_column(sa.Text)
        access_expires_at: Mapped[datetime] = mapped_column(Timestamp)
        refresh_expires_at: Mapped[datetime] = mapped_column(Timestamp)
        created_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)

    class Customer(db.Model):
        """The local copy of a QuickBooks customer, so grids of 10,000 rows need no request."""

        __tablename__ = "wsqb_customer"
        __table_args__ = (sa.UniqueConstraint("realm_id", "customer_id", name="uq_wsqb_customer"),)
        id: Mapped[int] = mapped_column(primary_key=True)
        realm_id: Mapped[str] = mapped_column(sa.String(32))
        customer_id: Mapped[str] = mapped_column(sa.String(32))
        display_name: Mapped[str] = mapped_column(sa.String(500), default="")
        #: display_name as compared for duplicates (see fields.name_key)
        name_key: Mapped[str] = mapped_column(sa.String(500), default="", index=True)
        company: Mapped[str] = mapped_column(sa.String(500), default="")
        email: Mapped[str] = mapped_column(sa.String(500), default="")
        phone: Mapped[str] = mapped_column(sa.String(100), default="")
        active: Mapped[bool] = mapped_column(default=True)
        #: Merged away in QuickBooks (change data capture says "Deleted").
        deleted: Mapped[bool] = mapped_column(default=False)
        sync_token: Mapped[str] = mapped_column(sa.String(16), default="0")
        updated_at: Mapped[datetime | None] = mapped_column(Timestamp)
        data: Mapped[dict] = mapped_column(sa.JSON, default=dict)

    class ContactLink(db.Model):
        """One host contact linked to one QuickBooks customer, unique on both sides."""

        __tablename__ = "wsqb_contact_link"
        __table_args__ = (
            sa.UniqueConstraint("realm_id", "contact_id", name="uq_wsqb_link_contact"),
            sa.UniqueConstraint("realm_id", "customer_id", name="uq_wsqb_link_customer"),
        )
        id: Mapped[int] = mapped_column(primary_key=True)
        realm_id: Mapped[str] = mapped_column(sa.String(32))
        contact_id: Mapped[str] = mapped_column(sa.String(64))
        customer_id: Mapped[str] = mapped_column(sa.String(32))
        #: How the link was made: import, export, auto, manual, pull, sync.
        how: Mapped[str] = mapped_column(sa.String(16))
        created_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)
        #: The field values both sides agreed on at the last sync (None: never synced), so
        #: Sync can tell which side changed a field since.
        baseline: Mapped[dict | None] = mapped_column(sa.JSON)
        synced_at: Mapped[datetime | None] = mapped_column(Timestamp)

    class LinkEvent(db.Model):
        """A link made or removed: who, when, how. Undoing one records its opposite."""

        __tablename__ = "wsqb_link_event"
        id: Mapped[int] = mapped_column(primary_key=True)
        realm_id: Mapped[str] = mapped_column(sa.String(32), index=True)
        contact_id: Mapped[str] = mapped_column(sa.String(64))
        customer_id: Mapped[str] = mapped_column(sa.String(32))
        action: Mapped[str] = mapped_column(sa.String(8))  # "link" or "unlink"
        how: Mapped[str] = mapped_column(sa.String(16))  # import, export, auto, manual, undo
        by: Mapped[str | None] = mapped_column(sa.String(200))
        at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)

    class Change(db.Model):
        """One field the extension changed on one side: the history users can read."""

        __tablename__ = "wsqb_change"
        id: Mapped[int] = mapped_column(primary_key=True)
        realm_id: Mapped[str] = mapped_column(sa.String(32), index=True)
        contact_id: Mapped[str] = mapped_column(sa.String(64), index=True)
        customer_id: Mapped[str] = mapped_column(sa.String(32), default="")
        at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)
        by: Mapped[str | None] = mapped_column(sa.String(200))
        run_id: Mapped[int | None] = mapped_column()
        #: import, export, pull, sync
        source: Mapped[str] = mapped_column(sa.String(16))
        #: "app" (the contact changed) or "quickbooks" (the customer changed)
        side: Mapped[str] = mapped_column(sa.String(16))
        field: Mapped[str] = mapped_column(sa.String(32))
        old: Mapped[str] = mapped_column(sa.Text, default="")
        new: Mapped[str] = mapped_column(sa.Text, default="")
        #: Both sides had changed this field; the newer one won.
        conflict: Mapped[bool] = mapped_column(default=False)

    class MatchProposal(db.Model):
        """What Auto Match suggests for a contact, until accepted or rejected."""

        __tablename__ = "wsqb_match_proposal"
        __table_args__ = (sa.UniqueConstraint("realm_id", "contact_id", "customer_id",
                                              name="uq_wsqb_proposal"),)
        id: Mapped[int] = mapped_column(primary_key=True)
        realm_id: Mapped[str] = mapped_column(sa.String(32), index=True)
        contact_id: Mapped[str] = mapped_column(sa.String(64), index=True)
        customer_id: Mapped[str] = mapped_column(sa.String(32))
        score: Mapped[float] = mapped_column(default=0.0)
        reason: Mapped[str] = mapped_column(sa.String(500), default="")
        #: "proposed" (confident), "review" (ambiguous: a person decides), "rejected"
        status: Mapped[str] = mapped_column(sa.String(16), default="proposed")
        created_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)

    class SyncRun(db.Model):
        """One bulk job (an Import Selected, an Export Selected, a refresh...)."""

        __tablename__ = "wsqb_sync_run"
        id: Mapped[int] = mapped_column(primary_key=True)
        realm_id: Mapped[str] = mapped_column(sa.String(32))
        kind: Mapped[str] = mapped_column(sa.String(16))
        state: Mapped[str] = mapped_column(sa.String(16), default=QUEUED)
        message: Mapped[str | None] = mapped_column(sa.Text)
        created_by: Mapped[str | None] = mapped_column(sa.String(200))
        created_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)
        started_at: Mapped[datetime | None] = mapped_column(Timestamp)
        finished_at: Mapped[datetime | None] = mapped_column(Timestamp)
        #: Last sign of life from the worker running it: a stale one means the worker died.
        heartbeat_at: Mapped[datetime | None] = mapped_column(Timestamp)

    class SyncItem(db.Model):
        """One selected row of a run and how it ended."""

        __tablename__ = "wsqb_sync_item"
        __table_args__ = (sa.UniqueConstraint("run_id", "key", name="uq_wsqb_item_key"),)
        id: Mapped[int] = mapped_column(primary_key=True)
        run_id: Mapped[int] = mapped_column(sa.ForeignKey("wsqb_sync_run.id", ondelete="CASCADE"), index=True)
        #: The customer id (import) or contact id (export) the row stands for.
        key: Mapped[str] = mapped_column(sa.String(64))
        label: Mapped[str] = mapped_column(sa.String(500), default="")
        status: Mapped[str] = mapped_column(sa.String(16), default=PENDING)
        message: Mapped[str | None] = mapped_column(sa.Text)
        #: The worker working on this row right now; a claim older than the lease is void.
        claimed_by: Mapped[str | None] = mapped_column(sa.String(100))
        claimed_at: Mapped[datetime | None] = mapped_column(Timestamp)
        updated_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow, onupdate=utcnow)

    models = Models(Connection=Connection, PendingConnection=PendingConnection, Customer=Customer, ContactLink=ContactLink,
                    LinkEvent=LinkEvent, Change=Change, MatchProposal=MatchProposal, SyncRun=SyncRun, SyncItem=SyncItem)
    _built[id(db)] = models
    return models
