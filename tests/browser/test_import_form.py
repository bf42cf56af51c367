"""Setup › QuickBooks › Contacts › Import from QuickBooks, driven in a real browser."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from selenium.webdriver.support import expected_conditions as EC

from example_app.models import Contact, db
from tests.browser.helpers import (
    background_rgb,
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
from tests.helpers import IMPORT

pytestmark = pytest.mark.browser


def names_in_db(app) -> set[str]:
    with app.app_context():
        return set(db.session.execute(sa.select(Contact.display_name)).scalars())


def toggle(page, label: str) -> None:
    """Click a filter checkbox by its label; it submits the filter form by itself."""
    box = page.find_element("xpath", f'//label[normalize-space()="{label}"]/input[@type="checkbox"]')
    click_and_load(page, box)


def test_refresh_filters_select_and_import(page, qbo, live_app):
    connect(page, qbo)
    page.get(page.base_url + IMPORT)
    assert row_ids(page) == []
    assert "No customers to show." in css(page, "#wsqb-grid").text

    # customers appear in QuickBooks after connecting: Refresh from QuickBooks loads them
    summit = qbo.add_customer({"DisplayName": "Summit Dental", "PrimaryEmailAddr": {"Address": "desk@summit.example"}})
    river = qbo.add_customer({"DisplayName": "Riverbend Plumbing"})
    bakery = qbo.add_customer({"DisplayName": "Old Bakery", "Active": False})
    more = [c["Id"] for c in qbo.seed_customers(5, inactive_ratio=0.0, seed=3)]
    click_and_load(page, button(page, "Refresh from QuickBooks"))
    assert "Completed!" in wait_for_run(page)
    # the finished refresh shows the new list (the page reloads itself)
    wait(page, lambda d: len(row_ids(d)) == 7, message="the refreshed list did not appear")
    active = {summit["Id"], river["Id"], *more}
    assert set(row_ids(page)) == active  # inactive customers need Show Hidden

    # Show Hidden (auto-submits) adds the inactive customer; unticking takes it away again
    toggle(page, "Show Hidden")
    assert set(row_ids(page)) == active | {bakery["Id"]}
    assert "Inactive" in css(page, f'tr[data-id="{bakery["Id"]}"]').text
    toggle(page, "Show Hidden")
    assert set(row_ids(page)) == active

    # Select All ticks every row, Select None clears them
    button(page, "Select All").click()
    assert set(checked_ids(page)) == active
    assert css(page, "#wsqb-selected-count").text == "7 selected"
    button(page, "Select None").click()
    assert checked_ids(page) == []

    # tick two rows by hand and import them
    for cid in (summit["Id"], river["Id"]):
        css(page, f'input[name="selected"][value="{cid}"]').click()
    click_and_load(page, button(page, "Import Selected"))
    assert "Completed!" in wait_for_run(page)
    assert css(page, "#wsqb-progress-bar").get_attribute("style").replace(" ", "") == "width:100%;"
    assert {"Summit Dental", "Riverbend Plumbing"} <= names_in_db(live_app)
    ok_row = css(page, f'tr[data-id="{summit["Id"]}"]')
    wait(page, lambda d: "wsqb-row-ok" in ok_row.get_attribute("class"))
    ok_row.find_elements("css selector", "td")[1].click()
    assert css(page, "#wsqb-row-message").text == "Summit Dental: Imported as a new contact."

    # imported customers leave the list unless Show Sync'd is ticked
    page.get(page.base_url + IMPORT)
    assert set(row_ids(page)) == set(more)
    toggle(page, "Show Sync'd")
    assert set(row_ids(page)) == active
    assert css(page, f'tr[data-id="{summit["Id"]}"]').text.endswith("Sync'd")


def test_a_failed_row_turns_red_and_explains_itself(page, qbo, live_app):
    good = qbo.add_customer({"DisplayName": "Harbor Dental"})
    refused = qbo.add_customer({"DisplayName": "Refused Client"})
    qbo.seed_customers(4, inactive_ratio=0.0, seed=7)
    # the host's database refuses one contact (as PostgreSQL refuses a too-long name)
    with live_app.app_context():
        db.session.execute(
            sa.text(
                "CREATE TRIGGER refuse_client BEFORE INSERT ON contact WHEN NEW.display_name = 'Refused Client' "
                "BEGIN SELECT RAISE(ABORT, 'no new contacts named Refused Client'); END"
            )
        )
        db.session.commit()
    connect(page, qbo)  # connecting loads the list
    page.get(page.base_url + IMPORT)
    assert len(row_ids(page)) == 6

    button(page, "Select All").click()
    click_and_load(page, button(page, "Import Selected"))
    assert "Some errors were encountered during the sync" in wait_for_run(page)
    assert "Completed!" not in css(page, "#wsqb-run-status").text

    bad_row = css(page, f'tr[data-id="{refused["Id"]}"]')
    wait(page, lambda d: "wsqb-row-error" in bad_row.get_attribute("class"), message="the failed row is not red")
    assert is_reddish(background_rgb(page, bad_row)), background_rgb(page, bad_row)
    assert not is_reddish(background_rgb(page, css(page, f'tr[data-id="{good["Id"]}"]')))
    assert not css(page, "#wsqb-row-message").is_displayed()
    bad_row.find_elements("css selector", "td")[1].click()
    message = css(page, "#wsqb-row-message")
    wait(page, EC.visibility_of(message))
    assert message.text.startswith("Refused Client: The app's database refused this row")
    assert "no new contacts named Refused Client" in message.text
    # the message sits under the grid
    assert message.location["y"] > css(page, "#wsqb-grid").location["y"] + css(page, "#wsqb-grid").size["height"] - 1
    assert "Refused Client" not in names_in_db(live_app) and "Harbor Dental" in names_in_db(live_app)

    # the result survives a reload of the page (the run is in the URL)
    page.refresh()
    bad_row = css(page, f'tr[data-id="{refused["Id"]}"]')
    assert is_reddish(background_rgb(page, bad_row))
    bad_row.click()
    assert "database refused" in css(page, "#wsqb-row-message").text
    screenshot(page, "import-form.png")
