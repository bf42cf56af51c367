"""Preview before Export Selected, in a real browser: tick, Preview, read what would change,
untick one, Export Selected: only the rows left ticked run."""

from __future__ import annotations

import pytest

from tests.browser.helpers import add_contacts_by_name, button, click_and_load, connect, css, css_all, wait_for_run
from tests.helpers import EXPORT

pytestmark = pytest.mark.browser


def assert_usable(driver) -> None:
    """The page as it stands: no serious or critical axe violation, no sideways scroll at 400 px."""
    from tests.browser.axe import audit, serious
    from tests.browser.test_narrow import _PROBLEMS, at_width

    assert serious(audit(driver)) == []
    at_width(driver, 400)
    assert driver.execute_script(_PROBLEMS) == []
    at_width(driver, 1280)


def test_preview_then_export_the_rows_left_ticked(page, qbo, live_app):
    ids = add_contacts_by_name(
        live_app, {"display_name": "Preview Kept", "phone": "555-0800"}, {"display_name": "Preview Dropped"}
    )
    kept_id, dropped_id = ids["Preview Kept"], ids["Preview Dropped"]
    connect(page, qbo)
    page.get(page.base_url + EXPORT + "?q=Preview")
    for contact_id in (kept_id, dropped_id):
        css(page, f'input[name="selected"][value="{contact_id}"]').click()
    click_and_load(page, button(page, "Preview"))
    assert css(page, "h1").text == "Preview: Export to QuickBooks"
    rows = {r.get_attribute("data-id"): r.text for r in css_all(page, "#wsqb-preview-table tbody tr")}
    assert set(rows) == {kept_id, dropped_id} and "Not linked yet" in rows[kept_id]
    assert qbo.customers() == []  # a preview sends nothing
    assert_usable(page)
    css(page, f'#wsqb-preview-table input[value="{dropped_id}"]').click()  # untick
    click_and_load(page, button(page, "Export Selected"))
    assert "Completed!" in wait_for_run(page)
    assert [c["DisplayName"] for c in qbo.customers()] == ["Preview Kept"]
