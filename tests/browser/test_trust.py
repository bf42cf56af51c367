"""What a user relies on while runs are under way, in a real browser: Export's server search
keeps every tick, a run left behind is shown again when the user comes back from the menu
(and is not started twice), Match reloads itself when a per-row Export ends, and Match's
bulk Accept acts on exactly the rows the page shows."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
import sqlalchemy as sa
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support import expected_conditions as EC

from example_app.models import db
from tests.browser.helpers import (
    add_contacts_by_name,
    bar_percent,
    button,
    checked_ids,
    click_and_load,
    connect,
    css,
    css_all,
    row_ids,
    screenshot,
    wait,
    wait_for_run,
)
from tests.helpers import EXPORT, linked_pairs

pytestmark = pytest.mark.browser

MATCH = "/setup/quickbooks/contacts/match"


# -- helpers -----------------------------------------------------------------------------------


def tick(driver, contact_id: str) -> None:
    box = css(driver, f'input[name="selected"][value="{contact_id}"]')
    assert not box.is_selected()
    box.click()
    assert box.is_selected()


def search_and_enter(driver, text: str) -> None:
    """Type in the Search box and press Enter: the search form submits to the server."""
    box = css(driver, "#wsqb-search")
    box.send_keys(Keys.CONTROL, "a")
    box.send_keys(Keys.DELETE)
    if text:
        box.send_keys(text)
    box.send_keys(Keys.ENTER)
    wait(driver, EC.staleness_of(box), message="Enter did not submit the search")
    wait(driver, lambda d: d.execute_script("return document.readyState") == "complete")
    assert query(driver).get("q", [""])[0] == text


def query(driver) -> dict[str, list[str]]:
    return parse_qs(urlsplit(driver.current_url).query)


def counter(driver) -> str:
    return css(driver, "#wsqb-selected-count").text.strip()


def kept_note(driver) -> str | None:
    """The "N more selected contacts not shown by this search" note, if shown."""
    notes = [n for n in css_all(driver, "#wsqb-kept-note") if n.is_displayed()]
    return notes[0].text.strip() if notes else None


def flashes(driver) -> list[str]:
    return [f.text.strip() for f in css_all(driver, ".flashes .flash")]


def customer_names(qbo) -> list[str]:
    return sorted(c["DisplayName"] for c in qbo.customers())


def runs_of(app, kind: str) -> list:
    with app.app_context():
        SyncRun = app.extensions["wsqb"].models.SyncRun
        return list(db.session.execute(sa.select(SyncRun.id).where(SyncRun.kind == kind)).scalars())


def hover(driver, element) -> None:
    ActionChains(driver, duration=50).move_to_element(element).perform()


def open_from_menu(driver, *path: str) -> None:
    """Hover the host's top menu and its fly-outs (Setup › QuickBooks › Contacts › …), then
    click the last entry, as a user would."""
    [top] = [b for b in css_all(driver, ".menubar .menu-title") if b.text.strip() == path[0]]
    hover(driver, top)
    menu = top.find_element(By.XPATH, "./..")
    dropdown = menu.find_element(By.CSS_SELECTOR, ".dropdown")
    wait(driver, lambda d: dropdown.is_displayed(), 5, f"hovering {path[0]} did not open its menu")
    scope = dropdown
    for label in path[1:-1]:
        [item] = [
            el
            for el in scope.find_elements(By.CSS_SELECTOR, "li.wsqb-menu-parent > .wsqb-menu-label")
            if el.is_displayed() and el.text.strip() == label
        ]
        hover(driver, item)
        scope = item.find_element(By.XPATH, "./../ul")
        wait(driver, lambda d, scope=scope: scope.is_displayed(), 5, f"hovering {label} did not open its fly-out")
    [link] = [a for a in scope.find_elements(By.CSS_SELECTOR, "a") if a.is_displayed() and a.text.strip() == path[-1]]
    hover(driver, link)
    click_and_load(driver, link)


# -- 1. Enter in Export's Search box keeps every tick ------------------------------------------

EXPORT_CONTACTS = (
    {"display_name": "Harbor Dental", "email": "desk@harbor.example"},
    {"display_name": "Harbor Lights Cafe", "phone": "555-0111"},
    {"display_name": "Prairie Farms", "company": "Prairie Holdings"},
    {"display_name": "Willow Yoga", "email": "om@willow.example"},
    {"display_name": "Zed Zimmerman"},
)


def test_enter_in_search_keeps_ticks_and_export_sends_exactly_them(page, qbo, live_app):
    ids = add_contacts_by_name(live_app, *EXPORT_CONTACTS)
    connect(page, qbo)
    page.get(page.base_url + EXPORT)
    tick(page, ids["Harbor Dental"])
    tick(page, ids["Prairie Farms"])
    assert counter(page) == "2 selected"
    assert kept_note(page) is None

    # a search that shows neither ticked contact: both still count, and the page says so
    search_and_enter(page, "willow")
    assert row_ids(page) == [ids["Willow Yoga"]]
    assert checked_ids(page) == []
    assert counter(page) == "2 selected"
    assert kept_note(page) == "2 more selected contacts not shown by this search."
    screenshot(page, "trust-export-search-hides-ticks.png")
    tick(page, ids["Willow Yoga"])  # a tick made on the searched page joins them
    assert counter(page) == "3 selected"

    # a search that shows one of the ticked: its box is still ticked, the others are counted
    search_and_enter(page, "harbor")
    assert set(row_ids(page)) == {ids["Harbor Dental"], ids["Harbor Lights Cafe"]}
    assert checked_ids(page) == [ids["Harbor Dental"]]
    assert counter(page) == "3 selected"
    assert kept_note(page) == "2 more selected contacts not shown by this search."
    screenshot(page, "trust-export-search-shows-one-tick.png")

    # an empty search shows everything, still ticked
    search_and_enter(page, "")
    assert len(row_ids(page)) == 5
    assert set(checked_ids(page)) == {ids["Harbor Dental"], ids["Prairie Farms"], ids["Willow Yoga"]}
    assert counter(page) == "3 selected" and kept_note(page) is None

    search_and_enter(page, "harbor")
    click_and_load(page, button(page, "Export Selected"))
    assert "Completed!" in wait_for_run(page)
    assert customer_names(qbo) == ["Harbor Dental", "Prairie Farms", "Willow Yoga"]
    screenshot(page, "trust-export-after-search-exported.png")

    # 5. the finished run's bar and message survive a reload
    run_id = query(page)["run"][0]
    page.refresh()
    assert query(page)["run"] == [run_id]
    assert css(page, "#wsqb-run").get_attribute("data-finished") == "yes"
    assert "Completed!" in css(page, "#wsqb-run-status").text
    assert bar_percent(page) >= 99.5
    assert len(qbo.customers()) == 3


def test_select_none_clears_ticks_the_search_does_not_show(page, qbo, live_app):
    ids = add_contacts_by_name(live_app, *EXPORT_CONTACTS)
    connect(page, qbo)
    page.get(page.base_url + EXPORT)
    tick(page, ids["Harbor Dental"])
    tick(page, ids["Prairie Farms"])
    search_and_enter(page, "harbor")
    assert checked_ids(page) == [ids["Harbor Dental"]]
    assert counter(page) == "2 selected"
    assert kept_note(page) == "1 more selected contact not shown by this search."

    button(page, "Select None").click()
    assert checked_ids(page) == []
    assert counter(page) == ""
    assert kept_note(page) is None
    screenshot(page, "trust-export-select-none.png")

    # the cleared ticks stay cleared on the next search, and Export Selected has nothing to send
    search_and_enter(page, "")
    assert checked_ids(page) == [] and counter(page) == ""
    click_and_load(page, button(page, "Export Selected"))
    assert "Select at least one contact to export." in flashes(page)
    assert qbo.customers() == []
    assert runs_of(live_app, "export") == []


# -- 2. Coming back to Export during a run -----------------------------------------------------

#: How long the emulator holds the batch request (under the app's 5 s request timeout).
HANG = 4.0


def start_slow_export(page, qbo, live_app) -> tuple[dict[str, str], str]:
    """Tick two contacts and Export Selected with QuickBooks answering slowly; the run's id."""
    ids = add_contacts_by_name(
        live_app,
        {"display_name": "Slow Lane Bakery", "email": "hi@slowlane.example"},
        {"display_name": "Tortoise Tax", "phone": "555-0199"},
        {"display_name": "Not Ticked Ltd"},
    )
    connect(page, qbo)
    qbo.fail_next(count=1, path="/batch", mode="hang", hang_seconds=HANG)
    page.get(page.base_url + EXPORT)
    tick(page, ids["Slow Lane Bakery"])
    tick(page, ids["Tortoise Tax"])
    click_and_load(page, button(page, "Export Selected"))
    [run_id] = query(page)["run"]
    return ids, run_id


