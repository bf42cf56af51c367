"""Which firm (tenant) the extension is working for.

In a request, the host's ``@wsqb.tenant_loader`` says (read once per request); without one the
app is a single firm, :data:`DEFAULT_TENANT`. A job, a command or a thread works for the tenant
its run or its ``--tenant`` names, inside :func:`tenant_scope`: workers never ask the host.
Everything stored carries the tenant, and every query is limited to it.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

import sqlalchemy as sa
from flask import abort, g, has_request_context

from .state import current_state

#: The tenant of an app without a tenant loader, and of rows stored before tenants existed.
DEFAULT_TENANT = "default"
#: The longest tenant key a table holds.
MAX_TENANT = 64

_scope: ContextVar[str | None] = ContextVar("wsqb_tenant", default=None)


def current_tenant() -> str:
    """The tenant of this job or command, else of this request."""
    scoped = _scope.get()
    if scoped is not None:
        return scoped
    loader = current_state().extension.tenant_loader_callback
    if loader is None:
        return DEFAULT_TENANT
    if not has_request_context():
        raise RuntimeError(
            "flask-wsqb: no tenant here. A job or command works inside tenant_scope(tenant) "
            "(flask wsqb commands take --tenant); the tenant loader is only asked during a request."
        )
    if "wsqb_tenant" not in g:
        g.wsqb_tenant = _checked(loader())
    return g.wsqb_tenant


def _checked(tenant: object) -> str:
    """The loader's answer as a key; a request for no firm (or an impossible key) reaches nothing."""
    key = "" if tenant is None else str(tenant)
    if not key or len(key) > MAX_TENANT:
        abort(404)
    return key


def mine(*models: Any) -> list[Any]:
    """WHERE conditions limiting each of these tables (or aliases) to the current tenant's rows."""
    tenant = current_tenant()
    return [model.tenant == tenant for model in models]


def same_tenant(left: Any, right: Any, *columns: str) -> sa.ColumnElement[bool]:
    """A join's condition: rows of ``left`` and ``right`` (tables or aliases) of the same tenant
    whose ``columns`` are equal."""
    return sa.and_(left.tenant == right.tenant, *(getattr(left, c) == getattr(right, c) for c in columns))


@contextmanager
def tenant_scope(tenant: str) -> Iterator[str]:
    """Work for ``tenant`` inside the block (a job, a command, a background thread)."""
    token = _scope.set(tenant)
    try:
        yield tenant
    finally:
        _scope.reset(token)
