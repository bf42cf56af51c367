"""Demo data, and a QuickBooks Online emulator for running the example app with no Intuit account.

Each firm has its own clients and its own QuickBooks company in the emulator (the user picks it on
the emulator's consent screen). Everything here is deterministic: the same seeds give the same
clients and the same companies, so a bug seen in the demo can be seen again. The emulator keeps its
companies and tokens in a state file (``EXAMPLE_EMULATOR_STATE``), so a restarted demo is still
connected to them.
"""

from __future__ import annotations

import atexit
import random
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any

from flask import Flask
from sqlalchemy import func, select

from example_app.models import Contact, db

if TYPE_CHECKING:
    from flask_wsqb.testing import QBOEmulator

CONTACT_SEED = 2024
CONTACT_COUNT = 150
CUSTOMER_SEED = 7
CUSTOMER_COUNT = 300
NEAR_DUPLICATE_COUNT = 40


@dataclass(frozen=True)
class DemoFirm:
    """What one firm starts with: its clients' seed, and its QuickBooks company (name, customers' seed)."""

    contact_seed: int
    company: str
    customer_seed: int


#: By firm key, in the order of ``FIRMS``: the first firm's company is the emulator's first.
DEMO_FIRMS = {
    "acme": DemoFirm(CONTACT_SEED, "Acme Bookkeeping LLC", CUSTOMER_SEED),
    "birch": DemoFirm(CONTACT_SEED + 1, "Birch CPA PLLC", CUSTOMER_SEED + 1),
}

