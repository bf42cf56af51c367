"""Helpers for driving the example host app the way a user's browser does: its config, the
forms (with their CSRF token), connecting to the emulator, adding host contacts and waiting for
the runs the forms start."""

from __future__ import annotations

import re
import time
from urllib.parse import parse_qs, urlsplit

import requests

CONNECTION = "/setup/quickbooks/connection"
IMPORT = "/setup/quickbooks/contacts/import"
EXPORT = "/setup/quickbooks/contacts/export"


def host_config(db_url: str, qbo, **overrides) -> dict:
    """Config of an example host app on ``db_url`` talking only to the emulator ``qbo``."""
    config = {
        "TESTING": True,
        "SECRET_KEY": "test-secret",
        "SQLALCHEMY_DATABASE_URI": db_url,
        "EXAMPLE_EMULATOR": False,
        "EXAMPLE_SEED": False,
        "WSQB_CLIENT_ID": qbo.client_id,
        "WSQB_CLIENT_SECRET": qbo.client_secret,
        "WSQB_ENVIRONMENT": qbo.discovery_url,
        "WSQB_API_URL": qbo.api_url,
        "WSQB_TIMEOUT": 5.0,
        # QuickBooks asks for a minute's pause after a 429; the emulator's faults need none.
        "WSQB_RETRY_BACKOFF": 0.01,
        "WSQB_RETRY_MAX_WAIT": 0.1,
    }
    config.update(overrides)
    return config


_CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def csrf_token(client, page: str) -> str:
    """The CSRF token a user's browser would send, read from the form page."""
    html = client.get(page).get_data(as_text=True)
    match = _CSRF.search(html)
    assert match, f"no CSRF token on {page}"
    return match.group(1)


def post_form(client, page: str, action: str, data: dict | None = None, **kw):
    """Submit a form found on ``page`` to ``action``, as a browser would."""
    return client.post(action, data={"csrf_token": csrf_token(client, page), **(data or {})}, **kw)


def connect_quickbooks(client, qbo) -> None:
    """Walk the real OAuth flow: Connect → emulator consent (auto) → callback."""
    qbo.auto_consent = True
    answer = post_form(client, CONNECTION, CONNECTION + "/connect")
    assert answer.status_code == 302, answer.get_data(as_text=True)
    consent = requests.get(answer.headers["Location"], allow_redirects=False, timeout=5)
    assert consent.status_code in (302, 303), consent.text
    callback = urlsplit(consent.headers["Location"])
    done = client.get(f"{callback.path}?{callback.query}")
    assert done.status_code == 302
    # connecting loads the customer list in the background; let it finish first
    wait_for_run(client, run_id_of(done))


def contact_action(client, page: str, contact_id: str, action: str, *, create: bool = True) -> str:
    """Click Pull or Sync in the QuickBooks menu of the contact ``page``; the page it lands on.
    Sync of a contact with no customer to sync with asks first: ``create`` answers *Create in
    QuickBooks*, as the user would."""
    url = f"/setup/quickbooks/contacts/{contact_id}/{action}"
    answer = post_form(client, page, url, follow_redirects=True)
    assert answer.status_code == 200
    if create and 'id="wsqb-confirm-create"' in answer.get_data(as_text=True):
        answer = post_form(client, page, url, {"create": "yes"}, follow_redirects=True)
        assert answer.status_code == 200
    return answer.get_data(as_text=True)


def report_of(client, run_id: int) -> dict:
    """The run's JSON report, as the progress bar reads it."""
    return client.get(f"/setup/quickbooks/runs/{run_id}.json").get_json()


def wait_for_run(client, run_id: int, timeout: float = 60.0) -> dict:
    """Poll the run's JSON, as the progress bar does, until it finishes."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        report = report_of(client, run_id)
        if report["finished"]:
            return report
        time.sleep(0.05)
    raise AssertionError(f"run {run_id} did not finish in {timeout} s: {report}")


def run_id_of(answer) -> int:
    """The run a form's answer redirects to (its ``?run=`` parameter)."""
    assert answer.status_code == 302, answer.get_data(as_text=True)
    return int(parse_qs(urlsplit(answer.headers["Location"]).query)["run"][0])


def submit(client, page: str, selected: list[str], action: str | None = None) -> dict:
    """Tick ``selected`` on the form and press its submit button; wait for the run."""
    answer = post_form(client, page, action or page.split("?")[0], {"selected": selected})
    return wait_for_run(client, run_id_of(answer))


def refresh_list(client) -> dict:
    """Press Import's refresh button: the app's copy of the customer list is reloaded."""
    return submit(client, IMPORT, [], IMPORT + "/refresh")


def add_contacts(app, *contacts: dict) -> list[str]:
    """Create host contacts as the host app would; their ids, in order."""
    from example_app.models import Contact, db

    with app.app_context():
        rows = [Contact(**fields) for fields in contacts]
        db.session.add_all(rows)
        db.session.commit()
        return [str(row.id) for row in rows]


def add_contact(app, **fields) -> str:
    """Create one host contact; its id."""
    return add_contacts(app, fields)[0]


def items_by_key(report: dict) -> dict:
    """A run report's items by their key, for looking one up."""
    return {item["key"]: item for item in report["items"]}


def linked_pairs(app, realm_id: str | None = None) -> set[tuple[str, str]]:
    """(contact id, customer id) of every link the app keeps (of one company, if given)."""
    import sqlalchemy as sa

    with app.app_context():
        state = app.extensions["wsqb"]
        Link = state.models.ContactLink
        query = sa.select(Link.contact_id, Link.customer_id)
        if realm_id is not None:
            query = query.where(Link.realm_id == realm_id)
        return {(contact_id, customer_id) for contact_id, customer_id in state.db.session.execute(query)}
