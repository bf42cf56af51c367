"""Fair to every firm, with real workers:
``python -m benchmarks.bench_fairness [--rows 10000] [--firms 10] [--workers 4] [--speed 5]``.

One app serves eleven firms (the two-firm test host, tests/hosts/firms.py, with more firm keys),
each connected to its own emulated company; PostgreSQL; ``workers`` real ``flask wsqb worker``
processes share a Redis queue and request budget. The emulator enforces QuickBooks' real limits
per company on a clock running ``speed`` times real time (the budget's window and waits scaled
to match, as in bench_workers).

1. Alone: each small firm (B, C, ...) imports 100 of its customers while nothing else runs.
2. Together: firm A exports ``rows`` new contacts; after its first emulated minute, the small firms
   start another 100-row import each, a few seconds apart.

Each small import's time (the click to the run's end, as its page polls) is shown beside its time
alone; A's rows per emulated minute beside QuickBooks' most: 1,660 (40 batch requests of 30 rows,
and single requests in the other 460 of its 500 requests a minute).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field

from flask_wsqb.testing import QBOEmulator
from tests.helpers import EXPORT, IMPORT, host_config, post_form, report_of, run_id_of
from tests.hosts import firms

from .bench_workers import BEST_PER_MINUTE, REDIS_URL, Sampler, WorkerRun, flush_redis, start_workers, stop_workers
from .common import fresh_database, machine
from .run import table

SMALL = 100  # rows of each small firm's import
SPEED = 5.0
WARM_UP = 60.0  # emulated seconds of A's export before the small firms start
GAP = 4.0  # real seconds between two small firms' clicks


@dataclass
class SmallRun:
    firm: str
    alone: float = 0.0
    together: float = 0.0
    ok: int = 0


@dataclass
class Result:
    export: WorkerRun
    small: list[SmallRun] = field(default_factory=list)
    together: tuple[float, float] = (0.0, 0.0)  # emulated times: first small click, last small end
    export_jobs: int = 0  # jobs that worked on A's export: those it was queued as, then each give-way's

    def share_together(self) -> float:
        """A's rows per emulated minute while the small firms ran, of QuickBooks' most."""
        start, end = self.together
        return self.export.rate_between(start, end) / BEST_PER_MINUTE


def timed_import(app, firm: str, customer_ids: list[str], qbo) -> tuple[float, float, float, dict]:
    """One Import Selected of ``customer_ids`` by ``firm``: real seconds from the click to the
    run's end, the emulated times of both, and the run's report."""
    web = firms.as_firm(app, firm)
    clicked, clicked_at = time.perf_counter(), qbo.clock.time()
    run_id = run_id_of(post_form(web, IMPORT, IMPORT, {"selected": customer_ids}))
    deadline = clicked + 600
    while not (report := report_of(web, run_id))["finished"]:
        if time.perf_counter() > deadline:
            raise RuntimeError(f"{firm}'s import did not finish: {report}")
        time.sleep(0.02)
    return time.perf_counter() - clicked, clicked_at, qbo.clock.time(), report


def set_up(app, qbo, small_firms: list[str], rows: int) -> tuple[str, dict[str, list[str]], list[str]]:
    """Every firm connected to its own company; A's company, the small firms' customers, A's new
    contacts."""
    customers: dict[str, list[str]] = {}
    alpha = ""
    for firm in ["alpha", *small_firms]:
        realm_id = qbo.add_company(f"{firm.title()} Books")
        if firm == "alpha":
            alpha = realm_id
        else:
            customers[firm] = [
                qbo.add_customer({"DisplayName": f"{firm.title()} Customer {n:03}"}, realm_id=realm_id)["Id"]
                for n in range(2 * SMALL)
            ]
        firms.connect_to(firms.as_firm(app, firm), qbo, realm_id)  # its first refresh runs in a thread
    numbers = firms.add_people(app, "alpha", *(f"Alpha Client {n:05}" for n in range(rows)))
    return alpha, customers, numbers


def fairness(rows: int, small: int, workers: int, speed: float, log_dir: str, turn: float) -> Result:
    window = 60.0 / speed
    flush_redis()
    small_firms = [f"firm-{letter}" for letter in "bcdefghijklmnopqrstuvwxyz"[:small]]
    with (
        tempfile.TemporaryDirectory(prefix="wsqb-bench-") as directory,
        QBOEmulator(
            throttle=True, clock_speed=speed, per_minute=500, concurrent=10, batch_per_minute=40, access_token_ttl=10**7
        ) as qbo,
    ):
        settings = dict(
            WSQB_RATE_WINDOW=window,
            WSQB_RETRY_MAX_WAIT=window,
            WSQB_RETRY_BACKOFF=0.5,
            WSQB_TIMEOUT=30.0,
            WSQB_GIVE_WAY_AFTER=turn,
        )  # a turn is not scaled to the clock: it is mostly work, which the clock does not speed up
        config = host_config(fresh_database("postgresql", directory), qbo, **settings)
        config.pop("WSQB_REDIS_URL", None)
        app = firms.create_app(config)
        processes = []
        try:
            qbo.throttle = False  # setup is not measured
            alpha, customers, numbers = set_up(app, qbo, small_firms, rows)
            app.config["WSQB_REDIS_URL"] = REDIS_URL  # from now on runs go to the workers
            qbo.throttle = True
            processes = start_workers(
                workers, config, settings, log_dir, label="fair", app="tests.hosts.firms:create_worker_app"
            )
            result = Result(WorkerRun(workers, rows, speed), [SmallRun(firm) for firm in small_firms])
            for run in result.small:
                run.alone, *_ = timed_import(app, run.firm, customers[run.firm][:SMALL], qbo)
            export_together(app, qbo, alpha, result, customers, numbers)
        finally:
            stop_workers(processes)
            with app.app_context():
                firms.db.session.remove()
                firms.db.engine.dispose()
            flush_redis()
    return result


def export_together(
    app, qbo, realm_id: str, result: Result, customers: dict[str, list[str]], numbers: list[str]
) -> None:
    """A's export to ``realm_id``, and the small firms' second imports during it."""
    alpha = firms.as_firm(app, "alpha")
    sampler = Sampler(qbo, result.export.samples, realm_id)
    started = time.perf_counter()
    sampler.start()
    export = run_id_of(post_form(alpha, EXPORT, EXPORT, {"selected": numbers}))
    while qbo.clock.time() < result.export.samples[0].emulated + WARM_UP:
        time.sleep(0.1)
    spans: list[tuple[float, float]] = []

    def second_import(run: SmallRun, delay: float) -> None:
        time.sleep(delay)
        run.together, clicked, ended, report = timed_import(app, run.firm, customers[run.firm][SMALL:], qbo)
        run.ok = report["ok"]
        spans.append((clicked, ended))

    threads = [
        threading.Thread(target=second_import, args=(run, n * GAP), daemon=True) for n, run in enumerate(result.small)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    result.together = (min(s for s, _ in spans), max(e for _, e in spans))
    deadline = time.monotonic() + 3600
    while not (report := report_of(alpha, export))["finished"]:
        if time.monotonic() > deadline:
            raise RuntimeError(f"A's export did not finish: {report}")
        time.sleep(0.5)
    sampler.stop()
    result.export_jobs = len(jobs_of(app, export))
    result.export.seconds = time.perf_counter() - started
    result.export.ok, result.export.errors = report["ok"], report["errors"]
    names = [c["DisplayName"] for c in qbo.customers(realm_id=realm_id)]
    result.export.customers, result.export.distinct_names = len(names), len(set(names))


def jobs_of(app, run_id: int) -> list:
    """The finished RQ jobs that worked on ``run_id``."""
    from redis import Redis
    from rq import Queue
    from rq.job import Job
    from rq.registry import FinishedJobRegistry

    with Redis.from_url(REDIS_URL) as connection:
        registry = FinishedJobRegistry(queue=Queue(app.config["WSQB_QUEUE"], connection=connection))
        jobs = Job.fetch_many(registry.get_job_ids(), connection=connection)
    return [job for job in jobs if job is not None and job.args[0] == run_id]


def report_table(result: Result) -> str:
    rows = [("Small firm's import (100 rows)", "alone", "during A's export", "ratio", "imported")]
    for run in result.small:
        rows.append(
            (run.firm, f"{run.alone:.2f} s", f"{run.together:.2f} s", f"{run.together / run.alone:.2f}x", str(run.ok))
        )
    ratios = sorted(run.together / run.alone for run in result.small)
    export = result.export
    steady = export.per_minute_steady()
    most = f"{BEST_PER_MINUTE:,}"
    summary = [
        ("Firm A's export", "figure"),
        ("small imports alone: median / worst", _median_worst(run.alone for run in result.small)),
        ("small imports during A's export: median / worst", _median_worst(run.together for run in result.small)),
        ("small imports: worst ratio / median ratio", f"{ratios[-1]:.2f}x / {ratios[len(ratios) // 2]:.2f}x"),
        (
            "A's rows / emulated min while the small imports ran",
            f"{export.rate_between(*result.together):,.0f} ({result.share_together():.0%} of {most})",
        ),
        ("A's rows / emulated min after its 1st minute", f"{steady:,.0f} ({steady / BEST_PER_MINUTE:.0%} of {most})"),
        ("A's 429 answers", str(export.throttled_total())),
        ("A's export: jobs (queued as, then one per give-way)", str(result.export_jobs)),
        (
            "A's duplicates",
            f"{export.duplicates()} ({export.customers:,} customers, {export.ok:,} ok, {export.errors} errors)",
        ),
        ("A's export took", f"{export.emulated_minutes():.1f} emulated min = {export.seconds:.0f} s"),
    ]
    return table(rows) + "\n\n" + table(summary)


def _median_worst(seconds) -> str:
    ordered = sorted(seconds)
    return f"{ordered[len(ordered) // 2]:.2f} s / {ordered[-1]:.2f} s"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.bench_fairness",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--firms", type=int, default=10, help="small firms (B, C, ...)")
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--speed", type=float, default=SPEED)
    parser.add_argument("--logs", help="keep the workers' logs in this folder")
    parser.add_argument(
        "--give-way-after", type=float, default=1.0, help="WSQB_GIVE_WAY_AFTER of the workers (a job's turn, s)"
    )
    args = parser.parse_args(argv)
    for line in machine("postgresql"):
        print(line)
    with tempfile.TemporaryDirectory(prefix="wsqb-fair-") as log_dir:
        result = fairness(args.rows, args.firms, args.workers, args.speed, args.logs or log_dir, args.give_way_after)
    print(f"{args.workers} workers, clock x{args.speed:g} (one emulated minute = {60 / args.speed:g} s)")
    print(report_table(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
