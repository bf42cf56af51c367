"""The extension's tables (``wsqb_*``), declared on the host's Flask-SQLAlchemy ``db``.

The host passes its own ``db``; the tables are declared on it once, so they live in the
host's metadata (``db.create_all()`` and Alembic autogenerate see them). Each table's columns
are a typed class here (``ConnectionRecord``, ``SyncRunRecord``, ...); :func:`build_models`
makes the mapped class of each on the host's ``db.Model``, reached through
``app.extensions["wsqb"].models``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import Enum
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, declared_attr, mapped_column

from .clock import utcnow
from .tenancy import DEFAULT_TENANT, MAX_TENANT


class _Text(str, Enum):
    """An enum whose members are their text in templates, f-strings and JSON (as ``StrEnum``,
    which needs Python 3.11)."""

    def __str__(self) -> str:
        return str(self.value)


class RunKind(_Text):
    IMPORT = "import"
    EXPORT = "export"
    REFRESH = "refresh"  # bring the local copy of the customer list up to date
    MATCH = "match"  # Auto Match
    AUTO_IMPORT = "auto-import"  # automatic sync: what changed in QuickBooks, into the app
    AUTO_EXPORT = "auto-export"  # automatic sync: what changed in the app, to QuickBooks

    @property
    def source(self) -> str:
        """How the history names the changes this kind of run makes."""
        return "auto" if self in (RunKind.AUTO_IMPORT, RunKind.AUTO_EXPORT) else str(self.value)


class RunState(_Text):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"

    @property
    def finished(self) -> bool:
        return self in (RunState.DONE, RunState.FAILED)


class ItemStatus(_Text):
    PENDING = "pending"
    OK = "ok"
    ERROR = "error"


class AutoSync(_Text):
    """Which way a connection's automatic sync runs."""

    OFF = "off"
    FROM_QUICKBOOKS = "quickbooks"  # QuickBooks → app
    BOTH = "both"


class NewCustomers(_Text):
    """What automatic sync does with a customer created in QuickBooks."""

    CREATE = "create"  # a new contact (or a link to the same-named one)
    PROPOSE = "propose"  # a proposal on Match Contacts
    IGNORE = "ignore"


class NewContacts(_Text):
    """What automatic sync (both ways) does with a contact created in the app."""

    EXPORT = "export"
    LEAVE = "leave"  # for Export to QuickBooks


class ProposalStatus(_Text):
    PROPOSED = "proposed"  # confident: may be accepted in bulk
    REVIEW = "review"  # ambiguous: a person decides
    REJECTED = "rejected"  # never proposed again


def _text_enum(kind: type[_Text]) -> sa.Enum:
    """Stored as its text in a VARCHAR(16) (no database enum type, no constraint)."""
    return sa.Enum(
        kind,
        native_enum=False,
        create_constraint=False,
        length=16,
        values_callable=lambda members: [member.value for member in members],
    )


_Timestamp = sa.DateTime(timezone=True)


class _Record:
    """The columns of one table, mapped on the host's ``db.Model`` by :func:`build_models`. Every
    row belongs to one firm (its ``tenant``): every query is limited to it, every key includes it.
    Constraints and indexes are made per mapped class (``declared_attr``): one set per ``db``."""

    tenant: Mapped[str] = mapped_column(sa.String(MAX_TENANT), default=DEFAULT_TENANT, server_default=DEFAULT_TENANT)

    if TYPE_CHECKING:  # the mapped class takes its columns as keywords (SQLAlchemy's constructor)

        def __init__(self, **values: Any) -> None: ...


class _Tokens(_Record):
    """Tokens kept encrypted (see quickbooks/crypto.py) with their expiry times."""

    access_token_encrypted: Mapped[str] = mapped_column(sa.Text)
    refresh_token_encrypted: Mapped[str] = mapped_column(sa.Text)
    access_expires_at: Mapped[datetime] = mapped_column(_Timestamp)
    refresh_expires_at: Mapped[datetime] = mapped_column(_Timestamp)


