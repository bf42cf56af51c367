"""Setup › QuickBooks › Contacts › Export to QuickBooks, driven in a real browser."""

from __future__ import annotations

import pytest
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support import expected_conditions as EC

from tests.browser.helpers import (
    add_contacts_by_name,
    background_rgb,
    bar_percent,
    button,
    checked_ids,
    click_and_load,
    connect,
    css,
    is_reddish,
    row_ids,
    screenshot,
    wait,
    wait_for_run,
)
from tests.helpers import EXPORT

pytestmark = pytest.mark.browser


def search_for(page, text: str) -> None:
    box = css(page, "#wsqb-search")
    box.send_keys(Keys.CONTROL, "a")
    box.send_keys(Keys.DELETE)
    if text:
        box.send_keys(text)


def test_search_select_all_visible_and_export(page, qbo, live_app):
    ids = add_contacts_by_name(
        live_app,
        {"display_name": "Harbor Dental", "email": "desk@harbor.example"},
        {"display_name": "Harbor Lights Cafe", "phone": "555-0111"},
        {"display_name": "Prairie Farms", "company": "Prairie Holdings"},
        {"display_name": "Willow Yoga", "email": "om@willow.example"},
        {"display_name": "Zed Zimmerman"},
    )
    connect(page, qbo)
    page.get(page.base_url + EXPORT)
    assert set(row_ids(page)) == set(ids.values())
    grid = css(page, "#wsqb-grid")

    # typing filters the rows at once, without loading a page (matches company and email too)
    search_for(page, "harbor")
    assert set(row_ids(page)) == {ids["Harbor Dental"], ids["Harbor Lights Cafe"]}
    search_for(page, "HOLDINGS")
    assert row_ids(page) == [ids["Prairie Farms"]]
    search_for(page, "om@willow")
    assert row_ids(page) == [ids["Willow Yoga"]]
    search_for(page, "harbor")
    assert not EC.staleness_of(grid)(page)  # still the same page: no reload happened

    # Select All ticks only the rows the search shows; Select None clears them
    button(page, "Select All").click()
    assert set(checked_ids(page)) == {ids["Harbor Dental"], ids["Harbor Lights Cafe"]}
    assert css(page, "#wsqb-selected-count").text == "2 selected"
    button(page, "Select None").click()
    assert checked_ids(page) == []

    # find and tick contacts one search at a time: earlier ticks survive the next search
    button(page, "Select All").click()
    search_for(page, "prairie")
    button(page, "Select All").click()
    search_for(page, "")
    assert len(row_ids(page)) == 5
    wanted = {ids["Harbor Dental"], ids["Harbor Lights Cafe"], ids["Prairie Farms"]}
    assert set(checked_ids(page)) == wanted

    click_and_load(page, button(page, "Export Selected"))
    assert "Completed!" in wait_for_run(page)
    assert bar_percent(page) >= 99.5
    assert sorted(c["DisplayName"] for c in qbo.customers()) == ["Harbor Dental", "Harbor Lights Cafe", "Prairie Farms"]
    by_name = {c["DisplayName"]: c for c in qbo.customers()}
    assert by_name["Harbor Dental"]["PrimaryEmailAddr"]["Address"] == "desk@harbor.example"
    assert by_name["Prairie Farms"]["CompanyName"] == "Prairie Holdings"
    for cid in wanted:
        row = css(page, f'tr[data-id="{cid}"]')
        wait(page, lambda d, row=row: "wsqb-row-ok" in row.get_attribute("class"))
        assert row.text.endswith("Linked")
    css(page, f'tr[data-id="{ids["Harbor Dental"]}"] td:nth-child(3)').click()
    assert css(page, "#wsqb-row-message").text == "Harbor Dental: Created in QuickBooks."


def test_a_bad_contact_turns_red_and_explains_itself(page, qbo, live_app):
    ids = add_contacts_by_name(
        live_app,
        {"display_name": "Good Co", "email": "hello@good.example"},
        {"display_name": "Bad: Name"},
        *({"display_name": f"Client {i:02}", "email": f"c{i}@example.com"} for i in range(6)),
    )
    connect(page, qbo)
    page.get(page.base_url + EXPORT)
    button(page, "Select All").click()
    assert len(checked_ids(page)) == 8
    click_and_load(page, button(page, "Export Selected"))
    assert "Some errors were encountered during the sync" in wait_for_run(page)
    assert "Completed!" not in css(page, "#wsqb-run-status").text
    assert "Bad: Name" not in {c["DisplayName"] for c in qbo.customers()}
    assert len(qbo.customers()) == 7

    bad_row = css(page, f'tr[data-id="{ids["Bad: Name"]}"]')
    wait(page, lambda d: "wsqb-row-error" in bad_row.get_attribute("class"), message="the bad row is not red")
    assert is_reddish(background_rgb(page, bad_row)), background_rgb(page, bad_row)
    assert not is_reddish(background_rgb(page, css(page, f'tr[data-id="{ids["Good Co"]}"]')))
    message = css(page, "#wsqb-row-message")
    assert not message.is_displayed()
    bad_row.click()
    wait(page, EC.visibility_of(message))
    assert message.text.startswith("Bad: Name: ") and "colon" in message.text
    grid = css(page, "#wsqb-grid")
    assert message.location["y"] >= grid.location["y"] + grid.size["height"] - 1  # just under the grid
    # clicking a good row shows its (green) result instead
    css(page, f'tr[data-id="{ids["Good Co"]}"] td:nth-child(3)').click()
    assert message.text == "Good Co: Created in QuickBooks." and "wsqb-alert-success" in message.get_attribute("class")
    bad_row.click()
    screenshot(page, "export-form.png")
