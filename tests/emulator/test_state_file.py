"""``QBOEmulator(state_file=...)``: a company, its credentials and the tokens an app holds
survive a restart, through the unmodified python-quickbooks and intuit-oauth clients."""

from __future__ import annotations

import json
import os
import signal
import stat
import subprocess
import sys
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from intuitlib.client import AuthClient
from intuitlib.enums import Scopes
from intuitlib.exceptions import AuthClientError
from quickbooks.cdc import change_data_capture
from quickbooks.exceptions import AuthorizationException, ObjectNotFoundException, QuickbooksException
from quickbooks.objects.company_info import CompanyInfo
from quickbooks.objects.customer import Customer

from flask_wsqb.testing import QBOEmulator
from tests.emulator.helpers import REDIRECT_URI


def _new(name: str) -> Customer:
    customer = Customer()
    customer.DisplayName = name
    return customer


def connect(qbo: QBOEmulator) -> AuthClient:
    """An intuit-oauth client holding tokens from the real authorization-code flow."""
    qbo.auto_consent = True
    auth = AuthClient(qbo.client_id, qbo.client_secret, REDIRECT_URI, qbo.discovery_url)
    consent = requests.get(auth.get_authorization_url([Scopes.ACCOUNTING], "s"), allow_redirects=False, timeout=5)
    params = parse_qs(urlsplit(consent.headers["Location"]).query)
    auth.get_bearer_token(params["code"][0], realm_id=params["realmId"][0])
    return auth


def snapshot(path) -> tuple[int, int]:
    """What changes when the file is written (os.replace gives it a new inode)."""
    info = os.stat(path)
    return info.st_ino, info.st_mtime_ns


def test_customers_credentials_and_tokens_survive_a_restart(tmp_path, clients):
    path = tmp_path / "qbo.json"
    with QBOEmulator(state_file=path, company_name="Harbor Books") as first:
        assert not first.restored
        auth = connect(first)
        client = clients(first, auth.access_token)
        ada = _new("Ada Lovelace").save(qb=client)
        ada.Notes = "edited before the restart"
        ada = ada.save(qb=client)
        gone = _new("Merged Away").save(qb=client)
        first.merge_customer(gone.Id, ada.Id)
        first.add_vendor("Paper Supplier")
        since = first.clock.now() - timedelta(minutes=1)
        before = {"realm_id": first.realm_id, "client_id": first.client_id, "client_secret": first.client_secret}
    with QBOEmulator(state_file=path) as second:  # on another free port
        assert second.restored
        assert (second.realm_id, second.client_id, second.client_secret) == (
            before["realm_id"],
            before["client_id"],
            before["client_secret"],
        )
        client = clients(second, auth.access_token)  # the access token still works
        read = Customer.get(ada.Id, qb=client)
        assert (read.Notes, read.SyncToken) == ("edited before the restart", "2")
        assert CompanyInfo.get(second.realm_id, qb=client).CompanyName == "Harbor Books"
        with pytest.raises(ObjectNotFoundException):
            Customer.get(gone.Id, qb=client)
        deleted = change_data_capture([Customer], since.isoformat(), qb=client).Customer
        assert [(c.Id, c.status) for c in deleted if c.Id == gone.Id] == [(gone.Id, "Deleted")]
        with pytest.raises(QuickbooksException) as error:  # the shared name list came back too
            _new("paper supplier").save(qb=client)
        assert error.value.error_code == 6240
        assert int(_new("After Restart").save(qb=client).Id) > int(gone.Id)

        # the app's stored refresh token, against the same client credentials
        restarted = AuthClient(before["client_id"], before["client_secret"], REDIRECT_URI, second.discovery_url)
        restarted.refresh(auth.refresh_token)
        assert restarted.refresh_token != auth.refresh_token
        client = clients(second, restarted.access_token)
        assert [c.DisplayName for c in Customer.all(qb=client)] == ["Ada Lovelace", "After Restart"]


def test_rotation_and_revocation_survive_a_restart(tmp_path, clients):
    path = tmp_path / "qbo.json"
    with QBOEmulator(state_file=path) as first:
        auth = connect(first)
        rotated = auth.refresh_token
        auth.refresh(rotated)
        latest = auth.refresh_token
        revoked = connect(first)
        revoked.revoke(token=revoked.refresh_token)
    with QBOEmulator(state_file=path) as second:
        again = AuthClient(second.client_id, second.client_secret, REDIRECT_URI, second.discovery_url)
        again.refresh(rotated)  # within the grace period: answered with the grant's latest token
        assert again.refresh_token == latest
        with pytest.raises(AuthClientError):
            again.refresh(revoked.refresh_token)
        with pytest.raises(AuthorizationException):
            Customer.all(qb=clients(second, revoked.access_token))


