"""The host's contacts, as the extension sees them.

The host owns its contact model; the extension never adds columns to it. A
:class:`ContactStore` is told once where each synced field lives (see :mod:`flask_wsqb.fields`),
and every path — reading and writing one contact, the grids' columns, search and sort, Import's
same-name check, Auto Match — uses that one definition. A field is given as:

- an attribute name: ``email="email_address"`` (a column, or a hybrid property by its name);
- a related attribute: ``street="address.street"`` (one relationship, then a column of the
  related model; the related row is created when a value is first written);
- a SQL expression or a hybrid property: ``display_name=Client.full_name`` or
  ``display_name=sa.case(...)`` — read-only, computed by the database;
- :class:`Computed`: a value only Python can compute — read-only, and refused at start-up for
  the fields the grids, search and same-name check need in SQL;
- ``None``: the model has no such field.

Subclass the store for anything else, overriding :meth:`ContactStore.read` and
:meth:`ContactStore.write` (and :meth:`ContactStore.sql` for what the grids query).
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

import sqlalchemy as sa
from sqlalchemy import orm
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.ext.hybrid import hybrid_property
from sqlalchemy.sql.functions import FunctionElement

from .fields import CONTACT_FIELDS, FieldSet, compose_display_name
from .tenancy import current_tenant

#: The fields the extension queries in SQL, and why (a Computed one cannot serve them).
_NEEDED_IN_SQL = {
    "display_name": "the Export and Match grids sort and search by it and Import finds same-named contacts by it",
    "first_name": "the Export grid searches it",
    "last_name": "the Export grid searches it",
    "company": "the Export and Match grids show and search it",
    "email": "the Export and Match grids show and search it",
    "phone": "the Export grid shows it",
}


@dataclass(frozen=True)
class Computed:
    """A field only Python can compute from a contact: ``display_name=Computed(Client.label)``."""

    value: Callable[[Any], Any]


class ContactWriteError(ValueError):
    """The host's model refused a value (a validator, a type): the contact is left as it was."""


