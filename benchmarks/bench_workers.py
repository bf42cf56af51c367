"""Throttled export throughput with real worker processes:
``python -m benchmarks.bench_workers [--db postgresql] [--rows 9000] [--speed 10] [--workers 1 2 4]``.

The emulator enforces QuickBooks' real limits (500 requests a minute, 40 batch requests a
minute, 10 at once) on a clock running ``speed`` times real time; the app's budget counts over
``WSQB_RATE_WINDOW = 60 / speed`` real seconds to match, and a 429's pause (QuickBooks asks
for a minute) is shortened the same way. The host app runs on PostgreSQL with
``WSQB_REDIS_URL`` set; 1, 2 and 4 ``flask wsqb worker`` processes run one Export Selected of
``rows`` new contacts. Export creates go 30 to a batch request and QuickBooks allows 40 batch
requests a minute: at best 1,200 rows an emulated minute.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from flask_wsqb.testing import QBOEmulator
from tests.helpers import host_config

from .common import EXPORT, PREFIX, Host, fresh_database

ROOT = Path(__file__).resolve().parents[1]
REDIS_URL = os.environ.get("WSQB_BENCH_REDIS_URL", "redis://127.0.0.1:6379/3")
BEST_PER_MINUTE = 30 * 40  # rows per batch request x batch requests a minute
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


def add_contacts(bench_host, n: int) -> list[str]:
    from .run import add_contacts as add

    return add(bench_host, n)


def export_with_workers(
    db: str, workers: int, rows: int, speed: float = SPEED, log_dir: str | None = None
) -> WorkerRun:
    """One Export Selected of ``rows`` new contacts shared by ``workers`` worker processes."""
    if log_dir is None:
        with tempfile.TemporaryDirectory(prefix="wsqb-workers-") as log_dir:
            return export_with_workers(db, workers, rows, speed, log_dir)
    window = 60.0 / speed
    flush_redis()
    result = WorkerRun(workers, rows, speed)
    with (
        tempfile.TemporaryDirectory(prefix="wsqb-bench-") as directory,
        QBOEmulator(
            throttle=True, clock_speed=speed, per_minute=500, concurrent=10, batch_per_minute=40, access_token_ttl=10**7
        ) as qbo,
    ):
        from example_app import create_app

        settings = dict(WSQB_RATE_WINDOW=window, WSQB_RETRY_MAX_WAIT=window, WSQB_RETRY_BACKOFF=0.5, WSQB_TIMEOUT=30.0)
        config = host_config(fresh_database(db, directory), qbo, **settings)
        config.pop("WSQB_REDIS_URL", None)
        app = create_app(config)
        processes: list[subprocess.Popen] = []
        try:
            bench = Host(app, qbo)
            qbo.throttle = False  # setup is not measured
            bench.connect()  # its first Refresh runs in a thread: Redis is not set yet
            ids = add_contacts(bench, rows)
            token = bench.form_token(EXPORT)
            app.config["WSQB_REDIS_URL"] = REDIS_URL  # from now on runs go to the workers
            qbo.throttle = True

            processes = start_workers(workers, config, settings, log_dir, label=f"bench-{workers}")
            sampler = Sampler(qbo, result.samples)
            qbo.reset_log()
            started = time.perf_counter()
            sampler.start()
            answer = bench.client.post(EXPORT, data={"csrf_token": token, "selected": ids})
            assert answer.status_code == 302, answer.get_data(as_text=True)[:500]
            run_id = int(parse_qs(urlsplit(answer.headers["Location"]).query)["run"][0])
            report_url = f"{PREFIX}/runs/{run_id}.json?items=none"
            deadline = time.monotonic() + max(600, rows / BEST_PER_MINUTE * window * 4)
            while not (report := bench.client.get(report_url).get_json())["finished"]:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"the export did not finish: {report}")
                time.sleep(0.5)
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
        finally:
            stop_workers(processes)
            with app.app_context():
                app.extensions["sqlalchemy"].session.remove()
                app.extensions["sqlalchemy"].engine.dispose()
            flush_redis()
    return result


def rows_for(runs: list[WorkerRun]) -> list[tuple[str, ...]]:
    rows = []
    for run in runs:
        steady = run.per_minute_steady()
        minutes = run.steady_minutes()
        low = min(minutes) if minutes else float("nan")
        rows.append(
            (
                f"{run.workers} worker{'s' if run.workers > 1 else ''}",
                f"{steady:,.0f} ({steady / BEST_PER_MINUTE:.0%}); {len(minutes)} min, lowest {low:,.0f}",
                f"{run.per_minute_overall():,.0f} ({run.per_minute_overall() / BEST_PER_MINUTE:.0%})",
                f"{run.throttled_steady()} / {run.throttled_total()}",
                f"{run.duplicates()} ({run.customers:,} customers, {run.ok:,} ok, {run.errors} errors)",
                f"{run.emulated_minutes():.1f} emu min = {run.seconds:.0f} s",
                f"{run.cpu_busy():.0%}",
            )
        )
    return rows


FOOTNOTE = (
    "Rows per emulated minute: mean of the whole emulated minutes after the first minute of "
    "exporting (whole minutes: QuickBooks' limit holds for any 60 s, so this cannot exceed 1,200). "
    "429s: answers the emulator throttled, after that first minute / in all. Duplicates: customers "
    "in QuickBooks beyond one per contact (must be 0). CPU busy: share of all cores in use during "
    "steady state (emulator, workers, PostgreSQL, Redis). Clock x{speed:g}: one emulated minute "
    "is {window:g} real seconds."
)

HEADER = (
    "Export Selected",
    "rows / emulated min after the 1st (of 1,200 max)",
    "overall, from the click",
    "429s steady / total",
    "duplicates",
    "duration",
    "CPU busy",
)


def main(argv: list[str] | None = None) -> int:
    from .common import machine
    from .run import table

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
    print(table([HEADER, *rows_for(runs)]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
