"""Throttled export throughput with real worker processes:
``python -m benchmarks.bench_workers [--db postgresql] [--rows 9000] [--speed 5] [--workers 1 2 4]``.

The emulator enforces QuickBooks' real limits (500 requests a minute, 40 batch requests a
minute, 10 a second, 10 at once) on a clock running ``speed`` times real time; the app's budget counts over
``WSQB_RATE_WINDOW = 60 / speed`` real seconds to match, and a 429's pause (QuickBooks asks
for a minute) is shortened the same way. The host app runs on PostgreSQL with
``WSQB_REDIS_URL`` set; 1, 2 and 4 ``flask wsqb worker`` processes run one Export Selected of
``rows`` new contacts. Export creates go 30 to a batch request, 40 batch requests a minute, and
once those are used up as single requests in the minute's other 460: at best 40 x 30 + 460 =
1,660 rows an emulated minute; the app's budget defaults (480 requests, 38 batch requests)
allow 38 x 30 + 442 = 1,582.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from flask_wsqb.testing import QBOEmulator
from tests.helpers import host_config, run_id_of

from .common import EXPORT, PREFIX, UNBUDGETED, Host, add_contacts, fresh_database

ROOT = Path(__file__).resolve().parents[1]
REDIS_URL = os.environ.get("WSQB_BENCH_REDIS_URL", "redis://127.0.0.1:6379/3")
#: Rows an emulated minute at QuickBooks' limits: 30 per batch request x 40 batch requests, and
#: one per single request in the other 460 of the 500 requests a minute.
BEST_PER_MINUTE = 30 * 40 + (500 - 40)
#: The same within the app's budget defaults (WSQB_RATE_PER_MINUTE 480, WSQB_BATCH_PER_MINUTE 38).
BUDGET_PER_MINUTE = 30 * 38 + (480 - 38)
GOAL_PER_MINUTE = 1450
#: Emulated seconds per real second: the fastest at which one worker, sharing this 2-core
#: machine with the emulator, PostgreSQL and Redis, is not CPU-bound (at x10 one worker and the
#: emulator serving it keep one core busy and export ~800 rows an emulated minute).
SPEED = 5.0
WARM_UP = 60.0  # emulated seconds after the first row created that are not steady state


@dataclass
class Sample:
    real: float
    emulated: float
    created: int
    throttled: int
    batches: int
    busy: float  # CPU seconds used by the whole machine so far (all cores)


@dataclass
class WorkerRun:
    workers: int
    rows: int
    speed: float
    seconds: float = 0.0
    samples: list[Sample] = field(default_factory=list)
    customers: int = 0
    distinct_names: int = 0
    ok: int = 0
    errors: int = 0
    status_counts: dict = field(default_factory=dict)

    # -- what the table shows ---------------------------------------------------------------
    def _first_created(self) -> Sample:
        return next(s for s in self.samples if s.created > 0)

    def _at(self, emulated: float) -> float:
        """Rows created by emulated time ``emulated`` (interpolated between samples)."""
        before = max((s for s in self.samples if s.emulated <= emulated), key=lambda s: s.emulated)
        after = min((s for s in self.samples if s.emulated >= emulated), key=lambda s: s.emulated)
        if after.emulated == before.emulated:
            return before.created
        share = (emulated - before.emulated) / (after.emulated - before.emulated)
        return before.created + share * (after.created - before.created)

    def rate_between(self, start: float, end: float) -> float:
        """Rows created per emulated minute between emulated times ``start`` and ``end``."""
        return (self._at(end) - self._at(start)) / ((end - start) / 60)

    def steady_minutes(self) -> list[float]:
        """Rows created in each whole emulated minute after the first minute of exporting.

        Whole minutes: QuickBooks' limit holds for every 60 emulated seconds, so a rate counted
        over whole minutes can never show more than the limits allow, however bursty."""
        start = self._first_created().emulated + WARM_UP
        last = next(s for s in self.samples if s.created >= self.samples[-1].created).emulated
        minutes = int((last - start) // 60)
        return [self._at(start + 60 * (i + 1)) - self._at(start + 60 * i) for i in range(minutes)]

    def _steady(self) -> tuple[Sample, Sample]:
        first = self._first_created()
        start = next((s for s in self.samples if s.emulated >= first.emulated + WARM_UP), self.samples[-1])
        end = next(s for s in self.samples if s.created >= self.samples[-1].created)
        return start, end

    def per_minute_overall(self) -> float:
        first, last = self.samples[0], self.samples[-1]
        return last.created / ((last.emulated - first.emulated) / 60)

    def per_minute_steady(self) -> float:
        minutes = self.steady_minutes()
        return sum(minutes) / len(minutes) if minutes else float("nan")

    def throttled_steady(self) -> int:
        start, _end = self._steady()
        return self.samples[-1].throttled - start.throttled

    def throttled_total(self) -> int:
        return self.samples[-1].throttled

    def cpu_busy(self) -> float:
        """Share of the machine's cores busy during steady state."""
        start, end = self._steady()
        if end.real <= start.real:
            return float("nan")
        return (end.busy - start.busy) / ((end.real - start.real) * (os.cpu_count() or 1))

    def emulated_minutes(self) -> float:
        return (self.samples[-1].emulated - self.samples[0].emulated) / 60

    def duplicates(self) -> int:
        return self.customers - self.distinct_names + max(0, self.customers - self.rows)