FIRST_NAMES = (
    "James",
    "Mary",
    "Robert",
    "Patricia",
    "John",
    "Jennifer",
    "Michael",
    "Linda",
    "David",
    "Elizabeth",
    "William",
    "Barbara",
    "Richard",
    "Susan",
    "Joseph",
    "Jessica",
    "Thomas",
    "Karen",
    "Christopher",
    "Sarah",
    "Daniel",
    "Lisa",
    "Matthew",
    "Nancy",
    "Anthony",
    "Sandra",
    "Mark",
    "Ashley",
    "Steven",
    "Emily",
    "Andrew",
    "Michelle",
    "Joshua",
    "Amanda",
    "Kevin",
    "Melissa",
    "Brian",
    "Stephanie",
    "George",
    "Rebecca",
    "Timothy",
    "Laura",
    "Jason",
    "Helen",
    "Ryan",
    "Amy",
    "Jacob",
    "Angela",
    "Gary",
    "Shirley",
    "Nicholas",
    "Anna",
    "Eric",
    "Brenda",
    "Jonathan",
    "Pamela",
    "Stephen",
    "Nicole",
    "Larry",
    "Katherine",
    "Justin",
    "Samantha",
    "Scott",
    "Christine",
    "Brandon",
    "Debra",
    "Raymond",
    "Rachel",
    "Gregory",
    "Carolyn",
    "Samuel",
    "Janet",
    "Patrick",
    "Maria",
    "Dennis",
    "Olivia",
    "Jerry",
    "Heather",
    "Tyler",
    "Diane",
    "Aaron",
    "Julie",
    "Jose",
    "Joyce",
    "Adam",
    "Victoria",
    "Nathan",
    "Kelly",
    "Henry",
    "Christina",
    "Zachary",
    "Lauren",
    "Douglas",
    "Joan",
    "Peter",
    "Evelyn",
    "Kyle",
    "Judith",
    "Noah",
    "Megan",
    "Ethan",
    "Andrea",
    "Jeremy",
    "Cheryl",
    "Walter",
    "Hannah",
    "Christian",
    "Jacqueline",
    "Keith",
    "Martha",
    "Roger",
    "Gloria",
    "Terry",
    "Teresa",
    "Austin",
    "Ann",
    "Sean",
    "Sara",
    "Priya",
    "Wei",
    "Aisha",
    "Mateo",
    "Sofia",
    "Hiroshi",
    "Fatima",
    "Dmitri",
    "Ingrid",
    "Tomás",
    "Zoë",
    "Renée",
)
LAST_NAMES = (
    "Smith",
    "Johnson",
    "Williams",
    "Brown",
    "Jones",
    "Garcia",
    "Miller",
    "Davis",
    "Rodriguez",
    "Martinez",
    "Hernandez",
    "Lopez",
    "Gonzalez",
    "Wilson",
    "Anderson",
    "Thomas",
    "Taylor",
    "Moore",
    "Jackson",
    "Martin",
    "Lee",
    "Perez",
    "Thompson",
    "White",
    "Harris",
    "Sanchez",
    "Clark",
    "Ramirez",
    "Lewis",
    "Robinson",
    "Walker",
    "Young",
    "Allen",
    "King",
    "Wright",
    "Scott",
    "Torres",
    "Nguyen",
    "Hill",
    "Flores",
    "Green",
    "Adams",
    "Nelson",
    "Baker",
    "Hall",
    "Rivera",
    "Campbell",
    "Mitchell",
    "Carter",
    "Roberts",
    "Gomez",
    "Phillips",
    "Evans",
    "Turner",
    "Diaz",
    "Parker",
    "Cruz",
    "Edwards",
    "Collins",
    "Reyes",
    "Stewart",
    "Morris",
    "Morales",
    "Murphy",
    "Cook",
    "Rogers",
    "Gutierrez",
    "Ortiz",
    "Morgan",
    "Cooper",
    "Peterson",
    "Bailey",
    "Reed",
    "Kelly",
    "Howard",
    "Ramos",
    "Kim",
    "Cox",
    "Ward",
    "Richardson",
    "Watson",
    "Brooks",
    "Chavez",
    "Wood",
    "James",
    "Bennett",
    "Gray",
    "Mendoza",
    "Ruiz",
    "Hughes",
    "Price",
    "Alvarez",
    "Castillo",
    "Sanders",
    "Patel",
    "Myers",
    "Long",
    "Ross",
    "Foster",
    "Jimenez",
    "O'Brien",
    "McAllister",
    "Van der Berg",
    "Schmidt",
    "Kowalski",
    "Nakamura",
    "Okafor",
    "Larsen",
    "Fitzgerald",
    "DeLuca",
    "Abernathy",
    "Pruitt",
    "Whitfield",
)
BUSINESS_WORDS = (
    "Summit",
    "Cedar",
    "Riverbend",
    "Harbor",
    "Blue Ridge",
    "Ironwood",
    "Maple Leaf",
    "Northstar",
    "Golden Gate",
    "Prairie",
    "Lakeside",
    "Copper Creek",
    "Evergreen",
    "Granite",
    "Silver Pine",
    "Red Rock",
    "Oak Hollow",
    "Bayview",
    "Highland",
    "Willow",
    "Keystone",
    "Pioneer",
    "Sunrise",
    "Magnolia",
    "Frontier",
    "Bluebird",
    "Westfield",
    "Clearwater",
    "Stonebridge",
    "Heritage",
)
TRADES = (
    "Bakery",
    "Dental",
    "Landscaping",
    "Plumbing & Heating",
    "Auto Repair",
    "Veterinary Clinic",
    "Coffee Roasters",
    "Construction",
    "Realty",
    "Physical Therapy",
    "Printing",
    "Electric",
    "Catering",
    "Fitness",
    "Pediatrics",
    "Brewing Company",
    "Roofing",
    "Insurance Agency",
    "Floral Design",
    "Marketing Group",
    "Law Office",
    "Chiropractic",
    "Hardware",
    "Cleaning Services",
    "Consulting",
    "Architects",
    "Boutique",
    "Veterinary Hospital",
    "Tax & Bookkeeping",
    "Outfitters",
)
LEGAL_SUFFIXES = ("Inc.", "LLC", "LLC", "Inc.", "Co.", "LLP", "PLLC", "Corp.", "", "")
# (city, state, first three ZIP digits, area codes)
PLACES = (
    ("Portland", "OR", "972", ("503", "971")),
    ("Seattle", "WA", "981", ("206",)),
    ("Boise", "ID", "837", ("208",)),
    ("Sacramento", "CA", "958", ("916",)),
    ("San Diego", "CA", "921", ("619", "858")),
    ("Phoenix", "AZ", "850", ("602", "480")),
    ("Denver", "CO", "802", ("303", "720")),
    ("Austin", "TX", "787", ("512", "737")),
    ("Dallas", "TX", "752", ("214", "972")),
    ("Nashville", "TN", "372", ("615",)),
    ("Atlanta", "GA", "303", ("404", "678")),
    ("Charlotte", "NC", "282", ("704", "980")),
    ("Richmond", "VA", "232", ("804",)),
    ("Columbus", "OH", "432", ("614",)),
    ("Madison", "WI", "537", ("608",)),
    ("Minneapolis", "MN", "554", ("612",)),
    ("Chicago", "IL", "606", ("312", "773")),
    ("Pittsburgh", "PA", "152", ("412",)),
    ("Burlington", "VT", "054", ("802",)),
    ("Portland", "ME", "041", ("207",)),
    ("Albany", "NY", "122", ("518",)),
    ("Providence", "RI", "029", ("401",)),
    ("Tampa", "FL", "336", ("813",)),
    ("Santa Fe", "NM", "875", ("505",)),
)
STREET_NAMES = (
    "Main",
    "Oak",
    "Pine",
    "Maple",
    "Cedar",
    "Elm",
    "Washington",
    "Lake",
    "Hill",
    "Park",
    "Walnut",
    "Sunset",
    "Jefferson",
    "Lincoln",
    "Highland",
    "Church",
    "River",
    "Spring",
    "Chestnut",
    "Willow",
    "Meadow",
    "Forest",
    "Broadway",
    "Madison",
    "Franklin",
    "Center",
    "Mill",
    "Union",
    "Adams",
    "Ridge",
)
STREET_TYPES = ("St", "Ave", "Rd", "Blvd", "Ln", "Dr", "Ct", "Way", "Pl")
MAIL_HOSTS = ("gmail.com", "outlook.com", "yahoo.com", "icloud.com", "comcast.net", "proton.me")
NOTES = (
    "Prefers email over phone.",
    "Quarterly estimated taxes; send reminders mid-month.",
    "Fiscal year ends June 30.",
    "Payroll through ADP; we reconcile monthly.",
    "Referred by a current client.",
    "S-corp election filed.",
    "Sales tax filed monthly.",
    "Extension filed most years; documents arrive late.",
    "Bookkeeping client since 2016.",
    "Spouse handles the household paperwork.",
    None,
    None,
    None,
    None,
    None,
)

