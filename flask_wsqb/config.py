"""The extension's configuration keys (all ``WSQB_``-prefixed; documented in the README)."""

from __future__ import annotations

from typing import Any

from flask import Flask, current_app

_default_config: dict[str, Any] = {
    "CLIENT_ID": None,  # required: the Intuit app's client id
    "CLIENT_SECRET": None,  # required: the Intuit app's client secret
    "ENVIRONMENT": "sandbox",  # sandbox, production, or a discovery document URL (emulator)
    "REDIRECT_URI": None,  # None: this app's own callback URL, computed per request
    "API_URL": None,  # None: Intuit's accounting API for the environment
    "URL_PREFIX": "/setup/quickbooks",
    "BASE_TEMPLATE": "wsqb/standalone.html",  # the host's layout; needs block content
    "ENCRYPTION_KEY": None,  # Fernet key for tokens at rest; None: derived from SECRET_KEY
    "REDIS_URL": None,  # None: jobs run in a background thread of the web process
    "QUEUE": "wsqb",  # RQ queue name
    "JOBS_PER_RUN": 4,  # a big run is shared by up to this many RQ jobs (so as many workers)
    "CLAIM_LEASE": 300.0,  # seconds a worker may hold rows before others may take them over
    "STALL_AFTER": 180.0,  # seconds without a sign of life before a run is shown as stalled
    "TIMEOUT": 30.0,  # seconds before a QuickBooks request is given up
    "RETRY_ATTEMPTS": 4,  # tries per request through throttling and outages
    "RETRY_BACKOFF": 0.5,  # seconds before the second try; doubles, with jitter
    "RETRY_MAX_WAIT": 60.0,  # longest single wait (QuickBooks asks 60 s after a 429)
    "RATE_PER_MINUTE": 480,  # requests per RATE_WINDOW, all workers together (QuickBooks: 500 a minute)
    "BATCH_PER_MINUTE": 38,  # batch requests per RATE_WINDOW, all workers together (QuickBooks: 40)
    "MAX_CONCURRENT": 8,  # requests in flight at once, all workers together (QuickBooks: 10)
    "RATE_PER_SECOND": 9,  # requests per 60th of RATE_WINDOW, all workers together (QuickBooks: 10 a second)
    "GIVE_WAY_AFTER": 1.0,  # seconds a job keeps its worker while another run's job is queued
    "RATE_WINDOW": 60.0,  # seconds the rates are counted over; shorter only for sped-up emulators
    "REFRESH_WARNING_DAYS": 14,  # warn when the refresh token expires sooner than this
    "WEBHOOK_VERIFIER_TOKEN": None,  # the Intuit app's webhook verifier token; None: webhooks refused
    "CATCHUP_INTERVAL": 300.0,  # seconds between two catch-ups of an automatically synced connection
    "PUSH_DELAY": 5.0,  # seconds an app edit waits (gathering the edits that follow) before it is sent
    "CUSTOMER_URL": None,  # a customer's page in QuickBooks, "…{customer_id}…"; None: QuickBooks Online's
}

_REQUIRED = ("CLIENT_ID", "CLIENT_SECRET")


def apply_defaults(app: Flask) -> None:
    for key, value in _default_config.items():
        app.config.setdefault("WSQB_" + key, value)


def missing_credentials(app: Flask | None = None) -> str:
    """What to set before QuickBooks can be connected ("" when nothing is missing). The app
    starts without them — the Connection page and ``flask wsqb status`` say this instead."""
    config = (app or current_app).config
    missing = [f"WSQB_{key}" for key in _REQUIRED if not config.get("WSQB_" + key)]
    if not missing:
        return ""
    return (
        f"QuickBooks is not set up: set {' and '.join(missing)} (from your Intuit developer app's Keys & "
        "credentials page). For offline work, run the emulator: `python -m flask_wsqb.testing` prints values to use."
    )


def check(app: Flask) -> None:
    """Fail at start-up, saying what to set, for settings that are wrong rather than missing."""
    if not app.config.get("WSQB_ENVIRONMENT"):
        raise RuntimeError("WSQB_ENVIRONMENT must be 'sandbox', 'production' or the URL of a discovery document.")
    if not str(app.config["WSQB_URL_PREFIX"]).startswith("/"):
        raise RuntimeError("WSQB_URL_PREFIX must start with '/', e.g. '/setup/quickbooks'.")


def setting(key: str, app: Flask | None = None) -> Any:
    """One ``WSQB_`` setting of ``app`` (default: the current app)."""
    return (app or current_app).config["WSQB_" + key]
