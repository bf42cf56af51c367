"""The pieces every benchmark uses: a connected host app, a run driven to its end, counters.

Peak memory is ``tracemalloc``'s peak of Python allocations during the measured step (all
threads, the in-process emulator's included), taken in a second, identical pass so that
tracing never slows the timed one.
"""

from __future__ import annotations

import os
import platform
import statistics
import subprocess
import tempfile
import threading
import time
import tracemalloc
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from urllib.parse import parse_qs, urlsplit

import requests
import sqlalchemy as sa

try:
    import psycopg
except ImportError:  # no PostgreSQL driver: no COPY to count
    psycopg = None  # type: ignore[assignment]

from example_app.models import Contact
from flask_wsqb.testing import QBOEmulator
from tests.helpers import csrf_token, host_config

#: Emptied before each benchmark: point it away from the database the test suite uses when
#: both run at once.
POSTGRES_URL = os.environ.get("WSQB_BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
PREFIX = "/setup/quickbooks"
IMPORT = PREFIX + "/contacts/import"
EXPORT = PREFIX + "/contacts/export"


def machine(db: str | None = None) -> list[str]:
    """What the figures were measured on."""
    cpu = "unknown CPU"
    try:
        with open("/proc/cpuinfo") as info:
            cpu = next(line.split(":", 1)[1].strip() for line in info if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    memory = "?"
    try:
        with open("/proc/meminfo") as info:
            kib = next(int(line.split()[1]) for line in info if line.startswith("MemTotal"))
        memory = f"{kib / 1024 / 1024:.1f} GiB"
    except (OSError, StopIteration):
        pass
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    try:
        code = (
            subprocess.run(
                ["git", "describe", "--always", "--dirty"],
                capture_output=True,
                text=True,
                cwd=os.path.dirname(__file__),
                timeout=10,
            ).stdout.strip()
            or "?"
        )
    except OSError:
        code = "?"
    return [
        f"Code: {code}",
        f"Machine: {platform.platform()}",
        f"CPU: {cpu}; nproc {cpus}; memory {memory}",
        f"Python {platform.python_version()}, SQLAlchemy {sa.__version__}",
        f"Database: {_database_version(db)}",
    ]


def _database_version(db: str | None) -> str:
    import sqlite3

    lines = [f"SQLite {sqlite3.sqlite_version}"]
    if db == "postgresql":
        try:
            engine = sa.create_engine(POSTGRES_URL)
            with engine.connect() as conn:
                lines.insert(
                    0,
                    conn.execute(sa.text("SHOW server_version"))
                    .scalar()
                    .split()[0]
                    .join(("PostgreSQL ", f" ({engine.dialect.driver})")),
                )
            engine.dispose()
        except sa.exc.SQLAlchemyError as exc:
            lines.insert(0, f"PostgreSQL unreachable ({type(exc).__name__})")
    try:
        from redis import Redis

        redis = Redis.from_url(
            os.environ.get("WSQB_BENCH_REDIS_URL", "redis://127.0.0.1:6379/3"), socket_connect_timeout=2
        )
        lines.append(f"Redis {redis.info('server')['redis_version']}")
        redis.close()
    except Exception:  # Redis is only needed by the worker section
        pass
    return ", ".join(lines)


@dataclass
class Measure:
    """What one measured step cost."""

    seconds: float = 0.0
    requests: int = 0  # API requests the emulator served (OAuth endpoints excluded)
    sql: int = 0  # statements sent to the host's database (SAVEPOINTs included)
    commits: int = 0  # transactions committed (not in ``sql``)
    peak_mib: float | None = None
    note: str = ""
    extra: dict = field(default_factory=dict)


class SqlCounter:
    """Counts statements on an engine (``before_cursor_execute``), from any thread, and the COPY
    statements flask-wsqb sends through psycopg itself (SQLAlchemy's events do not see those)."""

    def __init__(self, engine: sa.Engine) -> None:
        self.engine = engine
        self.count = 0
        self.commits = 0
        self._lock = threading.Lock()

    def _seen(self, *args) -> None:
        with self._lock:
            self.count += 1

    def _committed(self, *args) -> None:
        with self._lock:
            self.commits += 1

    def __enter__(self) -> SqlCounter:
        sa.event.listen(self.engine, "before_cursor_execute", self._seen)
        sa.event.listen(self.engine, "commit", self._committed)
        if psycopg is not None:
            self._psycopg_copy = original = psycopg.Cursor.copy

            def copy(cursor, statement, *args, **kwargs):
                self._seen()
                return original(cursor, statement, *args, **kwargs)

            psycopg.Cursor.copy = copy  # type: ignore[method-assign,assignment]
        return self

    def __exit__(self, *exc_info) -> None:
        if psycopg is not None:
            psycopg.Cursor.copy = self._psycopg_copy  # type: ignore[method-assign]
        sa.event.remove(self.engine, "before_cursor_execute", self._seen)
        sa.event.remove(self.engine, "commit", self._committed)


def api_requests(qbo: QBOEmulator) -> int:
    return sum(1 for _method, path, _status in qbo.request_log if path.startswith("/v3/"))


def database_url(db: str) -> str:
    return POSTGRES_URL if db == "postgresql" else "sqlite (a temporary file)"


def fresh_database(db: str, directory: str) -> str:
    if db == "sqlite":
        return f"sqlite:///{os.path.join(directory, 'host.db')}"
    engine = sa.create_engine(POSTGRES_URL)
    with engine.begin() as conn:  # the test database, emptied as the test suite does
        conn.execute(sa.text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
    engine.dispose()
    return POSTGRES_URL


class Host:
    """The example host app on a fresh database, connected to ``qbo`` through OAuth."""

    def __init__(self, app, qbo: QBOEmulator) -> None:
        self.app = app
        self.qbo = qbo
        self.client = app.test_client()

    @property
    def engine(self) -> sa.Engine:
        with self.app.app_context():
            return self.app.extensions["sqlalchemy"].engine

    def connect(self) -> None:
        """Connect through the real OAuth flow and wait for the customer list it loads.

        Like ``tests.helpers.connect_quickbooks`` but joining the run's thread instead of
        polling its JSON, so the poll's own SQL is not counted.
        """
        self.qbo.auto_consent = True
        answer = self.client.post(
            PREFIX + "/connection/connect", data={"csrf_token": self.form_token(PREFIX + "/connection")}
        )
        assert answer.status_code == 302, answer.get_data(as_text=True)[:500]
        consent = requests.get(answer.headers["Location"], allow_redirects=False, timeout=5)
        assert consent.status_code in (302, 303), consent.text
        callback = urlsplit(consent.headers["Location"])
        assert self.client.get(f"{callback.path}?{callback.query}").status_code == 302
        wait_for_runs()

    def form_token(self, page: str) -> str:
        """The CSRF token of the form on ``page`` (read before the measured step)."""
        return csrf_token(self.client, page)

    def run(self, action: str, selected: list[str], token: str) -> dict:
        """Submit the form as a browser would, then wait for the run's thread to finish."""
        answer = self.client.post(action, data={"csrf_token": token, "selected": selected})
        assert answer.status_code == 302, answer.get_data(as_text=True)[:500]
        run_id = int(parse_qs(urlsplit(answer.headers["Location"]).query)["run"][0])
        wait_for_runs()
        report = self.client.get(f"{PREFIX}/runs/{run_id}.json?items=none").get_json()
        assert report["finished"], report
        return report

    def refresh_list(self, token: str | None = None) -> dict:
        return self.run(IMPORT + "/refresh", [], token or self.form_token(IMPORT))


def wait_for_runs() -> None:
    """Wait for the runs' background threads (no Redis configured: jobs run in threads)."""
    for thread in threading.enumerate():
        if thread.name.startswith("wsqb-run-"):
            thread.join()


#: Seeded customers were last changed this long ago, as in a company in use for a while:
#: change data capture after the first listing then finds nothing new, as it would at Intuit.
SEED_AGE = 2 * 24 * 3600
#: Settings lifting the app's request budget (limiter.py) for the unthrottled benchmarks.
UNBUDGETED = {
    "WSQB_RATE_PER_MINUTE": 10**9,
    "WSQB_RATE_PER_SECOND": 10**9,
    "WSQB_BATCH_PER_MINUTE": 10**9,
    "WSQB_MAX_CONCURRENT": 10**9,
}


@contextmanager
def host(db: str, *, customers: int = 0, seed: int = 1, connect: bool = True) -> Iterator[Host]:
    """A fresh emulator with ``customers`` seeded and a fresh host app (connected to it)."""
    with tempfile.TemporaryDirectory(prefix="wsqb-bench-") as directory, QBOEmulator() as qbo:
        if customers:
            qbo.advance(-SEED_AGE)
            qbo.seed_customers(customers, seed=seed)
            qbo.advance(SEED_AGE)
        from example_app import create_app

        # The app's own request budget (Intuit's limits) is lifted: these rows measure the app;
        # run.py's throttled rows measure throughput under the real limits.
        app = create_app(host_config(fresh_database(db, directory), qbo, WSQB_TIMEOUT=60.0, **UNBUDGETED))
        try:
            bench_host = Host(app, qbo)
            if connect:
                bench_host.connect()
            yield bench_host
        finally:
            with app.app_context():
                app.extensions["sqlalchemy"].session.remove()
                app.extensions["sqlalchemy"].engine.dispose()


def add_contacts(bench_host: Host, n: int) -> list[str]:
    """``n`` new host contacts, written straight to the database (setup, not measured)."""
    with bench_host.app.app_context():
        rows = [
            Contact(
                display_name=f"Client {i:05} Benchmark",
                first_name="Client",
                last_name=f"{i:05}",
                email=f"client{i}@example.com",
                phone=f"(555) 010-{i % 10000:04d}",
                city="Austin",
                state="TX",
                hidden=i % 10 == 7,
            )
            for i in range(n)
        ]
        session = bench_host.app.extensions["sqlalchemy"].session
        session.add_all(rows)
        session.commit()
        if session.get_bind().dialect.name == "postgresql":
            # an app's established table has its planner statistics (autovacuum gathers them
            # within a minute); these rows were written a moment ago
            session.execute(sa.text(f"ANALYZE {Contact.__tablename__}"))
            session.commit()
        return [str(row.id) for row in rows]


def measure(bench_host: Host, step: Callable[[], object], *, memory: bool = False) -> Measure:
    """Run ``step`` once, counting time, API requests, SQL statements (and peak memory)."""
    bench_host.qbo.reset_log()
    if memory:
        tracemalloc.start()
    try:
        with SqlCounter(bench_host.engine) as sql:
            started = time.perf_counter()
            step()
            seconds = time.perf_counter() - started
        peak = tracemalloc.get_traced_memory()[1] / 2**20 if memory else None
    finally:
        if memory:
            tracemalloc.stop()
    return Measure(seconds, api_requests(bench_host.qbo), sql.count, sql.commits, peak)


def page_timing(bench_host: Host, url: str, repeat: int = 5) -> Measure:
    """Median response time of GET ``url`` and the SQL statements one response takes."""
    bench_host.client.get(url)  # warm: templates compiled, connections open
    times, counts = [], []
    for _ in range(repeat):
        with SqlCounter(bench_host.engine) as sql:
            started = time.perf_counter()
            answer = bench_host.client.get(url)
            times.append(time.perf_counter() - started)
        assert answer.status_code == 200, answer.status_code
        counts.append(sql.count)
    return Measure(
        statistics.median(times),
        0,
        max(counts),
        extra={"rows": answer.get_data(as_text=True).count('name="selected"'), "bytes": len(answer.get_data())},
    )


def quickbooks_client(qbo: QBOEmulator):
    """A bare python-quickbooks client on the emulator, as the ``qbo_client`` fixture builds it."""
    import requests
    from quickbooks import QuickBooks

    access_token, _refresh = qbo.issue_tokens()

    class BearerSession(requests.Session):
        pass

    session = BearerSession()
    session.access_token = access_token
    client = QuickBooks(company_id=qbo.realm_id, minorversion=75)
    client.api_url_v3 = qbo.api_url
    client.session = session
    return client
