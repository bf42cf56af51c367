"""Import from QuickBooks, through HTTP, against the emulator, on SQLite and PostgreSQL."""

from __future__ import annotations

import re

import sqlalchemy as sa

from example_app.models import Contact, db
from tests.helpers import IMPORT, items_by_key, refresh_list, submit


def contacts(app) -> list[Contact]:
    with app.app_context():
        return list(db.session.execute(sa.select(Contact).order_by(Contact.id)).scalars())


def grid_ids(html: str) -> list[str]:
    return re.findall(r'<tr class="wsqb-row[^"]*"\s+data-id="([^"]+)"', html)


def test_filters_show_syncd_and_show_hidden(linked_app, client, qbo):
    active = qbo.add_customer({"DisplayName": "Summit Dental"})
    inactive = qbo.add_customer({"DisplayName": "Old Bakery", "Active": False})
    refresh_list(client)
    assert grid_ids(client.get(IMPORT).get_data(as_text=True)) == [active["Id"]]
    assert set(grid_ids(client.get(IMPORT + "?show_hidden=1").get_data(as_text=True))) == {active["Id"], inactive["Id"]}

    submit(client, IMPORT, [active["Id"]])
    assert grid_ids(client.get(IMPORT).get_data(as_text=True)) == []  # imported: no longer shown
    assert grid_ids(client.get(IMPORT + "?show_synced=1").get_data(as_text=True)) == [active["Id"]]
    page = client.get(IMPORT + "?show_synced=1&show_hidden=1").get_data(as_text=True)
    assert set(grid_ids(page)) == {active["Id"], inactive["Id"]}
    assert "QuickBooks list as of" in page and "never" not in page.split("QuickBooks list as of")[1][:80]


def test_import_creates_contacts_inactive_become_hidden(linked_app, client, qbo):
    person = qbo.add_customer(
        {
            "DisplayName": "Maria Garcia",
            "GivenName": "Maria",
            "FamilyName": "Garcia",
            "PrimaryEmailAddr": {"Address": "maria@example.com"},
            "PrimaryPhone": {"FreeFormNumber": "(503) 555-0142"},
            "BillAddr": {
                "Line1": "12 Oak St",
                "City": "Portland",
                "CountrySubDivisionCode": "OR",
                "PostalCode": "97201",
            },
        }
    )
    gone = qbo.add_customer({"DisplayName": "Closed Shop LLC", "Active": False})
    refresh_list(client)
    report = submit(client, IMPORT + "?show_hidden=1", [person["Id"], gone["Id"]], IMPORT + "?show_hidden=1")
    assert report["state"] == "done" and report["ok"] == 2 and report["errors"] == 0
    made = {c.display_name: c for c in contacts(linked_app)}
    assert made["Maria Garcia"].email == "maria@example.com"
    assert made["Maria Garcia"].city == "Portland" and made["Maria Garcia"].hidden is False
    assert made["Closed Shop LLC"].hidden is True


def test_same_name_links_fills_empty_fields_and_never_duplicates(linked_app, client, qbo):
    with linked_app.app_context():
        db.session.add(Contact(display_name="  riverbend   plumbing ", phone="555-0001"))
        db.session.commit()
    customer = qbo.add_customer(
        {
            "DisplayName": "Riverbend Plumbing",
            "PrimaryPhone": {"FreeFormNumber": "555-9999"},
            "PrimaryEmailAddr": {"Address": "office@riverbend.example"},
        }
    )
    refresh_list(client)
    report = submit(client, IMPORT, [customer["Id"]])
    item = items_by_key(report)[customer["Id"]]
    assert item["status"] == "ok" and "existing contact with the same name" in item["message"]
    assert "email" in item["message"]
    [contact] = contacts(linked_app)
    assert contact.phone == "555-0001"  # kept: only empty fields are filled
    assert contact.email == "office@riverbend.example"

    # importing again (Show Sync'd) updates the linked contact instead of creating one
    qbo.edit_customer(customer["Id"], {"PrimaryEmailAddr": {"Address": "new@riverbend.example"}})
    report = submit(client, IMPORT + "?show_synced=1", [customer["Id"]], IMPORT + "?show_synced=1")
    assert "Updated the linked contact" in items_by_key(report)[customer["Id"]]["message"]
    [contact] = contacts(linked_app)
    assert contact.email == "new@riverbend.example"


def test_failed_row_does_not_stop_the_others(linked_app, client, qbo):
    # The host's column holds 200 characters; QuickBooks allows 500.
    long = qbo.add_customer({"DisplayName": "L" * 300})
    fine = qbo.add_customer({"DisplayName": "Fine Client"})
    refresh_list(client)
    report = submit(client, IMPORT, [long["Id"], fine["Id"]])
    items = items_by_key(report)
    assert items[fine["Id"]]["status"] == "ok"
    if linked_app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        assert items[long["Id"]]["status"] == "error"
        assert "database refused" in items[long["Id"]]["message"]
    page = client.get(IMPORT + f"?run={report['id']}&show_synced=1").get_data(as_text=True)
    assert f'data-id="{fine["Id"]}" data-status="ok"' in page


def test_customer_merged_away_after_listing_fails_its_row(linked_app, client, qbo):
    keep = qbo.add_customer({"DisplayName": "Stays"})
    twin = qbo.add_customer({"DisplayName": "Stays Too"})
    refresh_list(client)
    page = client.get(IMPORT).get_data(as_text=True)
    assert twin["Id"] in grid_ids(page)  # the user sees it listed...
    qbo.merge_customer(twin["Id"], keep["Id"])  # ...then someone merges it away in QuickBooks
    report = submit(client, IMPORT, [keep["Id"], twin["Id"]])
    items = items_by_key(report)
    assert items[twin["Id"]]["status"] == "error"
    assert "deleted (merged) in QuickBooks" in items[twin["Id"]]["message"]
    assert items[keep["Id"]]["status"] == "ok"
    assert [c.display_name for c in contacts(linked_app)] == ["Stays"]
    page = client.get(IMPORT + f"?run={report['id']}").get_data(as_text=True)
    assert f'data-id="{twin["Id"]}" data-status="error"' in page  # its red row can still be read
