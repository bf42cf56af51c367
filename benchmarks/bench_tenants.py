"""Many firms in one app: ``python -m benchmarks.bench_tenants [--firms 200] [--rows 500] [--db postgresql]``.

Issue 13: with 200 firms of 500 contacts and 500 customers each (100,000 of each) on PostgreSQL,
every page of a firm answers in under 300 ms (p95 over all pages) with a number of SQL statements
that does not grow with the number of firms or rows.

Setup (not measured). The two-firm host of the test suite (``tests/hosts/firms.py``) on a fresh
database; the emulator holds one company per firm with ``rows`` customers, and each firm has
``rows`` contacts: 30% the same people as its first customers, 10% the same people written
"Family, Given" without an email, 60% other people; every tenth contact hidden.

- The measured firms (``--sample`` of them, spread over the range) are set up through the real
  flow, by their user's requests: Connect, choosing their company on the emulator's consent
  screen (the customer list loads); Auto Match; Accept all above 90; Export Selected of
  ``rows / 25`` other people; Import Selected of ``rows / 25`` customers; Sync of two exported
  contacts changed since.
- The other firms would take about 3 s each that way (Accept all alone over 1 s: some five SQL
  statements per proposal), so they are bulk-inserted in the same shape through the extension's
  services and models, inside their tenant's scope: the connection (with tokens the emulator
  issued for their company), the customer list (``mirror.store``), the links Accept all would make
  with their history entries, the proposals it leaves, the four finished runs and their rows, and
  the history of the exported and imported contacts (whose customers are added to their company).

Then ``VACUUM ANALYZE``, as autovacuum would after such a load, before rather than during the
measurement.

Measured. For each measured firm, every page its user sees — every GET rule of the ``wsqb``
blueprint but the static files and the OAuth callback (a new rule stops the benchmark until it is
added to ``PAGES``), those taking an id with that firm's ids, the forms also with their filters and
with a run shown, the switch page after a sign-in to another company — ``--repeat`` times each:
the response time in the test client, and the SQL statements the response sent
(``before_cursor_execute``). The objects setup left, the emulator's companies among them, are
frozen out of the garbage collector's way first (``gc.freeze``). The same on 2 firms × 50 rows and
on 2 firms × ``rows``, all set up through the real flow, with as many requests of each page: a
page's statement count must be the same at every size, and the second shows what the number of
firms adds to the time. The load average is printed beside each measurement: the figures mean
little on a machine busy with something else.
"""

from __future__ import annotations

import argparse
import gc
import math
import os
import re
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta

import sqlalchemy as sa
from flask import Flask

from flask_wsqb.clock import utcnow
from flask_wsqb.models import ItemStatus, ProposalStatus, RunKind
from flask_wsqb.quickbooks import connection
from flask_wsqb.quickbooks.oauth import Tokens
from flask_wsqb.sync import history, mirror, runs
from flask_wsqb.tenancy import tenant_scope
from flask_wsqb.testing import QBOEmulator
from flask_wsqb.testing.seed import customers as customer_bodies
from tests.helpers import CONNECTION, EXPORT, IMPORT, host_config, post_form, run_id_of, wait_for_run
from tests.hosts import firms
from tests.hosts.firms import Person, as_firm, connect_to, db, sign_in

from .common import PREFIX, SEED_AGE, UNBUDGETED, SqlCounter, database_url, fresh_database, machine
from .run import fmt_time, table

MATCH = PREFIX + "/contacts/match"
SWITCH = CONNECTION + "/switch"
BASELINE = (2, 50)
#: Shares of a firm's contacts that are the same people as its first customers, and the same
#: people again written "Family, Given" without an email; the rest are other people.
SAME, REORDERED = 0.3, 0.1

#: Every page a firm's user sees: the GET rules of the ``wsqb`` blueprint, each with the query
#: strings measured on it (each one a page of the table). ``{...}``: one of the firm's ids.
PAGES = {
    "wsqb.connection": ("", "?run={refresh_run}"),
    "wsqb.connection_switch": ("",),  # a sign-in to another company waits for an answer
    "wsqb.import_form": ("", "?show_synced=1&show_hidden=1", "?run={import_run}"),
    "wsqb.export_form": ("", "?q=son", "?run={export_run}"),
    "wsqb.match_form": ("", "?hide_synced=1&show_hidden=1", "?run={match_run}"),
    "wsqb.match_picker": ("",),
    "wsqb.history": ("", "?contact={synced_contact}"),
    "wsqb.health": ("",),
    "wsqb.run_json": ("", "?items=none"),
}
#: The GET rules that are no page of a firm.
NOT_PAGES = {
    "wsqb.static": "the stylesheet and script",
    "wsqb.connection_callback": "where QuickBooks sends the browser back after signing in (an action)",
}
#: Which of the firm's ids each URL argument takes.
ARGUMENTS = {"run_id": "export_run", "contact_id": "unlinked_contact"}


