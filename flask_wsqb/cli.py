"""``flask wsqb ...`` commands."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from . import tasks
from .quickbooks import status as connection_status
from .state import current_state

wsqb_cli = AppGroup("wsqb", help="QuickBooks Online contact sync (flask-wsqb).")


@wsqb_cli.command("init-db")
def init_db() -> None:
    """Create the wsqb_* tables (for apps that do not use migrations)."""
    state = current_state()
    tables = [t for name, t in state.db.metadata.tables.items() if name.startswith("wsqb_")]
    state.db.metadata.create_all(state.db.engine, tables=tables)
    click.echo(f"Created {len(tables)} flask-wsqb tables (existing ones were left alone).")


@wsqb_cli.command("status")
def status() -> None:
    """Show the QuickBooks connection."""
    current = connection_status.status()
    if current.not_set_up:
        click.echo(current.not_set_up, err=True)
        raise SystemExit(1)
    if not current.connected:
        click.echo("Not connected to QuickBooks.")
        return
    click.echo(f"Connected to {current.company_name or '(unnamed)'} (realm {current.realm_id}).")
    click.echo(f"Connection expires {current.refresh_expires_at:%Y-%m-%d %H:%M UTC}.")
    if current.needs_reconnect:
        click.echo(f"Reconnect needed: {current.reconnect_reason}", err=True)
        raise SystemExit(1)


@wsqb_cli.command("worker")
@click.option("--burst", is_flag=True, help="Stop when the queue is empty instead of waiting for jobs.")
@click.option("--name", help="The worker's name in RQ (default: a random one).")
def worker(burst: bool, name: str | None) -> None:
    """Run Import/Export jobs from the queue (WSQB_QUEUE on WSQB_REDIS_URL)."""
    from .tasks.worker import work

    try:
        work(burst=burst, name=name)
    except tasks.QueueUnavailableError as exc:
        raise click.ClickException(str(exc)) from exc
