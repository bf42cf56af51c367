"""A second host, shaped unlike the example app, as the README's recipe describes one: UUID keys,
no display-name column (the name is the business name, else "first last"), the postal address
in a one-to-one ``Address`` table, an ``archived`` flag, a phone the host normalises and a NOT
NULL column, an email it validates, naive modification times, and Flask-Login with admins."""

from __future__ import annotations

import uuid
from datetime import datetime, timezone

import sqlalchemy as sa
from flask import Flask, abort, redirect, render_template_string, request
from flask_login import LoginManager, UserMixin, current_user, login_user
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy.ext.hybrid import hybrid_property
from sqlalchemy.orm import Mapped, mapped_column, relationship

from flask_wsqb import ContactStore, WSQuickBooks

db = SQLAlchemy()
login = LoginManager()


def naive_utcnow() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)  # the host keeps naive UTC times


# -- the README's recipe: a computed name and an address in a related table -------------------
class Client(db.Model):
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    business_name: Mapped[str | None] = mapped_column(sa.String(100))
    first: Mapped[str] = mapped_column(sa.String(100), default="")
    last: Mapped[str] = mapped_column(sa.String(100), default="")
    email: Mapped[str | None] = mapped_column(sa.String(200))
    phone: Mapped[str] = mapped_column(sa.String(40), default="")  # NOT NULL: "" when none
    archived: Mapped[bool] = mapped_column(default=False)
    changed: Mapped[datetime] = mapped_column(default=naive_utcnow, onupdate=naive_utcnow)
    address: Mapped[Address | None] = relationship(back_populates="client", uselist=False)

    @hybrid_property
    def full_name(self) -> str:
        return self.business_name or f"{self.first} {self.last}".strip()

    @full_name.inplace.expression
    @classmethod
    def _full_name_in_sql(cls) -> sa.ColumnElement[str]:
        person = sa.func.trim(cls.first + " " + cls.last)
        return sa.case((sa.func.coalesce(cls.business_name, "") != "", cls.business_name), else_=person)


class Address(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("client.id"), unique=True)
    street: Mapped[str | None] = mapped_column(sa.String(200))
    city: Mapped[str | None] = mapped_column(sa.String(100))
    region: Mapped[str | None] = mapped_column(sa.String(50))
    postcode: Mapped[str | None] = mapped_column(sa.String(20))
    country: Mapped[str | None] = mapped_column(sa.String(100))
    client: Mapped[Client] = relationship(back_populates="address")


contacts = ContactStore(
    Client,
    display_name=Client.full_name,  # computed by the database: read-only
    first_name="first",
    last_name="last",
    company="business_name",
    email="email",
    phone="phone",
    street="address.street",  # in the related Address row (made on the first write)
    city="address.city",
    state="address.region",
    postal_code="address.postcode",
    country="address.country",
    modified_at="changed",  # naive: read as UTC
    hidden="archived",
)
# -- end of the recipe -----------------------------------------------------------------------


def _normalised_phone(_client, value, _old, _initiator):
    """The host keeps phones as digits in groups: "555.0199" becomes "555-0199"."""
    digits = "".join(ch for ch in value or "" if ch.isdigit())
    return "-".join(filter(None, (digits[:-4], digits[-4:]))) if digits else ""


def _checked_email(_client, value, _old, _initiator):
    if value and "@" not in value:
        raise ValueError("an email address needs an @")
    return value


sa.event.listen(Client.phone, "set", _normalised_phone, retval=True)
sa.event.listen(Client.email, "set", _checked_email, retval=True)

wsqb = WSQuickBooks(db=db, contacts=contacts, contact_endpoint="client_page")


class User(UserMixin):
    def __init__(self, name: str, admin: bool) -> None:
        self.id, self.admin = name, admin


USERS = {"ada": User("ada", admin=True), "bob": User("bob", admin=False)}


@login.user_loader
def load_user(user_id: str) -> User | None:
    return USERS.get(user_id)


@wsqb.access_check
def admins_only(action: str) -> bool:
    return current_user.is_authenticated and current_user.admin


@wsqb.user_name_loader
def user_name() -> str | None:
    return current_user.id if current_user.is_authenticated else None


PAGE = """<!doctype html><html lang="en"><head><title>{% block title %}Clients{% endblock %}</title>
{{ wsqb_assets() }}</head><body>
{% for category, message in get_flashed_messages(with_categories=true) %}
<p class="flash-{{ category }}">{{ message }}</p>{% endfor %}
<nav>{% from "wsqb/_menu.html" import render_menu %}{{ render_menu(wsqb_menu("setup")) }}</nav>
<main>{% block content %}{% endblock %}</main></body></html>"""

CLIENT_PAGE = """{% extends "host_base.html" %}{% block content %}
<h1 id="client-name">{{ client.full_name }}</h1>
<dl><dt>Phone</dt><dd id="client-phone">{{ client.phone }}</dd>
<dt>City</dt><dd id="client-city">{{ client.address.city if client.address else "" }}</dd></dl>
{% from "wsqb/_menu.html" import render_menu %}{{ render_menu(wsqb_menu("contact", contact_id=client.id)) }}
{% from "wsqb/_history.html" import contact_history %}{{ contact_history(client.id, heading=None) }}
{% endblock %}"""


def create_app(config: dict) -> Flask:
    from jinja2 import ChoiceLoader, DictLoader

    app = Flask(__name__)
    app.config.update(WSQB_BASE_TEMPLATE="host_base.html", **config)
    app.jinja_loader = ChoiceLoader([DictLoader({"host_base.html": PAGE}), app.jinja_loader])
    db.init_app(app)
    CSRFProtect(app)
    login.init_app(app)
    login.login_view = "login_page"
    wsqb.init_app(app)

    @app.get("/login")
    def login_page():
        user = USERS.get(request.args.get("as", ""))
        if user is None:
            return "Who are you?", 401
        login_user(user)
        return redirect(request.args.get("next") or "/")

    @app.get("/clients/<contact_id>")
    def client_page(contact_id: str):
        client = contacts.get(db.session, contact_id)
        if client is None:
            abort(404)
        return render_template_string(CLIENT_PAGE, client=client)

    with app.app_context():
        db.create_all()
    return app
