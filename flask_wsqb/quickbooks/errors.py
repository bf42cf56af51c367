"""Errors the gateway raises, each with a message a bookkeeper can read.

python-quickbooks maps Fault codes onto a handful of exception classes, and several
codes that matter to us (6240, 5010) arrive as the base class; callers would have to
read ``error_code`` everywhere. The gateway translates once, here, into types that say
what happened, so services can turn them into row messages without knowing QBO codes.
"""

from __future__ import annotations


class QuickBooksError(Exception):
    """Base class: ``str(err)`` is the message shown to users on a row or a page."""

    #: Whether trying again later may succeed (throttling, outages, dropped connections).
    transient = False

    def __init__(self, message: str, *, code: int | str | None = None, detail: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.detail = detail


class DuplicateNameError(QuickBooksError):
    """Fault 6240: the DisplayName is used by another customer, a vendor or an employee."""


class StaleObjectError(QuickBooksError):
    """Fault 5010: the customer changed in QuickBooks since we read its SyncToken."""


class NotFoundError(QuickBooksError):
    """Fault 610: the customer does not exist (or no longer does) in QuickBooks."""


class QuickBooksValidationError(QuickBooksError):
    """QuickBooks refused the data (length, characters, required fields...)."""


class ThrottledError(QuickBooksError):
    """HTTP 429 / Fault 3001 after our own waiting and retrying gave up."""

    transient = True

    def __init__(self, message: str, *, retry_after: float = 60.0, **kw) -> None:
        super().__init__(message, **kw)
        self.retry_after = retry_after


class ServiceUnavailableError(QuickBooksError):
    """5xx, timeouts and dropped connections that outlived our retries."""

    transient = True


class AuthLostError(QuickBooksError):
    """QuickBooks rejected our tokens even after a refresh, or they can no longer be read:
    the firm must reconnect. Build it with :func:`reconnect_needed` so every page, row and
    flash says the same thing."""


def reconnect_needed(reason: str, **kw) -> AuthLostError:
    """The one message for a connection QuickBooks no longer accepts, with its reason."""
    return AuthLostError(
        f"QuickBooks must be reconnected: {reason.rstrip('.')}. Reconnect on the "
        "Connection page (Setup → QuickBooks → Connection); links and history are kept.",
        **kw,
    )


class NotConnectedError(QuickBooksError):
    """No QuickBooks company is connected yet."""