def test_leaving_export_and_coming_back_from_the_menu_shows_the_run(page, qbo, live_app):
    _ids, run_id = start_slow_export(page, qbo, live_app)
    click_and_load(page, page.find_element(By.LINK_TEXT, "Home"))
    assert urlsplit(page.current_url).path == "/"

    open_from_menu(page, "Setup", "QuickBooks", "Contacts", "Export to QuickBooks")
    assert urlsplit(page.current_url).path == EXPORT and "run" not in query(page)
    run = css(page, "#wsqb-run")
    assert run.get_attribute("data-finished") == "no", "the run ended before the page was back: too fast to test"
    assert css(page, "#wsqb-run-status").text.startswith("Working")
    assert run.get_attribute("data-run-url").endswith(f"/runs/{run_id}.json")
    screenshot(page, "trust-export-back-from-menu-running.png")

    assert "Completed!" in wait_for_run(page, timeout=HANG + 10)
    assert customer_names(qbo) == ["Slow Lane Bakery", "Tortoise Tax"]
    screenshot(page, "trust-export-back-from-menu-completed.png")


def test_export_selected_again_during_the_run_starts_no_second_run(page, qbo, live_app):
    ids, run_id = start_slow_export(page, qbo, live_app)
    click_and_load(page, page.find_element(By.LINK_TEXT, "Home"))
    open_from_menu(page, "Setup", "QuickBooks", "Contacts", "Export to QuickBooks")
    assert "run" not in query(page)
    assert css(page, "#wsqb-run").get_attribute("data-finished") == "no", "the run ended too soon to test"

    tick(page, ids["Slow Lane Bakery"])
    tick(page, ids["Tortoise Tax"])
    click_and_load(page, button(page, "Export Selected"))
    said = flashes(page)
    assert any("already being exported" in message for message in said), said
    assert query(page)["run"] == [run_id]  # the page shows the first run's progress
    assert runs_of(live_app, "export") == [int(run_id)]
    assert css(page, "#wsqb-run").get_attribute("data-finished") == "no"
    screenshot(page, "trust-export-already-being-exported.png")

    # 5. the progress bar survives a reload mid-run, then finishes
    page.refresh()
    assert query(page)["run"] == [run_id]
    assert css(page, "#wsqb-run").get_attribute("data-finished") == "no"
    assert css(page, "#wsqb-run-status").text.startswith("Working")
    assert "Completed!" in wait_for_run(page, timeout=HANG + 10)
    assert customer_names(qbo) == ["Slow Lane Bakery", "Tortoise Tax"]  # one customer each
    assert runs_of(live_app, "export") == [int(run_id)]


