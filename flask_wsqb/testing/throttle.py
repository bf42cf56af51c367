"""Per-company request limits: a sliding minute of emulator time for all requests and for batch
requests, a sliding second for all requests, and a cap on requests in flight."""

from __future__ import annotations

import threading
from collections import defaultdict, deque
from collections.abc import Iterator
from contextlib import contextmanager

from .clock import Clock
from .faults import THROTTLED, ApiFault


class Throttle:
    def __init__(
        self,
        clock: Clock,
        *,
        per_minute: int,
        concurrent: int,
        enabled: bool,
        batch_per_minute: int = 40,
        per_second: int = 10,
    ) -> None:
        self.clock = clock
        self.per_minute = per_minute
        self.per_second = per_second
        self.batch_per_minute = batch_per_minute
        self.concurrent = concurrent
        self.enabled = enabled
        self._lock = threading.Lock()
        self._recent: dict[str, deque[float]] = defaultdict(deque)
        self._recent_batches: dict[str, deque[float]] = defaultdict(deque)
        self._in_flight: dict[str, int] = defaultdict(int)

    @contextmanager
    def admit(self, realm_id: str, *, batch: bool = False) -> Iterator[None]:
        """Hold a slot for one request, or raise the 429 fault QBO answers when over a limit.

        A batch request counts against both the request and the batch-request limits.
        """
        with self._lock:
            if self.enabled:
                now = self.clock.time()
                recent = _last_minute(self._recent[realm_id], now)
                batches = _last_minute(self._recent_batches[realm_id], now)
                if len(recent) >= self.per_minute:
                    raise ApiFault(THROTTLED, "Too many requests in the last minute.", status=429)
                if _since(recent, now - 1) >= self.per_second:
                    raise ApiFault(THROTTLED, "Too many requests in the last second.", status=429)
                if batch and len(batches) >= self.batch_per_minute:
                    raise ApiFault(THROTTLED, "Too many batch requests in the last minute.", status=429)
                if self._in_flight[realm_id] >= self.concurrent:
                    raise ApiFault(THROTTLED, "Too many concurrent requests.", status=429)
                recent.append(now)
                if batch:
                    batches.append(now)
            self._in_flight[realm_id] += 1
        try:
            yield
        finally:
            with self._lock:
                self._in_flight[realm_id] -= 1


def _last_minute(times: deque[float], now: float) -> deque[float]:
    while times and times[0] <= now - 60:
        times.popleft()
    return times


def _since(times: deque[float], start: float) -> int:
    """How many of ``times`` (oldest first) are after ``start``, counted from the newest."""
    count = 0
    for time in reversed(times):
        if time <= start:
            break
        count += 1
    return count
