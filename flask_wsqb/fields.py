"""The synced fields: one registry, and the translation between QuickBooks' Customer JSON and
field values derived from it. Pure: no I/O.

Each :class:`Field` says what it is called (the ``ContactStore`` keyword naming the host's
attribute, and what users call it), where QuickBooks keeps it (a top-level property or a part of
a nested object such as ``BillAddr``), QuickBooks' length limit, and how values are compared.
Everything else — reading a customer, building a create or a sparse update, the checks made
before sending, the labels on pages — comes from the registry. Adding a synced field is one
``Field`` line here (or, for one host, ``CONTACT_FIELDS.plus(Field(...))`` given to its
``ContactStore``) and the host's attribute for it.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

#: Inactive customers may come back as "Name (deleted)"; the contact is called "Name".
DELETED_SUFFIX = " (deleted)"
#: What Sync compares beside the fields: whether the contact is shown ("yes") or hidden ("no"),
#: against whether the customer is active.
ACTIVE = "active"
_FORBIDDEN = {":": "a colon (:)", "\t": "a tab", "\n": "a line break", "\r": "a line break"}
_SPACES = re.compile(r"\s+")


def _stripped(value: str) -> str:
    return value.strip()


@dataclass(frozen=True)
class Field:
    """One synced field."""

    name: str  # the ContactStore keyword naming the host's attribute, and the key in values
    label: str  # what users call it
    path: tuple[str, ...]  # where QuickBooks keeps it: ("GivenName",) or ("BillAddr", "City")
    limit: int  # QuickBooks' length limit
    name_part: bool = False  # part of a name: QuickBooks refuses ':', tabs and line breaks in it
    compared: Callable[[str], str] = _stripped  # the form in which two values are compared

    def read(self, customer: dict) -> str:
        value: object = customer
        for key in self.path:
            value = value.get(key) if isinstance(value, dict) else None
        return "" if value is None else str(value).strip()

    def write(self, body: dict, value: str, current: dict | None = None) -> None:
        """Set the field in ``body``. A part of a nested object goes with the whole object —
        ``current``'s (the customer as last read, keeping the object's ``Id``) with this part
        changed — because Intuit documents sparse updates field by field but not for part of a
        nested object, and an object replaced by one part would erase the others."""
        if len(self.path) == 1:
            body[self.path[0]] = value.strip()
            return
        outer, inner = self.path
        if outer not in body:
            existing = (current or {}).get(outer)
            body[outer] = copy.deepcopy(existing) if isinstance(existing, dict) else {}
        body[outer][inner] = value.strip()

    def problems(self, value: str) -> list[str]:
        """Why QuickBooks would refuse this value, in words a bookkeeper understands."""
        found = []
        if len(value) > self.limit:
            found.append(f"The {self.label} is {len(value)} characters long; QuickBooks allows at most {self.limit}.")
        if self.name_part:
            for char, words in _FORBIDDEN.items():
                if char in value:
                    found.append(f"The {self.label} contains {words}, which QuickBooks does not allow in names.")
                    break
        return found


class FieldSet:
    """The fields synced between a host's contacts and QuickBooks customers, in display order."""

    def __init__(self, fields: Iterable[Field]) -> None:
        self._fields = {field.name: field for field in fields}

    def plus(self, *fields: Field) -> FieldSet:
        """These fields and more: a host's own, such as a mobile phone."""
        return FieldSet([*self, *fields])

    def __iter__(self) -> Iterator[Field]:
        return iter(self._fields.values())

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(self._fields)

    def label(self, name: str) -> str:
        """What users call a field ("postal code", not "postal_code")."""
        if name == ACTIVE:
            return "active/hidden"
        field = self._fields.get(name)
        return field.label if field else name.replace("_", " ")

    def from_customer(self, customer: dict) -> dict[str, str]:
        """The fields a customer carries (empty strings where it has none)."""
        values = {field.name: field.read(customer) for field in self}
        values["display_name"] = display_name(customer)
        return values

    def values(self, fields: dict[str, str], *, active: bool) -> dict[str, str]:
        """Field values as Sync compares them, with whether the record is active (not hidden)."""
        compared = {field.name: field.compared(fields.get(field.name) or "") for field in self}
        return {**compared, ACTIVE: "yes" if active else "no"}

    def customer_values(self, customer: dict) -> dict[str, str]:
        """A customer's values as Sync compares them."""
        return self.values(self.from_customer(customer), active=is_active(customer))

    def new_customer(self, fields: dict[str, str], *, active: bool) -> dict:
        """Customer JSON for a create carrying ``fields``."""
        customer: dict = {}
        for field in self:
            if field.name in fields:
                field.write(customer, fields[field.name] or "")
        if not customer.get("DisplayName"):
            customer["DisplayName"] = compose_display_name(fields)
        customer["Active"] = active
        return customer

    def update_body(self, customer: dict, changes: dict[str, str]) -> dict:
        """A sparse update of ``customer`` (its JSON as last read) setting ``changes`` (values
        as Sync compares them, ``active`` included); nested objects go whole."""
        body: dict = {"Id": customer["Id"], "SyncToken": customer["SyncToken"], "sparse": True}
        for name, value in changes.items():
            if name == ACTIVE:
                body["Active"] = value == "yes"
            else:
                self._fields[name].write(body, value, customer)
        return body

    def problems(self, fields: dict[str, str]) -> list[str]:
        """Why QuickBooks would refuse these fields, before anything is sent."""
        found = []
        if not compose_display_name(fields):
            found.append("The contact has no name; QuickBooks needs a name for every customer.")
        for field in self:
            found += field.problems((fields.get(field.name) or "").strip())
        email = (fields.get("email") or "").strip()
        if email and ("@" not in email or email.startswith("@") or email.endswith("@")):
            found.append(f"The email '{email}' is not an email address (it needs an @ and a domain).")
        return found


