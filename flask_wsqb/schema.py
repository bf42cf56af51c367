"""Creating the ``wsqb_*`` tables, and bringing those of an earlier release up to date in place
(``flask wsqb init-db``).

``create_all`` creates missing tables but never changes one that exists, so a database made by an
earlier release would keep its old columns and keys (no ``tenant`` column, keys without it). Here
each existing table is compared with what the models declare — columns by name, unique
constraints and indexes by name and columns — and only what differs is changed: missing columns
are added with their server defaults (so existing rows land in the default tenant), unique
constraints and indexes the models no longer declare are dropped, and the declared ones that are
missing are made. PostgreSQL (and any database that can) does it with ALTER TABLE; SQLite, which
cannot drop or add a table constraint, rebuilds a table whose constraints change. Everything runs
in one transaction: a step the database refuses leaves the database as it was.

Never done: dropping a column the models do not declare (it may hold data), changing a column's
type or nullability. Hosts on Alembic get the same changes from autogenerate instead.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.schema import AddConstraint, CreateIndex, CreateTable, DropConstraint, DropIndex, ExecutableDDLElement

#: The extension's tables are the host metadata's tables named so.
PREFIX = "wsqb_"


class UpgradeError(Exception):
    """The database refused a step; the transaction was rolled back, nothing was changed."""


def wsqb_tables(metadata: sa.MetaData) -> list[sa.Table]:
    """The extension's tables in the host's metadata, each after the tables it refers to (so
    ``wsqb_sync_run`` is created before ``wsqb_sync_item``)."""
    return [table for table in metadata.sorted_tables if table.name.startswith(PREFIX)]


@dataclass(frozen=True)
class Key:
    """A unique constraint or an index as a name and its columns: what the models declare and
    what the database has are compared in these terms."""

    name: str | None
    columns: tuple[str, ...]
    unique: bool = False

    def matches(self, other: Key) -> bool:
        """Same columns, same uniqueness, and the same name unless one side has none (SQLite
        reflects an unnamed constraint without a name; PostgreSQL names it itself)."""
        named = self.name is None or other.name is None or self.name == other.name
        return named and self.columns == other.columns and self.unique == other.unique

    def described(self, kind: str) -> str:
        """``kind``, the name and the columns, as the command says them."""
        columns = f"({', '.join(self.columns)})"
        return f"{kind} {self.name} {columns}" if self.name else f"unnamed {kind} {columns}"


@dataclass
class Plan:
    """What one existing table needs to match the models."""

    table: sa.Table
    #: The database's columns, in its order.
    columns: list[str]
    #: Every index the database has on the table (a SQLite rebuild drops them all first).
    indexes: list[Key]
    add_columns: list[sa.Column] = field(default_factory=list)
    drop_uniques: list[Key] = field(default_factory=list)
    drop_indexes: list[Key] = field(default_factory=list)
    add_uniques: list[sa.UniqueConstraint] = field(default_factory=list)
    add_indexes: list[sa.Index] = field(default_factory=list)

    @property
    def changes_constraints(self) -> bool:
        return bool(self.drop_uniques or self.add_uniques)

    def describe(self) -> list[str]:
        """The changes in the words the command prints, in the order they are made."""
        return (
            ["dropped " + key.described("unique constraint") for key in self.drop_uniques]
            + ["dropped " + key.described("index") for key in self.drop_indexes]
            + [_column_added(column) for column in self.add_columns]
            + ["added " + _key(constraint).described("unique constraint") for constraint in self.add_uniques]
            + ["created " + _key(index).described("index") for index in self.add_indexes]
        )


@dataclass
class TableReport:
    """What was done to one table."""

    name: str
    created: bool = False
    actions: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return self.created or bool(self.actions)

    def __str__(self) -> str:
        if self.created:
            return f"{self.name}: created"
        if not self.actions:
            return f"{self.name}: up to date"
        return "\n  - ".join([f"{self.name}:", *self.actions])


def upgrade(engine: Engine, tables: list[sa.Table]) -> list[TableReport]:
    """Create the missing ``tables`` and bring the existing ones up to the models, in one
    transaction; what was done, table by table. A second run finds nothing to do."""
    with _transaction(engine) as conn:
        inspector = sa.inspect(conn)
        plans = [plan(inspector, table) if inspector.has_table(table.name, table.schema) else None for table in tables]
        return [_apply(conn, table, found) for table, found in zip(tables, plans, strict=True)]


def summary(reports: list[TableReport]) -> list[str]:
    """The command's output: a line per table, then the counts (or that nothing changed)."""
    created = sum(report.created for report in reports)
    upgraded = sum(report.changed and not report.created for report in reports)
    if not created and not upgraded:
        return [str(report) for report in reports] + [
            f"All {len(reports)} flask-wsqb tables are up to date: nothing changed."
        ]
    kept = len(reports) - created - upgraded
    return [str(report) for report in reports] + [
        f"flask-wsqb tables: {created} created, {upgraded} upgraded, {kept} already up to date."
    ]


