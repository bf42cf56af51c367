"""Hosts on Alembic: autogenerate compares the host's metadata (the wsqb_ tables included) with
the database. On a database the released version made it offers the tenant columns — with
their server default, so its migration fills the rows already there — and the changed keys;
after ``flask wsqb init-db`` it has nothing to offer for the wsqb_ tables."""

from __future__ import annotations

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata, produce_migrations, render_python_code
from alembic.migration import MigrationContext
from alembic.operations import Operations
from alembic.operations.ops import AddColumnOp

from flask_wsqb.tenancy import DEFAULT_TENANT
from tests.upgrade import old_schema
from tests.upgrade.host import db

TABLES = sorted(name for name in db.metadata.tables if name.startswith("wsqb_"))
#: The tables the released version had (the others are new: autogenerate offers them whole).
RELEASED = sorted(old_schema.metadata.tables)
#: What was added since the released version, beside the tenant columns.
ADDED = {
    ("add_table", "wsqb_auto_change", "wsqb_auto_change"),
    ("add_index", "wsqb_auto_change", "ix_wsqb_auto_change_due"),
    *(
        ("add_column", "wsqb_connection", column)
        for column in ("auto_sync", "new_customers", "new_contacts", "auto_mark", "last_webhook_at", "last_catchup_at")
    ),
}

#: The keys autogenerate finds changed on a database of the released version.
CHANGED_KEYS = {
    ("remove_index", "wsqb_change", "ix_wsqb_change_contact_id"),
    ("remove_index", "wsqb_change", "ix_wsqb_change_realm_id"),
    ("add_index", "wsqb_change", "ix_wsqb_change_contact"),
    ("add_index", "wsqb_change", "ix_wsqb_change_realm"),
    ("add_constraint", "wsqb_connection", "uq_wsqb_connection_tenant"),
    ("remove_constraint", "wsqb_contact_link", "uq_wsqb_link_contact"),
    ("remove_constraint", "wsqb_contact_link", "uq_wsqb_link_customer"),
    ("add_constraint", "wsqb_contact_link", "uq_wsqb_link_contact"),
    ("add_constraint", "wsqb_contact_link", "uq_wsqb_link_customer"),
    ("remove_constraint", "wsqb_customer", "uq_wsqb_customer"),
    ("add_constraint", "wsqb_customer", "uq_wsqb_customer"),
    ("remove_index", "wsqb_customer", "ix_wsqb_customer_name_key"),
    ("add_index", "wsqb_customer", "ix_wsqb_customer_tenant_name"),
    ("remove_index", "wsqb_link_event", "ix_wsqb_link_event_realm_id"),
    ("add_index", "wsqb_link_event", "ix_wsqb_link_event_realm"),
    ("remove_constraint", "wsqb_match_proposal", "uq_wsqb_proposal"),
    ("add_constraint", "wsqb_match_proposal", "uq_wsqb_proposal"),
    ("remove_index", "wsqb_match_proposal", "ix_wsqb_match_proposal_contact_id"),
    ("remove_index", "wsqb_match_proposal", "ix_wsqb_match_proposal_realm_id"),
    ("add_index", "wsqb_match_proposal", "ix_wsqb_match_proposal_contact"),
    ("add_index", "wsqb_pending_connection", "ix_wsqb_pending_connection_tenant"),
    ("add_index", "wsqb_sync_run", "ix_wsqb_sync_run_kind"),
    ("remove_index", "wsqb_sync_item", "ix_wsqb_sync_item_run_id"),
    ("add_index", "wsqb_sync_item", "ix_wsqb_sync_item_todo"),
}
#: wsqb_connection's unique realm_id of the released version: PostgreSQL names it, and Alembic
#: offers to drop it; SQLite keeps it unnamed, and Alembic cannot name what to drop.
REALM_UNIQUE = ("remove_constraint", "wsqb_connection", "wsqb_connection_realm_id_key")


def autogenerate(app) -> list:
    """What ``alembic revision --autogenerate`` would compare, for the wsqb_ tables only."""
    with app.app_context(), db.engine.connect() as conn:
        return [
            diff for diff in compare_metadata(MigrationContext.configure(conn), db.metadata) if _table(diff) in TABLES
        ]


def _table(diff) -> str:
    if isinstance(diff, list):  # modify_* comes as a list of one column's changes
        return diff[0][2]
    if diff[0] in ("add_column", "remove_column"):
        return diff[2]
    if diff[0] == "add_table":
        return diff[1].name
    return diff[1].table.name


def named(diffs: list) -> set[tuple[str, str, str]]:
    """Each difference as (what, table, name)."""
    found = set()
    for diff in diffs:
        if isinstance(diff, list):
            found |= {(change[0], change[2], change[3]) for change in diff}
        elif diff[0] in ("add_column", "remove_column"):
            found.add((diff[0], diff[2], diff[3].name))
        elif diff[0] == "add_table":
            found.add((diff[0], diff[1].name, diff[1].name))
        else:
            found.add((diff[0], diff[1].table.name, diff[1].name))
    return found


def test_autogenerate_offers_the_tenant_columns_with_their_default_and_the_new_keys(released, app):
    diffs = autogenerate(app)

    expected = {("add_column", name, "tenant") for name in RELEASED} | CHANGED_KEYS | ADDED
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        expected.add(REALM_UNIQUE)
    assert named(diffs) == expected
    tenant = [
        diff[3] for diff in diffs if not isinstance(diff, list) and diff[0] == "add_column" and diff[3].name == "tenant"
    ]
    assert all(not column.nullable and column.server_default.arg == DEFAULT_TENANT for column in tenant)
    with app.app_context(), db.engine.connect() as conn:
        migration = produce_migrations(MigrationContext.configure(conn), db.metadata)
    code = render_python_code(migration.upgrade_ops)
    assert code.count("sa.Column('tenant', sa.String(length=64), server_default='default', nullable=False)") == len(
        TABLES
    )


def test_the_migration_autogenerate_writes_puts_existing_rows_in_the_default_tenant(released, app):
    with app.app_context(), db.engine.begin() as conn:
        context = MigrationContext.configure(conn)
        migration = produce_migrations(context, db.metadata)
        operations = Operations(context)
        for table_ops in migration.upgrade_ops.ops:
            for op in getattr(table_ops, "ops", ()):  # a new table's op has none: not added here
                if isinstance(op, AddColumnOp) and table_ops.table_name in RELEASED:
                    operations.invoke(op)
    with app.app_context(), db.engine.connect() as conn:
        for name, rows in released.rows.items():
            tenants = conn.execute(sa.text(f"SELECT tenant FROM {name}")).scalars().all()
            assert tenants == [DEFAULT_TENANT] * len(rows), name


def test_after_init_db_autogenerate_finds_nothing_to_change(released, app):
    assert app.test_cli_runner().invoke(args=["wsqb", "init-db"]).exit_code == 0
    assert autogenerate(app) == []
