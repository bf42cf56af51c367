"""The example host's two firms: the header's switcher, each firm's own contacts on the host's and
the extension's pages, and each firm's own QuickBooks company, connected through the real OAuth
flow against the emulator — on SQLite and PostgreSQL."""

from __future__ import annotations

import re

import pytest

from example_app import demo
from example_app.firms import DEFAULT_FIRM, FIRMS
from example_app.models import Contact, db
from tests.helpers import (
    CONNECTION,
    EXPORT,
    add_contacts,
    connect_quickbooks,
    items_by_key,
    linked_pairs,
    post_form,
    submit,
)

BIRCH_COMPANY = "Birch CPA PLLC"


def switch_firm(client, firm: str, page: str = "/", **form: str):
    """Choose ``firm`` with the header's switcher on ``page``, as a user does; the answer."""
    return post_form(client, page, "/firm", {"firm": firm, "next": page, **form})


def chosen_firm(client) -> str:
    """The firm the header's switcher shows as the current one."""
    html = client.get("/").get_data(as_text=True)
    match = re.search(r'<option value="(\w+)" selected>', html)
    assert match, "the switcher shows no firm"
    return match.group(1)


def names_listed(client, url: str) -> set[str]:
    """The contact names a host page links to a contact page."""
    html = client.get(url).get_data(as_text=True)
    return set(re.findall(r'<a href="/contacts/\d+">([^<]+)</a>', html))


def export_grid_names(client) -> set[str]:
    return set(re.findall(r'aria-label="Select ([^"]*)"', client.get(EXPORT).get_data(as_text=True)))


@pytest.fixture
def two_firms(app) -> dict[str, str]:
    """A client of each firm (and one more of Acme's); their ids by name."""
    contacts = (
        {"display_name": "Alder Dental", "email": "desk@alder.example"},
        {"display_name": "Aspen Roofing", "firm": "acme"},
        {"display_name": "Birchwood Bakery", "email": "hello@birchwood.example", "firm": "birch"},
    )
    return dict(zip((c["display_name"] for c in contacts), add_contacts(app, *contacts), strict=True))


def test_the_demo_has_data_for_every_firm_and_only_them() -> None:
    assert list(demo.DEMO_FIRMS) == list(FIRMS) and DEFAULT_FIRM == next(iter(FIRMS))


def test_a_new_session_works_for_the_first_firm(client) -> None:
    assert chosen_firm(client) == "acme"
    html = client.get("/").get_data(as_text=True)
    assert '<option value="birch">Birch CPA</option>' in html  # the other firm, to switch to


def test_the_switcher_changes_the_firm_and_goes_back(client) -> None:
    answer = switch_firm(client, "birch", "/contacts/")
    assert answer.status_code == 302 and answer.headers["Location"] == "/contacts/"
    assert "You are working for Birch CPA." in client.get("/contacts/").get_data(as_text=True)
    assert chosen_firm(client) == "birch"
    assert switch_firm(client, "acme", CONNECTION).headers["Location"] == CONNECTION
    assert chosen_firm(client) == "acme"


def test_switching_without_the_csrf_token_is_refused(client) -> None:
    assert client.post("/firm", data={"firm": "birch", "next": "/"}).status_code == 400
    assert chosen_firm(client) == "acme"


def test_an_unknown_firm_is_refused(client) -> None:
    answer = switch_firm(client, "zephyr", "/contacts/")
    assert answer.status_code == 302 and answer.headers["Location"] == "/contacts/"
    html = client.get("/contacts/").get_data(as_text=True)
    assert "No such firm: you are still working for Acme Bookkeeping." in html
    assert chosen_firm(client) == "acme"


@pytest.mark.parametrize(
    ("page", "back_to"),
    [
        ("/contacts/{id}", "/contacts/"),  # the firm just left's contact: its list instead
        ("/contacts/{id}/edit", "/contacts/"),
        ("//elsewhere.example/", "/"),  # never off the app
        ("https://elsewhere.example/", "/"),
        ("/no/such/page", "/"),
        ("", "/"),
    ],
)
def test_the_switcher_goes_back_only_to_a_page_of_the_new_firm(client, two_firms, page, back_to) -> None:
    page = page.format(id=two_firms["Alder Dental"])
    answer = post_form(client, "/", "/firm", {"firm": "birch", "next": page})
    assert answer.status_code == 302 and answer.headers["Location"] == back_to


