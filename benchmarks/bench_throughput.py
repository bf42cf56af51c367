"""Requests per minute that workers sharing one RedisBudget get out of a throttled company:
``python -m benchmarks.bench_throughput``.

The emulator enforces QuickBooks' limits (500 requests a minute, 40 batch requests, 10 a second, 10 at once)
on a clock where an emulated minute passes in a real second; the budget (WSQB's defaults: 480,
38, 8) counts over a one-second window to match. 1, 2 and 4 processes, each with its own
gateway, send queries one after another for ``SECONDS`` real seconds (as many emulated minutes).
Needs Redis: ``WSQB_BENCH_REDIS_URL`` (default database 9 of the local server; only the
budget's own keys are touched).
"""

from __future__ import annotations

import os

from benchmarks.common import machine
from benchmarks.run import table
from flask_wsqb.quickbooks.budget import Limits
from flask_wsqb.testing import QBOEmulator
from tests.rq.senders import Company, run_senders

REDIS_URL = os.environ.get("WSQB_BENCH_REDIS_URL", "redis://127.0.0.1:6379/9")
CLOCK_SPEED = 60  # emulated seconds per real second
SECONDS = 5.0
QBO_PER_MINUTE = 500
LIMITS = Limits(requests=480, batches=38, concurrent=8, window=60 / CLOCK_SPEED)


def measure(processes: int) -> tuple[str, ...]:
    with QBOEmulator(
        throttle=True, clock_speed=CLOCK_SPEED, per_minute=QBO_PER_MINUTE, concurrent=10, access_token_ttl=10**7
    ) as qbo:
        reports, elapsed = run_senders(processes, Company.of(qbo), REDIS_URL, LIMITS, seconds=SECONDS)
        statuses = [status for _, _, status in qbo.request_log]
        _forget_budget(qbo.realm_id)
    errors = [report.error for report in reports if report.error]
    if errors:
        raise SystemExit(f"{processes} processes: {errors[0]}")
    minutes = elapsed * CLOCK_SPEED / 60
    per_minute = statuses.count(200) / minutes
    return (
        str(processes),
        f"{statuses.count(200)}",
        f"{minutes:.2f}",
        f"{per_minute:.0f}",
        f"{per_minute / QBO_PER_MINUTE:.2f}",
        str(statuses.count(429)),
    )


def _forget_budget(realm_id: str) -> None:
    from redis import Redis

    connection = Redis.from_url(REDIS_URL)
    connection.delete(*connection.keys(f"wsqb:budget:{{{realm_id}}}:*") or ["-"])
    connection.close()


def main() -> None:
    for line in machine():
        print(line)
    print(
        f"Emulator throttled at {QBO_PER_MINUTE}/min, 10 at once, clock x{CLOCK_SPEED}; "
        f"budget {LIMITS.requests}/{LIMITS.window:g} s, {LIMITS.concurrent} in flight; "
        f"{SECONDS:g} s per run\n"
    )
    rows = [("processes", "queries answered", "emulated minutes", "requests / emulated min", "of 500/min", "429s")]
    rows += [measure(processes) for processes in (1, 2, 4)]
    print(table(rows))


if __name__ == "__main__":
    main()
