"""Every page at a phone's width (400 px) and a laptop's (1280 px): nothing scrolls sideways (a grid
scrolls inside its own box), no button is cut off, the menus open on screen, phone numbers stay on
one or two lines. A screenshot of each page at each width lands in test-artifacts/."""

from __future__ import annotations

import pytest
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.keys import Keys

from tests.browser import tour
from tests.browser.helpers import screenshot, wait

pytestmark = pytest.mark.browser

WIDTHS = (400, 1280)
HEIGHT = 900

#: What is wrong on the page as it is laid out now, one line per problem.
_PROBLEMS = """
var problems = [], doc = document.documentElement, width = doc.clientWidth;
if (doc.scrollWidth > width) problems.push('scrolls sideways: ' + doc.scrollWidth + ' > ' + width);
function scrollsInItsBox(el) {
  for (var up = el.parentElement; up; up = up.parentElement) {
    var x = getComputedStyle(up).overflowX;
    if (up.scrollWidth > up.clientWidth && (x === 'auto' || x === 'scroll')) return true;
  }
  return false;
}
function name(el) {
  return el.tagName.toLowerCase() + ' "' + (el.innerText || el.value || '').trim().slice(0, 40) + '"';
}
document.querySelectorAll('button, .button, input[type=submit], a.wsqb-button').forEach(function (el) {
  var box = el.getBoundingClientRect();
  if (!box.width || getComputedStyle(el).visibility === 'hidden') return;
  if (el.scrollWidth > el.clientWidth + 1) problems.push('text cut off in ' + name(el));
  if ((box.right > width + 1 || box.left < -1) && !scrollsInItsBox(el)) problems.push('off screen: ' + name(el));
});
var phone = /^\\(?\\d{3}\\)?[ .-]?\\d{3}-\\d{4}$/;
document.querySelectorAll('td, dd').forEach(function (cell) {
  var text = cell.innerText.trim();
  if (!phone.test(text) || !cell.getBoundingClientRect().width) return;
  var range = document.createRange();
  range.selectNodeContents(cell);
  var tops = {};
  Array.prototype.forEach.call(range.getClientRects(), function (r) { if (r.width) tops[Math.round(r.top)] = 1; });
  if (Object.keys(tops).length > 2) problems.push('phone number on ' + Object.keys(tops).length + ' lines: ' + text);
});
return problems;
"""

#: Every dropdown and nested list shown now lies within the screen's width.
_MENUS_ON_SCREEN = """
var width = document.documentElement.clientWidth, problems = [];
document.querySelectorAll('.dropdown, .dropdown ul').forEach(function (list) {
  var box = list.getBoundingClientRect();
  if (box.width && (box.right > width + 1 || box.left < -1))
    problems.push('menu off screen: ' + Math.round(box.left) + '..' + Math.round(box.right) + ' of ' + width);
});
return problems;
"""


def at_width(driver, width: int) -> None:
    driver.set_window_size(width, HEIGHT)
    inner = driver.execute_script("return window.innerWidth")
    assert inner == width, f"the browser gave a {inner} px viewport for {width}"


def look(driver, name: str, path: str) -> list[str]:
    """Load the page at each width; what is wrong with it, and a screenshot of each."""
    problems = []
    for width in WIDTHS:
        at_width(driver, width)
        driver.get(driver.base_url + path)
        wait(driver, lambda d: d.execute_script("return document.readyState") == "complete")
        found = driver.execute_script(_PROBLEMS)
        problems += [f"{name} at {width} px: {p}" for p in found]
        screenshot(driver, f"{name}-{width}.png")
    return problems


def press_on(driver, element, key: str) -> None:
    """Focus ``element`` and press ``key``, as a keyboard user on it does."""
    driver.execute_script("arguments[0].focus()", element)
    ActionChains(driver).send_keys(key).perform()


def open_every_menu(driver, name: str) -> list[str]:
    """Open each header menu and every list in it from the keyboard; what lies off screen."""
    problems = []
    for title in driver.find_elements("css selector", ".menubar .menu-title"):
        menu = title.text
        press_on(driver, title, Keys.ENTER)
        for label in driver.find_elements("css selector", f"#{title.get_attribute('aria-controls')} .wsqb-menu-label"):
            if label.get_attribute("aria-expanded") == "false":
                press_on(driver, label, Keys.ENTER)
        problems += [f"{name}, {menu} menu: {p}" for p in driver.execute_script(_MENUS_ON_SCREEN)]
        problems += [f"{name}, {menu} menu: {p}" for p in driver.execute_script(_PROBLEMS)]
        screenshot(driver, f"{name}-{menu.lower()}-menu-{driver.execute_script('return window.innerWidth')}.png")
        press_on(driver, title, Keys.ESCAPE)
    return problems


def test_before_connecting(page, live_app):
    problems = []
    for stop in tour.before_connecting(live_app):
        problems += look(page, stop.name, stop.path)
    page.set_window_size(1280, 1000)
    assert not problems, "\n".join(problems)


def test_after_a_days_work(page, qbo, live_app):
    problems = []
    stops = tour.connected(live_app, qbo)
    for stop in stops:
        problems += look(page, stop.name, stop.path)
    with tour.denied() as path:
        problems += look(page, "denied", path)
    contact = next(s.path for s in stops if s.name == "contact-long-name")
    for width in WIDTHS:
        at_width(page, width)
        page.get(page.base_url + contact)
        problems += open_every_menu(page, "contact-long-name")
    page.set_window_size(1280, 1000)
    assert not problems, "\n".join(problems)
