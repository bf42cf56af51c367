"""The application factory: configuration, the database, CSRF, the firms, the pages and flask-wsqb."""

from __future__ import annotations

import contextlib
import os
import secrets
import tempfile
from collections.abc import Mapping
from typing import Any

from flask import Flask
from flask_wtf import CSRFProtect

from example_app import demo
from example_app.firms import FIRMS, current_firm, firm_switcher
from example_app.models import Contact, db
from example_app.quickbooks_page import quickbooks_page
from example_app.views import contacts, home
from flask_wsqb import ContactStore, WSQuickBooks, schema

csrf = CSRFProtect()

wsqb = WSQuickBooks(
    db=db,
    contacts=ContactStore(
        Contact,
        display_name="display_name",
        first_name="first_name",
        last_name="last_name",
        company="company",
        email="email",
        phone="phone",
        street="street",
        city="city",
        state="state",
        postal_code="postal_code",
        country="country",
        modified_at="updated_at",
        hidden="hidden",
        tenant="firm",
    ),
    contact_endpoint="contacts.show",
)


@wsqb.access_check
def allow_everyone(action: str) -> bool:
    """This demo has no logins, so everyone may use the QuickBooks tools."""
    return True


@wsqb.tenant_loader
def firm_of_this_request() -> str:
    """Each firm has its own QuickBooks connection, runs, links and history: the session's firm's."""
    return current_firm()


# Settings a deployment may give through the environment instead of the config mapping.
ENV_SETTINGS = (
    "SECRET_KEY",
    "WSQB_CLIENT_ID",
    "WSQB_CLIENT_SECRET",
    "WSQB_ENVIRONMENT",
    "WSQB_REDIRECT_URI",
    "WSQB_API_URL",
    "WSQB_REDIS_URL",
    "WSQB_QUEUE",
    "WSQB_WEBHOOK_VERIFIER_TOKEN",
    "WSQB_CATCHUP_INTERVAL",
    "WSQB_PUSH_DELAY",
)


def create_app(config: Mapping[str, Any] | None = None, *, instance_path: str | None = None) -> Flask:
    """Build the app. ``config`` overrides the defaults and the environment; ``instance_path``
    (absolute) replaces the instance folder, where the database, the secret key and the
    emulator's state are kept by default."""
    app = Flask(__name__, instance_path=instance_path, instance_relative_config=True)
    os.makedirs(app.instance_path, exist_ok=True)
    app.config.update(
        SQLALCHEMY_DATABASE_URI=os.environ.get(
            "DATABASE_URL", "sqlite:///" + os.path.join(app.instance_path, "example.db")
        ),
        WSQB_BASE_TEMPLATE="base.html",
        EXAMPLE_EMULATOR=True,
        EXAMPLE_EMULATOR_STATE=os.path.join(app.instance_path, "qbo-emulator.json"),
        EXAMPLE_SEED=True,
    )
    app.config.update({key: os.environ[key] for key in ENV_SETTINGS if os.environ.get(key)})
    app.config.update(config or {})
    if not app.config["SECRET_KEY"]:
        app.config["SECRET_KEY"] = instance_secret_key(app.instance_path)

    db.init_app(app)
    csrf.init_app(app)
    if app.config["EXAMPLE_EMULATOR"] and not app.config.get("WSQB_CLIENT_ID"):
        demo.use_emulator(app)
    wsqb.init_app(app)

    app.add_url_rule("/", "home", home)
    app.register_blueprint(contacts)
    app.register_blueprint(firm_switcher)
    if "example_emulator" in app.extensions:
        app.register_blueprint(quickbooks_page)
    app.jinja_env.globals.update(firms=FIRMS, current_firm=current_firm)  # the header's switcher

    with app.app_context():
        db.create_all()
        # A database of an earlier release gets what this one added, as `flask wsqb init-db` does.
        schema.upgrade(db.engine, schema.wsqb_tables(db.metadata))
        if app.config["EXAMPLE_SEED"]:
            demo.seed_contacts()
    return app


def instance_secret_key(instance_path: str) -> str:
    """The key kept in the instance folder, made on first start: random, so no two installs
    share one, and kept, so sessions and the QuickBooks tokens encrypted with it survive restarts."""
    path = os.path.join(instance_path, "secret_key")
    if not os.path.exists(path):
        _create_once(path, secrets.token_hex(32))
    with open(path, encoding="utf-8") as kept:
        return kept.read().strip()


def _create_once(path: str, text: str) -> None:
    # Written in full under another name (mkstemp: mode 0600), then linked: a process starting
    # at the same moment (a worker) never reads a half-written key nor replaces the one made first.
    handle, temporary = tempfile.mkstemp(dir=os.path.dirname(path))
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text)
        with contextlib.suppress(FileExistsError):
            os.link(temporary, path)
    finally:
        os.unlink(temporary)
