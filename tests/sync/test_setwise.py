"""A chunk's bookkeeping is written set-wise, and that keeps every guarantee: through HTTP, on
SQLite and PostgreSQL. A write the database refuses fails only its row (the chunk is done again
row by row, and what QuickBooks was sent is sent again with the same requestid: nothing twice);
a row failing halfway leaves nothing half-written; statements do not grow with the rows."""

from __future__ import annotations

import json
import threading
from datetime import datetime

import sqlalchemy as sa

from example_app.models import Contact, db
from tests.helpers import EXPORT, IMPORT, add_contacts, items_by_key, linked_pairs, refresh_list, submit

REFUSED = "The app's database refused this row"


def refuse(app, table: str, column: str, value: str) -> None:
    """Make the host's database refuse a new ``table`` row whose ``column`` is ``value``."""
    with app.app_context():
        if db.engine.dialect.name == "sqlite":
            db.session.execute(
                sa.text(
                    f"CREATE TRIGGER refuse BEFORE INSERT ON {table} WHEN NEW.{column} = '{value}' "
                    f"BEGIN SELECT RAISE(ABORT, 'refused {value}'); END"
                )
            )
        else:
            db.session.execute(
                sa.text(
                    "CREATE FUNCTION refuse() RETURNS trigger AS $$ BEGIN "
                    f"IF NEW.{column} = '{value}' THEN RAISE EXCEPTION 'refused {value}'; END IF; "
                    "RETURN NEW; END $$ LANGUAGE plpgsql"
                )
            )
            db.session.execute(
                sa.text(f"CREATE TRIGGER refuse BEFORE INSERT ON {table} FOR EACH ROW EXECUTE FUNCTION refuse()")
            )
        db.session.commit()


def allow(app, table: str) -> None:
    with app.app_context():
        on = "" if db.engine.dialect.name == "sqlite" else f" ON {table}"
        db.session.execute(sa.text(f"DROP TRIGGER refuse{on}"))
        db.session.commit()


def test_a_refused_link_fails_its_row_only_and_nothing_is_created_twice(linked_app, client, qbo):
    ids = add_contacts(linked_app, *({"display_name": f"Client {i:02}"} for i in range(40)))
    refuse(linked_app, "wsqb_contact_link", "contact_id", ids[5])

    report = submit(client, EXPORT, ids)

    items = items_by_key(report)
    assert report["ok"] == 39 and report["errors"] == 1, report["summary"]
    assert items[ids[5]]["message"].startswith(REFUSED) and f"refused {ids[5]}" in items[ids[5]]["message"]
    assert all(items[i]["message"] == "Created in QuickBooks." for i in ids if i != ids[5])
    # its chunk was sent twice (set-wise, then row by row): QuickBooks created each customer once
    names = sorted(c["DisplayName"] for c in qbo.customers())
    assert names == [f"Client {i:02}" for i in range(40)]
    assert len(linked_pairs(linked_app)) == 39

    # once the database takes it, the row links to the customer it created: still one each
    allow(linked_app, "wsqb_contact_link")
    again = submit(client, EXPORT, [ids[5]])
    assert again["ok"] == 1, again
    assert "Linked to the existing QuickBooks customer 'Client 05'" in items_by_key(again)[ids[5]]["message"]
    assert len(qbo.customers()) == 40 and len(linked_pairs(linked_app)) == 40


def test_a_refused_new_contact_fails_its_row_only(linked_app, client, qbo):
    for i in range(12):
        qbo.add_customer({"DisplayName": f"Customer {i:02}", "PrimaryEmailAddr": {"Address": f"c{i}@example.com"}})
    refresh_list(client)
    refuse(linked_app, "contact", "display_name", "Customer 07")
    customers = {c["DisplayName"]: str(c["Id"]) for c in qbo.customers()}

    report = submit(client, IMPORT, list(customers.values()))

    items = items_by_key(report)
    assert report["ok"] == 11 and report["errors"] == 1, report["summary"]
    assert items[customers["Customer 07"]]["message"].startswith(REFUSED)
    with linked_app.app_context():
        names = set(db.session.execute(sa.select(Contact.display_name)).scalars())
    assert names == set(customers) - {"Customer 07"}
    assert len(linked_pairs(linked_app)) == 11


def test_a_row_refused_halfway_changes_nothing_of_its_contact(linked_app, client, qbo):
    """The host's model refuses the phone after the email was written: the row fails, the
    contact keeps its email, and the chunk's other rows are updated."""
    for i in range(3):
        qbo.add_customer({"DisplayName": f"Customer {i}", "PrimaryEmailAddr": {"Address": f"old{i}@example.com"}})
    refresh_list(client)
    ids = {c["DisplayName"]: str(c["Id"]) for c in qbo.customers()}
    assert submit(client, IMPORT, list(ids.values()))["ok"] == 3
    for i in range(3):
        qbo.edit_customer(
            ids[f"Customer {i}"],
            {"PrimaryEmailAddr": {"Address": f"new{i}@example.com"}, "PrimaryPhone": {"FreeFormNumber": f"555-010{i}"}},
        )
    refresh_list(client)

    def refuse_phone(_target, value, _old, _initiator):
        if value == "555-0101":
            raise ValueError("not a phone number this app takes")
        return value

    sa.event.listen(Contact.phone, "set", refuse_phone, retval=True)
    try:
        report = submit(client, IMPORT, list(ids.values()))
    finally:
        sa.event.remove(Contact.phone, "set", refuse_phone)

    items = items_by_key(report)
    assert report["ok"] == 2 and report["errors"] == 1, report["summary"]
    assert "not a phone number this app takes" in items[ids["Customer 1"]]["message"]
    with linked_app.app_context():
        emails = dict(db.session.execute(sa.select(Contact.display_name, Contact.email)).all())
    assert emails == {
        "Customer 0": "new0@example.com",
        "Customer 1": "old1@example.com",
        "Customer 2": "new2@example.com",
    }