def test_emulator_time_does_not_run_back_across_a_restart(tmp_path, clients):
    path = tmp_path / "qbo.json"
    with QBOEmulator(state_file=path) as first:
        access, refresh = first.issue_tokens()
        first.advance(2 * 3600)
        moved_on = first.clock.time()
    with QBOEmulator(state_file=path) as second:
        assert second.clock.time() >= moved_on
        with pytest.raises(AuthorizationException):  # expired before the restart, still expired
            Customer.all(qb=clients(second, access))
        auth = AuthClient(second.client_id, second.client_secret, REDIRECT_URI, second.discovery_url)
        auth.refresh(refresh)
        assert Customer.all(qb=clients(second, auth.access_token)) == []


def test_a_second_company_and_its_consent_survive_a_restart_but_not_consent_realm_id(tmp_path, clients):
    path = tmp_path / "qbo.json"
    with QBOEmulator(state_file=path) as first:
        birch = first.add_company("Birch CPA Books")
        first.consent_realm_id = birch
        auth = connect(first)
        assert auth.realm_id == birch
    with QBOEmulator(state_file=path) as second:
        assert second.consent_realm_id is None  # a setting of the running emulator, not its state
        assert second.realm_id == first.realm_id != birch
        second.add_customer({"DisplayName": "Birch Only"}, realm_id=birch)
        birch_customers = Customer.all(qb=clients(second, auth.access_token, birch))
        assert [customer.DisplayName for customer in birch_customers] == ["Birch Only"]


def test_the_file_is_written_after_each_change_and_only_then(tmp_path, clients):
    path = tmp_path / "qbo.json"
    with QBOEmulator(state_file=path) as qbo:
        assert not path.exists()  # nothing changed yet
        auth = connect(qbo)
        assert json.loads(path.read_text())["oauth"]["refresh"]  # the token request was saved
        client = clients(qbo, auth.access_token)
        created = _new("Written At Once").save(qb=client)
        saved = json.loads(path.read_text())["companies"][0]["entities"]["Customer"]
        assert saved[created.Id]["DisplayName"] == "Written At Once"

        written = snapshot(path)
        Customer.get(created.Id, qb=client)
        Customer.filter(DisplayName="Written At Once", qb=client)
        requests.get(qbo.discovery_url, timeout=5)
        with pytest.raises(QuickbooksException):  # refused: changes nothing
            _new("written at once").save(qb=client)
        assert snapshot(path) == written

        auth.refresh(auth.refresh_token)
        assert snapshot(path) != written
        qbo.add_customer({"DisplayName": "Added From Python"})  # saved by stop()
    assert "Added From Python" in path.read_text()
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600  # it holds the client secret and tokens
    assert list(tmp_path.iterdir()) == [path]  # no temporary file left behind


@pytest.fixture
def command():
    """Start ``python -m flask_wsqb.testing ARGS``; the "Name : value" lines it prints before
    "Ctrl+C to stop.", and the process under "process" (killed after the test if still running)."""
    processes = []

    def start(*args: str) -> dict:
        process = subprocess.Popen(
            [sys.executable, "-m", "flask_wsqb.testing", *args], stdout=subprocess.PIPE, text=True
        )
        processes.append(process)
        printed: dict = {"process": process}
        for line in process.stdout:
            if line.startswith("Ctrl+C"):
                return printed
            name, _, value = line.partition(" : ")
            printed[name.strip()] = value.strip()
        raise AssertionError(f"the emulator exited early: {printed}")

    yield start
    for process in processes:
        if process.poll() is None:
            process.kill()
        process.wait()
        process.stdout.close()


def test_command_line_flags(tmp_path, command):
    """``python -m flask_wsqb.testing --state-file ... --nested-sparse merge``, stopped with Ctrl+C."""
    path = tmp_path / "qbo.json"
    args = ("--port", "0", "--state-file", str(path), "--nested-sparse", "merge", "--seed", "3")
    printed = command(*args)
    session = requests.Session()
    session.headers.update(Authorization=f"Bearer {printed['Access token']}", Accept="application/json")
    customers_url = f"{printed['API URL']}/company/{printed['Realm id']}/customer"
    first = session.get(customers_url + "/1", timeout=5).json()["Customer"]
    answer = session.post(
        customers_url,
        timeout=5,
        json={"Id": "1", "SyncToken": first["SyncToken"], "sparse": True, "BillAddr": {"City": "Salem"}},
    )
    assert answer.json()["Customer"]["BillAddr"] == {**first["BillAddr"], "City": "Salem"}
    printed["process"].send_signal(signal.SIGINT)
    assert printed["process"].wait(timeout=10) == 0
    session.close()

    again = command(*args)  # restored: the company is not seeded a second time
    again["process"].send_signal(signal.SIGINT)
    assert again["process"].wait(timeout=10) == 0
    assert again["Realm id"] == printed["Realm id"] and again["Client id"] == printed["Client id"]
    assert "restored" in again["State file"]
    customers = json.loads(path.read_text())["companies"][0]["entities"]["Customer"]
    assert len(customers) == 3 and customers["1"]["BillAddr"]["City"] == "Salem"
