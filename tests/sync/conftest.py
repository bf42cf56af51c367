from __future__ import annotations

import time
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.conftest import connect_quickbooks, post_form

IMPORT = "/setup/quickbooks/contacts/import"
EXPORT = "/setup/quickbooks/contacts/export"


def wait_for_run(client, run_id: int, timeout: float = 60.0) -> dict:
    """Poll the run's JSON, as the progress bar does, until it finishes."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        report = client.get(f"/setup/quickbooks/runs/{run_id}.json").get_json()
        if report["finished"]:
            return report
        time.sleep(0.05)
    raise AssertionError(f"run {run_id} did not finish in {timeout} s: {report}")


def run_id_of(answer) -> int:
    assert answer.status_code == 302, answer.get_data(as_text=True)
    return int(parse_qs(urlsplit(answer.headers["Location"]).query)["run"][0])


def submit(client, page: str, selected: list[str], action: str | None = None) -> dict:
    """Tick ``selected`` on the form and press its submit button; wait for the run."""
    answer = post_form(client, page, action or page.split("?")[0], {"selected": selected})
    return wait_for_run(client, run_id_of(answer))


def refresh_list(client) -> dict:
    return submit(client, IMPORT, [], IMPORT + "/refresh")


@pytest.fixture
def linked_app(app, client, qbo):
    """Connected to the emulator, customers list loaded."""
    connect_quickbooks(client, qbo)
    return app


def items_by_key(report: dict) -> dict:
    return {item["key"]: item for item in report["items"]}
