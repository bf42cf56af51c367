"""Our side of QuickBooks Online: one gateway per connected company (realm).

Everything else in the extension talks to QuickBooks through this module, never to
python-quickbooks directly. The gateway owns the HTTP session python-quickbooks uses:
every request gets a timeout, an expired access token is refreshed (and the rotated
refresh token saved *before* it is used), a 401 is refreshed-and-retried once, throttling
and outages are waited out within bounds, and Faults become the typed errors of
:mod:`flask_wsqb.errors`. Customers travel as plain QuickBooks JSON dicts.
"""

from __future__ import annotations

import json
import random
import time
from collections.abc import Iterable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Protocol
from urllib.parse import urlsplit

import requests
from quickbooks import QuickBooks
from quickbooks.exceptions import AuthorizationException, QuickbooksException

from ..clock import parse_time, utcnow
from . import locks, oauth
from .budget import Budget, Unlimited
from .errors import (
    AuthLostError,
    DuplicateNameError,
    NotFoundError,
    QuickBooksError,
    QuickBooksValidationError,
    ServiceUnavailableError,
    StaleObjectError,
    ThrottledError,
    reconnect_needed,
)
from .oauth import OAuthSettings, Tokens

MINOR_VERSION = 75
PAGE_SIZE = 1000  # QuickBooks' largest page
BATCH_SIZE = 30  # QuickBooks' largest batch
#: Refresh this long before the access token's stated expiry, so no request races it.
EXPIRY_MARGIN = timedelta(seconds=120)
#: Whether the batch request being sent may wait for room in the budget (see ``batch``); the
#: request reaches the budget through python-quickbooks, which knows nothing of it.
_batch_may_wait: ContextVar[bool] = ContextVar("wsqb_batch_may_wait", default=True)


class TokenStore(Protocol):
    """Where a company's tokens live (the database, in the extension).

    ``save`` is called with rotated tokens before they are used: Intuit retires the old
    refresh token soon after a refresh, so a rotated token that is not saved is a
    connection lost. ``load`` lets a gateway pick up tokens another process refreshed.
    """

    def load(self) -> Tokens: ...

    def save(self, tokens: Tokens) -> None: ...

    def lost(self, message: str) -> None:
        """QuickBooks rejected the tokens for good: remember it so users are asked to reconnect."""


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 4  # tries per request for outages and throttling
    backoff: float = 0.5  # seconds before the second try; doubles each time, with jitter
    max_wait: float = 60.0  # never sleep longer than this at once (429s ask for up to 60 s)


@dataclass(frozen=True)
class BatchItem:
    bid: str
    operation: str  # "create" or "update"
    customer: dict


def quote(value: str) -> str:
    """A QuickBooks query literal. python-quickbooks escapes only quotes; we escape both."""
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


class _ApiSession(requests.Session):
    """The session handed to python-quickbooks, which only reads ``access_token``."""

    def __init__(self, gateway: QuickBooksGateway) -> None:
        super().__init__()
        self._gateway = gateway

    @property
    def access_token(self) -> str:
        return self._gateway._fresh_tokens().access_token

    def request(self, method, url, *, headers=None, params=None, data=None, **kwargs):  # type: ignore[override]
        return self._gateway._send(
            lambda: super(_ApiSession, self).request(
                method,
                url,
                headers=headers,
                params=params,
                data=data,
                timeout=self._gateway.settings.timeout,
                **kwargs,
            ),
            headers=headers,
            replay_safe=_replay_safe(method, headers, params),
            batch=urlsplit(url).path.endswith("/batch"),
        )


def _replay_safe(method: str, headers: dict | None, params: dict | None) -> bool:
    """Whether re-sending after an unknown outcome can never do the work twice."""
    if method.upper() == "GET" or (params or {}).get("requestid"):
        return True
    return (headers or {}).get("Content-Type") == "application/text"  # a query