_emulator: QBOEmulator | None = None
_emulator_lock = threading.Lock()


def use_emulator(app: Flask) -> None:
    """Point the app at this process's QuickBooks emulator, starting it on first use."""
    qbo = shared_emulator(app.config["EXAMPLE_EMULATOR_STATE"])
    app.extensions["example_emulator"] = qbo  # the demo's QuickBooks page edits its customers
    app.config.update(
        WSQB_ENVIRONMENT=qbo.discovery_url,
        WSQB_API_URL=qbo.api_url,
        WSQB_CLIENT_ID=qbo.client_id,
        WSQB_CLIENT_SECRET=qbo.client_secret,
        WSQB_REDIRECT_URI=None,
        WSQB_WEBHOOK_VERIFIER_TOKEN=qbo.webhook_verifier_token,
        # a linked customer opens on the demo's QuickBooks page (example_app/quickbooks_page.py)
        WSQB_CUSTOMER_URL="/demo/quickbooks/customers/{customer_id}",
    )


def deliver_webhooks(app: Flask, base_url: str) -> None:
    """Have the emulator send its webhooks to the app served at ``base_url``, as Intuit sends
    them to the endpoint registered for an app (automatic sync hears QuickBooks' changes)."""
    if app.config.get("EXAMPLE_EMULATOR") and _emulator is not None:
        _emulator.webhook_url = base_url.rstrip("/") + app.config["WSQB_URL_PREFIX"] + "/webhooks"