class Sampler:
    """Samples of one company (created customers, 429s, batch requests, CPU) into ``samples``,
    every 0.1 s from :meth:`start` to :meth:`stop`, in a thread."""

    def __init__(self, qbo, samples: list[Sample], realm_id: str | None = None) -> None:
        self.qbo = qbo
        self.realm_id = realm_id or qbo.realm_id
        self.samples = samples
        self.customers = qbo.company(realm_id)._entities["Customer"]  # counted, not copied, while runs go
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def sample(self) -> Sample:
        mine = [status for _m, path, status in self.qbo.request_log if f"/company/{self.realm_id}/" in path]
        batches = [status for _m, path, status in self.qbo.request_log if path.endswith(f"{self.realm_id}/batch")]
        return Sample(
            time.perf_counter(),
            self.qbo.clock.time(),
            len(self.customers),
            mine.count(429),
            batches.count(200),
            _cpu_seconds(),
        )

    def start(self) -> None:
        self.samples.append(self.sample())
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()
        self.samples.append(self.sample())

    def _run(self) -> None:
        while not self._stop.wait(0.1):
            self.samples.append(self.sample())


def _cpu_seconds() -> float:
    with open("/proc/stat") as stat:
        fields = [int(v) for v in stat.readline().split()[1:]]
    idle = fields[3] + fields[4]
    return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def flush_redis() -> None:
    from redis import Redis

    connection = Redis.from_url(REDIS_URL)
    connection.flushdb()
    connection.close()


def _workers_registered(count: int) -> bool:
    from redis import Redis
    from rq import Worker

    connection = Redis.from_url(REDIS_URL)
    try:
        return len(Worker.all(connection=connection)) >= count
    finally:
        connection.close()


def start_workers(
    count: int,
    config: dict,
    settings: dict,
    log_dir: str,
    *,
    label: str,
    app: str = "benchmarks.worker_host:create_app",
) -> list[subprocess.Popen]:
    """``count`` ``flask wsqb worker`` processes of the host ``app``, configured as the web app's
    ``config`` with ``settings`` and this benchmark's Redis; once every one is listening."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FLASK_", "WSQB_"))}
    env.update({k: str(v) for k, v in settings.items()})
    env.update(
        DATABASE_URL=config["SQLALCHEMY_DATABASE_URI"],
        SECRET_KEY=config["SECRET_KEY"],
        WSQB_CLIENT_ID=config["WSQB_CLIENT_ID"],
        WSQB_CLIENT_SECRET=config["WSQB_CLIENT_SECRET"],
        WSQB_ENVIRONMENT=config["WSQB_ENVIRONMENT"],
        WSQB_API_URL=config["WSQB_API_URL"],
        WSQB_REDIS_URL=REDIS_URL,
        PYTHONUNBUFFERED="1",
    )
    processes: list[subprocess.Popen] = []
    try:
        for number in range(count):
            with open(os.path.join(log_dir, f"worker-{label}-{number}.log"), "wb") as out:
                argv = [sys.executable, "-m", "flask", "--app", app, "wsqb", "worker", "--name", f"{label}-{number}"]
                processes.append(subprocess.Popen(argv, env=env, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT))
        deadline = time.monotonic() + 60
        while not _workers_registered(count):
            if time.monotonic() > deadline or any(p.poll() is not None for p in processes):
                raise RuntimeError(f"the workers did not start; see {log_dir}")
            time.sleep(0.1)
    except BaseException:
        stop_workers(processes)
        raise
    return processes


def stop_workers(processes: list[subprocess.Popen]) -> None:
    for process in processes:
        process.terminate()
    for process in processes:
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(10)


@dataclass
class Export:
    """A connected host app with new contacts to export, its runs going to worker processes."""

    bench: Host
    ids: list[str]
    token: str  # the Export page's CSRF token
    config: dict  # the web app's configuration, which the workers share
    settings: dict  # the WSQB_ settings given to both
    log_dir: str
    processes: list[subprocess.Popen] = field(default_factory=list)

    def start_workers(self, count: int) -> list[subprocess.Popen]:
        started = start_workers(count, self.config, self.settings, self.log_dir, label=f"bench-{count}")
        self.processes += started
        return started

    def post(self) -> int:
        """Export Selected of every contact, as a browser submits it: the run's id."""
        return run_id_of(self.bench.client.post(EXPORT, data={"csrf_token": self.token, "selected": self.ids}))

    def finished(self, run_id: int, timeout: float) -> dict:
        """The run's report once the workers have finished it (polled every 0.5 s)."""
        deadline = time.monotonic() + timeout
        report_url = f"{PREFIX}/runs/{run_id}.json?items=none"
        while not (report := self.bench.client.get(report_url).get_json())["finished"]:
            if time.monotonic() > deadline:
                raise RuntimeError(f"the export did not finish: {report}")
            time.sleep(0.5)
        return report


