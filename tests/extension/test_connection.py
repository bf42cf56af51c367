"""The Connection page: OAuth connect → callback → tokens at rest → refresh → disconnect,
against the emulator over real HTTP, through the Flask test client."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from urllib.parse import parse_qs, urlsplit

import requests
import sqlalchemy as sa

from example_app.firms import DEFAULT_FIRM
from flask_wsqb.quickbooks import factory
from flask_wsqb.quickbooks.tokens import current_connection
from flask_wsqb.tenancy import tenant_scope
from tests.helpers import connect_quickbooks, post_form

PAGE = "/setup/quickbooks/connection"


def stored_connection(app):
    state = app.extensions["wsqb"]
    with app.app_context():
        return state.db.session.execute(sa.select(state.models.Connection)).scalar_one()


def test_connect_stores_tokens_encrypted_then_refresh_and_disconnect(app, client, qbo):
    page = client.get(PAGE).get_data(as_text=True)
    assert "No QuickBooks company is connected" in page

    connect_quickbooks(client, qbo)
    page = client.get(PAGE).get_data(as_text=True)
    assert "Connected to QuickBooks company" in page  # flashed
    assert qbo.realm_id in page

    row = stored_connection(app)
    with app.app_context(), tenant_scope(DEFAULT_FIRM):
        gateway = factory.gateway()
        first = gateway.tokens
    # the table never holds a token in clear
    raw = " ".join(str(v) for v in (row.access_token_encrypted, row.refresh_token_encrypted))
    assert first.access_token not in raw and first.refresh_token not in raw

    qbo.advance(3700)  # the access token expires
    with app.app_context(), tenant_scope(DEFAULT_FIRM):
        gateway = factory.gateway()
        assert gateway.company_info()["CompanyName"]
        rotated = gateway.tokens
        assert rotated.refresh_token != first.refresh_token
        assert factory.gateway().tokens == rotated  # saved before use, readable by others

    answer = post_form(client, PAGE, PAGE + "/disconnect", follow_redirects=True)
    assert "Disconnected from QuickBooks" in answer.get_data(as_text=True)
    # the revoked grant is dead at QuickBooks too
    with app.app_context(), tenant_scope(DEFAULT_FIRM):
        assert current_connection() is None
    dead = requests.post(
        f"{qbo.api_url}/company/{qbo.realm_id}/query?minorversion=75",
        data="select * from Customer",
        timeout=5,
        headers={
            "Authorization": f"Bearer {rotated.access_token}",
            "Content-Type": "application/text",
            "Accept": "application/json",
        },
    )
    assert dead.status_code == 401


def test_forged_state_is_refused(app, client, qbo):
    qbo.auto_consent = True
    answer = post_form(client, PAGE, PAGE + "/connect")
    consent = requests.get(answer.headers["Location"], allow_redirects=False, timeout=5)
    callback = urlsplit(consent.headers["Location"])
    query = parse_qs(callback.query)
    forged = client.get(
        callback.path,
        query_string={"code": query["code"][0], "realmId": query["realmId"][0], "state": "forged"},
        follow_redirects=True,
    )
    assert "could not be verified" in forged.get_data(as_text=True)
    with app.app_context(), tenant_scope(DEFAULT_FIRM):
        assert current_connection() is None


def test_callback_without_a_started_flow_is_refused(app, client, qbo):
    answer = client.get(PAGE + "/callback?code=abc&state=abc&realmId=1", follow_redirects=True)
    assert "could not be verified" in answer.get_data(as_text=True)


def test_user_declining_consent_connects_nothing(app, client, qbo):
    post_form(client, PAGE, PAGE + "/connect")
    with client.session_transaction() as session:
        state = session["wsqb_oauth_state"]
    answer = client.get(
        PAGE + "/callback", query_string={"error": "access_denied", "state": state}, follow_redirects=True
    )
    assert "did not grant access" in answer.get_data(as_text=True)


def test_post_without_csrf_token_is_refused(app, client, qbo):
    assert client.post(PAGE + "/connect").status_code == 400
    connect_quickbooks(client, qbo)
    assert client.post(PAGE + "/disconnect").status_code == 400
    with app.app_context(), tenant_scope(DEFAULT_FIRM):
        assert current_connection() is not None


def test_rejected_tokens_show_reconnect(app, client, qbo):
    connect_quickbooks(client, qbo)
    qbo.revoke_all()
    qbo.advance(3700)
    with app.app_context(), tenant_scope(DEFAULT_FIRM):
        gateway = factory.gateway()
        try:
            gateway.company_info()
        except Exception as exc:  # the gateway says why, in words
            assert "Reconnect" in str(exc)
        else:
            raise AssertionError("a revoked connection kept working")
    page = client.get(PAGE).get_data(as_text=True)
    assert 'id="wsqb-reconnect"' in page
    assert "Reconnect" in page


def test_refresh_expiring_soon_warns(app, client, qbo):
    connect_quickbooks(client, qbo)
    state = app.extensions["wsqb"]
    with app.app_context(), tenant_scope(DEFAULT_FIRM):
        row = current_connection()
        row.refresh_expires_at = datetime.now(timezone.utc) + timedelta(days=5)
        state.db.session.commit()
    page = client.get(PAGE).get_data(as_text=True)
    assert 'id="wsqb-expiry-warning"' in page
