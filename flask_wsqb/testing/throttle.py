"""Per-company request limits: a sliding minute of emulator time and a cap on requests in flight."""

from __future__ import annotations

import threading
from collections import defaultdict, deque
from contextlib import contextmanager
from typing import Iterator

from .clock import Clock
from .faults import THROTTLED, ApiFault


class Throttle:
    def __init__(self, clock: Clock, *, per_minute: int, concurrent: int, enabled: bool) -> None:
        self.clock = clock
        self.per_minute = per_minute
        self.concurrent = concurrent
        self.enabled = enabled
        self._lock = threading.Lock()
        self._recent: dict[str, deque[float]] = defaultdict(deque)
        self._in_flight: dict[str, int] = defaultdict(int)

    @contextmanager
    def admit(self, realm_id: str) -> Iterator[None]:
        """Hold a slot for one request, or raise the 429 fault QBO answers when over a limit."""
        with self._lock:
            if self.enabled:
                now = self.clock.time()
                recent = self._recent[realm_id]
                while recent and recent[0] <= now - 60:
                    recent.popleft()
                if len(recent) >= self.per_minute:
                    raise ApiFault(THROTTLED, "Too many requests in the last minute.", status=429)
                if self._in_flight[realm_id] >= self.concurrent:
                    raise ApiFault(THROTTLED, "Too many concurrent requests.", status=429)
                recent.append(now)
            self._in_flight[realm_id] += 1
        try:
            yield
        finally:
            with self._lock:
                self._in_flight[realm_id] -= 1
