"""``python -m benchmarks.run [--quick] [--db sqlite|postgresql] [--no-workers]``: one table.

1. Wall time, requests to QuickBooks and peak memory, beside a naive baseline:
   export of 1,000 and 10,000 new contacts (batch requests vs a per-record python-quickbooks
   ``save()`` loop, measured on 1,000 and extrapolated); import of 10,000 (Select All, end to
   end: the listing, then Import Selected, vs ``Customer.get`` and a commit per row, measured on
   1,000 and extrapolated); Auto Match 10,000 x 10,000 (vs thefuzz ``extractOne`` per contact,
   timed on a sample and extrapolated); the 10,000-row Import and Export grids.
2. Throttled export throughput: 1, 2 and 4 real ``flask wsqb worker`` processes against the
   emulator at QuickBooks' limits on a sped-up clock (PostgreSQL and Redis: see bench_workers).
"""

from __future__ import annotations

import argparse
import sys
import time
from functools import partial

from example_app.models import Contact, db

from .common import EXPORT, IMPORT, Measure, database_url, host, machine, measure, page_timing, quickbooks_client

#: The naive import loop is measured on at most this many customers and extrapolated beyond.
NAIVE_IMPORT_LIMIT = 1000


def add_contacts(bench_host, n: int) -> list[str]:
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
        db.session.add_all(rows)
        db.session.commit()
        return [str(row.id) for row in rows]


# -- 1. export ---------------------------------------------------------------------------------


def export_ours(dbname: str, n: int) -> Measure:
    """Export Selected of ``n`` new contacts, end to end (timed pass, then a memory pass)."""
    passes = []
    for memory in (False, True):
        with host(dbname) as bench:
            ids = add_contacts(bench, n)
            token = bench.form_token(EXPORT)
            report = {}
            ours = measure(bench, lambda r=report, i=ids, t=token: r.update(bench.run(EXPORT, i, t)), memory=memory)
            assert report["ok"] == n, report
            batches = sum(1 for _m, path, _s in bench.qbo.request_log if path.endswith("/batch"))
            ours.note = f"{batches} batch + {ours.requests - batches} other"
            ours.extra["batches"] = batches
            passes.append(ours)
    timed, traced = passes
    timed.peak_mib = traced.peak_mib
    return timed


def naive_export_measure(dbname: str, n: int) -> Measure:
    passes = []
    for memory in (False, True):
        with host(dbname) as bench:
            passes.append(measure(bench, lambda: naive_export(bench, n), memory=memory))
    passes[0].peak_mib = passes[1].peak_mib
    return passes[0]


def scaled(naive: Measure, n: int, measured: int) -> Measure:
    """A per-record loop's cost at ``n`` records from its cost at ``measured``: linear."""
    if n == measured:
        return naive
    scale = n / measured
    return Measure(
        naive.seconds * scale,
        round(naive.requests * scale),
        round(naive.sql * scale),
        commits=round(naive.commits * scale),
        peak_mib=naive.peak_mib,
        note=f"extrapolated ×{scale:g} from {measured:,}",
    )


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


# -- 2. import ---------------------------------------------------------------------------------


def import_benchmark(dbname: str, n: int) -> tuple[Measure, Measure, Measure, Measure]:
    """(refresh, import, both with peak memory, naive loop)."""
    steps = []
    for memory in (False, True):
        with host(dbname, customers=n, connect=False) as bench:
            # Connecting starts the first Refresh from QuickBooks: the full listing.
            refresh = measure(bench, bench.connect, memory=memory)
            ids = [c["Id"] for c in bench.qbo.customers()]
            assert len(ids) == n
            token = bench.form_token(IMPORT + "?show_hidden=1")
            report = {}
            imported = measure(
                bench,
                lambda r=report, i=ids, t=token: r.update(bench.run(IMPORT + "?show_hidden=1", i, t)),
                memory=memory,
            )
            assert report["ok"] == n and report["errors"] == 0, report
            steps.append((refresh, imported))
    (refresh, imported), (refresh_mem, imported_mem) = steps
    refresh.peak_mib, imported.peak_mib = refresh_mem.peak_mib, imported_mem.peak_mib
    total = Measure(
        refresh.seconds + imported.seconds,
        refresh.requests + imported.requests,
        refresh.sql + imported.sql,
        refresh.commits + imported.commits,
        max(refresh.peak_mib, imported.peak_mib),
    )
    # The naive loop runs on a company of at most NAIVE_IMPORT_LIMIT customers: a GET by Id
    # costs Intuit the same in any company, but the emulator's grows with the company.
    with host(dbname, customers=min(n, NAIVE_IMPORT_LIMIT)) as bench:
        sample = [c["Id"] for c in bench.qbo.customers()]
        naive = measure(bench, lambda: naive_import(bench, sample))
    with host(dbname, customers=min(n, NAIVE_IMPORT_LIMIT)) as bench:
        naive.peak_mib = measure(bench, lambda: naive_import(bench, sample), memory=True).peak_mib
        if len(sample) < n:
            scale = n / len(sample)
            naive = Measure(
                naive.seconds * scale,
                round(naive.requests * scale),
                round(naive.sql * scale),
                commits=round(naive.commits * scale),
                peak_mib=naive.peak_mib,
                note=f"extrapolated ×{scale:g} from {len(sample):,}",
            )
    return refresh, imported, total, naive


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


