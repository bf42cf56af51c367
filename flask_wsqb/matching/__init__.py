"""Auto Match: pure record matching (no I/O), deterministic.

``auto_match(contacts, customers)`` pairs host contacts with QuickBooks customers;
``match_all`` also returns the ambiguous pairs a person should review.
"""

from __future__ import annotations

from .engine import Match, MatchRecord, MatchResult, auto_match, match_all, rank

__all__ = ["Match", "MatchRecord", "MatchResult", "auto_match", "match_all", "rank"]
