"""Job functions the RQ tests enqueue to look inside a work horse."""

from __future__ import annotations

import sqlalchemy as sa


def database_backend() -> int:
    """The PostgreSQL server process this work horse's session talks to."""
    from flask_wsqb.state import current_state

    session = current_state().db.session
    try:
        return int(session.execute(sa.text("SELECT pg_backend_pid()")).scalar_one())
    finally:
        session.rollback()