def shared_emulator(state_file: str) -> QBOEmulator:
    """This process's emulator, started on first use from ``state_file``; the companies are seeded
    only when that file does not exist yet (a restart keeps the customers the links point to)."""
    # One per process: every app a process builds shares the firms' QuickBooks companies, as the
    # apps of one practice share one Intuit account. Imported here so that hosts with real
    # credentials never load the emulator.
    global _emulator
    with _emulator_lock:
        if _emulator is None:
            from flask_wsqb.testing import QBOEmulator

            qbo = QBOEmulator(state_file=state_file, company_name=next(iter(DEMO_FIRMS.values())).company)
            qbo.start()
            atexit.register(qbo.stop)  # stop() saves the state
            if not qbo.restored:
                seed_quickbooks(qbo)
            _emulator = qbo
        return _emulator


def forget_emulator() -> None:
    """Stop this process's emulator (which saves its state) and forget it, as the end of the
    process would: the next app built starts a new one from the state file."""
    global _emulator
    with _emulator_lock:
        if _emulator is not None:
            atexit.unregister(_emulator.stop)
            _emulator.stop()
            _emulator = None


def seed_contacts() -> int:
    """Fill an empty contact table with each firm's demo clients; return how many were added."""
    if db.session.scalar(select(func.count()).select_from(Contact)):
        return 0
    contacts = [
        Contact(firm=firm, **fields)
        for firm, demo in DEMO_FIRMS.items()
        for fields in demo_contacts(seed=demo.contact_seed)
    ]
    db.session.add_all(contacts)
    db.session.commit()
    return len(contacts)


def demo_contacts(count: int = CONTACT_COUNT, seed: int = CONTACT_SEED) -> list[dict[str, Any]]:
    """One firm's clients: individuals and small businesses, a few hidden, dated over two years."""
    rng = random.Random(seed)
    now = datetime.now(timezone.utc).replace(microsecond=0)
    contacts = []
    for fields in _unique_names(_clients(rng), count):
        created = now - timedelta(days=rng.randint(30, 2000), minutes=rng.randint(0, 1440))
        fields["created_at"] = created
        fields["updated_at"] = min(now, created + timedelta(days=rng.randint(0, 700)))
        fields["hidden"] = rng.random() < 0.05
        fields["notes"] = rng.choice(NOTES)
        contacts.append(fields)
    return contacts


def seed_quickbooks(qbo: QBOEmulator) -> None:
    """Each firm's QuickBooks company: the emulator's first for the first firm, one added for each
    other firm."""
    demos = list(DEMO_FIRMS.values())
    realms = [qbo.realm_id, *(qbo.add_company(demo.company) for demo in demos[1:])]
    for realm_id, demo in zip(realms, demos, strict=True):
        seed_company(qbo, realm_id, demo)


def seed_company(qbo: QBOEmulator, realm_id: str, demo: DemoFirm) -> None:
    """A QuickBooks company that overlaps its firm's clients the way real ones do: most customers
    are unrelated, some are a client under a slightly different name, some exactly the same."""
    qbo.seed_customers(CUSTOMER_COUNT, seed=demo.customer_seed, realm_id=realm_id)
    # DisplayName is unique in QuickBooks: leave out a variant the seeded customers already use.
    taken = {customer["DisplayName"].casefold() for customer in qbo.customers(realm_id=realm_id)}
    for customer in near_duplicates(demo_contacts(seed=demo.contact_seed), seed=demo.customer_seed):
        if customer["DisplayName"].casefold() not in taken:
            taken.add(customer["DisplayName"].casefold())
            qbo.add_customer(customer, realm_id=realm_id)


