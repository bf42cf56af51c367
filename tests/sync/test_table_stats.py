"""A firm's first big run keeps PostgreSQL's planner statistics up with the tables it fills, so
that a chunk's reads by key stay index lookups (through HTTP; PostgreSQL only: SQLite plans
without statistics of this kind)."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from example_app.models import db
from tests.helpers import EXPORT, add_contacts, submit

ROWS = 1500


def test_a_first_big_export_keeps_the_link_reads_on_their_index(linked_app, client, qbo):
    with linked_app.app_context():
        if db.engine.dialect.name != "postgresql":
            pytest.skip("PostgreSQL's planner statistics")
    ids = add_contacts(
        linked_app, *({"display_name": f"Client {i:04}", "email": f"client{i}@example.com"} for i in range(ROWS))
    )

    report = submit(client, EXPORT, ids)

    assert report["ok"] == ROWS, report["summary"]
    with linked_app.app_context():
        counted = db.session.execute(
            sa.text("SELECT analyze_count FROM pg_stat_user_tables WHERE relname = 'wsqb_contact_link'")
        ).scalar()
        # the read an export chunk makes: a few hundred of the firm's links by contact
        plan = "\n".join(
            db.session.execute(
                sa.text(
                    "EXPLAIN SELECT * FROM wsqb_contact_link WHERE tenant = :tenant AND realm_id = :realm"
                    " AND contact_id = ANY(:ids)"
                ),
                {"tenant": "acme", "realm": qbo.realm_id, "ids": ids[:300]},
            ).scalars()
        )
    assert counted >= 1  # by the run: autovacuum's own counts are autoanalyze_count
    # Without statistics PostgreSQL guessed that the firm had a link or two, and read them
    # through the customer index, filtering all of the firm's links (40 to 90 ms at 10,000).
    estimated = int(re.search(r"rows=(\d+)", plan).group(1))
    assert 150 <= estimated <= 600, plan