def test_statements_do_not_grow_with_the_rows(linked_app, client, qbo):
    """An import of 400 customers (two chunks of 200) takes far fewer SQL statements than rows."""
    for i in range(400):
        qbo.add_customer({"DisplayName": f"Customer {i:03}", "PrimaryEmailAddr": {"Address": f"c{i}@example.com"}})
    refresh_list(client)
    ids = [str(c["Id"]) for c in qbo.customers()]
    statements = []
    with linked_app.app_context():
        engine = db.engine

    def count(*_args):
        if threading.current_thread() is not threading.main_thread():  # the run's, not the polls'
            statements.append(1)

    sa.event.listen(engine, "before_cursor_execute", count)
    try:
        report = submit(client, IMPORT + "?show_hidden=1", ids)
    finally:
        sa.event.remove(engine, "before_cursor_execute", count)
    assert report["ok"] == 400, report["summary"]
    # row by row it was about 9 a row; SQLite's driver still inserts the new contacts one by one
    # (SQLAlchemy cannot match the ids SQLite returns for many rows at once to their objects)
    per_new_contact = 1 if engine.dialect.name == "sqlite" else 0
    assert len(statements) < 400 * (per_new_contact + 1 / 4), len(statements)


def test_rows_written_set_wise_are_the_rows_written_one_by_one(linked_app, client, qbo):
    """The set-wise writes (a COPY on PostgreSQL) store what the writes of a chunk done row by
    row store: every column, the defaults, the times and the JSON alike."""
    together = add_contacts(
        linked_app, *({"display_name": f"Kiwi {i}", "email": f"kiwi{i}@example.com"} for i in range(4))
    )
    alone = add_contacts(
        linked_app, *({"display_name": f"Lime {i}", "email": f"lime{i}@example.com"} for i in range(5))
    )
    refuse(linked_app, "wsqb_contact_link", "contact_id", alone[4])  # its chunk is done row by row

    assert batches_sent(qbo, lambda: submit(client, EXPORT, together)) == 1  # set-wise, at once
    assert batches_sent(qbo, lambda: submit(client, EXPORT, alone)) == 2  # again, row by row

    assert written(linked_app, together, "Kiwi") == written(linked_app, alone[:4], "Lime")


def batches_sent(qbo, export) -> int:
    qbo.reset_log()
    assert export()["ok"] == 4
    return sum(1 for _method, path, _status in qbo.request_log if path.endswith("/batch"))


def written(app, contact_ids: list[str], word: str) -> dict[str, list]:
    """What the extension's tables hold for these contacts, table by table, with what differs
    between two sets of contacts anyway (ids, names, run, times) made alike."""
    with app.app_context():
        state = app.extensions["wsqb"]
        models = state.models
        customer_ids = [
            link.customer_id
            for link in state.db.session.execute(
                sa.select(models.ContactLink).where(models.ContactLink.contact_id.in_(contact_ids))
            ).scalars()
        ]
        tables = {
            "links": sa.select(models.ContactLink).where(models.ContactLink.contact_id.in_(contact_ids)),
            "events": sa.select(models.LinkEvent).where(models.LinkEvent.contact_id.in_(contact_ids)),
            "changes": sa.select(models.Change).where(models.Change.contact_id.in_(contact_ids)),
            "customers": sa.select(models.Customer).where(models.Customer.customer_id.in_(customer_ids)),
        }
        return {
            name: sorted(repr(alike(row, word)) for row in state.db.session.execute(query).scalars())
            for name, query in tables.items()
        }


def alike(row, word: str) -> dict:
    values = {}
    for column in sa.inspect(row).mapper.columns:
        value = getattr(row, column.key)
        if column.key in ("id", "contact_id", "customer_id", "run_id"):
            continue
        if isinstance(value, datetime):
            value = ("a time", value.tzinfo is None)
        elif column.key == "data":  # the customer as QuickBooks answered
            value = without_ids(value)
        values[column.key] = json.dumps(value, sort_keys=True).replace(word, "X").replace(word.lower(), "x")
    return values


def without_ids(customer: dict) -> dict:
    """The customer without its ids (its own, its address's) and times."""
    return {
        key: without_ids(item) if isinstance(item, dict) else item
        for key, item in customer.items()
        if key not in ("Id", "MetaData")
    }