def near_duplicates(
    contacts: list[dict[str, Any]], count: int = NEAR_DUPLICATE_COUNT, seed: int = CUSTOMER_SEED
) -> list[dict[str, Any]]:
    """QuickBooks customers for ``count`` of ``contacts``: exact copies, and the same client spelt
    differently (case, "Inc." for "Inc", "and" for "&", "Last, First", a typo, a middle initial)."""
    rng = random.Random(seed)
    customers = []
    for index, contact in enumerate(rng.sample(contacts, count)):
        customer = customer_from(contact)
        variant = VARIANTS[index % len(VARIANTS)]
        customer["DisplayName"] = variant(contact, rng)
        customer["Active"] = index % 9 != 4
        if index % 5 == 3 and customer.get("PrimaryPhone"):
            customer["PrimaryPhone"] = {"FreeFormNumber": _phone(rng, rng.choice(PLACES)[3])}
        customers.append(customer)
    return customers


def customer_from(contact: dict[str, Any]) -> dict[str, Any]:
    """A QuickBooks Customer body carrying the same data as a demo contact."""
    customer: dict[str, Any] = {"DisplayName": contact["display_name"]}
    for qbo_field, key in (("GivenName", "first_name"), ("FamilyName", "last_name"), ("CompanyName", "company")):
        if contact.get(key):
            customer[qbo_field] = contact[key]
    if contact.get("email"):
        customer["PrimaryEmailAddr"] = {"Address": contact["email"]}
    if contact.get("phone"):
        customer["PrimaryPhone"] = {"FreeFormNumber": contact["phone"]}
    customer["BillAddr"] = {
        "Line1": contact["street"],
        "City": contact["city"],
        "CountrySubDivisionCode": contact["state"],
        "PostalCode": contact["postal_code"],
        "Country": contact["country"],
    }
    return customer


def _exact(contact: dict[str, Any], rng: random.Random) -> str:
    return contact["display_name"]


def _other_case(contact: dict[str, Any], rng: random.Random) -> str:
    name = contact["display_name"]
    return rng.choice((name.upper(), name.lower()))


def _suffix_spelling(contact: dict[str, Any], rng: random.Random) -> str:
    name = contact["display_name"]
    for written, other in (
        ("Inc.", "Inc"),
        (" Inc", ", Inc."),
        ("LLC", "L.L.C."),
        ("Co.", "Company"),
        ("Corp.", "Corporation"),
        (" & ", " and "),
        ("LLP", "L.L.P."),
    ):
        if written in name:
            return name.replace(written, other, 1)
    if contact.get("company") == name:
        return name + " Inc"
    return name.replace(" ", "  ", 1)


def _last_first(contact: dict[str, Any], rng: random.Random) -> str:
    if contact.get("company") == contact["display_name"] or not contact.get("last_name"):
        return "The " + contact["display_name"]
    return f"{contact['last_name']}, {contact['first_name']}"


def _typo(contact: dict[str, Any], rng: random.Random) -> str:
    name = contact["display_name"]
    letters = [i for i in range(1, len(name) - 1) if name[i].isalpha() and name[i + 1].isalpha()]
    i = rng.choice(letters)
    return name[:i] + name[i + 1] + name[i] + name[i + 2 :]


def _middle_initial(contact: dict[str, Any], rng: random.Random) -> str:
    if contact.get("company") == contact["display_name"] or not contact.get("last_name"):
        return "  " + contact["display_name"] + " "
    return f"{contact['first_name']} {rng.choice('ABCDEFGHJKLMNPRSTW')}. {contact['last_name']}"


VARIANTS = (_exact, _other_case, _suffix_spelling, _exact, _last_first, _typo, _middle_initial)