def plan(inspector: sa.Inspector, table: sa.Table) -> Plan:
    """Compare ``table`` as the models declare it with the database's table of that name."""
    columns = [column["name"] for column in inspector.get_columns(table.name, table.schema)]
    uniques = [
        Key(u["name"], tuple(u["column_names"])) for u in inspector.get_unique_constraints(table.name, table.schema)
    ]
    indexes = [
        Key(i["name"], tuple(str(name) for name in i["column_names"]), bool(i["unique"]))
        for i in inspector.get_indexes(table.name, table.schema)
        if "duplicates_constraint" not in i  # PostgreSQL's index behind a unique constraint
    ]
    declared_uniques = sorted(
        (c for c in table.constraints if isinstance(c, sa.UniqueConstraint)), key=lambda c: str(c.name or "")
    )
    declared_indexes = sorted(table.indexes, key=lambda index: str(index.name or ""))
    return Plan(
        table,
        columns,
        indexes,
        add_columns=[column for column in table.columns if column.name not in columns],
        drop_uniques=[key for key in uniques if not any(key.matches(_key(c)) for c in declared_uniques)],
        drop_indexes=[key for key in indexes if not any(key.matches(_key(i)) for i in declared_indexes)],
        add_uniques=[c for c in declared_uniques if not any(key.matches(_key(c)) for key in uniques)],
        add_indexes=[i for i in declared_indexes if not any(key.matches(_key(i)) for key in indexes)],
    )


def _key(declared: sa.UniqueConstraint | sa.Index) -> Key:
    """A declared unique constraint or index as a :class:`Key`."""
    unique = bool(declared.unique) if isinstance(declared, sa.Index) else False
    name = None if declared.name is None else str(declared.name)
    return Key(name, tuple(column.name for column in declared.columns), unique)


def _column_added(column: sa.Column) -> str:
    default = column.server_default
    arg = getattr(default, "arg", None)
    return f"added column {column.name}" + (f" (existing rows: {arg!r})" if isinstance(arg, str) else "")


@contextmanager
def _transaction(engine: Engine) -> Iterator[Connection]:
    """One transaction for the whole upgrade (PostgreSQL changes tables transactionally)."""
    if engine.dialect.name == "sqlite":
        with _sqlite_transaction(engine) as conn:
            yield conn
        return
    with engine.begin() as conn:
        yield conn


@contextmanager
def _sqlite_transaction(engine: Engine) -> Iterator[Connection]:
    """A SQLite transaction fit for rebuilding tables. Foreign keys are off (a rebuilt parent's
    rows are briefly in a renamed table) and ``legacy_alter_table`` is on, so renaming a table
    does not rewrite the other tables' references to it (``wsqb_sync_item`` keeps referring to
    ``wsqb_sync_run``, the rebuilt one). Both pragmas must be set outside a transaction (inside,
    ``foreign_keys`` is ignored) and are put back afterwards. The driver does not begin a
    transaction before DDL, hence the explicit BEGIN; the foreign keys are checked before COMMIT."""
    with engine.connect() as conn:
        raw = conn.connection.driver_connection
        assert raw is not None
        before = {name: raw.execute(f"PRAGMA {name}").fetchone()[0] for name in ("foreign_keys", "legacy_alter_table")}
        raw.execute("PRAGMA foreign_keys=OFF")
        raw.execute("PRAGMA legacy_alter_table=ON")
        try:
            with conn.begin():
                if not raw.in_transaction:  # unless the host's engine begins one itself
                    raw.execute("BEGIN")
                broken = _broken_references(conn)
                yield conn
                _check_foreign_keys(conn, broken)
        finally:
            for name, value in before.items():
                raw.execute(f"PRAGMA {name}={int(value)}")


def _broken_references(conn: Connection) -> set[tuple]:
    """The rows of the extension's tables that refer to a missing row (table, rowid, parent):
    SQLite leaves foreign keys unchecked unless the host turns them on, so some may be there
    before the upgrade; only new ones are the upgrade's doing."""
    rows = conn.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
    return {tuple(row[:3]) for row in rows if str(row[0]).startswith(PREFIX)}


def _check_foreign_keys(conn: Connection, before: set[tuple]) -> None:
    """Refuse to commit rebuilt tables whose rows no longer find what they refer to."""
    tables = sorted({row[0] for row in _broken_references(conn) - before})
    if tables:
        raise UpgradeError(f"rows of {', '.join(tables)} would refer to rows that are not there; nothing was changed.")


def _apply(conn: Connection, table: sa.Table, found: Plan | None) -> TableReport:
    """Create a missing table, else make the changes its plan lists (by ALTER TABLE, or on
    SQLite by a rebuild when a constraint changes)."""
    report = TableReport(table.name)
    if found is None:
        _create(conn, table)
        report.created = True
    elif found.changes_constraints and conn.dialect.name == "sqlite":
        report.actions = _rebuild(conn, found)
    else:
        report.actions = _alter(conn, found)
    return report