# -- the firms' contacts -----------------------------------------------------------------------


def people(customers: list[dict], rows: int, seed: int) -> list[dict]:
    """A firm's ``rows`` contacts (Person columns but the firm), numbered from 1."""
    same, reordered = round(rows * SAME), round(rows * REORDERED)
    written = [_person(c) for c in customers[:same]]
    written += [_person(c, reordered=True) for c in customers[same : same + reordered]]
    written += [_person(c) for c in customer_bodies(rows - len(written), inactive_ratio=0, seed=seed)]
    return [{**person, "number": n, "hidden": n % 10 == 0} for n, person in enumerate(written, 1)]


def _person(customer: dict, *, reordered: bool = False) -> dict:
    name = customer["DisplayName"]
    if reordered:
        given, family = customer.get("GivenName"), customer.get("FamilyName")
        name = f"{family}, {given}" if given and family and "CompanyName" not in customer else name.upper()
    return {
        "name": name,
        "email": None if reordered else (customer.get("PrimaryEmailAddr") or {}).get("Address"),
        "phone": (customer.get("PrimaryPhone") or {}).get("FreeFormNumber"),
    }


def others(contacts: list[dict], customers: list[dict], count: int) -> list[dict]:
    """The first ``count`` shown contacts that are other people than the company's customers (and
    not namesakes of one: exporting them creates a customer)."""
    first = round(len(contacts) * (SAME + REORDERED))
    taken = {c["DisplayName"].casefold() for c in customers}
    return [p for p in contacts[first:] if not p["hidden"] and p["name"].casefold() not in taken][:count]


def new_customers(customers: list[dict], count: int) -> list[dict]:
    """The first ``count`` active customers that are none of the firm's contacts."""
    first = round(len(customers) * (SAME + REORDERED))
    return [c for c in customers[first:] if c["Active"]][:count]


