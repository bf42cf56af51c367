"""The ``WSQuickBooks`` extension object and its per-app state."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from flask import Flask, current_app
from sqlalchemy.exc import SQLAlchemyError

from . import config
from .contacts import ContactStore
from .models import build_models
from .quickbooks.crypto import TokenCipher
from .state import WSQBState

AccessCheck = Callable[[str], bool]


class WSQuickBooks:
    """QuickBooks Online contact tools for a Flask app.

    ``db`` is the host's Flask-SQLAlchemy instance (the extension's tables go into it);
    ``contacts`` describes the host's contact model; ``contact_endpoint`` is the host's
    endpoint showing one contact (called with ``contact_id=``), used to link rows to it.
    """

    def __init__(
        self,
        app: Flask | None = None,
        *,
        db,
        contacts: ContactStore,
        contact_endpoint: str | None = None,
    ) -> None:
        if not isinstance(contacts, ContactStore):
            raise TypeError("contacts must be a flask_wsqb.ContactStore describing your contact model.")
        self.db = db
        self.contacts = contacts
        self.contact_endpoint = contact_endpoint
        self.models = build_models(db)
        self._access_check: AccessCheck | None = None
        self._user_name: Callable[[], str | None] | None = None
        self._unauthorized: Callable[[], Any] | None = None
        self.tenant_loader_callback: Callable[[], str | None] | None = None
        if app is not None:
            self.init_app(app)

    def init_app(self, app: Flask) -> None:
        if "wsqb" in app.extensions:
            raise RuntimeError("flask-wsqb is already registered on this app; call WSQuickBooks.init_app(app) once.")
        if "sqlalchemy" not in app.extensions:
            raise RuntimeError("Call db.init_app(app) (Flask-SQLAlchemy) before registering flask-wsqb.")
        if "csrf" not in app.extensions:
            raise RuntimeError(
                "flask-wsqb's forms rely on the app's CSRF protection: call "
                "flask_wtf.CSRFProtect(app) before registering flask-wsqb."
            )
        config.apply_defaults(app)
        config.check(app)
        if missing := config.missing_credentials(app):
            app.logger.warning("flask-wsqb: %s", missing)  # the app still starts; its pages say so too
        cipher = TokenCipher(encryption_key=app.config["WSQB_ENCRYPTION_KEY"], secret_key=app.config.get("SECRET_KEY"))
        app.extensions["wsqb"] = WSQBState(extension=self, cipher=cipher)

        from .blueprints import create_blueprint, webhooks
        from .blueprints.menus import menu
        from .blueprints.page_helpers import assets, contact_url, linked_customer
        from .cli import wsqb_cli
        from .sync.history import for_contact
        from .tasks import rounds, watch

        app.register_blueprint(create_blueprint(), url_prefix=app.config["WSQB_URL_PREFIX"])
        app.extensions["csrf"].exempt(webhooks.receive)  # Intuit signs its deliveries instead
        watch.watch()
        app.before_request(_once(rounds.keep_running))
        app.jinja_env.globals["wsqb_menu"] = menu
        app.jinja_env.globals["wsqb_contact_history"] = for_contact
        app.jinja_env.globals["wsqb_allows"] = self.allows
        app.jinja_env.globals["wsqb_assets"] = assets
        app.jinja_env.globals["wsqb_contact_url"] = contact_url
        app.jinja_env.globals["wsqb_linked_customer"] = linked_customer
        app.cli.add_command(wsqb_cli)

    def access_check(self, callback: AccessCheck) -> AccessCheck:
        """Register who may use the QuickBooks tools: ``callback(action) -> bool``.

        ``action`` names the page or action (``"connection"``, ``"import"``, ...). Until a
        callback is registered every request is denied.
        """
        self._access_check = callback
        return callback

    def tenant_loader(self, callback: Callable[[], str | None]) -> Callable[[], str | None]:
        """Register how to tell, during a request, which firm (tenant) it is for: ``callback()``
        returns the tenant's key. Without one, the app is a single firm."""
        self.tenant_loader_callback = callback
        return callback

    def unauthorized_handler(self, callback: Callable[[], Any]) -> Callable[[], Any]:
        """Register what a denied user gets instead of the access-denied page: ``callback()``
        returns a response (say, a redirect to the host's login page), or None for the page.
        Without one, an anonymous user of a host with Flask-Login goes to its login view."""
        self._unauthorized = callback
        return callback

    def unauthorized(self) -> Any:
        """The host's answer to a denied request, or None (the extension's 403 page)."""
        if self._unauthorized is not None:
            return self._unauthorized()
        return _flask_login_unauthorized()

    def contact_changed(self, contact_id: object) -> None:
        """Tell automatic sync that a contact of the current firm changed, for a host writing
        contacts outside SQLAlchemy (the session's commits are seen without this)."""
        from .tasks import watch
        from .tenancy import current_tenant

        watch.changed({current_tenant(): {str(contact_id): False}})

    def user_name_loader(self, callback: Callable[[], str | None]) -> Callable[[], str | None]:
        """Register how to name the current user in the link and sync history."""
        self._user_name = callback
        return callback

    def current_user_name(self) -> str | None:
        return self._user_name() if self._user_name is not None else None

    @property
    def has_access_check(self) -> bool:
        return self._access_check is not None

    def allows(self, action: str) -> bool:
        """The host's answer for ``action``; no when no check is registered."""
        if self._access_check is None:
            return False
        return bool(self._access_check(action))


def _once(work: Callable[[], None]) -> Callable[[], None]:
    """A before-request hook doing ``work`` at this process's first request (which has the
    database the app is configured with; start-up may not)."""
    done = threading.Event()

    def hook() -> None:
        if done.is_set():
            return
        done.set()
        try:
            work()
        except SQLAlchemyError:  # tables not created yet: nothing can be on
            current_app.extensions["wsqb"].db.session.rollback()

    return hook


def _flask_login_unauthorized() -> Any:
    """Flask-Login's answer for an anonymous user (its login view), when the host uses it."""
    manager = getattr(current_app, "login_manager", None)
    if manager is None:
        return None
    from flask_login import current_user

    return None if current_user.is_authenticated else manager.unauthorized()
