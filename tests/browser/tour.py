"""Every page of the extension and of the example app, each in the states a user meets it in: what
the accessibility and narrow-screen tests walk through.

The states are made through the app's own doors (its forms over HTTP, the emulator's API), then
the browser only looks.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import urlsplit

import sqlalchemy as sa

from tests.helpers import (
    CONNECTION,
    EXPORT,
    IMPORT,
    add_contacts,
    connect_quickbooks,
    post_form,
    run_id_of,
    wait_for_run,
)

MATCH = "/setup/quickbooks/contacts/match"
HISTORY = "/setup/quickbooks/history"
HEALTH = "/setup/quickbooks/health"

#: A long name and a long email: they must wrap without pushing the page sideways.
LONG_NAME = "Van der Berg-Fitzgerald Plumbing & Heating Contractors of Greater Portland LLC"
CONTACTS = (
    {"display_name": "Cedar Bakery", "company": "Cedar Bakery", "phone": "(503) 555-0100", "city": "Portland"},
    {"display_name": "Robert Smith", "first_name": "Robert", "last_name": "Smith", "email": "bob@smith.example"},
    {
        "display_name": LONG_NAME,
        "company": LONG_NAME,
        "email": "accounts.payable.department@vanderbergfitzgeraldplumbing.example",
        "phone": "(503) 555-0142",
        "street": "12345 Southwest Macadam Avenue Suite 450",
        "city": "Portland",
        "state": "OR",
    },
    {"display_name": "Zebulon Quaxley", "phone": "(971) 555-0111"},
)


@dataclass(frozen=True)
class Stop:
    """One page in one state: a name for reports and screenshots, and its path."""

    name: str
    path: str


def before_connecting(app) -> list[Stop]:
    """The pages of an app with contacts but no QuickBooks company connected."""
    ids = add_contacts(app, *CONTACTS)
    return [
        Stop("home", "/"),
        Stop("contacts", "/contacts/"),
        Stop("contact", f"/contacts/{ids[0]}"),
        Stop("contact-form", f"/contacts/{ids[0]}/edit"),
        Stop("connection-not-connected", CONNECTION),
        Stop("health-not-connected", HEALTH),
    ]


def connected(app, qbo) -> list[Stop]:
    """The pages after a day's work: contacts imported (one refused), exported (one refused),
    Auto Match's proposals waiting, a Pull in the history, automatic sync on."""
    ids = dict(zip((c["display_name"] for c in CONTACTS), add_contacts(app, *CONTACTS), strict=True))
    qbo.add_customer({"DisplayName": "Cedar Bakery", "PrimaryPhone": {"FreeFormNumber": "(503) 555-0199"}})
    qbo.add_customer({"DisplayName": "Bob Smith", "PrimaryEmailAddr": {"Address": "bob@smith.example"}})
    harbor = qbo.add_customer({"DisplayName": "Harbor Dental", "CompanyName": "Harbor Dental PC"})
    refused = qbo.add_customer({"DisplayName": "Refused Client"})
    qbo.add_customer({"DisplayName": LONG_NAME + " (billing)", "CompanyName": LONG_NAME})
    qbo.seed_customers(6, inactive_ratio=0.2, seed=3)
    qbo.add_vendor("Zebulon Quaxley")  # QuickBooks refuses a customer by a vendor's name (6240)
    with app.app_context():  # the app's database refuses one contact
        db = app.extensions["sqlalchemy"]
        db.session.execute(
            sa.text(
                "CREATE TRIGGER refuse_client BEFORE INSERT ON contact WHEN NEW.display_name = 'Refused Client' "
                "BEGIN SELECT RAISE(ABORT, 'no new contacts named Refused Client'); END"
            )
        )
        db.session.commit()

    client = app.test_client()
    connect_quickbooks(client, qbo)
    imported = _run(client, IMPORT, {"selected": [harbor["Id"], refused["Id"]]})
    exported = _run(client, EXPORT, {"selected": [ids["Zebulon Quaxley"], ids[LONG_NAME]]})
    post_form(client, f"/contacts/{ids['Cedar Bakery']}", f"/setup/quickbooks/contacts/{ids['Cedar Bakery']}/pull")
    matched = _run(client, MATCH, {}, MATCH + "/auto")
    settings = {"auto_sync": "both", "new_customers": "propose", "new_contacts": "leave"}
    post_form(client, CONNECTION, CONNECTION + "/settings", settings)
    return [
        Stop("connection", CONNECTION),
        Stop("import", imported),
        Stop("export", exported),
        Stop("match", matched),
        Stop("match-link", f"{MATCH}/contacts/{ids['Zebulon Quaxley']}/link"),
        Stop("history", HISTORY),
        Stop("health", HEALTH),
        Stop("contact-linked", f"/contacts/{ids['Cedar Bakery']}"),
        Stop("contact-long-name", f"/contacts/{ids[LONG_NAME]}"),
        Stop("contacts-connected", "/contacts/"),
        Stop("home-connected", "/"),
    ]


def _run(client, page: str, data: dict, action: str | None = None) -> str:
    """Submit a form that starts a run, wait for it; the page showing its result."""
    answer = post_form(client, page, action or page, data)
    wait_for_run(client, run_id_of(answer))
    location = urlsplit(answer.headers["Location"])
    return f"{location.path}?{location.query}"


@contextlib.contextmanager
def denied(action: str = "history") -> Iterator[str]:
    """The example app's access check refusing ``action`` for a while; the page it guards."""
    from example_app.app import wsqb

    previous = wsqb._access_check
    wsqb.access_check(lambda asked: asked != action)
    try:
        yield HISTORY
    finally:
        wsqb._access_check = previous