class QuickBooksGateway:
    """The QuickBooks Online company ``realm_id``, reached with ``settings``' credentials.

    ``lock(name)`` is a context manager held by one refresher at a time: within this process
    by default; across every worker when given the app's shared lock (see locks.py).
    ``budget`` paces requests to stay within QuickBooks' limits: none by default; across
    every worker when given the app's shared budget (see limiter.py).
    """

    def __init__(
        self,
        *,
        realm_id: str,
        settings: OAuthSettings,
        token_store: TokenStore,
        retry: RetryPolicy = RetryPolicy(),
        lock=locks.local,
        budget: Budget | None = None,
        sleep=time.sleep,
    ) -> None:
        self.realm_id = realm_id
        self.settings = settings
        self.retry = retry
        self._store = token_store
        self._tokens = token_store.load()
        self._sleep = sleep
        self._lock = lock
        self.budget = budget or Unlimited()
        self.client = QuickBooks(company_id=realm_id, minorversion=MINOR_VERSION)
        if settings.api_url:
            # python-quickbooks has no constructor argument for its base URL.
            self.client.api_url_v3 = self.client.sandbox_api_url_v3 = settings.api_url.rstrip("/")
        else:
            self.client.sandbox = settings.environment.lower() in ("sandbox", "sand")
        self.client.session = _ApiSession(self)

    # -- customers -------------------------------------------------------------------

    def iter_customers(
        self, *, include_inactive: bool = True, where: str = "", page_size: int = PAGE_SIZE
    ) -> Iterator[dict]:
        """Every customer, one page in memory at a time, oldest Id first."""
        start = 1
        while True:
            page = self.query(
                "SELECT * FROM Customer"
                + _where(include_inactive, where)
                + f" ORDERBY Id STARTPOSITION {start} MAXRESULTS {page_size}",
                "Customer",
            )
            yield from page
            if len(page) < page_size:
                return
            start += page_size

    def get_customer(self, customer_id: str) -> dict:
        return self._call(self.client.get_single_object, "Customer", customer_id)["Customer"]

    def find_by_display_name(self, display_name: str, entity: str = "Customer") -> list[dict]:
        """Customers (inactive too), vendors or employees named exactly ``display_name``."""
        active = " AND Active IN (true, false)" if entity == "Customer" else ""
        return self.query(f"SELECT * FROM {entity} WHERE DisplayName = {quote(display_name)}{active}", entity)

    def create_customer(self, customer: dict, *, request_id: str) -> dict:
        """Create; ``request_id`` makes a resend return the first answer, not a twin."""
        body = json.dumps(customer)
        return self._call(self.client.create_object, "Customer", body, request_id=request_id)["Customer"]

    def update_customer(self, customer: dict, *, sparse: bool = True, request_id: str | None = None) -> dict:
        """Update; ``customer`` carries Id and the SyncToken it was read with."""
        if not customer.get("Id") or customer.get("SyncToken") is None:
            raise QuickBooksValidationError("An update needs the customer's Id and SyncToken.")
        body = json.dumps({**customer, "sparse": sparse})
        return self._call(self.client.update_object, "Customer", body, request_id=request_id)["Customer"]

    def batch(
        self, items: Iterable[BatchItem], *, request_id: str | None = None, wait: bool = True
    ) -> dict[str, dict | QuickBooksError]:
        """Run creates/updates 30 to a request; each bId maps to its customer or error.

        With ``request_id`` a resent batch replays QuickBooks' first answer instead of
        creating twice (the id gets the chunk's number when there are several chunks).
        ``wait=False``: raise :class:`~.budget.NoRoomNow`, having sent nothing, when the
        company's budget has no room for a batch request right now (30 rows or fewer).
        """
        token = _batch_may_wait.set(wait)
        try:
            return self._batches(list(items), request_id)
        finally:
            _batch_may_wait.reset(token)

    def _batches(self, items: list[BatchItem], request_id: str | None) -> dict[str, dict | QuickBooksError]:
        results: dict[str, dict | QuickBooksError] = {}
        url = f"{self.client.api_url}/company/{self.realm_id}/batch"
        for number, start in enumerate(range(0, len(items), BATCH_SIZE)):
            chunk = items[start : start + BATCH_SIZE]
            body = json.dumps(
                {
                    "BatchItemRequest": [
                        {"bId": item.bid, "operation": item.operation, "Customer": item.customer} for item in chunk
                    ]
                }
            )
            chunk_id = request_id and (request_id if number == 0 else f"{request_id}-{number}")
            answer = self._call(self.client.post, url, body, request_id=chunk_id)
            for entry in answer.get("BatchItemResponse", []):
                if "Fault" in entry:
                    results[entry["bId"]] = _fault_error(entry["Fault"])
                else:
                    results[entry["bId"]] = entry.get("Customer", {})
        return results

    def changed_customers(self, since: datetime) -> list[dict]:
        """Customers changed since ``since`` (change data capture; deleted ones too)."""
        return self.changes_since(since)[0]

    def changes_since(self, since: datetime) -> tuple[list[dict], datetime | None]:
        """Customers changed since ``since``, and QuickBooks' time of the answer: the next
        question starts from there, on QuickBooks' clock rather than ours."""
        stamp = since.astimezone(timezone.utc).isoformat(timespec="seconds")
        answer = self._call(self.client.change_data_capture, "Customer", stamp)
        rows: list[dict] = []
        for response in answer.get("CDCResponse", []):
            for query_response in response.get("QueryResponse", []):
                rows.extend(query_response.get("Customer", []))
        return rows, parse_time(answer.get("time"))

    def company_info(self) -> dict:
        return self._call(self.client.get_single_object, "CompanyInfo", self.realm_id)["CompanyInfo"]

    def query(self, sql: str, entity: str) -> list[dict]:
        return self._call(self.client.query, sql)["QueryResponse"].get(entity, [])

    # -- tokens ------------------------------------------------------------------------

    @property
    def tokens(self) -> Tokens:
        return self._tokens

    def _fresh_tokens(self) -> Tokens:
        if self._tokens.access_expires_at - EXPIRY_MARGIN <= utcnow():
            self.refresh(stale_access_token=self._tokens.access_token)
        return self._tokens

    def refresh(self, *, stale_access_token: str | None = None) -> Tokens:
        """Refresh once, even when several workers find the token stale together: under the
        lock, tokens someone else just refreshed are taken instead of refreshing again."""
        with self._lock(f"refresh:{self.realm_id}"):
            stored = self._store.load()
            if stored.access_token != (stale_access_token or self._tokens.access_token) and (
                stored.access_expires_at - EXPIRY_MARGIN > utcnow()
            ):
                self._tokens = stored  # another thread or process refreshed already
                return stored
            try:
                tokens = oauth.refresh_tokens(self.settings, stored.refresh_token)
            except AuthLostError as exc:
                self._store.lost(str(exc))
                raise
            self._store.save(tokens)  # before anything uses it: the old one is retiring
            self._tokens = tokens
            return tokens

    # -- sending -----------------------------------------------------------------------

    def _send(self, send, *, headers: dict | None, replay_safe: bool, batch: bool = False) -> requests.Response:
        """One API request with refresh-on-401, throttling waits and outage retries.

        Every attempt waits for a slot in the budget; a 429 pauses the whole budget (every
        worker sharing it), not just this request, since QuickBooks throttles the company.
        """
        refreshed = False
        for attempt in range(1, self.retry.attempts + 1):
            last = attempt == self.retry.attempts
            try:
                # only a first attempt may give up for want of room: a later one may follow one
                # that reached QuickBooks, whose answer only this request's resending can fetch
                wait = not batch or attempt > 1 or _batch_may_wait.get()
                with self.budget.slot(self.realm_id, batch=batch, wait=wait):
                    response = send()
            except (requests.ConnectionError, requests.Timeout) as exc:
                if last or not replay_safe:
                    raise ServiceUnavailableError(_outage_message(exc)) from exc
                self._backoff(attempt)
                continue
            if response.status_code == 401 and not refreshed:
                refreshed = True
                sent_with = (headers or {}).get("Authorization", "").removeprefix("Bearer ")
                tokens = self.refresh(stale_access_token=sent_with)
                if headers is not None:
                    headers["Authorization"] = "Bearer " + tokens.access_token
                continue
            if response.status_code == 429 and not last:
                self.budget.pause(self.realm_id, min(_retry_after(response, self.retry), self.retry.max_wait))
                continue
            if response.status_code >= 500 and replay_safe and not last:
                self._backoff(attempt)
                continue
            return response
        return response

    def _backoff(self, attempt: int) -> None:
        delay = self.retry.backoff * 2 ** (attempt - 1)
        self._sleep(min(delay + random.uniform(0, delay), self.retry.max_wait))

    def _call(self, method, *args, **kwargs):
        """Call python-quickbooks and translate what it raises into our errors."""
        try:
            return method(*args, **kwargs)
        except QuickbooksException as exc:
            default = 401 if isinstance(exc, AuthorizationException) else 0
            error = _error_for(_int(exc.error_code) or default, exc.message, exc.detail)
            if isinstance(error, AuthLostError):
                self._store.lost(str(error))  # still refused after a refresh
            raise error from exc


