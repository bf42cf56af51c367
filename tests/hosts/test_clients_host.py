"""The whole feature set against a second host unlike the example app (tests/hosts/clients.py):
UUID keys, a name the database computes, the address in a related table, a NOT NULL phone the
host normalises, an email it validates, naive times, Flask-Login — through HTTP, on SQLite and
PostgreSQL."""

from __future__ import annotations

import uuid

import pytest
import sqlalchemy as sa

from flask_wsqb import ContactStore
from flask_wsqb.contacts import Computed
from tests.helpers import (
    EXPORT,
    IMPORT,
    connect_quickbooks,
    contact_action,
    host_config,
    items_by_key,
    linked_pairs,
    post_form,
    refresh_list,
    run_id_of,
    submit,
    wait_for_run,
)
from tests.hosts import clients
from tests.hosts.clients import Address, Client, db

MATCH = "/setup/quickbooks/contacts/match"
HISTORY = "/setup/quickbooks/history"


@pytest.fixture
def app(db_url, qbo):
    app = clients.create_app(host_config(db_url, qbo))
    yield app
    with app.app_context():
        db.drop_all()
        db.engine.dispose()


@pytest.fixture
def web(app, qbo):
    """A browser session of an admin, connected to QuickBooks."""
    client = app.test_client()
    assert client.get("/login?as=ada").status_code == 302
    connect_quickbooks(client, qbo)
    return client


def add_client(app, address: dict | None = None, **fields) -> str:
    with app.app_context():
        client = Client(**fields)
        if address:
            client.address = Address(**address)
        db.session.add(client)
        db.session.commit()
        return str(client.id)


def client_row(app, client_id: str) -> Client:
    with app.app_context():
        row = db.session.get(Client, uuid.UUID(client_id), options=[sa.orm.joinedload(Client.address)])
        db.session.expunge_all()
        return row


def act(web, client_id: str, action: str) -> str:
    return contact_action(web, f"/clients/{client_id}", client_id, action)


def test_anonymous_users_go_to_the_login_page_and_non_admins_are_refused(app):
    browser = app.test_client()
    anonymous = browser.get(EXPORT)
    assert anonymous.status_code == 302 and anonymous.headers["Location"].startswith("/login?next=")
    browser.get("/login?as=bob")
    assert browser.get(EXPORT).status_code == 403
    browser.get("/login?as=ada")
    assert browser.get(EXPORT).status_code == 200


def test_import_links_the_same_named_client_and_creates_the_others_with_their_address(app, web, qbo):
    katherine = add_client(app, first="Katherine", last="Johnson", phone="555-0100")
    same = qbo.add_customer(
        {
            "GivenName": "Katherine",
            "FamilyName": "Johnson",
            "DisplayName": "Katherine Johnson",
            "PrimaryEmailAddr": {"Address": "kj@example.com"},
        }
    )
    birch = qbo.add_customer(
        {
            "DisplayName": "Birch Landscaping LLC",
            "CompanyName": "Birch Landscaping LLC",
            "PrimaryPhone": {"FreeFormNumber": "(503) 555.0142"},
            "BillAddr": {
                "Line1": "12 Oak St",
                "City": "Portland",
                "CountrySubDivisionCode": "OR",
                "PostalCode": "97201",
                "Country": "USA",
            },
        }
    )
    refresh_list(web)
    report = submit(web, IMPORT, [same["Id"], birch["Id"]])
    items = items_by_key(report)
    assert "existing contact with the same name" in items[same["Id"]]["message"]
    assert items[birch["Id"]]["message"] == "Imported as a new contact."
    with app.app_context():
        rows = db.session.execute(sa.select(Client)).scalars().all()
        assert sorted(r.full_name for r in rows) == [
            "Birch Landscaping LLC",
            "Katherine Johnson",
        ]  # no second Katherine
        made = next(r for r in rows if r.business_name)
        assert (made.phone, made.address.street, made.address.region) == ("503555-0142", "12 Oak St", "OR")
        assert next(r for r in rows if r.first).email == "kj@example.com"  # an empty field filled
        pairs = linked_pairs(app)
    assert (katherine, same["Id"]) in pairs and (str(made.id), birch["Id"]) in pairs


