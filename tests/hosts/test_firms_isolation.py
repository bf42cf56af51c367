"""Tenant isolation, tested as an attacker: two firms with the same contact numbers and names,
each connected to its own QuickBooks company. From firm B, every route of the extension is
requested, GET and POST with a valid CSRF token, with every id of firm A (runs, proposals,
history entries, contacts, customers): nothing of A is shown — on a page, in JSON, in a flash or
in the log — and nothing of A changes, in the database or in A's company."""

from __future__ import annotations

import logging
import re

import pytest
import sqlalchemy as sa

from tests.helpers import (
    EXPORT,
    csrf_token,
    host_config,
    post_form,
    run_id_of,
    wait_for_run,
)
from tests.hosts import firms
from tests.hosts.firms import Person, add_people, as_firm, connect_to, db

NAMES = ("Ann Able", "Bob Baker", "Cy Cole", "Dora Dent")
SECRET = "Alpha Secret"  # in every name only firm A's QuickBooks company holds
PREFIX = "/setup/quickbooks"
MATCH = PREFIX + "/contacts/match"


@pytest.fixture
def app(db_url, qbo):
    app = firms.create_app(host_config(db_url, qbo))
    yield app
    with app.app_context():
        db.drop_all()
        db.engine.dispose()


def firm_a_everywhere(app, qbo, alpha: str) -> dict[str, list[str]]:
    """Firm A at work: exports, imports, Auto Match proposals, a sync, link history. Its ids."""
    web = as_firm(app, "alpha")
    connect_to(web, qbo, alpha)
    people = add_people(app, "alpha", *NAMES)
    qbo.add_customer({"DisplayName": f"{SECRET} Client"}, realm_id=alpha)
    qbo.add_customer(
        {"DisplayName": f"{SECRET} Dora Dent Inc", "PrimaryEmailAddr": {"Address": "dd@dent.example"}}, realm_id=alpha
    )
    with app.app_context():
        db.session.execute(
            sa.update(Person).where(Person.firm == "alpha", Person.number == 4).values(email="dd@dent.example")
        )
        db.session.commit()
    runs = [run_id_of(post_form(web, EXPORT, EXPORT, {"selected": people[:3]}))]
    wait_for_run(web, runs[0])
    runs.append(run_id_of(post_form(web, PREFIX + "/contacts/import", PREFIX + "/contacts/import/refresh")))
    wait_for_run(web, runs[-1])
    runs.append(run_id_of(post_form(web, MATCH, MATCH + "/auto")))
    wait_for_run(web, runs[-1])
    post_form(web, MATCH, f"{PREFIX}/contacts/1/sync")
    page = web.get(MATCH).get_data(as_text=True)
    with app.app_context():  # history entries: their ids are counted, as an attacker would guess them
        Change = app.extensions["wsqb"].models.Change
        changes = [str(i) for i in db.session.execute(sa.select(Change.id).where(Change.tenant == "alpha")).scalars()]
    return {
        "change": changes,
        "run": [str(r) for r in runs],
        "proposal": re.findall(r"/proposals/(\d+)/accept", page),
        "event": re.findall(r'data-event-id="(\d+)"', page),
        "contact": people,
        "customer": [c["Id"] for c in qbo.customers(realm_id=alpha)],
    }


def snapshot(app, qbo, alpha: str) -> dict:
    """Everything of firm A: its rows in every wsqb table, its people, its company's customers."""
    with app.app_context():
        rows = {
            name: sorted(map(repr, db.session.execute(sa.select(table).where(table.c.tenant == "alpha")).all()))
            for name, table in db.metadata.tables.items()
            if name.startswith("wsqb_")
        }
        rows["person"] = sorted(map(repr, db.session.execute(sa.select(Person).where(Person.firm == "alpha"))))
    return {**rows, "customers": qbo.customers(realm_id=alpha)}


def attack(app, web, ids: dict[str, list[str]]) -> list[tuple[str, str, int, str]]:
    """From firm B, every rule with every id of firm A; (method, url, status, body) of each answer."""
    token = csrf_token(web, EXPORT)
    kinds = {
        "run_id": "run",
        "proposal_id": "proposal",
        "event_id": "event",
        "change_id": "change",
        "contact_id": "contact",
        "customer_id": "customer",
    }
    answers = []
    rules = sorted(
        (r for r in app.url_map.iter_rules() if r.endpoint.startswith("wsqb.") and r.endpoint != "wsqb.static"),
        key=lambda r: r.endpoint == "wsqb.connection_disconnect",
    )
    for rule in rules:
        [argument] = rule.arguments or [None]
        for value in ids[kinds[argument]] if argument else [None]:
            url = re.sub(r"<[^>]+>", value, rule.rule) if argument else rule.rule
            form = {
                "csrf_token": token,
                "selected": ids["contact"] + ids["customer"],
                "customer_id": ids["customer"][0],
                "score": "0",
                "choice": "switch",
            }
            for method in sorted(rule.methods & {"GET", "POST"}):
                answer = web.get(url) if method == "GET" else web.post(url, data=form)
                answers.append((method, url, answer.status_code, answer.get_data(as_text=True)))
                if answer.status_code == 302:
                    followed = web.get(answer.headers["Location"])  # where the flash is shown
                    answers.append(
                        ("GET", answer.headers["Location"], followed.status_code, followed.get_data(as_text=True))
                    )
    return answers


def test_firm_b_reaches_nothing_of_firm_a(app, qbo, caplog):
    alpha, beta = qbo.add_company(f"{SECRET} Books"), qbo.add_company("Beta Books")
    qbo.add_customer({"DisplayName": "Beta Client"}, realm_id=beta)
    ids = firm_a_everywhere(app, qbo, alpha)
    assert ids["proposal"] and ids["event"] and len(ids["run"]) == 3  # A really has all of these

    web = as_firm(app, "beta")
    connect_to(web, qbo, beta)
    add_people(app, "beta", *NAMES)  # the same numbers and names as A's
    before = snapshot(app, qbo, alpha)
    qbo.reset_log()
    for run_id in ids["run"]:  # A's ids are no ids in B's URLs
        assert web.get(f"{PREFIX}/runs/{run_id}.json").status_code == 404
    for proposal in ids["proposal"]:
        assert post_form(web, EXPORT, f"{MATCH}/proposals/{proposal}/accept").status_code == 404
    for event in ids["event"]:
        assert post_form(web, EXPORT, f"{MATCH}/history/{event}/undo").status_code == 404
    assert ids["change"]
    for change in ids["change"]:  # nor can B undo A's changes
        assert post_form(web, EXPORT, f"{PREFIX}/history/{change}/undo").status_code == 404
    caplog.set_level(logging.DEBUG)
    answers = attack(app, web, ids)
    leaks = [(method, url, status) for method, url, status, body in answers if SECRET in body]
    assert leaks == []
    assert [a for a in answers if a[2] >= 500] == []
    assert SECRET not in caplog.text
    assert snapshot(app, qbo, alpha) == before  # nothing of A changed
    assert [path for _m, path, _s in qbo.request_log if f"/company/{alpha}/" in path] == []  # A's company untouched
