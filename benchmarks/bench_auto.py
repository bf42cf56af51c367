"""Automatic sync under load, a soak benchmark with real workers (not a timed test):
``python -m benchmarks.bench_auto [--contacts 2000] [--workers 4] [--speed 5] [--webhooks | --no-webhooks]
[--logs DIR]``.

Setup (not measured). The two-firm host of the test suite (tests/hosts/firms.py) on PostgreSQL,
its first firm connected through the emulator's consent screen; ``contacts`` customers (and two
more for a warm-up) added to the emulated company and imported with Import Selected (the run in
the web process: the host numbers its contacts as the firm's highest + 1, which is not safe from
several workers creating contacts at once), so every pair is linked with what both sides agreed.
Then ``workers`` real ``flask wsqb worker`` processes (RQ's scheduler included) share a Redis
queue; the host is served over HTTP and the emulator POSTs its signed webhooks to
``/setup/quickbooks/webhooks``; automatic sync is turned on *Both ways* on the Connection page's
form, and a warm-up edit on each side goes through.

Measured. The emulator throttles at QuickBooks' limits (500 requests, 40 batch requests a
minute, 10 a second, 10 at once) on a clock running ``speed`` times real time; the app's budget window and
429 waits are scaled to match (as in bench_workers), and so is ``WSQB_CATCHUP_INTERVAL``.
``WSQB_PUSH_DELAY`` stays 5 s of the app's time: it waits for a person to finish editing, which
the clock does not speed up. Within one emulated minute, spread evenly: ``contacts / 2``
QuickBooks edits (a user's edit in QuickBooks, ``qbo.edit_customer``: a new e-mail address) and
as many app edits (a contact's e-mail changed and committed through the host's SQLAlchemy
session), on distinct pairs, every value unique. Every 0.1 s the host's database and the emulated
company are read (in bulk, in Python: no request) for the values not yet arrived.

Two modes, each on a fresh database, emulator and workers: *webhooks*, and *catch-up only*
(``qbo.webhooks_paused``: every notification lost; ``WSQB_CATCHUP_INTERVAL`` one emulated minute).

Figures. Latency from an edit to the other side showing its value, in emulated and in real
seconds (an edit not arrived ``LOST_AFTER`` emulated seconds after the last one is lost). The
goals are judged in the app's seconds, the real ones, as its settings are; in emulated seconds
the app's own work counts ``speed`` times over. Writes to QuickBooks per app edit: the SyncToken
steps of every customer during the soak (each write QuickBooks applies, a batch's items one by
one, moves it one step) less the QuickBooks edits' own steps. Writes to the app per QuickBooks
edit: the contacts' fields automatic sync changed (history rows of source ``auto`` on the app's
side). 429s: the emulator's answers. Rounds: the RQ jobs of automatic sync and how long each
kept its worker, waiting for the firm's lock included.
"""

from __future__ import annotations

import argparse
import logging
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timezone

import sqlalchemy as sa

from flask_wsqb.testing import QBOEmulator
from tests.auto.helpers import TOKEN, WEBHOOKS, turn_on
from tests.browser.helpers import LiveServer
from tests.helpers import IMPORT, host_config, linked_pairs, post_form, report_of, run_id_of
from tests.hosts import firms

from .bench_workers import REDIS_URL, flush_redis, start_workers, stop_workers
from .common import fresh_database, machine
from .run import table

#: The workers: the two-firm host as ``flask wsqb worker`` builds it.
WORKER_APP = "tests.hosts.firms:create_worker_app"

FIRM = "alpha"
SPEED = 5.0
SPAN = 60.0  # emulated seconds the edits are spread over
PUSH_DELAY = 5.0  # the app's seconds (real), not scaled
CATCH_UP = {"webhooks": 300.0, "catch-up": 60.0}  # WSQB_CATCHUP_INTERVAL in emulated seconds, per mode
LOST_AFTER = 600.0  # emulated seconds after the last edit
POLL = 0.1  # real seconds between two looks at both sides
WARM_UP = 2  # customers beyond ``contacts``, for the warm-up edits


@dataclass
class Edit:
    """One edit on one side of a linked pair, and when the other side showed it."""

    contact: str
    customer: str
    value: str
    made: tuple[float, float] | None = None  # (real, emulated) seconds
    seen: tuple[float, float] | None = None

    def latency(self, clock: int) -> float:
        """Seconds from the edit to the other side: ``clock`` 0 real, 1 emulated."""
        assert self.made is not None and self.seen is not None
        return self.seen[clock] - self.made[clock]


