from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from intuitlib.client import AuthClient
from intuitlib.enums import Scopes
from intuitlib.exceptions import AuthClientError
from quickbooks.exceptions import AuthorizationException, ValidationException
from quickbooks.objects.customer import Customer

from tests.emulator.helpers import REDIRECT_URI  # the auth_client fixture's


def _callback(response):
    assert response.status_code == 302
    location = response.headers["Location"]
    assert location.startswith(REDIRECT_URI)
    return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}


def test_consent_screen_then_code_exchange(qbo, auth_client, make_client):
    url = auth_client.get_authorization_url([Scopes.ACCOUNTING], "state-123")
    page = requests.get(url, allow_redirects=False)
    assert page.status_code == 200 and "Connect" in page.text and "<form" in page.text
    form = dict(parse_qs(urlsplit(url).query, keep_blank_values=True))
    form = {k: v[0] for k, v in form.items()} | {"realmId": qbo.realm_id, "action": "connect"}
    params = _callback(requests.post(qbo.base_url + "/connect/oauth2", data=form, allow_redirects=False))
    assert params["state"] == "state-123" and params["realmId"] == qbo.realm_id

    auth_client.get_bearer_token(params["code"], realm_id=params["realmId"])
    assert auth_client.access_token and auth_client.refresh_token
    assert auth_client.expires_in == 3600 and auth_client.x_refresh_token_expires_in > 0
    assert Customer.all(qb=make_client(auth_client.access_token)) == []

    with pytest.raises(AuthClientError) as error:  # codes are single-use
        auth_client.get_bearer_token(params["code"])
    assert error.value.status_code == 400 and error.value.response.json()["error"] == "invalid_grant"


def test_auto_consent_and_bad_requests(qbo, auth_client):
    qbo.auto_consent = True
    params = _callback(requests.get(auth_client.get_authorization_url([Scopes.ACCOUNTING], "s"), allow_redirects=False))
    assert params["code"] and params["realmId"] == qbo.realm_id
    bad_client = requests.get(
        qbo.base_url + "/connect/oauth2",
        allow_redirects=False,
        params={
            "client_id": "nope",
            "redirect_uri": REDIRECT_URI,
            "response_type": "code",
            "scope": "com.intuit.quickbooks.accounting",
        },
    )
    assert bad_client.status_code == 400 and "text/html" in bad_client.headers["Content-Type"]
    no_scope = _callback(requests.get(auth_client.get_authorization_url([Scopes.OPENID], "s"), allow_redirects=False))
    assert no_scope["error"] == "invalid_scope"
    other = AuthClient(qbo.client_id, qbo.client_secret, "http://localhost/other", qbo.discovery_url)
    with pytest.raises(AuthClientError):  # redirect_uri must match the authorize request
        other.get_bearer_token(params["code"])


def test_auto_consent_for_the_company_named_by_consent_realm_id(qbo, auth_client, make_client):
    birch = qbo.add_company("Birch CPA Books")
    qbo.add_customer({"DisplayName": "Birch Only"}, realm_id=birch)
    qbo.auto_consent = True
    qbo.consent_realm_id = birch
    params = _callback(requests.get(auth_client.get_authorization_url([Scopes.ACCOUNTING], "s"), allow_redirects=False))
    assert params["realmId"] == birch

    auth_client.get_bearer_token(params["code"], realm_id=params["realmId"])
    birch_client = make_client(auth_client.access_token, realm_id=birch)
    assert [customer.DisplayName for customer in Customer.all(qb=birch_client)] == ["Birch Only"]
    with pytest.raises(ValidationException) as error:  # the consent was for Birch's company only
        Customer.all(qb=make_client(auth_client.access_token))
    assert error.value.error_code == 3100

    qbo.consent_realm_id = None  # back to the first company
    params = _callback(requests.get(auth_client.get_authorization_url([Scopes.ACCOUNTING], "s"), allow_redirects=False))
    assert params["realmId"] == qbo.realm_id


