"""flask-wsqb: QuickBooks Online contact import, export, match and sync for Flask apps."""

from __future__ import annotations

from .contacts import ContactStore
from .extension import WSQuickBooks
from .quickbooks.errors import QuickBooksError
from .tenancy import DEFAULT_TENANT, tenant_scope

__all__ = ["DEFAULT_TENANT", "ContactStore", "QuickBooksError", "WSQuickBooks", "tenant_scope"]
