"""How fast we may talk to QuickBooks: one request budget per company, shared by every worker.

QuickBooks answers 429 (Fault 3001) beyond 500 requests a minute, 40 batch requests a minute or
10 requests at once per company, then wants a minute's rest. Rather than find the limits by
hitting them, the gateway takes a :meth:`Budget.slot` before every request, which waits until
the company's budget has room; after a 429 anyway, :meth:`Budget.pause` makes every worker rest.

:class:`RedisBudget` is shared by every process that uses the same Redis (``WSQB_REDIS_URL``),
:class:`InProcessBudget` by the threads of one process; :class:`Unlimited`, the gateway's
default, only honours pauses.

Waiting requests are served first come, first served, whichever process sends them: each
waits in the company's line until the requests that came before it have started. Room is of two
kinds, for requests and for batch requests: a request queues only behind those waiting for the
same kind, so a batch request waiting for the batch-request rate holds back no other request.

Before waiting, a slot asks :mod:`flask_wsqb.fairness` whether the job should rather give way.
:meth:`Budget.room` tells, without waiting, how many requests could start right now.
"""

from __future__ import annotations

import threading
import time
import uuid
from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from .. import fairness
from ..config import setting
from .errors import ServiceUnavailableError, ThrottledError
from .redis_client import shared_connection


@dataclass(frozen=True)
class Limits:
    """What one company allows per ``window`` seconds; ``None``: no limit."""

    requests: int | None = 480  # QuickBooks: 500 a minute
    batches: int | None = 38  # batch requests (they count as requests too); QuickBooks: 40 a minute
    concurrent: int | None = 8  # in flight at once; QuickBooks: 10
    window: float = 60.0
    per_second: int | None = 9  # requests per 60th of the window; QuickBooks: 10 a second

    @property
    def second(self) -> float:
        """The window's second: the short window ``per_second`` counts over."""
        return self.window / 60


class NoRoomNow(Exception):
    """A request that was not to wait for room found none: it was not sent."""


#: The room a limit of ``None`` leaves: more than anyone sends at once.
NO_LIMIT = 1_000_000


@dataclass(frozen=True)
class Room:
    """How many more requests to a company could start right now without waiting, and how many
    of those could be batch requests (never more than ``requests``: a batch request is one)."""

    requests: int
    batches: int

    def allows(self, *, batch: bool) -> bool:
        return self.requests > 0 and (not batch or self.batches > 0)


class Budget(ABC):
    """A request budget per company (realm).

    ``slot`` blocks until a request may be sent, for at most ``max_wait`` seconds (default:
    three windows), then raises :class:`ThrottledError`; or it gives way instead of waiting
    (``fairness.GiveWay``), when the job's turn would be over.

    A request counts in the rates from when its slot is taken until a window after the slot
    is given back: QuickBooks counts it at some moment in between, so however long requests
    take to arrive, QuickBooks never sees more in a window than the budget allowed.
    """

    def __init__(self, limits: Limits, *, max_wait: float | None = None) -> None:
        self.limits = limits
        self.max_wait = 3 * limits.window if max_wait is None else max_wait
        #: How often a request waiting for one in flight to finish looks again.
        self.poll = min(0.05, limits.window / 200)
        #: The longest a waiting request sleeps before it asks again (and whether to give way).
        self.step = min(0.25, limits.window / 20)

    @contextmanager
    def slot(self, realm_id: str, *, batch: bool = False, wait: bool = True) -> Iterator[None]:
        """Held while one request to ``realm_id`` is in flight. ``wait=False``: raise
        :class:`NoRoomNow` at once rather than wait for room."""
        token = uuid.uuid4().hex
        deadline = self.deadline()
        try:
            while (seconds := self._acquire(realm_id, token, batch)) > 0:
                if not wait:
                    raise NoRoomNow()
                self.wait_a_step(seconds, deadline)
        except BaseException:
            self._leave(realm_id, token, batch)  # its place in line would hold the others back
            raise
        fairness.request_sent()
        try:
            yield
        finally:
            self._release(realm_id, token)

    def deadline(self) -> float:
        """When a request starting to wait now has waited long enough (``time.monotonic()``)."""
        return time.monotonic() + self.max_wait

    def wait_a_step(self, seconds: float, deadline: float) -> None:
        """Wait up to ``seconds`` for room, at most a :attr:`step` before asking again: the job
        may give way instead (``fairness.GiveWay``), and past ``deadline`` the request is
        throttled (:class:`ThrottledError`)."""
        if seconds > deadline - time.monotonic():
            raise ThrottledError(
                f"Waited {self.max_wait:.0f} s for room in this company's QuickBooks request "
                "budget, which other jobs are using. Try again in a minute.",
                code=3001,
                retry_after=self.limits.window,
            )
        fairness.before_waiting(seconds)
        time.sleep(min(seconds, self.step))

    @abstractmethod
    def pause(self, realm_id: str, seconds: float) -> None:
        """No request to ``realm_id`` starts, by anyone sharing this budget, for ``seconds``."""

    @abstractmethod
    def room(self, realm_id: str) -> Room:
        """What could start right now: none while paused; within the rates and the requests in
        flight allowed, less what the requests waiting their turn take; ``NO_LIMIT`` for a limit
        of ``None``."""

    @abstractmethod
    def spare(self, realm_id: str) -> int:
        """How many more requests the company's window takes beyond those its batch requests
        still allowed in it would need (less the requests waiting their turn): what single
        requests may use without ever keeping a batch request waiting. 0 while paused."""

    @abstractmethod
    def _acquire(self, realm_id: str, token: str, batch: bool) -> float:
        """Take a slot named ``token`` and answer 0, or keep (or take) the request's place in
        line and answer how long it should wait before asking again."""

    @abstractmethod
    def _leave(self, realm_id: str, token: str, batch: bool) -> None:
        """The request ``token`` stops waiting: it leaves the line."""

    @abstractmethod
    def _release(self, realm_id: str, token: str) -> None: ...


