"""Emulated time: real time scaled by a speed factor, plus manual jumps."""

from __future__ import annotations

import threading
import time
from datetime import datetime, timedelta, timezone

#: QuickBooks shows times in the company's zone; the emulator's companies live in US Pacific
#: standard time, written with an explicit offset as the API does ("2026-11-26T10:22:55-08:00").
COMPANY_TZ = timezone(timedelta(hours=-8))


class Clock:
    """Emulator time in epoch seconds.

    ``speed`` is emulated seconds per real second; :meth:`advance` jumps forward. Token lifetimes,
    throttle windows and ``MetaData`` timestamps all read this clock.
    """

    def __init__(self, speed: float = 1.0) -> None:
        self._lock = threading.Lock()
        self._origin_real = time.monotonic()
        self._origin = time.time()
        self._speed = speed

    @property
    def speed(self) -> float:
        return self._speed

    @speed.setter
    def speed(self, value: float) -> None:
        with self._lock:
            self._rebase()
            self._speed = value

    def _rebase(self) -> None:
        now_real = time.monotonic()
        self._origin += (now_real - self._origin_real) * self._speed
        self._origin_real = now_real

    def time(self) -> float:
        with self._lock:
            return self._origin + (time.monotonic() - self._origin_real) * self._speed

    def advance(self, seconds: float) -> None:
        with self._lock:
            self._origin += seconds

    def now(self) -> datetime:
        """The current emulator time, aware, in the company time zone."""
        return datetime.fromtimestamp(self.time(), COMPANY_TZ)

    def iso(self, timestamp: float | None = None, *, millis: bool = False) -> str:
        moment = datetime.fromtimestamp(self.time() if timestamp is None else timestamp, COMPANY_TZ)
        return format_time(moment, millis=millis)


def format_time(moment: datetime, *, millis: bool = False) -> str:
    return moment.isoformat(timespec="milliseconds" if millis else "seconds")


def parse_time(text: str) -> datetime:
    """Parse a QBO date or date-time; naive values are company time, as QBO reads them."""
    value = text.strip()
    if value.endswith("Z"):
        value = value[:-1] + "+00:00"
    moment = datetime.fromisoformat(value)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=COMPANY_TZ)
    return moment
