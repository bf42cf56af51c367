"""``QBOEmulator``: a QuickBooks Online stand-in served over real HTTP on a loopback port, so the
unmodified python-quickbooks and intuit-oauth clients talk to it exactly as to Intuit."""

from __future__ import annotations

import json
import os
import re
import secrets
import socket
import threading
import uuid
from pathlib import Path
from typing import Any

from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server
from werkzeug.wrappers import Request, Response

from . import api
from . import state_file as saved_state
from .clock import Clock
from .company import Company, checked_nested_sparse
from .faults import INVALID_REQUEST, ApiFault, FaultPlan, FaultRule
from .oauth import AUTHORIZE_PATH, DISCOVERY_PATH, REVOKE_PATH, TOKEN_PATH, OAuthServer
from .seed import customers as seeded_customers
from .throttle import Throttle
from .webhooks import WebhookDelivery, WebhookSender, checked_format, sign

_API_PATH = re.compile(r"^/v3/company/(?P<realm>[^/]+)/(?P<rest>.*)$")
MAX_REQUEST_ID = 50


class _QuietHandler(WSGIRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_request(self, *args: Any, **kwargs: Any) -> None:
        pass


class QBOEmulator:
    """A QuickBooks Online company (or several) plus Intuit's OAuth server, in one process.

    Use as a context manager (``with QBOEmulator() as qbo:``) or call :meth:`start` and
    :meth:`stop`. Point intuit-oauth at :attr:`discovery_url` and python-quickbooks at
    :attr:`api_url` (its ``api_url_v3`` instance attribute).

    ``nested_sparse``: what a sparse update does with a nested object it carries ("replace" it
    whole, or "merge" the parts sent into the stored one). ``state_file``: keep the companies,
    the client credentials and the OAuth grants and tokens there, so a restart goes on where the
    last run stopped; when the file exists, its realm id and credentials win over the arguments.

    ``webhook_url``: where to POST a signed notification of every customer change, in
    ``webhook_format`` ("cloudevents" or "legacy"), ``webhook_delay`` emulated seconds after the
    first change waiting (see :mod:`flask_wsqb.testing.webhooks`). ``webhook_verifier_token`` signs
    them (a random one when None). These, :attr:`webhooks_paused` and :attr:`duplicate_webhooks`
    are settings of the running emulator: the state file keeps neither them nor the
    notifications still waiting.
    """

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        realm_id: str | None = None,
        company_name: str = "Sandbox Company_US_1",
        client_id: str | None = None,
        client_secret: str | None = None,
        access_token_ttl: int = 3600,
        refresh_token_ttl: int = 100 * 24 * 3600,
        rotation_grace: int = 24 * 3600,
        throttle: bool = False,
        per_minute: int = 500,
        concurrent: int = 10,
        batch_per_minute: int = 40,
        per_second: int = 10,
        deleted_suffix: bool = False,
        clock_speed: float = 1.0,
        nested_sparse: str = "replace",
        state_file: str | os.PathLike[str] | None = None,
        webhook_url: str | None = None,
        webhook_verifier_token: str | None = None,
        webhook_format: str = "cloudevents",
        webhook_delay: float = 1.0,
    ) -> None:
        self.host = host
        self.port = port
        self.clock = Clock(clock_speed)
        self.webhook_url = webhook_url
        self.webhook_verifier_token = webhook_verifier_token or str(uuid.uuid4())
        self.webhook_format = webhook_format
        self.webhook_delay = webhook_delay
        #: While True, changes are never announced: notifications lost on the way.
        self.webhooks_paused = False
        #: While True, every notification is POSTed twice, as Intuit sometimes does.
        self.duplicate_webhooks = False
        self._webhooks = WebhookSender(self.clock, self)
        self.deleted_suffix = deleted_suffix
        self._nested_sparse = checked_nested_sparse(nested_sparse)
        self._companies: dict[str, Company] = {}
        self._companies_lock = threading.Lock()
        self.state_file = None if state_file is None else Path(state_file)
        saved = None if self.state_file is None else saved_state.read(self.state_file)
        #: True when the emulator started with the state of an existing ``state_file``.
        self.restored = saved is not None
        if saved is not None:
            client_id, client_secret = saved["client_id"], saved["client_secret"]
        self.client_id = client_id or "AB" + secrets.token_urlsafe(36).replace("-", "x").replace("_", "y")
        self.client_secret = client_secret or secrets.token_urlsafe(30).replace("-", "x").replace("_", "y")
        self._oauth = OAuthServer(
            self.clock,
            self.client_id,
            self.client_secret,
            access_token_ttl,
            refresh_token_ttl,
            rotation_grace,
            self._realm_names,
        )
        if saved is None:
            self.realm_id = self.add_company(company_name, realm_id=realm_id)
        else:
            self._restore(saved)
        self._save_lock = threading.Lock()
        self._saved_revision = self._revision()
        self._faults = FaultPlan()
        self._throttle = Throttle(
            self.clock,
            per_minute=per_minute,
            concurrent=concurrent,
            batch_per_minute=batch_per_minute,
            per_second=per_second,
            enabled=throttle,
        )
        self._log: list[tuple[str, str, int]] = []
        self._log_lock = threading.Lock()
        self._stopping = threading.Event()
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle --------------------------------------------------------------------------------
    def start(self) -> QBOEmulator:
        if self._server is not None:
            raise RuntimeError("The emulator is already running; call stop() first.")
        self._stopping.clear()
        self._server = make_server(self.host, self.port, self._wsgi, threaded=True, request_handler=_QuietHandler)
        self.port = self._server.port
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="qbo-emulator", kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        self._webhooks.start()
        return self

    def stop(self) -> None:
        """Stop serving and notifying, and write the state file (changes made from Python are
        saved here)."""
        self._webhooks.stop()
        if self._server is not None:
            self._stopping.set()
            self._server.shutdown()
            self._server.server_close()
            assert self._thread is not None
            self._thread.join(timeout=5)
            self._server = self._thread = None
        self._save(only_if_changed=False)

    def __enter__(self) -> QBOEmulator:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def discovery_url(self) -> str:
        return self.base_url + DISCOVERY_PATH

    @property
    def api_url(self) -> str:
        return self.base_url + "/v3"

    # -- companies and their data -----------------------------------------------------------------
    def add_company(self, name: str, *, realm_id: str | None = None) -> str:
        realm_id = realm_id or "9341" + "".join(str(secrets.randbelow(10)) for _ in range(12))
        with self._companies_lock:
            if realm_id in self._companies:
                raise ValueError(f"A company with realm id {realm_id} already exists.")
            self._companies[realm_id] = Company(realm_id, name, self.clock, **self._company_options())
        return realm_id

    def _company_options(self) -> dict[str, Any]:
        return {
            "deleted_suffix": self.deleted_suffix,
            "nested_sparse": self._nested_sparse,
            "on_change": self._webhooks.record,
        }

    def company(self, realm_id: str | None = None) -> Company:
        with self._companies_lock:
            try:
                return self._companies[realm_id or self.realm_id]
            except KeyError:
                raise KeyError(f"No company with realm id {realm_id}") from None

    def _realm_names(self) -> dict[str, str]:
        with self._companies_lock:
            return {realm: company.name for realm, company in self._companies.items()}

    def add_customer(self, customer_json: dict, *, realm_id: str | None = None) -> dict:
        """Create a customer as the API would (validation included; raises :class:`ApiFault`)."""
        return self.company(realm_id).create_customer(customer_json)

    def customers(self, *, realm_id: str | None = None) -> list[dict]:
        return self.company(realm_id).customers()

    def customer(self, customer_id: str | int, *, realm_id: str | None = None) -> dict:
        return self.company(realm_id).customer(str(customer_id))

    def edit_customer(
        self, customer_id: str | int, fields: dict | None = None, *, realm_id: str | None = None, **more: Any
    ) -> dict:
        """Change a customer as a QuickBooks user would: bumps SyncToken and LastUpdatedTime."""
        return self.company(realm_id).edit_customer(str(customer_id), {**(fields or {}), **more})

    def merge_customer(self, customer_id: str | int, into_id: str | int, *, realm_id: str | None = None) -> dict:
        """Merge a customer into another, as QuickBooks' screens do: the first one is deleted
        (reads answer 610, change data capture reports it "Deleted"). Returns the survivor."""
        return self.company(realm_id).merge_customer(str(customer_id), str(into_id))

    def delete_customer(self, customer_id: str | int, realm_id: str | None = None) -> dict:
        """Delete a customer as QuickBooks' screens do: it only becomes inactive (change data
        capture returns it so), but webhooks announce a Delete."""
        return self.company(realm_id).delete_customer(str(customer_id))

    def add_vendor(self, display_name: str, *, realm_id: str | None = None) -> dict:
        return self.company(realm_id).add_name("Vendor", display_name)

    def add_employee(self, display_name: str, *, realm_id: str | None = None) -> dict:
        return self.company(realm_id).add_name("Employee", display_name)

    def seed_customers(
        self, n: int, *, inactive_ratio: float = 0.1, seed: int = 0, realm_id: str | None = None
    ) -> list[dict]:
        company = self.company(realm_id)
        return [company.create_customer(body) for body in seeded_customers(n, inactive_ratio=inactive_ratio, seed=seed)]

    # -- time and tokens --------------------------------------------------------------------------
    def advance(self, seconds: float) -> None:
        self.clock.advance(seconds)

    def issue_tokens(self, realm_id: str | None = None) -> tuple[str, str]:
        """An (access, refresh) token pair for a company, as if the user had clicked Connect."""
        return self._oauth.issue(self.company(realm_id).realm_id)

    def expire_access_tokens(self) -> None:
        self._oauth.expire_access_tokens()

    def revoke_all(self) -> None:
        self._oauth.revoke_all()

    @property
    def auto_consent(self) -> bool:
        return self._oauth.auto_consent

    @auto_consent.setter
    def auto_consent(self, value: bool) -> None:
        self._oauth.auto_consent = value

    @property
    def consent_realm_id(self) -> str | None:
        """The company :attr:`auto_consent` consents for; None (the default): the first company.
        A setting of the running emulator, like :attr:`auto_consent`: the state file does not keep it."""
        return self._oauth.consent_realm_id

    @consent_realm_id.setter
    def consent_realm_id(self, realm_id: str | None) -> None:
        if realm_id is not None and realm_id not in self._realm_names():
            raise KeyError(f"No company with realm id {realm_id}")
        self._oauth.consent_realm_id = realm_id

    # -- webhooks ---------------------------------------------------------------------------------
    @property
    def webhook_format(self) -> str:
        return self._webhook_format

    @webhook_format.setter
    def webhook_format(self, name: str) -> None:
        self._webhook_format = checked_format(name)

    def flush_webhooks(self) -> int:
        """POST every notification waiting (retries too) now, without waiting for
        ``webhook_delay``; the number of events the receiver accepted."""
        return self._webhooks.flush()

    @property
    def webhook_log(self) -> list[WebhookDelivery]:
        """Every notification POST made (retries and duplicates included), oldest first."""
        return self._webhooks.log()

    def sign_webhook(self, body: bytes) -> str:
        """The ``intuit-signature`` header value for ``body``, as a notification carries it."""
        return sign(body, self.webhook_verifier_token)

    # -- faults, throttling, log ------------------------------------------------------------------
    def fail_next(
        self,
        status: int = 500,
        count: int = 1,
        *,
        fault_code: str | int | None = None,
        message: str | None = None,
        detail: str | None = None,
        path: str | None = None,
        method: str | None = None,
        mode: str = "fault",
        hang_seconds: float = 5.0,
    ) -> None:
        """Make the next ``count`` matching requests fail.

        Without ``path`` only API requests match; with it, any request whose path contains it
        (OAuth endpoints included). ``mode``: "fault" (QBO Fault JSON with ``status``), "html"
        (a gateway error page), "hang" (answer normally after ``hang_seconds``), "drop" (close
        the connection without an answer).
        """
        self._faults.add(
            FaultRule(
                status,
                count,
                None if fault_code is None else str(fault_code),
                message,
                detail,
                path,
                method,
                mode,
                hang_seconds,
            )
        )

    def clear_faults(self) -> None:
        self._faults.clear()

    @property
    def nested_sparse(self) -> str:
        return self._nested_sparse

    @nested_sparse.setter
    def nested_sparse(self, mode: str) -> None:
        self._nested_sparse = checked_nested_sparse(mode)
        for company in self._all_companies():
            company.nested_sparse = mode

    @property
    def throttle(self) -> bool:
        return self._throttle.enabled

    @throttle.setter
    def throttle(self, value: bool) -> None:
        self._throttle.enabled = value

    @property
    def request_log(self) -> list[tuple[str, str, int]]:
        """(method, path, status) of every request served; status 0 for a dropped connection."""
        with self._log_lock:
            return list(self._log)

    def reset_log(self) -> None:
        with self._log_lock:
            self._log.clear()

    # -- the state file ---------------------------------------------------------------------------
    def _restore(self, saved: dict) -> None:
        # Emulator time must not run back behind the times it already handed out (token expiries,
        # LastUpdatedTime), as it would after a run on a sped-up or advanced clock.
        self.clock.advance(max(0.0, saved["time"] - self.clock.time()))
        for state in saved["companies"]:
            company = Company.from_state(state, self.clock, **self._company_options())
            self._companies[company.realm_id] = company
        self.realm_id = saved["realm_id"]
        self._oauth.restore(saved["oauth"])

    def _all_companies(self) -> list[Company]:
        with self._companies_lock:
            return list(self._companies.values())

    def _revision(self) -> int:
        """Grows with every change to what the state file holds (each part only counts up)."""
        companies = self._all_companies()
        return len(companies) + sum(company.revision for company in companies) + self._oauth.revision

    def _save(self, *, only_if_changed: bool) -> None:
        if self.state_file is None:
            return
        # One writer at a time, each taking its snapshot inside the lock: a later write always
        # holds every change an earlier one did.
        with self._save_lock:
            revision = self._revision()
            if only_if_changed and revision == self._saved_revision:
                return
            saved_state.write(
                self.state_file,
                {
                    "time": self.clock.time(),
                    "realm_id": self.realm_id,
                    "client_id": self.client_id,
                    "client_secret": self.client_secret,
                    "companies": [company.state() for company in self._all_companies()],
                    "oauth": self._oauth.state(),
                },
            )
            self._saved_revision = revision

    # -- WSGI -------------------------------------------------------------------------------------
    def _wsgi(self, environ: dict, start_response: Any) -> Any:
        request = Request(environ)
        match = _API_PATH.match(request.path)
        rule = self._faults.take(request.method, request.path, match is not None)
        if rule is not None and rule.mode == "drop":
            self._record(request, 0)  # before the client can see the connection close
            sock = environ.get("werkzeug.socket")
            if sock is not None:
                sock.shutdown(socket.SHUT_RDWR)
            return Response(b"", 500)(environ, start_response)
        if rule is not None and rule.mode == "fault":
            response = _fault_response(rule.api_fault(), self.clock)
        elif rule is not None and rule.mode == "html":
            response = Response(rule.html(), rule.status, content_type="text/html")
        else:
            hang = rule.hang_seconds if rule is not None else 0.0
            response = self._api(request, match, hang) if match else self._oauth_endpoint(request, hang)
            self._save(only_if_changed=True)  # before the client sees the answer
        self._record(request, response.status_code)
        return response(environ, start_response)

    def _record(self, request: Request, status: int) -> None:
        with self._log_lock:
            self._log.append((request.method, request.path, status))

    def _oauth_endpoint(self, request: Request, hang: float) -> Response:
        self._stopping.wait(hang)
        path, method = request.path, request.method
        if path == DISCOVERY_PATH and method == "GET":
            return self._oauth.discovery(self.base_url)
        if path == AUTHORIZE_PATH and method in ("GET", "POST"):
            return self._oauth.authorize(request)
        if path == TOKEN_PATH and method == "POST":
            return self._oauth.token(request)
        if path == REVOKE_PATH and method == "POST":
            return self._oauth.revoke(request)
        if path == "/op/v1/jwks" and method == "GET":
            return Response(json.dumps({"keys": []}), 200, content_type="application/json")
        return Response("<html><body><h1>404 Not Found</h1></body></html>", 404, content_type="text/html")

    def _api(self, request: Request, match: re.Match[str], hang: float) -> Response:
        realm_id = match["realm"]
        try:
            with self._throttle.admit(realm_id, batch=match["rest"] == "batch"):
                self._stopping.wait(hang)
                self._oauth.authenticate(request.headers.get("Authorization"), realm_id)
                company = self.company(realm_id)
                request_id = request.args.get("requestid")
                if request_id is None:
                    status, body = self._answer(company, request, match["rest"])
                elif len(request_id) > MAX_REQUEST_ID:
                    raise ApiFault(INVALID_REQUEST, f"requestid is longer than {MAX_REQUEST_ID} characters")
                else:
                    status, body = company.once(request_id, lambda: self._answer(company, request, match["rest"]))
        except ApiFault as fault:
            return _fault_response(fault, self.clock)
        return Response(body, status, content_type="application/json;charset=UTF-8")

    def _answer(self, company: Company, request: Request, rest: str) -> tuple[int, bytes]:
        try:
            document, status = api.handle(company, request, rest), 200
        except ApiFault as fault:
            document, status = {"Fault": fault.fault_json()}, fault.status
        document["time"] = self.clock.iso(millis=True)
        return status, json.dumps(document).encode()


def _fault_response(fault: ApiFault, clock: Clock) -> Response:
    body = json.dumps({"Fault": fault.fault_json(), "time": clock.iso(millis=True)})
    headers = {"WWW-Authenticate": 'Bearer realm="Intuit"'} if fault.status == 401 else {}
    return Response(body, fault.status, content_type="application/json;charset=UTF-8", headers=headers)
