"""``flask wsqb ...`` commands."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from . import schema, tasks
from .quickbooks import status as connection_status
from .quickbooks.tokens import connected_tenants
from .state import current_state
from .tenancy import DEFAULT_TENANT, tenant_scope

wsqb_cli = AppGroup("wsqb", help="QuickBooks Online contact sync (flask-wsqb).")


@wsqb_cli.command("init-db")
def init_db() -> None:
    """Create the wsqb_* tables, or bring an earlier release's up to date (for apps without migrations)."""
    state = current_state()
    try:
        reports = schema.upgrade(state.db.engine, schema.wsqb_tables(state.db.metadata))
    except schema.UpgradeError as exc:
        raise click.ClickException(str(exc)) from exc
    for line in schema.summary(reports):
        click.echo(line)


@wsqb_cli.command("status")
@click.option("--tenant", help="Only this firm's connection (default: every firm's).")
def status(tenant: str | None) -> None:
    """Show each firm's QuickBooks connection; exit 1 when one needs reconnecting."""
    tenants = [tenant] if tenant else connected_tenants() or [DEFAULT_TENANT]
    healthy = [_status_of(name, named=tenants != [DEFAULT_TENANT]) for name in tenants]
    if not all(healthy):
        raise SystemExit(1)


def _status_of(tenant: str, *, named: bool) -> bool:
    """Say how ``tenant``'s connection stands; False when it needs someone's attention."""
    prefix = f"[{tenant}] " if named else ""
    with tenant_scope(tenant):
        current = connection_status.status()
    if current.not_set_up:
        click.echo(prefix + current.not_set_up, err=True)
        return False
    if not current.connected:
        click.echo(prefix + "Not connected to QuickBooks.")
        return True
    click.echo(f"{prefix}Connected to {current.company_name or '(unnamed)'} (realm {current.realm_id}).")
    click.echo(f"{prefix}Connection expires {current.refresh_expires_at:%Y-%m-%d %H:%M UTC}.")
    if current.needs_reconnect:
        click.echo(f"{prefix}Reconnect needed: {current.reconnect_reason}", err=True)
        return False
    return True


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
