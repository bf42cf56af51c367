"""flask-wsqb: QuickBooks Online contact import, export, match and sync for Flask apps."""

from __future__ import annotations

from .contacts import ContactStore
from .extension import WSQuickBooks
from .quickbooks.errors import QuickBooksError

__all__ = ["ContactStore", "QuickBooksError", "WSQuickBooks"]