def test_consent_realm_id_leaves_the_consent_screen_to_the_user(qbo, auth_client):
    birch = qbo.add_company("Birch CPA Books")
    qbo.consent_realm_id = birch  # without auto_consent the user still chooses
    page = requests.get(auth_client.get_authorization_url([Scopes.ACCOUNTING], "s"), allow_redirects=False)
    assert page.status_code == 200
    assert f'<option value="{qbo.realm_id}">Sandbox Company_US_1</option>' in page.text
    assert f'<option value="{birch}">Birch CPA Books</option>' in page.text


def test_consent_realm_id_must_name_a_company(qbo):
    assert qbo.consent_realm_id is None
    with pytest.raises(KeyError, match="No company with realm id 4620816365"):
        qbo.consent_realm_id = "4620816365"
    assert qbo.consent_realm_id is None


def test_wrong_client_secret_is_invalid_client(qbo, qbo_tokens):
    client = AuthClient(qbo.client_id, "wrong", REDIRECT_URI, qbo.discovery_url)
    with pytest.raises(AuthClientError) as error:
        client.refresh(qbo_tokens[1])
    assert error.value.status_code == 401 and error.value.response.json() == {"error": "invalid_client"}


def test_expiry_refresh_and_rotation_grace(qbo, qbo_tokens, auth_client, make_client):
    access, first_refresh = qbo_tokens
    client = make_client(access)
    Customer.all(qb=client)
    qbo.advance(3601)
    with pytest.raises(AuthorizationException) as error:
        Customer.all(qb=client)
    assert error.value.error_code == 401

    auth_client.refresh(first_refresh)
    second_refresh = auth_client.refresh_token
    assert second_refresh != first_refresh
    assert Customer.all(qb=make_client(auth_client.access_token)) == []

    qbo.advance(3600)  # within the grace period the old token still answers, with the latest one
    auth_client.refresh(first_refresh)
    assert auth_client.refresh_token == second_refresh
    qbo.advance(24 * 3600)
    with pytest.raises(AuthClientError) as error:
        auth_client.refresh(first_refresh)
    assert error.value.response.json() == {"error": "invalid_grant"}
    auth_client.refresh(second_refresh)
    assert auth_client.refresh_token not in (first_refresh, second_refresh)


def test_refresh_token_expires_after_100_days(qbo, qbo_tokens, auth_client):
    qbo.advance(100 * 24 * 3600 + 1)
    with pytest.raises(AuthClientError):
        auth_client.refresh(qbo_tokens[1])


def test_revoke_kills_the_whole_grant(qbo, qbo_tokens, auth_client, make_client):
    access, refresh = qbo_tokens
    assert auth_client.revoke(token=refresh) is True
    with pytest.raises(AuthorizationException):
        Customer.all(qb=make_client(access))
    with pytest.raises(AuthClientError):
        auth_client.refresh(refresh)


def test_auth_faults_are_qbo_shaped(qbo, qbo_tokens, make_client):
    other_realm = qbo.add_company("Second Company")
    response = requests.get(f"{qbo.api_url}/company/{qbo.realm_id}/customer/1", params={"minorversion": 75})
    assert response.status_code == 401
    assert response.json()["Fault"]["Error"][0]["code"] == "3200"
    # A token for another company: HTTP 403, code 3100, which python-quickbooks files under
    # ValidationException (its ranges put 2000-4999 there).
    with pytest.raises(ValidationException) as error:
        Customer.all(qb=make_client(qbo_tokens[0], realm_id=other_realm))
    assert error.value.error_code == 3100
    qbo.expire_access_tokens()
    with pytest.raises(AuthorizationException):
        Customer.all(qb=make_client(qbo_tokens[0]))


def test_library_oauth2session_refreshes_on_start(qbo, qbo_tokens, monkeypatch):
    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")
    from quickbooks import QuickBooks

    auth_client = AuthClient(qbo.client_id, qbo.client_secret, REDIRECT_URI, qbo.discovery_url)
    client = QuickBooks(auth_client=auth_client, refresh_token=qbo_tokens[1], company_id=qbo.realm_id, minorversion=75)
    client.api_url_v3 = qbo.api_url
    assert client.refresh_token != qbo_tokens[1]  # rotated: the caller must save it
    assert Customer.count(qb=client) == 0
