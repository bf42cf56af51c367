"""The grids at a real firm's size: ``python -m benchmarks.bench_pages [--rows 10000] [--loads 5]``.

Issue 15: with 10,000 customers and 10,000 contacts, each grid page's HTML is ready
(DOMContentLoaded) in under 1 s in Chromium, and its SQL statement count does not grow with
the rows.

Setup (not measured). The example host app on a fresh SQLite database, connected through the real
OAuth flow to an emulated company of ``rows`` customers (the customer list loads as it does for a
user). Then, in bulk through the extension's models in the first firm's scope, ``rows`` contacts:
30% the same people as the first customers (two thirds of them linked, the other third left to
Auto Match's proposals, a fifth of those for review), 70% other people, every tenth hidden; a
history entry per field of the linked ones, and a finished Import of 150 rows of which 2 failed.

Measured. Each page ``--loads`` times in real headless Chromium (after one warm-up load): the
document's DOMContentLoaded (Navigation Timing, from the start of the navigation), median and
p95; and the SQL statements one GET of the page sends (``before_cursor_execute``, in the test
client, so that the stylesheet's and script's requests are not counted), at ``--small`` rows and
at ``rows``: the count must be the same.
"""

from __future__ import annotations

import argparse
import gc
import logging
import math
import statistics
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager

import sqlalchemy as sa

from flask_wsqb.models import ItemStatus, ProposalStatus, RunKind
from flask_wsqb.sync import runs
from flask_wsqb.tenancy import tenant_scope
from flask_wsqb.testing.seed import customers as customer_bodies

from .common import PREFIX, SqlCounter, host, machine
from .run import table

#: The pages measured: (label, path and query). ``{run}``: the finished Import's id.
PAGES = (
    ("Import", "/contacts/import"),
    ("Import, Show Sync'd + Show Hidden", "/contacts/import?show_synced=1&show_hidden=1"),
    ("Import, a run shown", "/contacts/import?run={run}"),
    ("Export", "/contacts/export"),
    ("Export, search", "/contacts/export?q=son"),
    ("Match", "/contacts/match"),
    ("Match, Show Hidden", "/contacts/match?show_hidden=1"),
    ("History", "/history"),
)
SAME, LINKED_SHARE, REVIEW_SHARE = 0.3, 2 / 3, 0.2


def fill(app, qbo, rows: int) -> int:
    """The contacts, links, proposals, history and a finished Import; the Import's run id."""
    from example_app.firms import DEFAULT_FIRM
    from example_app.models import Contact, db

    customers = qbo.customers()
    same = round(rows * SAME)
    people = [_person(c) for c in customers[:same]]
    people += [_person(c) for c in customer_bodies(rows - same, inactive_ratio=0, seed=99)]
    with app.app_context(), tenant_scope(DEFAULT_FIRM):
        models = app.extensions["wsqb"].models
        db.session.execute(
            sa.insert(Contact), [{**p, "firm": DEFAULT_FIRM, "hidden": n % 10 == 0} for n, p in enumerate(people, 1)]
        )
        ids = list(db.session.execute(sa.select(Contact.id).order_by(Contact.id)).scalars())
        pairs = [(str(i), c["Id"]) for i, c in zip(ids[:same], customers[:same], strict=True)]
        linked = round(len(pairs) * LINKED_SHARE)
        realm = qbo.realm_id
        base = {"tenant": DEFAULT_FIRM, "realm_id": realm}
        links = [{**base, "contact_id": k, "customer_id": c} for k, c in pairs[:linked]]
        db.session.execute(sa.insert(models.ContactLink), [{**row, "how": "auto"} for row in links])
        db.session.execute(sa.insert(models.LinkEvent), [{**r, "action": "link", "how": "auto"} for r in links])
        proposed = pairs[linked:]
        review = round(len(proposed) * REVIEW_SHARE)
        db.session.execute(
            sa.insert(models.MatchProposal),
            [
                {
                    **base,
                    "contact_id": k,
                    "customer_id": c,
                    "score": 72.0 if n < review else 100.0,
                    "reason": "same name",
                    "status": ProposalStatus.REVIEW if n < review else ProposalStatus.PROPOSED,
                }
                for n, (k, c) in enumerate(proposed)
            ],
        )
        db.session.execute(
            sa.insert(models.Change),
            [
                {**base, "contact_id": k, "customer_id": c, "source": "import", "side": "app", "field": field}
                | {"old": "", "new": value, "by": "bench", "conflict": False}
                for (k, c), person in zip(pairs[:linked], people, strict=False)
                for field, value in (("display_name", person["display_name"]), ("email", person["email"] or ""))
            ],
        )
        db.session.commit()
        run = runs.create(realm, RunKind.IMPORT, [(c["Id"], c["DisplayName"]) for c in customers[same : same + 150]])
        Item = models.SyncItem
        db.session.execute(sa.update(Item).where(Item.run_id == run.id).values(status=ItemStatus.OK, message="Done."))
        failed = sa.select(Item.id).where(Item.run_id == run.id).order_by(Item.id).limit(2).scalar_subquery()
        db.session.execute(
            sa.update(Item).where(Item.id.in_(failed)).values(status=ItemStatus.ERROR, message="Name is taken.")
        )
        runs.finish(run, message="")
        db.session.execute(sa.text("ANALYZE"))
        db.session.commit()
        return run.id


