from __future__ import annotations

import pytest

from tests.conftest import connect_quickbooks, post_form, run_id_of, wait_for_run

IMPORT = "/setup/quickbooks/contacts/import"
EXPORT = "/setup/quickbooks/contacts/export"


def submit(client, page: str, selected: list[str], action: str | None = None) -> dict:
    """Tick ``selected`` on the form and press its submit button; wait for the run."""
    answer = post_form(client, page, action or page.split("?")[0], {"selected": selected})
    return wait_for_run(client, run_id_of(answer))


def refresh_list(client) -> dict:
    return submit(client, IMPORT, [], IMPORT + "/refresh")


@pytest.fixture
def linked_app(app, client, qbo):
    """Connected to the emulator, customers list loaded."""
    connect_quickbooks(client, qbo)
    return app


def add_contacts(app, *contacts: dict) -> list[str]:
    """Create host contacts as the host app would; their ids, in order."""
    from example_app.models import Contact, db

    with app.app_context():
        rows = [Contact(**fields) for fields in contacts]
        db.session.add_all(rows)
        db.session.commit()
        return [str(row.id) for row in rows]


def add_contact(app, **fields) -> str:
    return add_contacts(app, fields)[0]


def items_by_key(report: dict) -> dict:
    return {item["key"]: item for item in report["items"]}