def moved(rows: int) -> int:
    """How many contacts a firm exported, and customers it imported."""
    return max(2, rows // 25)


# -- setup: the real flow and its bulk copy ------------------------------------------------------


@dataclass
class Steps:
    """What each step of the real flow took, per firm (seconds, SQL statements)."""

    engine: sa.Engine
    seconds: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    statements: dict[str, list[int]] = field(default_factory=lambda: defaultdict(list))

    @contextmanager
    def __call__(self, name: str) -> Iterator[None]:
        with SqlCounter(self.engine) as sql:
            started = time.perf_counter()
            yield
            self.seconds[name].append(time.perf_counter() - started)
        self.statements[name].append(sql.count)


def set_up_for_real(app, qbo, firm: str, realm_id: str, contacts: list[dict], step: Steps) -> dict[str, str]:
    """The firm's user at work, through the pages; the ids its pages' URLs take."""
    web = as_firm(app, firm)
    customers = qbo.customers(realm_id=realm_id)
    count = moved(len(contacts))
    with step("Connect (consent screen; customer list loaded)"):
        refresh_run = connect_to(web, qbo, realm_id)
    with step("Auto Match"):
        match_run = run_id_of(post_form(web, CONNECTION, MATCH + "/auto"))
        wait_for_run(web, match_run)
    with step("Accept all above 90"):
        assert post_form(web, CONNECTION, MATCH + "/accept-above", {"score": "90"}).status_code == 302
    exported = [str(p["number"]) for p in others(contacts, customers, count)]
    with step(f"Export Selected of {count}"):
        export_run = run_id_of(post_form(web, CONNECTION, EXPORT, {"selected": exported}))
        assert wait_for_run(web, export_run)["state"] == "done"  # a row may be red: see its message
    imported = [c["Id"] for c in new_customers(customers, count)]
    with step(f"Import Selected of {count}"):
        import_run = run_id_of(post_form(web, CONNECTION, IMPORT, {"selected": imported}))
        assert wait_for_run(web, import_run)["state"] == "done"  # a row may be red: see its message
    with app.app_context():
        db.session.execute(
            sa.update(Person)
            .where(Person.firm == firm, Person.number.in_([int(n) for n in exported[:2]]))
            .values(phone="(555) 010-0000")
        )
        db.session.commit()
    with step("Sync of 2 contacts"):
        for number in exported[:2]:
            assert post_form(web, CONNECTION, f"{PREFIX}/contacts/{number}/sync").status_code == 302
    reordered = [p for p in contacts[round(len(contacts) * SAME) :] if not p["hidden"]]
    return {
        "refresh_run": str(refresh_run),
        "match_run": str(match_run),
        "export_run": str(export_run),
        "import_run": str(import_run),
        "synced_contact": exported[0],
        "unlinked_contact": str(reordered[0]["number"]),
    }


def set_up_in_bulk(app, qbo, firm: str, realm_id: str, contacts: list[dict]) -> None:
    """What :func:`set_up_for_real` leaves behind, written through the extension's services and
    models in the firm's scope."""
    with app.app_context(), tenant_scope(firm):
        models = app.extensions["wsqb"].models
        customers = _connected(qbo, realm_id, models)
        _matched(models, firm, realm_id, contacts, customers)
        count = moved(len(contacts))
        exported = others(contacts, customers, count)
        created = [qbo.add_customer(_customer_of(p), realm_id=realm_id) for p in exported]
        mirror.store(realm_id, created)
        pairs = [(p["number"], c["Id"], p) for p, c in zip(exported, created, strict=True)]
        _moved(models, firm, realm_id, RunKind.EXPORT, pairs)
        chosen = new_customers(customers, count)
        numbers = range(len(contacts) + 1, len(contacts) + 1 + count)
        pairs = [(n, c["Id"], _person(c)) for n, c in zip(numbers, chosen, strict=True)]
        db.session.execute(sa.insert(Person), [{"firm": firm, "number": n, **person} for n, _c, person in pairs])
        _moved(models, firm, realm_id, RunKind.IMPORT, pairs)
        for person, customer in zip(exported[:2], created, strict=False):
            changed = {"phone": (person["phone"] or "", "(555) 010-0000")}
            history.record(
                realm_id, str(person["number"]), customer["Id"], changed, source="sync", side=history.QUICKBOOKS
            )
        db.session.commit()


def _connected(qbo, realm_id: str, models) -> list[dict]:
    """The connection, with tokens the emulator issued for the company, and its customer list."""
    now = utcnow()
    access, refresh = qbo.issue_tokens(realm_id)
    tokens = Tokens(
        access_token=access,
        refresh_token=refresh,
        access_expires_at=now + timedelta(hours=1),
        refresh_expires_at=now + timedelta(days=100),
    )
    row = connection.connect(realm_id, qbo.company(realm_id).name, tokens)
    customers = qbo.customers(realm_id=realm_id)
    _finished(runs.create(realm_id, RunKind.REFRESH, []), models)
    mirror.store(realm_id, customers)
    row.customers_refreshed_at = now
    return customers


def _matched(models, firm: str, realm_id: str, contacts: list[dict], customers: list[dict]) -> None:
    """Auto Match's run and proposals, the confident ones of shown contacts and active customers
    accepted (Accept all does not see the others); the reordered names left for review."""
    _finished(runs.create(realm_id, RunKind.MATCH, []), models)
    same, reordered = round(len(contacts) * SAME), round(len(contacts) * REORDERED)
    pairs = list(zip(contacts, customers, strict=False))
    _link(models, firm, realm_id, [(p["number"], c["Id"]) for p, c in pairs[:same] if _shown(p, c)], "auto")
    proposals = [(p, c, 100.0, ProposalStatus.PROPOSED) for p, c in pairs[:same] if not _shown(p, c)]
    proposals += [(p, c, 72.0, ProposalStatus.REVIEW) for p, c in pairs[same : same + reordered] if not p["hidden"]]
    if proposals:
        rows = [
            {"contact_id": str(p["number"]), "customer_id": c["Id"], "score": score, "status": status}
            for p, c, score, status in proposals
        ]
        db.session.execute(
            sa.insert(models.MatchProposal),
            [{"tenant": firm, "realm_id": realm_id, "reason": "same name", **row} for row in rows],
        )


def _shown(contact: dict, customer: dict) -> bool:
    """Whether Match Contacts shows a proposal of these two without Show Hidden."""
    return not contact["hidden"] and customer["Active"]


def _moved(models, firm: str, realm_id: str, kind: RunKind, pairs: list[tuple[int, str, dict]]) -> None:
    """A finished Export or Import of (contact number, customer id, fields) rows: the run and its
    rows, the links and the history of the fields written on the other side."""
    exporting = kind == RunKind.EXPORT
    keys = [(str(n) if exporting else c, person["name"]) for n, c, person in pairs]
    run = runs.create(realm_id, kind, keys)
    _link(models, firm, realm_id, [(n, c) for n, c, _person in pairs], str(kind))
    for number, customer_id, person in pairs:
        written = {"name": "display_name", "email": "email", "phone": "phone"}
        changed = {field: ("", person[key]) for key, field in written.items() if person[key]}
        side = history.QUICKBOOKS if exporting else history.APP
        history.record(realm_id, str(number), customer_id, changed, source=str(kind), side=side, run_id=run.id)
    _finished(run, models)


def _customer_of(person: dict) -> dict:
    customer = {"DisplayName": person["name"]}
    if person["email"]:
        customer["PrimaryEmailAddr"] = {"Address": person["email"]}
    if person["phone"]:
        customer["PrimaryPhone"] = {"FreeFormNumber": person["phone"]}
    return customer


def _link(models, firm: str, realm_id: str, pairs: list[tuple[int, str]], how: str) -> None:
    """Links and their history entries, as links.link writes them, in two statements."""
    if not pairs:
        return
    rows = [{"tenant": firm, "realm_id": realm_id, "contact_id": str(n), "customer_id": c} for n, c in pairs]
    db.session.execute(sa.insert(models.ContactLink), [{**row, "how": how} for row in rows])
    db.session.execute(sa.insert(models.LinkEvent), [{**row, "action": "link", "how": how} for row in rows])


def _finished(run, models) -> None:
    """The run done, every row of it ok."""
    db.session.execute(
        sa.update(models.SyncItem).where(models.SyncItem.run_id == run.id).values(status=ItemStatus.OK, message="Done.")
    )
    runs.finish(run, message="Done.")


@dataclass
class Scale:
    """A host app serving ``firms`` firms, and how it was set up."""

    app: Flask
    qbo: QBOEmulator
    measured: list[tuple[str, dict[str, str]]]  # (firm, the ids its pages take)
    steps: Steps
    seconds: dict[str, float]  # setup phases
    rows: dict[str, int]  # rows per table


def spread(firms: int, sample: int) -> list[int]:
    """``sample`` firm numbers evenly spread from the first to the last."""
    if sample >= firms:
        return list(range(firms))
    return sorted({round(i * (firms - 1) / max(sample - 1, 1)) for i in range(sample)})


@contextmanager
def many_firms(dbname: str, firm_count: int, rows: int, sample: int) -> Iterator[Scale]:
    with tempfile.TemporaryDirectory(prefix="wsqb-bench-") as directory, QBOEmulator() as qbo:
        started = time.perf_counter()
        realms = companies(qbo, firm_count, rows)
        seconds = {"emulator companies": time.perf_counter() - started}
        app = firms.create_app(host_config(fresh_database(dbname, directory), qbo, WSQB_TIMEOUT=60.0, **UNBUDGETED))
        try:
            with app.app_context():
                engine = db.engine
            steps, measured, real, bulk = Steps(engine), [], 0.0, 0.0
            chosen = set(spread(firm_count, sample))
            for i, realm_id in enumerate(realms):
                firm = f"firm{i:03}"
                contacts = people(qbo.customers(realm_id=realm_id), rows, seed=10_000 + i)
                started = time.perf_counter()
                with app.app_context():
                    db.session.execute(sa.insert(Person), [{"firm": firm, **p} for p in contacts])
                    db.session.commit()
                if i in chosen:
                    measured.append((firm, set_up_for_real(app, qbo, firm, realm_id, contacts, steps)))
                    real += time.perf_counter() - started
                else:
                    set_up_in_bulk(app, qbo, firm, realm_id, contacts)
                    bulk += time.perf_counter() - started
            seconds[f"{len(measured)} firms through the real flow"] = real
            seconds[f"{firm_count - len(measured)} firms in bulk"] = bulk
            started = time.perf_counter()
            settle(engine)
            seconds["VACUUM ANALYZE"] = time.perf_counter() - started
            with engine.connect() as conn:
                counts = {
                    name: conn.scalar(sa.select(sa.func.count()).select_from(t)) or 0
                    for name, t in sorted(db.metadata.tables.items())
                }
            yield Scale(app, qbo, measured, steps, seconds, counts)
        finally:
            with app.app_context():
                db.session.remove()
                db.engine.dispose()


def companies(qbo: QBOEmulator, count: int, rows: int) -> list[str]:
    """One company per firm with ``rows`` customers, last changed a while ago (see
    common.SEED_AGE); their realm ids."""
    qbo.advance(-SEED_AGE)
    realms = [qbo.add_company(f"Firm {i:03} Books") for i in range(count)]
    for seed, realm_id in enumerate(realms):
        qbo.seed_customers(rows, seed=seed, realm_id=realm_id)
    qbo.advance(SEED_AGE)
    return realms


def settle(engine: sa.Engine) -> None:
    """What autovacuum does after such a load (VACUUM ANALYZE on PostgreSQL), done before the
    measurement instead of during it."""
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(sa.text("VACUUM ANALYZE" if engine.dialect.name == "postgresql" else "ANALYZE"))


# -- measuring the pages -------------------------------------------------------------------------


def firm_pages(app, ids: dict[str, str]) -> list[tuple[str, str]]:
    """(label, URL) of every page in PAGES, with this firm's ids."""
    rules = {r.endpoint: r for r in app.url_map.iter_rules() if r.endpoint.startswith("wsqb.") and "GET" in r.methods}
    unknown = sorted(set(rules) - set(PAGES) - set(NOT_PAGES))
    if unknown:
        raise SystemExit(f"GET rules neither measured nor excluded: {', '.join(unknown)}; add them to PAGES.")
    pages = []
    for endpoint, queries in PAGES.items():
        path = re.sub(r"<(?:[^>]*:)?(\w+)>", lambda m: "{" + ARGUMENTS[m[1]] + "}", rules[endpoint].rule)
        for query in queries:
            pattern = path + query
            pages.append((pattern.removeprefix(PREFIX), pattern.format(**ids)))
    return pages


@dataclass
class Timings:
    seconds: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    statements: dict[str, list[int]] = field(default_factory=lambda: defaultdict(list))


def measure_pages(scale: Scale, repeat: int) -> Timings:
    """Every page of every measured firm, ``repeat`` times, after one warm-up round on the first.

    The emulator's companies (``rows`` customers for each firm) live in this process only because
    the benchmark runs QuickBooks here: frozen with what setup left, the garbage collector does not
    walk them at every full collection (which put 300-600 ms pauses into a few requests)."""
    gc.collect()
    gc.freeze()
    try:
        return _measured(scale, repeat)
    finally:
        gc.unfreeze()


def _measured(scale: Scale, repeat: int) -> Timings:
    timings, engine = Timings(), scale.steps.engine
    for number, (firm, ids) in enumerate(scale.measured):
        web = as_firm(scale.app, firm)
        # A sign-in to the emulator's first company, which no firm uses: the switch page asks about it.
        assert sign_in(web, scale.qbo, scale.qbo.realm_id).headers["Location"].endswith(SWITCH)
        pages = firm_pages(scale.app, ids)
        for _label, url in pages if number == 0 else []:
            web.get(url)
        for _ in range(repeat):
            for label, url in pages:
                with SqlCounter(engine) as sql:
                    started = time.perf_counter()
                    answer = web.get(url)
                    timings.seconds[label].append(time.perf_counter() - started)
                assert answer.status_code == 200, f"{url}: {answer.status_code}"
                timings.statements[label].append(sql.count)
        assert post_form(web, CONNECTION, SWITCH, {"choice": "keep"}).status_code == 302
    return timings


# -- the report ----------------------------------------------------------------------------------


def percentile(values: list[float], share: float) -> float:
    """The nearest-rank percentile: the smallest value with ``share`` of the values at or below it."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.0f} ms"


def statements(counts: list[int]) -> str:
    return str(counts[0]) if min(counts) == max(counts) else f"{min(counts)}–{max(counts)}"


def report(sizes: dict[str, Timings]) -> tuple[str, bool]:
    """The table for the last size beside the others, and whether every page's statement count
    was the same at every size."""
    *others_, main_size = sizes
    timings = sizes[main_size]
    header = (
        "Page",
        "p50",
        "p95",
        "max",
        *(f"p95 at {size}" for size in others_),
        *(f"SQL at {size}" for size in sizes),
        "constant",
    )
    rows, constant = [header], True
    for label, seconds in timings.seconds.items():
        counts = [sizes[size].statements[label] for size in sizes]
        same = len({count for by_size in counts for count in by_size}) == 1
        constant &= same
        rows.append(
            (
                label,
                ms(percentile(seconds, 0.5)),
                ms(percentile(seconds, 0.95)),
                ms(max(seconds)),
                *(ms(percentile(sizes[size].seconds[label], 0.95)) for size in others_),
                *map(statements, counts),
                "yes" if same else "NO",
            )
        )
    pooled = {size: every(sizes[size]) for size in sizes}
    rows.append(
        (
            f"all pages ({len(pooled[main_size]):,} requests)",
            ms(percentile(pooled[main_size], 0.5)),
            ms(percentile(pooled[main_size], 0.95)),
            ms(max(pooled[main_size])),
            *(ms(percentile(pooled[size], 0.95)) for size in others_),
            *("" for _size in sizes),
            "yes" if constant else "NO",
        )
    )
    return table(rows), constant


def every(timings: Timings) -> list[float]:
    """The response times of all pages together."""
    return [s for seconds in timings.seconds.values() for s in seconds]


def describe(scale: Scale, label: str) -> None:
    print(f"Setup of {label}:", ", ".join(f"{name} {fmt_time(s)}" for name, s in scale.seconds.items()))
    steps = scale.steps
    print(
        f"  the real flow, per measured firm (median of {len(scale.measured)}): "
        + "; ".join(
            f"{name} {fmt_time(sorted(seconds)[len(seconds) // 2])}, "
            f"{sorted(steps.statements[name])[len(seconds) // 2]:,} SQL"
            for name, seconds in steps.seconds.items()
        )
    )
    print("  rows:", ", ".join(f"{name} {count:,}" for name, count in scale.rows.items()), flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.bench_tenants",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--firms", type=int, default=200)
    parser.add_argument("--rows", type=int, default=500, help="contacts, and customers, per firm")
    parser.add_argument("--sample", type=int, default=20, help="firms measured (set up through the real flow)")
    parser.add_argument("--repeat", type=int, default=5, help="requests of each page per measured firm")
    parser.add_argument(
        "--db",
        choices=("sqlite", "postgresql"),
        default="postgresql",
        help="the host database (postgresql: $WSQB_BENCH_POSTGRES_URL, default "
        "postgresql://postgres@127.0.0.1:5432/test, emptied first)",
    )
    args = parser.parse_args(argv)
    for line in machine(args.db):
        print(line)
    print(f"Host database: {database_url(args.db)}; QuickBooks: the in-process emulator over loopback HTTP.\n")
    started = time.perf_counter()
    # The baseline (SQL statements must be the same), the same firms at full size (what many firms
    # add to the time), then the full scale: (firms, rows, firms measured).
    plan = {
        f"{BASELINE[0]} × {BASELINE[1]}": (*BASELINE, BASELINE[0]),
        f"{BASELINE[0]} × {args.rows}": (BASELINE[0], args.rows, BASELINE[0]),
        f"{args.firms} × {args.rows}": (args.firms, args.rows, args.sample),
    }
    measured, load = {}, {}
    for size, (firm_count, rows, sample) in plan.items():
        with many_firms(args.db, firm_count, rows, sample) as scale:
            describe(scale, f"{size} (firms × rows)")
            before = os.getloadavg()[0]
            # As many requests of each page at every size: the percentiles compare.
            repeat = math.ceil(args.repeat * args.sample / len(scale.measured))
            measured[size] = measure_pages(scale, repeat)
            load[size] = (before, os.getloadavg()[0])
            print(
                f"  measured {len(scale.measured)} firms: {', '.join(firm for firm, _ids in scale.measured)}; "
                f"load average {before:.2f} before, {load[size][1]:.2f} after\n",
                flush=True,
            )
    text, constant = report(measured)
    size = list(plan)[-1]
    p95 = percentile(every(measured[size]), 0.95)
    print(
        f"== Every page of a firm at {size} (firms × contacts and customers), {args.db}: "
        f"{len(every(measured[size])) // len(measured[size].seconds)} requests of each page at each size =="
    )
    print(text)
    print(
        f"\nRequirement: p95 over all pages < 300 ms: {ms(p95)} ({'met' if p95 < 0.3 else 'NOT met'}); "
        f"SQL statements per page the same at {', '.join(plan)}: {'yes' if constant else 'NO'}."
    )
    print("Not measured:", "; ".join(f"{endpoint}, {why}" for endpoint, why in NOT_PAGES.items()) + ".")
    print(f"Total benchmark time {time.perf_counter() - started:.0f} s.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