def test_each_firm_sees_only_its_contacts_on_the_host_pages(client, two_firms) -> None:
    acme, birch = {"Alder Dental", "Aspen Roofing"}, {"Birchwood Bakery"}
    assert names_listed(client, "/contacts/") == acme
    assert names_listed(client, "/") == acme  # recently updated
    assert '<span class="card-number">2</span>' in client.get("/").get_data(as_text=True)
    assert names_listed(client, "/contacts/?q=bakery") == set()  # a search keeps to the firm
    birchwood = two_firms["Birchwood Bakery"]
    for url in (f"/contacts/{birchwood}", f"/contacts/{birchwood}/edit"):
        assert client.get(url).status_code == 404, url

    switch_firm(client, "birch")
    assert names_listed(client, "/contacts/") == names_listed(client, "/") == birch
    assert client.get(f"/contacts/{birchwood}").status_code == 200
    alder = two_firms["Alder Dental"]
    assert client.get(f"/contacts/{alder}").status_code == 404
    edit = post_form(client, f"/contacts/{birchwood}/edit", f"/contacts/{alder}/edit", {"display_name": "Taken"})
    assert edit.status_code == 404


def test_new_contacts_get_the_current_firm(app, client) -> None:
    switch_firm(client, "birch")
    created = post_form(client, "/contacts/new", "/contacts/new", {"display_name": "Beech Florist"})
    assert created.status_code == 302
    with app.app_context():
        assert db.session.query(Contact).filter_by(display_name="Beech Florist").one().firm == "birch"
    assert names_listed(client, "/contacts/") == {"Beech Florist"}


def test_each_firm_sees_only_its_contacts_on_the_export_page(client, two_firms, qbo) -> None:
    connect_quickbooks(client, qbo)
    assert export_grid_names(client) == {"Alder Dental", "Aspen Roofing"}
    switch_firm(client, "birch")
    qbo.consent_realm_id = qbo.add_company(BIRCH_COMPANY)
    connect_quickbooks(client, qbo)
    assert export_grid_names(client) == {"Birchwood Bakery"}


def test_each_firm_connects_and_exports_to_its_own_company(app, client, two_firms, qbo) -> None:
    acme_realm, birch_realm = qbo.realm_id, qbo.add_company(BIRCH_COMPANY)
    connect_quickbooks(client, qbo)  # consent for the first company: Acme's
    switch_firm(client, "birch")
    assert 'data-connected="no"' in client.get(CONNECTION).get_data(as_text=True)  # Acme's is not Birch's
    qbo.consent_realm_id = birch_realm
    connect_quickbooks(client, qbo)

    birchwood = two_firms["Birchwood Bakery"]
    assert items_by_key(submit(client, EXPORT, [birchwood]))[birchwood]["status"] == "ok"
    assert [c["DisplayName"] for c in qbo.customers(realm_id=birch_realm)] == ["Birchwood Bakery"]
    assert qbo.customers(realm_id=acme_realm) == []

    switch_firm(client, "acme")
    alder = two_firms["Alder Dental"]
    assert items_by_key(submit(client, EXPORT, [alder]))[alder]["status"] == "ok"
    assert [c["DisplayName"] for c in qbo.customers(realm_id=acme_realm)] == ["Alder Dental"]
    assert [c["DisplayName"] for c in qbo.customers(realm_id=birch_realm)] == ["Birchwood Bakery"]
    assert {contact for contact, _customer in linked_pairs(app, birch_realm)} == {birchwood}
    assert {contact for contact, _customer in linked_pairs(app, acme_realm)} == {alder}


def test_each_firms_connection_page_shows_its_own_company(client, qbo) -> None:
    birch_realm = qbo.add_company(BIRCH_COMPANY)
    connect_quickbooks(client, qbo)
    switch_firm(client, "birch")
    qbo.consent_realm_id = birch_realm
    connect_quickbooks(client, qbo)

    birch_page = client.get(CONNECTION).get_data(as_text=True)
    assert f'id="wsqb-company-name">{BIRCH_COMPANY}<' in birch_page and birch_realm in birch_page
    assert qbo.realm_id not in birch_page
    switch_firm(client, "acme")
    acme_page = client.get(CONNECTION).get_data(as_text=True)
    assert 'id="wsqb-company-name">Sandbox Company_US_1<' in acme_page and qbo.realm_id in acme_page
    assert birch_realm not in acme_page and BIRCH_COMPANY not in acme_page