class ContactStore:
    """Describe the host's contact model: ``ContactStore(Contact, email="email_address", ...)``.

    Each field keyword (``display_name``, ``first_name``, ``last_name``, ``company``, ``email``,
    ``phone``, ``street``, ``city``, ``state``, ``postal_code``, ``country``, and any field the
    host adds to ``fields``) says where that field lives (see the module's documentation) — by
    default the attribute of the same name — or ``None`` when the model has none. ``id`` names
    the primary key; ``modified_at`` an attribute holding a datetime that changes on every edit
    (naive values are read as UTC); ``hidden`` a boolean attribute (or ``None``). ``fields`` is
    the registry of synced fields (:data:`flask_wsqb.fields.CONTACT_FIELDS`, or that
    ``.plus(Field(...))`` for a field of the host's own). ``tenant`` names the attribute holding
    the contact's firm, in an app serving several (see ``@wsqb.tenant_loader``): every read, search
    and lookup keeps to the current firm's contacts, and imported contacts get it.
    """

    def __init__(
        self,
        model: type,
        *,
        id: str = "id",
        modified_at: str = "updated_at",
        hidden: str | None = "hidden",
        tenant: str | None = None,
        fields: FieldSet = CONTACT_FIELDS,
        **sources: Any,
    ) -> None:
        unknown = sorted(set(sources) - set(fields.names))
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
        self.tenant_attr = tenant
        #: field name -> where it lives (None: the model has no such field)
        self.sources: dict[str, _Source | None] = {
            name: _source(model, name, sources.get(name, name)) for name in fields.names
        }
        _check_attributes(model, [id, modified_at, hidden, tenant])
        _check_sql(self.sources)
        self._read_by_sql = {name: src for name, src in self.sources.items() if isinstance(src, _Expression)}
        #: values of SQL-only fields loaded with their contacts (dropped when the contact is written)
        self._loaded: weakref.WeakKeyDictionary[Any, dict[str, Any]] = weakref.WeakKeyDictionary()

    # -- SQL: what the grids, search, sort and same-name checks query -----------------------

    def sql(self, name: str) -> Any:
        """The SQL expression of a field, ``"id"``, ``"modified_at"`` or ``"hidden"`` (queries
        built on :meth:`query`); ``None`` when the model has none."""
        special = {"id": self.id_attr, "modified_at": self.modified_attr, "hidden": self.hidden_attr}
        if name in special:
            attr = special[name]
            return getattr(self.model, attr) if attr else None
        source = self.sources[name]
        return source.sql(self.model) if source is not None else None

    def key(self) -> Any:
        """The contact id in SQL, as text written as :meth:`contact_id` writes it (what links hold)."""
        return _IdText(self.sql("id"))

    def in_tenant(self) -> list[Any]:
        """The WHERE condition keeping to the current firm's contacts (none for a single-firm model)."""
        if self.tenant_attr is None:
            return []
        return [getattr(self.model, self.tenant_attr) == current_tenant()]

    def query(self, *columns: Any) -> sa.Select:
        """``SELECT columns FROM`` the current firm's contacts, joined to the related models fields
        live in."""
        from_clause: Any = self.model
        for relationship in {src.relationship for src in self.sources.values() if isinstance(src, _Attribute)}:
            if relationship is not None:
                related = _related_class(self.model, relationship)
                from_clause = orm.outerjoin(from_clause, related, getattr(self.model, relationship))
        return sa.select(*columns).select_from(from_clause).where(*self.in_tenant())

    # -- reading ---------------------------------------------------------------------------

    def contact_id(self, contact: Any) -> str:
        return str(getattr(contact, self.id_attr))

    def read(self, contact: Any, *, composed: bool = False) -> dict[str, str]:
        """Every synced field of the contact, as text ("" where it has none); ``composed``: an
        empty name made of the others, as QuickBooks would name the customer."""
        by_sql = self._sql_values(contact) if self._read_by_sql else {}
        values = {}
        for name, source in self.sources.items():
            value = by_sql.get(name) if name in self._read_by_sql else source.read(contact) if source else None
            values[name] = "" if value is None else str(value)
        if composed:
            values["display_name"] = compose_display_name(values)
        return values

    def values(self, contact: Any) -> dict[str, str]:
        """The contact's values as Sync compares them with its customer's (the name composed)."""
        return self.fields.values(self.read(contact, composed=True), active=not self.is_hidden(contact))

    def is_hidden(self, contact: Any) -> bool:
        return bool(getattr(contact, self.hidden_attr)) if self.hidden_attr else False

    def modified_at(self, contact: Any) -> datetime | None:
        value = getattr(contact, self.modified_attr)
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=timezone.utc)  # naive times are UTC (SQLite drops the zone)
        return value

    def get(self, session: Any, contact_id: str | None) -> Any | None:
        found = self.get_many(session, [contact_id])
        return found[0] if found else None

    def get_many(self, session: Any, contact_ids: Sequence[str | None]) -> list[Any]:
        """The contacts with these ids; ids that are not one (see :meth:`parse_id`) match nothing."""
        ids = [key for key in map(self.parse_id, contact_ids) if key is not None]
        if not ids:
            return []
        return list(self._load(session, self._loading().where(self.sql("id").in_(ids))))

    def iter_all(self, session: Any, batch: int = 1000) -> Iterator[Any]:
        """Every contact, ``batch`` rows in memory at a time."""
        order = [column for column in (self.sql("display_name"), self.sql("id")) if column is not None]
        query = self._loading().order_by(*order).execution_options(yield_per=batch)
        yield from self._load(session, query)

    def parse_id(self, text: str | None) -> Any | None:
        """``text`` (from a URL or a form) as a value of the id column, or None when it is not an
        id written the way :meth:`contact_id` writes one: "001", " 1" and "1_0" are not 1, and
        a number beyond the column's range is no id, so one contact never has two spellings."""
        if text is None:
            return None
        column = self.sql("id")
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
        except (TypeError, ValueError, AttributeError):
            return None
        return value if str(value) == text else None

    def _loading(self) -> sa.Select:
        labelled = [src.sql(self.model).label(f"wsqb_{name}") for name, src in self._read_by_sql.items()]
        return self.query(self.model, *labelled)

    def _load(self, session: Any, query: sa.Select) -> Iterator[Any]:
        for contact, *computed in session.execute(query):
            if computed:
                self._loaded[contact] = dict(zip(self._read_by_sql, computed, strict=True))
            yield contact

    def _sql_values(self, contact: Any) -> dict[str, Any]:
        """The SQL-only fields' values: as loaded, or read again (after a write) in one query."""
        if contact not in self._loaded:
            session = orm.object_session(contact)
            if session is None:
                return {}
            session.flush()
            row = session.execute(
                self.query(*(src.sql(self.model) for src in self._read_by_sql.values())).where(
                    self.sql("id") == getattr(contact, self.id_attr)
                )
            ).one()
            self._loaded[contact] = dict(zip(self._read_by_sql, row, strict=True))
        return self._loaded[contact]

    # -- writing -----------------------------------------------------------------------------

    def write(self, contact: Any, fields: dict[str, str]) -> None:
        """Set the given fields (only those: Sync writes just what changed). A field the model lacks
        or computes itself is left alone; "" is written as None where the column takes None. A value
        the model refuses raises :class:`ContactWriteError` saying which field."""
        for name, value in fields.items():
            source = self.sources.get(name)
            if source is not None and source.writable:
                try:
                    source.write(contact, value)
                except (ValueError, TypeError, AttributeError) as exc:
                    label = self.fields.label(name)
                    raise ContactWriteError(f"The app refused the {label} '{value}': {exc}") from exc
        self._loaded.pop(contact, None)

    def set_hidden(self, contact: Any, hidden: bool) -> None:
        if self.hidden_attr:
            setattr(contact, self.hidden_attr, hidden)

    def create(self, session: Any, fields: dict[str, str], *, hidden: bool = False, flush: bool = True) -> Any:
        """A new contact added to ``session``, not committed; flushed so it has an id unless
        ``flush`` is false (an import flushes a chunk's new contacts together)."""
        contact = self.model()
        if self.tenant_attr is not None:
            setattr(contact, self.tenant_attr, current_tenant())
        self.write(contact, fields)
        self.set_hidden(contact, hidden)
        session.add(contact)
        if flush:
            session.flush()
        return contact


