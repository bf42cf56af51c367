"""Intuit's webhook deliveries: their signature and their two payload formats.

A delivery says only which records changed (ids, an operation, a time), never what they hold:
automatic sync reads the records themselves from QuickBooks. Pure: bytes in, notifications out.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ..clock import parse_time

#: A CloudEvent type's verb as the older format names the operation.
_CLOUD_OPERATIONS = {
    "created": "Create",
    "updated": "Update",
    "deleted": "Delete",
    "merged": "Merge",
    "voided": "Void",
    "emailed": "Emailed",
}


@dataclass(frozen=True)
class Notification:
    """One record changed in one company."""

    realm_id: str
    entity: str  # "Customer", "Invoice", ...
    entity_id: str
    operation: str  # Create, Update, Delete, Merge, ...
    at: datetime | None
    #: For a merge: the record merged away into ``entity_id``.
    deleted_id: str | None = None


def verify(body: bytes, signature: str | None, verifier_token: str) -> bool:
    """Whether ``signature`` (the ``intuit-signature`` header) is the base64 HMAC-SHA256 of the
    raw body under the app's verifier token. Compared in constant time (python-quickbooks'
    helper compares with ``==``)."""
    if not signature or not verifier_token:
        return False
    expected = base64.b64encode(hmac.new(verifier_token.encode(), body, hashlib.sha256).digest()).decode()
    return hmac.compare_digest(expected.encode(), signature.strip().encode())


def parse(body: bytes) -> list[Notification]:
    """The notifications of a delivery in either format (the CloudEvents array, or the older
    ``eventNotifications`` object); ValueError when it is neither."""
    try:
        document = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError(f"The delivery is not JSON ({exc}).") from None
    if isinstance(document, list):
        return [_cloud_event(event) for event in document]
    if isinstance(document, dict) and isinstance(document.get("eventNotifications"), list):
        return [note for entry in document["eventNotifications"] for note in _legacy(entry)]
    raise ValueError("The delivery is neither a CloudEvents array nor an eventNotifications object.")


def _cloud_event(event: Any) -> Notification:
    """``{"type": "qbo.customer.merged.v1", "intuitaccountid", "intuitentityid", "time", "data"}``"""
    if not isinstance(event, dict):
        raise ValueError("A CloudEvent is not an object.")
    parts = str(event.get("type", "")).split(".")
    if len(parts) < 3 or parts[0] != "qbo":
        raise ValueError(f"Unknown CloudEvent type {event.get('type')!r}.")
    data = event.get("data")
    if not isinstance(data, dict):
        data = {}
    return Notification(
        realm_id=_text(event.get("intuitaccountid"), "intuitaccountid"),
        entity=parts[1].capitalize(),
        entity_id=_text(event.get("intuitentityid"), "intuitentityid"),
        operation=_CLOUD_OPERATIONS.get(parts[2], parts[2].capitalize()),
        at=parse_time(event.get("time")),
        deleted_id=_optional(data.get("deletedid") or data.get("deletedId")),
    )


def _legacy(entry: Any) -> list[Notification]:
    """``{"realmId", "dataChangeEvent": {"entities": [{"name", "id", "operation", "lastUpdated"}]}}``"""
    if not isinstance(entry, dict):
        raise ValueError("An eventNotifications entry is not an object.")
    realm_id = _text(entry.get("realmId"), "realmId")
    change = entry.get("dataChangeEvent")
    entities = change.get("entities") if isinstance(change, dict) else None
    if not isinstance(entities, list):
        raise ValueError("An eventNotifications entry has no dataChangeEvent.entities list.")
    notes = []
    for entity in entities:
        if not isinstance(entity, dict):
            raise ValueError("A dataChangeEvent entity is not an object.")
        notes.append(
            Notification(
                realm_id=realm_id,
                entity=_text(entity.get("name"), "name"),
                entity_id=_text(entity.get("id"), "id"),
                operation=_text(entity.get("operation"), "operation"),
                at=parse_time(entity.get("lastUpdated")),
                deleted_id=_optional(entity.get("deletedId")),
            )
        )
    return notes


def _text(value: Any, name: str) -> str:
    if not isinstance(value, (str, int)) or not str(value).strip():
        raise ValueError(f"The delivery has no {name}.")
    return str(value).strip()[:64]


def _optional(value: Any) -> str | None:
    return str(value).strip()[:64] if isinstance(value, (str, int)) and str(value).strip() else None
