"""Undo from the History page, in a real browser: the entry's Undo button puts the old value back."""

from __future__ import annotations

import pytest

from tests.browser.helpers import add_contacts_by_name, click_and_load, connect, css

pytestmark = pytest.mark.browser


def test_undo_a_pull_from_the_history_page(page, qbo, live_app):
    contact_id = add_contacts_by_name(live_app, {"display_name": "Linden Tax", "phone": "555-0700"})["Linden Tax"]
    qbo.add_customer({"DisplayName": "Linden Tax", "PrimaryPhone": {"FreeFormNumber": "555-0777"}})
    connect(page, qbo)
    page.get(f"{page.base_url}/contacts/{contact_id}")
    from tests.browser.test_contact_page import open_menu_and_click

    open_menu_and_click(page, "Pull Current Contact Info from QuickBooks")
    assert css(page, ".field-phone").text == "555-0777"

    page.get(page.base_url + "/setup/quickbooks/history")
    row = css(page, "tr[data-field='phone'][data-source='pull']")
    undo = row.find_element("css selector", "button")
    assert undo.get_attribute("aria-label").startswith("Undo the phone change of Linden Tax")
    click_and_load(page, undo)
    assert "Undone in the app: phone is '555-0700' again" in css(page, "main").text
    assert css(page, "tr[data-source='undo'][data-field='phone']")
    page.get(f"{page.base_url}/contacts/{contact_id}")
    assert css(page, ".field-phone").text == "555-0700"
