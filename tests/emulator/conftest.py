from __future__ import annotations

import pytest
import requests
from intuitlib.client import AuthClient
from quickbooks import QuickBooks

from tests.emulator.helpers import REDIRECT_URI


@pytest.fixture
def auth_client(qbo):
    return AuthClient(qbo.client_id, qbo.client_secret, REDIRECT_URI, qbo.discovery_url)


@pytest.fixture
def clients():
    """Build python-quickbooks clients for an emulator, holding a given access token."""
    built = []

    def make(emulator, access_token: str, realm_id: str | None = None) -> QuickBooks:
        class BearerSession(requests.Session):
            pass

        session = BearerSession()
        session.access_token = access_token
        client = QuickBooks(company_id=realm_id or emulator.realm_id, minorversion=75)
        client.api_url_v3 = emulator.api_url
        client.session = session
        built.append(client)
        return client

    yield make
    for client in built:
        client.session.close()


@pytest.fixture
def make_client(qbo, clients):
    """Build python-quickbooks clients for ``qbo`` holding a given access token."""
    return lambda access_token, realm_id=None: clients(qbo, access_token, realm_id)


@pytest.fixture
def raw(qbo, qbo_tokens):
    """POST/GET helpers for raw-shape checks with a valid bearer token."""
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {qbo_tokens[0]}"
    session.headers["Accept"] = "application/json"
    base = f"{qbo.api_url}/company/{qbo.realm_id}"

    class Raw:
        def post(self, path, data, content_type="application/json", **params):
            return session.post(
                base + path,
                data=data,
                params={"minorversion": 75, **params},
                headers={"Content-Type": content_type},
                timeout=10,
            )

        def get(self, path, **params):
            return session.get(base + path, params={"minorversion": 75, **params}, timeout=10)

    yield Raw()
    session.close()
