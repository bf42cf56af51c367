"""Worker processes that send queries to an emulator through their own gateway, all sharing one
RedisBudget: for the budget's multi-process tests and ``benchmarks/bench_throughput.py``.

Started with multiprocessing's "spawn" (a fresh interpreter, as on another machine); each
waits at a barrier so all start together, and reports on a queue.
"""

from __future__ import annotations

import multiprocessing
import os
import time
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from flask_wsqb.quickbooks.budget import Limits, RedisBudget
from flask_wsqb.quickbooks.gateway import QuickBooksGateway, RetryPolicy
from flask_wsqb.quickbooks.oauth import OAuthSettings, Tokens
from flask_wsqb.quickbooks.tokens import MemoryTokenStore
from tests.gateway.helpers import count_customers

#: Longest wait for the processes to start or report: a test fails rather than hangs.
WAIT = 60.0


@dataclass(frozen=True)
class Company:
    """What a sender needs to reach the emulator's company (picklable)."""

    api_url: str
    discovery_url: str
    client_id: str
    client_secret: str
    realm_id: str
    access_token: str
    refresh_token: str

    @classmethod
    def of(cls, qbo) -> Company:
        return cls(qbo.api_url, qbo.discovery_url, qbo.client_id, qbo.client_secret, qbo.realm_id, *qbo.issue_tokens())


@dataclass(frozen=True)
class Report:
    pid: int
    finished: list[float]  # time.time() as each query returned
    error: str = ""


def gateway(company: Company, budget, retry: RetryPolicy) -> QuickBooksGateway:
    now = datetime.now(timezone.utc)
    tokens = Tokens(company.access_token, company.refresh_token, now + timedelta(hours=1), now + timedelta(days=100))
    settings = OAuthSettings(
        client_id=company.client_id,
        client_secret=company.client_secret,
        redirect_uri="http://127.0.0.1/callback",
        environment=company.discovery_url,
        api_url=company.api_url,
        timeout=5.0,
    )
    return QuickBooksGateway(
        realm_id=company.realm_id, settings=settings, token_store=MemoryTokenStore(tokens), retry=retry, budget=budget
    )


def budget(redis_url: str, limits: Limits, **options) -> RedisBudget:
    from redis import Redis

    return RedisBudget(Redis.from_url(redis_url, socket_connect_timeout=5, socket_timeout=10), limits, **options)


def send_queries(
    company: Company,
    redis_url: str,
    limits: Limits,
    retry: RetryPolicy,
    count: int | None,
    seconds: float | None,
    barrier,
    reports,
) -> None:
    """Send ``count`` queries, or as many as ``seconds`` allow, then report."""
    finished: list[float] = []
    try:
        sender = gateway(company, budget(redis_url, limits), retry)
        barrier.wait(WAIT)
        stop = time.monotonic() + (seconds if seconds is not None else WAIT)
        while (count is None or len(finished) < count) and time.monotonic() < stop:
            count_customers(sender)
            finished.append(time.time())
    except Exception as exc:  # reported to the parent, which fails the test with it
        reports.put(Report(os.getpid(), finished, f"{type(exc).__name__}: {exc}"))
    else:
        reports.put(Report(os.getpid(), finished))


def run_senders(
    processes: int,
    company: Company,
    redis_url: str,
    limits: Limits,
    *,
    retry: RetryPolicy | None = None,
    count: int | None = None,
    seconds: float | None = None,
    after_start=None,
) -> tuple[list[Report], float]:
    """Run ``processes`` senders together; their reports and the seconds from start to last report.

    ``after_start`` is called in this process once all of them have started sending.
    """
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(processes + 1)
    reports = context.Queue()
    started = [
        context.Process(
            target=send_queries,
            daemon=True,
            args=(company, redis_url, limits, retry or RetryPolicy(), count, seconds, barrier, reports),
        )
        for _ in range(processes)
    ]
    for process in started:
        process.start()
    try:
        barrier.wait(WAIT)
        start = time.monotonic()
        if after_start is not None:
            after_start()
        results = [reports.get(timeout=WAIT) for _ in started]
        elapsed = time.monotonic() - start
    finally:
        for process in started:
            process.join(timeout=5)
            if process.is_alive():
                process.kill()
                process.join()
    return results, elapsed