@dataclass
class Soak:
    mode: str
    speed: float
    quickbooks: list[Edit] = field(default_factory=list)  # made in QuickBooks, awaited in the app
    app: list[Edit] = field(default_factory=list)  # made in the app, awaited in QuickBooks
    requests: Counter = field(default_factory=Counter)  # (kind, status) of the emulator's answers
    steps: Counter = field(default_factory=Counter)  # SyncToken steps beyond the QuickBooks edits, by pair kind
    changed: Counter = field(default_factory=Counter)  # history rows auto/app, by pair kind
    runs: dict = field(default_factory=dict)  # automatic sync's runs: kind -> (runs, rows, failed rows)
    rounds: list[float] = field(default_factory=list)  # seconds each round's job kept its worker
    deliveries: Counter = field(default_factory=Counter)  # webhook POSTs by status
    events: int = 0
    wrong_at_end: int = 0  # pairs whose two sides do not both hold the edit's value at the end

    @property
    def interval(self) -> float:
        """WSQB_CATCHUP_INTERVAL, emulated seconds."""
        return CATCH_UP[self.mode]

    def edits_span(self) -> float:
        made = [e.made[1] for e in self.quickbooks + self.app if e.made is not None]
        return max(made) - min(made)


def stamp(qbo) -> tuple[float, float]:
    return time.perf_counter(), qbo.clock.time()


# -- setup -----------------------------------------------------------------------------------------


def settings_for(mode: str, speed: float) -> dict:
    window = 60.0 / speed
    return dict(
        WSQB_RATE_WINDOW=window,
        WSQB_RETRY_MAX_WAIT=window,
        WSQB_RETRY_BACKOFF=0.5,
        WSQB_TIMEOUT=30.0,
        WSQB_CATCHUP_INTERVAL=CATCH_UP[mode] / speed,
        WSQB_PUSH_DELAY=PUSH_DELAY,
        WSQB_WEBHOOK_VERIFIER_TOKEN=TOKEN,
    )


def link_everyone(app, qbo, contacts: int) -> list[tuple[str, str]]:
    """``contacts`` (+ the warm-up's) customers, imported with Import Selected: the (contact,
    customer) pairs in the customers' order. Without Redis yet, the run goes in a thread of the
    web process: the host's contact numbers (the firm's highest + 1) are not safe from several
    workers creating contacts at once."""
    customers = [qbo.add_customer({"DisplayName": f"Soak Customer {n:05}"})["Id"] for n in range(contacts + WARM_UP)]
    web = firms.as_firm(app, FIRM)
    firms.connect_to(web, qbo, qbo.realm_id)
    run_id = run_id_of(post_form(web, IMPORT, IMPORT, {"selected": customers}))
    deadline = time.monotonic() + 1800
    while not (report := report_of(web, run_id))["finished"]:
        if time.monotonic() > deadline:
            raise RuntimeError(f"the import did not finish: {report['summary']}")
        time.sleep(0.5)
    if report["ok"] != len(customers):
        raise RuntimeError(f"the import failed: {report['summary']}")
    contact_of = {customer: contact for contact, customer in linked_pairs(app, qbo.realm_id)}
    return [(contact_of[customer], customer) for customer in customers]


def turn_on_auto_sync(app, qbo, server: LiveServer, mode: str) -> None:
    """Webhooks to the host served over HTTP (lost, in catch-up mode), then automatic sync on,
    both ways, as the firm's user saves it."""
    qbo.webhook_url, qbo.webhook_verifier_token = server.url + WEBHOOKS, TOKEN
    qbo.webhooks_paused = mode == "catch-up"
    turn_on(firms.as_firm(app, FIRM), "both", new_customers="create", new_contacts="leave")


