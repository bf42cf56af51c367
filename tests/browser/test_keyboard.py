"""The header's menus and the entries flask-wsqb adds to them, with the keyboard alone: Tab reaches
them, Enter, Space and the arrow keys open them, Escape closes them. From the home page to Pull on a
contact page without the mouse."""

from __future__ import annotations

import pytest
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.keys import Keys

from tests.browser.helpers import css, screenshot, wait
from tests.helpers import IMPORT, add_contacts, connect_quickbooks

pytestmark = pytest.mark.browser


def press(driver, *keys: str) -> None:
    """Keys pressed on whatever has the focus, as a user types them."""
    ActionChains(driver).send_keys(*keys).perform()


def focused(driver) -> str:
    """The text of the element that has the focus."""
    return driver.execute_script("return (document.activeElement.innerText || '').trim()")


def tab_to(driver, text: str, limit: int = 60) -> None:
    """Press Tab until the focus is on the element showing ``text``."""
    for _ in range(limit):
        if focused(driver) == text:
            return
        press(driver, Keys.TAB)
    raise AssertionError(f"Tab never reached {text!r} (last: {focused(driver)!r})")


def arrow_to(driver, text: str, limit: int = 20) -> None:
    """Press ArrowDown until the focus is on the entry showing ``text``."""
    for _ in range(limit):
        press(driver, Keys.ARROW_DOWN)
        if focused(driver) == text:
            return
    raise AssertionError(f"ArrowDown never reached {text!r} (last: {focused(driver)!r})")


def expanded(driver, text: str, buttons: str = ".menu-title, .wsqb-menu-label") -> str | None:
    """aria-expanded of the visible menu button showing ``text`` (one of ``buttons``)."""
    [found] = [b for b in driver.find_elements("css selector", buttons) if b.text.strip() == text and b.is_displayed()]
    return found.get_attribute("aria-expanded")


def press_and_load(driver, key: str) -> None:
    """Press a key that loads a page; wait for the new one."""
    old = driver.find_element("css selector", "html")
    press(driver, key)
    wait(driver, lambda d: d.find_element("css selector", "html") != old, message="no new page loaded")
    wait(driver, lambda d: d.execute_script("return document.readyState") == "complete")


def test_from_home_to_pull_with_the_keyboard_only(page, qbo, live_app):
    [contact_id] = add_contacts(live_app, {"display_name": "Cedar Bakery", "phone": "(503) 555-0100"})
    qbo.add_customer({"DisplayName": "Cedar Bakery", "PrimaryPhone": {"FreeFormNumber": "(503) 555-0199"}})
    connect_quickbooks(live_app.test_client(), qbo)
    page.get(page.base_url + "/")

    tab_to(page, "Contacts")
    press(page, Keys.ENTER)
    assert expanded(page, "Contacts") == "true"
    arrow_to(page, "All contacts")
    press_and_load(page, Keys.ENTER)
    assert page.current_url.endswith("/contacts/")

    tab_to(page, "Cedar Bakery")
    press_and_load(page, Keys.ENTER)
    assert page.current_url.endswith(f"/contacts/{contact_id}")

    tab_to(page, "Contacts")
    press(page, Keys.SPACE)
    assert expanded(page, "Contacts") == "true"
    arrow_to(page, "Import/Export Contacts")
    press(page, Keys.ENTER)
    assert expanded(page, "Import/Export Contacts") == "true"
    arrow_to(page, "QuickBooks Sync")
    press(page, Keys.ARROW_RIGHT)
    assert expanded(page, "QuickBooks Sync") == "true"
    assert focused(page) == "Pull Current Contact Info from QuickBooks"
    screenshot(page, "keyboard-contact-menu.png")
    press_and_load(page, Keys.ENTER)

    assert "Pulled from QuickBooks" in css(page, "main").text
    assert css(page, ".field-phone").text == "(503) 555-0199"


def test_tab_reaches_every_level_and_escape_closes(page, qbo, live_app):
    connect_quickbooks(live_app.test_client(), qbo)
    page.get(page.base_url + "/")

    tab_to(page, "Setup")
    assert expanded(page, "Setup") == "false"
    assert not css(page, "#menu-setup").is_displayed()
    press(page, Keys.ENTER)
    assert css(page, "#menu-setup").is_displayed()
    press(page, Keys.TAB)
    assert focused(page) == "QuickBooks"
    press(page, Keys.ESCAPE)  # closes the whole menu, back on its title
    assert not css(page, "#menu-setup").is_displayed() and focused(page) == "Setup"
    assert expanded(page, "Setup") == "false"

    press(page, Keys.ARROW_DOWN)  # opens it again, on its first entry
    assert focused(page) == "QuickBooks" and expanded(page, "Setup") == "true"
    press(page, Keys.SPACE)
    assert expanded(page, "QuickBooks") == "true"
    tab_to(page, "Contacts", limit=3)
    press(page, Keys.ARROW_RIGHT)
    assert focused(page) == "Import from QuickBooks"
    press(page, Keys.ARROW_LEFT)  # back to the entry it opened from, closed
    assert focused(page) == "Contacts" and expanded(page, "Contacts", ".wsqb-menu-label") == "false"
    press(page, Keys.ENTER)
    press(page, Keys.TAB)
    assert focused(page) == "Import from QuickBooks"
    press(page, Keys.ESCAPE)  # closes the list it is in
    assert focused(page) == "Contacts" and expanded(page, "Contacts", ".wsqb-menu-label") == "false"
    press(page, Keys.ENTER, Keys.TAB)
    press_and_load(page, Keys.ENTER)
    assert page.current_url.endswith(IMPORT)

    # leaving a menu with Tab closes it
    tab_to(page, "Setup")
    press(page, Keys.ENTER)
    ActionChains(page).key_down(Keys.SHIFT).send_keys(Keys.TAB).key_up(Keys.SHIFT).perform()
    assert focused(page) == "Contacts"
    assert not css(page, "#menu-setup").is_displayed()
