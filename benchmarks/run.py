"""``python -m benchmarks.run [--quick] [--db postgresql|sqlite] [--no-workers]``: every figure in one
table, a row per benchmark.

- Export Selected of 1,000 and 10,000 new contacts, end to end, beside the naive loop
  (python-quickbooks ``save()`` per contact), both measured in full in the same run.
- Import of 10,000 customers (Select All, end to end: the listing, then Import Selected), beside
  ``Customer.get`` and a commit per row, measured on 1,000 and extrapolated.
- Export of 100,000 new contacts by one real ``flask wsqb worker`` process: the peak resident
  memory of the work horse that ran it (goal: under 200 MB), and the web request creating the run.
- Throttled Export Selected by 1, 2 and 4 real worker processes: rows per emulated minute under
  QuickBooks' limits (goal: at least 1,450; 1,660 at best).
- Auto Match 10,000 x 10,000 beside thefuzz's ``extractOne`` per contact; the Import and Export
  grids at 10,000 rows.

The worker rows need PostgreSQL (the default ``--db``) and Redis (``WSQB_BENCH_REDIS_URL``, default
redis://127.0.0.1:6379/3, emptied first). The full run takes about 9 minutes on a 2-core machine;
``--quick`` 2 to 3.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from functools import partial

from example_app.models import Contact, db
from flask_wsqb.sync.grids import DEFAULT_PER_PAGE

from .bench_memory import GOAL_MB, MemoryRun, export_memory
from .bench_workers import BEST_PER_MINUTE, BUDGET_PER_MINUTE, GOAL_PER_MINUTE, SPEED, WorkerRun, export_with_workers
from .common import (
    EXPORT,
    IMPORT,
    Measure,
    add_contacts,
    database_url,
    host,
    machine,
    measure,
    page_timing,
    quickbooks_client,
)

#: The naive import loop is measured on at most this many customers and extrapolated beyond.
NAIVE_IMPORT_LIMIT = 1000


@dataclass(frozen=True)
class Sizes:
    export: tuple[int, ...]  # new contacts exported, with the naive loop beside
    imported: int  # customers imported; also the grids' rows
    match: int
    match_sample: int  # contacts the naive matching is timed on
    memory: int  # new contacts exported by one worker, its memory watched
    throttled: int  # new contacts exported under QuickBooks' limits
    workers: tuple[int, ...]


FULL = Sizes((1000, 10_000), 10_000, 10_000, 200, 100_000, 9000, (1, 2, 4))
QUICK = Sizes((100, 1000), 1000, 1000, 50, 2000, 4000, (1, 2))


# -- export and import, in this process (jobs in threads) ----------------------------------------


def export_ours(dbname: str, n: int) -> Measure:
    """Export Selected of ``n`` new contacts, end to end (timed pass, then a memory pass)."""
    passes = []
    for memory in (False, True):
        with host(dbname) as bench:
            ids = add_contacts(bench, n)
            token = bench.form_token(EXPORT)
            report: dict = {}
            ours = measure(bench, lambda r=report, i=ids, t=token: r.update(bench.run(EXPORT, i, t)), memory=memory)
            assert report["ok"] == n, report
            batches = sum(1 for _m, path, _s in bench.qbo.request_log if path.endswith("/batch"))
            ours.note = f"{batches:,} batch + {ours.requests - batches} other requests"
            passes.append(ours)
    timed, traced = passes
    timed.peak_mib = traced.peak_mib
    return timed


def naive_export(bench, n: int) -> None:
    from quickbooks.objects.base import EmailAddress, PhoneNumber
    from quickbooks.objects.customer import Customer

    client = quickbooks_client(bench.qbo)
    for i in range(n):
        customer = Customer()
        customer.DisplayName = f"Client {i:05} Benchmark"
        customer.GivenName, customer.FamilyName = "Client", f"{i:05}"
        customer.PrimaryEmailAddr = EmailAddress()
        customer.PrimaryEmailAddr.Address = f"client{i}@example.com"
        customer.PrimaryPhone = PhoneNumber()
        customer.PrimaryPhone.FreeFormNumber = f"(555) 010-{i:04d}"
        customer.Active = i % 10 != 7
        customer.save(qb=client)


def export_row(dbname: str, n: int) -> Row:
    ours = export_ours(dbname, n)
    with host(dbname) as bench:
        naive = measure(bench, partial(naive_export, bench, n))
    return Row(
        f"Export {n:,} new contacts",
        ours.seconds,
        naive.seconds,
        sql=ours.sql,
        rows=n,
        requests=ours.requests,
        naive_requests=naive.requests,
        memory=fmt_mem(ours.peak_mib),
        notes=ours.note,
    )


def import_row(dbname: str, n: int) -> Row:
    """Connect (the first Refresh lists every customer), then Import Selected of all ``n``."""
    steps = []
    for memory in (False, True):
        with host(dbname, customers=n, connect=False) as bench:
            refresh = measure(bench, bench.connect, memory=memory)
            ids = [c["Id"] for c in bench.qbo.customers()]
            assert len(ids) == n
            token = bench.form_token(IMPORT + "?show_hidden=1")
            report: dict = {}
            imported = measure(
                bench,
                lambda r=report, i=ids, t=token: r.update(bench.run(IMPORT + "?show_hidden=1", i, t)),
                memory=memory,
            )
            assert report["ok"] == n and report["errors"] == 0, report
            steps.append((refresh, imported))
    (refresh, imported), (refresh_mem, imported_mem) = steps
    # A GET by Id costs Intuit the same in any company, but the emulator's grows with the
    # company: the naive loop runs on a company of at most NAIVE_IMPORT_LIMIT customers.
    sample_size = min(n, NAIVE_IMPORT_LIMIT)
    with host(dbname, customers=sample_size) as bench:
        sample = [c["Id"] for c in bench.qbo.customers()]
        naive = measure(bench, partial(naive_import, bench, sample))
    scale = n / sample_size
    notes = f"listing {refresh.requests} requests, {fmt_time(refresh.seconds)} + import {imported.requests}, "
    notes += f"{fmt_time(imported.seconds)}"
    if scale > 1:
        notes += (
            f"; naive measured on a company of {sample_size:,} and ×{scale:g} (the emulator's GET by Id "
            "slows as its company grows, Intuit's does not)"
        )
    return Row(
        f"Import {n:,} customers (Select All, end to end)",
        refresh.seconds + imported.seconds,
        naive.seconds * scale,
        sql=refresh.sql + imported.sql,
        rows=n,
        requests=refresh.requests + imported.requests,
        naive_requests=round(naive.requests * scale),
        memory=f"{fmt_mem(refresh_mem.peak_mib)} / {fmt_mem(imported_mem.peak_mib)}",
        notes=notes,
    )


def naive_import(bench, ids: list[str]) -> None:
    from quickbooks.objects.customer import Customer

    client = quickbooks_client(bench.qbo)
    with bench.app.app_context():
        for customer_id in ids:
            customer = Customer.get(customer_id, qb=client)
            email = customer.PrimaryEmailAddr.Address if customer.PrimaryEmailAddr else None
            phone = customer.PrimaryPhone.FreeFormNumber if customer.PrimaryPhone else None
            db.session.add(
                Contact(
                    display_name=customer.DisplayName,
                    first_name=customer.GivenName,
                    last_name=customer.FamilyName,
                    company=customer.CompanyName,
                    email=email,
                    phone=phone,
                    hidden=not customer.Active,
                )
            )
            db.session.commit()


# -- worker processes ----------------------------------------------------------------------------


def memory_row(run: MemoryRun) -> Row:
    horses = len(run.horse_peaks)
    made = "the POST creating the run"
    if run.post_failed:
        made = (
            f"POST Export Selected of {run.rows:,} ids failed ({run.post_failed}); the run made by the calls "
            "the view makes (runs.create, tasks.enqueue)"
        )
    return Row(
        f"Export {run.rows:,} new contacts, 1 worker",
        run.seconds,
        requests=run.requests,
        memory=f"{max(run.horse_peaks, default=0.0):.0f} MiB RSS",
        notes=(
            f"goal: peak under {GOAL_MB} MB ({GOAL_MB * 1e6 / 2**20:.0f} MiB); before the job {run.before_mib:.0f} "
            f"MiB (the idle worker); {horses} work horse{'s' * (horses != 1)}; {run.batches:,} batch + "
            f"{run.requests - run.batches} other requests; {run.ok:,} ok, {run.errors} errors; {made}: "
            f"{fmt_time(run.post.seconds)}, {run.post.sql} SQL, {fmt_mem(run.post.peak_mib)} traced"
        ),
    )


def worker_row(run: WorkerRun) -> Row:
    steady = run.per_minute_steady()
    minutes = run.steady_minutes()
    batches = sum(count for (kind, _status), count in run.status_counts.items() if kind == "batch")
    requests = sum(run.status_counts.values())
    overall = run.per_minute_overall()
    return Row(
        f"Throttled export of {run.rows:,}, {run.workers} worker{'s' * (run.workers > 1)}",
        run.seconds,
        requests=requests,
        per_minute=f"{steady:,.0f} ({steady / BEST_PER_MINUTE:.0%} of {BEST_PER_MINUTE:,})",
        notes=(
            f"goal ≥ {GOAL_PER_MINUTE:,}; {len(minutes)} min, lowest {min(minutes, default=float('nan')):,.0f}; "
            f"overall from the click {overall:,.0f}; 429s {run.throttled_steady()} after the 1st min / "
            f"{run.throttled_total()}; {run.duplicates()} duplicates ({run.customers:,} customers, {run.ok:,} ok, "
            f"{run.errors} errors); {batches:,} batch + {requests - batches:,} other requests; "
            f"{run.emulated_minutes():.1f} emulated min; CPU busy {run.cpu_busy():.0%}"
        ),
    )


# -- matching and grids --------------------------------------------------------------------------


def match_row(n: int, sample: int) -> Row:
    from . import bench_matching

    match = bench_matching.measure(n, sample)
    return Row(
        f"Auto Match {n:,} × {n:,}",
        match["seconds"],
        match["naive_seconds"],
        requests=0,
        naive_requests=0,
        memory=fmt_mem(match["peak_mib"]),
        notes=(
            f"{match['links']:,} links; the matching alone (no database), best of {len(match['runs'])}; "
            f"naive timed on {match['sample']} contacts and extrapolated"
        ),
    )


def grid_rows(dbname: str, n: int) -> list[Row]:
    """GET the Import grid with ``n`` customers and the Export grid with ``n`` contacts."""
    rows = []
    with host(dbname, customers=n) as bench:
        add_contacts(bench, n)
        for name, url in (
            (f"Import grid, {n:,} customers", IMPORT + "?show_hidden=1"),
            (f"Export grid, {n:,} contacts", EXPORT),
        ):
            grid = page_timing(bench, url)
            assert grid.extra["rows"] == min(n, DEFAULT_PER_PAGE), grid.extra
            traced = measure(bench, partial(bench.client.get, url), memory=True)
            rows.append(
                Row(
                    name,
                    grid.seconds,
                    requests=0,
                    memory=fmt_mem(traced.peak_mib),
                    notes=(
                        f"GET, median of 5; {grid.sql} SQL statements; a page of {grid.extra['rows']} rows, "
                        f"{grid.extra['bytes'] / 1e3:,.0f} kB of HTML"
                    ),
                )
            )
    return rows


# -- the table -----------------------------------------------------------------------------------


def fmt_time(seconds: float) -> str:
    return f"{seconds * 1000:.0f} ms" if seconds < 1 else f"{seconds:.2f} s"


def fmt_mem(mib: float | None) -> str:
    if mib is None:
        return ""
    return f"{mib:.1f} MiB" if mib < 10 else f"{mib:.0f} MiB"


@dataclass
class Row:
    """One benchmark's figures; what does not apply is left out (None or "")."""

    benchmark: str
    seconds: float
    naive_seconds: float | None = None
    sql: int | None = None  # statements sent to the host's database
    rows: int | None = None  # the rows they served
    requests: int | None = None  # API requests to QuickBooks
    naive_requests: int | None = None
    per_minute: str = ""  # rows per emulated minute, under QuickBooks' limits
    memory: str = ""
    notes: str = ""

    HEADER = (
        "Benchmark",
        "wall time",
        "naive",
        "ours vs naive",
        "SQL statements per row",
        "requests to QuickBooks (ours / naive)",
        "rows per emulated minute",
        "peak memory",
        "notes",
    )

    def cells(self) -> tuple[str, ...]:
        naive = "" if self.naive_seconds is None else fmt_time(self.naive_seconds)
        faster = ""
        if self.naive_seconds is not None and self.seconds:
            speedup = self.naive_seconds / self.seconds
            faster = f"{speedup:.1f}× faster" if speedup >= 1 else f"{speedup:.1f}×"
        per_row = ""
        if self.sql is not None and self.rows:
            per_row = f"{self.sql / self.rows:.2f}" if self.sql < 10 * self.rows else f"{self.sql / self.rows:.0f}"
        requests = "" if self.requests is None else f"{self.requests:,}"
        if self.naive_requests is not None:
            requests += f" / {self.naive_requests:,}"
        return (
            self.benchmark,
            fmt_time(self.seconds),
            naive,
            faster,
            per_row,
            requests,
            self.per_minute,
            self.memory,
            self.notes,
        )