def warm_up(app, qbo, engine, pairs: list[tuple[str, str]]) -> None:
    """One edit on each side, awaited (the first catch-up, which reads what changed since
    automatic sync was turned on, and the workers' first rounds are not measured)."""
    tag = uuid.uuid4().hex[:8]
    quickbooks = Edit(*pairs[0], f"warm-qb.{tag}@soak.example")
    in_app = Edit(*pairs[1], f"warm-app.{tag}@soak.example")
    edit_in_quickbooks(qbo, [quickbooks], time.perf_counter(), 0)
    edit_in_app(app, qbo, [in_app], time.perf_counter(), 0)
    await_arrivals(qbo, engine, [quickbooks], [in_app], time.perf_counter() + 120)
    if quickbooks.seen is None or in_app.seen is None:
        print(f"warning: a warm-up edit did not arrive ({quickbooks.seen=}, {in_app.seen=}); see the workers' logs")
    time.sleep(PUSH_DELAY + 2)  # the echo's rounds of the warm-up pass too


# -- the edits and their arrival ------------------------------------------------------------------------


def _wait_until(moment: float) -> None:
    delay = moment - time.perf_counter()
    if delay > 0:
        time.sleep(delay)


def edit_in_quickbooks(qbo, edits: list[Edit], start: float, gap: float) -> None:
    for number, edit in enumerate(edits):
        _wait_until(start + number * gap)
        qbo.edit_customer(edit.customer, {"PrimaryEmailAddr": {"Address": edit.value}})
        edit.made = stamp(qbo)


def edit_in_app(app, qbo, edits: list[Edit], start: float, gap: float) -> None:
    """Each edit a commit of the host's session, as the host's own contact form would save it."""
    with app.app_context():
        session = firms.db.session
        for number, edit in enumerate(edits):
            _wait_until(start + number * gap)
            person = session.get(firms.Person, (FIRM, int(edit.contact)))
            person.email = edit.value
            session.commit()
            edit.made = stamp(qbo)
        session.remove()


def emails_in_app(engine) -> dict[str, str | None]:
    with engine.connect() as connection:
        rows = connection.execute(sa.text("SELECT number, email FROM person WHERE firm = :firm"), {"firm": FIRM})
        return {str(number): email for number, email in rows}


def email_in_quickbooks(qbo, customer_id: str) -> str | None:
    return (qbo.customer(customer_id).get("PrimaryEmailAddr") or {}).get("Address")


def await_arrivals(qbo, engine, quickbooks: list[Edit], app: list[Edit], deadline: float) -> None:
    """Look at both sides every ``POLL`` s until every edit made has arrived (edits still being
    made are awaited too) or the real time ``deadline``."""
    waiting = quickbooks + app
    while waiting and time.perf_counter() < deadline:
        now = stamp(qbo)
        emails = emails_in_app(engine)
        for edit in quickbooks:
            if edit.made is not None and edit.seen is None and emails.get(edit.contact) == edit.value:
                edit.seen = now
        now = stamp(qbo)
        for edit in app:
            if edit.made is not None and edit.seen is None and email_in_quickbooks(qbo, edit.customer) == edit.value:
                edit.seen = now
        waiting = [edit for edit in waiting if edit.seen is None]
        time.sleep(POLL)


def soak_edits(app, qbo, engine, result: Soak) -> None:
    """Both sides' edits spread evenly over ``SPAN`` emulated seconds, awaited as they go."""
    gap = SPAN / result.speed / len(result.quickbooks)
    start = time.perf_counter() + 0.5
    drivers = [
        threading.Thread(target=edit_in_quickbooks, args=(qbo, result.quickbooks, start, gap), daemon=True),
        threading.Thread(target=edit_in_app, args=(app, qbo, result.app, start + gap / 2, gap), daemon=True),
    ]
    for driver in drivers:
        driver.start()
    last_edit = start + SPAN / result.speed
    await_arrivals(qbo, engine, result.quickbooks, result.app, last_edit + LOST_AFTER / result.speed)
    for driver in drivers:
        driver.join()


# -- what it cost ------------------------------------------------------------------------------------


def request_kind(method: str, path: str) -> str:
    last = path.rsplit("/", 1)[-1]
    if last in ("batch", "cdc", "query"):
        return last
    return "other write" if method == "POST" else "other read"


def sync_tokens(qbo) -> dict[str, int]:
    return {customer["Id"]: int(customer["SyncToken"]) for customer in qbo.customers()}


def kind_of_pair(result: Soak) -> dict[str, dict[str, str]]:
    """By contact and by customer: which side's edit the pair had (others: none)."""
    kinds: dict[str, dict[str, str]] = {"contact": {}, "customer": {}}
    for kind, edits in (("QuickBooks-edited", result.quickbooks), ("app-edited", result.app)):
        for edit in edits:
            kinds["contact"][edit.contact], kinds["customer"][edit.customer] = kind, kind
    return kinds


