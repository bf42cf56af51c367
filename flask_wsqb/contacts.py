"""The host's contacts, as the extension sees them.

The host owns its contact model; the extension never adds columns to it. A
:class:`ContactStore` is told once which attribute holds each field, and reads and writes
plain dicts of the synced fields (see :mod:`flask_wsqb.fields`). Subclass it for anything unusual (a computed
display name, an address in another table) by overriding :meth:`read` and :meth:`write`.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime, timezone
from typing import Any

import sqlalchemy as sa

from .fields import CONTACT_FIELDS, FieldSet


class ContactStore:
    """Describe the host's contact model: ``ContactStore(Contact, email="email_address", ...)``.

    Each field keyword (``display_name``, ``first_name``, ``last_name``, ``company``, ``email``,
    ``phone``, ``street``, ``city``, ``state``, ``postal_code``, ``country``, and any field the
    host adds to ``fields``) names the model attribute that holds that field — by default the
    attribute of the same name — or ``None`` when the model has no such attribute.
    ``modified_at`` must hold a datetime that changes on every edit; ``hidden`` a boolean.
    ``fields`` is the registry of synced fields (:data:`flask_wsqb.fields.CONTACT_FIELDS`,
    or that ``.plus(Field(...))`` for a field of the host's own).
    """

    def __init__(
        self,
        model: type,
        *,
        id: str = "id",
        modified_at: str = "updated_at",
        hidden: str | None = "hidden",
        fields: FieldSet = CONTACT_FIELDS,
        **attributes: str | None,
    ) -> None:
        unknown = sorted(set(attributes) - set(fields.names))
        if unknown:
            raise TypeError(
                f"ContactStore: no synced field named {', '.join(unknown)}; the fields are "
                f"{', '.join(fields.names)} (add one with fields=CONTACT_FIELDS.plus(Field(...)))."
            )
        self.model = model
        self.fields = fields
        self.id_attr = id
        self.modified_attr = modified_at
        self.hidden_attr = hidden
        #: field name -> model attribute name (or None)
        self.attrs: dict[str, str | None] = {name: attributes.get(name, name) for name in fields.names}
        missing = [
            a for a in (id, modified_at, hidden, *self.attrs.values()) if a is not None and not hasattr(model, a)
        ]
        if missing:
            raise ValueError(
                f"ContactStore: {model.__name__} has no attribute(s) {', '.join(missing)}; "
                "pass the right attribute names, or None for fields the model lacks."
            )

    # -- reading ---------------------------------------------------------------------

    def column(self, name: str):
        """The model attribute (for queries) holding a canonical field, ``"id"``,
        ``"modified_at"`` or ``"hidden"``; ``None`` when the model has none."""
        special = {"id": self.id_attr, "modified_at": self.modified_attr, "hidden": self.hidden_attr}
        attr = special[name] if name in special else self.attrs[name]
        return getattr(self.model, attr) if attr else None

    def contact_id(self, contact: Any) -> str:
        return str(getattr(contact, self.id_attr))

    def read(self, contact: Any) -> dict[str, str]:
        """The contact's canonical fields; empty strings for what it lacks."""
        return {f: _text(getattr(contact, a)) if a else "" for f, a in self.attrs.items()}

    def is_hidden(self, contact: Any) -> bool:
        return bool(getattr(contact, self.hidden_attr)) if self.hidden_attr else False

    def modified_at(self, contact: Any) -> datetime | None:
        value = getattr(contact, self.modified_attr)
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=timezone.utc)  # SQLite drops the zone; we store UTC
        return value

    def get(self, session: Any, contact_id: str | None) -> Any | None:
        found = self.get_many(session, [contact_id])
        return found[0] if found else None

    def get_many(self, session: Any, contact_ids: Sequence[str | None]) -> list[Any]:
        """The contacts with these ids; ids that are not one (see :meth:`parse_id`) match nothing."""
        ids = [key for key in map(self.parse_id, contact_ids) if key is not None]
        if not ids:
            return []
        return list(session.execute(sa.select(self.model).where(self.column("id").in_(ids))).scalars())

    def parse_id(self, text: str | None) -> Any | None:
        """``text`` (from a URL or a form) as a value of the id column, or None when it is not an
        id written the way :meth:`contact_id` writes one: "001", " 1" and "1_0" are not 1, and
        a number beyond the column's range is no id, so one contact never has two spellings."""
        if text is None:
            return None
        column = self.column("id")
        try:
            python_type = column.type.python_type
        except (AttributeError, NotImplementedError):
            python_type = str
        if python_type is int:
            limit = _int_limit(column.type)
            if not (text.isascii() and text.lstrip("-").isdigit()) or str(int(text)) != text or abs(int(text)) > limit:
                return None
            return int(text)
        try:
            value = python_type(text)
        except (TypeError, ValueError):
            return None
        return value if str(value) == text else None

    def select(self) -> sa.Select:
        return sa.select(self.model).order_by(self.column("display_name"), self.column("id"))

    def iter_all(self, session, batch: int = 1000) -> Iterator[Any]:
        yield from session.execute(self.select().execution_options(yield_per=batch)).scalars()

    # -- writing ---------------------------------------------------------------------

    def write(self, contact: Any, fields: dict[str, str]) -> None:
        """Set the given canonical fields; fields the model lacks are ignored."""
        for field, value in fields.items():
            attr = self.attrs.get(field)
            if attr:
                setattr(contact, attr, value or None)

    def set_hidden(self, contact: Any, hidden: bool) -> None:
        if self.hidden_attr:
            setattr(contact, self.hidden_attr, hidden)

    def create(self, session, fields: dict[str, str], *, hidden: bool = False) -> Any:
        """A new contact added to ``session`` (flushed so it has an id, not committed)."""
        contact = self.model()
        self.write(contact, fields)
        self.set_hidden(contact, hidden)
        session.add(contact)
        session.flush()
        return contact


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def _int_limit(column_type) -> int:
    """The largest value an integer column holds (PostgreSQL's sizes; SQLite's are wider)."""
    if isinstance(column_type, sa.SmallInteger):
        return 2**15 - 1
    if isinstance(column_type, sa.BigInteger):
        return 2**63 - 1
    return 2**31 - 1
