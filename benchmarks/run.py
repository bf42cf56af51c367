"""``python -m benchmarks.run [--quick] [--db sqlite|postgresql]``: measure and print a table.

1. Export of new contacts: batch requests vs a per-record python-quickbooks ``save()`` loop.
2. Import (Select All) end to end: Refresh, then Import Selected, vs ``Customer.get`` per row
   and one commit per contact.
3. The Import and Export grids: response time and SQL statements at two sizes.
"""
from __future__ import annotations

import argparse
import sys
import time

from example_app.models import Contact, db

from .common import EXPORT, IMPORT, Measure, database_url, host, machine, measure, page_timing, quickbooks_client

#: The naive import loop is measured on at most this many customers and extrapolated beyond.
NAIVE_IMPORT_LIMIT = 1000


def add_contacts(bench_host, n: int) -> list[str]:
    """``n`` new host contacts, written straight to the database (setup, not measured)."""
    with bench_host.app.app_context():
        rows = [Contact(display_name=f"Client {i:05} Benchmark", first_name="Client", last_name=f"{i:05}",
                        email=f"client{i}@example.com", phone=f"(555) 010-{i % 10000:04d}",
                        city="Austin", state="TX", hidden=i % 10 == 7) for i in range(n)]
        db.session.add_all(rows)
        db.session.commit()
        return [str(row.id) for row in rows]


# -- 1. export ---------------------------------------------------------------------------------

def export_benchmark(dbname: str, n: int) -> tuple[Measure, Measure]:
    with host(dbname) as bench:
        ids = add_contacts(bench, n)
        token = bench.form_token(EXPORT)
        report = {}
        ours = measure(bench, lambda: report.update(bench.run(EXPORT, ids, token)))
        assert report["ok"] == n, report
        batches = sum(1 for _m, path, _s in bench.qbo.request_log if path.endswith("/batch"))
        ours.note = f"{batches} batch + {ours.requests - batches} other"
        ours.extra["batches"] = batches
    with host(dbname) as bench:
        naive = measure(bench, lambda: naive_export(bench, n))
    return ours, naive


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
            imported = measure(bench, lambda: report.update(bench.run(IMPORT + "?show_hidden=1", ids, token)),
                               memory=memory)
            assert report["ok"] == n and report["errors"] == 0, report
            steps.append((refresh, imported))
    (refresh, imported), (refresh_mem, imported_mem) = steps
    refresh.peak_mib, imported.peak_mib = refresh_mem.peak_mib, imported_mem.peak_mib
    total = Measure(refresh.seconds + imported.seconds, refresh.requests + imported.requests,
                    refresh.sql + imported.sql, refresh.commits + imported.commits,
                    max(refresh.peak_mib, imported.peak_mib))
    # The naive loop runs on a company of at most NAIVE_IMPORT_LIMIT customers: a GET by Id
    # costs Intuit the same in any company, but the emulator's grows with the company.
    with host(dbname, customers=min(n, NAIVE_IMPORT_LIMIT)) as bench:
        sample = [c["Id"] for c in bench.qbo.customers()]
        naive = measure(bench, lambda: naive_import(bench, sample))
        if len(sample) < n:
            scale = n / len(sample)
            naive = Measure(naive.seconds * scale, round(naive.requests * scale), round(naive.sql * scale),
                            commits=round(naive.commits * scale), note=f"extrapolated ×{scale:g} from {len(sample):,}")
    return refresh, imported, total, naive


def naive_import(bench, ids: list[str]) -> None:
    from quickbooks.objects.customer import Customer

    client = quickbooks_client(bench.qbo)
    with bench.app.app_context():
        for customer_id in ids:
            customer = Customer.get(customer_id, qb=client)
            email = customer.PrimaryEmailAddr.Address if customer.PrimaryEmailAddr else None
            phone = customer.PrimaryPhone.FreeFormNumber if customer.PrimaryPhone else None
            db.session.add(Contact(display_name=customer.DisplayName, first_name=customer.GivenName,
                                   last_name=customer.FamilyName, company=customer.CompanyName,
                                   email=email, phone=phone, hidden=not customer.Active))
            db.session.commit()


# -- 3. grids ----------------------------------------------------------------------------------