def count_writes(qbo, engine, result: Soak, tokens_before: dict[str, int], since: datetime) -> None:
    """Writes to QuickBooks (SyncToken steps), to the app (history rows), runs, requests, deliveries."""
    kinds = kind_of_pair(result)
    for customer_id, token in sync_tokens(qbo).items():
        steps = token - tokens_before.get(customer_id, 0)
        kind = kinds["customer"].get(customer_id, "others")
        result.steps[kind] += steps - (1 if kind == "QuickBooks-edited" else 0)
    with engine.connect() as connection:
        history = connection.execute(
            sa.text("SELECT contact_id FROM wsqb_change WHERE source = 'auto' AND side = 'app' AND at >= :since"),
            {"since": since},
        )
        for (contact_id,) in history:
            result.changed[kinds["contact"].get(contact_id, "others")] += 1
        runs = connection.execute(
            sa.text(
                "SELECT r.kind, COUNT(DISTINCT r.id), COUNT(i.id), COUNT(i.id) FILTER (WHERE i.status = 'error') "
                "FROM wsqb_sync_run r LEFT JOIN wsqb_sync_item i ON i.run_id = r.id "
                "WHERE r.created_at >= :since AND r.kind IN ('auto-import', 'auto-export') GROUP BY r.kind"
            ),
            {"since": since},
        )
        result.runs = {kind: (count, rows, failed) for kind, count, rows, failed in runs}
    result.requests = Counter(
        (request_kind(method, path), status) for method, path, status in qbo.request_log if "/v3/company/" in path
    )


def round_jobs(queue_name: str, since: datetime) -> list[float]:
    """Seconds each automatic sync round's RQ job kept its worker (waiting for the firm's lock
    included), of the rounds started since ``since``."""
    from redis import Redis
    from rq import Queue
    from rq.job import Job
    from rq.registry import FinishedJobRegistry

    with Redis.from_url(REDIS_URL) as connection:
        registry = FinishedJobRegistry(queue=Queue(queue_name, connection=connection))
        jobs = [job for job in Job.fetch_many(registry.get_job_ids(), connection=connection) if job is not None]
    return [
        (job.ended_at - job.started_at).total_seconds()
        for job in jobs
        if job.func_name.endswith("run_round") and _utc(job.started_at) >= since
    ]


def _utc(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=timezone.utc)


def final_check(qbo, engine, result: Soak) -> int:
    """Pairs whose two sides do not both hold their edit's value (an older value came back)."""
    emails = emails_in_app(engine)
    return sum(
        1
        for edit in result.quickbooks + result.app
        if emails.get(edit.contact) != edit.value or email_in_quickbooks(qbo, edit.customer) != edit.value
    )


# -- one mode ----------------------------------------------------------------------------------------


def soak(mode: str, contacts: int, workers: int, speed: float, log_dir: str) -> Soak:
    """Set up, warm up, then the soak of one mode (``webhooks`` or ``catch-up``)."""
    flush_redis()
    settings = settings_for(mode, speed)
    with (
        tempfile.TemporaryDirectory(prefix="wsqb-bench-") as directory,
        QBOEmulator(
            throttle=False,
            clock_speed=speed,
            per_minute=500,
            concurrent=10,
            batch_per_minute=40,
            access_token_ttl=10**7,
        ) as qbo,
    ):
        config = host_config(fresh_database("postgresql", directory), qbo, **settings)
        config.pop("WSQB_REDIS_URL", None)
        app = firms.create_app(config)
        engine = sa.create_engine(config["SQLALCHEMY_DATABASE_URI"])
        processes, server = [], None
        try:
            pairs = link_everyone(app, qbo, contacts)  # setup is not throttled
            app.config["WSQB_REDIS_URL"] = REDIS_URL  # from now on rounds go to the workers
            processes = start_workers(workers, config, settings, log_dir, label=f"auto-{mode}", app=WORKER_APP)
            logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no line per webhook delivery
            server = LiveServer(app)
            turn_on_auto_sync(app, qbo, server, mode)
            qbo.throttle = True
            warm_up(app, qbo, engine, pairs[-WARM_UP:])
            return measured(app, qbo, engine, mode, speed, pairs[:contacts])
        finally:
            if server is not None:
                qbo.webhook_url = None
                server.stop()
            stop_workers(processes)
            engine.dispose()
            with app.app_context():
                firms.db.session.remove()
                firms.db.engine.dispose()
            flush_redis()


