"""The contact page says which QuickBooks customer the contact is linked to, with a link to it."""

from __future__ import annotations

import re

from tests.helpers import IMPORT, add_contact, connect_quickbooks, submit


def _said(client, contact_id: str) -> str:
    page = client.get(f"/contacts/{contact_id}").get_data(as_text=True)
    found = re.search(r'<p class="wsqb wsqb-linked-customer"[^>]*>(.*?)</p>', page, flags=re.S)
    assert found, "the contact page shows no QuickBooks customer line"
    return " ".join(found.group(1).split())


def test_linked_and_not_linked(app, client, qbo):
    customer = qbo.add_customer({"DisplayName": "Rowan & <Co>"})
    connect_quickbooks(client, qbo)
    alone = add_contact(app, display_name="Nobody Linked")
    assert submit(client, IMPORT, [customer["Id"]])["ok"] == 1
    assert _said(client, alone) == "Not linked to a QuickBooks customer."
    from example_app.models import Contact, db

    with app.app_context():
        imported = str(db.session.query(Contact.id).filter_by(display_name="Rowan & <Co>").scalar())
    said = _said(client, imported)
    assert said == "QuickBooks customer: Rowan &amp; &lt;Co&gt;"  # escaped; an emulator has no page to link


def test_quickbooks_online_pages_by_environment(app):
    from flask_wsqb.blueprints.page_helpers import customer_url

    with app.app_context():
        for environment, site in (("sandbox", "app.sandbox.qbo.intuit.com"), ("production", "app.qbo.intuit.com")):
            app.config["WSQB_ENVIRONMENT"] = environment
            assert customer_url("9341", "58") == f"https://{site}/app/customerdetail?nameId=58"


def test_a_host_page_for_customers_is_used_when_configured(app, client, qbo):
    app.config["WSQB_CUSTOMER_URL"] = "/demo/quickbooks/customers/{customer_id}"
    customer = qbo.add_customer({"DisplayName": "Birch Ledger"})
    connect_quickbooks(client, qbo)
    assert submit(client, IMPORT, [customer["Id"]])["ok"] == 1
    from example_app.models import Contact, db

    with app.app_context():
        imported = str(db.session.query(Contact.id).filter_by(display_name="Birch Ledger").scalar())
    assert f'href="/demo/quickbooks/customers/{customer["Id"]}"' in _said(client, imported)
