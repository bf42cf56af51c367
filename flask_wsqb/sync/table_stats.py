"""Planner statistics kept up with a big run's growth, on PostgreSQL.

A chunk reads its rows' links, customers and run items by key, a few hundred keys at once.
PostgreSQL plans those reads from its table statistics, which autovacuum gathers about once a
minute. A firm's first big run starts on empty tables and fills them faster than that: with no
statistics the planner guesses that the firm's rows are a handful, walks the wrong index and
filters every row of the firm (at 10,000 rows a read took 40 to 90 ms instead of 1). So after a
chunk, the run gathers the statistics itself for the tables that more than doubled since they
were last counted, as autovacuum would a little later (a table of 10,000 links is counted
about four times on its way there, 10 to 50 ms each).
"""

from __future__ import annotations

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.exc import SQLAlchemyError

from ..state import current_state

#: A table is counted again once it holds this many pages (of 8 kB) or more, and more than
#: twice the pages it held when last counted (the table's size is known at once; PostgreSQL's
#: counts of changed rows reach other sessions a second or more late).
MIN_PAGES = 32

_OUTGROWN = sa.text(
    "SELECT t.name FROM unnest(CAST(:tables AS text[])) AS t(name)"
    " JOIN pg_class c ON c.oid = CAST(t.name AS regclass)"
    " WHERE pg_relation_size(c.oid) / current_setting('block_size')::int >= GREATEST(:least, 2 * c.relpages)"
)


def keep_up() -> None:
    """Gather statistics for the run's tables that outgrew theirs (PostgreSQL; elsewhere nothing).

    Run between chunks, in a transaction of its own. ANALYZE by a role that does not own a table
    only warns (PostgreSQL skips it), so a host whose app role owns nothing loses no more than
    the speed this would have won.
    """
    state = current_state()
    session, models = state.db.session, state.models
    dialect = session.get_bind(models.SyncItem).dialect
    if dialect.name != "postgresql":
        return
    quoted = dialect.identifier_preparer.format_table
    tables = [quoted(sa.inspect(model).local_table) for model in (models.SyncItem, models.ContactLink, models.Customer)]
    try:
        for table in session.execute(_OUTGROWN, {"tables": tables, "least": MIN_PAGES}).scalars().all():
            session.execute(sa.text(f"ANALYZE {table}"))  # a name the dialect quoted, not user input
        session.commit()
    except SQLAlchemyError as exc:  # only speed is at stake: the run goes on
        session.rollback()
        current_app.logger.warning("flask-wsqb: table statistics not gathered: %s", exc)
