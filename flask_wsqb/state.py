"""The per-app state every layer reads: ``app.extensions["wsqb"]``.

A leaf module: it imports nothing of the package at run time, so any module may use it without
an import cycle (``extension.py``, which builds the state, is imported by nothing).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

from flask import Flask, current_app
from werkzeug.local import LocalProxy

if TYPE_CHECKING:
    from .contacts import ContactStore
    from .extension import WSQuickBooks
    from .models import Models
    from .quickbooks.crypto import TokenCipher


@dataclass
class WSQBState:
    """What one app needs at request and job time."""

    extension: WSQuickBooks
    cipher: TokenCipher

    @property
    def db(self) -> Any:
        """The host's Flask-SQLAlchemy instance."""
        return self.extension.db

    @property
    def models(self) -> Models:
        return self.extension.models

    @property
    def contacts(self) -> ContactStore:
        return self.extension.contacts


def current_app_object() -> Flask:
    """The app itself behind ``current_app`` (what signals are sent with, and what a thread
    started from a request keeps)."""
    return cast("LocalProxy[Flask]", current_app)._get_current_object()


def current_state() -> WSQBState:
    try:
        return current_app.extensions["wsqb"]
    except KeyError:
        raise RuntimeError(
            "flask-wsqb is not registered on this app: call WSQuickBooks(app, ...) or .init_app(app)."
        ) from None
