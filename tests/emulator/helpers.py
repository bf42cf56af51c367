"""Helpers of the emulator tests."""

from __future__ import annotations

#: Where the emulator's consent sends the browser back: the redirect URI of the tests' app.
REDIRECT_URI = "http://localhost/callback"
