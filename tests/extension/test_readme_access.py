"""The README's access table is the truth: it lists every URL of the extension, and each URL
refuses a user missing one of the actions it names and lets in a user holding just those."""

from __future__ import annotations

import re
import time
from pathlib import Path

from tests.extension.helpers import EVERY_ACTION
from tests.helpers import (
    EXPORT,
    add_contact,
    connect_quickbooks,
    csrf_token,
    post_form,
    refresh_list,
    run_id_of,
    wait_for_run,
)

README = Path(__file__).resolve().parents[2] / "README.md"
PREFIX = "/setup/quickbooks"
#: How the README writes each URL parameter.
PLACEHOLDERS = {
    "run_id": "<id>",
    "proposal_id": "<id>",
    "event_id": "<id>",
    "change_id": "<id>",
    "contact_id": "<contact id>",
    "customer_id": "<customer id>",
}
ROW = re.compile(r"^\s*\| (GET|POST|GET, POST) \| `([^`]+)` \| (.+) \|\s*$")


def readme_table() -> list[tuple[list[str], str, str]]:
    """(methods, path, actions cell) for each row of the README's access table."""
    rows = [ROW.match(line) for line in README.read_text(encoding="utf-8").splitlines()]
    return [(m.group(1).split(", "), m.group(2), m.group(3)) for m in rows if m]


def needs(path: str, cell: str) -> tuple[set[str], str]:
    """The actions a row names, and whether all of them or one of them is needed."""
    if path.startswith("/runs/"):
        return {"export"}, "all"  # the run used below is an export
    named = set(re.findall(r"`(\w+)`", cell))
    return named, "any" if " or " in cell else "all"


def test_the_table_lists_every_url_of_the_extension(app):
    listed = {(method, PREFIX + path) for methods, path, _ in readme_table() for method in methods}
    served = set()
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith("wsqb.") and rule.endpoint != "wsqb.static":
            path = re.sub(r"<(?:[^:>]+:)?([^>]+)>", lambda m: PLACEHOLDERS[m.group(1)], rule.rule)
            served |= {(method, path) for method in rule.methods - {"HEAD", "OPTIONS"}}
    assert served == listed


def test_each_url_needs_exactly_the_actions_the_table_names(app, client, qbo, allowed):
    connect_quickbooks(client, qbo)
    contact_id = add_contact(app, display_name="Table Check")
    customer = qbo.add_customer({"DisplayName": "Table Customer"})
    refresh_list(client)
    run_id = run_id_of(post_form(client, EXPORT, EXPORT, {"selected": [contact_id]}))
    wait_for_run(client, run_id)
    ids = {"<id>": str(run_id), "<contact id>": contact_id, "<customer id>": customer["Id"]}
    token = csrf_token(client, EXPORT)
    rows = sorted(readme_table(), key=lambda row: row[1] == "/connection/disconnect")  # disconnect last
    for methods, path, cell in rows:
        url = PREFIX + re.sub(r"<[^>]+>", lambda m: ids[m.group(0)], path)
        required, mode = needs(path, cell)
        for method in methods:
            missing = [required] if mode == "any" else [{action} for action in required]
            for absent in missing:
                status = answer(client, allowed, EVERY_ACTION - absent, method, url, token)
                assert status == 403, (method, url, "without", absent)
            held = required if mode == "all" else {sorted(required)[0]}
            assert answer(client, allowed, held, method, url, token) != 403, (method, url)
    allowed.update(EVERY_ACTION)
    _wait_for_every_run(client, run_id)


def answer(client, allowed: set, actions: set, method: str, url: str, token: str) -> int:
    """The status ``url`` answers a user allowed just ``actions``."""
    allowed.clear()
    allowed.update(actions)
    if method == "GET":
        return client.get(url).status_code
    return client.post(url, data={"csrf_token": token}).status_code


def _wait_for_every_run(client, first: int) -> None:
    """Runs the POSTs started (Auto Match, imports, exports, refreshes) end before the app does."""
    deadline = time.monotonic() + 60
    run_id = first
    while time.monotonic() < deadline:
        answer = client.get(f"{PREFIX}/runs/{run_id}.json")
        if answer.status_code == 404:
            return
        if answer.get_json()["finished"]:
            run_id += 1
        else:
            time.sleep(0.05)
    raise AssertionError(f"run {run_id} did not finish")
