"""Helpers of the browser tests: the example host app served on a live port, and driving the
QuickBooks pages the way a user does."""

from __future__ import annotations

import re
import threading
from pathlib import Path

from werkzeug.serving import make_server

from tests.helpers import CONNECTION, add_contacts

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"

#: Long enough for a background run against the emulator, short enough to fail fast.
WAIT = 15


class LiveServer:
    """A real HTTP server for ``app`` on a free port, in a thread: the browser needs a URL."""

    def __init__(self, app):
        self.app = app
        self._server = make_server("127.0.0.1", 0, app, threaded=True)
        self.url = f"http://127.0.0.1:{self._server.server_port}"
        self._thread = threading.Thread(target=self._server.serve_forever, name="live-server", daemon=True)
        self._thread.start()

    def stop(self):
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(5)


def add_contacts_by_name(app, *contacts: dict) -> dict[str, str]:
    """Add host contacts as the host app would; their ids by display name, since a browser
    test finds a contact's row by what the page shows."""
    return dict(zip((fields["display_name"] for fields in contacts), add_contacts(app, *contacts), strict=True))


def wait(driver, condition, timeout: float = WAIT, message: str = ""):
    """Wait for ``condition``; an element gone stale meanwhile (the page loaded itself again, as
    Match does when a run ends) means "not yet", not a failure."""
    from selenium.common.exceptions import StaleElementReferenceException
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(
        driver, timeout, poll_frequency=0.05, ignored_exceptions=(StaleElementReferenceException,)
    ).until(condition, message)


def css(driver, selector: str):
    """The one element ``selector`` finds (fails if there is none)."""
    from selenium.webdriver.common.by import By

    return driver.find_element(By.CSS_SELECTOR, selector)


def css_all(driver, selector: str):
    """Every element ``selector`` finds, maybe none: for asking whether something is shown."""
    from selenium.webdriver.common.by import By

    return driver.find_elements(By.CSS_SELECTOR, selector)


def button(driver, label: str):
    """The one visible button with exactly this text."""
    from selenium.webdriver.common.by import By

    found = [b for b in driver.find_elements(By.XPATH, f'//button[normalize-space()="{label}"]') if b.is_displayed()]
    assert len(found) == 1, f"expected one {label!r} button, found {len(found)}"
    return found[0]


def click_and_load(driver, element, timeout: float = WAIT):
    """Click something that loads a new page and wait until the new page is there."""
    element.click()
    wait(driver, lambda _d: _gone(element), timeout, "the page did not reload")
    wait(driver, lambda d: d.execute_script("return document.readyState") == "complete", timeout)


def _gone(element) -> bool:
    """Whether ``element`` left the document (its page was replaced)."""
    from selenium.common.exceptions import WebDriverException

    try:
        element.is_enabled()
    except WebDriverException:  # stale; chromedriver also answers "does not belong to the document"
        return True
    return False


def connect(driver, qbo) -> None:
    """Connection page → Connect to QuickBooks → emulator consent (automatic) → back."""
    qbo.auto_consent = True
    driver.get(driver.base_url + CONNECTION)
    click_and_load(driver, button(driver, "Connect to QuickBooks"))
    wait(
        driver,
        lambda d: d.current_url.startswith(d.base_url + CONNECTION) and css_all(d, "#wsqb-company-name"),
        message="did not come back to the Connection page, connected",
    )
    if css_all(driver, "#wsqb-run"):  # connecting loads the customer list; let it finish
        assert "Completed!" in wait_for_run(driver)


def row_ids(driver, visible_only: bool = True) -> list[str]:
    """The grid's rows, by id, in page order; hidden rows (filtered out) only when asked."""
    rows = css_all(driver, "#wsqb-grid tbody tr.wsqb-row")
    return [r.get_attribute("data-id") for r in rows if r.is_displayed() or not visible_only]


def checked_ids(driver) -> list[str]:
    """The ids whose tick box is ticked: what pressing the form's button would send."""
    return [b.get_attribute("value") for b in css_all(driver, 'input[name="selected"]') if b.is_selected()]


def wait_for_run(driver, timeout: float = WAIT) -> str:
    """Wait until the progress bar is full and the run's final message shows; return it."""
    wait(
        driver,
        lambda d: css(d, "#wsqb-run").get_attribute("data-finished") == "yes" or css(d, "#wsqb-run-status .wsqb-alert"),
        timeout,
        "the run did not finish",
    )
    wait(driver, lambda d: bar_percent(d) >= 99.5, timeout, "the progress bar did not reach 100%")
    return css(driver, "#wsqb-run-status").text.strip()


def bar_percent(driver) -> float:
    """The progress bar's rendered width as a share of its track (after the CSS transition)."""
    return driver.execute_script(
        "var b = document.getElementById('wsqb-progress-bar');"
        "return 100 * b.getBoundingClientRect().width / b.parentNode.getBoundingClientRect().width;"
    )


def background_rgb(driver, element) -> tuple[int, int, int]:
    """The colour a row's cells are painted with (the cell's own background, else the row's)."""
    colour = driver.execute_script(
        "var el = arguments[0], cell = el.cells && el.cells[1];"
        "var c = cell ? getComputedStyle(cell).backgroundColor : '';"
        "if (!c || c === 'rgba(0, 0, 0, 0)' || c === 'transparent') c = getComputedStyle(el).backgroundColor;"
        "return c;",
        element,
    )
    r, g, b = (int(v) for v in re.findall(r"\d+", colour)[:3])
    return r, g, b


def is_reddish(rgb: tuple[int, int, int]) -> bool:
    """Whether a colour reads as a warning red, whatever shade the stylesheet picks."""
    r, g, b = rgb
    return r > 200 and r - g >= 20 and r - b >= 20


def screenshot(driver, name: str) -> Path:
    """Save the whole page in test-artifacts/ for a person to look at; the file's path."""
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / name
    # the whole page, not just the viewport: grow the window to the document for the shot
    size = driver.get_window_size()
    height = driver.execute_script("return Math.max(document.body.scrollHeight, document.documentElement.scrollHeight)")
    driver.set_window_size(size["width"], max(size["height"], min(height + 140, 3000)))
    try:
        driver.save_screenshot(str(path))
    finally:
        driver.set_window_size(size["width"], size["height"])
    return path
