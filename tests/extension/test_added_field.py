"""A synced field of the host's own is one registry line plus the host's attribute: a mobile
phone, added in a small host app, goes out on Export, comes back on Sync and Pull, is checked
before sending and recorded in the history like the built-in fields."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
import sqlalchemy as sa
from flask import Flask
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy.orm import Mapped, mapped_column

from flask_wsqb import ContactStore, WSQuickBooks
from flask_wsqb.fields import CONTACT_FIELDS, Field
from tests.helpers import EXPORT, connect_quickbooks, host_config, post_form, run_id_of, wait_for_run

db = SQLAlchemy()


def now() -> datetime:
    return datetime.now(timezone.utc)


class Client(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str]
    email: Mapped[str | None]
    mobile: Mapped[str | None]
    changed: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=now, onupdate=now)


#: The one registry line.
MOBILE = Field("mobile", "mobile phone", ("Mobile", "FreeFormNumber"), 30)


@pytest.fixture
def app(db_url, qbo):
    app = Flask(__name__)
    app.config.update(host_config(db_url, qbo))
    db.init_app(app)
    CSRFProtect(app)
    wsqb = WSQuickBooks(
        app,
        db=db,
        contacts=ContactStore(
            Client,
            fields=CONTACT_FIELDS.plus(MOBILE),
            display_name="name",
            mobile="mobile",  # and the host's attribute
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
        ),
    )
    wsqb.access_check(lambda action: True)
    with app.app_context():
        db.create_all()
    yield app
    with app.app_context():
        db.drop_all()
        db.engine.dispose()


def client_row(app, client_id: int) -> Client:
    with app.app_context():
        row = db.session.get(Client, client_id)
        db.session.expunge(row)
        return row


def test_an_added_field_is_exported_synced_pulled_and_checked(app, qbo):
    web = app.test_client()
    connect_quickbooks(web, qbo)
    with app.app_context():
        rows = [
            Client(name="Mobile Dental", email="desk@mobile.example", mobile="555-0100"),
            Client(name="Too Long Mobile", mobile="5" * 31),
        ]
        db.session.add_all(rows)
        db.session.commit()
        ok_id, long_id = rows[0].id, rows[1].id

    report = wait_for_run(web, run_id_of(post_form(web, EXPORT, EXPORT, {"selected": [str(ok_id), str(long_id)]})))
    items = {item["key"]: item for item in report["items"]}
    assert items[str(ok_id)]["status"] == "ok"
    assert items[str(long_id)]["message"] == "The mobile phone is 31 characters long; QuickBooks allows at most 30."
    [customer] = qbo.customers()
    assert customer["Mobile"] == {"FreeFormNumber": "555-0100"}

    qbo.edit_customer(customer["Id"], {"Mobile": {"FreeFormNumber": "555-0199"}})
    synced = post_form(web, EXPORT, f"/setup/quickbooks/contacts/{ok_id}/sync", follow_redirects=True)
    assert "mobile phone (&#39;555-0100&#39; → &#39;555-0199&#39;)" in synced.get_data(as_text=True)
    assert client_row(app, ok_id).mobile == "555-0199"

    with app.app_context():
        db.session.execute(sa.update(Client).where(Client.id == ok_id).values(mobile="555-0111"))
        db.session.commit()
    wait_for_run(web, run_id_of(post_form(web, EXPORT, EXPORT, {"selected": [str(ok_id)]})))
    assert qbo.customer(customer["Id"])["Mobile"]["FreeFormNumber"] == "555-0111"

    qbo.edit_customer(customer["Id"], {"Mobile": {"FreeFormNumber": "555-0122"}})
    post_form(web, EXPORT, f"/setup/quickbooks/contacts/{ok_id}/pull")
    assert client_row(app, ok_id).mobile == "555-0122"
    history = web.get(f"/setup/quickbooks/history?contact={ok_id}").get_data(as_text=True)
    assert history.count('data-field="mobile"') == 4  # export, sync, export, pull
