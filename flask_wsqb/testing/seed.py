"""Deterministic, realistic customer records for ``QBOEmulator.seed_customers``."""

from __future__ import annotations

import random
from collections.abc import Iterator

GIVEN = (
    "James Mary John Patricia Robert Jennifer Michael Linda William Elizabeth David Barbara "
    "Richard Susan Joseph Jessica Thomas Sarah Charles Karen Daniel Nancy Matthew Lisa "
    "Anthony Betty Mark Sandra Donald Ashley Steven Emily Paul Donna Andrew Michelle Joshua "
    "Carol Kenneth Amanda Kevin Melissa Brian Deborah George Stephanie Timothy Rebecca "
    "Siobhan Zoë José Chloé Liam Priya Wei Aoife Mateo Fatima"
).split()
FAMILY = (
    "Smith Johnson Williams Brown Jones Garcia Miller Davis Rodriguez Martinez Hernandez "
    "Lopez Gonzalez Wilson Anderson Thomas Taylor Moore Jackson Martin Lee Perez Thompson "
    "White Harris Sanchez Clark Ramirez Lewis Robinson Walker Young Allen King Wright Scott "
    "Torres Nguyen Hill Flores Green Adams Nelson Baker Hall Rivera Campbell Mitchell Carter "
    "O'Brien O'Neill McAllister Müller Østergaard D'Angelo Vanderberg Kowalski"
).split()
BUSINESS_WORDS = (
    "Acme Summit Harbor Pioneer Cedar Granite Bright Blue Northwind Evergreen Atlas "
    "Redwood Silver Maple Keystone Lakeside Ironwood Sterling Coastal Prairie"
).split()
BUSINESS_KINDS = (
    "Plumbing",
    "Landscaping",
    "Dental",
    "Bakery",
    "Consulting",
    "Auto Repair",
    "Design Studio",
    "Law Group",
    "Roofing",
    "Catering",
    "Veterinary Clinic",
)
BUSINESS_FORMS = ("LLC", "Inc.", "& Sons", "Co.", "Ltd", "Partners")
STREETS = (
    "Main St",
    "Oak Ave",
    "Maple Dr",
    "Cedar Ln",
    "Pine St",
    "Elm St",
    "Washington Blvd",
    "Lake Rd",
    "Hillcrest Ave",
    "Sunset Blvd",
)
CITIES = (
    ("Oakland", "CA", "946"),
    ("Austin", "TX", "787"),
    ("Denver", "CO", "802"),
    ("Portland", "OR", "972"),
    ("Madison", "WI", "537"),
    ("Raleigh", "NC", "276"),
    ("Tucson", "AZ", "857"),
    ("Boise", "ID", "837"),
)


def customers(count: int, *, inactive_ratio: float, seed: int) -> Iterator[dict]:
    """Yield ``count`` customer bodies with distinct DisplayNames, same output for the same seed."""
    rng = random.Random(seed)
    seen: set[str] = set()
    while len(seen) < count:
        body = _business(rng) if rng.random() < 0.3 else _person(rng)
        base, suffix = body["DisplayName"], 2
        while body["DisplayName"].casefold() in seen:
            body["DisplayName"] = f"{base} {suffix}"
            suffix += 1
        seen.add(body["DisplayName"].casefold())
        body["Active"] = rng.random() >= inactive_ratio
        yield body


def _person(rng: random.Random) -> dict:
    given, family = rng.choice(GIVEN), rng.choice(FAMILY)
    body = {"GivenName": given, "FamilyName": family, "DisplayName": f"{given} {family}"}
    if rng.random() < 0.2:
        body["MiddleName"] = rng.choice("ABCDEFGHJKLMNPRSTW") + "."
        body["DisplayName"] = f"{given} {body['MiddleName']} {family}"
    if rng.random() < 0.1:
        body["Title"] = rng.choice(("Dr.", "Mr.", "Ms.", "Mrs."))
    _contact(rng, body, f"{given}.{family}".lower(), "example.com")
    return body


def _business(rng: random.Random) -> dict:
    name = f"{rng.choice(BUSINESS_WORDS)} {rng.choice(BUSINESS_KINDS)} {rng.choice(BUSINESS_FORMS)}"
    body = {"CompanyName": name, "DisplayName": name}
    if rng.random() < 0.6:
        body["GivenName"], body["FamilyName"] = rng.choice(GIVEN), rng.choice(FAMILY)
    domain = "".join(ch for ch in name.split()[0].lower() if ch.isalnum()) + ".example"
    _contact(rng, body, rng.choice(("office", "info", "billing")), domain)
    return body


def _contact(rng: random.Random, body: dict, mailbox: str, domain: str) -> None:
    local = "".join(ch for ch in mailbox if ch.isascii() and (ch.isalnum() or ch == "."))
    if rng.random() < 0.9:
        body["PrimaryEmailAddr"] = {"Address": f"{local}{rng.randint(1, 99)}@{domain}"}
    if rng.random() < 0.8:
        body["PrimaryPhone"] = {"FreeFormNumber": f"({rng.randint(201, 989)}) 555-{rng.randint(0, 9999):04d}"}
    if rng.random() < 0.3:
        body["Mobile"] = {"FreeFormNumber": f"({rng.randint(201, 989)}) 555-{rng.randint(0, 9999):04d}"}
    if rng.random() < 0.7:
        city, state, zip_prefix = rng.choice(CITIES)
        body["BillAddr"] = {
            "Line1": f"{rng.randint(1, 9999)} {rng.choice(STREETS)}",
            "City": city,
            "CountrySubDivisionCode": state,
            "PostalCode": f"{zip_prefix}{rng.randint(0, 99):02d}",
            "Country": "USA",
        }
    if rng.random() < 0.1:
        body["Notes"] = "Prefers email. Net 30."