def measured(app, qbo, engine, mode: str, speed: float, pairs: list[tuple[str, str]]) -> Soak:
    tag = uuid.uuid4().hex[:8]
    half = len(pairs) // 2
    result = Soak(mode, speed)
    result.quickbooks = [Edit(*pair, f"qb{n:05}.{tag}@soak.example") for n, pair in enumerate(pairs[:half])]
    result.app = [Edit(*pair, f"app{n:05}.{tag}@soak.example") for n, pair in enumerate(pairs[half : 2 * half])]
    tokens_before = sync_tokens(qbo)
    deliveries_before = len(qbo.webhook_log)
    since = datetime.now(timezone.utc)
    qbo.reset_log()
    soak_edits(app, qbo, engine, result)
    # Echoes (our writes coming back as webhooks or in a catch-up) would come now: give them time.
    time.sleep(2 * PUSH_DELAY + 10 + (2 * result.interval / speed if mode == "catch-up" else 0))
    count_writes(qbo, engine, result, tokens_before, since)
    result.rounds = round_jobs(app.config["WSQB_QUEUE"], since)
    for delivery in qbo.webhook_log[deliveries_before:]:
        result.deliveries[delivery.status] += 1
        result.events += delivery.events
    result.wrong_at_end = final_check(qbo, engine, result)
    return result


# -- the table ---------------------------------------------------------------------------------------


def percentile(values: list[float], share: float) -> float:
    """Nearest rank."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))]


def latencies(edits: list[Edit], clock: int) -> str:
    values = [edit.latency(clock) for edit in edits if edit.seen is not None]
    if not values:
        return "none arrived"
    return " / ".join(f"{percentile(values, share):.1f}" for share in (0.5, 0.95, 1.0))


def p95(edits: list[Edit]) -> float:
    return percentile([edit.latency(0) for edit in edits if edit.seen is not None], 0.95)


def throttled(result: Soak) -> int:
    return sum(n for (_kind, status), n in result.requests.items() if status == 429)


def lost(edits: list[Edit]) -> int:
    return sum(edit.seen is None for edit in edits)


def verdicts(result: Soak) -> dict[str, bool]:
    """Whether each goal is met, judged in the app's (real) seconds."""
    to_app = 5.0 if result.mode == "webhooks" else result.interval / result.speed + 30
    return {
        "to app": p95(result.quickbooks) <= to_app,
        "to quickbooks": p95(result.app) <= PUSH_DELAY + 5,
        "lost": lost(result.quickbooks) + lost(result.app) + result.wrong_at_end == 0,
        "writes": sum(result.steps.values()) == len(result.app),
        "changes": sum(result.changed.values()) == len(result.quickbooks),
        "429": throttled(result) == 0,
    }


def goal_texts(speed: float) -> dict[str, str]:
    catch_up = CATCH_UP["catch-up"] / speed
    return {
        "to app": f"p95 ≤ 5 s (webhooks); ≤ {catch_up:g} + 30 s (catch-up: interval + 30 s)",
        "to quickbooks": f"p95 ≤ {PUSH_DELAY:g} + 5 s (push delay + 5 s)",
        "lost": "0",
        "writes": "1.00",
        "changes": "1.00",
        "429": "0",
    }


def writes_cell(result: Soak) -> str:
    steps = result.steps
    return (
        f"{sum(steps.values()) / len(result.app):.2f} ({steps['app-edited']:,} to app-edited customers, "
        f"{steps['QuickBooks-edited']} to QuickBooks-edited, {steps['others']} to others)"
    )


def changes_cell(result: Soak) -> str:
    changed = result.changed
    return (
        f"{sum(changed.values()) / len(result.quickbooks):.2f} ({changed['QuickBooks-edited']:,} to "
        f"QuickBooks-edited contacts, {changed['app-edited']} to app-edited, {changed['others']} to others)"
    )


def requests_cell(result: Soak) -> str:
    by_kind: Counter = Counter()
    for (kind, _status), n in result.requests.items():
        by_kind[kind] += n
    batches = by_kind["batch"]
    items = f" ({sum(result.steps.values()) / batches:.1f} writes each)" if batches else ""
    return ", ".join(f"{kind} {n}{items if kind == 'batch' else ''}" for kind, n in sorted(by_kind.items()))


