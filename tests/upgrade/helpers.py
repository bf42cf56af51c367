"""Helpers of the upgrade tests: filling a database through the real app, turning it into the one
the released version (84583b7) would have left (its tables, as tests/upgrade/old_schema.py
freezes them, holding the same rows), and reading a schema back to compare it with the models."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import requests
import sqlalchemy as sa

from flask_wsqb.tenancy import DEFAULT_TENANT
from tests.helpers import (
    CONNECTION,
    EXPORT,
    IMPORT,
    connect_quickbooks,
    linked_pairs,
    post_form,
    refresh_list,
    run_id_of,
    submit,
    wait_for_run,
)
from tests.upgrade import old_schema
from tests.upgrade.host import add_contacts

MATCH = "/setup/quickbooks/contacts/match"
TOKEN_COLUMNS = ("access_token_encrypted", "refresh_token_encrypted")


def use_the_app(app, client, qbo) -> set[tuple[str, str]]:
    """What a firm does in its first weeks, leaving rows in every wsqb_ table: connect (the
    customer list is copied), export two contacts, import a customer, run Auto Match (a proposal
    left open), sign in to another company without switching (a pending connection). The links."""
    connect_quickbooks(client, qbo)
    exported = add_contacts(
        app,
        {"display_name": "Harbor Dental", "email": "desk@harbor.example", "phone": "555-0100"},
        {"display_name": "Prairie Farms", "company": "Prairie Farms LLC"},
    )
    assert {item["status"] for item in submit(client, EXPORT, exported)["items"]} == {"ok"}
    granite = qbo.add_customer({"DisplayName": "Granite Roofing", "PrimaryPhone": {"FreeFormNumber": "555-0199"}})
    refresh_list(client)
    assert {item["status"] for item in submit(client, IMPORT, [granite["Id"]])["items"]} == {"ok"}
    add_contacts(app, {"display_name": "Robert Smith", "email": "bob@smith.example"})
    qbo.add_customer({"DisplayName": "Bob Smith", "PrimaryEmailAddr": {"Address": "BOB@smith.example"}})
    assert wait_for_run(client, run_id_of(post_form(client, MATCH, MATCH + "/auto")))["state"] == "done"
    answer = sign_in(client, qbo, qbo.add_company("Birch CPA Books"))
    assert answer.status_code == 302 and answer.headers["Location"].endswith(CONNECTION + "/switch")
    return linked_pairs(app)


def sign_in(client, qbo, realm_id: str):
    """Connect → the emulator's consent screen, choosing ``realm_id`` → the app's callback."""
    answer = post_form(client, CONNECTION, CONNECTION + "/connect")
    authorize = urlsplit(answer.headers["Location"])
    form = {**{k: v[0] for k, v in parse_qs(authorize.query).items()}, "realmId": realm_id, "action": "connect"}
    consent = requests.post(f"{qbo.base_url}{authorize.path}", data=form, allow_redirects=False, timeout=5)
    callback = urlsplit(consent.headers["Location"])
    return client.get(f"{callback.path}?{callback.query}")


def rows_of(engine, tables) -> dict[str, list[dict]]:
    """Every row of each table, by table name, in id order."""
    with engine.connect() as conn:
        return {
            table.name: [dict(row) for row in conn.execute(sa.select(table).order_by(table.c.id)).mappings()]
            for table in tables
        }


def as_released(engine, models_metadata, secret_key: str) -> dict[str, list[dict]]:
    """Turn the database into the released version's: its wsqb_ tables replaced by the frozen
    ones holding the same rows (no tenant; every row was the default tenant's), the tokens
    encrypted again as that version encrypted them, PostgreSQL's id sequences where they were.
    The rows as the released version holds them."""
    current = [table for table in models_metadata.sorted_tables if table.name.startswith("wsqb_")]
    released = old_schema.metadata.tables
    rows = rows_of(engine, [table for table in current if table.name in released])
    assert all(rows.values()), {name: len(found) for name, found in rows.items()}  # something in every table
    for found in rows.values():
        for row in found:
            assert row.pop("tenant") == DEFAULT_TENANT
    _encrypt_as_released(rows, old_schema.token_key(secret_key))
    models_metadata.drop_all(engine, tables=current)  # the tables added since are not there either
    old_schema.metadata.create_all(engine)
    with engine.begin() as conn:
        for table in old_schema.metadata.sorted_tables:
            columns = set(table.c.keys())  # the columns added since are not there either
            conn.execute(table.insert(), [{k: v for k, v in row.items() if k in columns} for row in rows[table.name]])
            if engine.dialect.name == "postgresql":
                conn.execute(
                    sa.text(f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), max(id)) FROM {table.name}")
                )
    return rows_of(engine, old_schema.metadata.sorted_tables)


def _encrypt_as_released(rows: dict[str, list[dict]], key) -> None:
    """The default firm's tokens are under the app's key, the one the released version used:
    they open with that version's key; stored again as that version wrote them."""
    for name in ("wsqb_connection", "wsqb_pending_connection"):
        for row in rows[name]:
            for column in TOKEN_COLUMNS:
                row[column] = key.encrypt(key.decrypt(row[column].encode())).decode()


def schema_of(engine, names) -> dict[str, dict]:
    """Each table's columns, unique constraints and indexes as the database has them."""
    inspector = sa.inspect(engine)
    return {
        name: {
            "columns": {column["name"] for column in inspector.get_columns(name)},
            "uniques": {(u["name"], tuple(u["column_names"])) for u in inspector.get_unique_constraints(name)},
            "indexes": {
                (i["name"], tuple(i["column_names"]), bool(i["unique"]))
                for i in inspector.get_indexes(name)
                if "duplicates_constraint" not in i
            },
        }
        for name in names
    }


def declared_schema(metadata, names) -> dict[str, dict]:
    """The same, as the models declare it."""
    tables = {name: metadata.tables[name] for name in names}
    return {
        name: {
            "columns": {column.name for column in table.columns},
            "uniques": {
                (c.name, tuple(column.name for column in c.columns))
                for c in table.constraints
                if isinstance(c, sa.UniqueConstraint)
            },
            "indexes": {(i.name, tuple(column.name for column in i.columns), bool(i.unique)) for i in table.indexes},
        }
        for name, table in tables.items()
    }
