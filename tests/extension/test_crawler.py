"""No route answers 500, whatever it is asked and whatever the connection's state.

One test per database walks the connection through its states — never connected, connected,
disconnected with data left behind, another company signed in (switch pending), reconnect
needed (before and after the app noticed), undecryptable tokens — and in each one requests
every route of the extension with valid, missing, huge and malformed ids, junk query strings
and junk form fields (see crawl_helpers). Every 5xx answer and every exception is collected,
and the test lists them all at the end, grouped by route and cause."""

from __future__ import annotations

import itertools
import threading
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
import sqlalchemy as sa

from example_app import create_app
from flask_wsqb.tasks.rounds import stop_timers
from tests.auto.helpers import TOKEN, WEBHOOKS, cloudevents, signature
from tests.extension.crawl_helpers import QUICK, Crawler, Variants, all_routes, report, valid_ids
from tests.helpers import EXPORT, IMPORT, add_contacts, connect_quickbooks, host_config

PREFIX = "/setup/quickbooks"
MATCH = PREFIX + "/contacts/match"
#: The crawl starts hundreds of runs: lift the request budget, or its 38 batch requests a
#: minute would make the runs wait (by design) for most of the test.
UNTHROTTLED = {"WSQB_RATE_PER_MINUTE": 1_000_000, "WSQB_BATCH_PER_MINUTE": 1_000_000}


@pytest.fixture
def app_config(db_url, qbo) -> dict:
    return host_config(db_url, qbo, WSQB_WEBHOOK_VERIFIER_TOKEN=TOKEN, **UNTHROTTLED)


def seed(app, qbo) -> None:
    """Contacts and customers that give Import, Export and Sync something to do."""
    add_contacts(
        app,
        {"display_name": "Zebulon Quaxley"},
        {"display_name": "Pull Target", "phone": "555-0100"},
        {"display_name": "Quiet Archive", "hidden": True},
    )
    qbo.add_customer({"DisplayName": "Cedar Bakery"})
    qbo.add_customer({"DisplayName": "Pull Target", "PrimaryPhone": {"FreeFormNumber": "555-0199"}})
    qbo.add_customer({"DisplayName": "Old Ledger", "Active": False})


def ids(app, column, *where) -> list[str]:
    with app.app_context():
        session = app.extensions["wsqb"].db.session
        return [str(v) for v in session.execute(sa.select(column).where(*where).order_by(column)).scalars()]


_pairs = itertools.count(1)


def make_data(crawler: Crawler, qbo) -> None:
    """A run of each kind, a proposal, a link event and a history entry, through the pages.

    Two new contact/customer pairs each time: Auto Match proposes both, one is accepted (a link
    event) and the other stays proposed for the crawl (earlier proposals were used up)."""
    from example_app.models import Contact

    app, models = crawler.app, crawler.app.extensions["wsqb"].models
    for name in (f"Dana Whitfield {next(_pairs)}", f"Eli Brandt {next(_pairs)}"):
        email = name.lower().replace(" ", ".") + "@example.com"
        add_contacts(app, {"display_name": name, "email": email})
        qbo.add_customer({"DisplayName": name, "PrimaryEmailAddr": {"Address": email}})
    crawler.post(IMPORT + "/refresh")
    crawler.post(MATCH + "/auto")
    for proposal in ids(app, models.MatchProposal.id, models.MatchProposal.status == "proposed")[:1]:
        crawler.post(f"{MATCH}/proposals/{proposal}/accept")
    cedar = [c["Id"] for c in qbo.customers() if c["DisplayName"] == "Cedar Bakery"]
    crawler.post(IMPORT, {"selected": cedar})
    crawler.post(EXPORT, {"selected": ids(app, Contact.id, Contact.display_name == "Zebulon Quaxley")})
    for contact in ids(app, Contact.id, Contact.display_name == "Pull Target"):
        crawler.post(f"{PREFIX}/contacts/{contact}/sync")
    delivery = cloudevents(qbo.realm_id, (cedar[0] if cedar else "1", "updated"))
    crawler.request("POST", WEBHOOKS, delivery, {"intuit-signature": signature(delivery)})  # as Intuit signs it
    missing = [kind for kind, found in valid_ids(app).items() if not found]
    if missing:
        crawler.note(f"setting up left no {', '.join(missing)} to crawl with")