def test_export_grid_sorts_and_searches_the_computed_name_and_export_sends_the_related_address(app, web, qbo):
    add_client(app, first="Zoe", last="Adams")
    harbor = add_client(
        app,
        business_name="Harbor Dental",
        first="Ann",
        last="Zimmer",
        phone="555 0100",
        address={"street": "1 Quay", "city": "Astoria", "region": "OR", "postcode": "97103"},
    )
    add_client(app, first="Aaron", last="Young")
    page = web.get(EXPORT).get_data(as_text=True)
    shown = [page.index(name) for name in ("Aaron Young", "Harbor Dental", "Zoe Adams")]
    assert shown == sorted(shown)  # sorted by the name the database computes
    found = web.get(EXPORT + "?q=harbor").get_data(as_text=True)
    assert f'data-id="{harbor}"' in found and "Zoe Adams" not in found
    assert f'href="/clients/{harbor}"' in found  # names open the host's contact page
    report = submit(web, EXPORT, [harbor])
    assert report["ok"] == 1, report
    [customer] = qbo.customers()
    assert (customer["DisplayName"], customer["CompanyName"], customer["GivenName"]) == (
        "Harbor Dental",
        "Harbor Dental",
        "Ann",
    )
    assert customer["BillAddr"]["City"] == "Astoria" and customer["PrimaryPhone"]["FreeFormNumber"] == "555-0100"


def test_pull_and_sync_keep_the_hosts_normalisation_and_refused_values(app, web, qbo):
    cid = add_client(
        app, first="Grace", last="Hopper", phone="555-0100", email="grace@navy.example", address={"city": "Arlington"}
    )
    act(web, cid, "sync")  # created in QuickBooks, linked
    client_page = web.get(f"/clients/{cid}").get_data(as_text=True)
    assert (
        'id="wsqb-contact-history"' in client_page and "<h2>QuickBooks history</h2>" not in client_page
    )  # heading=None
    [customer] = qbo.customers()
    qbo.edit_customer(customer["Id"], {"PrimaryPhone": {"FreeFormNumber": "555.0199"}})
    assert "phone" in act(web, cid, "pull")
    assert client_row(app, cid).phone == "555-0199"  # as the host stores it
    qbo.reset_log()
    synced = act(web, cid, "sync")
    assert "Nothing needed changing" in synced  # its own normalisation is not pushed back
    assert [path for method, path, _ in qbo.request_log if method == "POST" and "/customer" in path] == []
    assert qbo.customer(customer["Id"])["PrimaryPhone"]["FreeFormNumber"] == "555.0199"

    qbo.edit_customer(customer["Id"], {"PrimaryPhone": {"FreeFormNumber": ""}})
    act(web, cid, "pull")
    assert client_row(app, cid).phone == ""  # cleared into a NOT NULL column

    qbo.edit_customer(customer["Id"], {"PrimaryEmailAddr": {"Address": "grace-at-navy"}, "CompanyName": "Navy"})
    refused = act(web, cid, "pull")
    assert "Nothing was changed: The app refused the email &#39;grace-at-navy&#39;" in refused
    kept = client_row(app, cid)
    assert (kept.email, kept.business_name, kept.address.city) == ("grace@navy.example", None, "Arlington")


def test_auto_match_and_history_show_the_computed_names(app, web, qbo):
    cid = add_client(app, business_name="Holber Design Corp", email="hi@holber.example")
    customer = qbo.add_customer(
        {"DisplayName": "Holber Design Corp.", "PrimaryEmailAddr": {"Address": "hi@holber.example"}}
    )
    report = wait_for_run(web, run_id_of(post_form(web, MATCH, MATCH + "/auto")))
    assert report["state"] == "done"
    match_page = web.get(MATCH).get_data(as_text=True)
    assert f'data-contact-id="{cid}" data-customer-id="{customer["Id"]}" data-state="proposed"' in match_page
    post_form(web, MATCH, MATCH + "/accept-above", {"score": "90"})
    assert linked_pairs(app) == {(cid, customer["Id"])}
    qbo.edit_customer(customer["Id"], {"PrimaryPhone": {"FreeFormNumber": "555-0123"}})
    act(web, cid, "sync")
    history = web.get(HISTORY).get_data(as_text=True)
    assert "Holber Design Corp</a>" in history and 'data-field="phone"' in history
    assert "Holber Design Corp" in web.get(MATCH).get_data(as_text=True)  # the link history names it too


def test_uuid_ids_are_read_as_the_store_writes_them(app, web, qbo):
    cid = add_client(app, first="Uma", last="Uuid")
    for spelling in (cid.upper(), cid.replace("-", ""), "{" + cid + "}", "not-a-uuid"):
        assert post_form(web, f"/clients/{cid}", f"/setup/quickbooks/contacts/{spelling}/sync").status_code == 404
    assert "Created in QuickBooks" in act(web, cid, "sync")
    assert linked_pairs(app) == {(cid, qbo.customers()[0]["Id"])}


def test_a_name_computed_only_in_python_is_refused_at_start_up():
    with pytest.raises(ValueError, match="display_name is Computed in Python, but the Export and Match grids sort"):
        ContactStore(
            Client,
            display_name=Computed(lambda client: client.full_name),
            first_name="first",
            last_name="last",
            company="business_name",
            street="address.street",
            city=None,
            state=None,
            postal_code=None,
            country=None,
            modified_at="changed",
            hidden="archived",
        )
