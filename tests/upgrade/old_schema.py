"""The ``wsqb_*`` tables as release 84583b7 declared them (flask_wsqb/models.py of that commit),
frozen as plain SQLAlchemy tables so the upgrade tests build exactly what a database made by that
release holds: no ``tenant`` column, ``wsqb_connection`` unique per ``realm_id``, keys without the
tenant, single-column indexes. The text enums of that release were ``VARCHAR(16)`` without a
constraint, written here as ``sa.String(16)`` (the same DDL). Also frozen: that release's token
key, so the tokens of the old rows are encrypted as it encrypted them.
"""

from __future__ import annotations

import base64

import sqlalchemy as sa
from cryptography.fernet import Fernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

metadata = sa.MetaData()

_Timestamp = sa.DateTime(timezone=True)
_Text16 = sa.String(16)  # the release's sa.Enum(native_enum=False, create_constraint=False, length=16)


def _id() -> sa.Column:
    return sa.Column("id", sa.Integer, primary_key=True)


def _tokens() -> list[sa.Column]:
    """The columns of that release's ``_Tokens`` mixin (declarative put them after the class's own)."""
    return [
        sa.Column("access_token_encrypted", sa.Text, nullable=False),
        sa.Column("refresh_token_encrypted", sa.Text, nullable=False),
        sa.Column("access_expires_at", _Timestamp, nullable=False),
        sa.Column("refresh_expires_at", _Timestamp, nullable=False),
    ]


connection = sa.Table(
    "wsqb_connection",
    metadata,
    _id(),
    sa.Column("realm_id", sa.String(32), nullable=False, unique=True),
    sa.Column("company_name", sa.String(500), nullable=False),
    sa.Column("connected_at", _Timestamp, nullable=False),
    sa.Column("refreshed_at", _Timestamp),
    sa.Column("auth_error", sa.Text),
    sa.Column("customers_refreshed_at", _Timestamp),
    *_tokens(),
)

pending_connection = sa.Table(
    "wsqb_pending_connection",
    metadata,
    _id(),
    sa.Column("realm_id", sa.String(32), nullable=False),
    sa.Column("company_name", sa.String(500), nullable=False),
    sa.Column("created_at", _Timestamp, nullable=False),
    *_tokens(),
)

customer = sa.Table(
    "wsqb_customer",
    metadata,
    _id(),
    sa.Column("realm_id", sa.String(32), nullable=False),
    sa.Column("customer_id", sa.String(32), nullable=False),
    sa.Column("display_name", sa.String(500), nullable=False),
    sa.Column("name_key", sa.String(500), nullable=False, index=True),
    sa.Column("company", sa.String(500), nullable=False),
    sa.Column("email", sa.String(500), nullable=False),
    sa.Column("phone", sa.String(100), nullable=False),
    sa.Column("active", sa.Boolean, nullable=False),
    sa.Column("deleted", sa.Boolean, nullable=False),
    sa.Column("sync_token", sa.String(16), nullable=False),
    sa.Column("updated_at", _Timestamp),
    sa.Column("data", sa.JSON, nullable=False),
    sa.UniqueConstraint("realm_id", "customer_id", name="uq_wsqb_customer"),
)

contact_link = sa.Table(
    "wsqb_contact_link",
    metadata,
    _id(),
    sa.Column("realm_id", sa.String(32), nullable=False),
    sa.Column("contact_id", sa.String(64), nullable=False),
    sa.Column("customer_id", sa.String(32), nullable=False),
    sa.Column("how", sa.String(16), nullable=False),
    sa.Column("created_at", _Timestamp, nullable=False),
    sa.Column("baseline", sa.JSON),
    sa.Column("synced_at", _Timestamp),
    sa.UniqueConstraint("realm_id", "contact_id", name="uq_wsqb_link_contact"),
    sa.UniqueConstraint("realm_id", "customer_id", name="uq_wsqb_link_customer"),
)

link_event = sa.Table(
    "wsqb_link_event",
    metadata,
    _id(),
    sa.Column("realm_id", sa.String(32), nullable=False, index=True),
    sa.Column("contact_id", sa.String(64), nullable=False),
    sa.Column("customer_id", sa.String(32), nullable=False),
    sa.Column("action", sa.String(8), nullable=False),
    sa.Column("how", sa.String(16), nullable=False),
    sa.Column("by", sa.String(200)),
    sa.Column("at", _Timestamp, nullable=False),
)

change = sa.Table(
    "wsqb_change",
    metadata,
    _id(),
    sa.Column("realm_id", sa.String(32), nullable=False, index=True),
    sa.Column("contact_id", sa.String(64), nullable=False, index=True),
    sa.Column("customer_id", sa.String(32), nullable=False),
    sa.Column("at", _Timestamp, nullable=False),
    sa.Column("by", sa.String(200)),
    sa.Column("run_id", sa.Integer),
    sa.Column("source", sa.String(16), nullable=False),
    sa.Column("side", sa.String(16), nullable=False),
    sa.Column("field", sa.String(32), nullable=False),
    sa.Column("old", sa.Text, nullable=False),
    sa.Column("new", sa.Text, nullable=False),
    sa.Column("conflict", sa.Boolean, nullable=False),
)

match_proposal = sa.Table(
    "wsqb_match_proposal",
    metadata,
    _id(),
    sa.Column("realm_id", sa.String(32), nullable=False, index=True),
    sa.Column("contact_id", sa.String(64), nullable=False, index=True),
    sa.Column("customer_id", sa.String(32), nullable=False),
    sa.Column("score", sa.Double, nullable=False),
    sa.Column("reason", sa.String(500), nullable=False),
    sa.Column("status", _Text16, nullable=False),
    sa.Column("created_at", _Timestamp, nullable=False),
    sa.UniqueConstraint("realm_id", "contact_id", "customer_id", name="uq_wsqb_proposal"),
)

sync_run = sa.Table(
    "wsqb_sync_run",
    metadata,
    _id(),
    sa.Column("realm_id", sa.String(32), nullable=False),
    sa.Column("kind", _Text16, nullable=False),
    sa.Column("state", _Text16, nullable=False),
    sa.Column("message", sa.Text),
    sa.Column("created_by", sa.String(200)),
    sa.Column("created_at", _Timestamp, nullable=False),
    sa.Column("started_at", _Timestamp),
    sa.Column("finished_at", _Timestamp),
    sa.Column("heartbeat_at", _Timestamp),
)

sync_item = sa.Table(
    "wsqb_sync_item",
    metadata,
    _id(),
    sa.Column("run_id", sa.Integer, sa.ForeignKey("wsqb_sync_run.id", ondelete="CASCADE"), nullable=False, index=True),
    sa.Column("key", sa.String(64), nullable=False),
    sa.Column("label", sa.String(500), nullable=False),
    sa.Column("status", _Text16, nullable=False),
    sa.Column("message", sa.Text),
    sa.Column("claimed_by", sa.String(100)),
    sa.Column("claimed_at", _Timestamp),
    sa.Column("updated_at", _Timestamp, nullable=False),
    sa.UniqueConstraint("run_id", "key", name="uq_wsqb_item_key"),
)


def token_key(secret_key: str) -> Fernet:
    """The key that release encrypted tokens with (no ``WSQB_ENCRYPTION_KEY``): HKDF of ``SECRET_KEY``."""
    derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"flask-wsqb token encryption")
    return Fernet(base64.urlsafe_b64encode(derived.derive(secret_key.encode())))