# -- where a field lives ---------------------------------------------------------------------


class _Source:
    writable = False

    def sql(self, model: type) -> Any:
        return None

    def read(self, contact: Any) -> Any:
        raise NotImplementedError

    def write(self, contact: Any, value: str) -> None:
        raise NotImplementedError


@dataclass
class _Attribute(_Source):
    """An attribute of the model, or of the model related through ``relationship``."""

    name: str
    relationship: str | None
    writable: bool = True
    nullable: bool = True

    def sql(self, model: type) -> Any:
        owner = _related_class(model, self.relationship) if self.relationship else model
        return getattr(owner, self.name)

    def read(self, contact: Any) -> Any:
        owner = getattr(contact, self.relationship) if self.relationship else contact
        return getattr(owner, self.name) if owner is not None else None

    def write(self, contact: Any, value: str) -> None:
        owner = contact
        if self.relationship:
            owner = getattr(contact, self.relationship)
            if owner is None:
                if not value:
                    return  # nothing to keep: no related row made for an empty value
                owner = _related_class(type(contact), self.relationship)()
                setattr(contact, self.relationship, owner)
        setattr(owner, self.name, value if value or not self.nullable else None)


@dataclass
class _Expression(_Source):
    """A SQL expression (or a hybrid property given as one): the database computes it."""

    expression: Any

    def sql(self, model: type) -> Any:
        return self.expression