#: The fields every host syncs (a host adds its own with ``CONTACT_FIELDS.plus(...)``).
CONTACT_FIELDS = FieldSet(
    [
        Field("display_name", "name", ("DisplayName",), 500, name_part=True),
        Field("first_name", "first name", ("GivenName",), 100, name_part=True),
        Field("last_name", "last name", ("FamilyName",), 100, name_part=True),
        Field("company", "company name", ("CompanyName",), 100, name_part=True),
        Field("email", "email", ("PrimaryEmailAddr", "Address"), 100),
        Field("phone", "phone", ("PrimaryPhone", "FreeFormNumber"), 30),
        Field("street", "street address", ("BillAddr", "Line1"), 500),
        Field("city", "city", ("BillAddr", "City"), 255),
        Field("state", "state", ("BillAddr", "CountrySubDivisionCode"), 255),
        Field("postal_code", "postal code", ("BillAddr", "PostalCode"), 30),
        Field("country", "country", ("BillAddr", "Country"), 255),
    ]
)


def name_key(name: str) -> str:
    """A name as compared for duplicates: case, surrounding and doubled spaces ignored."""
    return _SPACES.sub(" ", name).strip().casefold()


def is_active(customer: dict) -> bool:
    return customer.get("Active", True) is not False


def display_name(customer: dict) -> str:
    """The customer's name, without the " (deleted)" QuickBooks may add to an inactive one."""
    name = str(customer.get("DisplayName") or "")
    if not is_active(customer) and name.endswith(DELETED_SUFFIX):
        name = name[: -len(DELETED_SUFFIX)]
    return name.strip()


def compose_display_name(fields: dict[str, str]) -> str:
    """What to call a contact that has no display name: its person's or company's name."""
    person = " ".join(
        p for p in ((fields.get("first_name") or "").strip(), (fields.get("last_name") or "").strip()) if p
    )
    return (fields.get("display_name") or "").strip() or person or (fields.get("company") or "").strip()


def diff(old: dict[str, str], new: dict[str, str]) -> dict[str, tuple[str, str]]:
    """Fields whose value differs: ``{field: (old, new)}``."""
    return {f: (old.get(f, ""), v) for f, v in new.items() if (old.get(f) or "") != (v or "")}
