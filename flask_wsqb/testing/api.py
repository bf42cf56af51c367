"""The accounting API under ``/v3/company/{realm}/``: customers, queries, batch, CDC and company
info, answered with QBO-shaped JSON. Authentication, throttling and replay live in the emulator."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from werkzeug.wrappers import Request

from .clock import parse_time
from .company import Company, unsupported_delete
from .faults import INVALID_REQUEST, UNSUPPORTED, ApiFault

MAX_BATCH_ITEMS = 30
MAX_CDC_DAYS = 30
MAX_CDC_OBJECTS = 1000


def handle(company: Company, request: Request, rest: str) -> dict:
    """The JSON answer (without ``time``) for one API request; faults are raised."""
    parts = [p for p in rest.split("/") if p]
    resource = parts[0].lower() if parts else ""
    method = request.method
    if resource == "customer" and method == "POST" and len(parts) == 1:
        return {"Customer": _write(company, request.args.get("operation", ""), _body(request))}
    if resource in ("customer", "vendor", "employee") and method == "GET" and len(parts) == 2:
        return {resource.capitalize(): company.read(resource.capitalize(), parts[1])}
    if resource == "query" and len(parts) == 1 and method in ("GET", "POST"):
        text = request.args.get("query") if method == "GET" else request.get_data(as_text=True)
        return {"QueryResponse": company.query(text or "")}
    if resource == "batch" and method == "POST" and len(parts) == 1:
        return {"BatchItemResponse": _batch(company, _body(request))}
    if resource == "cdc" and method == "GET" and len(parts) == 1:
        return {"CDCResponse": [{"QueryResponse": _cdc(company, request)}]}
    if resource == "companyinfo" and method == "GET" and len(parts) == 2:
        if parts[1] != company.realm_id:
            raise ApiFault(("610", "Object Not Found"), f"Object Not Found : CompanyInfo {parts[1]}")
        return {"CompanyInfo": dict(company.info)}
    raise ApiFault(UNSUPPORTED, f"Operation {method} /{rest} is not supported.")


def _body(request: Request) -> Any:
    try:
        return json.loads(request.get_data(as_text=True))
    except ValueError as error:
        raise ApiFault(INVALID_REQUEST, f"Error parsing request body: {error}") from None


def _write(company: Company, operation: str, body: Any) -> dict:
    operation = operation.lower()
    if operation == "delete":
        raise unsupported_delete()
    if operation not in ("", "create", "update"):
        raise ApiFault(UNSUPPORTED, f"Operation {operation} is not supported.")
    has_id = isinstance(body, dict) and body.get("Id") not in (None, "", 0, "0")
    if operation == "update" or (operation == "" and has_id):
        return company.update_customer(body)
    if isinstance(body, dict) and has_id:
        raise ApiFault(INVALID_REQUEST, "Id is read-only on create")
    return company.create_customer(body)


def _batch(company: Company, body: Any) -> list[dict]:
    items = body.get("BatchItemRequest") if isinstance(body, dict) else None
    if not isinstance(items, list) or not items:
        raise ApiFault(INVALID_REQUEST, "BatchItemRequest is missing or empty")
    if len(items) > MAX_BATCH_ITEMS:
        raise ApiFault(INVALID_REQUEST, f"Batch size {len(items)} exceeds the maximum of {MAX_BATCH_ITEMS} items")
    return [_batch_item(company, item) for item in items]


def _batch_item(company: Company, item: Any) -> dict:
    bid = item.get("bId", "") if isinstance(item, dict) else ""
    try:
        if not isinstance(item, dict):
            raise ApiFault(INVALID_REQUEST, "BatchItemRequest entries must be objects")
        if "Query" in item:
            return {"bId": bid, "QueryResponse": company.query(str(item["Query"]))}
        if "Customer" not in item:
            entity = next((k for k in item if k not in ("bId", "operation", "optionsData")), "?")
            raise ApiFault(UNSUPPORTED, f"Batch operation on {entity} is not supported.")
        return {"bId": bid, "Customer": _write(company, item.get("operation", "create"), item["Customer"])}
    except ApiFault as fault:
        return {"bId": bid, "Fault": fault.fault_json()}


def _cdc(company: Company, request: Request) -> list[dict]:
    entities = [e.strip() for e in request.args.get("entities", "").split(",") if e.strip()]
    since = request.args.get("changedSince", "")
    if not entities or not since:
        raise ApiFault(INVALID_REQUEST, "cdc needs the entities and changedSince parameters")
    try:
        too_old = parse_time(since) < company.clock.now() - timedelta(days=MAX_CDC_DAYS)
    except ValueError:
        raise ApiFault(INVALID_REQUEST, f"changedSince is not a date-time: {since}") from None
    if too_old:
        raise ApiFault(INVALID_REQUEST, f"changedSince must be within the last {MAX_CDC_DAYS} days")
    changed = company.changed_customers(since, MAX_CDC_OBJECTS)
    answers = []
    for entity in entities:
        if entity.lower() == "customer" and changed:
            answers.append({"Customer": changed, "startPosition": 1, "maxResults": len(changed)})
        else:
            answers.append({"startPosition": 1, "maxResults": 0})
    return answers
