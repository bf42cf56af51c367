"""The host the upgrade tests run: a single-firm app as every app built on the released version
was (no tenant loader, so everything it stores and reads is the default tenant's), with the
example app's contact model. Its own, so the tests do not change with the example app."""

from __future__ import annotations

from datetime import datetime, timezone

import sqlalchemy as sa
from flask import Flask
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy.orm import Mapped, mapped_column

from flask_wsqb import ContactStore, WSQuickBooks

db = SQLAlchemy()


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class Contact(db.Model):
    __tablename__ = "contact"

    id: Mapped[int] = mapped_column(primary_key=True)
    display_name: Mapped[str] = mapped_column(sa.String(200))
    first_name: Mapped[str | None] = mapped_column(sa.String(100))
    last_name: Mapped[str | None] = mapped_column(sa.String(100))
    company: Mapped[str | None] = mapped_column(sa.String(200))
    email: Mapped[str | None] = mapped_column(sa.String(200))
    phone: Mapped[str | None] = mapped_column(sa.String(40))
    hidden: Mapped[bool] = mapped_column(default=False)
    updated_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow, onupdate=utcnow)


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
        street=None,
        city=None,
        state=None,
        postal_code=None,
        country=None,
        modified_at="updated_at",
        hidden="hidden",
    ),
)


@wsqb.access_check
def allow_everyone(action: str) -> bool:
    return True


def create_app(config: dict) -> Flask:
    """The host on ``config``'s database; it creates no table (the tests say which schema)."""
    app = Flask(__name__)
    app.config.update(config)
    db.init_app(app)
    CSRFProtect(app)
    wsqb.init_app(app)
    return app


def add_contacts(app: Flask, *contacts: dict) -> list[str]:
    """Create host contacts; their ids as the extension writes them."""
    with app.app_context():
        rows = [Contact(**fields) for fields in contacts]
        db.session.add_all(rows)
        db.session.commit()
        return [str(row.id) for row in rows]