# -- 3. Match reloads itself when a per-row Export ends ----------------------------------------


def test_match_row_export_shows_the_new_link_without_a_reload(page, qbo, live_app):
    ids = add_contacts_by_name(live_app, {"display_name": "Only In The App", "email": "only@app.example"})
    contact_id = ids["Only In The App"]
    connect(page, qbo)
    page.get(page.base_url + MATCH)
    row = css(page, f'tr[data-contact-id="{contact_id}"]')
    assert row.get_attribute("data-state") == "unmatched" and "Not matched" in row.text

    qbo.fail_next(count=1, path="/batch", mode="hang", hang_seconds=2.5)  # long enough to see it run
    export = [b for b in row.find_elements(By.CSS_SELECTOR, "button") if b.text.strip() == "Export"]
    assert len(export) == 1
    click_and_load(page, export[0])
    assert "run" in query(page)
    assert css(page, "#wsqb-run").get_attribute("data-finished") == "no"
    row = css(page, f'tr[data-contact-id="{contact_id}"]')
    assert row.get_attribute("data-state") == "unmatched"  # the run has not linked it yet
    screenshot(page, "trust-match-row-export-running.png")

    # the page loads itself again when the run ends: the row now shows the link
    wait(page, EC.staleness_of(row), 15, "the Match page did not reload itself when the run ended")
    wait(page, lambda d: d.execute_script("return document.readyState") == "complete")
    [customer] = qbo.customers()
    assert customer["DisplayName"] == "Only In The App"
    row = css(page, f'tr[data-contact-id="{contact_id}"]')
    assert row.get_attribute("data-state") == "linked"
    assert row.get_attribute("data-customer-id") == customer["Id"]
    assert "Only In The App" in row.text and "linked" in row.text
    assert "Completed!" in css(page, "#wsqb-run-status").text
    assert linked_pairs(live_app) == {(contact_id, customer["Id"])}
    screenshot(page, "trust-match-row-export-linked.png")


