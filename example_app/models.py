"""The host's own data: the contacts (clients) each firm keeps."""

from __future__ import annotations

from datetime import datetime, timezone

from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import Boolean, DateTime, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from example_app.firms import DEFAULT_FIRM

db = SQLAlchemy()


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class Contact(db.Model):  # type: ignore[name-defined]
    __tablename__ = "contact"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # The key of the firm whose client this is (firms.FIRMS); made without one, the first firm's.
    firm: Mapped[str] = mapped_column(String(64), nullable=False, index=True, default=DEFAULT_FIRM)
    display_name: Mapped[str] = mapped_column(String(200), nullable=False, index=True)
    first_name: Mapped[str | None] = mapped_column(String(100))
    last_name: Mapped[str | None] = mapped_column(String(100))
    company: Mapped[str | None] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(200))
    phone: Mapped[str | None] = mapped_column(String(40))
    street: Mapped[str | None] = mapped_column(String(200))
    city: Mapped[str | None] = mapped_column(String(100))
    state: Mapped[str | None] = mapped_column(String(50))
    postal_code: Mapped[str | None] = mapped_column(String(20))
    country: Mapped[str | None] = mapped_column(String(100))
    notes: Mapped[str | None] = mapped_column(Text)
    hidden: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, default=utcnow, onupdate=utcnow
    )

    @property
    def person_name(self) -> str:
        return " ".join(part for part in (self.first_name, self.last_name) if part)

    @property
    def address_lines(self) -> list[str]:
        """The postal address as it would be printed on an envelope, blank parts left out."""
        region = " ".join(part for part in (self.state, self.postal_code) if part)
        locality = ", ".join(part for part in (self.city, region) if part)
        return [line for line in (self.street, locality, self.country) if line]

    def __repr__(self) -> str:
        return f"<Contact {self.id} {self.display_name!r}>"
