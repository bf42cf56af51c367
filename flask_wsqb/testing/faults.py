"""QBO-shaped error bodies and the fault-injection plan behind ``QBOEmulator.fail_next``."""

from __future__ import annotations

import threading
from dataclasses import dataclass

#: (code, Message) for the faults the emulator raises itself. Codes follow Intuit's error
#: reference; python-quickbooks maps them to exception classes by range.
AUTH_FAILED = ("3200", "message=AuthenticationFailed; errorCode=003200; statusCode=401")
FORBIDDEN = ("3100", "message=ApplicationAuthorizationFailed; errorCode=003100; statusCode=403")
THROTTLED = ("3001", "message=ThrottleExceeded; errorCode=003001; statusCode=429")
SYSTEM_FAILURE = ("10000", "An application error has occurred while processing your request")
INVALID_REQUEST = ("2010", "Request has invalid or unsupported property")
UNSUPPORTED = ("500", "Unsupported Operation")
NOT_FOUND = ("610", "Object Not Found")
REQUIRED_MISSING = ("2020", "Required param missing, need to supply the required value for the API")
BAD_LENGTH = ("2050", "String length is either shorter or longer than supported by specification")
BAD_CHARACTER = ("2040", "Invalid character")
STALE = ("5010", "Stale Object Error")
DUPLICATE_NAME = ("6240", "Duplicate Name Exists Error")
QUERY_PARSE = ("4000", "Error parsing query")
QUERY_INVALID = ("4001", "Invalid query")

_TYPES = {"3200": "AuthenticationFault", "3100": "AuthorizationFault", "10000": "SystemFault"}


class ApiFault(Exception):
    """A QBO Fault: raised anywhere in request handling, answered as JSON by the app."""

    def __init__(self, fault: tuple[str, str], detail: str = "", *, element: str = "", status: int = 400) -> None:
        super().__init__(f"{fault[0]} {fault[1]}: {detail}")
        self.code, self.message = fault
        self.detail = detail
        self.element = element
        self.status = status

    def fault_json(self) -> dict:
        error = {"Message": self.message, "Detail": self.detail, "code": self.code}
        if self.element:
            error["element"] = self.element
        return {"Error": [error], "type": _TYPES.get(self.code, "ValidationFault")}


def default_fault(status: int) -> tuple[str, str]:
    """The code QBO sends with an HTTP status when the caller of ``fail_next`` gives none."""
    if status == 401:
        return AUTH_FAILED
    if status == 403:
        return FORBIDDEN
    if status == 429:
        return THROTTLED
    if status >= 500:
        return SYSTEM_FAILURE
    return INVALID_REQUEST


MODES = ("fault", "html", "hang", "drop")


@dataclass
class FaultRule:
    status: int
    count: int
    fault_code: str | None
    message: str | None
    detail: str | None
    path: str | None
    method: str | None
    mode: str
    hang_seconds: float

    def matches(self, method: str, path: str, is_api: bool) -> bool:
        if self.method and self.method.upper() != method:
            return False
        if self.path is None:
            return is_api
        return self.path in path

    def api_fault(self) -> ApiFault:
        code, message = default_fault(self.status)
        fault = (self.fault_code or code, self.message or message)
        return ApiFault(fault, self.detail or f"Injected fault (HTTP {self.status})", status=self.status)

    def html(self) -> str:
        return (
            f"<html><head><title>{self.status} Error</title></head><body><h1>{self.status} "
            f"{self.message or 'Service Unavailable'}</h1><p>{self.detail or ''}</p></body></html>"
        )


class FaultPlan:
    """Queued one-shot faults, consumed in order by the requests they match."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._rules: list[FaultRule] = []

    def add(self, rule: FaultRule) -> None:
        if rule.mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}, not {rule.mode!r}")
        with self._lock:
            self._rules.append(rule)

    def take(self, method: str, path: str, is_api: bool) -> FaultRule | None:
        with self._lock:
            for rule in self._rules:
                if rule.matches(method, path, is_api):
                    rule.count -= 1
                    if rule.count <= 0:
                        self._rules.remove(rule)
                    return rule
        return None

    def clear(self) -> None:
        with self._lock:
            self._rules.clear()