def runs_cell(result: Soak) -> str:
    runs = sorted(result.runs.items())
    return "; ".join(f"{kind} {count} ({rows:,}; {failed})" for kind, (count, rows, failed) in runs) or "none"


def rounds_cell(result: Soak) -> str:
    if not result.rounds:
        return "none"
    slow = [seconds for seconds in result.rounds if seconds > 2]
    return (
        f"{len(result.rounds)} ({sum(result.rounds):.0f} s; {max(result.rounds):.1f} s; "
        f"{len(slow)} rounds, {sum(slow):.0f} s)"
    )


def deliveries_cell(result: Soak) -> str:
    answers = ", ".join(f"{n} × {status}" for status, n in sorted(result.deliveries.items()))
    return f"{sum(result.deliveries.values())} ({result.events:,}; {answers or 'none'})"


#: The table's rows: label, the goal it is judged by (None: a figure to read), and its cell.
ROWS = [
    (
        "edits (QuickBooks + app), made within",
        None,
        lambda r: f"{len(r.quickbooks):,} + {len(r.app):,} in {r.edits_span():.1f} emulated s",
    ),
    ("QuickBooks → app p50 / p95 / max, emulated s", None, lambda r: latencies(r.quickbooks, 1)),
    ("QuickBooks → app p50 / p95 / max, real s", "to app", lambda r: latencies(r.quickbooks, 0)),
    ("app → QuickBooks p50 / p95 / max, emulated s", None, lambda r: latencies(r.app, 1)),
    ("app → QuickBooks p50 / p95 / max, real s", "to quickbooks", lambda r: latencies(r.app, 0)),
    (
        "lost edits (QB → app / app → QB; wrong at the end)",
        "lost",
        lambda r: f"{lost(r.quickbooks)} / {lost(r.app)}; {r.wrong_at_end}",
    ),
    ("writes to QuickBooks per app edit", "writes", writes_cell),
    ("writes to the app per QuickBooks edit", "changes", changes_cell),
    ("429 answers", "429", lambda r: str(throttled(r))),
    ("requests to QuickBooks during the soak", None, requests_cell),
    ("automatic sync's runs (rows; failed rows)", None, runs_cell),
    ("rounds run (worker time; longest; over 2 s)", None, rounds_cell),
    ("webhook deliveries (events; answers)", None, deliveries_cell),
]


def report_table(results: list[Soak]) -> str:
    goal = goal_texts(results[0].speed)
    names = {"webhooks": "webhooks", "catch-up": "catch-up only (webhooks lost)"}
    rows = [("", *(names[r.mode] for r in results), "goal (the app's seconds: real)")]
    for label, key, cell in ROWS:
        cells = []
        for result in results:
            mark = "" if key is None else (" — met" if verdicts(result)[key] else " — MISSED")
            cells.append(cell(result) + mark)
        rows.append((label, *cells, goal[key] if key else ""))
    return table(rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.bench_auto",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--contacts", type=int, default=2000, help="linked pairs; half are edited on each side")
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--speed", type=float, default=SPEED)
    parser.add_argument(
        "--webhooks",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="only with webhooks (--no-webhooks: only catch-up); both modes by default",
    )
    parser.add_argument("--logs", help="keep the workers' logs in this folder")
    args = parser.parse_args(argv)
    modes = {None: ["webhooks", "catch-up"], True: ["webhooks"], False: ["catch-up"]}[args.webhooks]
    for line in machine("postgresql"):
        print(line, flush=True)
    with tempfile.TemporaryDirectory(prefix="wsqb-auto-") as log_dir:
        results = [soak(mode, args.contacts, args.workers, args.speed, args.logs or log_dir) for mode in modes]
    speed = args.speed
    print(
        f"{args.workers} workers, clock x{speed:g} (one emulated minute = {60 / speed:g} s); WSQB_PUSH_DELAY "
        f"{PUSH_DELAY:g} s, WSQB_CATCHUP_INTERVAL {', '.join(f'{m} {CATCH_UP[m] / speed:g} s' for m in modes)}, "
        f"WSQB_RATE_WINDOW {60 / speed:g} s; webhook delay 1 emulated s; {args.contacts:,} linked pairs; "
        f"workers: flask --app {WORKER_APP} wsqb worker"
    )
    print(report_table(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
