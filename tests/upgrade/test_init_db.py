"""``flask wsqb init-db`` upgrades in place a database the released version (84583b7) made and
used, on SQLite (tables rebuilt) and PostgreSQL (ALTER TABLE): the tables end as the models
declare them, every row is kept in the default tenant, the app goes on working with what was
there (its tokens, its links), and a second run changes nothing."""

from __future__ import annotations

import re
from datetime import datetime, timezone

import sqlalchemy as sa

from flask_wsqb.tenancy import DEFAULT_TENANT
from tests.helpers import CONNECTION, EXPORT, host_config, post_form, submit
from tests.upgrade import old_schema
from tests.upgrade.helpers import declared_schema, rows_of, schema_of
from tests.upgrade.host import Contact, add_contacts, create_app, db

TABLES = sorted(name for name in db.metadata.tables if name.startswith("wsqb_"))
#: The tables the released version had; the others are created by the upgrade.
RELEASED = sorted(old_schema.metadata.tables)
NEW = sorted(set(TABLES) - set(RELEASED))
WHEN = datetime(2026, 1, 5, 9, 30, tzinfo=timezone.utc)


def init_db(app, *, exit_code: int = 0) -> str:
    result = app.test_cli_runner().invoke(args=["wsqb", "init-db"])
    assert result.exit_code == exit_code, result.output
    return result.output


def database(app) -> tuple[dict, dict]:
    """The wsqb_ tables' schema and rows as the database has them."""
    with app.app_context():
        return schema_of(db.engine, TABLES), rows_of(db.engine, [db.metadata.tables[name] for name in TABLES])


def linked_on_the_export_page(client) -> dict[str, bool]:
    """{contact id: shown as linked} for every row of the Export grid."""
    html = client.get(EXPORT).get_data(as_text=True)
    rows = re.findall(r'data-id="(\d+)".*?<td class="wsqb-linked"[^>]*>([^<]*)</td>', html, flags=re.S)
    return {contact_id: label == "Linked" for contact_id, label in rows}


def test_the_released_tables_are_brought_up_to_the_models_with_every_row_in_the_default_tenant(released, app):
    output = init_db(app)

    for name in RELEASED:
        assert f"{name}:\n  - " in output  # each table says what was done to it
    assert all(f"{name}: created" in output for name in NEW)
    assert output.count("added column tenant (existing rows: 'default')") == len(RELEASED)
    assert "dropped index ix_wsqb_change_realm_id (realm_id)" in output
    assert "dropped unique constraint uq_wsqb_customer (realm_id, customer_id)" in output
    assert "added unique constraint uq_wsqb_customer (tenant, realm_id, customer_id)" in output
    assert "added unique constraint uq_wsqb_connection_tenant (tenant)" in output
    assert "created index ix_wsqb_sync_run_kind (tenant, realm_id, kind, state)" in output
    assert f"{len(NEW)} created, {len(RELEASED)} upgraded, 0 already up to date" in output

    schema, rows = database(app)
    assert schema == declared_schema(db.metadata, TABLES)
    with app.app_context():
        tenant = {
            name: next(c for c in sa.inspect(db.engine).get_columns(name) if c["name"] == "tenant") for name in TABLES
        }
    assert all(not column["nullable"] and "default" in str(column["default"]) for column in tenant.values())
    for name, kept in released.rows.items():
        assert [row.pop("tenant") for row in rows[name]] == [DEFAULT_TENANT] * len(kept), name
        assert [{k: v for k, v in row.items() if k in old_schema.metadata.tables[name].c} for row in rows[name]] == kept
    # the columns added since take their defaults: automatic sync is off until someone turns it on
    added = {k: str(v) if v is not None else None for k, v in rows["wsqb_connection"][0].items()}
    assert {k: added[k] for k in ("auto_sync", "new_customers", "new_contacts", "auto_mark")} == {
        "auto_sync": "off",
        "new_customers": "create",
        "new_contacts": "leave",
        "auto_mark": None,
    }


def test_the_app_works_on_the_upgraded_database(released, app, client, qbo):
    init_db(app)

    page = client.get(CONNECTION).get_data(as_text=True)
    assert 'data-connected="yes"' in page and qbo.company().name in page
    shown = linked_on_the_export_page(client)
    assert {contact_id for contact_id, linked in shown.items() if linked} == {c for c, _ in released.links}
    assert not all(shown.values())  # the contact Auto Match only proposed is not linked

    # A Pull of a linked contact, its access token rejected: the refresh token, encrypted by the
    # released version, still opens (the default firm keeps the app's key) and is renewed.
    contact_id, customer_id = min(released.links)
    qbo.edit_customer(customer_id, {"PrimaryPhone": {"FreeFormNumber": "555-0142"}})
    qbo.expire_access_tokens()
    pulled = post_form(client, EXPORT, f"/setup/quickbooks/contacts/{contact_id}/pull", follow_redirects=True)
    assert "Pulled from QuickBooks" in pulled.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Contact, int(contact_id)).phone == "555-0142"
        [connection] = db.session.execute(sa.select(app.extensions["wsqb"].models.Connection)).scalars()
        assert connection.tenant == DEFAULT_TENANT and connection.refreshed_at is not None
        assert connection.refresh_token_encrypted != released.rows["wsqb_connection"][0]["refresh_token_encrypted"]

    # New rows under the new keys: an export links one more contact beside the old links.
    [new] = add_contacts(app, {"display_name": "Willow Yoga"})
    assert {item["status"] for item in submit(client, EXPORT, [new])["items"]} == {"ok"}
    assert linked_on_the_export_page(client)[new]


