"""flask-wsqb: QuickBooks Online contact import, export, match and sync for Flask apps."""
from __future__ import annotations

from .contacts import ContactStore
from .quickbooks.errors import QuickBooksError
from .extension import WSQuickBooks

__all__ = ["ContactStore", "QuickBooksError", "WSQuickBooks"]