@dataclass
class _RealmUse:
    requests: dict[str, float] = field(default_factory=dict)  # token: when it last counted
    batches: dict[str, float] = field(default_factory=dict)
    in_flight: set[str] = field(default_factory=set)
    paused_until: float = 0.0
    line: dict[str, bool] = field(default_factory=dict)  # waiting requests' tokens by arrival: batch?


class InProcessBudget(Budget):
    """Shared by the threads of this process."""

    def __init__(self, limits: Limits = Limits(), *, max_wait: float | None = None) -> None:
        super().__init__(limits, max_wait=max_wait)
        self._lock = threading.Lock()
        self._realms: dict[str, _RealmUse] = {}

    def pause(self, realm_id: str, seconds: float) -> None:
        with self._lock:
            use = self._realms.setdefault(realm_id, _RealmUse())
            use.paused_until = max(use.paused_until, time.monotonic() + seconds)

    def room(self, realm_id: str) -> Room:
        with self._lock:
            use = self._realms.setdefault(realm_id, _RealmUse())
            return _place(use.line.items(), self._free(use, time.monotonic())).room

    def spare(self, realm_id: str) -> int:
        limits = self.limits
        with self._lock:
            use = self._realms.setdefault(realm_id, _RealmUse())
            now = time.monotonic()
            if use.paused_until > now:
                return 0
            requests = _left(use.requests, limits.requests, now, limits.window)
            return max(0, requests - _left(use.batches, limits.batches, now, limits.window) - len(use.line))

    def _free(self, use: _RealmUse, now: float) -> Room:
        """The room the rates and the requests in flight leave, before any waiting request."""
        if use.paused_until > now:
            return Room(0, 0)
        limits = self.limits
        requests = min(
            _left(use.requests, limits.requests, now, limits.window),
            _left_in_second(use.requests, limits, now),
            NO_LIMIT if limits.concurrent is None else max(0, limits.concurrent - len(use.in_flight)),
        )
        return Room(requests, min(requests, _left(use.batches, limits.batches, now, limits.window)))

    def _acquire(self, realm_id: str, token: str, batch: bool) -> float:
        limits = self.limits
        with self._lock:
            use = self._realms.setdefault(realm_id, _RealmUse())
            now = time.monotonic()
            use.line.setdefault(token, batch)
            if use.paused_until > now:
                return use.paused_until - now
            place = _place(use.line.items(), self._free(use, now), token)
            if not place.room.allows(batch=batch):
                wait = max(
                    _wait_for_room(use.requests, limits.requests, now, limits.window, place.requests_ahead),
                    _wait_for_second(use.requests, limits, now),
                )
                if batch:
                    wait = max(
                        wait, _wait_for_room(use.batches, limits.batches, now, limits.window, place.batches_ahead)
                    )
                return wait or self.poll  # the rates have room: requests in flight, or ahead, hold it
            del use.line[token]
            if limits.requests is not None or limits.per_second is not None:
                use.requests[token] = now
            if batch and limits.batches is not None:
                use.batches[token] = now
            use.in_flight.add(token)
            return 0.0

    def _leave(self, realm_id: str, token: str, batch: bool) -> None:
        with self._lock:
            self._realms[realm_id].line.pop(token, None)

    def _release(self, realm_id: str, token: str) -> None:
        with self._lock:
            use = self._realms[realm_id]
            use.in_flight.discard(token)
            now = time.monotonic()
            for log in (use.requests, use.batches):
                if token in log:
                    log[token] = now


