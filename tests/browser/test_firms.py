"""Two firms in a real browser: switching firm with the header's switcher, connecting Birch CPA's own
company by choosing it on the emulator's consent screen, exporting one of Birch's clients there,
and Acme Bookkeeping's pages untouched by it all."""

from __future__ import annotations

import pytest
from selenium.webdriver.support.ui import Select

from tests.browser.helpers import (
    add_contacts_by_name,
    button,
    checked_ids,
    click_and_load,
    css,
    css_all,
    row_ids,
    screenshot,
    wait,
    wait_for_run,
)
from tests.helpers import CONNECTION, EXPORT

pytestmark = pytest.mark.browser

BIRCH_COMPANY = "Birch CPA PLLC"


def switch_firm(page, name: str) -> None:
    """Choose the firm in the header's switcher and press Switch; the same page comes back."""
    Select(css(page, "#firm")).select_by_visible_text(name)
    click_and_load(page, button(page, "Switch"))
    assert Select(css(page, "#firm")).first_selected_option.text == name


def listed_contacts(page) -> set[str]:
    """The names the host's contact list shows."""
    page.get(page.base_url + "/contacts/")
    return {link.text for link in css_all(page, "table.grid td:first-child a")}


def connect_on_the_consent_screen(page, company: str) -> None:
    """Connection page → Connect to QuickBooks → pick ``company`` on the consent screen → back."""
    page.get(page.base_url + CONNECTION)
    click_and_load(page, button(page, "Connect to QuickBooks"))
    Select(css(page, "#realmId")).select_by_visible_text(company)
    click_and_load(page, css(page, "button#connect"))
    wait(page, lambda d: d.current_url.startswith(d.base_url + CONNECTION), message="no redirect back")
    assert "Completed!" in wait_for_run(page)  # connecting loads that company's customer list


def test_birch_connects_its_own_company_and_exports_there_while_acme_is_untouched(page, qbo, live_app):
    ids = add_contacts_by_name(
        live_app,
        {"display_name": "Alder Dental", "email": "desk@alder.example"},
        {"display_name": "Birchwood Bakery", "email": "hello@birchwood.example", "firm": "birch"},
        {"display_name": "Beech Florist", "firm": "birch"},
    )
    birch_realm = qbo.add_company(BIRCH_COMPANY)
    qbo.auto_consent = False  # the user picks the company on the consent screen
    assert listed_contacts(page) == {"Alder Dental"}  # a new session works for the first firm

    switch_firm(page, "Birch CPA")
    assert page.current_url == page.base_url + "/contacts/"  # back where the user was
    assert "You are working for Birch CPA." in css(page, ".flash-success").text
    assert listed_contacts(page) == {"Birchwood Bakery", "Beech Florist"}
    screenshot(page, "firms-switched-to-birch.png")

    connect_on_the_consent_screen(page, BIRCH_COMPANY)
    assert css(page, "#wsqb-company-name").text == BIRCH_COMPANY
    assert birch_realm in css(page, "main").text
    screenshot(page, "firms-birch-connected.png")

    page.get(page.base_url + EXPORT)
    assert set(row_ids(page)) == {ids["Birchwood Bakery"], ids["Beech Florist"]}
    css(page, f'input[name="selected"][value="{ids["Birchwood Bakery"]}"]').click()
    assert checked_ids(page) == [ids["Birchwood Bakery"]]
    click_and_load(page, button(page, "Export Selected"))
    assert "Completed!" in wait_for_run(page)
    assert [c["DisplayName"] for c in qbo.customers(realm_id=birch_realm)] == ["Birchwood Bakery"]
    assert qbo.customers() == []  # Acme's company (the first) got nothing
    screenshot(page, "firms-birch-exported.png")

    switch_firm(page, "Acme Bookkeeping")  # from the Export page: back on it, for Acme
    assert page.current_url == page.base_url + EXPORT
    assert row_ids(page) == [ids["Alder Dental"]] and "Linked" not in css(page, "#wsqb-grid").text
    screenshot(page, "firms-acme-export.png")
    assert listed_contacts(page) == {"Alder Dental"}
    page.get(page.base_url + CONNECTION)
    assert css(page, "#wsqb-connection-status").get_attribute("data-connected") == "no"
    assert BIRCH_COMPANY not in css(page, "main").text
    screenshot(page, "firms-acme-untouched.png")