def _person(customer: dict) -> dict:
    return {
        "display_name": customer["DisplayName"],
        "first_name": customer.get("GivenName"),
        "last_name": customer.get("FamilyName"),
        "company": customer.get("CompanyName"),
        "email": (customer.get("PrimaryEmailAddr") or {}).get("Address"),
        "phone": (customer.get("PrimaryPhone") or {}).get("FreeFormNumber"),
    }


@contextmanager
def firm(rows: int) -> Iterator:
    """The connected example app with ``rows`` customers and contacts; (host, Import run id)."""
    with host("sqlite", customers=rows) as bench_host:
        run_id = fill(bench_host.app, bench_host.qbo, rows)
        yield bench_host, run_id


@contextmanager
def chromium() -> Iterator:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    from tests.browser.conftest import CHROMEDRIVER, CHROMIUM

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--window-size=1280,1000",
    ):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(300)
    try:
        yield driver
    finally:
        driver.quit()


def dom_ready(driver, url: str) -> float:
    """Seconds from the start of the navigation to the end of DOMContentLoaded."""
    driver.get(url)
    return driver.execute_script(
        "var n = performance.getEntriesByType('navigation')[0];"
        "return n ? n.domContentLoadedEventEnd / 1000 : "
        "(performance.timing.domContentLoadedEventEnd - performance.timing.navigationStart) / 1000;"
    )


def statements(bench_host, path: str) -> int:
    with SqlCounter(bench_host.engine) as sql:
        answer = bench_host.client.get(PREFIX + path)
    assert answer.status_code == 200, (path, answer.status_code)
    return sql.count


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


def measure(rows: int, loads: int, small: int) -> list[tuple[str, str, str, str, str, str]]:
    from tests.browser.helpers import LiveServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # no line per request
    with firm(small) as (little, little_run):
        counts_small = {label: statements(little, path.format(run=little_run)) for label, path in PAGES}
    results = []
    with firm(rows) as (bench_host, run_id), chromium() as driver:
        server = LiveServer(bench_host.app)
        gc.collect()
        gc.freeze()  # the emulator's company lives in this process; keep the collector off it
        try:
            for label, path in PAGES:
                path = path.format(run=run_id)
                url = server.url + PREFIX + path
                dom_ready(driver, url)  # warm: templates compiled, the browser's cache filled
                seconds = [dom_ready(driver, url) for _ in range(loads)]
                count = statements(bench_host, path)
                html = bench_host.client.get(PREFIX + path).get_data()
                results.append(
                    (
                        label,
                        f"{statistics.median(seconds) * 1000:,.0f} ms",
                        f"{percentile(seconds, 0.95) * 1000:,.0f} ms",
                        f"{counts_small[label]} / {count}" + ("" if counts_small[label] == count else " (grows)"),
                        f"{html.count(b'<tr'):,}",
                        f"{len(html) / 1024:,.0f} KiB",
                    )
                )
                print(" | ".join(results[-1]), flush=True)
            results.append(select_all_matching(bench_host))
        finally:
            gc.unfreeze()
            server.stop()
    return results


def select_all_matching(bench_host) -> tuple[str, str, str, str, str, str]:
    """Import Selected after "Select all N matching" (Show Sync'd and Show Hidden on: every
    customer): the time to answer the POST (the run created with a row per customer, not worked)."""
    from tests.helpers import csrf_token, run_id_of

    page = PREFIX + "/contacts/import?show_synced=1&show_hidden=1"
    data = {
        "csrf_token": csrf_token(bench_host.client, page),
        "all_matching": "1",
        "show_synced": "1",
        "show_hidden": "1",
    }
    # A queue nobody listens on (refused at once): the run is created with its rows, then left.
    bench_host.app.config["WSQB_REDIS_URL"] = "redis://127.0.0.1:1/0"
    with SqlCounter(bench_host.engine) as sql:
        started = time.perf_counter()
        answer = bench_host.client.post(PREFIX + "/contacts/import?show_synced=1&show_hidden=1", data=data)
        seconds = time.perf_counter() - started
    run_id = run_id_of(answer)
    rows = bench_host.client.get(f"{PREFIX}/runs/{run_id}.json?items=none").get_json()["total"]
    return (
        "POST Import Selected, all matching",
        f"{seconds * 1000:,.0f} ms",
        "",
        str(sql.count),
        f"run of {rows:,} rows",
        "",
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.bench_pages",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--rows", type=int, default=10_000, help="customers, and contacts")
    parser.add_argument("--small", type=int, default=500, help="the size the SQL counts are compared with")
    parser.add_argument("--loads", type=int, default=5, help="loads of each page in Chromium")
    args = parser.parse_args(argv)
    for line in machine("sqlite"):
        print(line)
    started = time.perf_counter()
    results = measure(args.rows, args.loads, args.small)
    header = (
        "Page",
        "DOMContentLoaded median",
        "p95",
        f"SQL statements at {args.small:,} / {args.rows:,}",
        "table rows in the HTML",
        "HTML",
    )
    print(f"\n== {args.rows:,} customers and {args.rows:,} contacts, SQLite, headless Chromium, {args.loads} loads ==")
    print(table([header, *results]))
    print(f"Total benchmark time {time.perf_counter() - started:.0f} s.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