@dataclass(frozen=True)
class _Place:
    """A request's place in line."""

    room: Room  # what the requests before it leave
    requests_ahead: int  # requests before it taking, or waiting for, request room
    batches_ahead: int  # batch requests before it


def _place(line: Iterable[tuple[str, bool]], free: Room, token: str | None = None) -> _Place:
    """The place of ``token`` in ``line`` (waiting requests' tokens by arrival: batch?), or of a
    request arriving now without one: the ``free`` room the requests before it leave.

    Each takes the room it needs, in order of arrival, while there is some. A batch request that
    has request room but waits for batch-request room leaves the request room to those behind.
    """
    requests, batches = free.requests, free.batches
    requests_ahead = batches_ahead = 0
    for waiter, batch in line:
        if waiter == token:
            break
        batches_ahead += batch
        if batch and requests and not batches:
            continue
        requests_ahead += 1
        if requests:
            requests, batches = requests - 1, batches - batch
    return _Place(Room(requests, min(requests, batches)), requests_ahead, batches_ahead)


def _left(log: dict[str, float], limit: int | None, now: float, window: float) -> int:
    """How many more entries the sliding log takes in the window ending now (entries older than
    the window are dropped, whatever the limit)."""
    for token in [token for token, counted in log.items() if counted <= now - window]:
        del log[token]
    return NO_LIMIT if limit is None else max(0, limit - len(log))


def _left_in_second(log: dict[str, float], limits: Limits, now: float) -> int:
    """How many more requests the log takes in the second ending now."""
    if limits.per_second is None:
        return NO_LIMIT
    return max(0, limits.per_second - sum(1 for counted in log.values() if counted > now - limits.second))


def _wait_for_second(log: dict[str, float], limits: Limits, now: float) -> float:
    """Seconds until the second ending then has room for one more request."""
    if limits.per_second is None:
        return 0.0
    recent = sorted(counted for counted in log.values() if counted > now - limits.second)
    if len(recent) < limits.per_second:
        return 0.0
    return recent[-limits.per_second] + limits.second - now


def _wait_for_room(log: dict[str, float], limit: int | None, now: float, window: float, ahead: int) -> float:
    """Seconds until the sliding log has room for one more entry after ``ahead`` others: a window
    at least when the entry whose end makes that room has yet to be sent."""
    if limit is None or _left(log, limit, now, window) > ahead:
        return 0.0
    edge = len(log) - limit + ahead
    return window if edge >= len(log) else sorted(log.values())[edge] + window - now


class Unlimited(InProcessBudget):
    """No limits, only pauses after a 429: the default of a gateway given no budget."""

    def __init__(self) -> None:
        super().__init__(Limits(requests=None, batches=None, concurrent=None, per_second=None))


# The scripts read Redis' clock, so workers on machines whose clocks differ still agree.
# KEYS: the realm's request log, batch log, in-flight leases, paused-until, line (waiting
# requests by arrival: 'b' or 'r' for a batch request or not, then the token), line seen (when
# each last asked). ARGV: the window, the limits of requests, batches and requests in flight
# (-1: none), how long a waiting request keeps its place without asking again, and the limit of
# requests in the window's second (-1: none).
# Numbers travel as strings: Redis truncates Lua numbers to integers.
_PLACE = f"""
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local window, requests, batches = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local concurrent, stale, per_second = tonumber(ARGV[4]), tonumber(ARGV[5]), tonumber(ARGV[6])
local second = window / 60
local paused = tonumber(redis.call('GET', KEYS[4]) or '0')
for _, waiter in ipairs(redis.call('ZRANGEBYSCORE', KEYS[6], '-inf', now - stale)) do
  redis.call('ZREM', KEYS[5], waiter)  -- it stopped asking: its process was killed
  redis.call('ZREM', KEYS[6], waiter)
end
local function left(key, limit, older_than)
  redis.call('ZREMRANGEBYSCORE', key, '-inf', older_than)
  if limit < 0 then return {NO_LIMIT} end
  return math.max(0, limit - redis.call('ZCARD', key))
end
local function left_in_second()  -- as _left_in_second
  if per_second < 0 then return {NO_LIMIT} end
  return math.max(0, per_second - redis.call('ZCOUNT', KEYS[1], '(' .. (now - second), '+inf'))
end
-- as _place: the room, requests ahead and batch requests ahead of member (of a newcomer: nil)
local function place(member)
  local r, b = 0, 0
  if paused <= now then
    r = math.min(left(KEYS[1], requests, now - window), left_in_second(), left(KEYS[3], concurrent, now))
    b = math.min(r, left(KEYS[2], batches, now - window))
  end
  local r_ahead, b_ahead = 0, 0
  for _, waiter in ipairs(redis.call('ZRANGE', KEYS[5], 0, -1)) do
    if waiter == member then break end
    local batch = string.sub(waiter, 1, 1) == 'b'
    if batch then b_ahead = b_ahead + 1 end
    if not (batch and r > 0 and b < 1) then
      r_ahead = r_ahead + 1
      if r > 0 then
        r = r - 1
        if batch then b = b - 1 end
      end
    end
  end
  return r, math.min(r, b), r_ahead, b_ahead
end
"""

