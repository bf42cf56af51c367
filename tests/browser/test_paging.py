"""The grids at a firm's size, in a real browser: paged on the server (50 rows by default, a page
size to choose), sorted by a column header, searched, and "Select all N matching" sending the
filter so that a run takes every matching row across pages."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import Select

from example_app.models import Contact, db
from tests.browser.helpers import (
    _gone,
    add_contacts_by_name,
    button,
    checked_ids,
    click_and_load,
    connect,
    css,
    css_all,
    wait,
    wait_for_run,
)
from tests.helpers import EXPORT, IMPORT

pytestmark = pytest.mark.browser


def names(page) -> list[str]:
    """The names the grid shows, in page order."""
    return [r.get_attribute("data-name") for r in css_all(page, "#wsqb-grid tbody tr.wsqb-row")]


def pager_text(page, which: str = ".wsqb-pager") -> str:
    return css(page, f"{which} .wsqb-pager-count").text


def search(page, text: str) -> None:
    box = css(page, "#wsqb-search")
    box.clear()
    box.send_keys(text, Keys.ENTER)
    wait(page, lambda _d: _gone(box), message="the search did not load")
    wait(page, lambda d: d.execute_script("return document.readyState") == "complete")


def contacts_in_db(app) -> list[str]:
    with app.app_context():
        return list(db.session.execute(sa.select(Contact.display_name)).scalars())


def test_import_pages_sorts_and_searches_on_the_server(page, qbo, live_app):
    customers = qbo.seed_customers(120, inactive_ratio=0.0, seed=7)
    by_name = sorted((c["DisplayName"] for c in customers), key=str.lower)
    connect(page, qbo)
    page.get(page.base_url + IMPORT)
    assert names(page) == by_name[:50]
    assert pager_text(page) == "1–50 of 120 customers"
    name_header = css(page, "#wsqb-grid thead th:nth-child(2)")
    assert name_header.get_attribute("aria-sort") == "ascending"

    click_and_load(page, page.find_element("link text", "Next ›"))
    assert names(page) == by_name[50:100] and pager_text(page) == "51–100 of 120 customers"
    click_and_load(page, page.find_element("link text", "Last »"))
    assert names(page) == by_name[100:] and "Page 3 of 3" in css(page, ".wsqb-pager").text

    # a page size of 25, kept while sorting by name the other way round
    size = css(page, 'select[name="per_page"]')
    Select(size).select_by_visible_text("25")
    wait(page, lambda d: len(names(d)) == 25, message="the page size did not change")
    click_and_load(page, css(page, "#wsqb-grid thead th:nth-child(2) a"))
    assert names(page) == by_name[::-1][:25]
    assert css(page, "#wsqb-grid thead th:nth-child(2)").get_attribute("aria-sort") == "descending"

    # Import has the search box Export has: name, company, email, phone — every page searched
    wanted = next(c for c in customers if c.get("PrimaryPhone"))
    search(page, wanted["PrimaryPhone"]["FreeFormNumber"])
    assert wanted["DisplayName"] in names(page) and len(names(page)) < 5
    search(page, wanted["DisplayName"].upper())
    assert names(page)[0] == wanted["DisplayName"]


def test_select_all_matching_imports_every_row_across_pages(page, qbo, live_app):
    customers = qbo.seed_customers(120, inactive_ratio=0.0, seed=8)
    # two already in the app by name: Import links them instead of duplicating them
    add_contacts_by_name(
        live_app, {"display_name": customers[0]["DisplayName"]}, {"display_name": customers[1]["DisplayName"]}
    )
    connect(page, qbo)
    page.get(page.base_url + IMPORT)
    assert css_all(page, "#wsqb-select-matching")[0].is_displayed() is False

    button(page, "Select All").click()
    assert len(checked_ids(page)) == 50  # the rows shown...
    offer = css(page, "#wsqb-select-matching")
    assert offer.is_displayed() and offer.text == "Select all 120 matching"
    offer.click()  # ...then every matching row, sent as the filter
    assert css(page, "#wsqb-selected-count").text == "All 120 matching customers selected"
    assert css(page, "#wsqb-all-matching").get_attribute("disabled") is None

    click_and_load(page, button(page, "Import Selected"))
    assert "Completed!" in wait_for_run(page, timeout=60)
    summary = css(page, "#wsqb-run-summary")
    wait(page, lambda d: summary.text, message="no summary line")
    assert summary.text == "118 imported, 2 linked to existing contacts, 0 failed"
    assert css(page, "#wsqb-run-announce").get_attribute("aria-live") == "polite"
    assert "118 imported" in css(page, "#wsqb-run-announce").get_attribute("textContent")
    assert css(page, "#wsqb-progress").get_attribute("aria-label") == "Import progress"
    assert len(contacts_in_db(live_app)) == 120


def test_select_all_matching_sends_the_search_not_the_ids(page, qbo, live_app):
    add_contacts_by_name(
        live_app,
        *({"display_name": f"Client {i:03}", "email": f"c{i}@example.com"} for i in range(60)),
        {"display_name": "Other Person"},
        {"display_name": "Bad: Client"},  # QuickBooks refuses ':' in names: its row fails
    )
    connect(page, qbo)
    page.get(page.base_url + EXPORT)
    search(page, "client")
    assert pager_text(page) == "1–50 of 61 contacts"
    button(page, "Select All").click()
    css(page, "#wsqb-select-matching").click()
    # the form carries the filter, no id of the other pages
    assert css(page, '#wsqb-selection input[name="q"]').get_attribute("value") == "client"
    assert len(css_all(page, '#wsqb-selection input[name="selected"]')) == 0
    click_and_load(page, button(page, "Export Selected"))
    status = wait_for_run(page, timeout=60)
    assert "Some errors were encountered during the sync" in status and "1 of 61 failed" in status
    wait(page, lambda d: css(d, "#wsqb-run-summary").text, message="no summary line")
    assert css(page, "#wsqb-run-summary").text == "60 exported, 0 linked to existing customers, 1 failed"
    exported = {c["DisplayName"] for c in qbo.customers()}
    assert len(exported) == 60 and "Other Person" not in exported

    # the failed row is found with "errors only"
    Select(css(page, 'select[name="state"]')).select_by_visible_text("errors only")
    wait(page, lambda d: names(d) == ["Bad: Client"], message="errors only did not show the failed row")


def test_keyboard_only_path_to_import_selected(page, qbo, live_app):
    wanted = qbo.add_customer({"DisplayName": "Keyboard Kate"})
    qbo.add_customer({"DisplayName": "Mouse Mike"})
    connect(page, qbo)
    page.get(page.base_url + IMPORT)

    def press(*keys):
        ActionChains(page).send_keys(*keys).perform()

    def focused(attribute):
        return page.execute_script(f"return document.activeElement.{attribute}")

    for _ in range(80):  # Tab forward to Kate's tick box, Space ticks it
        press(Keys.TAB)
        if page.execute_script("return document.activeElement.getAttribute('aria-label')") == "Select Keyboard Kate":
            break
    else:
        pytest.fail("Tab never reached Keyboard Kate's tick box")
    press(Keys.SPACE)
    assert checked_ids(page) == [wanted["Id"]]
    for _ in range(20):  # back with Shift+Tab to Import Selected, Enter presses it
        ActionChains(page).key_down(Keys.SHIFT).send_keys(Keys.TAB).key_up(Keys.SHIFT).perform()
        if focused("textContent").strip() == "Import Selected":
            break
    else:
        pytest.fail("Shift+Tab never reached Import Selected")
    press(Keys.ENTER)
    assert "Completed!" in wait_for_run(page)
    assert contacts_in_db(live_app) == ["Keyboard Kate"]
    assert css(page, "#wsqb-run-summary").text == "1 imported, 0 linked to existing contacts, 0 failed"


def test_match_pages_both_sides_searches_both_and_names_its_actions(page, qbo, live_app):
    ids = add_contacts_by_name(live_app, *({"display_name": f"Person {i:02}"} for i in range(60)))
    for i in range(55):
        qbo.add_customer({"DisplayName": f"Shop {i:02}"})
    qbo.add_customer({"DisplayName": "Person 07"})  # Auto Match proposes it
    connect(page, qbo)
    page.get(page.base_url + "/setup/quickbooks/contacts/match")
    assert pager_text(page, 'nav[aria-label="Pages of contacts"]') == "1–50 of 60 contacts"
    assert pager_text(page, 'nav[aria-label="Pages of customers"]') == "1–50 of 56 customers"
    assert len(css_all(page, "#wsqb-match-grid tbody tr")) == 50

    # every row action says whose it is; names open the contact
    row = css(page, f'tr[data-contact-id="{ids["Person 03"]}"]')
    labels = {b.get_attribute("aria-label") for b in row.find_elements("css selector", ".wsqb-button")}
    assert labels == {"Link Person 03…", "Export Person 03"}
    assert (
        row.find_element("css selector", "a.wsqb-contact-link")
        .get_attribute("href")
        .endswith(f"/contacts/{ids['Person 03']}")
    )
    assert css(page, '#wsqb-customer-grid button[aria-label="Import Shop 00"]')
    # no button is cut off by its grid's box at 1280 px
    clipped = page.execute_script(
        "return Array.from(document.querySelectorAll('.wsqb-match .wsqb-grid-wrap .wsqb-button')).filter(function (b) {"
        "  var box = b.closest('.wsqb-grid-wrap').getBoundingClientRect(), r = b.getBoundingClientRect();"
        "  return r.right > box.right + 0.5 || r.left < box.left - 0.5; })"
        ".map(function (b) { return b.getAttribute('aria-label'); });"
    )
    assert clipped == []

    search(page, "07")  # both sides
    assert [r.get_attribute("data-contact-id") for r in css_all(page, "#wsqb-match-grid tbody tr")] == [
        ids["Person 07"]
    ]
    shown = [r.text.split("\n")[0] for r in css_all(page, "#wsqb-customer-grid tbody tr")]
    assert shown == ["Person 07", "Shop 07"]

    click_and_load(page, button(page, "Auto Match"))
    wait(page, lambda d: css_all(d, 'tr[data-state="proposed"], tr[data-state="review"]'), message="no proposal")
    search(page, "")
    Select(css(page, 'select[name="state"]')).select_by_visible_text("proposals only")
    wait(page, lambda d: "proposals" in d.current_url, message="the filter did not load")
    rows = css_all(page, "#wsqb-match-grid tbody tr")
    assert [r.get_attribute("data-contact-id") for r in rows] == [ids["Person 07"]]
    accept = rows[0].find_element("css selector", "button")
    assert accept.get_attribute("aria-label") == "Accept: link Person 07 to Person 07"


def test_history_pages_and_filters_by_contact_name_and_date(page, qbo, live_app):
    for i in range(30):
        qbo.add_customer({"DisplayName": f"Client {i:02}", "PrimaryEmailAddr": {"Address": f"c{i}@example.com"}})
    connect(page, qbo)
    page.get(page.base_url + IMPORT)
    button(page, "Select All").click()
    click_and_load(page, button(page, "Import Selected"))
    assert "Completed!" in wait_for_run(page, timeout=60)

    page.get(page.base_url + "/setup/quickbooks/history")
    assert "Contact id" not in page.page_source
    total = int(pager_text(page).split(" of ")[1].split()[0])
    assert pager_text(page) == f"1–50 of {total} changes" and total % 30 == 0 and total > 50
    css(page, 'input[name="name"]').send_keys("Client 05", Keys.ENTER)
    wait(page, lambda d: "name=Client" in d.current_url)
    rows = css_all(page, ".wsqb-history-table tbody tr")
    assert len(rows) == total // 30 and all("Client 05" in r.text for r in rows)

    page.get(page.base_url + "/setup/quickbooks/history?from=2000-01-01&to=2000-12-31")
    assert "No QuickBooks changes recorded yet." in page.page_source
    page.get(page.base_url + "/setup/quickbooks/history?side=app&source=import&per_page=25")
    assert pager_text(page) == f"1–25 of {total} changes"
    click_and_load(page, page.find_element("link text", "Field"))
    header = page.find_element("xpath", '//th[a[starts-with(normalize-space(), "Field")]]')
    assert header.get_attribute("aria-sort") == "descending"
    fields = [r.get_attribute("data-field") for r in css_all(page, ".wsqb-history-table tbody tr")]
    assert fields == sorted(fields, reverse=True)
