"""One QuickBooks company's state: customers, the vendor/employee name list, company info and the
requestid replay cache. Every public method takes the company lock, so server threads may share it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from . import query as qbo_query
from .clock import Clock, parse_time
from .faults import (
    BAD_CHARACTER,
    BAD_LENGTH,
    DUPLICATE_NAME,
    INVALID_REQUEST,
    NOT_FOUND,
    QUERY_INVALID,
    REQUIRED_MISSING,
    STALE,
    UNSUPPORTED,
    ApiFault,
)
from .webhooks import CustomerChange

#: Field limits from Intuit's Customer reference (see QBO_FACTS.md).
MAX_LENGTH = {
    "DisplayName": 500,
    "Title": 16,
    "Suffix": 16,
    "GivenName": 100,
    "MiddleName": 100,
    "FamilyName": 100,
    "CompanyName": 100,
    "PrintOnCheckName": 110,
    "Notes": 2000,
}
SUB_MAX_LENGTH = {
    "PrimaryEmailAddr": ("Address", 100),
    "PrimaryPhone": ("FreeFormNumber", 30),
    "AlternatePhone": ("FreeFormNumber", 30),
    "Mobile": ("FreeFormNumber", 30),
    "Fax": ("FreeFormNumber", 30),
    "WebAddr": ("URI", 1000),
}
NAME_PARTS = ("Title", "GivenName", "MiddleName", "FamilyName", "Suffix")
NAME_FIELDS = ("DisplayName",) + NAME_PARTS
FORBIDDEN_CHARS = (":", "\t", "\n")

WRITABLE = NAME_FIELDS + (
    "CompanyName",
    "PrintOnCheckName",
    "PrimaryEmailAddr",
    "PrimaryPhone",
    "AlternatePhone",
    "Mobile",
    "Fax",
    "WebAddr",
    "BillAddr",
    "ShipAddr",
    "Notes",
    "Active",
    "Taxable",
    "Job",
    "BillWithParent",
    "ParentRef",
    "Level",
    "IsProject",
    "PreferredDeliveryMethod",
    "ResaleNum",
    "OpenBalanceDate",
    "PrimaryTaxIdentifier",
    "DefaultTaxCodeRef",
    "SalesTermRef",
    "PaymentMethodRef",
    "CurrencyRef",
    "ARAccountRef",
    "TaxExemptionReasonId",
    "GivenNameFilter",
)
READ_ONLY = ("Id", "SyncToken", "MetaData", "FullyQualifiedName", "Balance", "BalanceWithJobs", "domain", "sparse")
DEFAULTS = {
    "Active": True,
    "Taxable": True,
    "Job": False,
    "BillWithParent": False,
    "IsProject": False,
    "PreferredDeliveryMethod": "Print",
    "CurrencyRef": {"value": "USD", "name": "United States Dollar"},
}
QUERYABLE = {
    "Customer": set(WRITABLE + READ_ONLY) | {"MetaData.CreateTime", "MetaData.LastUpdatedTime"},
    "Vendor": {
        "Id",
        "DisplayName",
        "Active",
        "SyncToken",
        "MetaData",
        "GivenName",
        "FamilyName",
        "CompanyName",
        "PrimaryEmailAddr",
        "Balance",
    },
    "Employee": {"Id", "DisplayName", "Active", "SyncToken", "MetaData", "GivenName", "FamilyName", "PrimaryEmailAddr"},
    "CompanyInfo": {"Id", "CompanyName", "LegalName", "Country", "MetaData"},
}
DELETED_SUFFIX = " (deleted)"
#: How a sparse update treats a nested object it carries (Intuit does not document it).
NESTED_SPARSE = ("replace", "merge")


def _blank(value: Any) -> bool:
    return value is None or value == "" or value == {}


def checked_nested_sparse(mode: str) -> str:
    if mode not in NESTED_SPARSE:
        raise ValueError(f"nested_sparse must be one of {NESTED_SPARSE}, not {mode!r}")
    return mode


def _merged(stored: Any, sent: dict) -> dict:
    """``sent`` laid over the stored object: parts not sent stay, and so does the stored Id."""
    if not isinstance(stored, dict):
        return sent
    merged = {**stored, **sent}
    if "Id" in stored:
        merged["Id"] = stored["Id"]
    return merged


class Company:
    def __init__(
        self,
        realm_id: str,
        name: str,
        clock: Clock,
        *,
        deleted_suffix: bool = False,
        nested_sparse: str = "replace",
        on_change: Callable[[CustomerChange], None] | None = None,
    ) -> None:
        self.realm_id = realm_id
        self.name = name
        self.clock = clock
        self.deleted_suffix = deleted_suffix
        self.nested_sparse = checked_nested_sparse(nested_sparse)
        #: Told of every customer change, whoever made it (the emulator's webhooks).
        self.on_change = on_change
        self._lock = threading.RLock()
        self._entities: dict[str, dict[str, dict]] = {"Customer": {}, "Vendor": {}, "Employee": {}}
        self._names: dict[str, tuple[str, str]] = {}
        self._last_id = 0
        self._replies: dict[str, tuple[int, bytes]] = {}
        self._deleted: list[dict] = []  # stubs change data capture reports as "Deleted"
        self.revision = 0  # counts changes, so the emulator saves its state only after one
        created = clock.iso()
        self.info = {
            "Id": "1",
            "SyncToken": "0",
            "CompanyName": name,
            "LegalName": name,
            "Country": "US",
            "CompanyAddr": {
                "Id": "1",
                "Line1": "123 Sierra Way",
                "City": "San Pablo",
                "CountrySubDivisionCode": "CA",
                "PostalCode": "87999",
            },
            "Email": {"Address": "noreply@quickbooks.com"},
            "SupportedLanguages": "en",
            "FiscalYearStartMonth": "January",
            "domain": "QBO",
            "sparse": False,
            "MetaData": {"CreateTime": created, "LastUpdatedTime": created},
        }

    # -- customers -------------------------------------------------------------------------------
    def create_customer(self, body: Any) -> dict:
        with self._lock:
            fields = self._checked_fields(body)
            now = self.clock.iso()
            customer = self._with_defaults(fields)
            customer.update(
                Id=self._next_id(),
                SyncToken="0",
                Balance=0,
                BalanceWithJobs=0,
                domain="QBO",
                sparse=False,
                MetaData={"CreateTime": now, "LastUpdatedTime": now},
            )
            self._finish(customer, None)
            self._store("Customer", customer)
            self._changed("Create", customer)
            return _copied(customer)

    def update_customer(self, body: Any, *, check_sync_token: bool = True) -> dict:
        with self._lock:
            updated = self._update(body, check_sync_token)
            self._changed("Update", updated)
            return _copied(updated)

    def _update(self, body: Any, check_sync_token: bool) -> dict:
        """Store an update (full or sparse) and return the stored customer; the caller, holding
        the lock, tells :attr:`on_change` what the update was."""
        if not isinstance(body, dict):
            raise ApiFault(INVALID_REQUEST, "Request body must be a Customer object")
        current = self._get("Customer", str(body.get("Id", "")))
        if check_sync_token:
            if _blank(body.get("SyncToken")):
                raise ApiFault(
                    REQUIRED_MISSING, "Required parameter SyncToken is missing in the request", element="SyncToken"
                )
            if str(body["SyncToken"]) != current["SyncToken"]:
                raise ApiFault(
                    STALE,
                    "Stale Object Error : You and root were working on the "
                    "same thing at the same time. root finished before you did, so "
                    "your work was not saved.",
                    element="SyncToken",
                )
        fields = self._checked_fields(body)
        if body.get("sparse") is True:
            if self.nested_sparse == "merge":
                fields = {
                    key: _merged(current.get(key), value) if isinstance(value, dict) else value
                    for key, value in fields.items()
                }
            updated = {**current, **fields}
            for key, value in body.items():
                if key in WRITABLE and _blank(value):
                    updated.pop(key, None)
        else:
            updated = self._with_defaults(fields, fallback_name=current["DisplayName"])
            updated.update({k: current[k] for k in READ_ONLY if k in current})
        updated["SyncToken"] = str(int(current["SyncToken"]) + 1)
        updated["sparse"] = False
        updated["MetaData"] = {**current["MetaData"], "LastUpdatedTime": self.clock.iso()}
        self._finish(updated, current)
        self._store("Customer", updated)
        return updated

    def read(self, entity: str, entity_id: str) -> dict:
        """One customer, vendor or employee by Id, as a GET answers (610 when unknown)."""
        with self._lock:
            return _copied(self._get(entity, entity_id))

    def customer(self, customer_id: str) -> dict:
        return self.read("Customer", str(customer_id))

    def customers(self) -> list[dict]:
        with self._lock:
            return _copied(self._rows("Customer"))

    def edit_customer(self, customer_id: str, fields: dict) -> dict:
        """A QuickBooks user's edit: a sparse update that needs no SyncToken."""
        return self.update_customer({**fields, "Id": str(customer_id), "sparse": True}, check_sync_token=False)

    def merge_customer(self, customer_id: str, into_id: str) -> dict:
        """A merge in QuickBooks' screens: the merged customer is gone (CDC says Deleted), the
        survivor is saved; one Merge change names both."""
        with self._lock:
            gone = self._get("Customer", customer_id)
            self._get("Customer", into_id)
            del self._entities["Customer"][customer_id]
            self._names.pop(gone["DisplayName"].casefold(), None)
            now = self.clock.iso()
            self._deleted.append(
                {"Id": customer_id, "status": "Deleted", "domain": "QBO", "MetaData": {"LastUpdatedTime": now}}
            )
            survivor = self._update({"Id": into_id, "sparse": True}, check_sync_token=False)
            self._changed("Merge", survivor, deleted_id=customer_id)
            return _copied(survivor)

    def delete_customer(self, customer_id: str) -> dict:
        """A delete in QuickBooks' screens: the customer is only made inactive (CDC returns it so),
        but the change is announced as a Delete."""
        with self._lock:
            customer = self._update({"Id": customer_id, "Active": False, "sparse": True}, check_sync_token=False)
            self._changed("Delete", customer)
            return _copied(customer)

    def _changed(self, operation: str, customer: dict, *, deleted_id: str | None = None) -> None:
        if self.on_change is not None:
            updated = customer["MetaData"]["LastUpdatedTime"]
            self.on_change(CustomerChange(self.realm_id, customer["Id"], operation, updated, deleted_id))

    def _checked_fields(self, body: Any) -> dict:
        if not isinstance(body, dict):
            raise ApiFault(INVALID_REQUEST, "Request body must be a Customer object")
        for key in body:
            if key not in WRITABLE and key not in READ_ONLY:
                raise ApiFault(INVALID_REQUEST, f"Property Name:{key} specified is unsupported or invalid", element=key)
        fields = {k: _copied(v) for k, v in body.items() if k in WRITABLE and not _blank(v)}
        for key, limit in MAX_LENGTH.items():
            value = fields.get(key)
            if value is not None and not isinstance(value, str):
                raise ApiFault(INVALID_REQUEST, f"Property Name:{key} has an invalid value", element=key)
            if value is not None and len(value) > limit:
                raise ApiFault(
                    BAD_LENGTH,
                    f"String length specified does not match the supported "
                    f"length. Min:0 Max:{limit} supplied length:{len(value)}",
                    element=key,
                )
        for key, (inner, limit) in SUB_MAX_LENGTH.items():
            value = fields.get(key)
            if value is not None and not isinstance(value, dict):
                raise ApiFault(INVALID_REQUEST, f"Property Name:{key} has an invalid value", element=key)
            text = (value or {}).get(inner) or ""
            if len(text) > limit:
                raise ApiFault(
                    BAD_LENGTH,
                    f"String length specified does not match the supported "
                    f"length. Min:0 Max:{limit} supplied length:{len(text)}",
                    element=f"{key}.{inner}",
                )
        for key in NAME_FIELDS:
            if any(ch in fields.get(key, "") for ch in FORBIDDEN_CHARS):
                raise ApiFault(
                    BAD_CHARACTER,
                    f"Invalid character found in {key}: names may not contain ':', tab or newline",
                    element=key,
                )
        return fields

    @staticmethod
    def _derived_name(fields: dict) -> str:
        parts = " ".join(fields[k] for k in NAME_PARTS if fields.get(k))
        return parts or fields.get("CompanyName", "")

    def _with_defaults(self, fields: dict, fallback_name: str = "") -> dict:
        customer = {**_copied(DEFAULTS), **fields}
        if not customer.get("DisplayName"):
            customer["DisplayName"] = self._derived_name(fields) or fallback_name
        if not customer["DisplayName"]:
            raise ApiFault(
                REQUIRED_MISSING,
                "Required parameter Name is missing in the request: "
                "supply DisplayName or one of Title, GivenName, MiddleName, FamilyName, "
                "Suffix",
                element="DisplayName",
            )
        return customer

    def _finish(self, customer: dict, previous: dict | None) -> None:
        """Apply the inactive-name rule, fill derived fields and claim the DisplayName."""
        name = customer["DisplayName"]
        if self.deleted_suffix:
            base = name[: -len(DELETED_SUFFIX)] if name.endswith(DELETED_SUFFIX) else name
            name = base if customer.get("Active", True) else base + DELETED_SUFFIX
        customer["DisplayName"] = name
        customer["FullyQualifiedName"] = name
        customer.setdefault("PrintOnCheckName", name.removesuffix(DELETED_SUFFIX))
        address = customer.get("BillAddr")
        if isinstance(address, dict) and "Id" not in address:
            address["Id"] = self._next_id()
        self._claim_name(name, "Customer", customer["Id"], previous)

    # -- vendors, employees and the shared name list -----------------------------------------------
    def add_name(self, entity: str, display_name: str) -> dict:
        with self._lock:
            record_id = self._next_id()
            record: dict = {
                "Id": record_id,
                "SyncToken": "0",
                "DisplayName": display_name,
                "PrintOnCheckName": display_name,
                "Active": True,
                "domain": "QBO",
                "sparse": False,
            }
            if entity == "Vendor":
                record.update(Balance=0, Vendor1099=False)
            now = self.clock.iso()
            record["MetaData"] = {"CreateTime": now, "LastUpdatedTime": now}
            self._claim_name(display_name, entity, record_id, None)
            self._store(entity, record)
            return _copied(record)

    def _claim_name(self, name: str, entity: str, entity_id: str, previous: dict | None) -> None:
        key = name.casefold()
        owner = self._names.get(key)
        if owner is not None and owner != (entity, entity_id):
            raise ApiFault(
                DUPLICATE_NAME,
                f"The name supplied already exists. : Another customer, "
                f"vendor or employee is already using this name. Please use a different "
                f"name. Id={owner[1]}",
                element="DisplayName",
            )
        if previous is not None:
            self._names.pop(previous["DisplayName"].casefold(), None)
        self._names[key] = (entity, entity_id)

    # -- reading -------------------------------------------------------------------------------------
    def query(self, text: str) -> dict:
        parsed = qbo_query.parse(text)
        entity = next((e for e in QUERYABLE if e.lower() == parsed.entity.lower()), None)
        if entity is None:
            raise ApiFault(QUERY_INVALID, f"QueryValidationError: Entity '{parsed.entity}' is not supported")
        parsed.entity = entity
        qbo_query.check_fields(parsed, QUERYABLE[entity])
        if entity != "CompanyInfo" and not parsed.constrains("Active"):
            parsed.where.append(qbo_query.Condition("Active", "=", True))
        with self._lock:
            rows = [self.info] if entity == "CompanyInfo" else self._rows(entity)
            return _copied(qbo_query.run(parsed, rows))

    def changed_customers(self, since_text: str, limit: int = 1000) -> list[dict]:
        since = parse_time(since_text)
        with self._lock:
            changed = [
                c
                for c in [*self._rows("Customer"), *self._deleted]
                if parse_time(c["MetaData"]["LastUpdatedTime"]) >= since
            ]
            changed.sort(key=lambda c: parse_time(c["MetaData"]["LastUpdatedTime"]))
            return _copied(changed[:limit])

    def _rows(self, entity: str) -> list[dict]:
        return sorted(self._entities[entity].values(), key=lambda row: int(row["Id"]))

    def _get(self, entity: str, entity_id: str) -> dict:
        found = self._entities[entity].get(entity_id)
        if found is None:
            raise ApiFault(
                NOT_FOUND,
                f"Object Not Found : Something you're trying to use has been "
                f"made inactive. Check the fields with accounts, customers, items, "
                f"vendors or employees. (Id={entity_id or 'missing'})",
            )
        return found

    def _store(self, entity: str, record: dict) -> None:
        self._entities[entity][record["Id"]] = record
        self.revision += 1

    def _next_id(self) -> str:
        self._last_id += 1
        return str(self._last_id)

    # -- requestid replay ----------------------------------------------------------------------
    def once(self, request_id: str, work: Callable[[], tuple[int, bytes]]) -> tuple[int, bytes]:
        """Run ``work`` for the first request with this id; replay its answer for later ones."""
        with self._lock:
            if request_id not in self._replies:
                self._replies[request_id] = work()
            return self._replies[request_id]

    # -- persistence ---------------------------------------------------------------------------
    def state(self) -> dict:
        """What a restarted emulator needs to go on with this company (JSON-ready). The replay
        cache is left out: it only guards against a retry arriving moments after the answer."""
        with self._lock:
            return _copied(
                {
                    "realm_id": self.realm_id,
                    "name": self.name,
                    "info": self.info,
                    "entities": self._entities,
                    "names": self._names,
                    "last_id": self._last_id,
                    "deleted": self._deleted,
                }
            )

    @classmethod
    def from_state(cls, state: dict, clock: Clock, **options: Any) -> Company:
        company = cls(state["realm_id"], state["name"], clock, **options)
        company.info = state["info"]
        company._entities = state["entities"]
        company._names = {key: (entity, entity_id) for key, (entity, entity_id) in state["names"].items()}
        company._last_id = state["last_id"]
        company._deleted = state["deleted"]
        return company


def unsupported_delete() -> ApiFault:
    return ApiFault(
        UNSUPPORTED, "Operation Delete is not supported. Make the customer inactive (Active = false) instead."
    )


def _copied(value: Any) -> Any:
    """A copy of a JSON value (what a record holds, what a request sent): a caller changing it
    never changes the company, as a request never changes Intuit's data but through the API.
    Five times as fast as ``copy.deepcopy``, which is most of what a create costs here."""
    if isinstance(value, dict):
        return {key: _copied(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_copied(item) for item in value]
    return value