def _where(include_inactive: bool, where: str) -> str:
    conditions = [c for c in (where, "Active IN (true, false)" if include_inactive else "") if c]
    return " WHERE " + " AND ".join(conditions) if conditions else ""


def _retry_after(response: requests.Response, retry: RetryPolicy) -> float:
    try:
        return float(response.headers.get("Retry-After", ""))
    except ValueError:
        return retry.max_wait


def _outage_message(exc: Exception) -> str:
    kind = "timed out" if isinstance(exc, requests.Timeout) else "dropped the connection"
    return f"QuickBooks {kind}; nothing was confirmed. Try again shortly."


def _throttled() -> ThrottledError:
    return ThrottledError(
        "QuickBooks is limiting how fast this company can be updated. Try again in a minute.",
        code=3001,
    )


def _int(code) -> int:
    try:
        return int(code)
    except (TypeError, ValueError):
        return 0


def _fault_error(fault: dict) -> QuickBooksError:
    error = (fault.get("Error") or [{}])[0]
    return _error_for(_int(error.get("code")), error.get("Message", ""), error.get("Detail", ""))


#: AuthenticationFailed and ApplicationAuthorizationFailed (tokens of another company): Faults
#: python-quickbooks files under validation by their code, though they mean "reconnect".
_AUTH_FAULTS = (3100, 3200)


def _error_for(code: int, message: str, detail: str) -> QuickBooksError:
    if code == 6240:
        return DuplicateNameError(
            "Another customer, vendor or employee in QuickBooks already uses this name.",
            code=code,
            detail=detail,
        )
    if code == 5010:
        return StaleObjectError(
            "The customer was changed in QuickBooks while we were updating it.", code=code, detail=detail
        )
    if code == 610:
        return NotFoundError("This customer no longer exists in QuickBooks.", code=code, detail=detail)
    if code in (3001, 429):
        return _throttled()
    if code >= 10000:  # QuickBooks' own failures, and answers that were not JSON at all
        return ServiceUnavailableError(
            "QuickBooks had a problem on its side; nothing was confirmed. Try again shortly.",
            code=code,
            detail=detail,
        )
    if 0 < code < 500 or code in _AUTH_FAULTS:
        return reconnect_needed("QuickBooks rejected this app's access to the company", code=code, detail=detail)
    text = detail or message or "no reason given"
    return QuickBooksValidationError(f"QuickBooks refused it: {text}", code=code, detail=detail)
