"""Registering the extension on a host app: start-up errors say what to fix."""

from __future__ import annotations

import pytest
from flask import Flask, redirect, request
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy.orm import Mapped, mapped_column

from flask_wsqb import ContactStore, WSQuickBooks

db = SQLAlchemy()


class Client(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str]
    email: Mapped[str | None]
    changed: Mapped[str | None]


def store() -> ContactStore:
    return ContactStore(
        Client,
        display_name="name",
        first_name=None,
        last_name=None,
        company=None,
        phone=None,
        street=None,
        city=None,
        state=None,
        postal_code=None,
        country=None,
        modified_at="changed",
        hidden=None,
    )


def make_app(**config) -> Flask:
    app = Flask(__name__)
    app.config.update(
        {
            "SECRET_KEY": "s",
            "SQLALCHEMY_DATABASE_URI": "sqlite://",
            "WSQB_CLIENT_ID": "id",
            "WSQB_CLIENT_SECRET": "secret",
            **config,
        }
    )
    db.init_app(app)
    CSRFProtect(app)
    return app


def test_init_app_twice_raises():
    app = make_app()
    ext = WSQuickBooks(db=db, contacts=store())
    ext.init_app(app)
    with pytest.raises(RuntimeError, match="already registered"):
        ext.init_app(app)
    assert app.extensions["wsqb"].extension is ext


def test_one_extension_serves_several_apps():
    ext = WSQuickBooks(db=db, contacts=store())
    first, second = make_app(WSQB_URL_PREFIX="/qb"), make_app()
    ext.init_app(first)
    ext.init_app(second)
    assert "/qb/connection" in {r.rule for r in first.url_map.iter_rules()}
    assert "/setup/quickbooks/connection" in {r.rule for r in second.url_map.iter_rules()}


@pytest.mark.parametrize("missing", ["WSQB_CLIENT_ID", "WSQB_CLIENT_SECRET"])
def test_missing_credentials_are_said_by_the_pages_and_the_cli_not_at_start_up(missing):
    app = make_app(**{missing: None})
    ext = WSQuickBooks(app, db=db, contacts=store())  # starts: `flask wsqb init-db` and the pages work
    ext.access_check(lambda action: True)
    runner = app.test_cli_runner()
    assert runner.invoke(args=["wsqb", "init-db"]).exit_code == 0
    page = app.test_client().get("/setup/quickbooks/connection").get_data(as_text=True)
    assert f"QuickBooks is not set up: set {missing}" in page and "Connect to QuickBooks</button>" not in page
    status = runner.invoke(args=["wsqb", "status"])
    assert status.exit_code == 1 and f"set {missing}" in status.output


def test_missing_csrf_protection_fails_at_start_up():
    app = Flask(__name__)
    app.config.update(SECRET_KEY="s", SQLALCHEMY_DATABASE_URI="sqlite://", WSQB_CLIENT_ID="i", WSQB_CLIENT_SECRET="s")
    db.init_app(app)
    with pytest.raises(RuntimeError, match="CSRFProtect"):
        WSQuickBooks(app, db=db, contacts=store())


def test_missing_encryption_key_fails_at_start_up():
    app = make_app()
    app.config["SECRET_KEY"] = None
    with pytest.raises(RuntimeError, match="WSQB_ENCRYPTION_KEY"):
        WSQuickBooks(app, db=db, contacts=store())


def test_bad_encryption_key_fails_at_start_up():
    app = make_app(WSQB_ENCRYPTION_KEY="not-a-key")
    with pytest.raises(RuntimeError, match="not a valid Fernet key"):
        WSQuickBooks(app, db=db, contacts=store())


def test_contact_store_names_missing_attributes():
    with pytest.raises(ValueError, match="no attribute"):
        ContactStore(Client, display_name="full_name")


def test_tables_join_the_host_metadata_and_cli_creates_them():
    app = make_app()
    WSQuickBooks(app, db=db, contacts=store())
    names = set(db.metadata.tables)
    assert {"wsqb_connection", "wsqb_contact_link", "wsqb_sync_run", "wsqb_sync_item"} <= names
    result = app.test_cli_runner().invoke(args=["wsqb", "init-db"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        created = set(db.inspect(db.engine).get_table_names())
    assert {"wsqb_connection", "wsqb_contact_link"} <= created
    assert "client" not in created  # the host's own tables are the host's business


def test_access_is_denied_until_the_host_registers_a_check():
    app = make_app()
    ext = WSQuickBooks(app, db=db, contacts=store())
    client = app.test_client()
    denied = client.get("/setup/quickbooks/connection")
    assert denied.status_code == 403
    assert "@wsqb.access_check" in denied.get_data(as_text=True)

    ext.access_check(lambda action: action != "connection")
    refused = client.get("/setup/quickbooks/connection")
    assert refused.status_code == 403
    assert "Ask your administrator" in refused.get_data(as_text=True)

    ext.access_check(lambda action: True)
    with app.app_context():
        db.create_all()
    assert client.get("/setup/quickbooks/connection").status_code == 200


def test_a_denied_user_gets_the_hosts_unauthorized_handler():
    app = make_app()
    ext = WSQuickBooks(app, db=db, contacts=store())
    ext.access_check(lambda action: action != "export")

    @ext.unauthorized_handler
    def to_login():
        return redirect("/login?next=" + request.path)

    denied = app.test_client().get("/setup/quickbooks/contacts/export")
    assert denied.status_code == 302 and denied.headers["Location"] == "/login?next=/setup/quickbooks/contacts/export"