@dataclass
class _Python(_Source):
    computed: Computed

    def read(self, contact: Any) -> Any:
        return self.computed.value(contact)


def _source(model: type, name: str, given: Any) -> _Source | None:
    if given is None:
        return None
    if isinstance(given, Computed):
        return _Python(given)
    if not isinstance(given, str):
        return _Expression(given)
    relationship, _, attr = given.rpartition(".")
    owner = _related_class(model, relationship) if relationship else model
    if not hasattr(owner, attr):
        raise ValueError(
            f"ContactStore: {owner.__name__} has no attribute {attr!r} (for {name}); pass the right attribute "
            "name, a related one as 'relationship.attribute', an expression, or None for a field the model lacks."
        )
    descriptor: Any = sa.inspect(owner).all_orm_descriptors.get(attr)
    writable = not (isinstance(descriptor, hybrid_property) and descriptor.fset is None)
    return _Attribute(attr, relationship or None, writable, _nullable(owner, attr))


def _related_class(model: type, relationship: str) -> type:
    try:
        return sa.inspect(model).relationships[relationship].mapper.class_
    except KeyError:
        raise ValueError(f"ContactStore: {model.__name__} has no relationship {relationship!r}.") from None


def _nullable(owner: type, attr: str) -> bool:
    """Whether the attribute's column takes NULL (an empty value is then written as None)."""
    prop: Any = sa.inspect(owner).attrs.get(attr)
    columns = getattr(prop, "columns", None)
    return bool(columns[0].nullable) if columns else True


def _check_attributes(model: type, names: list[str | None]) -> None:
    missing = [name for name in names if name is not None and not hasattr(model, name)]
    if missing:
        raise ValueError(
            f"ContactStore: {model.__name__} has no attribute(s) {', '.join(missing)}; "
            "pass the right attribute names, or None for fields the model lacks."
        )


def _check_sql(sources: dict[str, _Source | None]) -> None:
    """Say at start-up, not on a page, when a field the database must query is Python-only."""
    if sources.get("display_name") is None:
        raise ValueError(
            "ContactStore: display_name is required: name the attribute holding the contact's name, or give "
            "the expression computing it (e.g. display_name=Client.full_name, a hybrid property)."
        )
    for name, why in _NEEDED_IN_SQL.items():
        if isinstance(sources.get(name), _Python):
            raise ValueError(
                f"ContactStore: {name} is Computed in Python, but {why}, in the database: give it as a "
                "SQL expression or a hybrid property (e.g. display_name=Client.full_name) instead."
            )


class _IdText(FunctionElement):
    """An id column as text, as ``str()`` writes its Python value (what links and URLs hold)."""

    type = sa.String()
    inherit_cache = True


@compiles(_IdText)
def _id_text(element: _IdText, compiler: Any, **kw: Any) -> str:
    return f"CAST({compiler.process(element.clauses, **kw)} AS VARCHAR)"


@compiles(_IdText, "sqlite")
def _id_text_sqlite(element: _IdText, compiler: Any, **kw: Any) -> str:
    column = compiler.process(element.clauses, **kw)
    [clause] = element.clauses
    if not isinstance(getattr(clause, "type", None), sa.Uuid):
        return f"CAST({column} AS VARCHAR)"
    # SQLite keeps a UUID as 32 hex digits; str(uuid) has dashes.
    parts = [f"substr({column}, {start}, {length})" for start, length in ((1, 8), (9, 4), (13, 4), (17, 4), (21, 12))]
    return "lower(" + " || '-' || ".join(parts) + ")"


def _int_limit(column_type: Any) -> int:
    """The largest value an integer column holds (PostgreSQL's sizes; SQLite's are wider)."""
    if isinstance(column_type, sa.SmallInteger):
        return 2**15 - 1
    if isinstance(column_type, sa.BigInteger):
        return 2**63 - 1
    return 2**31 - 1