_ROOM = (
    _PLACE
    + """
local r, b = place(nil)
return string.format('%d %d', r, b)
"""
)

_SPARE = (
    _PLACE
    + """
if paused > now then return 0 end
local spare = left(KEYS[1], requests, now - window) - left(KEYS[2], batches, now - window)
return math.max(0, spare - redis.call('ZCARD', KEYS[5]))
"""
)

# ARGV (after the six above): the lease, the line member, the poll.
_ACQUIRE = (
    _PLACE
    + """
local lease, member, poll = tonumber(ARGV[7]), ARGV[8], ARGV[9]
local token, batch = string.sub(member, 2), string.sub(member, 1, 1) == 'b'
redis.call('ZADD', KEYS[5], 'NX', string.format('%.6f', now), member)
redis.call('ZADD', KEYS[6], string.format('%.6f', now), member)
for i = 5, 6 do redis.call('PEXPIRE', KEYS[i], math.ceil(stale * 1000) + 1000) end
if paused > now then return tostring(paused - now) end
local r, b, r_ahead, b_ahead = place(member)
if r < 1 or (batch and b < 1) then
  local function wait_for_room(key, limit, ahead)  -- as _wait_for_room
    if limit < 0 or left(key, limit, now - window) > ahead then return 0 end
    local count = redis.call('ZCARD', key)
    local edge = count - limit + ahead
    if edge >= count then return window end
    return tonumber(redis.call('ZRANGE', key, edge, edge, 'WITHSCORES')[2]) + window - now
  end
  local wait = wait_for_room(KEYS[1], requests, r_ahead)
  if per_second >= 0 and left_in_second() < 1 then  -- as _wait_for_second
    local recent = redis.call('ZRANGEBYSCORE', KEYS[1], '(' .. (now - second), '+inf', 'WITHSCORES')
    wait = math.max(wait, tonumber(recent[2 * (#recent / 2 - per_second) + 2]) + second - now)
  end
  if batch then wait = math.max(wait, wait_for_room(KEYS[2], batches, b_ahead)) end
  if wait > 0 then return tostring(wait) end
  return poll  -- the rates have room: requests in flight, or ahead, hold it
end
redis.call('ZREM', KEYS[5], member)
redis.call('ZREM', KEYS[6], member)
local function log(key, score, ttl)
  redis.call('ZADD', key, score, token)
  redis.call('PEXPIRE', key, math.ceil(ttl * 1000) + 1000)
end
if requests >= 0 or per_second >= 0 then log(KEYS[1], now, window) end
if batch and batches >= 0 then log(KEYS[2], now, window) end
if concurrent >= 0 then log(KEYS[3], now + lease, lease) end
return '0'
"""
)

# KEYS: the realm's request log, batch log, in-flight leases.
_RELEASE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
redis.call('ZREM', KEYS[3], ARGV[1])
for i = 1, 2 do
  if redis.call('ZADD', KEYS[i], 'XX', 'CH', now, ARGV[1]) == 1 then
    redis.call('PEXPIRE', KEYS[i], math.ceil(tonumber(ARGV[2]) * 1000) + 1000)
  end
end
"""

_PAUSE = """
local t = redis.call('TIME')
local seconds = tonumber(ARGV[1])
local till = tonumber(t[1]) + tonumber(t[2]) / 1000000 + seconds
if till > tonumber(redis.call('GET', KEYS[1]) or '0') then
  redis.call('SET', KEYS[1], string.format('%.6f', till), 'PX', math.ceil(seconds * 1000))