def grid_benchmark(dbname: str, n: int) -> tuple[Measure, Measure]:
    """(Import grid with ``n`` customers, Export grid with ``n`` contacts)."""
    with host(dbname, customers=n) as bench:
        add_contacts(bench, n)
        import_grid = page_timing(bench, IMPORT + "?show_hidden=1")
        export_grid = page_timing(bench, EXPORT)
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
        lines.append("| " + " | ".join(cell.ljust(w) for cell, w in zip(row, widths)) + " |")
        if number == 0:
            lines.append("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.run", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="small sizes, for a smoke run (a minute)")
    parser.add_argument("--db", choices=("sqlite", "postgresql"), default="sqlite",
                        help="the host database (postgresql: $WSQB_BENCH_POSTGRES_URL, default "
                             "postgresql://postgres@127.0.0.1:5432/test, emptied first)")
    args = parser.parse_args(argv)
    export_n, import_n, grid_sizes = (100, 1000, (100, 1000)) if args.quick else (1000, 10000, (1000, 10000))

    for line in machine():
        print(line)
    print(f"Database: {database_url(args.db)}; QuickBooks: the in-process emulator over loopback HTTP, throttling off.")
    print("Peak memory: tracemalloc peak during the step (separate untimed pass).\n", flush=True)
    started = time.perf_counter()

    ours, naive = export_benchmark(args.db, export_n)
    header = ("Benchmark", "Measure", "flask-wsqb", "naive loop", "naive / flask-wsqb")
    rows = [header,
            (f"1. Export {export_n:,} new contacts", "requests to QuickBooks", f"{ours.requests} ({ours.note})",
             f"{naive.requests:,}", ratio(naive.requests, ours.requests)),
            ("", "wall time", fmt_time(ours.seconds), fmt_time(naive.seconds), ratio(naive.seconds, ours.seconds)),
            ("", "SQL statements (commits)", f"{ours.sql:,} ({ours.commits})", "", ""),
            ("", "min. time at Intuit's limits*", fmt_time(floor_at_limits(ours.requests, ours.extra["batches"])),
             fmt_time(floor_at_limits(naive.requests)), "")]
    print(table(rows), "\n", flush=True)

    refresh, imported, total, naive = import_benchmark(args.db, import_n)
    rows += [(f"2. Import {import_n:,} customers", "requests: listing + Import",
              f"{refresh.requests} + {imported.requests} = {total.requests}", f"{naive.requests:,}",
              ratio(naive.requests, total.requests)),
             ("   (Select All, end to end)", "wall time: listing + Import",
              f"{fmt_time(refresh.seconds)} + {fmt_time(imported.seconds)} = {fmt_time(total.seconds)}",
              fmt_time(naive.seconds), ratio(naive.seconds, total.seconds)),
             ("", "SQL statements (commits)",
              f"{refresh.sql:,} + {imported.sql:,} = {total.sql:,} ({total.commits})",
              f"{naive.sql:,} ({naive.commits:,})", ratio(naive.sql, total.sql)),
             ("", "min. time at Intuit's limits*", fmt_time(floor_at_limits(total.requests)),
              fmt_time(floor_at_limits(naive.requests)), ""),
             ("", "peak memory (tracemalloc)", f"{fmt_mem(refresh.peak_mib)} / {fmt_mem(imported.peak_mib)}", "", "")]
    if naive.note:
        rows.append(("", "naive loop", "", naive.note, ""))
    print(table([header, *rows[-6:]] if naive.note else [header, *rows[-5:]]), "\n", flush=True)

    for n in grid_sizes:
        import_grid, export_grid = grid_benchmark(args.db, n)
        rows += [(f"3. Import grid, {n:,} customers", "GET ?show_hidden=1 (median of 5)",
                  f"{fmt_time(import_grid.seconds)}, {import_grid.sql} SQL, {import_grid.extra['bytes'] / 1e6:.1f} MB", "", ""),
                 (f"   Export grid, {n:,} contacts", "GET (median of 5)",
                  f"{fmt_time(export_grid.seconds)}, {export_grid.sql} SQL, {export_grid.extra['bytes'] / 1e6:.1f} MB", "", "")]
        print(table([header, *rows[-2:]]), "\n", flush=True)

    print(table(rows))
    print("* computed, not measured: 10 requests a second, 500 a minute, 40 batch requests a minute "
          "per company (the emulator runs with throttling off).")
    print(f"\nTotal benchmark time {time.perf_counter() - started:.0f} s.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
