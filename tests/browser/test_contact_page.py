"""The contact page's QuickBooks Sync menu entries, clicked in a real browser."""

from __future__ import annotations

import pytest
from selenium.webdriver.common.action_chains import ActionChains

from example_app.models import Contact, db
from tests.browser.helpers import add_contacts_by_name, button, click_and_load, connect, css, screenshot
from tests.browser.test_preview import assert_usable

pytestmark = pytest.mark.browser


def open_menu_and_click(page, label: str) -> None:
    """Hover Contacts → Import/Export Contacts → QuickBooks Sync, as a user does, then click."""
    menu = [m for m in page.find_elements("css selector", ".menubar .menu-title") if m.text == "Contacts"][0]
    hover = ActionChains(page).move_to_element(menu)
    hover.perform()
    for step in ("Import/Export Contacts", "QuickBooks Sync"):
        item = [e for e in page.find_elements("css selector", ".wsqb-menu-label") if e.text.strip() == step][0]
        ActionChains(page).move_to_element(item).perform()
    click_and_load(page, button(page, label))


def test_pull_and_sync_from_the_contact_menu(page, qbo, live_app):
    with live_app.app_context():
        contact = Contact(display_name="Cedar Bakery", phone="555-0100")
        db.session.add(contact)
        db.session.commit()
        contact_id = contact.id
    customer = qbo.add_customer(
        {
            "DisplayName": "Cedar Bakery",
            "PrimaryPhone": {"FreeFormNumber": "555-0199"},
            "PrimaryEmailAddr": {"Address": "hello@cedar.example"},
        }
    )
    connect(page, qbo)

    page.get(f"{page.base_url}/contacts/{contact_id}")
    open_menu_and_click(page, "Pull Current Contact Info from QuickBooks")
    assert "Pulled from QuickBooks" in page.page_source
    assert css(page, ".field-phone").text == "555-0199"
    assert css(page, ".field-email").text == "hello@cedar.example"
    assert "phone" in css(page, "#wsqb-contact-history").text

    qbo.advance(3600)
    qbo.edit_customer(customer["Id"], {"PrimaryPhone": {"FreeFormNumber": "555-0123"}})
    open_menu_and_click(page, "Sync Current Contact Info (Newest Information)")
    assert "Synced" in page.page_source and "555-0123" in page.page_source
    assert css(page, ".field-phone").text == "555-0123"
    screenshot(page, "contact-page.png")


def test_sync_asks_before_creating_a_customer(page, qbo, live_app):
    [contact_id] = add_contacts_by_name(
        live_app, {"display_name": "Juniper Florists", "email": "hi@juniper.example"}
    ).values()
    connect(page, qbo)
    page.get(f"{page.base_url}/contacts/{contact_id}")
    open_menu_and_click(page, "Sync Current Contact Info (Newest Information)")
    assert css(page, "h1").text == "Create a QuickBooks customer?"
    assert "'Juniper Florists' is not linked to a QuickBooks customer" in css(page, "#wsqb-confirm-create").text
    assert qbo.customers() == []
    assert_usable(page)
    screenshot(page, "sync-confirm-create.png")
    click_and_load(page, button(page, "Create in QuickBooks"))
    assert "Created in QuickBooks" in page.page_source
    assert [c["DisplayName"] for c in qbo.customers()] == ["Juniper Florists"]
