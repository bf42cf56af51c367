"""The OAuth callback does not trust ``realmId``: the new tokens must open the company (read
its CompanyInfo) before anything is replaced, a sign-in to another company than the connected
one asks before switching (saying what happens to the links), and replaced tokens are revoked."""

from __future__ import annotations

from urllib.parse import parse_qs, urlencode, urlsplit

import requests

from example_app.firms import DEFAULT_FIRM
from flask_wsqb.quickbooks import factory
from flask_wsqb.quickbooks.tokens import current_connection
from flask_wsqb.tenancy import tenant_scope
from tests.helpers import EXPORT, add_contact, connect_quickbooks, linked_pairs, post_form, run_id_of, wait_for_run

PAGE = "/setup/quickbooks/connection"
SWITCH = PAGE + "/switch"
REVOKE = "/oauth2/v1/tokens/revoke"


def sign_in(client, qbo, realm_id: str, *, tamper_realm: str | None = None):
    """Connect → the emulator's consent screen, choosing ``realm_id`` → the app's callback
    (its ``realmId`` replaced by ``tamper_realm``, as a forged redirect would)."""
    answer = post_form(client, PAGE, PAGE + "/connect")
    authorize = urlsplit(answer.headers["Location"])
    form = {**{k: v[0] for k, v in parse_qs(authorize.query).items()}, "realmId": realm_id, "action": "connect"}
    consent = requests.post(f"{qbo.base_url}{authorize.path}", data=form, allow_redirects=False, timeout=5)
    callback = urlsplit(consent.headers["Location"])
    query = {k: v[0] for k, v in parse_qs(callback.query).items()}
    if tamper_realm:
        query["realmId"] = tamper_realm
    return client.get(f"{callback.path}?{urlencode(query)}")


def connected(app):
    with app.app_context(), tenant_scope(DEFAULT_FIRM):
        row = current_connection()
        return row.realm_id, factory.gateway().tokens


def api_status(qbo, realm_id: str, access_token: str) -> int:
    return requests.get(
        f"{qbo.api_url}/company/{realm_id}/companyinfo/{realm_id}?minorversion=75",
        timeout=5,
        headers={"Authorization": f"Bearer {access_token}", "Accept": "application/json"},
    ).status_code


def test_another_company_asks_first_then_switches_and_revokes_the_replaced_tokens(app, client, qbo):
    connect_quickbooks(client, qbo)
    first_realm, first_tokens = connected(app)
    contact_id = add_contact(app, display_name="Linked Before The Switch")
    wait_for_run(client, run_id_of(post_form(client, EXPORT, EXPORT, {"selected": [contact_id]})))
    other = qbo.add_company("Birch CPA Books")

    answer = sign_in(client, qbo, other)
    assert answer.status_code == 302 and answer.headers["Location"].endswith(SWITCH)
    page = client.get(SWITCH).get_data(as_text=True)
    assert "Birch CPA Books" in page and qbo.company().name in page
    assert "set aside, not deleted" in page and "(1 contact)" in page
    assert connected(app)[0] == first_realm  # nothing replaced yet

    qbo.reset_log()
    kept = post_form(client, SWITCH, SWITCH, {"choice": "keep"}, follow_redirects=True)
    assert "Kept the current QuickBooks company" in kept.get_data(as_text=True)
    assert connected(app)[0] == first_realm and api_status(qbo, first_realm, first_tokens.access_token) == 200
    assert ("POST", REVOKE, 200) in qbo.request_log  # the sign-in not used is revoked
    assert client.get(SWITCH).status_code == 404  # and forgotten

    sign_in(client, qbo, other)
    switched = post_form(client, SWITCH, SWITCH, {"choice": "switch"})
    wait_for_run(client, run_id_of(switched))
    assert connected(app)[0] == other
    assert "Birch CPA Books" in client.get(PAGE).get_data(as_text=True)
    assert api_status(qbo, first_realm, first_tokens.access_token) == 401  # the replaced tokens open nothing
    assert len(linked_pairs(app, first_realm)) == 1  # set aside, not deleted


def test_a_forged_realm_id_is_refused_and_changes_nothing(app, client, qbo):
    connect_quickbooks(client, qbo)
    realm, tokens = connected(app)
    other = qbo.add_company("Not Yours LLC")
    qbo.reset_log()
    answer = sign_in(client, qbo, realm, tamper_realm=other)  # tokens for the first company, "realmId" another
    page = client.get(answer.headers["Location"]).get_data(as_text=True)
    assert "did not confirm the company" in page
    assert connected(app) == (realm, tokens) and api_status(qbo, realm, tokens.access_token) == 200
    assert client.get(SWITCH).status_code == 404
    assert ("POST", REVOKE, 200) in qbo.request_log  # the unproven tokens were revoked
