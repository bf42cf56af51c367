"""The demo's QuickBooks page: the current firm's customers in the built-in emulator, edited from
the browser, so that Pull has something to bring over. Only there while the emulator is in use."""

from __future__ import annotations

import pytest

from example_app import create_app, demo
from example_app.models import Contact, db
from tests.helpers import add_contact, connect_quickbooks, csrf_token, post_form

DEMO = "/demo/quickbooks/"


@pytest.fixture
def built_in(tmp_path):
    """The example app as `python -m example_app` runs it (its own emulator), files in tmp_path."""
    demo.forget_emulator()
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "test-secret",
            "EXAMPLE_SEED": False,
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'example.db'}",
            "EXAMPLE_EMULATOR_STATE": str(tmp_path / "qbo-emulator.json"),
        },
        instance_path=str(tmp_path),
    )
    yield app
    with app.app_context():
        db.engine.dispose()
    demo.forget_emulator()


def test_edit_a_customer_then_pull_it_into_the_contact(built_in):
    client = built_in.test_client()
    home = client.get("/").get_data(as_text=True)
    assert f'href="{DEMO}"' in home
    assert "not connected to QuickBooks yet" in client.get(DEMO).get_data(as_text=True)

    qbo = built_in.extensions["example_emulator"]
    connect_quickbooks(client, qbo)
    customer = qbo.add_customer({"DisplayName": "Cedar Bakery", "PrimaryPhone": {"FreeFormNumber": "(503) 555-0100"}})
    contact_id = add_contact(built_in, display_name="Cedar Bakery", phone="(503) 555-0100")
    listed = client.get(DEMO + "?q=cedar").get_data(as_text=True)
    assert "Acme Bookkeeping LLC" in listed and f'href="{DEMO}customers/{customer["Id"]}"' in listed

    page = f"{DEMO}customers/{customer['Id']}"
    form = {"display_name": "Cedar Bakery", "email": "orders@cedar.example", "phone": "(503) 555-0188"}
    form |= {"street": "12 Wharf St", "city": "Portland", "state": "OR", "postal_code": "97201"}
    saved = post_form(client, page, page, form, follow_redirects=True)
    assert "Saved “Cedar Bakery” in QuickBooks." in saved.get_data(as_text=True)
    stored = qbo.customer(customer["Id"])
    assert stored["PrimaryPhone"]["FreeFormNumber"] == "(503) 555-0188"
    assert stored["PrimaryEmailAddr"]["Address"] == "orders@cedar.example"
    assert stored["BillAddr"]["City"] == "Portland" and stored["SyncToken"] != customer["SyncToken"]

    contact = f"/contacts/{contact_id}"
    pulled = post_form(client, contact, f"/setup/quickbooks/contacts/{contact_id}/pull", follow_redirects=True)
    assert "Pulled from QuickBooks" in pulled.get_data(as_text=True)
    with built_in.app_context():
        row = db.session.get(Contact, int(contact_id))
        assert (row.phone, row.email, row.city) == ("(503) 555-0188", "orders@cedar.example", "Portland")


def test_edits_are_csrf_checked_and_refusals_explained(built_in):
    client = built_in.test_client()
    qbo = built_in.extensions["example_emulator"]
    connect_quickbooks(client, qbo)
    customer = qbo.add_customer({"DisplayName": "Cedar Bakery"})
    qbo.add_customer({"DisplayName": "Harbor Dental"})
    page = f"{DEMO}customers/{customer['Id']}"

    assert client.post(page, data={"display_name": "Forged"}).status_code == 400
    taken = post_form(client, page, page, {"display_name": "Harbor Dental"})
    assert taken.status_code == 200 and "QuickBooks refused the change" in taken.get_data(as_text=True)
    assert qbo.customer(customer["Id"])["DisplayName"] == "Cedar Bakery"
    assert client.get(f"{DEMO}customers/999999").status_code == 404
    assert csrf_token(client, page)


def test_absent_without_the_built_in_emulator(client):
    assert client.get(DEMO).status_code == 404
    assert "/demo/quickbooks" not in client.get("/").get_data(as_text=True)