def table_of(rows: list[Row]) -> str:
    """The rows under :attr:`Row.HEADER`, without the columns none of them fills."""
    cells = [row.cells() for row in rows]
    kept = [i for i in range(len(Row.HEADER)) if any(line[i] for line in cells)]
    return table([tuple(line[i] for i in kept) for line in [Row.HEADER, *cells]])


def table(rows: Sequence[Sequence[str]]) -> str:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = []
    for number, row in enumerate(rows):
        lines.append("| " + " | ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=False)) + " |")
        if number == 0:
            lines.append("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    return "\n".join(lines)


def legend(sizes: Sizes, workers: bool) -> list[str]:
    lines = [
        "Wall time: from the click to the run's end; jobs in threads of this process (no Redis), the emulator "
        "not throttled and the app's request budget lifted; grids: the median of 5 GETs.",
        "Naive: Export, a python-quickbooks Customer.save() per contact, measured in full; Import, Customer.get and "
        "a commit per customer; Auto Match, thefuzz process.extractOne per contact over every customer name (names "
        "only). Ours vs naive: the naive time / ours. At Intuit's limits (500 requests a minute) a per-record loop of "
        f"{sizes.imported:,} needs {sizes.imported / 500:.0f} minutes of requests alone.",
        "SQL statements per row: statements sent to the host's database during the step (SAVEPOINTs included, "
        "the progress polls not), per row. Requests: API requests the emulator answered (OAuth not counted).",
        "Peak memory, MiB: tracemalloc's peak of Python allocations in this process during the step (all threads, "
        "the in-process emulator's included), in a second, untimed pass; Import: listing / Import Selected.",
    ]
    if workers:
        lines += [
            f"Export {sizes.memory:,}, 1 worker: one `flask wsqb worker` process, the emulator not throttled, the "
            "budget lifted; wall time from the jobs' release (`rq resume`, polled each second) to the run's end; "
            "peak memory: the highest resident memory (VmHWM, read every 0.2 s) of the work horse RQ forked to run "
            "the job (pages shared with the worker included), the emulator not being in that process.",
            throttled_legend(SPEED),
        ]
    return lines


def throttled_legend(speed: float) -> str:
    window = 60 / speed
    return (
        f"Throttled export: real `flask wsqb worker` processes against the emulator at QuickBooks' limits (500 "
        f"requests and 40 batch requests a minute, 10 a second, 10 at once) on a clock running ×{speed:g} (an "
        f"emulated minute is {window:g} s), the app's WSQB_RATE_WINDOW {window:g} s and budget defaults (480, 38, "
        "8, 9 a second); wall time "
        "from the click. Rows per emulated minute: the mean of the whole emulated minutes after the first; at "
        f"best 40 × 30 + 460 = {BEST_PER_MINUTE:,} (creates go in single requests once the batch requests are "
        f"used up), within the budget defaults 38 × 30 + 442 = {BUDGET_PER_MINUTE:,}; goal ≥ {GOAL_PER_MINUTE:,}. "
        "Duplicates: customers beyond one per contact (must be 0). CPU busy: the share of all cores in use after "
        "the first minute (emulator, workers, PostgreSQL, Redis)."
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.run", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="small sizes, for a smoke run (a few minutes)")
    parser.add_argument(
        "--db",
        choices=("postgresql", "sqlite"),
        default="postgresql",
        help="the host database (default postgresql, which the worker rows need: $WSQB_BENCH_POSTGRES_URL, "
        "default postgresql://postgres@127.0.0.1:5432/test, emptied first; sqlite: a temporary file, "
        "without the worker rows)",
    )
    parser.add_argument(
        "--no-workers",
        action="store_true",
        help="leave out the rows with worker processes (they need Redis and PostgreSQL)",
    )
    args = parser.parse_args(argv)
    sizes = QUICK if args.quick else FULL
    workers = not args.no_workers and args.db == "postgresql"

    for line in machine(args.db):
        print(line)
    print(f"Host database: {database_url(args.db)}; QuickBooks: the emulator over loopback HTTP.", flush=True)
    if not args.no_workers and not workers:
        print("The worker rows run on PostgreSQL only (--db postgresql): left out.")
    started = time.perf_counter()
    rows: list[Row] = []

    def done(*new: Row) -> None:
        for row in new:
            rows.append(row)
            print(f"[{time.perf_counter() - started:.0f} s] {row.benchmark}: {fmt_time(row.seconds)}", file=sys.stderr)

    for n in sizes.export:
        done(export_row(args.db, n))
    done(import_row(args.db, sizes.imported))
    if workers:
        done(memory_row(export_memory(args.db, sizes.memory)))
        for count in sizes.workers:
            done(worker_row(export_with_workers(args.db, count, sizes.throttled)))
    done(match_row(sizes.match, sizes.match_sample))
    done(*grid_rows(args.db, sizes.imported))

    print()
    print(table_of(rows))
    print()
    for line in legend(sizes, workers):
        print(line)
    print(f"\nTotal benchmark time {time.perf_counter() - started:.0f} s.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