def _clients(rng: random.Random) -> Iterator[dict[str, Any]]:
    while True:
        place = rng.choice(PLACES)
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        fields: dict[str, Any] = {"first_name": first, "last_name": last, **_address(rng, place)}
        kind = rng.random()
        if kind < 0.55:
            fields["display_name"] = f"{first} {last}"
            fields["company"] = None
            fields["email"] = _personal_email(rng, first, last)
        elif kind < 0.65:
            spouse = rng.choice(FIRST_NAMES)
            fields["display_name"] = f"{first} & {spouse} {last}"
            fields["company"] = None
            fields["email"] = _personal_email(rng, first, last)
        else:
            company = _business_name(rng, last)
            fields["display_name"] = fields["company"] = company
            fields["email"] = _business_email(rng, first, last, company)
        fields["phone"] = _phone(rng, place[3]) if rng.random() < 0.92 else None
        if rng.random() < 0.04:
            fields["email"] = None
        yield fields


def _unique_names(clients: Iterator[dict[str, Any]], count: int) -> Iterator[dict[str, Any]]:
    seen: set[str] = set()
    for fields in clients:
        key = fields["display_name"].casefold()
        if key not in seen:
            seen.add(key)
            yield fields
            if len(seen) == count:
                return


def _business_name(rng: random.Random, last: str) -> str:
    style = rng.random()
    if style < 0.4:
        base = f"{rng.choice(BUSINESS_WORDS)} {rng.choice(TRADES)}"
    elif style < 0.7:
        base = f"{last} {rng.choice(TRADES)}"
    else:
        base = f"{last} & {rng.choice(LAST_NAMES)}"
    suffix = rng.choice(LEGAL_SUFFIXES)
    if not suffix:
        return base
    return f"{base}, {suffix}" if suffix in ("Inc.", "LLP") and rng.random() < 0.5 else f"{base} {suffix}"


def _address(rng: random.Random, place: tuple[str, str, str, tuple[str, ...]]) -> dict[str, Any]:
    city, state, zip_prefix, _ = place
    street = f"{rng.randint(100, 9899)} {rng.choice(STREET_NAMES)} {rng.choice(STREET_TYPES)}"
    if rng.random() < 0.15:
        street += rng.choice((f" Suite {rng.randint(100, 450)}", f" Apt {rng.randint(1, 40)}"))
    return {
        "street": street,
        "city": city,
        "state": state,
        "postal_code": f"{zip_prefix}{rng.randint(1, 99):02d}",
        "country": "USA",
    }


def _phone(rng: random.Random, area_codes: tuple[str, ...]) -> str:
    # 555-0100 to 555-0199 are the numbers set aside for fiction.
    return f"({rng.choice(area_codes)}) 555-01{rng.randint(0, 99):02d}"


def _ascii(text: str) -> str:
    return "".join(ch for ch in text.lower().translate(str.maketrans("áéëíóúöüñç", "aeeiouounc")) if ch.isalnum())


def _mailbox(first: str, last: str, rng: random.Random) -> str:
    return rng.choice(
        (f"{_ascii(first)}.{_ascii(last)}", f"{_ascii(first)[0]}{_ascii(last)}", f"{_ascii(first)}{_ascii(last)}")
    )


def _personal_email(rng: random.Random, first: str, last: str) -> str:
    number = str(rng.randint(1, 99)) if rng.random() < 0.3 else ""
    return f"{_mailbox(first, last, rng)}{number}@{rng.choice(MAIL_HOSTS)}"


def _business_email(rng: random.Random, first: str, last: str, company: str) -> str:
    words = [
        word
        for word in company.replace(",", " ").split()
        if word not in ("Inc.", "LLC", "Co.", "LLP", "PLLC", "Corp.", "&")
    ]
    domain = "".join(_ascii(word) for word in words[:2]) + rng.choice((".com", ".com", ".net", ".biz"))
    mailbox = rng.choice((_mailbox(first, last, rng), _ascii(first), "office", "info", "accounts"))
    return f"{mailbox}@{domain}"
