"""Intuit's webhooks: every Customer change of every company is announced by a signed POST to the
app's webhook URL, in the CloudEvents format or the older ``eventNotifications`` one.

As Intuit does, the sender waits a moment (``webhook_delay`` emulated seconds from the first
change waiting) and sends everything then due in one POST. A POST that fails (no answer, or not
2xx) is sent again after 1, 2 and 4 times ``webhook_delay`` (at least 0.1 s), then given up.
Notifications name the changed customer only: the app reads the customer itself.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import urllib.error
import urllib.request
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timezone
from typing import NamedTuple, Protocol

from .clock import Clock, parse_time

FORMATS = ("cloudevents", "legacy")
#: Intuit retries a failed delivery three times before giving it up.
RETRIES = 3
#: The shortest wait before a retry, in emulated seconds: a delay of 0 must still back off.
MIN_RETRY_WAIT = 0.1
POST_TIMEOUT = 10.0
#: The longest real time the sender sleeps between looks at the clock, which may be sped up
#: or advanced meanwhile.
POLL = 0.05
SOURCE = "intuit.qbo-emulator"


@dataclass(frozen=True)
class CustomerChange:
    """One change to announce; ``operation`` is Create, Update, Delete or Merge."""

    realm_id: str
    customer_id: str
    operation: str
    #: The customer's ``MetaData.LastUpdatedTime`` after the change.
    updated: str
    #: For a Merge: the customer merged away (``customer_id`` is the survivor).
    deleted_id: str | None = None


class WebhookDelivery(NamedTuple):
    """One POST made: the status answered (0 when no answer came), how many events it carried
    and the body sent, byte for byte as signed."""

    status: int
    events: int
    body: bytes


class WebhookSettings(Protocol):
    """Where and how to notify. Read when a change happens and at each POST, so changing a
    setting of a running emulator takes effect at once."""

    @property
    def webhook_url(self) -> str | None: ...
    @property
    def webhook_verifier_token(self) -> str: ...
    @property
    def webhook_format(self) -> str: ...
    @property
    def webhook_delay(self) -> float: ...
    @property
    def webhooks_paused(self) -> bool: ...
    @property
    def duplicate_webhooks(self) -> bool: ...


def checked_format(name: str) -> str:
    if name not in FORMATS:
        raise ValueError(f"webhook_format must be one of {FORMATS}, not {name!r}")
    return name


def sign(body: bytes, verifier_token: str) -> str:
    """The ``intuit-signature`` header: base64 of the body's HMAC-SHA256 keyed with the token."""
    digest = hmac.new(verifier_token.encode(), body, hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def payload(changes: Sequence[CustomerChange], format_name: str) -> bytes:
    document = cloudevents(changes) if format_name == "cloudevents" else legacy(changes)
    return json.dumps(document).encode()


def cloudevents(changes: Sequence[CustomerChange]) -> list[dict]:
    return [
        {
            "specversion": "1.0",
            "id": f"{uuid.uuid4()}-Customer-{change.customer_id}",
            "source": SOURCE,
            "type": f"qbo.customer.{change.operation.lower()}d.v1",
            "datacontenttype": "application/json",
            "time": _utc(change.updated),
            "intuitentityid": change.customer_id,
            "intuitaccountid": change.realm_id,
            "data": {} if change.deleted_id is None else {"deletedid": change.deleted_id},
        }
        for change in changes
    ]


def legacy(changes: Sequence[CustomerChange]) -> dict:
    """The ``eventNotifications`` document: one notification per company, in order of changes."""
    entities: dict[str, list[dict]] = {}
    for change in changes:
        entity = {
            "name": "Customer",
            "id": change.customer_id,
            "operation": change.operation,
            "lastUpdated": _utc(change.updated),
        }
        if change.deleted_id is not None:
            entity["deletedId"] = change.deleted_id
        entities.setdefault(change.realm_id, []).append(entity)
    return {
        "eventNotifications": [
            {"realmId": realm_id, "dataChangeEvent": {"entities": listed}} for realm_id, listed in entities.items()
        ]
    }


def _utc(moment: str) -> str:
    return parse_time(moment).astimezone(timezone.utc).isoformat().replace("+00:00", "Z")


def post(url: str, body: bytes, signature: str) -> int:
    """POST a notification; the status answered, or 0 when none came."""
    request = urllib.request.Request(
        url, data=body, method="POST", headers={"Content-Type": "application/json", "intuit-signature": signature}
    )
    try:
        with urllib.request.urlopen(request, timeout=POST_TIMEOUT) as response:
            return response.status
    except urllib.error.HTTPError as error:
        error.close()
        return error.code
    except Exception:  # a refused connection, a timeout, a bad URL: whatever it is, no answer came
        return 0


@dataclass(eq=False)  # batches are told apart by identity: two may carry the same body
class _Batch:
    """The body of one POST, kept with its failed attempts until it is delivered or given up."""

    body: bytes
    events: int
    attempts: int = 0
    due: float = 0.0


class WebhookSender:
    """The changes waiting to be announced, and the thread that announces them.

    Changes are recorded only while a webhook URL is set and notifications are not paused: one
    made meanwhile is never announced, as a notification lost on the way never arrives.
    """

    def __init__(self, clock: Clock, settings: WebhookSettings) -> None:
        self.clock = clock
        self.settings = settings
        self._lock = threading.Condition()  # guards the changes, retries and log; the thread waits on it
        self._waiting: list[CustomerChange] = []
        self._send_at: float | None = None  # when the waiting changes go, in emulated time
        self._retries: list[_Batch] = []
        self._stopping = False
        self._thread: threading.Thread | None = None
        # One sender at a time, so flush() returns only once every POST it owes has been made.
        self._sending = threading.Lock()
        self._log: list[WebhookDelivery] = []

    def record(self, change: CustomerChange) -> None:
        if self.settings.webhook_url is None or self.settings.webhooks_paused:
            return
        with self._lock:
            if self._send_at is None:
                self._send_at = self.clock.time() + self.settings.webhook_delay
            self._waiting.append(change)
            self._lock.notify()

    def log(self) -> list[WebhookDelivery]:
        with self._lock:
            return list(self._log)

    # -- the thread ---------------------------------------------------------------------------------
    def start(self) -> None:
        with self._lock:
            self._stopping = False
        self._thread = threading.Thread(target=self._run, name="qbo-webhooks", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop the thread; changes still waiting are sent by flush_webhooks() or after start()."""
        if self._thread is None:
            return
        with self._lock:
            self._stopping = True
            self._lock.notify()
        self._thread.join(timeout=POST_TIMEOUT + 5)
        self._thread = None

    def _run(self) -> None:
        while True:
            with self._lock:
                if not self._stopping:  # stop() may have been called while this thread was sending
                    self._lock.wait(self._sleep())
                if self._stopping:
                    return
            self._send(everything=False)

    def _sleep(self) -> float | None:
        """Real seconds until the next POST is due (at most :data:`POLL`); None: nothing waits."""
        dues = [batch.due for batch in self._retries] + ([] if self._send_at is None else [self._send_at])
        if not dues:
            return None
        speed = self.clock.speed
        return POLL if speed <= 0 else max(0.0, min(POLL, (min(dues) - self.clock.time()) / speed))

    # -- sending ------------------------------------------------------------------------------------
    def flush(self) -> int:
        """Send every waiting change and retry now; the number of events delivered (answered 2xx)."""
        return self._send(everything=True)

    def _send(self, *, everything: bool) -> int:
        with self._sending:
            return sum(self._deliver(batch) for batch in self._due(everything))

    def _due(self, everything: bool) -> list[_Batch]:
        now = self.clock.time()
        with self._lock:
            due = [batch for batch in self._retries if everything or batch.due <= now]
            self._retries = [batch for batch in self._retries if batch not in due]
            if self._waiting and (everything or (self._send_at is not None and self._send_at <= now)):
                due.append(_Batch(payload(self._waiting, self.settings.webhook_format), len(self._waiting)))
                self._waiting, self._send_at = [], None
            return due

    def _deliver(self, batch: _Batch) -> int:
        """POST a batch (twice when duplicating); a failure is retried later, up to :data:`RETRIES`
        times. With no webhook URL any more, the batch is dropped: nobody is listening."""
        url = self.settings.webhook_url
        if url is None:
            return 0
        signature = sign(batch.body, self.settings.webhook_verifier_token)
        statuses = [post(url, batch.body, signature) for _ in range(2 if self.settings.duplicate_webhooks else 1)]
        with self._lock:
            self._log.extend(WebhookDelivery(status, batch.events, batch.body) for status in statuses)
            if 200 <= statuses[0] < 300:
                return batch.events
            batch.attempts += 1
            if batch.attempts <= RETRIES:
                wait = max(self.settings.webhook_delay, MIN_RETRY_WAIT) * 2 ** (batch.attempts - 1)
                batch.due = self.clock.time() + wait
                self._retries.append(batch)
                self._lock.notify()
            return 0
