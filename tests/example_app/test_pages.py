"""The example host's own pages, through the test client, with CSRF on as in production."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from flask.testing import FlaskClient

from example_app import create_app
from example_app.models import Contact, db

CONFIG = {
    "TESTING": True,
    "SECRET_KEY": "test-secret",  # else a key would be made in the repository's instance folder
    "SQLALCHEMY_DATABASE_URI": "sqlite://",
    "EXAMPLE_EMULATOR": False,
    "WSQB_CLIENT_ID": "x",
    "WSQB_CLIENT_SECRET": "y",
    "WSQB_ENVIRONMENT": "http://127.0.0.1:9/discovery",
    "WTF_CSRF_ENABLED": True,
}
NEW_CONTACT = {
    "display_name": "Harbor Light Bakery LLC",
    "first_name": "Ada",
    "last_name": "Quinlan",
    "company": "Harbor Light Bakery LLC",
    "email": "ada@harborlight.example",
    "phone": "(503) 555-0177",
    "street": "12 Wharf St",
    "city": "Portland",
    "state": "OR",
    "postal_code": "97201",
    "country": "USA",
    "notes": "Sales tax filed monthly.",
}


@pytest.fixture
def app() -> Flask:
    return create_app(CONFIG)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


def csrf_token(client: FlaskClient, url: str) -> str:
    page = client.get(url)
    assert page.status_code == 200
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page.text) or re.search(
        r'name="csrf_token" value="([^"]+)"', page.text
    )
    assert match, "the form carries no CSRF token"
    return match.group(1)


def add_contact(app: Flask, **fields: object) -> int:
    with app.app_context():
        contact = Contact(**fields)
        db.session.add(contact)
        db.session.commit()
        return contact.id


def test_demo_contacts_are_seeded_and_listed(app: Flask, client: FlaskClient) -> None:
    with app.app_context():
        acme = db.session.query(Contact).filter_by(firm="acme")  # a new session's firm: the first
        total = acme.count()
        hidden = acme.filter_by(hidden=True).count()
        first = acme.filter_by(hidden=False).order_by(Contact.display_name).first()
        assert db.session.query(Contact).filter_by(firm="birch").count() >= 100  # the other firm has its own
    assert total >= 100 and 0 < hidden < total / 10

    page = client.get("/contacts/")

    assert page.status_code == 200
    assert f"{total - hidden} contacts" in page.text
    assert first is not None and first.display_name.replace("&", "&amp;") in page.text


def test_seeding_can_be_turned_off() -> None:
    app = create_app({**CONFIG, "EXAMPLE_SEED": False})
    with app.app_context():
        assert db.session.query(Contact).count() == 0
    assert "No contacts found." in app.test_client().get("/contacts/").text


def test_search_matches_name_company_and_email(app: Flask, client: FlaskClient) -> None:
    add_contact(app, display_name="Zebulon Quartermaine", first_name="Zebulon", last_name="Quartermaine")
    add_contact(app, display_name="Ferncliff Quarry Co.", company="Ferncliff Quarry Co.")
    add_contact(app, display_name="Odd Email", email="books@xylophonique.example")

    by_name = client.get("/contacts/", query_string={"q": "quartermaine"}).text
    by_company = client.get("/contacts/", query_string={"q": "ferncliff quarry"}).text
    by_email = client.get("/contacts/", query_string={"q": "XYLOPHONIQUE"}).text

    assert "Zebulon Quartermaine" in by_name and "1 contact matching" in by_name
    assert "Ferncliff Quarry Co." in by_company and "Zebulon" not in by_company
    assert "Odd Email" in by_email and "1 contact matching" in by_email


def test_search_treats_wildcards_literally(app: Flask, client: FlaskClient) -> None:
    add_contact(app, display_name="100% Organic Farms")

    page = client.get("/contacts/", query_string={"q": "100%"}).text

    assert "1 contact matching" in page and "100% Organic Farms" in page


def test_hidden_contacts_only_with_show_hidden(app: Flask, client: FlaskClient) -> None:
    add_contact(app, display_name="Wexley Retired Client", hidden=True)

    default = client.get("/contacts/", query_string={"q": "Wexley"}).text
    with_hidden = client.get("/contacts/", query_string={"q": "Wexley", "show_hidden": "1"}).text

    assert "Wexley Retired Client" not in default
    assert "Wexley Retired Client" in with_hidden and "Hidden" in with_hidden


def test_create_contact_through_the_form(app: Flask, client: FlaskClient) -> None:
    token = csrf_token(client, "/contacts/new")

    response = client.post("/contacts/new", data={**NEW_CONTACT, "csrf_token": token}, follow_redirects=True)

    assert response.status_code == 200
    assert "Contact “Harbor Light Bakery LLC” created." in response.text
    with app.app_context():
        contact = db.session.query(Contact).filter_by(display_name="Harbor Light Bakery LLC").one()
        assert {name: getattr(contact, name) for name in NEW_CONTACT} == NEW_CONTACT
        assert contact.hidden is False and contact.updated_at is not None
    assert response.request.path == f"/contacts/{contact.id}"


def test_post_without_csrf_token_is_refused(app: Flask, client: FlaskClient) -> None:
    response = client.post("/contacts/new", data=NEW_CONTACT)

    assert response.status_code == 400
    with app.app_context():
        assert db.session.query(Contact).filter_by(display_name=NEW_CONTACT["display_name"]).count() == 0


def test_display_name_is_required(app: Flask, client: FlaskClient) -> None:
    token = csrf_token(client, "/contacts/new")

    response = client.post("/contacts/new", data={**NEW_CONTACT, "display_name": "  ", "csrf_token": token})

    assert response.status_code == 200
    assert "Please correct the fields marked below." in response.text
    with app.app_context():
        assert db.session.query(Contact).filter_by(first_name="Ada", last_name="Quinlan").count() == 0


def test_edit_contact_through_the_form(app: Flask, client: FlaskClient) -> None:
    contact_id = add_contact(
        app,
        display_name="Marta Ilves",
        first_name="Marta",
        last_name="Ilves",
        email="marta@old.example",
        phone="(208) 555-0101",
    )
    with app.app_context():
        before = db.session.get(Contact, contact_id).updated_at
    edit_url = f"/contacts/{contact_id}/edit"
    form = client.get(edit_url).text
    assert 'value="marta@old.example"' in form
    token = csrf_token(client, edit_url)

    response = client.post(
        edit_url,
        data={
            "display_name": "Marta Ilves-Kask",
            "first_name": "Marta",
            "last_name": "Ilves-Kask",
            "email": "marta@new.example",
            "phone": "",
            "hidden": "y",
            "csrf_token": token,
        },
        follow_redirects=True,
    )

    assert response.status_code == 200
    assert "Contact “Marta Ilves-Kask” saved." in response.text
    with app.app_context():
        contact = db.session.get(Contact, contact_id)
        assert (contact.display_name, contact.last_name, contact.email) == (
            "Marta Ilves-Kask",
            "Ilves-Kask",
            "marta@new.example",
        )
        assert contact.phone is None and contact.hidden is True
        assert contact.updated_at > before


def test_contact_page_shows_every_field(app: Flask, client: FlaskClient) -> None:
    contact_id = add_contact(app, **NEW_CONTACT)

    page = client.get(f"/contacts/{contact_id}")

    assert page.status_code == 200
    for value in NEW_CONTACT.values():
        assert value in page.text
    assert f'href="/contacts/{contact_id}/edit"' in page.text


def test_unknown_contact_is_404(client: FlaskClient) -> None:
    assert client.get("/contacts/987654").status_code == 404


def test_names_are_html_escaped(app: Flask, client: FlaskClient) -> None:
    contact_id = add_contact(app, display_name="<script>alert(1)</script>", company="Fish & <b>Chips</b>")

    for url in (f"/contacts/{contact_id}", "/contacts/?q=script", f"/contacts/{contact_id}/edit", "/"):
        text = client.get(url).text
        assert "<script>alert(1)</script>" not in text, url
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text, url
    assert "Fish &amp; &lt;b&gt;Chips&lt;/b&gt;" in client.get(f"/contacts/{contact_id}").text


def test_flashed_messages_render_with_their_category(app: Flask, client: FlaskClient) -> None:
    with client.session_transaction() as session:
        session["_flashes"] = [("warning", "QuickBooks is slow today"), ("message", "plain note")]

    page = client.get("/").text

    assert re.search(r'class="flash flash-warning"\s+role="alert">QuickBooks is slow today<', page)
    assert re.search(r'class="flash flash-info"\s+role="status">plain note<', page)