# -- 4. Bulk Accept acts on exactly the rows shown ---------------------------------------------


def proposal_rows(driver) -> dict[str, tuple[str, str, int]]:
    """{contact id: (customer id, state, score)} of the proposal rows the Match grid shows."""
    shown = {}
    for tr in css_all(driver, "#wsqb-match-grid tr.wsqb-match-row"):
        state = tr.get_attribute("data-state")
        if state in ("proposed", "review"):
            score = int(tr.find_elements(By.CSS_SELECTOR, "td")[2].text)
            shown[tr.get_attribute("data-contact-id")] = (tr.get_attribute("data-customer-id"), state, score)
    return shown


def finish_on_match(driver) -> str:
    """Wait for the run Match Contacts shows to end: the page then loads itself again (unless the
    run had already ended when it was served); return the reloaded page's final message."""
    for _attempt in range(3):
        try:
            return _finished_on_match(driver)
        except StaleElementReferenceException:
            continue  # the page reloaded between two looks: look at the new one
    raise AssertionError("the Match page kept reloading")


def _finished_on_match(driver) -> str:
    run = css(driver, "#wsqb-run")
    if run.get_attribute("data-finished") != "yes":
        wait(driver, EC.staleness_of(run), message="the Match page did not reload itself when the run ended")
        wait(driver, lambda d: d.execute_script("return document.readyState") == "complete")
    assert css(driver, "#wsqb-run").get_attribute("data-finished") == "yes"
    assert bar_percent(driver) >= 99.5
    return css(driver, "#wsqb-run-status").text.strip()


def accept_button(driver):
    [found] = [b for b in css_all(driver, ".wsqb-accept-above button") if b.is_displayed()]
    return found


