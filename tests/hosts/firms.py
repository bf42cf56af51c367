"""A host serving several firms, each with its own contacts numbered from 1 (the key is the firm
and the number): what the attacker test of tenant isolation drives."""

from __future__ import annotations

import os
from datetime import datetime, timezone
from urllib.parse import parse_qs, urlsplit

import requests
import sqlalchemy as sa
from flask import Flask, session
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy.orm import Mapped, mapped_column

from flask_wsqb import ContactStore, WSQuickBooks
from tests.helpers import CONNECTION, post_form, run_id_of, wait_for_run

db = SQLAlchemy()


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def next_number(context) -> int:
    """The firm's next contact number (each firm counts from 1)."""
    firm = context.get_current_parameters()["firm"]
    highest = context.connection.scalar(sa.select(sa.func.max(Person.number)).where(Person.firm == firm))
    return (highest or 0) + 1


class Person(db.Model):
    firm: Mapped[str] = mapped_column(sa.String(20), primary_key=True)
    number: Mapped[int] = mapped_column(primary_key=True, autoincrement=False, default=next_number)
    name: Mapped[str] = mapped_column(sa.String(100))
    email: Mapped[str | None] = mapped_column(sa.String(100))
    phone: Mapped[str | None] = mapped_column(sa.String(40))
    hidden: Mapped[bool] = mapped_column(default=False)
    updated_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow, onupdate=utcnow)


wsqb = WSQuickBooks(
    db=db,
    contacts=ContactStore(
        Person,
        tenant="firm",
        id="number",
        display_name="name",
        first_name=None,
        last_name=None,
        company=None,
        street=None,
        city=None,
        state=None,
        postal_code=None,
        country=None,
    ),
)


@wsqb.tenant_loader
def firm_of_the_session() -> str | None:
    return session.get("firm")


@wsqb.access_check
def everyone(action: str) -> bool:
    return True


def create_app(config: dict) -> Flask:
    app = Flask(__name__)
    app.config.update(config)
    db.init_app(app)
    CSRFProtect(app)
    wsqb.init_app(app)
    with app.app_context():
        db.create_all()
    return app


def create_worker_app() -> Flask:
    """The host as its workers build it (``flask --app tests.hosts.firms:create_worker_app``):
    the database in ``DATABASE_URL``, the rest from the ``WSQB_`` variables."""
    config = {key: value for key, value in os.environ.items() if key.startswith("WSQB_")}
    return create_app(
        {**config, "SQLALCHEMY_DATABASE_URI": os.environ["DATABASE_URL"], "SECRET_KEY": os.environ["SECRET_KEY"]}
    )


def as_firm(app, firm: str):
    """A test client of a user of ``firm``."""
    client = app.test_client()
    with client.session_transaction() as session:
        session["firm"] = firm
    return client


def sign_in(client, qbo, realm_id: str):
    """Sign in to QuickBooks, choosing the company on the emulator's consent screen as the firm's
    user does; the answer to the callback (to the Connection page, or to the switch page when the
    firm is connected to another company)."""
    answer = post_form(client, CONNECTION, CONNECTION + "/connect")
    authorize = urlsplit(answer.headers["Location"])
    form = {**{k: v[0] for k, v in parse_qs(authorize.query).items()}, "realmId": realm_id, "action": "connect"}
    consent = requests.post(f"{qbo.base_url}{authorize.path}", data=form, allow_redirects=False, timeout=5)
    callback = urlsplit(consent.headers["Location"])
    return client.get(f"{callback.path}?{callback.query}")


def connect_to(client, qbo, realm_id: str) -> int:
    """Connect, choosing the company on the emulator's consent screen as the firm's user does;
    the id of the run that loaded the company's customer list."""
    run_id = run_id_of(sign_in(client, qbo, realm_id))
    wait_for_run(client, run_id)
    return run_id


def add_people(app, firm: str, *names: str) -> list[str]:
    """People of ``firm`` numbered 1, 2, ... (every firm has its own 1)."""
    with app.app_context():
        db.session.add_all(Person(firm=firm, number=n, name=name) for n, name in enumerate(names, 1))
        db.session.commit()
    return [str(n) for n in range(1, len(names) + 1)]