def test_a_second_run_changes_nothing_and_says_so(released, app):
    init_db(app)
    before = database(app)

    output = init_db(app)

    said = sorted(line for line in output.splitlines() if line.startswith("wsqb_"))
    assert said == [f"{name}: up to date" for name in TABLES], output
    assert output.splitlines()[-1] == f"All {len(TABLES)} flask-wsqb tables are up to date: nothing changed."
    assert database(app) == before


def test_an_empty_database_gets_every_table_and_a_second_run_changes_nothing(app):
    output = init_db(app)
    assert all(f"{name}: created" in output for name in TABLES)
    assert f"{len(TABLES)} created, 0 upgraded" in output
    assert database(app)[0] == declared_schema(db.metadata, TABLES)
    assert "nothing changed" in init_db(app)


def test_a_step_the_database_refuses_leaves_everything_as_it_was(app):
    """Two connection rows (two sign-ins at once under the released version) cannot both be the
    default firm's one connection: init-db says so and changes no table, not even those before."""
    with app.app_context():
        old_schema.metadata.create_all(db.engine)
        with db.engine.begin() as conn:
            conn.execute(
                old_schema.connection.insert(), [_connection("9341000000000001"), _connection("9341000000000002")]
            )
    before = database_as_released(app)

    output = init_db(app, exit_code=1)

    assert "wsqb_connection: could not" in output and "nothing was changed" in output
    assert database_as_released(app) == before


def database_as_released(app) -> tuple[dict, dict]:
    with app.app_context():
        names = sorted(old_schema.metadata.tables)
        return schema_of(db.engine, names), rows_of(db.engine, old_schema.metadata.sorted_tables)


def _connection(realm_id: str) -> dict:
    return {
        "realm_id": realm_id,
        "company_name": "Sandbox Company",
        "connected_at": WHEN,
        "access_token_encrypted": "a",
        "refresh_token_encrypted": "r",
        "access_expires_at": WHEN,
        "refresh_expires_at": WHEN,
    }


def test_sqlite_rebuilds_a_referenced_table_without_breaking_the_references(tmp_path, qbo):
    """wsqb_sync_item refers to wsqb_sync_run: rebuilding the run table (here for a unique
    constraint the models do not declare, added by hand) with the host's foreign keys on must
    neither point the items at the renamed old table nor delete them with it, nor trip over the
    old table's index names (global in SQLite); the host's pragmas are put back."""
    app = create_app(host_config(f"sqlite:///{tmp_path / 'fk.db'}", qbo))
    with app.app_context():
        engine = db.engine
        sa.event.listen(engine, "connect", lambda dbapi, _record: dbapi.execute("PRAGMA foreign_keys=ON"))
        by_hand = sa.MetaData()
        for name in TABLES:
            db.metadata.tables[name].to_metadata(by_hand)
        by_hand.tables["wsqb_sync_run"].append_constraint(sa.UniqueConstraint("realm_id", "id", name="uq_by_hand"))
        by_hand.create_all(engine)
        with engine.begin() as conn:
            conn.execute(by_hand.tables["wsqb_sync_run"].insert(), [_run(1), _run(2)])
            conn.execute(by_hand.tables["wsqb_sync_item"].insert(), [_item(1, "a"), _item(1, "b"), _item(2, "c")])

    output = init_db(app)

    assert "wsqb_sync_run:\n  - dropped unique constraint uq_by_hand (realm_id, id)\n  - rebuilt the table" in output
    assert f"flask-wsqb tables: 0 created, 1 upgraded, {len(TABLES) - 1} already up to date." in output
    assert database(app)[0] == declared_schema(db.metadata, TABLES)
    with app.app_context(), db.engine.connect() as conn:
        pragma = conn.exec_driver_sql
        assert pragma("PRAGMA foreign_keys").scalar() == 1 and pragma("PRAGMA legacy_alter_table").scalar() == 0
        assert {row[2] for row in pragma("PRAGMA foreign_key_list(wsqb_sync_item)")} == {"wsqb_sync_run"}
        assert not [name for name in sa.inspect(conn).get_table_names() if name.startswith("_old_")]
        assert pragma("SELECT run_id, key FROM wsqb_sync_item ORDER BY id").all() == [(1, "a"), (1, "b"), (2, "c")]
        pragma("DELETE FROM wsqb_sync_run WHERE id = 1")  # the items follow the rebuilt table
        assert pragma("SELECT key FROM wsqb_sync_item").all() == [("c",)]
        conn.commit()
        db.engine.dispose()


def _run(run_id: int) -> dict:
    return {"id": run_id, "realm_id": "9341000000000001", "kind": "export", "state": "done", "created_at": WHEN}


def _item(run_id: int, key: str) -> dict:
    return {"run_id": run_id, "key": key, "label": key, "status": "ok", "updated_at": WHEN}