class ConnectionRecord(_Tokens):
    """The connected QuickBooks company."""

    __tablename__ = "wsqb_connection"

    @declared_attr.directive
    def __table_args__(cls) -> tuple:  # one company per firm
        return (sa.UniqueConstraint("tenant", name="uq_wsqb_connection_tenant"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    realm_id: Mapped[str] = mapped_column(sa.String(32))
    company_name: Mapped[str] = mapped_column(sa.String(500), default="")
    connected_at: Mapped[datetime] = mapped_column(_Timestamp, default=utcnow)
    refreshed_at: Mapped[datetime | None] = mapped_column(_Timestamp)
    #: Set when QuickBooks rejects our tokens: the firm must reconnect.
    auth_error: Mapped[str | None] = mapped_column(sa.Text)
    #: When the local copy of the customer list was last brought up to date.
    customers_refreshed_at: Mapped[datetime | None] = mapped_column(_Timestamp)
    # Automatic sync (flask_wsqb.sync.auto): its settings, and where its sources stand.
    auto_sync: Mapped[AutoSync] = mapped_column(_text_enum(AutoSync), default=AutoSync.OFF, server_default="off")
    new_customers: Mapped[NewCustomers] = mapped_column(
        _text_enum(NewCustomers), default=NewCustomers.CREATE, server_default="create"
    )
    new_contacts: Mapped[NewContacts] = mapped_column(
        _text_enum(NewContacts), default=NewContacts.LEAVE, server_default="leave"
    )
    #: Catch-up has applied every QuickBooks change up to this time (its next one reads from here).
    auto_mark: Mapped[datetime | None] = mapped_column(_Timestamp)
    last_webhook_at: Mapped[datetime | None] = mapped_column(_Timestamp)
    last_catchup_at: Mapped[datetime | None] = mapped_column(_Timestamp)


class PendingConnectionRecord(_Tokens):
    """A sign-in to another company than the connected one, kept until the user confirms
    switching companies or keeps the current one."""

    __tablename__ = "wsqb_pending_connection"

    @declared_attr.directive
    def __table_args__(cls) -> tuple:
        return (sa.Index("ix_wsqb_pending_connection_tenant", "tenant"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    realm_id: Mapped[str] = mapped_column(sa.String(32))
    company_name: Mapped[str] = mapped_column(sa.String(500), default="")
    created_at: Mapped[datetime] = mapped_column(_Timestamp, default=utcnow)


class CustomerRecord(_Record):
    """The local copy of a QuickBooks customer, so grids of 10,000 rows need no request."""

    __tablename__ = "wsqb_customer"

    @declared_attr.directive
    def __table_args__(cls) -> tuple:
        return (
            sa.UniqueConstraint("tenant", "realm_id", "customer_id", name="uq_wsqb_customer"),
            sa.Index("ix_wsqb_customer_tenant_name", "tenant", "realm_id", "name_key"),
        )

    id: Mapped[int] = mapped_column(primary_key=True)
    realm_id: Mapped[str] = mapped_column(sa.String(32))
    customer_id: Mapped[str] = mapped_column(sa.String(32))
    display_name: Mapped[str] = mapped_column(sa.String(500), default="")
    #: display_name as compared for duplicates (see fields.name_key)
    name_key: Mapped[str] = mapped_column(sa.String(500), default="")
    # The columns the Import grid shows and searches (the whole customer is in ``data``).
    company: Mapped[str] = mapped_column(sa.String(500), default="")
    email: Mapped[str] = mapped_column(sa.String(500), default="")
    phone: Mapped[str] = mapped_column(sa.String(100), default="")
    active: Mapped[bool] = mapped_column(default=True)
    #: Merged away in QuickBooks (change data capture says "Deleted").
    deleted: Mapped[bool] = mapped_column(default=False)
    sync_token: Mapped[str] = mapped_column(sa.String(16), default="0")
    updated_at: Mapped[datetime | None] = mapped_column(_Timestamp)
    data: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)


class ContactLinkRecord(_Record):
    """One host contact linked to one QuickBooks customer, unique on both sides."""

    __tablename__ = "wsqb_contact_link"

    @declared_attr.directive
    def __table_args__(cls) -> tuple:
        return (
            sa.UniqueConstraint("tenant", "realm_id", "contact_id", name="uq_wsqb_link_contact"),
            sa.UniqueConstraint("tenant", "realm_id", "customer_id", name="uq_wsqb_link_customer"),
        )

    id: Mapped[int] = mapped_column(primary_key=True)
    realm_id: Mapped[str] = mapped_column(sa.String(32))
    contact_id: Mapped[str] = mapped_column(sa.String(64))
    customer_id: Mapped[str] = mapped_column(sa.String(32))
    #: How the link was made: import, export, auto, manual, pull, sync.
    how: Mapped[str] = mapped_column(sa.String(16))
    created_at: Mapped[datetime] = mapped_column(_Timestamp, default=utcnow)
    #: The values both sides agreed on at the last sync (None: never synced), so a merge can
    #: tell which side changed a field since.
    baseline: Mapped[dict[str, str] | None] = mapped_column(sa.JSON)
    synced_at: Mapped[datetime | None] = mapped_column(_Timestamp)


class LinkEventRecord(_Record):
    """A link made or removed: who, when, how. Undoing one records its opposite."""

    __tablename__ = "wsqb_link_event"

    @declared_attr.directive
    def __table_args__(cls) -> tuple:
        # with id: a company's newest events are the index's last entries (Match's link history)
        return (sa.Index("ix_wsqb_link_event_realm", "tenant", "realm_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    realm_id: Mapped[str] = mapped_column(sa.String(32))
    contact_id: Mapped[str] = mapped_column(sa.String(64))
    customer_id: Mapped[str] = mapped_column(sa.String(32))
    action: Mapped[str] = mapped_column(sa.String(8))  # "link" or "unlink"
    how: Mapped[str] = mapped_column(sa.String(16))  # import, export, auto, manual, undo
    by: Mapped[str | None] = mapped_column(sa.String(200))
    at: Mapped[datetime] = mapped_column(_Timestamp, default=utcnow)


class ChangeRecord(_Record):
    """One field the extension changed on one side: the history users can read."""

    __tablename__ = "wsqb_change"

    @declared_attr.directive
    def __table_args__(cls) -> tuple:
        return (
            sa.Index("ix_wsqb_change_realm", "tenant", "realm_id", "id"),  # the newest first: History
            sa.Index("ix_wsqb_change_contact", "tenant", "contact_id"),
        )

    id: Mapped[int] = mapped_column(primary_key=True)
    realm_id: Mapped[str] = mapped_column(sa.String(32))
    contact_id: Mapped[str] = mapped_column(sa.String(64))
    customer_id: Mapped[str] = mapped_column(sa.String(32), default="")
    at: Mapped[datetime] = mapped_column(_Timestamp, default=utcnow)
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


class AutoChangeRecord(_Record):
    """A change automatic sync has yet to apply: a contact edited in the app (side ``app``, key
    the contact id) or a customer QuickBooks notified (side ``quickbooks``, key the customer id).
    One row per record however often it changes meanwhile: the edits coalesce."""

    __tablename__ = "wsqb_auto_change"

    @declared_attr.directive
    def __table_args__(cls) -> tuple:
        return (
            sa.UniqueConstraint("tenant", "side", "key", name="uq_wsqb_auto_change"),
            sa.Index("ix_wsqb_auto_change_due", "tenant", "due_at"),
        )

    id: Mapped[int] = mapped_column(primary_key=True)
    side: Mapped[str] = mapped_column(sa.String(16))
    key: Mapped[str] = mapped_column(sa.String(64))
    #: Not before: an app edit waits WSQB_PUSH_DELAY for the edits that follow it.
    due_at: Mapped[datetime] = mapped_column(_Timestamp, default=utcnow)
    created_at: Mapped[datetime] = mapped_column(_Timestamp, default=utcnow)
    #: A contact created in the app (exported when the connection says so), not only edited.
    new: Mapped[bool] = mapped_column(default=False)
    #: A customer merged away in QuickBooks: the one it was merged into (from the webhook).
    merged_into: Mapped[str | None] = mapped_column(sa.String(32))
    #: A person asked for it again (Sync Health's Retry): tried whatever it compares like.
    forced: Mapped[bool] = mapped_column(default=False)


class MatchProposalRecord(_Record):
    """What Auto Match suggests for a contact, until accepted or rejected."""

    __tablename__ = "wsqb_match_proposal"

    @declared_attr.directive
    def __table_args__(cls) -> tuple:
        return (
            sa.UniqueConstraint("tenant", "realm_id", "contact_id", "customer_id", name="uq_wsqb_proposal"),
            sa.Index("ix_wsqb_match_proposal_contact", "tenant", "realm_id", "contact_id"),
        )

    id: Mapped[int] = mapped_column(primary_key=True)
    realm_id: Mapped[str] = mapped_column(sa.String(32))
    contact_id: Mapped[str] = mapped_column(sa.String(64))
    customer_id: Mapped[str] = mapped_column(sa.String(32))
    score: Mapped[float] = mapped_column(default=0.0)
    reason: Mapped[str] = mapped_column(sa.String(500), default="")
    status: Mapped[ProposalStatus] = mapped_column(_text_enum(ProposalStatus), default=ProposalStatus.PROPOSED)
    created_at: Mapped[datetime] = mapped_column(_Timestamp, default=utcnow)


class SyncRunRecord(_Record):
    """One bulk job (an Import Selected, an Export Selected, a refresh, an Auto Match)."""

    __tablename__ = "wsqb_sync_run"

    @declared_attr.directive
    def __table_args__(cls) -> tuple:
        return (sa.Index("ix_wsqb_sync_run_kind", "tenant", "realm_id", "kind", "state"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    realm_id: Mapped[str] = mapped_column(sa.String(32))
    kind: Mapped[RunKind] = mapped_column(_text_enum(RunKind))
    state: Mapped[RunState] = mapped_column(_text_enum(RunState), default=RunState.QUEUED)
    message: Mapped[str | None] = mapped_column(sa.Text)
    created_by: Mapped[str | None] = mapped_column(sa.String(200))
    created_at: Mapped[datetime] = mapped_column(_Timestamp, default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(_Timestamp)
    finished_at: Mapped[datetime | None] = mapped_column(_Timestamp)
    #: Last sign of life from the worker running it: a stale one means the worker died.
    heartbeat_at: Mapped[datetime | None] = mapped_column(_Timestamp)


class SyncItemRecord(_Record):
    """One selected row of a run and how it ended."""

    __tablename__ = "wsqb_sync_item"

    @declared_attr.directive
    def __table_args__(cls) -> tuple:
        return (
            sa.UniqueConstraint("run_id", "key", name="uq_wsqb_item_key"),
            # a worker takes a run's next rows to do without passing over the rows already done
            sa.Index("ix_wsqb_sync_item_todo", "run_id", "status", "id"),
        )

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(sa.ForeignKey("wsqb_sync_run.id", ondelete="CASCADE"))
    #: The customer id (import) or contact id (export) the row stands for.
    key: Mapped[str] = mapped_column(sa.String(64))
    label: Mapped[str] = mapped_column(sa.String(500), default="")
    status: Mapped[ItemStatus] = mapped_column(_text_enum(ItemStatus), default=ItemStatus.PENDING)
    message: Mapped[str | None] = mapped_column(sa.Text)
    #: The worker working on this row right now; a claim older than the lease is void.
    claimed_by: Mapped[str | None] = mapped_column(sa.String(100))
    claimed_at: Mapped[datetime | None] = mapped_column(_Timestamp)
    updated_at: Mapped[datetime] = mapped_column(_Timestamp, default=utcnow, onupdate=utcnow)


@dataclass(frozen=True)
class Models:
    """The mapped classes of one ``db``."""

    Connection: type[ConnectionRecord]
    PendingConnection: type[PendingConnectionRecord]
    Customer: type[CustomerRecord]
    ContactLink: type[ContactLinkRecord]
    LinkEvent: type[LinkEventRecord]
    Change: type[ChangeRecord]
    AutoChange: type[AutoChangeRecord]
    MatchProposal: type[MatchProposalRecord]
    SyncRun: type[SyncRunRecord]
    SyncItem: type[SyncItemRecord]


_built: dict[int, Models] = {}


def build_models(db: Any) -> Models:
    """Declare the tables on ``db`` (once per ``db``, however many apps share it)."""
    if id(db) not in _built:
        mapped = {
            name: type(name, (columns, db.Model), {"__doc__": columns.__doc__}) for name, columns in _COLUMNS.items()
        }
        _built[id(db)] = Models(**mapped)
    return _built[id(db)]


#: Each mapped class's name (as ``Models`` calls it) and its columns.
_COLUMNS: dict[str, type] = {
    "Connection": ConnectionRecord,
    "PendingConnection": PendingConnectionRecord,
    "Customer": CustomerRecord,
    "ContactLink": ContactLinkRecord,
    "LinkEvent": LinkEventRecord,
    "Change": ChangeRecord,
    "AutoChange": AutoChangeRecord,
    "MatchProposal": MatchProposalRecord,
    "SyncRun": SyncRunRecord,
    "SyncItem": SyncItemRecord,
}