@contextmanager
def exporting(db: str, rows: int, log_dir: str, *, speed: float | None) -> Iterator[Export]:
    """The host app on ``db`` with ``rows`` new contacts, connected to an emulator throttled at
    QuickBooks' limits on a clock running ``speed`` times real time, the app's budget counting
    over as many seconds as an emulated minute takes (``speed`` None: not throttled, the app's
    budget lifted). Runs started from now on go to the workers :meth:`Export.start_workers` starts."""
    flush_redis()
    with (
        tempfile.TemporaryDirectory(prefix="wsqb-bench-") as directory,
        QBOEmulator(access_token_ttl=10**7, clock_speed=speed or 1.0) as qbo,  # QuickBooks' limits by default
    ):
        from example_app import create_app

        settings: dict = dict(WSQB_TIMEOUT=30.0)
        if speed is None:
            settings.update(UNBUDGETED)
        else:
            window = 60.0 / speed
            settings.update(WSQB_RATE_WINDOW=window, WSQB_RETRY_MAX_WAIT=window, WSQB_RETRY_BACKOFF=0.5)
        config = host_config(fresh_database(db, directory), qbo, **settings)
        config.pop("WSQB_REDIS_URL", None)
        app = create_app(config)
        export = None
        try:
            bench = Host(app, qbo)
            bench.connect()  # its first Refresh runs in a thread: Redis is not set yet
            ids = add_contacts(bench, rows)
            export = Export(bench, ids, bench.form_token(EXPORT), config, settings, log_dir)
            app.config["WSQB_REDIS_URL"] = REDIS_URL  # from now on runs go to the workers
            qbo.throttle = speed is not None  # setup is not measured
            yield export
        finally:
            if export is not None:
                stop_workers(export.processes)
            with app.app_context():
                app.extensions["sqlalchemy"].session.remove()
                app.extensions["sqlalchemy"].engine.dispose()
            flush_redis()


def export_with_workers(
    db: str, workers: int, rows: int, speed: float = SPEED, log_dir: str | None = None
) -> WorkerRun:
    """One Export Selected of ``rows`` new contacts shared by ``workers`` worker processes."""
    if log_dir is None:
        with tempfile.TemporaryDirectory(prefix="wsqb-workers-") as log_dir:
            return export_with_workers(db, workers, rows, speed, log_dir)
    result = WorkerRun(workers, rows, speed)
    with exporting(db, rows, log_dir, speed=speed) as export:
        qbo = export.bench.qbo
        export.start_workers(workers)
        sampler = Sampler(qbo, result.samples)
        qbo.reset_log()
        started = time.perf_counter()
        sampler.start()
        report = export.finished(export.post(), timeout=max(600, rows / BEST_PER_MINUTE * 60 / speed * 4))
        sampler.stop()
        result.seconds = time.perf_counter() - started
        result.ok, result.errors = report["ok"], report["errors"]
        names = [c["DisplayName"] for c in qbo.customers()]
        result.customers, result.distinct_names = len(names), len(set(names))
        statuses: dict = {}
        for _m, path, status in qbo.request_log:
            kind = "batch" if path.endswith("/batch") else "other"
            statuses[(kind, status)] = statuses.get((kind, status), 0) + 1
        result.status_counts = statuses
    return result


def main(argv: list[str] | None = None) -> int:
    from .common import machine
    from .run import table_of, throttled_legend, worker_row

    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.bench_workers",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--db", choices=("sqlite", "postgresql"), default="postgresql")
    parser.add_argument("--rows", type=int, default=9000)
    parser.add_argument("--speed", type=float, default=SPEED)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2, 4])
    args = parser.parse_args(argv)
    for line in machine(args.db):
        print(line)
    with tempfile.TemporaryDirectory(prefix="wsqb-workers-") as log_dir:
        runs = []
        for count in args.workers:
            runs.append(export_with_workers(args.db, count, args.rows, args.speed, log_dir))
    print(table_of([worker_row(run) for run in runs]))
    print(throttled_legend(args.speed))
    return 0


if __name__ == "__main__":
    sys.exit(main())
