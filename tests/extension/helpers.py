"""Helpers of the extension's tests."""

from __future__ import annotations

#: Every action the extension asks the host's access check about.
EVERY_ACTION = frozenset({"connection", "import", "export", "match", "pull", "sync", "history"})