# -- 3. grids ----------------------------------------------------------------------------------


def grid_benchmark(dbname: str, n: int) -> tuple[Measure, Measure]:
    """(Import grid with ``n`` customers, Export grid with ``n`` contacts)."""
    with host(dbname, customers=n) as bench:
        add_contacts(bench, n)
        import_grid = page_timing(bench, IMPORT + "?show_hidden=1")
        export_grid = page_timing(bench, EXPORT)
        for grid, url in ((import_grid, IMPORT + "?show_hidden=1"), (export_grid, EXPORT)):
            grid.peak_mib = measure(bench, partial(bench.client.get, url), memory=True).peak_mib
    assert import_grid.extra["rows"] == n and export_grid.extra["rows"] == n
    return import_grid, export_grid


# -- the table -----------------------------------------------------------------------------------


def fmt_time(seconds: float) -> str:
    return f"{seconds * 1000:.0f} ms" if seconds < 1 else f"{seconds:.2f} s"


def fmt_mem(mib: float | None) -> str:
    return "" if mib is None else f"{mib:.0f} MiB"


def floor_at_limits(requests: int, batches: int = 0) -> float:
    """Seconds QuickBooks' own limits impose on that many requests, however fast everything
    else is: 10 a second, 500 a minute, 40 batch requests a minute (per company and app)."""
    if requests <= 0:
        return 0.0
    return max((requests - 1) / 10, (requests - 1) // 500 * 60, (max(batches, 1) - 1) // 40 * 60)


def ratio(naive: float, ours: float) -> str:
    return f"{naive / ours:.1f}×" if ours else ""


def table(rows: list[tuple[str, ...]]) -> str:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = []
    for number, row in enumerate(rows):
        lines.append("| " + " | ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=False)) + " |")
        if number == 0:
            lines.append("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.run", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="small sizes, for a smoke run (a few minutes)")
    parser.add_argument(
        "--db",
        choices=("sqlite", "postgresql"),
        default="sqlite",
        help="the host database (postgresql: $WSQB_BENCH_POSTGRES_URL, default "
        "postgresql://postgres@127.0.0.1:5432/test, emptied first)",
    )
    parser.add_argument(
        "--no-workers",
        action="store_true",
        help="skip the throttled export with worker processes (needs Redis and PostgreSQL)",
    )
    args = parser.parse_args(argv)
    from . import bench_matching, bench_workers

    if args.quick:
        small, big, match_n, match_sample, worker_rows, worker_counts = 100, 1000, 1000, 50, 2400, (1, 2)
    else:
        small, big, match_n, match_sample, worker_rows, worker_counts = 1000, 10000, 10000, 200, 9000, (1, 2, 4)

    for line in machine(args.db):
        print(line)
    print(
        f"Host database: {database_url(args.db)}; QuickBooks: the in-process emulator over loopback HTTP, "
        "throttling off (except section 2)."
    )
    print(
        "Peak memory: tracemalloc peak of Python allocations during the step (all threads, the "
        "emulator's included), in a separate untimed pass.\n",
        flush=True,
    )
    started = time.perf_counter()

    header = (
        "Benchmark",
        "wall time",
        "naive",
        "naive/ours",
        "requests to QBO",
        "naive",
        "naive/ours",
        "peak memory",
        "naive",
        "notes",
    )
    rows = [header]

    def show(row):
        rows.append(row)
        print(table([header, row]), "\n", flush=True)

    naive_small = naive_export_measure(args.db, small)
    for n in (small, big):
        ours = export_ours(args.db, n)
        naive = scaled(naive_small, n, small)
        show(
            (
                f"Export {n:,} new contacts",
                fmt_time(ours.seconds),
                fmt_time(naive.seconds),
                ratio(naive.seconds, ours.seconds),
                f"{ours.requests:,}",
                f"{naive.requests:,}",
                ratio(naive.requests, ours.requests),
                fmt_mem(ours.peak_mib),
                fmt_mem(naive.peak_mib),
                f"{ours.note}; {ours.sql:,} SQL; naive: python-quickbooks save() per contact"
                + (f", {naive.note}" if naive.note else ""),
            )
        )

    refresh, imported, total, naive = import_benchmark(args.db, big)
    show(
        (
            f"Import {big:,} (Select All, end to end)",
            fmt_time(total.seconds),
            fmt_time(naive.seconds),
            ratio(naive.seconds, total.seconds),
            f"{refresh.requests} + {imported.requests}",
            f"{naive.requests:,}",
            ratio(naive.requests, total.requests),
            f"{fmt_mem(refresh.peak_mib)} / {fmt_mem(imported.peak_mib)}",
            fmt_mem(naive.peak_mib),
            f"listing {fmt_time(refresh.seconds)} + import {fmt_time(imported.seconds)}; {total.sql:,} SQL; "
            f"naive: Customer.get + commit per row" + (f", {naive.note}" if naive.note else ""),
        )
    )

    match = bench_matching.measure(match_n, match_sample)
    show(
        (
            f"Auto-match {match_n:,} × {match_n:,}",
            fmt_time(match["seconds"]),
            fmt_time(match["naive_seconds"]),
            ratio(match["naive_seconds"], match["seconds"]),
            "0",
            "0",
            "",
            fmt_mem(match["peak_mib"]),
            "",
            f"{match['links']:,} links; naive: thefuzz extractOne per contact (names only), "
            f"extrapolated from {match['sample']} contacts",
        )
    )

    import_grid, export_grid = grid_benchmark(args.db, big)
    for name, grid in (
        (f"Import grid, {big:,} customers", import_grid),
        (f"Export grid, {big:,} contacts", export_grid),
    ):
        show(
            (
                name,
                fmt_time(grid.seconds),
                "",
                "",
                "0",
                "",
                "",
                fmt_mem(grid.peak_mib),
                "",
                f"GET, median of 5; {grid.sql} SQL; {grid.extra['bytes'] / 1e6:.1f} MB of HTML",
            )
        )

    print("== 1. Import, export, matching, grids ==")
    print(table(rows))
    print(
        "Requests: API requests the emulator served (OAuth excluded); Import: listing + Import Selected. "
        f"The naive import and export loops ran on {min(small, NAIVE_IMPORT_LIMIT):,} records and are "
        "extrapolated linearly (a per-record loop costs the same per record at any size). "
        f"At Intuit's limits (500 requests/min) the naive {big:,}-record loops need "
        f"{fmt_time(floor_at_limits(big))} of requests alone; flask-wsqb's export of {big:,} needs "
        f"{big // 30 + (big % 30 > 0)} batch requests (40 a minute allowed).",
        flush=True,
    )

    if not args.no_workers:
        if args.db != "postgresql":
            print("\n(Section 2, worker processes, runs on PostgreSQL only: use --db postgresql.)")
        else:
            speed = bench_workers.SPEED
            print(
                f"\n== 2. Throttled Export Selected of {worker_rows:,} new contacts by real `flask wsqb worker` "
                "processes =="
            )
            print(
                f"Emulator throttled at QuickBooks' limits (500 requests/min, 40 batch requests/min, 10 at once) "
                f"on a clock running ×{speed:g}; app: WSQB_RATE_WINDOW={60 / speed:g} s, budget defaults "
                "(480, 38, 8), WSQB_REDIS_URL set, PostgreSQL. Best possible: 30 rows per batch request × 40 "
                "batch requests = 1,200 rows per emulated minute.",
                flush=True,
            )
            runs = []
            for count in worker_counts:
                runs.append(bench_workers.export_with_workers(args.db, count, worker_rows, speed))
            print(table([bench_workers.HEADER, *bench_workers.rows_for(runs)]))
            print(bench_workers.FOOTNOTE.format(speed=speed, window=60 / speed))
    print(f"\nTotal benchmark time {time.perf_counter() - started:.0f} s.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