end
"""


class RedisBudget(Budget):
    """Shared by every process using ``connection`` (keys ``wsqb:budget:{realm}:…``).

    The rates are sliding-window logs; each request in flight holds a lease of ``lease``
    seconds, so a worker killed mid-request frees its slot when the lease ends. A request
    outlasting its lease stops counting as in flight: keep it above the request timeout.
    A waiting request asks again at least every ``step``; one that has not asked for
    ``stale_after`` seconds (its worker was killed) loses its place in line.
    """

    def __init__(
        self,
        connection,
        limits: Limits = Limits(),
        *,
        lease: float = 60.0,
        max_wait: float | None = None,
        stale_after: float = 2.0,
    ) -> None:
        super().__init__(limits, max_wait=max_wait)
        self.connection = connection
        self.lease = lease
        self.stale_after = stale_after
        self._acquire_script = connection.register_script(_ACQUIRE)
        self._room_script = connection.register_script(_ROOM)
        self._spare_script = connection.register_script(_SPARE)
        self._pause_script = connection.register_script(_PAUSE)
        self._release_script = connection.register_script(_RELEASE)

    def pause(self, realm_id: str, seconds: float) -> None:
        self._run(self._pause_script, _keys(realm_id, "paused"), [float(seconds)])

    def room(self, realm_id: str) -> Room:
        requests, batches = self._run(self._room_script, self._place_keys(realm_id), self._place_args()).split()
        return Room(int(requests), int(batches))

    def spare(self, realm_id: str) -> int:
        return int(self._run(self._spare_script, self._place_keys(realm_id), self._place_args()))

    def _acquire(self, realm_id: str, token: str, batch: bool) -> float:
        args = [*self._place_args(), self.lease, _member(token, batch), self.poll]
        return float(self._run(self._acquire_script, self._place_keys(realm_id), args))

    def _place_keys(self, realm_id: str) -> list[str]:
        return _keys(realm_id, "requests", "batches", "in-flight", "paused", "line", "line-seen")

    def _place_args(self) -> list:
        limits = self.limits
        return [
            limits.window,
            _or_none(limits.requests),
            _or_none(limits.batches),
            _or_none(limits.concurrent),
            self.stale_after,
            _or_none(limits.per_second),
        ]

    def _leave(self, realm_id: str, token: str, batch: bool) -> None:
        from redis.exceptions import RedisError

        member = _member(token, batch)
        try:
            with self.connection.pipeline() as pipeline:
                for key in _keys(realm_id, "line", "line-seen"):
                    pipeline.zrem(key, member)
                pipeline.execute()
        except RedisError:
            pass  # it loses its place anyway once stale

    def _release(self, realm_id: str, token: str) -> None:
        from redis.exceptions import RedisError

        try:
            self._release_script(
                keys=_keys(realm_id, "requests", "batches", "in-flight"), args=[token, self.limits.window]
            )
        except RedisError:
            pass  # the lease frees the slot anyway

    def _run(self, script, keys: list[str], args: list):
        from redis.exceptions import RedisError

        try:
            return script(keys=keys, args=args)
        except RedisError as exc:
            where = self.connection.connection_pool.connection_kwargs
            raise ServiceUnavailableError(
                f"Redis at {where.get('host', '?')}:{where.get('port', '?')}, which paces this "
                f"company's QuickBooks requests across workers, cannot be reached: {exc}. "
                "Nothing more was sent to QuickBooks."
            ) from exc


def _member(token: str, batch: bool) -> str:
    """A waiting request in the line: its kind, then its token."""
    return ("b" if batch else "r") + token


def _keys(realm_id: str, *names: str) -> list[str]:
    # The braces are a Redis Cluster hash tag: a realm's keys live together, as scripts need.
    return [f"wsqb:budget:{{{realm_id}}}:{name}" for name in names]


def _or_none(limit: int | None) -> int:
    return -1 if limit is None else limit


_budgets: dict[tuple[str | None, Limits, float], Budget] = {}
_budgets_guard = threading.Lock()


def budget() -> Budget:
    """The app's budget: in Redis when ``WSQB_REDIS_URL`` is set, else for this process.

    Resolved in the app context, so the gateway can use it without one. A slot held by a
    worker that died frees itself after twice ``WSQB_TIMEOUT``.
    """
    limits = Limits(
        requests=int(setting("RATE_PER_MINUTE")),
        batches=int(setting("BATCH_PER_MINUTE")),
        concurrent=int(setting("MAX_CONCURRENT")),
        window=float(setting("RATE_WINDOW")),
        per_second=int(setting("RATE_PER_SECOND")),
    )
    url = setting("REDIS_URL")
    lease = 2 * float(setting("TIMEOUT"))
    with _budgets_guard:
        key = (url, limits, lease)
        if key not in _budgets:
            if url:
                _budgets[key] = RedisBudget(shared_connection(url), limits, lease=lease)
            else:
                _budgets[key] = InProcessBudget(limits)
        return _budgets[key]
