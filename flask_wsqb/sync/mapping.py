"""Pure translation between QuickBooks Customer JSON and the host's contact fields.

No I/O here. Field limits follow QuickBooks (see QBO_FACTS.md); :func:`problems` checks a
contact before it is sent, so a bad row fails alone, with its reason, without a request.
"""
from __future__ import annotations

import copy
import re

#: Inactive customers may come back as "Name (deleted)"; the contact is called "Name".
DELETED_SUFFIX = " (deleted)"

# contact field -> (path in the Customer JSON, QuickBooks' length limit, what users call it)
_FIELDS: dict[str, tuple[tuple[str, ...], int, str]] = {
    "display_name": (("DisplayName",), 500, "name"),
    "first_name": (("GivenName",), 100, "first name"),
    "last_name": (("FamilyName",), 100, "last name"),
    "company": (("CompanyName",), 100, "company name"),
    "email": (("PrimaryEmailAddr", "Address"), 100, "email"),
    "phone": (("PrimaryPhone", "FreeFormNumber"), 30, "phone"),
    "street": (("BillAddr", "Line1"), 500, "street address"),
    "city": (("BillAddr", "City"), 255, "city"),
    "state": (("BillAddr", "CountrySubDivisionCode"), 255, "state"),
    "postal_code": (("BillAddr", "PostalCode"), 30, "postal code"),
    "country": (("BillAddr", "Country"), 255, "country"),
}
_NAME_FIELDS = ("display_name", "first_name", "last_name", "company")
_FORBIDDEN = {":": "a colon (:)", "\t": "a tab", "\n": "a line break", "\r": "a line break"}
_SPACES = re.compile(r"\s+")


def label(field: str) -> str:
    """What users call a field ("postal code", not "postal_code")."""
    if field == "active":
        return "active/hidden"
    return _FIELDS[field][2] if field in _FIELDS else field.replace("_", " ")


def name_key(name: str) -> str:
    """A name as compared for duplicates: case, surrounding and doubled spaces ignored."""
    return _SPACES.sub(" ", name).strip().casefold()


def is_active(customer: dict) -> bool:
    return customer.get("Active", True) is not False


def display_name(customer: dict) -> str:
    name = str(customer.get("DisplayName") or "")
    if not is_active(customer) and name.endswith(DELETED_SUFFIX):
        name = name[: -len(DELETED_SUFFIX)]
    return name.strip()


def customer_to_fields(customer: dict) -> dict[str, str]:
    """The contact fields a customer carries (empty strings where it has none)."""
    fields = {}
    for field, (path, _limit, _label) in _FIELDS.items():
        value = customer
        for key in path:
            value = value.get(key) if isinstance(value, dict) else None
        fields[field] = "" if value is None else str(value).strip()
    fields["display_name"] = display_name(customer)
    return fields


def sync_fields(fields: dict[str, str], *, active: bool) -> dict[str, str]:
    """The fields Sync compares: the contact fields (as QuickBooks stores them: stripped) plus
    whether it is active (not hidden)."""
    return {**{f: (v or "").strip() for f, v in fields.items()}, "active": "yes" if active else "no"}


def customer_values(customer: dict) -> dict[str, str]:
    """A customer's fields as Sync compares them."""
    return sync_fields(customer_to_fields(customer), active=is_active(customer))


def fields_to_customer(fields: dict[str, str], *, active: bool | None = None) -> dict:
    """Customer JSON carrying ``fields`` (only those given, for sparse updates)."""
    customer: dict = {}
    for field, value in fields.items():
        if field not in _FIELDS:
            continue
        path = _FIELDS[field][0]
        target = customer
        for key in path[:-1]:
            target = target.setdefault(key, {})
        target[path[-1]] = (value or "").strip()
    if "display_name" in fields and not customer.get("DisplayName"):
        customer["DisplayName"] = compose_display_name(fields)
    if active is not None:
        customer["Active"] = active
    return customer


def update_body(customer: dict, changes: dict[str, str]) -> dict:
    """A sparse update of ``customer`` (its JSON as last read) setting ``changes`` (values as
    Sync compares them, ``active`` included).

    Nested objects (``BillAddr``, ``PrimaryEmailAddr``, ``PrimaryPhone``) go whole: the
    customer's current object with the changed parts merged in, its ``Id`` kept. Intuit documents
    sparse updates field by field but not for part of a nested object, and an object replaced
    whole by a part would erase the street when only the city changed.
    """
    body: dict = {"Id": customer["Id"], "SyncToken": customer["SyncToken"], "sparse": True}
    for field, value in changes.items():
        if field == "active":
            body["Active"] = value == "yes"
            continue
        path = _FIELDS[field][0]
        if len(path) == 1:
            body[path[0]] = value.strip()
            continue
        outer, inner = path
        if outer not in body:
            current = customer.get(outer)
            body[outer] = copy.deepcopy(current) if isinstance(current, dict) else {}
        body[outer][inner] = value.strip()
    return body


def compose_display_name(fields: dict[str, str]) -> str:
    """What to call a contact that has no display name: its person's or company's name."""
    person = " ".join(p for p in (fields.get("first_name", "").strip(), fields.get("last_name", "").strip()) if p)
    return (fields.get("display_name") or "").strip() or person or (fields.get("company") or "").strip()


def problems(fields: dict[str, str]) -> list[str]:
    """Why QuickBooks would refuse these fields, in words a bookkeeper understands."""
    found = []
    if not compose_display_name(fields):
        found.append("The contact has no name; QuickBooks needs a name for every customer.")
    for field, (_path, limit, label) in _FIELDS.items():
        value = (fields.get(field) or "").strip()
        if len(value) > limit:
            found.append(f"The {label} is {len(value)} characters long; QuickBooks allows at most {limit}.")
        if field in _NAME_FIELDS:
            for char, words in _FORBIDDEN.items():
                if char in value:
                    found.append(f"The {label} contains {words}, which QuickBooks does not allow in names.")
                    break
    email = (fields.get("email") or "").strip()
    if email and ("@" not in email or email.startswith("@") or email.endswith("@")):
        found.append(f"The email '{email}' is not an email address (it needs an @ and a domain).")
    return found


def diff(old: dict[str, str], new: dict[str, str]) -> dict[str, tuple[str, str]]:
    """Fields whose value differs: ``{field: (old, new)}``."""
    return {f: (old.get(f, ""), v) for f, v in new.items() if (old.get(f) or "") != (v or "")}