def test_bulk_accept_links_exactly_the_proposals_shown(page, qbo, live_app):
    ids = add_contacts_by_name(
        live_app,
        {"display_name": "Harbor Dental", "email": "desk@harbor.example"},
        {"display_name": "Prairie Farms", "email": "hello@prairie.example"},
        {"display_name": "Old Client", "email": "old@client.example", "hidden": True},  # hidden contact
        {"display_name": "Cedar Bakery", "email": "bread@cedar.example"},  # inactive customer
        {"display_name": "Gone Partners", "email": "gone@partners.example", "hidden": True},  # both
    )
    customers = {
        c["DisplayName"]: c["Id"]
        for c in (
            qbo.add_customer({"DisplayName": "Harbor Dental", "PrimaryEmailAddr": {"Address": "desk@harbor.example"}}),
            qbo.add_customer(
                {"DisplayName": "Prairie Farms", "PrimaryEmailAddr": {"Address": "hello@prairie.example"}}
            ),
            qbo.add_customer({"DisplayName": "Old Client", "PrimaryEmailAddr": {"Address": "old@client.example"}}),
            qbo.add_customer(
                {"DisplayName": "Cedar Bakery", "Active": False, "PrimaryEmailAddr": {"Address": "bread@cedar.example"}}
            ),
            qbo.add_customer(
                {
                    "DisplayName": "Gone Partners",
                    "Active": False,
                    "PrimaryEmailAddr": {"Address": "gone@partners.example"},
                }
            ),
        )
    }
    connect(page, qbo)
    page.get(page.base_url + MATCH)
    click_and_load(page, button(page, "Auto Match"))
    assert "Completed!" in finish_on_match(page)
    page.get(page.base_url + MATCH)  # Show Hidden off (the default)
    assert not css(page, 'input[name="show_hidden"]').is_selected()

    # every pair was proposed, as Show Hidden shows
    css(page, 'input[name="show_hidden"]').click()
    wait(page, lambda d: query(d).get("show_hidden") == ["1"], message="Show Hidden did not apply")
    wait(page, lambda d: d.execute_script("return document.readyState") == "complete")
    everything = proposal_rows(page)
    assert everything == {ids[name]: (customers[name], "proposed", everything[ids[name]][2]) for name in ids}, (
        everything
    )
    assert accept_button(page).text == f"Accept ({sum(score >= 90 for *_x, score in everything.values())})"
    screenshot(page, "trust-match-bulk-accept-show-hidden.png")
    css(page, 'input[name="show_hidden"]').click()
    wait(page, lambda d: "show_hidden" not in query(d), message="Show Hidden did not turn off")
    wait(page, lambda d: d.execute_script("return document.readyState") == "complete")

    shown = proposal_rows(page)
    assert set(shown) == {ids["Harbor Dental"], ids["Prairie Farms"]}, shown
    confident = {cid for cid, (_cust, state, score) in shown.items() if state == "proposed" and score >= 90}
    assert css(page, ".wsqb-score-input").get_attribute("value") == "90"
    assert accept_button(page).text == f"Accept ({len(confident)})"
    assert len(confident) == 2
    screenshot(page, "trust-match-bulk-accept-before.png")

    before = customer_names(qbo)
    click_and_load(page, accept_button(page))
    assert "Linked 2 contacts." in flashes(page)
    assert linked_pairs(live_app) == {
        (ids["Harbor Dental"], customers["Harbor Dental"]),
        (ids["Prairie Farms"], customers["Prairie Farms"]),
    }
    for name in ("Harbor Dental", "Prairie Farms"):
        row = css(page, f'tr[data-contact-id="{ids[name]}"]')
        assert row.get_attribute("data-state") == "linked"
        assert row.get_attribute("data-customer-id") == customers[name]
    assert proposal_rows(page) == {}
    assert accept_button(page).text == "Accept (0)"
    assert customer_names(qbo) == before  # accepting changes nothing in QuickBooks
    screenshot(page, "trust-match-bulk-accept-after.png")

    # the hidden rows' proposals are still there, unaccepted
    css(page, 'input[name="show_hidden"]').click()
    wait(page, lambda d: query(d).get("show_hidden") == ["1"], message="Show Hidden did not apply")
    wait(page, lambda d: d.execute_script("return document.readyState") == "complete")
    left = proposal_rows(page)
    assert set(left) == {ids["Old Client"], ids["Cedar Bakery"], ids["Gone Partners"]}, left
    assert all(state == "proposed" for _cust, state, _score in left.values())
    screenshot(page, "trust-match-bulk-accept-hidden-left.png")