def _create(conn: Connection, table: sa.Table) -> None:
    _step(conn, table, CreateTable(table), "create the table")
    for index in sorted(table.indexes, key=lambda index: str(index.name or "")):
        _step(conn, table, CreateIndex(index), "create " + _key(index).described("index"))


def _alter(conn: Connection, found: Plan) -> list[str]:
    """Change the table in place: drops first (a key may come back under its name with other
    columns), then the new columns, then the keys that need them."""
    table = found.table
    for key in found.drop_uniques:
        _step(conn, table, DropConstraint(_stand_in_unique(table, key)), "drop " + key.described("unique constraint"))
    for key in found.drop_indexes:
        _step(conn, table, DropIndex(_stand_in_index(table, key)), "drop " + key.described("index"))
    for column in found.add_columns:
        _step(conn, table, _add_column(conn, table, column), f"add column {column.name}")
    for constraint in found.add_uniques:
        key = _key(constraint)  # added through a stand-in: see _stand_in_unique
        _step(conn, table, AddConstraint(_stand_in_unique(table, key)), "add " + key.described("unique constraint"))
    for index in found.add_indexes:
        _step(conn, table, CreateIndex(index), "create " + _key(index).described("index"))
    return found.describe()


def _rebuild(conn: Connection, found: Plan) -> list[str]:
    """SQLite's way to change a table's constraints: rename the old table, create the new one as
    the models declare it, copy the rows (the columns both have; new columns take their server
    defaults), drop the old one. Its indexes go first: SQLite index names are global, and the
    new table's would collide with the renamed table's."""
    table = found.table
    lost = [name for name in found.columns if name not in table.columns]
    if lost:
        raise UpgradeError(
            f"{table.name} has columns the models do not declare ({', '.join(lost)}); rebuilding it to change "
            "its constraints would lose them. Nothing was changed."
        )
    quote = conn.dialect.identifier_preparer.quote
    old = quote(f"_old_{table.name}")
    for key in found.indexes:
        _step(conn, table, DropIndex(_stand_in_index(table, key)), "drop " + key.described("index"))
    _step(conn, table, f"ALTER TABLE {quote(table.name)} RENAME TO {old}", "rename the table")
    _create(conn, table)
    names = ", ".join(quote(name) for name in found.columns)
    copied = _step(conn, table, f"INSERT INTO {quote(table.name)} ({names}) SELECT {names} FROM {old}", "copy the rows")
    _step(conn, table, f"DROP TABLE {old}", "drop the old table")
    rows = "1 row" if copied == 1 else f"{copied} rows"
    return found.describe() + [f"rebuilt the table (SQLite cannot alter a constraint): {rows} copied"]


def _add_column(conn: Connection, table: sa.Table, column: sa.Column) -> str:
    """ALTER TABLE ... ADD COLUMN with the column as CREATE TABLE would write it (type, server
    default, NOT NULL): the default fills the existing rows."""
    spec = sa.schema.CreateColumn(column).compile(dialect=conn.dialect)
    return f"ALTER TABLE {conn.dialect.identifier_preparer.format_table(table)} ADD COLUMN {spec}"


def _stand_in(table: sa.Table, key: Key) -> sa.Table:
    """A table of ``table``'s name holding just ``key``'s columns: what DropConstraint and
    DropIndex need to name a key the models no longer declare."""
    return sa.Table(
        table.name, sa.MetaData(), *(sa.Column(name, sa.Integer) for name in key.columns), schema=table.schema
    )


def _stand_in_unique(table: sa.Table, key: Key) -> sa.UniqueConstraint:
    """``key`` as a unique constraint of a stand-in table, to drop or to add. Never AddConstraint
    on the model's own constraint: SQLAlchemy marks the constraint it adds so that no later CREATE
    TABLE of its table includes it (a rebuild, or ``create_all`` on another database)."""
    constraint = sa.UniqueConstraint(*key.columns, name=key.name)
    _stand_in(table, key).append_constraint(constraint)
    return constraint


def _stand_in_index(table: sa.Table, key: Key) -> sa.Index:
    stand_in = _stand_in(table, key)
    return sa.Index(key.name, *(stand_in.c[name] for name in key.columns), unique=key.unique)


def _step(conn: Connection, table: sa.Table, statement: ExecutableDDLElement | str, what: str) -> int:
    """Run one statement of the upgrade; the rows it touched. A refusal names the table and the
    step, and rolls the whole upgrade back."""
    try:
        if isinstance(statement, str):
            return conn.exec_driver_sql(statement).rowcount
        return conn.execute(statement).rowcount
    except sa.exc.SQLAlchemyError as exc:
        reason = getattr(exc, "orig", None) or exc
        raise UpgradeError(
            f"{table.name}: could not {what}: {reason}. The upgrade was rolled back: nothing was changed."
        ) from exc