def sign_in_to_another_company(crawler: Crawler, qbo) -> None:
    """Connect again choosing another company on the consent screen: the app holds that
    sign-in and asks whether to switch (Connection → switch)."""
    realm_id = qbo.add_company("Birch CPA Books")
    answer = crawler.post(PREFIX + "/connection/connect")
    if answer is not None and answer.status_code == 302:
        authorize = urlsplit(answer.headers["Location"])
        consent = requests.post(
            qbo.base_url + authorize.path,
            allow_redirects=False,
            timeout=5,
            data={**{k: v[0] for k, v in parse_qs(authorize.query).items()}, "realmId": realm_id, "action": "connect"},
        )
        callback = urlsplit(consent.headers["Location"])
        answer = crawler.get(f"{callback.path}?{callback.query}")
    if answer is None or not answer.headers.get("Location", "").endswith("/connection/switch"):
        crawler.note("signing in to another company did not ask whether to switch")


def noticed(app) -> bool:
    with app.app_context():
        state = app.extensions["wsqb"]
        Connection = state.models.Connection
        return state.db.session.execute(sa.select(Connection.auth_error)).scalar_one_or_none() is not None


def test_no_route_answers_500_in_any_connection_state(app, client, qbo, db_url, monkeypatch):
    variants = Variants() if db_url.startswith("sqlite") else QUICK  # PostgreSQL: fewer, for time
    failures: list = []
    crawlers: list[Crawler] = []
    # a background run's crash is blamed on the request that started it (see Crawler.thread_failed)
    monkeypatch.setattr(threading, "excepthook", lambda args: crawlers[-1].thread_failed(args))

    def crawler(state: str, on=None, with_client=None) -> Crawler:
        crawlers.append(Crawler(on or app, with_client or client, state, failures, variants))
        return crawlers[-1]

    seed(app, qbo)
    crawler("never connected").crawl()

    connect_quickbooks(client, qbo)
    make_data(crawler("connected (setting up)"), qbo)
    crawler("connected").crawl()  # it ends by disconnecting
    crawler("disconnected, data kept").crawl()

    connect_quickbooks(client, qbo)
    setup = crawler("another company signed in, switch pending (setting up)")
    make_data(setup, qbo)
    sign_in_to_another_company(setup, qbo)
    crawler("another company signed in, switch pending").crawl()  # it switches, then disconnects

    connect_quickbooks(client, qbo)
    make_data(crawler("reconnect needed (setting up)"), qbo)
    qbo.revoke_all()
    qbo.advance(3700)  # the access token has expired and refreshing it is refused
    crawler("reconnect needed, not yet noticed").crawl()

    connect_quickbooks(client, qbo)
    setup = crawler("reconnect needed, noticed (setting up)")
    make_data(setup, qbo)
    qbo.revoke_all()
    qbo.advance(3700)
    setup.post(f"{PREFIX}/contacts/{valid_ids(app)['contact_id'][0]}/sync")  # the app notices here
    if not noticed(app):
        setup.note("a Sync refused by QuickBooks did not mark the connection for reconnecting")
    crawler("reconnect needed, noticed").crawl()

    connect_quickbooks(client, qbo)
    make_data(crawler("undecryptable tokens (setting up)"), qbo)
    other = create_app(host_config(db_url, qbo, SECRET_KEY="another-secret-key", **UNTHROTTLED))
    try:
        crawler("undecryptable tokens", other, other.test_client()).crawl()
    finally:
        stop_timers(other)
        with other.app_context():
            other.extensions["sqlalchemy"].engine.dispose()

    # a route that never answered below 400 (refused, not found...) was not really tested
    for route in sorted(all_routes(app) - set().union(*(c.reached for c in crawlers))):
        crawlers[-1].note(f"{route} never answered below 400: the crawl did not exercise it")
    assert not failures, report(failures)
