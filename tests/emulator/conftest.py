from __future__ import annotations

import pytest
import requests
from intuitlib.client import AuthClient
from quickbooks import QuickBooks

REDIRECT_URI = "http://localhost/callback"


@pytest.fixture
def auth_client(qbo):
    return AuthClient(qbo.client_id, qbo.client_secret, REDIRECT_URI, qbo.discovery_url)


@pytest.fixture
def make_client(qbo):
    """Build python-quickbooks clients holding a given access token."""
    sessions = []

    def make(access_token: str, realm_id: str | None = None) -> QuickBooks:
        class BearerSession(requests.Session):
            pass

        session = BearerSession()
        session.access_token = access_token
        sessions.append(session)
        client = QuickBooks(company_id=realm_id or qbo.realm_id, minorversion=75)
        client.api_url_v3 = qbo.api_url
        client.session = session
        return client

    yield make
    for session in sessions:
        session.close()


@pytest.fixture
def raw(qbo, qbo_tokens):
    """POST/GET helpers for raw-shape checks with a valid bearer token."""
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {qbo_tokens[0]}"
    session.headers["Accept"] = "application/json"
    base = f"{qbo.api_url}/company/{qbo.realm_id}"

    class Raw:
        def post(self, path, data, content_type="application/json", **params):
            return session.post(base + path, data=data, params={"minorversion": 75, **params},
                                headers={"Content-Type": content_type}, timeout=10)

        def get(self, path, **params):
            return session.get(base + path, params={"minorversion": 75, **params}, timeout=10)

    yield Raw()
    session.close()
