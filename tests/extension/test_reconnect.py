"""When QuickBooks no longer accepts the connection — refresh token revoked or expired, tokens
of another company, tokens that no longer decrypt — every page shows one banner saying
QuickBooks must be reconnected, every action says the same instead of trying (no 500), the
contact page's menu shows it, and a run fails once with that message."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
import requests
import sqlalchemy as sa

from tests.helpers import (
    EXPORT,
    IMPORT,
    add_contact,
    add_contacts,
    connect_quickbooks,
    contact_action,
    csrf_token,
    post_form,
    refresh_list,
    run_id_of,
    wait_for_run,
)

PREFIX = "/setup/quickbooks"
MATCH = PREFIX + "/contacts/match"
PAGES = [PREFIX + "/connection", IMPORT, EXPORT, MATCH, PREFIX + "/history"]
MUST = "QuickBooks must be reconnected"


def revoked(app, client, qbo):
    qbo.revoke_all()
    qbo.advance(3700)  # the access token has expired and the refresh will be refused


def refresh_expired(app, client, qbo):
    qbo.advance(101 * 24 * 3600)  # past the refresh token's 100 days


def other_company(app, client, qbo):
    """The stored tokens open another company than the one the connection names."""
    realm_id = qbo.add_company("Somebody Else's Books")
    with app.app_context():
        state = app.extensions["wsqb"]
        state.db.session.execute(sa.update(state.models.Connection).values(realm_id=realm_id))
        state.db.session.commit()


def reconnect(client, qbo) -> None:
    """Connection page → Reconnect → consent (the emulator's first company) → back; confirm the
    switch when the connection had come to name another company."""
    qbo.auto_consent = True
    answer = post_form(client, PREFIX + "/connection", PREFIX + "/connection/connect")
    consent = requests.get(answer.headers["Location"], allow_redirects=False, timeout=5)
    callback = urlsplit(consent.headers["Location"])
    done = client.get(f"{callback.path}?{callback.query}")
    if done.headers["Location"].endswith("/connection/switch"):
        done = post_form(client, PREFIX + "/connection/switch", PREFIX + "/connection/switch", {"choice": "switch"})
    wait_for_run(client, run_id_of(done))


BREAKS = {"revoked": revoked, "refresh expired": refresh_expired, "other company": other_company}


def notice(client, app, contact_id: str) -> None:
    """Let the app meet the rejection through a public door: a Sync of a contact."""
    page = post_form(client, f"/contacts/{contact_id}", f"{PREFIX}/contacts/{contact_id}/sync", follow_redirects=True)
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert f"Nothing was changed: {MUST}" in text


def assert_everything_says_reconnect(client, qbo, contact_id: str, customer_id: str) -> None:
    for page in PAGES:
        answer = client.get(page)
        html = answer.get_data(as_text=True)
        assert answer.status_code == 200, page
        assert html.count('id="wsqb-reconnect"') == 1 and MUST in html, page
        assert f'href="{PREFIX}/connection">Go to the Connection page' in html, page
    contact_page = client.get(f"/contacts/{contact_id}").get_data(as_text=True)
    assert f'<a href="{PREFIX}/connection">{MUST}</a>' in contact_page  # the contact menu's notice
    for action in ("pull", "sync"):
        answer = post_form(
            client, f"/contacts/{contact_id}", f"{PREFIX}/contacts/{contact_id}/{action}", follow_redirects=True
        )
        assert answer.status_code == 200 and f"Nothing was changed: {MUST}" in answer.get_data(as_text=True)
    qbo.reset_log()
    for page, action, data in (
        (EXPORT, EXPORT, {"selected": [contact_id]}),
        (IMPORT, IMPORT, {"selected": [customer_id]}),
        (MATCH, MATCH + "/auto", {}),
    ):
        answer = post_form(client, page, action, data)
        assert answer.status_code == 302 and "run=" not in answer.headers["Location"], action
        assert MUST in client.get(answer.headers["Location"]).get_data(as_text=True), action
    assert [p for _m, p, _s in qbo.request_log if "/v3/" in p] == []  # nothing was tried


@pytest.mark.parametrize("break_it", BREAKS.values(), ids=BREAKS.keys())
def test_a_rejected_connection_is_one_reconnect_message_everywhere(app, client, qbo, break_it):
    connect_quickbooks(client, qbo)
    contact_id = add_contact(app, display_name="Reconnect Dental", phone="555-0100")
    customer = qbo.add_customer({"DisplayName": "Someone In QuickBooks"})
    refresh_list(client)
    break_it(app, client, qbo)
    notice(client, app, contact_id)
    assert_everything_says_reconnect(client, qbo, contact_id, customer["Id"])

    # reconnecting clears it: the banner goes, and Sync works again
    reconnect(client, qbo)
    assert MUST not in client.get(EXPORT).get_data(as_text=True)
    assert "Created in QuickBooks" in contact_action(client, f"/contacts/{contact_id}", contact_id, "sync")


def test_tokens_that_no_longer_decrypt_ask_to_reconnect(app_config, client, qbo, app):
    from example_app import create_app

    connect_quickbooks(client, qbo)
    contact_id = add_contact(app, display_name="Key Changed Books")
    customer = qbo.add_customer({"DisplayName": "Someone In QuickBooks"})
    refresh_list(client)
    rotated = create_app({**app_config, "SECRET_KEY": "another-secret"})  # SECRET_KEY changed, no WSQB key
    try:
        assert_everything_says_reconnect(rotated.test_client(), qbo, contact_id, customer["Id"])
    finally:
        with rotated.app_context():
            rotated.extensions["sqlalchemy"].engine.dispose()


def test_a_run_under_way_fails_once_with_the_reconnect_message(app, client, qbo):
    connect_quickbooks(client, qbo)
    ids = add_contacts(app, *({"display_name": f"Run Client {i}"} for i in range(40)))
    revoked(app, client, qbo)  # QuickBooks rejects the connection before the run reaches it
    answer = post_form(client, EXPORT, EXPORT, {"selected": ids})
    report = wait_for_run(client, run_id_of(answer))
    assert report["state"] == "failed" and report["message"].startswith(MUST)
    assert report["errors"] == 0  # said once for the run, not on 40 red rows
    assert report["retryable"] and report["done"] < report["total"]
    assert qbo.customers() == []
    with app.app_context():
        assert (
            "Reconnect on the Connection page"
            in app.extensions["wsqb"]
            .db.session.execute(sa.select(app.extensions["wsqb"].models.Connection.auth_error))
            .scalar_one()
        )
    token = csrf_token(client, EXPORT)
    retried = client.post(f"{PREFIX}/runs/{report['id']}/retry", data={"csrf_token": token}, follow_redirects=True)
    assert MUST in retried.get_data(as_text=True)  # Retry says so too, instead of trying
